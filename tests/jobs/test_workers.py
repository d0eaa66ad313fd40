"""Exports on real queues: a `db_worker` or `rqworker` process builds them, the web server can
restart under a queued export, and a worker killed mid-export ends in a retry or a failure,
never in a job left 生成中."""

import http.client
import io
import os
import re
import signal
import urllib.parse

import pytest
from django.core.files.storage import storages
from django.test import Client
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from review.exports import DETAIL_HEADERS
from review.jobs import build_export, recover_stalled_exports
from review.models import ExportJob, ExportStatus
from tasks.models import Plan
from tests.factories import MinistryUserFactory
from tests.jobs.conftest import free_port, poll
from tests.review.helpers import build_submitted
from tizhi.jobs import enqueue
from tizhi.lib.xlsx import HEADER_ROW

pytestmark = pytest.mark.django_db(transaction=True)


def request_export(**filters):
    return ExportJob.request(
        plan=Plan.objects.get(code="tzpy-2020"),
        requested_by=MinistryUserFactory(),
        filters=filters,
    )


def finished(job: ExportJob) -> ExportJob | None:
    job.refresh_from_db()
    return job if job.status in {ExportStatus.DONE, ExportStatus.FAILED} else None


def stored_rows(job: ExportJob) -> list[tuple]:
    with job.open_file() as stream:
        return list(
            load_workbook(io.BytesIO(stream.read())).active.iter_rows(
                min_row=HEADER_ROW, values_only=True
            )
        )


def test_a_database_queue_worker_builds_the_export_once(shanxi, database_queue, processes):
    job = request_export(province="14")
    task = DBTaskResult.objects.get()
    assert (job.status, task.args_kwargs["args"]) == (ExportStatus.PENDING, [job.pk])

    processes.db_worker()
    poll(lambda: finished(job), what="the export", logs=processes.logs())
    assert (job.status, job.rows_total, job.rows_done, job.attempts) == (
        ExportStatus.DONE,
        6,
        6,
        1,
    ), job.error
    rows = stored_rows(job)
    assert list(rows[0]) == DETAIL_HEADERS
    assert len(rows) == 7 and {r[0] for r in rows[1:]} == {"山西省"}
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"

    # The same task delivered a second time (a queue may do that) finds the job done and
    # leaves it, and its file, alone.
    enqueue(build_export, job.pk)
    again = DBTaskResult.objects.exclude(pk=task.pk).get()
    poll(
        lambda: DBTaskResult.objects.filter(pk=again.pk, status="SUCCESSFUL").exists(),
        what="the second delivery",
        logs=processes.logs(),
    )
    done_at, filename = job.updated_at, job.filename
    job.refresh_from_db()
    assert (job.attempts, job.updated_at, job.filename) == (1, done_at, filename)
    assert storages["exports"].listdir("")[1] == [filename]


@pytest.fixture
def redis_queue(settings):
    """This process enqueues onto RQ, in the test settings' own Redis database (flushed before
    and after). Skipped without Redis, unless TIZHI_REQUIRE_REDIS=1 (CI)."""
    import redis

    connection = redis.Redis.from_url(settings.REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {settings.REDIS_URL}"
        if os.environ.get("TIZHI_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    connection.flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield connection
    connection.flushdb()


def test_an_rq_worker_builds_the_export(shanxi, redis_queue, processes):
    job = request_export(province="14")
    assert job.status == ExportStatus.PENDING
    assert redis_queue.llen("rq:queue:default") == 1  # queued once the row was committed

    processes.rq_worker()
    poll(lambda: finished(job), what="the export", logs=processes.logs())
    assert (job.status, job.rows_total, job.attempts) == (ExportStatus.DONE, 6, 1), job.error
    assert len(stored_rows(job)) == 7


# -- the web server restarts ------------------------------------------------------------------


class Browser:
    """A signed-in user's HTTP requests to a real server: the session cookie, and the CSRF
    cookie and token a form needs."""

    def __init__(self, port: int, session: str) -> None:
        self.port = port
        self.cookies = {"sessionid": session}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";")[0].split("=", 1)
            self.cookies[name] = value
        connection.close()
        return response, content

    def page(self, path: str) -> str:
        response, content = self.request("GET", path)
        assert response.status == 200, (path, response.status)
        return content.decode()


def test_an_export_finishes_while_the_web_server_restarts(shanxi, database_queue, processes):
    ministry = MinistryUserFactory()
    signed_in = Client()
    signed_in.force_login(ministry)  # a session row the server processes can read
    port = free_port()
    server = processes.web_server(port)
    browser = Browser(port, signed_in.cookies["sessionid"].value)

    form = browser.page("/ministry/exports/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    response, _ = browser.request(
        "POST",
        "/ministry/exports/",
        {"csrfmiddlewaretoken": token.group(1), "plan": "tzpy-2020", "province": "14"},
    )
    assert response.status == 302, processes.logs()
    job_page = response.headers["Location"]
    job = ExportJob.objects.get()
    assert job_page == f"/ministry/exports/{job.pk}/"
    assert "排队中" in browser.page(job_page)

    # The server that took the request goes away with the job still queued: no thread of its
    # held the job, so nothing is lost.
    processes.kill(server)
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING

    processes.db_worker()
    processes.web_server(port)

    def done_page() -> str | None:
        # A server that has just started may reset a connection while its worker boots (CI saw
        # it once on a loaded machine); a browser would load the page again, and so does this.
        # A server that keeps failing still ends the poll with the servers' logs.
        try:
            html = browser.page(job_page)
        except (ConnectionError, http.client.HTTPException):
            return None
        return html if "已完成，共 6 行" in html else None

    html = poll(done_page, what="the progress page to say done", logs=processes.logs())
    assert "下载 Excel 文件" in html
    response, content = browser.request("GET", f"{job_page}download/")
    assert response.status == 200
    rows = list(
        load_workbook(io.BytesIO(content)).active.iter_rows(min_row=HEADER_ROW, values_only=True)
    )
    assert list(rows[0]) == DETAIL_HEADERS and len(rows) == 7
    assert {r[0] for r in rows[1:]} == {"山西省"}


# -- a worker is killed -----------------------------------------------------------------------


def kill_worker_mid_export(processes) -> ExportJob:
    """Start a worker on a 10,000-row export and SIGKILL it half-way: once it has reported its
    first 1,000 rows (the row then says RUNNING with rows to go) it is stopped at once, the row
    is checked, and it is killed. Returns the job, as the dead worker left it."""
    build_submitted(500, items_each=20)
    job = request_export()
    worker = processes.db_worker()

    def writing() -> bool:
        job.refresh_from_db()
        return job.status == ExportStatus.RUNNING and job.rows_done > 0

    poll(writing, what="the worker to report progress", logs=processes.logs())
    os.killpg(worker.pid, signal.SIGSTOP)  # frozen where it is; the kill follows
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and 0 < job.rows_done < job.rows_total == 10000, (
        "the export ended before the worker could be stopped; give it more rows"
    )
    processes.kill(worker)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.filename) == (ExportStatus.RUNNING, 1, "")
    return job


def test_a_job_whose_worker_is_killed_is_retried_and_finishes(
    reference_data, database_queue, processes, settings
):
    job = kill_worker_mid_export(processes)

    settings.JOB_HEARTBEAT_TIMEOUT = 0  # its heartbeat is already too old
    assert recover_stalled_exports() == 1
    assert recover_stalled_exports() == 0  # a second scheduler, or the next tick: nothing
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportStatus.PENDING, 1)

    processes.db_worker()
    poll(lambda: finished(job), what="the retried export", logs=processes.logs())
    assert (job.status, job.attempts, job.rows_done) == (ExportStatus.DONE, 2, 10000), job.error
    assert job.filename == f"commitments-{job.pk}-2.xlsx"
    assert len(stored_rows(job)) == 10001
    assert storages["exports"].listdir("")[1] == [job.filename]


def test_a_job_whose_worker_is_killed_too_often_fails_and_says_so(
    reference_data, database_queue, processes, settings
):
    settings.EXPORT_MAX_ATTEMPTS = 1
    job = kill_worker_mid_export(processes)
    client = Client()
    client.force_login(job.requested_by)
    settings.JOB_HEARTBEAT_TIMEOUT = 3600
    assert "生成中" in client.get(f"/ministry/exports/{job.pk}/").content.decode()

    settings.JOB_HEARTBEAT_TIMEOUT = 0
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "生成中" not in html and "没有响应" in html  # before the scheduler has run
    assert recover_stalled_exports() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportStatus.FAILED, 1)
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "导出失败：后台处理程序已停止，导出中断，已尝试1次仍未完成。" in html
    assert "生成中" not in html and "刷新" not in html
    assert "失败" in client.get("/ministry/exports/").content.decode()
