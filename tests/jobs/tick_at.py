"""`manage.py tick` with the clock at a given moment, for the tests of periodic jobs that depend
on the day and the hour (the daily digest, retries after a delay):

    python tests/jobs/tick_at.py 2026-12-03T09:00+08:00

Only `django.utils.timezone.now` is moved, which is the clock every periodic job reads.
"""

import os
import sys
from datetime import datetime
from unittest import mock

import django
from django.core.management import call_command


def main() -> None:
    at = datetime.fromisoformat(sys.argv[1])
    if at.tzinfo is None:
        sys.exit("give the moment with its offset, e.g. 2026-12-03T09:00+08:00")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.jobs.worker_settings")
    django.setup()
    with mock.patch("django.utils.timezone.now", return_value=at):
        call_command("tick")


if __name__ == "__main__":
    main()
