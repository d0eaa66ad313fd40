from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tizhi.backup import BackupError, restore


class Command(BaseCommand):
    help = "把 backup 生成的备份恢复到当前配置的空数据库和空的文件夹，并按清单核对每个文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="backup 生成的备份文件夹")

    def handle(self, *args: Any, source: str, **options: Any) -> None:
        try:
            counts = restore(Path(source))
        except (BackupError, OSError, KeyError, ValueError) as exc:
            raise CommandError(f"恢复失败：{exc}") from exc
        self.stdout.write(f"已恢复：{counts['tables']} 张表，{counts['files']} 个文件。")
