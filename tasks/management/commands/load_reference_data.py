from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from schools.choices import AuditAction
from schools.models import Province
from tasks.models import AuditEvent, Plan


class Command(BaseCommand):
    help = "载入省级单位和任务目录（已存在则跳过，--force 重新载入并覆盖修改）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="重新载入，覆盖在管理后台对目录所做的修改。"
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        say = self.stdout.write if options.get("verbosity", 1) > 0 else (lambda _msg: None)
        # Loading only when absent keeps `make run` repeatable without undoing edits made to
        # the catalogue in the admin since the first run.
        if force or not Province.objects.exists():
            call_command("loaddata", "provinces", verbosity=0)
            say(f"已载入省级单位：{Province.objects.count()} 个。")
        else:
            say("省级单位已存在，跳过。")
        if force or not Plan.objects.filter(code="tzpy-2020").exists():
            with transaction.atomic():
                call_command("loaddata", "catalogue", verbosity=0)
                # Fixtures load below the model methods; the trail still records the load.
                AuditEvent.record(
                    Plan.objects.get(code="tzpy-2020"),
                    by=None,
                    action=AuditAction.REFERENCE_LOAD,
                    actor="命令行 load_reference_data",
                    changes={"note": "重新载入任务目录（覆盖修改）" if force else "载入任务目录"},
                )
            say("已载入任务目录：职业教育提质培优行动计划（2020—2023年）。")
        else:
            say("任务目录已存在，跳过。")
