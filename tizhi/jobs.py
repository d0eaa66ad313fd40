"""Enqueueing background jobs (Django's tasks API, the django-tasks backport).

Jobs are enqueued only for changes that commit. The database queue writes its job row inside
the caller's transaction, so the job exists if and only if the change that asked for it
committed, even if the process dies right after. Every other queue (RQ) is given the job in
``transaction.on_commit``. The immediate backend of the test suite runs it at once.
"""

from typing import Any

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` for a worker, once the current transaction commits."""
    if isinstance(task.get_backend(), DatabaseBackend | ImmediateBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
