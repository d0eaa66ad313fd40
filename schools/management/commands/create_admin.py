import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from schools.choices import Role
from schools.models import Province, User
from tizhi.lib.text import OtherScriptDigits, clean_digits
from tizhi.lib.transitions import TransitionError


class Command(BaseCommand):
    help = "创建省级管理员（--role province --province 代码）或教育部账号（--role ministry）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[Role.PROVINCE, Role.MINISTRY])
        parser.add_argument("--province", help="省级单位代码（2位），省级管理员必填")
        parser.add_argument("--password", help="密码；不给出时在终端提示输入")
        parser.add_argument("--email", default="", help="电子邮箱（选填），平台消息也发到此邮箱")

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        province: str | None,
        password: str | None,
        email: str = "",
        **options: Any,
    ) -> None:
        # The same normaliser as the sign-in form's, so the account can sign in as typed.
        try:
            username = clean_digits(username)
        except OtherScriptDigits as exc:
            raise CommandError(f"用户名：{exc.message}") from exc
        if not username:
            raise CommandError("用户名不能为空。")
        target = None
        if role == Role.PROVINCE:
            if not province:
                raise CommandError("省级管理员须用 --province 指定省级单位代码。")
            target = Province.objects.filter(code=province).first()
            if target is None:
                raise CommandError(f"没有代码为“{province}”的省级单位。")
        elif province:
            raise CommandError("教育部账号不属于任何省份，不能指定 --province。")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"用户名“{username}”已存在。")
        if password is None:
            password = self._prompt()
        try:
            User.create_account(
                username=username,
                role=Role(role),
                province=target,
                password=password,
                by=None,
                actor="命令行 create_admin",
                email=email,
            )
        except TransitionError as exc:
            raise CommandError(exc.message) from exc
        where = f"（{target.name}）" if target else ""
        self.stdout.write(f"已创建{Role(role).label}账号 {username}{where}，首次登录时须修改密码。")

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("没有终端可输入密码，请用 --password 给出。")
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
