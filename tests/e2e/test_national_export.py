"""The ministry exports the country's commitments: the job runs in a background thread, the page
follows its progress by refreshing itself, and the file downloads."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from review.models import ExportJob, ExportStatus
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MinistryUserFactory
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db(transaction=True)


def test_background_export_with_progress_and_download(
    live_server, page, reference_data, settings, tmp_path
):
    settings.EXPORTS_IN_BACKGROUND = True
    settings.EXPORT_ROOT = tmp_path
    round_ = open_round_for("14")
    from tests.factories import ProvinceAdminFactory

    admin = ProvinceAdminFactory(province=round_.province)
    for state in ("approved", "returned", "submitted"):
        school_in_state(round_.province, round_, state, admin)
    ministry = MinistryUserFactory()

    sign_in(page, live_server, ministry.username, PASSWORD, entry="教育部")
    page.get_by_role("link", name="全国承接明细导出").click()
    page.get_by_label("省份").select_option(label="山西省")
    page.get_by_role("button", name="生成导出文件").click()
    expect(page).to_have_url(re.compile(r"/ministry/exports/\d+/$"))
    expect(page.get_by_text("已完成，共 6 行。")).to_be_visible(timeout=20_000)

    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.rows_done == 6
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel 文件").click()
    download = info.value
    assert download.suggested_filename.startswith("全国承接明细_tzpy-2020_")
    with open(download.path(), "rb") as stream:  # the saved download has no .xlsx suffix
        ws = load_workbook(stream).active
    assert ws.max_row == 7 and ws["A2"].value == "山西省"
