"""Settings of the worker and web server processes the job tests start: the test settings, but
with a real queue (the database, or RQ with JOB_BACKEND=rq) instead of running jobs inline, and
the exports folder the test gives in EXPORT_ROOT. The test passes the test database's own
DATABASE_URL, so the processes see the rows the test commits."""

import os
from pathlib import Path

from tizhi.settings_test import *  # noqa: F403
from tizhi.settings_test import STORAGES

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_rq.RQBackend"
            if os.environ.get("JOB_BACKEND") == "rq"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}
EXPORT_ROOT = Path(os.environ["EXPORT_ROOT"])
STORAGES = {
    **STORAGES,
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_ROOT), "base_url": None},
    },
}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
