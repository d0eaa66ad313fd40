"""年度绩效 pages through Django's client, and who may download which file."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from schools.models import Province
from tasks.choices import AuditAction, ReportStatus
from tasks.models import (
    AuditEvent,
    Declaration,
    EvidenceFile,
    ProvinceSummaryReport,
    ReportingYear,
    ReportRow,
    Task,
    UnitReport,
)
from tasks.transitions import beijing_today
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state
from tests.samples import EXECUTABLE, PDF, image
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(shanxi, open_round, province_admin):
    return school_in_state(shanxi, open_round, "approved", province_admin)


@pytest.fixture
def reporting(reference_data):
    return ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )


@pytest.fixture
def client(client, approved, reporting):
    client.force_login(approved.account)
    return client


def url(year, suffix=""):
    return f"/school/reporting/{year.pk}/{suffix}"


def commitments(school):
    return {c.item.code: c for c in Declaration.objects.get(school=school).commitments.all()}


def post(school, report, rows, action="save", version=None):
    data = {
        "action": action,
        "report": str(report.pk or "new"),
        "version": str(report.version if version is None else version),
    }
    found = commitments(school)
    for code, fields in rows.items():
        for name, value in fields.items():
            data[f"r{found[code].pk}-{name}"] = value
    return data


def press(client, year, action, data=None, **files):
    """Press a button of the report page's one form: `data` is what is typed (post()), `files`
    maps a file input ("annual_report", "evidence-<id>") to a file."""
    if data is None:
        report = UnitReport.objects.filter(reporting_year=year).first()
        data = {"report": str(report.pk) if report else "new", "version": "0"}
        if report:
            data["version"] = str(report.version)
    return client.post(url(year), {**data, "action": action, **files})


def full(quantity=True):
    fields = {
        "progress": "in_progress",
        "narrative": "按计划推进",
        "spent_school_funds": "1",
        "spent_industry_funds": "0",
        "spent_sponsor_funds": "0",
        "spent_local_funds": "2.5",
    }
    if quantity:
        fields["quantity"] = "1"
    return fields


def test_index_lists_the_year(client, reporting):
    html = client.get("/school/reporting/").content.decode()
    assert "2021年度" in html and url(reporting) in html


def test_form_shows_each_approved_item_with_planned_figures(client, reporting, approved):
    html = client.get(url(reporting)).content.decode()
    for label in [
        "3.2 进展",
        "3.2 本年完成数量",
        "3.2 学校自筹（本年实际）",
        "3.2 情况说明",
        "3.2 佐证材料",
        "1 地市县投入（本年实际）",
    ]:
        assert f'aria-label="{label}"' in html, label
    assert 'aria-label="1 本年完成数量"' not in html
    assert "年度工作报告" in html and "往年累计" in html and "累计" in html
    check_page(html, names=(approved.account.username,))


def test_save_and_cumulative_figures(client, reporting, approved):
    report = UnitReport.for_school(approved, reporting)
    response = client.post(url(reporting), post(approved, report, {"3.2": full()}))
    assert response.status_code == 302
    row = ReportRow.objects.get()
    assert (row.quantity, str(row.spent_local_funds)) == (1, "2.50")
    html = client.get(url(reporting)).content.decode()
    assert "年度绩效已保存，尚未提交。" in html
    # 3.2's cumulative money this year: 1 + 0 + 0 + 2.5.
    assert re.search(
        r"合计（万元）</th><td class=\"num\">10</td><td></td><td></td>"
        r"<td class=\"num\">3\.5</td>",
        html,
    )


def test_submit_incomplete_saves_and_marks(client, reporting, approved):
    report = UnitReport.for_school(approved, reporting)
    response = client.post(url(reporting), post(approved, report, {"3.2": full()}, action="submit"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "提交未成功" in html and "请选择进展。" in html and "请先上传年度工作报告" in html
    assert ReportRow.objects.count() == 1


def test_submit_complete(client, reporting, approved):
    report = UnitReport.for_school(approved, reporting)
    press(client, reporting, "annual", annual_report=SimpleUploadedFile("报告.pdf", PDF))
    report = UnitReport.objects.get()
    response = client.post(
        url(reporting),
        post(approved, report, {"3.2": full(), "1": full(quantity=False)}, action="submit"),
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    html = client.get(url(reporting)).content.decode()
    assert 'value="save"' not in html and "已提交" in html
    # Read-only looks read-only: the values as text, no disabled select or readonly textarea.
    assert not re.search(r"<(select|textarea)\b|readonly|disabled", html)
    assert 'data-read="progress">进行中<' in html
    assert 'data-read="narrative">按计划推进<' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "-1", "完成数量不能为负数。"),
        ("quantity", "1.5", "完成数量应为整数。"),
        ("spent_school_funds", "abc", "请填写数字（单位：万元），无投入请填0。"),
        ("spent_school_funds", "-2", "金额不能为负数。"),
        ("spent_school_funds", "NaN", "请填写数字（单位：万元），无投入请填0。"),
        ("narrative", "字" * 2001, "情况说明不能超过2000字。"),
        ("progress", "finished", "请选择进展。"),
    ],
)
def test_malformed_values_change_nothing(client, reporting, approved, field, value, message):
    report = UnitReport.for_school(approved, reporting)
    client.post(url(reporting), post(approved, report, {"3.2": full()}))
    report = UnitReport.objects.get()
    before = list(ReportRow.objects.values_list("quantity", "spent_school_funds", "narrative"))
    response = client.post(
        url(reporting), post(approved, report, {"3.2": {**full(), field: value}})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        list(ReportRow.objects.values_list("quantity", "spent_school_funds", "narrative")) == before
    )


def test_a_row_that_is_not_the_schools(
    client, reporting, approved, shanxi, open_round, province_admin
):
    other = school_in_state(shanxi, open_round, "approved", province_admin)
    report = UnitReport.for_school(approved, reporting)
    data = post(approved, report, {"3.2": full()})
    data[f"r{commitments(other)['1'].pk}-narrative"] = "不是本校的"
    assert client.post(url(reporting), data).status_code == 400
    assert not ReportRow.objects.exists()


def test_stale_page(client, reporting, approved):
    report = UnitReport.for_school(approved, reporting)
    client.post(url(reporting), post(approved, report, {"3.2": full()}))
    report = UnitReport.objects.get()
    stale = post(approved, report, {"3.2": {**full(), "narrative": "旧页面"}})
    client.post(url(reporting), post(approved, report, {"3.2": full()}))
    response = client.post(url(reporting), stale)
    assert response.status_code == 409 and "旧页面" in response.content.decode()
    assert ReportRow.objects.get().narrative == "按计划推进"


def test_after_the_deadline_read_only(client, reporting, approved):
    ReportingYear.objects.filter(pk=reporting.pk).update(
        deadline=beijing_today() - timedelta(days=1)
    )
    html = client.get(url(reporting)).content.decode()
    assert "截止，现在只能查看" in html and 'value="save"' not in html
    report = UnitReport.for_school(approved, reporting)
    response = client.post(url(reporting), post(approved, report, {"3.2": full()}))
    assert response.status_code == 403
    assert not ReportRow.objects.exists()
    upload = press(client, reporting, "annual", annual_report=SimpleUploadedFile("a.pdf", PDF))
    assert upload.status_code == 403
    assert not UnitReport.objects.exists()


def test_upload_refusals_store_nothing(client, reporting, approved, private_files):
    for name, content, message in [
        ("程序.pdf", EXECUTABLE, "改了扩展名"),
        ("程序.exe", PDF, "只能上传"),
        ("大.pdf", PDF + bytes(20 * 1024 * 1024), "不能超过20MB"),
    ]:
        response = press(
            client, reporting, "annual", annual_report=SimpleUploadedFile(name, content)
        )
        assert response.status_code == 400 and message in response.content.decode()
        assert "文件未上传" in response.content.decode()
    assert not private_files.exists() or not [p for p in private_files.rglob("*") if p.is_file()]
    response = press(client, reporting, "annual")
    assert response.status_code == 400 and "请选择要上传的文件。" in response.content.decode()


def test_evidence_upload_and_delete(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    response = press(
        client,
        reporting,
        f"evidence:{c.pk}",
        **{f"evidence-{c.pk}": SimpleUploadedFile("..\\..\\佐证.pdf", PDF)},
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert evidence.original_name == "佐证.pdf"
    html = client.get(url(reporting)).content.decode()
    assert f"/files/evidence/{evidence.pk}/" in html
    press(client, reporting, f"delete:{evidence.pk}")
    assert not EvidenceFile.objects.exists()


# -- every button posts what is typed: the draft is saved before the file action --------------


def typed(approved, reporting, **overrides):
    """What the school typed on the page it loaded, for 3.2."""
    report = UnitReport.for_school(approved, reporting)
    return post(approved, report, {"3.2": {**full(), **overrides}})


def figures():
    return list(ReportRow.objects.values_list("quantity", "spent_local_funds", "narrative"))


def report_actions():
    return list(
        AuditEvent.objects.filter(subject_type__model="unitreport")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_evidence_upload_saves_what_is_typed_first(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    data = typed(approved, reporting, narrative="上传前写的说明")
    png = SimpleUploadedFile("现场照片.png", image("PNG"))
    response = press(client, reporting, f"evidence:{c.pk}", data, **{f"evidence-{c.pk}": png})
    assert response.status_code == 302
    assert figures() == [(1, Decimal("2.50"), "上传前写的说明")]
    assert EvidenceFile.objects.get().original_name == "现场照片.png"
    assert report_actions() == [AuditAction.REPORT_SAVE, AuditAction.FILE_UPLOAD]
    html = client.get(url(reporting)).content.decode()
    assert "已保存填写的内容。已上传“现场照片.png”。" in html
    assert ">上传前写的说明</textarea>" in html and 'value="2.5"' in html


def test_annual_report_upload_saves_what_is_typed_first(client, reporting, approved, private_files):
    data = typed(approved, reporting)
    upload = SimpleUploadedFile("年报.pdf", PDF)
    assert press(client, reporting, "annual", data, annual_report=upload).status_code == 302
    report = UnitReport.objects.get()
    assert report.annual_report_name == "年报.pdf" and figures()[0][2] == "按计划推进"


def test_upload_without_changes_saves_nothing(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    client.post(url(reporting), typed(approved, reporting))
    report = UnitReport.objects.get()
    data = post(approved, report, {"3.2": full()})
    upload = {f"evidence-{c.pk}": SimpleUploadedFile("a.pdf", PDF)}
    assert press(client, reporting, f"evidence:{c.pk}", data, **upload).status_code == 302
    assert report_actions() == [AuditAction.REPORT_SAVE, AuditAction.FILE_UPLOAD]
    assert "已上传“a.pdf”。" in client.get(url(reporting)).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "-1", "完成数量不能为负数。"),
        ("spent_local_funds", "两万", "请填写数字（单位：万元），无投入请填0。"),
        ("narrative", "字" * 2001, "情况说明不能超过2000字。"),
    ],
)
def test_malformed_values_stop_the_upload_and_stay_on_screen(
    client, reporting, approved, private_files, field, value, message
):
    c = commitments(approved)["3.2"]
    data = typed(approved, reporting, **{field: value, "narrative": "我写的说明"})
    if field == "narrative":
        data[f"r{c.pk}-narrative"] = value
    upload = {f"evidence-{c.pk}": SimpleUploadedFile("证明.pdf", PDF)}
    response = press(client, reporting, f"evidence:{c.pk}", data, **upload)
    assert response.status_code == 400
    html = response.content.decode()
    assert "有填写错误，未保存，文件未上传。" in html and message in html
    assert f'value="{value}"' in html or f">{value}</textarea>" in html
    assert 'id="report-form" data-unsaved' in html
    assert not UnitReport.objects.exists() and not EvidenceFile.objects.exists()
    assert not private_files.exists() or not [p for p in private_files.rglob("*") if p.is_file()]


def test_refused_file_keeps_the_saved_draft(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    data = typed(approved, reporting, narrative="说明已写好")
    upload = {f"evidence-{c.pk}": SimpleUploadedFile("程序.pdf", EXECUTABLE)}
    response = press(client, reporting, f"evidence:{c.pk}", data, **upload)
    assert response.status_code == 400
    html = response.content.decode()
    assert "已填写的内容已保存，但文件未上传：" in html and "改了扩展名" in html
    assert figures() == [(1, Decimal("2.50"), "说明已写好")]
    assert not EvidenceFile.objects.exists()
    # The page carries the saved version: the next post from it is not stale.
    report = UnitReport.objects.get()
    assert f'name="version" value="{report.version}"' in html and "data-unsaved" not in html
    assert client.post(url(reporting), post(approved, report, {"3.2": full()})).status_code == 302


def test_stale_page_upload_saves_nothing(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    stale = typed(approved, reporting, narrative="旧窗口的说明")
    client.post(url(reporting), typed(approved, reporting))
    upload = {f"evidence-{c.pk}": SimpleUploadedFile("a.pdf", PDF)}
    response = press(client, reporting, f"evidence:{c.pk}", stale, **upload)
    assert response.status_code == 409
    html = response.content.decode()
    assert "旧窗口的说明" in html and "文件未上传" in html
    assert figures()[0][2] == "按计划推进" and not EvidenceFile.objects.exists()


def test_delete_saves_what_is_typed_first(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    report = UnitReport.for_school(approved, reporting)
    report.add_evidence(
        by=approved.account, commitment_id=c.pk, upload=SimpleUploadedFile("旧.pdf", PDF)
    )
    report = UnitReport.objects.get()
    data = post(approved, report, {"3.2": {**full(), "narrative": "删除前写的"}})
    response = press(client, reporting, f"delete:{EvidenceFile.objects.get().pk}", data)
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists() and figures()[0][2] == "删除前写的"


def test_files_chosen_for_other_buttons_are_named(client, reporting, approved, private_files):
    c = commitments(approved)["3.2"]
    data = typed(approved, reporting)
    response = press(
        client, reporting, "save", data, **{f"evidence-{c.pk}": SimpleUploadedFile("b.pdf", PDF)}
    )
    assert response.status_code == 302
    html = client.get(url(reporting)).content.decode()
    assert "以下所选文件没有上传：3.2 佐证材料“b.pdf”" in html
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize(
    "action", ["evidence", "evidence:", "evidence:abc", "evidence:²", "annual:1", "delete:٣", "x"]
)
def test_unknown_buttons_change_nothing(client, reporting, approved, action):
    response = press(client, reporting, action, typed(approved, reporting, narrative="保留"))
    assert response.status_code == 400
    assert ">保留</textarea>" in response.content.decode()
    assert not UnitReport.objects.exists()


@pytest.mark.parametrize(("version", "status"), [("²", 400), ("", 400), ("9" * 30, 400)])
def test_bad_hidden_version_is_a_400(client, reporting, approved, version, status):
    data = typed(approved, reporting)
    data["version"] = version
    assert client.post(url(reporting), {**data, "action": "save"}).status_code == status
    assert not UnitReport.objects.exists()


def test_evidence_for_a_row_that_is_not_the_schools(
    client, reporting, approved, shanxi, open_round, province_admin, private_files
):
    other = commitments(school_in_state(shanxi, open_round, "approved", province_admin))["1"]
    upload = {f"evidence-{other.pk}": SimpleUploadedFile("a.pdf", PDF)}
    response = press(client, reporting, f"evidence:{other.pk}", **upload)
    assert response.status_code == 400
    assert not EvidenceFile.objects.exists()


def test_one_form_on_the_report_page(client, reporting):
    html = client.get(url(reporting)).content.decode()
    assert html.count('<form method="post" enctype="multipart/form-data"') == 1
    assert "/upload/" not in html and "/delete/" not in html
    # Enter in a field presses the first button of the form: 保存, not an upload.
    first = re.search(r'<button type="submit" name="action" value="([^"]+)"', html)
    assert first and first.group(1) == "save"


def test_a_school_without_approved_items_has_no_report(
    reporting, shanxi, open_round, province_admin
):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    client = Client()
    client.force_login(school.account)
    assert client.get(url(reporting)).status_code == 404
    assert "目前没有需要填报的年度绩效" in client.get("/school/reporting/").content.decode()


# -- who may download which file ----------------------------------------------------------


@pytest.fixture
def files(approved, reporting, province_admin):
    report = UnitReport.for_school(approved, reporting)
    report.attach_annual_report(by=approved.account, upload=SimpleUploadedFile("年报.pdf", PDF))
    report.add_evidence(
        by=approved.account,
        commitment_id=commitments(approved)["1"].pk,
        upload=SimpleUploadedFile("证明.pdf", PDF),
    )
    summary = ProvinceSummaryReport.upload(
        by=province_admin,
        year=reporting,
        task=Task.objects.get(number=3),
        upload=SimpleUploadedFile("总结.pdf", PDF),
    )
    return {
        "annual": f"/files/annual/{report.pk}/",
        "evidence": f"/files/evidence/{EvidenceFile.objects.get().pk}/",
        "summary": f"/files/summary/{summary.pk}/",
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", {"annual": 200, "evidence": 200, "summary": 404}),
        ("other_school", {"annual": 404, "evidence": 404, "summary": 404}),
        ("province", {"annual": 200, "evidence": 200, "summary": 200}),
        ("other_province", {"annual": 404, "evidence": 404, "summary": 404}),
        ("ministry", {"annual": 200, "evidence": 200, "summary": 200}),
    ],
)
def test_files_are_served_only_to_those_allowed(files, approved, province_admin, who, expected):
    user = {
        "owner": approved.account,
        "other_school": SchoolUserFactory(school__province=approved.province),
        "province": province_admin,
        "other_province": ProvinceAdminFactory(province=Province.objects.get(code="41")),
        "ministry": MinistryUserFactory(),
    }[who]
    client = Client()
    client.force_login(user)
    for kind, path in files.items():
        response = client.get(path)
        assert response.status_code == expected[kind], (who, kind)
        if response.status_code == 200:
            assert b"".join(response.streaming_content) == PDF
            assert "attachment" in response["Content-Disposition"]


def test_anonymous_cannot_download(files):
    for path in files.values():
        response = Client().get(path)
        assert response.status_code == 302 and response.url.startswith("/?next=")


@pytest.mark.parametrize("count", [2, 30])
def test_report_page_and_upload_query_counts_are_fixed(
    reporting,
    shanxi,
    open_round,
    province_admin,
    private_files,
    count,
    django_assert_max_num_queries,
):
    """Saving the typed rows and uploading one file, then the page: the same queries for 2 rows
    as for 30."""
    user = SchoolUserFactory(school__province=shanxi)
    declaration = Declaration.for_school(user.school, open_round)
    items = list(open_round.items.order_by("task__number", "sub_number")[:count])
    declaration.submit(by=user, rows={i.pk: full_row(i) for i in items}, contacts=None, version=0)
    declaration.approve_all(by=province_admin)
    client = Client()
    client.force_login(user)
    found = {c.item.code: c for c in declaration.commitments.all()}
    data = {"report": "new", "version": "0"}
    for c in found.values():
        data.update({f"r{c.pk}-progress": "in_progress", f"r{c.pk}-narrative": "推进中"})
    first = next(iter(found.values()))
    with django_assert_max_num_queries(31):
        response = client.post(
            url(reporting),
            {
                **data,
                "action": f"evidence:{first.pk}",
                f"evidence-{first.pk}": SimpleUploadedFile("a.pdf", PDF),
            },
        )
    assert response.status_code == 302
    assert ReportRow.objects.filter(report__school=user.school).count() == count
    with django_assert_max_num_queries(16):
        assert client.get(url(reporting)).status_code == 200


def test_submit_shows_format_and_completeness_errors_in_one_pass(client, reporting, approved):
    report = UnitReport.for_school(approved, reporting)
    fields = {**full(), "spent_school_funds": "abc", "progress": "", "narrative": ""}
    response = client.post(url(reporting), post(approved, report, {"3.2": fields}, action="submit"))
    assert response.status_code == 400
    html = response.content.decode()
    # The malformed amount and what is missing, together.
    assert "请填写数字（单位：万元），无投入请填0。" in html
    assert "请选择进展。" in html and "请填写情况说明。" in html
    assert "请先上传年度工作报告" in html
    assert not ReportRow.objects.exists()
