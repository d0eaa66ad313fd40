import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from schools.models import Province
from tasks.models import Plan, Round
from tasks.transitions import TransitionError
from tizhi.lib.text import OtherScriptDigits, clean_digits, clean_text


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式应为 YYYY-MM-DD。") from exc


class Command(BaseCommand):
    help = (
        "为一个省开放（或修改）当前行动计划的申报：开始和结束日期（结束日期当日24:00截止）、说明、"
        "省级平台联系人，以及是否使用“省财政投入”列。新开放时向学校提供目录中全部学校承接的任务。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--province", required=True, help="省级单位代码（2位）")
        parser.add_argument("--start", required=True, type=_date, help="开始日期 YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=_date, help="结束日期 YYYY-MM-DD")
        parser.add_argument("--instructions", help="说明（本省申报要求）")
        parser.add_argument(
            "--provincial-funds",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="使用（或 --no-provincial-funds 不使用）“省财政投入”列；不给出时保持原设置",
        )
        parser.add_argument(
            "--contact",
            nargs=2,
            action="append",
            metavar=("NAME", "PHONE"),
            help="省级平台联系人及电话，可给出两次",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        province = Province.objects.filter(code=options["province"]).first()
        if province is None:
            raise CommandError(f"没有代码为“{options['province']}”的省级单位。")
        plan = Plan.objects.filter(is_current=True).first()
        if plan is None:
            raise CommandError("没有当前行动计划，请先运行 load_reference_data。")
        start, end = options["start"], options["end"]
        if end < start:
            raise CommandError("结束日期不能早于开始日期。")
        contacts = options["contact"] or []
        if len(contacts) > 2:
            raise CommandError("最多两位省级平台联系人。")
        # Arguments are typed (or pasted) text like any form's: through the normaliser.
        try:
            contacts = [(clean_text(name), clean_digits(phone)) for name, phone in contacts]
        except OtherScriptDigits as exc:
            raise CommandError(f"联系电话：{exc.message}") from exc
        instructions = options["instructions"]
        if instructions is not None:
            instructions = clean_text(instructions, multiline=True)

        created = not Round.objects.filter(plan=plan, province=province).exists()
        try:
            round_ = Round.configure(
                plan,
                province,
                by=None,
                actor="命令行 open_round",
                start_date=start,
                end_date=end,
                instructions=instructions,
                contacts=[tuple(c) for c in contacts] if contacts else None,
                uses_provincial_funds=options["provincial_funds"],
            )
        except TransitionError as exc:
            raise CommandError(exc.message) from exc

        verb = "已开放" if created else "已更新"
        self.stdout.write(
            f"{verb}{province.name}的申报：{start:%Y-%m-%d} 至 {end:%Y-%m-%d} 24:00，"
            f"开放任务（项目）{round_.items.count()} 个，"
            f"{'使用' if round_.uses_provincial_funds else '不使用'}“省财政投入”列。"
        )
