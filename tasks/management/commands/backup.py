from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tizhi.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库和私有文件（上传的文件、导出文件）到 DESTINATION 下的新文件夹。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", help="备份写入的文件夹，例如 /var/backups/tizhi")

    def handle(self, *args: Any, destination: str, **options: Any) -> None:
        try:
            folder = backup(Path(destination))
        except (BackupError, OSError) as exc:
            raise CommandError(f"备份失败：{exc}") from exc
        self.stdout.write(str(folder))
