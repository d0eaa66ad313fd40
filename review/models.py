import logging
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from tasks.models import Plan, ReportingYear
from tasks.transitions import beijing_time
from tizhi.lib.text import clean_text

if TYPE_CHECKING:
    from schools.models import User

logger = logging.getLogger(__name__)

# A job waiting this long for a worker says so on its page: the queue is busy, or no worker runs.
QUEUE_WARNING = timedelta(minutes=3)
# The writer reports rows (and so its heartbeat) at most this often; it looks every 1,000 rows.
PROGRESS_SECONDS = 1.0


class ExportKind(models.TextChoices):
    COMMITMENTS = "commitments", "全国承接明细"
    REPORT_ROWS = "report_rows", "年度绩效明细"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportJob(models.Model):
    """A national export built by a job worker (review.jobs.build_export), so no proxy or request
    timeout cuts it off; its page shows how far along it is and offers the file when done.

    While RUNNING, `updated_at` is the heartbeat: the writer touches it at least every few
    seconds, and review.jobs.recover_stalled_exports re-queues (or fails) a job whose heartbeat
    is older than JOB_HEARTBEAT_TIMEOUT. While PENDING it is when the job was queued.
    `attempts` counts the runs a worker has started; it is also the run's token: a run may
    report progress and finish the job only while the job still holds its attempt, so a run
    taken for dead that wakes up again cannot overwrite the run that replaced it."""

    kind = models.CharField(
        "内容", max_length=16, choices=ExportKind.choices, default=ExportKind.COMMITMENTS
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, verbose_name="行动计划")
    reporting_year = models.ForeignKey(
        ReportingYear,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name="年度",
    )
    filters = models.JSONField("筛选条件", default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="申请人"
    )
    status = models.CharField(
        "状态", max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已写入行数", default=0)
    # The finished file's name in the "exports" storage; set with DONE, in the same UPDATE.
    filename = models.CharField("文件名", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"

    # When this run last reported progress (time.monotonic()); not a column. The first report
    # (after the first 1,000 rows) is written at once, so the page soon shows movement.
    _last_report = float("-inf")

    def __str__(self) -> str:
        return f"{self.plan} {self.get_status_display()}"

    @property
    def download_name(self) -> str:
        stamp = beijing_time(self.finished_at or self.created_at, "%Y%m%d")
        if self.kind == ExportKind.REPORT_ROWS and self.reporting_year:
            return f"年度绩效明细_{self.plan.code}_{self.reporting_year.year}_{stamp}.xlsx"
        return f"全国承接明细_{self.plan.code}_{stamp}.xlsx"

    def filters_label(self, province_names: dict[str, str] | None = None) -> str:
        """The filters in words: 全国 · 全部类型 · 全部状态. A list of jobs passes the
        provinces' names so it need not look each one up."""
        from schools.choices import SchoolKind
        from schools.models import Province
        from tasks.choices import SchoolStatus

        filters = self.filters or {}
        province = filters.get("province")
        kind = filters.get("kind")
        status = filters.get("status")
        if province and province_names is None:
            province_names = dict(
                Province.objects.filter(code=province).values_list("code", "name")
            )
        return " · ".join(
            [
                (province_names or {}).get(province, province) if province else "全国",
                SchoolKind(kind).label if kind else "全部类型",
                SchoolStatus(status).label if status else "全部状态",
            ]
        )

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_done(self) -> bool:
        return self.status == ExportStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ExportStatus.FAILED

    @property
    def is_commitments(self) -> bool:
        return self.kind == ExportKind.COMMITMENTS

    @property
    def is_pending(self) -> bool:
        return self.status == ExportStatus.PENDING

    @property
    def is_running(self) -> bool:
        return self.status == ExportStatus.RUNNING

    @property
    def is_unresponsive(self) -> bool:
        """Running, but silent for longer than JOB_HEARTBEAT_TIMEOUT: its worker has died. The
        next `manage.py tick` re-queues or fails it, so the page says so instead of 生成中."""
        return self.is_running and timezone.now() - self.updated_at > timedelta(
            seconds=settings.JOB_HEARTBEAT_TIMEOUT
        )

    @property
    def waited_minutes(self) -> int:
        """Whole minutes since the job was queued (a pending job's row does not change)."""
        return int((timezone.now() - self.updated_at) / timedelta(minutes=1))

    @property
    def is_waiting_long(self) -> bool:
        """Pending for a while: not a failure (the queue may be busy), but worth saying."""
        return self.is_pending and timezone.now() - self.updated_at >= QUEUE_WARNING

    @property
    def status_label(self) -> str:
        return "无响应" if self.is_unresponsive else self.get_status_display()

    # -- starting, running and recovering (the worker's side is review.jobs) ------------------

    @classmethod
    def request(
        cls,
        *,
        plan: Plan,
        requested_by: "User",
        kind: str = ExportKind.COMMITMENTS,
        reporting_year: ReportingYear | None = None,
        filters: dict[str, str] | None = None,
    ) -> "ExportJob":
        """A new job, queued for a worker. The row and its queue entry commit together."""
        with transaction.atomic():
            job = cls.objects.create(
                kind=kind,
                plan=plan,
                reporting_year=reporting_year,
                filters=filters or {},
                requested_by=requested_by,
            )
            job.enqueue()
        return job

    request.alters_data = True  # type: ignore[attr-defined]

    def enqueue(self) -> None:
        from review.jobs import build_export
        from tizhi.jobs import enqueue

        enqueue(build_export, self.pk)

    enqueue.alters_data = True  # type: ignore[attr-defined]

    def run(self) -> None:
        """Build the file: the body of review.jobs.build_export. Idempotent: only a PENDING job
        is run, so a second delivery of the task, or a run of a finished or failed job, does
        nothing; a job re-queued after its worker died is written again from the start."""
        if not self._claim():
            logger.info("export %s is %s: nothing to do", self.pk, self.status)
            return
        try:
            name = self._write()
        except Superseded:
            logger.warning("export %s attempt %s was taken over; stopped", self.pk, self.attempts)
            return
        except Exception as exc:  # the page reports it; the log has the traceback
            logger.exception("export %s failed", self.pk)
            self._end(
                ExportStatus.FAILED,
                error=clean_text(str(exc) or type(exc).__name__, multiline=True)[:500],
            )
            return
        if not self._end(ExportStatus.DONE, filename=name, finished_at=timezone.now()):
            # Taken over while the file was being stored: the newer run publishes its own.
            self.storage.delete(name)

    run.alters_data = True  # type: ignore[attr-defined]

    def recover(self, *, max_attempts: int, stale_before: datetime) -> bool:
        """A RUNNING job whose worker stopped reporting before `stale_before`: queue it again,
        or, after `max_attempts` runs, fail it with a message for the user. A conditional UPDATE
        decides, so when several servers recover at once exactly one of them acts. True if
        this call changed the job."""
        still_stalled = ExportJob.objects.filter(
            pk=self.pk,
            status=ExportStatus.RUNNING,
            attempts=self.attempts,
            updated_at__lt=stale_before,
        )
        now = timezone.now()
        if self.attempts >= max_attempts:
            # The page reads "导出失败：<error>。请重新生成…".
            message = f"后台处理程序已停止，导出中断，已尝试{self.attempts}次仍未完成"
            return bool(
                still_stalled.update(status=ExportStatus.FAILED, error=message, updated_at=now)
            )
        with transaction.atomic():
            if not still_stalled.update(status=ExportStatus.PENDING, rows_done=0, updated_at=now):
                return False
            self.enqueue()
        logger.warning("export %s stalled in attempt %s; queued again", self.pk, self.attempts)
        return True

    recover.alters_data = True  # type: ignore[attr-defined]

    def progress(self, done: int, *, force: bool = False) -> None:
        """Rows written so far, and the heartbeat: at most every PROGRESS_SECONDS unless
        forced. Raises Superseded once this run no longer holds the job."""
        now = time.monotonic()
        if not force and now - self._last_report < PROGRESS_SECONDS:
            return
        self._last_report = now
        self._update_own(rows_done=done)

    progress.alters_data = True  # type: ignore[attr-defined]

    def set_total(self, total: int) -> None:
        self.rows_total = total
        self._update_own(rows_total=total)

    set_total.alters_data = True  # type: ignore[attr-defined]

    @property
    def storage(self) -> Storage:
        return storages["exports"]

    def open_file(self) -> Any:
        """The finished file, opened for reading from the exports storage; FileNotFoundError
        if it was removed."""
        if not self.filename or not self.storage.exists(self.filename):
            raise FileNotFoundError(self.filename)
        return self.storage.open(self.filename, "rb")

    def _claim(self) -> bool:
        """PENDING → RUNNING for one more attempt; False if the job is anything else."""
        claimed = ExportJob.objects.filter(pk=self.pk, status=ExportStatus.PENDING).update(
            status=ExportStatus.RUNNING,
            attempts=F("attempts") + 1,
            rows_done=0,
            error="",
            updated_at=timezone.now(),
        )
        self.refresh_from_db()
        return bool(claimed)

    def _own(self) -> models.QuerySet["ExportJob"]:
        return ExportJob.objects.filter(
            pk=self.pk, status=ExportStatus.RUNNING, attempts=self.attempts
        )

    def _update_own(self, **values: Any) -> None:
        if not self._own().update(**values, updated_at=timezone.now()):
            raise Superseded(self.pk)

    def _end(self, status: str, **values: Any) -> bool:
        return bool(self._own().update(status=status, updated_at=timezone.now(), **values))

    def _write(self) -> str:
        """Write the workbook into a local temporary file, then store it under a name of this
        attempt's own. Nothing points at that name until the job is marked DONE, so a reader
        sees either no file or a whole one, on any storage backend; a rerun starts afresh."""
        from review.exports import write_national_detail, write_report_rows

        for earlier in range(1, self.attempts):  # what an interrupted run left behind
            self.storage.delete(self._storage_name(earlier))
        writer = write_report_rows if self.kind == ExportKind.REPORT_ROWS else write_national_detail
        with tempfile.TemporaryDirectory(prefix="tizhi-export-") as folder:
            path = Path(folder) / "export.xlsx"
            writer(self, path)
            self.progress(self.rows_total, force=True)
            with path.open("rb") as stream:
                return self.storage.save(self._storage_name(self.attempts), File(stream))

    def _storage_name(self, attempt: int) -> str:
        return f"{self.kind}-{self.pk}-{attempt}.xlsx"


class Superseded(Exception):
    """This run no longer holds its job: it was taken for dead and the job re-queued."""
