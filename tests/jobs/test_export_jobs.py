"""An export job's life on the queue, with jobs run inline (the test settings' immediate
backend) or left queued: idempotent runs, recovery after a dead worker, the heartbeat, and what
the progress page says in each state."""

import importlib
import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from review.jobs import build_export, recover_stalled_exports
from review.models import ExportJob, ExportKind, ExportStatus
from tasks.models import Plan
from tests.review.helpers import build_submitted
from tizhi.lib.xlsx import HEADER_ROW

pytestmark = pytest.mark.django_db


def new_job(user, **fields) -> ExportJob:
    """A job row as the queue or a dead worker leaves it; `age` backdates its heartbeat."""
    age = fields.pop("age", None)
    plan = (
        Plan.objects.filter(code="tzpy-2020").first()
        or Plan.objects.get_or_create(
            code="p", defaults={"name": "计划", "start_year": 2020, "end_year": 2023}
        )[0]
    )
    job = ExportJob.objects.create(plan=plan, requested_by=user, **fields)
    if age is not None:
        ExportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - age)
        job.refresh_from_db()
    return job


def exported_files() -> list[str]:
    """Every file in the exports storage."""
    try:
        return sorted(storages["exports"].listdir("")[1])
    except FileNotFoundError:  # nothing was ever stored
        return []


def rows_of(job: ExportJob) -> list[tuple]:
    with job.open_file() as stream:
        return list(
            load_workbook(io.BytesIO(stream.read())).active.iter_rows(
                min_row=HEADER_ROW, values_only=True
            )
        )


@pytest.fixture
def client(client, ministry_user):
    client.force_login(ministry_user)
    return client


# -- runs are idempotent ----------------------------------------------------------------------


def test_a_second_run_of_a_finished_job_does_nothing(shanxi, ministry_user):
    job = ExportJob.request(plan=Plan.objects.get(code="tzpy-2020"), requested_by=ministry_user)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.filename) == (
        ExportStatus.DONE,
        1,
        f"commitments-{job.pk}-1.xlsx",
    )
    before = (job.updated_at, job.finished_at, job.filename)

    build_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportStatus.DONE, 1)
    assert (job.updated_at, job.finished_at, job.filename) == before
    assert exported_files() == [job.filename]


@pytest.mark.parametrize("status", [ExportStatus.FAILED, ExportStatus.RUNNING])
def test_a_job_that_is_not_pending_is_not_run(shanxi, ministry_user, status):
    """Failed is final; running means another worker holds it (until the recovery decides)."""
    job = new_job(ministry_user, status=status, attempts=1, error="原因")
    build_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error, job.filename) == (status, 1, "原因", "")
    assert exported_files() == []


def test_a_deleted_job_is_nothing_to_do(ministry_user):
    job = new_job(ministry_user)
    pk = job.pk
    job.delete()
    build_export.call(pk)  # no error


def test_a_rerun_after_an_interrupted_run_writes_the_file_afresh(shanxi, ministry_user):
    job = new_job(
        ministry_user,
        status=ExportStatus.RUNNING,
        attempts=1,
        rows_total=6,
        rows_done=3,
        age=timedelta(minutes=10),
    )
    # What the killed run left: half a file under its attempt's name (never the job's file).
    storages["exports"].save(f"commitments-{job.pk}-1.xlsx", ContentFile(b"PK\x03\x04half"))

    assert recover_stalled_exports() == 1  # re-queued, and run at once by the test backend
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == (ExportStatus.DONE, 2, 6)
    assert exported_files() == [f"commitments-{job.pk}-2.xlsx"] == [job.filename]
    assert len(rows_of(job)) == 7


def test_a_run_overtaken_by_a_retry_stops_and_leaves_the_job_to_it(
    shanxi, ministry_user, monkeypatch
):
    """A worker taken for dead that wakes up again must not report, finish or fail the job
    its replacement now holds, nor leave its file behind."""
    job = new_job(ministry_user)
    storage = storages["exports"]
    save = storage.save

    def save_then_overtaken(name, content, **kwargs):
        stored = save(name, content, **kwargs)
        # Meanwhile the recovery re-queued the job and another worker claimed it.
        ExportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
        return stored

    monkeypatch.setattr(storage, "save", save_then_overtaken)
    job.run()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.filename, job.error) == (
        ExportStatus.RUNNING,
        2,
        "",
        "",
    )
    assert exported_files() == []


def test_a_run_overtaken_while_writing_stops_at_its_next_report(shanxi, ministry_user, monkeypatch):
    from review import exports

    write = exports.write_national_detail

    def overtaken_then_write(job, target):
        ExportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
        write(job, target)

    monkeypatch.setattr(exports, "write_national_detail", overtaken_then_write)
    job = new_job(ministry_user)
    job.run()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_total, job.error) == (
        ExportStatus.RUNNING,
        2,
        0,
        "",
    )
    assert exported_files() == []


# -- the heartbeat ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "reports"),
    [
        # The clock allows every look: one report per 1,000 rows, and the total at the end.
        (0, [1000, 2000, 2500]),
        # The first report at once, then none within the interval, but the total always.
        (3600, [1000, 2500]),
    ],
)
def test_the_writer_reports_progress_every_thousand_rows_at_most(
    reference_data, ministry_user, monkeypatch, seconds, reports
):
    build_submitted(125, items_each=20)  # 2,500 rows
    monkeypatch.setattr("review.models.PROGRESS_SECONDS", seconds)
    written = []
    update = ExportJob._update_own

    def recording(self, **values):
        if "rows_done" in values:
            written.append(values["rows_done"])
        update(self, **values)

    monkeypatch.setattr(ExportJob, "_update_own", recording)
    job = new_job(ministry_user)
    job.run()
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (ExportStatus.DONE, 2500, 2500)
    assert written == reports


# -- recovery ---------------------------------------------------------------------------------


def test_recovery_leaves_live_and_queued_jobs_alone(ministry_user, database_queue, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 120
    live = new_job(
        ministry_user, status=ExportStatus.RUNNING, attempts=1, age=timedelta(seconds=60)
    )
    queued = new_job(ministry_user, age=timedelta(hours=2))  # a busy queue is not a failure
    done = new_job(ministry_user, status=ExportStatus.DONE, attempts=1, age=timedelta(days=1))

    assert recover_stalled_exports() == 0
    for job, status in [
        (live, ExportStatus.RUNNING),
        (queued, ExportStatus.PENDING),
        (done, ExportStatus.DONE),
    ]:
        before = job.updated_at
        job.refresh_from_db()
        assert (job.status, job.updated_at) == (status, before)
    assert not DBTaskResult.objects.exists()


def test_recovery_queues_a_stalled_job_again(ministry_user, database_queue, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 120
    job = new_job(
        ministry_user,
        status=ExportStatus.RUNNING,
        attempts=2,
        rows_done=5000,
        age=timedelta(seconds=121),
    )
    assert recover_stalled_exports() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == (ExportStatus.PENDING, 2, 0)
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == ("review.jobs.build_export", [job.pk])


def test_recovery_acts_once_when_two_schedulers_find_the_same_job(ministry_user, database_queue):
    job = new_job(ministry_user, status=ExportStatus.RUNNING, attempts=1, age=timedelta(hours=1))
    # Two servers' ticks both read the job before either acts.
    first, second = ExportJob.objects.get(pk=job.pk), ExportJob.objects.get(pk=job.pk)
    stale_before = timezone.now() - timedelta(minutes=2)
    assert first.recover(max_attempts=3, stale_before=stale_before) is True
    assert second.recover(max_attempts=3, stale_before=stale_before) is False
    assert DBTaskResult.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING


def test_recovery_spares_a_job_that_reported_after_it_was_found(ministry_user, database_queue):
    job = new_job(ministry_user, status=ExportStatus.RUNNING, attempts=1, age=timedelta(hours=1))
    found = ExportJob.objects.get(pk=job.pk)
    stale_before = timezone.now() - timedelta(minutes=2)
    job.progress(10, force=True)  # the worker was only slow: its heartbeat arrives now
    assert found.recover(max_attempts=3, stale_before=stale_before) is False
    assert found.recover(max_attempts=1, stale_before=stale_before) is False
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ExportStatus.RUNNING, 10)
    assert not DBTaskResult.objects.exists()


def test_recovery_fails_a_job_after_its_last_attempt(client, ministry_user, settings):
    settings.EXPORT_MAX_ATTEMPTS = 3
    job = new_job(ministry_user, status=ExportStatus.RUNNING, attempts=3, age=timedelta(hours=1))
    assert recover_stalled_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "后台处理程序已停止，导出中断，已尝试3次仍未完成"
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "导出失败：后台处理程序已停止，导出中断，已尝试3次仍未完成。请" in html
    assert "生成中" not in html and "刷新" not in html
    assert recover_stalled_exports() == 0


# -- what the pages say -----------------------------------------------------------------------


def test_a_queued_job_says_so_and_offers_a_refresh_link(client, ministry_user):
    job = new_job(ministry_user)
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "排队中：等待后台处理程序开始生成。" in html
    assert f'href="/ministry/exports/{job.pk}/">刷新</a>' in html
    assert 'http-equiv="refresh"' not in html and "已等待" not in html


def test_a_job_queued_for_long_says_the_queue_is_busy_or_no_worker_runs(client, ministry_user):
    job = new_job(ministry_user, age=timedelta(minutes=10, seconds=5))
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "排队中，已等待 10 分钟。" in html
    assert "请联系系统管理员确认后台处理程序正在运行" in html
    assert "失败" not in html and "中断" not in html and "刷新</a>" in html
    assert "<td>排队中</td>" in client.get("/ministry/exports/").content.decode()


def test_a_job_queued_again_after_an_interruption_says_so(client, ministry_user):
    job = new_job(ministry_user, attempts=1)
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "上次生成中断，已重新排队（第 2 次尝试）。" in html


def test_a_silent_running_job_is_not_shown_as_running(client, ministry_user, settings):
    settings.JOB_HEARTBEAT_TIMEOUT = 120
    job = new_job(
        ministry_user,
        status=ExportStatus.RUNNING,
        attempts=1,
        rows_total=10,
        rows_done=5,
        age=timedelta(minutes=3),
    )
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "后台处理程序已超过 2 分钟没有响应" in html and "最多尝试 3 次" in html
    assert "生成中" not in html and "刷新</a>" in html
    listing = client.get("/ministry/exports/").content.decode()
    assert "<td>无响应</td>" in listing and "<td>生成中</td>" not in listing


def test_a_done_job_whose_file_is_gone_is_a_404(client, ministry_user):
    job = new_job(
        ministry_user, status=ExportStatus.DONE, attempts=1, filename="commitments-1-1.xlsx"
    )
    response = client.get(f"/ministry/exports/{job.pk}/download/")
    assert response.status_code == 404


# -- the jobs the old background threads left -------------------------------------------------


def test_the_migration_settles_the_jobs_of_the_old_threads(client, ministry_user):
    done = new_job(ministry_user, status=ExportStatus.DONE, kind=ExportKind.REPORT_ROWS)
    storages["exports"].save(f"report_rows-{done.pk}.xlsx", ContentFile(b"workbook"))
    pending = new_job(ministry_user)
    running = new_job(ministry_user, status=ExportStatus.RUNNING)

    migration = importlib.import_module("review.migrations.0004_export_attempts")
    migration.settle_thread_jobs(apps, None)
    migration.settle_thread_jobs(apps, None)  # and again, as a rerun would

    done.refresh_from_db()
    assert done.filename == f"report_rows-{done.pk}.xlsx"
    download = client.get(f"/ministry/exports/{done.pk}/download/")
    assert b"".join(download.streaming_content) == b"workbook"
    for job in (pending, running):
        job.refresh_from_db()
        assert (job.status, job.error) == (ExportStatus.FAILED, "系统升级，导出中断")
