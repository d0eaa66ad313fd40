import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from schools.choices import Role
from schools.models import Province, User
from tizhi.lib.text import OtherScriptDigits, clean_digits


class Command(BaseCommand):
    help = "创建省级管理员（--role province --province 代码）或教育部账号（--role ministry）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[Role.PROVINCE, Role.MINISTRY])
        parser.add_argument("--province", help="省级单位代码（2位），省级管理员必填")
        parser.add_argument("--password", help="密码；不给出时在终端提示输入")

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        province: str | None,
        password: str | None,
        **options: Any,
    ) -> None:
        # The same normaliser as the sign-in form's, so the account can sign in as typed.
        try:
            username = clean_digits(username)
        except OtherScriptDigits as exc:
            raise CommandError(f"用户名：{exc.message}") from exc
        if not username:
            raise CommandError("用户名不能为空。")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户名“{username}”已存在。")
        target = None
        if role == Role.PROVINCE:
            if not province:
                raise CommandError("省级管理员须用 --province 指定省级单位代码。")
            target = Province.objects.filter(code=province).first()
            if target is None:
                raise CommandError(f"没有代码为“{province}”的省级单位。")
        elif province:
            raise CommandError("教育部账号不属于任何省份，不能指定 --province。")
        user = User(username=username, role=role, province=target)
        if password is None:
            password = self._prompt()
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不符合规则：" + "".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
        where = f"（{target.name}）" if target else ""
        self.stdout.write(f"已创建{Role(role).label}账号 {username}{where}。")

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("没有终端可输入密码，请用 --password 给出。")
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
