from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from schools.imports import import_schools
from schools.models import Province, SchoolImportError


class Command(BaseCommand):
    help = (
        "从 .xlsx 或 .csv 文件导入一个省的学校并创建学校账号"
        "（用户名为学校标识码，初始密码123456）。"
        "文件列：学校标识码、学校名称、学校类型、所在地市。先检查整个文件，有任何错误则全部不导入。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--province", required=True, help="省级单位代码（2位），如 14")

    def handle(self, *args: Any, file: str, province: str, **options: Any) -> None:
        target = Province.objects.filter(code=province).first()
        if target is None:
            raise CommandError(f"没有代码为“{province}”的省级单位。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            with path.open("rb") as stream:
                result = import_schools(
                    stream, path.name, target, by=None, actor="命令行 import_schools"
                )
        except SchoolImportError as exc:
            for line in exc.errors:
                self.stderr.write(line)
            if exc.omitted:
                self.stderr.write(f"另有 {exc.omitted} 处错误未列出。")
            raise CommandError(f"文件有 {exc.total} 处错误，未导入任何学校。") from exc
        self.stdout.write(
            f"{target.name}：新增学校 {len(result.created)} 所，更新 {len(result.updated)} 所，"
            f"未变 {len(result.unchanged)} 所；新建学校账号 {result.accounts_created} 个"
            f"（初始密码123456，首次登录须修改）。"
        )
