"""年度绩效 for the province and the ministry: progress, evaluation, summary reports, the exports
with figures worked out by hand."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from review.models import ExportJob, ExportStatus
from schools.models import Province
from tasks.choices import Grade, ReportStatus
from tasks.models import (
    Declaration,
    Plan,
    ProvinceDeadline,
    ProvinceSummaryReport,
    ReportingYear,
    Task,
    UnitReport,
)
from tasks.models.reporting import RowFigures
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import EXECUTABLE, PDF

pytestmark = pytest.mark.django_db


def rows_for(school, quantity, amounts):
    spent = dict(
        zip(
            (
                "spent_school_funds",
                "spent_industry_funds",
                "spent_sponsor_funds",
                "spent_local_funds",
            ),
            (Decimal(a) for a in amounts),
            strict=True,
        )
    )
    out = {}
    for c in Declaration.objects.get(school=school).commitments.filter(review_status="approved"):
        out[c.pk] = RowFigures(
            progress="in_progress",
            narrative="按计划推进",
            quantity=quantity if c.item.has_quantity else None,
            **spent,
        )
    return out


def hand_in(school, year, quantity, amounts):
    report = UnitReport.for_school(school, year)
    report.attach_annual_report(by=school.account, upload=SimpleUploadedFile("年报.pdf", PDF))
    report.submit(
        by=school.account, rows=rows_for(school, quantity, amounts), version=report.version
    )
    return report


@pytest.fixture
def data(reference_data):
    """山西: A approved (1, 3.2), B returned (1 approved), C submitted (nothing approved);
    河南: D approved. A hands in 2021 (3.2 done 1, each row 1+1+1+1) and 2022 (3.2 done 1, each
    row 2+0+0+0); 2021 is evaluated 良好. D saves a draft for 2021."""
    sx, hn = open_round_for("14"), open_round_for("41")
    sx_admin = ProvinceAdminFactory(province=sx.province)
    hn_admin = ProvinceAdminFactory(province=hn.province)
    a = school_in_state(sx.province, sx, "approved", sx_admin, name="甲职业学院")
    b = school_in_state(sx.province, sx, "returned", sx_admin, name="乙职业学院")
    c = school_in_state(sx.province, sx, "submitted", sx_admin, name="丙职业学院")
    d = school_in_state(hn.province, hn, "approved", hn_admin, name="丁职业学院")
    y2021 = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    y2022 = ReportingYear.objects.create(
        plan_id=1, year=2022, deadline=beijing_today() + timedelta(days=20)
    )
    first = hand_in(a, y2021, 1, ("1", "1", "1", "1"))
    first.evaluate(by=sx_admin, grade=Grade.GOOD, comment="完成较好")
    hand_in(a, y2022, 1, ("2", "0", "0", "0"))
    UnitReport.for_school(d, y2021).save_draft(by=d.account, rows={}, version=0)
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "y2021": y2021,
        "y2022": y2022,
        "sx_admin": sx_admin,
        "hn_admin": hn_admin,
    }


# -- the province -------------------------------------------------------------------------


def test_province_year_page_counts_and_lists_its_units(data):
    client = client_for(data["sx_admin"])
    response = client.get(f"/province/reporting/{data['y2021'].pk}/")
    statuses = {value: n for value, _label, n in response.context["statuses"]}
    assert statuses == {"not_started": 1, "draft": 0, "submitted": 0, "returned": 0, "evaluated": 1}
    grades = {value: n for value, _label, n in response.context["grades"]}
    assert grades["good"] == 1 and sum(grades.values()) == 1
    codes = {s.code for s in response.context["page"]}
    assert codes == {data["a"].code, data["b"].code}  # C has nothing approved; D is 河南
    check_page(response.content.decode(), names=(data["sx_admin"].username,))


def test_province_home_shows_reporting_progress(data):
    html = client_for(data["sx_admin"]).get("/province/").content.decode()
    assert "2022年度绩效填报" in html and "2021年度绩效填报" in html


def test_province_evaluates_and_returns(data):
    client = client_for(data["sx_admin"])
    url = f"/province/reporting/{data['y2022'].pk}/schools/{data['a'].code}/"
    html = client.get(url).content.decode()
    assert "评价本年度绩效" in html and "年报.pdf" in html and "按计划推进" in html
    assert client.post(url + "evaluate/", {"grade": "", "comment": ""}).status_code == 400
    response = client.post(url + "return/", {"return_comment": "请补充佐证材料"})
    assert response.status_code == 302
    report = UnitReport.objects.get(school=data["a"], reporting_year=data["y2022"])
    assert report.status == ReportStatus.RETURNED
    assert client.post(url + "evaluate/", {"grade": "good", "comment": "x"}).status_code == 409
    # The school fixes and hands in again; the province evaluates.
    report.submit(
        by=data["a"].account,
        rows=rows_for(data["a"], 1, ("2", "0", "0", "0")),
        version=report.version,
    )
    assert (
        client.post(url + "evaluate/", {"grade": "excellent", "comment": "成效显著"}).status_code
        == 302
    )
    report.refresh_from_db()
    assert (report.status, report.grade) == (ReportStatus.EVALUATED, Grade.EXCELLENT)
    assert "评价年度绩效" in client.get(url).content.decode()


def test_evaluation_page_keeps_the_other_box(data):
    """评价 and 退回修改 are buttons of one form: a refusal shows both boxes as typed."""
    client = client_for(data["sx_admin"])
    url = f"/province/reporting/{data['y2022'].pk}/schools/{data['a'].code}/"
    html = client.get(url).content.decode()
    assert html.count('<form method="post" action="/province/reporting/') == 1
    assert f'formaction="{url}return/"' in html
    refused = client.post(
        url + "evaluate/", {"grade": "", "comment": "写了一半的评价", "return_comment": "退回草稿"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "\n写了一半的评价</textarea>" in html and "\n退回草稿</textarea>" in html
    assert 'id="evaluation-form" data-unsaved' in html
    refused = client.post(
        url + "return/", {"grade": "good", "comment": "评价草稿", "return_comment": ""}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "\n评价草稿</textarea>" in html
    assert re.search(r'value="good"[^>]*checked', html)
    report = UnitReport.objects.get(school=data["a"], reporting_year=data["y2022"])
    assert report.status == ReportStatus.SUBMITTED


def test_province_deadline(data):
    client = client_for(data["sx_admin"])
    url = f"/province/reporting/{data['y2022'].pk}/deadline/"
    late = data["y2022"].deadline + timedelta(days=1)
    response = client.post(url, {"deadline": late.isoformat()})
    assert response.status_code == 400 and "不能晚于教育部的截止日期" in response.content.decode()
    early = beijing_today() + timedelta(days=3)
    assert client.post(url, {"deadline": early.isoformat()}).status_code == 302
    assert data["y2022"].deadline_for("14") == early and data["y2022"].deadline_for("41") == (
        data["y2022"].deadline
    )
    client.post(url, {"deadline": ""})
    assert not ProvinceDeadline.objects.exists()


def test_summary_reports(data, private_files):
    client = client_for(data["sx_admin"])
    url = f"/province/reporting/{data['y2021'].pk}/summary/"
    task = Task.objects.get(number=3)
    response = client.post(url, {"task": task.pk, "file": SimpleUploadedFile("总结.pdf", PDF)})
    assert response.status_code == 302
    first = ProvinceSummaryReport.objects.get()
    client.post(url, {"task": task.pk, "file": SimpleUploadedFile("总结（修订）.pdf", PDF)})
    assert ProvinceSummaryReport.objects.get().original_name == "总结（修订）.pdf"
    assert ProvinceSummaryReport.objects.get().pk == first.pk
    bad = client.post(url, {"task": task.pk, "file": SimpleUploadedFile("总结.pdf", EXECUTABLE)})
    assert bad.status_code == 400 and "改了扩展名" in bad.content.decode()
    off_platform = Task.objects.get(number=8)
    assert (
        client.post(
            url, {"task": off_platform.pk, "file": SimpleUploadedFile("x.pdf", PDF)}
        ).status_code
        == 400
    )
    html = client.get(f"/province/reporting/{data['y2021'].pk}/").content.decode()
    assert "总结（修订）.pdf" in html


def test_province_acts_only_on_its_own_units(data):
    client = client_for(data["sx_admin"])
    url = f"/province/reporting/{data['y2021'].pk}/schools/{data['d'].code}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "evaluate/", {"grade": "good", "comment": "x"}).status_code == 404
    assert client.post(url + "return/", {"return_comment": "x"}).status_code == 404
    assert UnitReport.objects.get(school=data["d"]).status == ReportStatus.DRAFT


@pytest.mark.parametrize("role", ["school", "ministry"])
def test_province_reporting_pages_refuse_other_roles(data, role):
    user = data["a"].account if role == "school" else MinistryUserFactory()
    client = client_for(user)
    base = f"/province/reporting/{data['y2021'].pk}/"
    for path in ["/province/reporting/", base, base + f"schools/{data['a'].code}/"]:
        assert client.get(path).status_code == 403, path
    assert client.post(base + "deadline/", {"deadline": ""}).status_code == 403


# -- the ministry -------------------------------------------------------------------------


def test_ministry_opens_a_year_with_the_plans_default_deadline(reference_data):
    client = client_for(MinistryUserFactory())
    # The 年度 range is shown beside its input, per plan, before anything is typed.
    page = client.get("/ministry/reporting/").content.decode()
    plan = Plan.objects.get(pk=1)
    assert f"{plan.name}：2021至2024" in page
    response = client.post("/ministry/reporting/", {"plan": 1, "year": "2023"})
    assert response.status_code == 302
    assert ReportingYear.objects.get(year=2023).deadline == date(2023, 12, 31)
    again = client.post("/ministry/reporting/", {"plan": 1, "year": "2023"})
    assert again.status_code == 400 and "已经开放" in again.content.decode()
    early = client.post("/ministry/reporting/", {"plan": 1, "year": "2020"})
    assert early.status_code == 400 and "从承接的第二年起" in early.content.decode()
    assert (
        client.post(
            "/ministry/reporting/", {"plan": 1, "year": "2022", "deadline": "2022-12-15"}
        ).status_code
        == 302
    )


def test_ministry_progress_by_province(data):
    client = client_for(MinistryUserFactory())
    response = client.get(f"/ministry/reporting/{data['y2021'].pk}/")
    rows = {r["province"].code: r for r in response.context["rows"]}
    assert (
        rows["14"]["expected"],
        rows["14"]["handed_in"],
        rows["14"]["evaluated"],
        rows["14"]["g_good"],
    ) == (2, 1, 1, 1)
    assert (rows["41"]["expected"], rows["41"]["handed_in"], rows["41"]["drafting"]) == (1, 0, 1)
    assert response.context["totals"]["expected"] == 3


def test_ministry_workbook_planned_against_done(data):
    client = client_for(MinistryUserFactory())
    response = client.get(f"/ministry/reporting/{data['y2022'].pk}/export/")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["全国（按任务）", "分省（按任务）"]
    national = {r[0]: r for r in workbook["全国（按任务）"].iter_rows(min_row=4, values_only=True)}
    # 3.2: A and D, planned 2 + 2; done 1 + 1 by A (D's draft does not count);
    # money planned 10 + 10, spent by A 4 (2021) + 2 (2022).
    assert national["3.2"][2:7] == (2, 4, 2, 20, 6)
    assert national["3.2"][7:9] == (2, 3)  # 学校自筹: planned 1 + 1; spent by A 1 + 2
    # 1: A, B and D approved; spent by A 4 + 2.
    assert national["1"][2:7] == (3, "-", "-", 30, 6)
    by_province = {
        (r[0], r[1]): r for r in workbook["分省（按任务）"].iter_rows(min_row=4, values_only=True)
    }
    assert by_province[("山西省", "3.2")][3:8] == (1, 2, 2, 10, 6)
    assert by_province[("河南省", "3.2")][3:8] == (1, 2, 0, 10, 0)
    assert ("河南省", "1") in by_province and ("山西省", "1") in by_province


def test_ministry_rows_export(data):
    ministry = MinistryUserFactory()
    client = client_for(ministry)
    response = client.post(f"/ministry/reporting/{data['y2022'].pk}/rows-export/")
    job = ExportJob.objects.get()
    assert response.url == f"/ministry/exports/{job.pk}/"
    assert (job.status, job.rows_total) == (ExportStatus.DONE, 2)
    download = client.get(f"/ministry/exports/{job.pk}/download/")
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = {r[6]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    three_two = rows["3.2"]
    assert three_two[:6] == ("山西省", data["a"].code, "甲职业学院", "专科高职院校", "已提交", None)
    assert three_two[8:12] == ("进行中", 2, 1, 2)  # planned 2, this year 1, cumulative 2
    assert three_two[12] == 10 and three_two[13] == 2 and three_two[18] == 2
    assert three_two[19] == 6  # cumulative spent: 4 in 2021 + 2 now
    assert three_two[20] == "按计划推进"


def test_ministry_reads_a_report(data):
    client = client_for(MinistryUserFactory())
    html = client.get(
        f"/ministry/reporting/{data['y2021'].pk}/schools/{data['a'].code}/"
    ).content.decode()
    assert "只读查看" in html and "评价本年度绩效" not in html and "良好" in html
    assert (
        client.get(f"/ministry/reporting/{data['y2021'].pk}/schools/{data['b'].code}/").status_code
        == 404
    )


@pytest.mark.parametrize("role", ["school", "province"])
def test_ministry_reporting_pages_refuse_other_roles(data, role):
    user = data["a"].account if role == "school" else data["sx_admin"]
    client = client_for(user)
    base = f"/ministry/reporting/{data['y2021'].pk}/"
    for path in [
        "/ministry/reporting/",
        base,
        base + "export/",
        base + f"schools/{data['a'].code}/",
    ]:
        assert client.get(path).status_code == 403, path
    assert client.post("/ministry/reporting/", {"plan": 1, "year": "2023"}).status_code == 403
    assert client.post(base + "rows-export/").status_code == 403
    assert not ReportingYear.objects.filter(year=2023).exists()


def test_other_province_admins_do_not_see_the_report_file(data):
    report = UnitReport.objects.get(school=data["a"], reporting_year=data["y2021"])
    other = client_for(ProvinceAdminFactory(province=Province.objects.get(code="41")))
    assert other.get(f"/files/annual/{report.pk}/").status_code == 404
