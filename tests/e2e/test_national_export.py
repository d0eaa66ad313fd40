"""The ministry exports the country's commitments: the job waits on the database queue, the page
says so and offers 刷新 (no meta refresh; with JavaScript the page follows the job by itself), a
worker builds the file, and it downloads."""

import re
import signal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from review.models import ExportJob, ExportStatus
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db(transaction=True)


def run_queued_jobs() -> None:
    """What a worker does, here in the test's process: run every queued job, then stop."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_export_on_the_queue_with_progress_page_and_download(
    live_server, page, request, reference_data, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    for state in ("approved", "returned", "submitted"):
        school_in_state(round_.province, round_, state, admin)
    ministry = MinistryUserFactory()

    sign_in(page, live_server, ministry.username, PASSWORD, entry="教育部")
    page.get_by_role("link", name="全国承接明细导出").click()
    page.get_by_label("省份").select_option(label="山西省")
    page.get_by_role("button", name="生成导出文件").click()
    expect(page).to_have_url(re.compile(r"/ministry/exports/\d+/$"))
    expect(page.get_by_text("排队中：等待后台处理程序开始生成。")).to_be_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0

    run_queued_jobs()
    job = ExportJob.objects.get()
    assert (job.status, job.rows_done, job.attempts) == (ExportStatus.DONE, 6, 1)

    if request.node.callspec.params["page"]:
        # static/js/poll.js fetches the page every 5 seconds and swaps in the new state.
        # The region is swapped in place, and a hidden live region reads the new status.
        expect(page.locator("#export-job").get_by_text("已完成，共 6 行。")).to_be_visible(
            timeout=15_000
        )
        expect(page.get_by_role("status").filter(has_text="已完成，共 6 行。")).to_have_count(2)
    else:
        page.get_by_role("link", name="刷新").click()
    expect(page.get_by_role("link", name="刷新")).to_have_count(0)
    expect(page.locator("#export-job").get_by_text("已完成，共 6 行。")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel 文件").click()
    download = info.value
    assert download.suggested_filename.startswith("全国承接明细_tzpy-2020_")
    with open(download.path(), "rb") as stream:  # the saved download has no .xlsx suffix
        ws = load_workbook(stream).active
    assert ws.max_row == 9 and ws["A4"].value == "山西省"  # title, 口径, header, 6 rows
