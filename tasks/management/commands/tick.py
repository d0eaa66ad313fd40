"""The one scheduler: runs every function in settings.PERIODIC_JOBS.

Production runs `manage.py tick` every minute from cron or a systemd timer on each app server,
or `manage.py tick --loop 60` as a service; `make run` starts the loop. The functions are
idempotent and safe to run on several servers at once, so no server is special.
"""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("tizhi.tick")


def run_periodic_jobs() -> list[str]:
    """Run each periodic job once; one that fails is logged and the next still runs. Returns
    the dotted paths of the jobs that failed."""
    failed = []
    for path in settings.PERIODIC_JOBS:
        try:
            result = import_string(path)()
        except Exception:
            logger.exception("periodic job %s failed", path)
            failed.append(path)
        else:
            logger.debug("periodic job %s: %s", path, result)
        finally:
            # As after a request: a broken or expired connection is not kept for the next job.
            close_old_connections()
    return failed


class Command(BaseCommand):
    help = (
        "Runs every function in settings.PERIODIC_JOBS once; with --loop SECONDS, again and "
        "again with that pause between the starts of two rounds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="repeat forever, starting a round every SECONDS (e.g. 60)",
        )

    def handle(self, *args: Any, loop: float | None = None, **options: Any) -> None:
        if loop is None:
            failed = run_periodic_jobs()
            if failed:
                # After every job has had its turn, so cron or systemd can report it.
                raise CommandError(f"failed: {', '.join(failed)} (the log has the tracebacks)")
            return
        if loop <= 0:
            raise CommandError("--loop needs a number of seconds above 0")
        try:
            while True:
                started = time.monotonic()
                run_periodic_jobs()
                time.sleep(max(0.0, loop - (time.monotonic() - started)))
        except KeyboardInterrupt:
            return
