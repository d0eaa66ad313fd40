"""The review app's background work: building exports, and finding exports whose worker died.

`build_export` runs on a job worker (README: background work). `recover_stalled_exports` is a
periodic job (settings.PERIODIC_JOBS, run by `manage.py tick`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from review.models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)


@task()
def build_export(job_id: int) -> None:
    """Write the export's file. Safe to deliver twice: a job that is not pending is left alone."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        logger.info("export %s no longer exists", job_id)
        return
    job.run()


def recover_stalled_exports() -> int:
    """Re-queue every running export whose heartbeat is older than JOB_HEARTBEAT_TIMEOUT, or
    fail it once it has had EXPORT_MAX_ATTEMPTS runs. Pending exports are left to wait: a busy
    queue is not a failure. Idempotent and safe on several servers at once (each job is
    decided by a conditional UPDATE). Returns the number of jobs it changed."""
    stale_before = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)
    changed = 0
    stalled = ExportJob.objects.filter(status=ExportStatus.RUNNING, updated_at__lt=stale_before)
    for job in stalled.only("pk", "kind", "status", "attempts", "updated_at"):
        if job.recover(max_attempts=settings.EXPORT_MAX_ATTEMPTS, stale_before=stale_before):
            changed += 1
    return changed
