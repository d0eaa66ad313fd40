"""Issue 7 in a real browser: a school reports on its approved items and uploads its annual
report; the province evaluates it; the ministry's exports show it."""

import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tasks.choices import Grade, ReportStatus
from tasks.models import ReportingYear, UnitReport
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import PDF

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_report_evaluate_export(live_server, browser, reference_data, tmp_path, js):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = school_in_state(round_.province, round_, "approved", admin, name="山西绩效测试学院")
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    report_file = tmp_path / "2021年度工作报告.pdf"
    report_file.write_bytes(PDF)

    def tab():
        context = browser.new_context(java_script_enabled=js, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(10_000)
        return context.new_page()

    # The school.
    page = tab()
    sign_in(page, live_server, school.account.username, PASSWORD)
    page.get_by_role("link", name="年度绩效").click()
    page.get_by_role("link", name="2021年度绩效").click()
    expect(page.get_by_role("heading", name="2021年度绩效填报")).to_be_visible()
    page.get_by_label("年度工作报告文件").set_input_files(str(report_file))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("已上传“2021年度工作报告.pdf”。")).to_be_visible()
    for code in ("1", "3.2"):
        page.get_by_label(f"{code} 进展").select_option("in_progress")
        for source in ("学校自筹", "行业企业投入", "举办方投入", "地市县投入"):
            page.get_by_label(f"{code} {source}（本年实际）", exact=True).fill("1")
        page.get_by_label(f"{code} 情况说明").fill(f"{code}已按计划推进")
    page.get_by_label("3.2 本年完成数量").fill("1")
    page.get_by_role("button", name="提交").first.click()
    expect(page.get_by_text("年度绩效已提交，等待省级评价。")).to_be_visible()
    report = UnitReport.objects.get(school=school, reporting_year=year)
    assert report.status == ReportStatus.SUBMITTED

    # The province.
    page = tab()
    sign_in(page, live_server, admin.username, PASSWORD, entry="省级管理员")
    page.get_by_role("link", name="年度绩效").click()
    page.get_by_role("link", name="2021年度 查看与评价").click()
    page.get_by_role("link", name="查看和评价 山西绩效测试学院").click()
    expect(page.get_by_text("3.2已按计划推进")).to_be_visible()
    page.get_by_label("良好").check()
    page.get_by_role("textbox", name="评价意见*").fill("按计划推进，佐证充分")
    page.get_by_role("button", name="评价", exact=True).click()
    expect(page.get_by_text("的年度绩效：良好。")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.grade) == (ReportStatus.EVALUATED, Grade.GOOD)

    # The ministry.
    page = tab()
    sign_in(page, live_server, MinistryUserFactory().username, PASSWORD, entry="教育部")
    page.get_by_role("link", name="年度绩效").click()
    page.get_by_role("link", name=re.compile("2021年度 进度与导出")).click()
    expect(page.get_by_role("row", name=re.compile("^山西省"))).to_contain_text("1")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出计划与完成对比（Excel）").click()
    with open(info.value.path(), "rb") as stream:
        national = load_workbook(stream)["全国（按任务）"]
    rows = {r[0]: r for r in national.iter_rows(min_row=2, values_only=True)}
    assert rows["3.2"][2:7] == (1, 2, 1, 10, 4)

    page.get_by_role("button", name="生成各单位填报明细").click()
    expect(page.get_by_text("已完成，共 2 行。")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel 文件").click()
    with open(info.value.path(), "rb") as stream:
        detail = load_workbook(stream).active
    lines = {r[6]: r for r in detail.iter_rows(min_row=2, values_only=True)}
    assert lines["3.2"][4:6] == ("已评价", "良好")
    assert lines["3.2"][20] == "3.2已按计划推进"
