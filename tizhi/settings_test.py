"""Settings for the test suite: the production settings with fast hashing and plain static."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from tizhi.settings import *  # noqa: F403
from tizhi.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests render templates without running collectstatic first, and keep uploads and exports
# apart (tests/conftest.py gives each test folders of its own).
PRIVATE_FILES_ROOT = BASE_DIR / "var" / "test-files"  # noqa: F405
EXPORT_ROOT = BASE_DIR / "var" / "test-exports"  # noqa: F405
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared-cache memory database: threads in the race tests must wait
    # for each other's write lock (busy timeout) as they do in production.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}  # noqa: F405

# Jobs run as they are enqueued in tests, where the test's transaction is visible; the tests
# of the engine itself start real workers on the database queue and on RQ.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The RQ tests use their own Redis database, and flush only that one.
REDIS_URL = os.environ.get("TIZHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
