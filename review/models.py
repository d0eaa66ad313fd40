import logging
import threading
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, models, transaction
from django.utils import timezone

from tasks.models import Plan
from tasks.transitions import beijing_time
from tizhi.lib.text import clean_text

STALE_AFTER = timedelta(minutes=2)
logger = logging.getLogger(__name__)


class ExportKind(models.TextChoices):
    COMMITMENTS = "commitments", "全国承接明细"
    REPORT_ROWS = "report_rows", "年度绩效明细"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportJob(models.Model):
    """A national export built outside the request, so no proxy or worker timeout cuts it off;
    its page shows how far along it is and offers the file when done."""

    kind = models.CharField(
        "内容", max_length=16, choices=ExportKind.choices, default=ExportKind.COMMITMENTS
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, verbose_name="行动计划")
    reporting_year = models.ForeignKey(
        "tasks.ReportingYear",
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
    filename = models.CharField("文件名", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"

    def __str__(self) -> str:
        return f"{self.plan} {self.get_status_display()}"

    @property
    def path(self) -> Path:
        return Path(settings.EXPORT_ROOT) / f"{self.kind}-{self.pk}.xlsx"

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
    def is_stale(self) -> bool:
        """A running job that stopped reporting progress: its worker was restarted."""
        return self.status in {ExportStatus.PENDING, ExportStatus.RUNNING} and (
            timezone.now() - self.updated_at > STALE_AFTER
        )

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
    def is_active(self) -> bool:
        return self.status in {ExportStatus.PENDING, ExportStatus.RUNNING} and not self.is_stale

    def start(self) -> None:
        """Run the job: in a thread once this transaction commits, or right here when
        EXPORTS_IN_BACKGROUND is off (the test suite)."""
        if settings.EXPORTS_IN_BACKGROUND:
            transaction.on_commit(
                lambda: threading.Thread(target=_run, args=(self.pk,), daemon=True).start()
            )
        else:
            _run(self.pk)

    def progress(self, done: int) -> None:
        ExportJob.objects.filter(pk=self.pk).update(rows_done=done, updated_at=timezone.now())


def _run(pk: int) -> None:
    from review.exports import write_national_detail, write_report_rows

    if settings.EXPORTS_IN_BACKGROUND:
        close_old_connections()  # a fresh connection for this thread
    job = ExportJob.objects.get(pk=pk)
    try:
        job.path.parent.mkdir(parents=True, exist_ok=True)
        ExportJob.objects.filter(pk=pk).update(status=ExportStatus.RUNNING)
        if job.kind == ExportKind.REPORT_ROWS:
            write_report_rows(job)
        else:
            write_national_detail(job)
        ExportJob.objects.filter(pk=pk).update(
            status=ExportStatus.DONE, finished_at=timezone.now(), updated_at=timezone.now()
        )
    except Exception as exc:  # the page reports it; the log has the traceback
        logger.exception("export %s failed", pk)
        ExportJob.objects.filter(pk=pk).update(
            status=ExportStatus.FAILED,
            error=clean_text(str(exc), multiline=True)[:500],
            updated_at=timezone.now(),
        )
    finally:
        if settings.EXPORTS_IN_BACKGROUND:
            close_old_connections()
