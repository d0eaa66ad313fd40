from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from schools.choices import Role, SchoolKind
from schools.models import Province, School, SchoolRow, User
from tasks.models import Round
from tasks.transitions import beijing_today

DEMO_PROVINCE = "14"
DEMO_SCHOOLS = [
    ("4114000001", "山西演示职业技术学院", SchoolKind.JUNIOR_COLLEGE, "太原市"),
    ("4114000002", "山西演示工业职业技术学院", SchoolKind.JUNIOR_COLLEGE, "大同市"),
    ("4114000003", "山西演示职业技术大学", SchoolKind.UNDERGRADUATE, "晋中市"),
    ("3114000001", "太原演示中等职业学校", SchoolKind.SECONDARY, "太原市"),
    ("3114000002", "长治演示职业中学", SchoolKind.SECONDARY, "长治市"),
    ("5114000001", "山西演示开放大学", SchoolKind.OTHER, "太原市"),
]
DEMO_REQUIRED_ITEM = "7.1"  # 优质中职学校: required of the demo's 中职学校
DEMO_INSTRUCTIONS = "1.填写平台管理联系人及办公电话、手机号\n2.勾选任务并填写有关信息\n3.提交"
DEMO_ADMINS = [
    ("sx_admin", Role.PROVINCE, DEMO_PROVINCE, "Shanxi2020sx"),
    ("moe_admin", Role.MINISTRY, None, "Jiaoyubu2020"),
]


class Command(BaseCommand):
    help = (
        "创建演示数据：山西省的几所学校、一名省级管理员和一名教育部用户，并打印账号和密码。"
        "可重复运行，不覆盖已有数据。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("load_reference_data", verbosity=0)
        province = Province.objects.get(code=DEMO_PROVINCE)
        with transaction.atomic():
            School.register(
                [
                    SchoolRow(line=i, code=code, name=name, kind=kind.label, city=city)
                    for i, (code, name, kind, city) in enumerate(DEMO_SCHOOLS, start=2)
                ],
                province,
                by=None,
                actor="命令行 seed_demo",
            )
            admin_lines = [self._admin(*spec) for spec in DEMO_ADMINS]
        if not Round.objects.filter(province=province, plan__is_current=True).exists():
            # Open for a month from a week ago, so the demo form is open whenever it is made.
            today = beijing_today()
            call_command(
                "open_round",
                "--province",
                DEMO_PROVINCE,
                "--start",
                str(today - timedelta(days=7)),
                "--end",
                str(today + timedelta(days=30)),
                "--instructions",
                DEMO_INSTRUCTIONS,
                "--contact",
                "张老师",
                "0351-3046505",
                "--contact",
                "李老师",
                "13811111111",
                stdout=self.stdout,
            )
            # An example 必选 rule: every 中职学校 of the demo province must take 7.1.
            round_ = Round.objects.get(province=province, plan__is_current=True)
            required = round_.items.filter(code=DEMO_REQUIRED_ITEM).first()
            if required is not None:
                round_.set_requirement(
                    required,
                    kinds=[SchoolKind.SECONDARY],
                    school_codes=[],
                    by=None,
                    actor="命令行 seed_demo",
                )

        accounts = {
            u.username: u for u in User.objects.filter(username__in=[s[0] for s in DEMO_SCHOOLS])
        }
        self.stdout.write("演示账号（登录时验证码按图片输入）：")
        for line in admin_lines:
            self.stdout.write("  " + line)
        for code, name, _kind, _city in DEMO_SCHOOLS:
            account = accounts[code]
            password = (
                "123456（首次登录须修改）" if account.must_change_password else "已修改，保持不变"
            )
            self.stdout.write(f"  学校（或其他） {code} {name}  密码：{password}")

    def _admin(self, username: str, role: Role, province: str | None, password: str) -> str:
        user = User.objects.filter(username=username).first()
        if user is None:
            User.create_account(
                username=username,
                role=role,
                province=Province.objects.get(code=province) if province else None,
                password=password,
                by=None,
                actor="命令行 seed_demo",
            )
            shown = f"{password}（首次登录须修改）"
        else:
            shown = f"{password}（如已修改则以修改后的为准）"
        return f"{role.label} {username}  密码：{shown}"
