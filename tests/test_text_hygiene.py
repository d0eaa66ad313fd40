"""Every C0 and C1 control character (and U+FFFE, U+2028) typed into every text field or
imported in every file, through the real pages; then every export is downloaded and opened."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from review.models import ExportJob, ExportStatus
from schools.choices import SchoolKind
from schools.models import Province, School, User
from tasks.choices import AuditAction, ReportStatus
from tasks.models import (
    AuditEvent,
    Commitment,
    Declaration,
    Item,
    ReportingYear,
    ReportRow,
    Round,
    UnitReport,
)
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import school_in_state
from tests.samples import PDF
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db

CONTROLS = (
    "".join(map(chr, range(0x00, 0x20))) + "".join(map(chr, range(0x7F, 0xA0))) + "\ufffe\u2028"
)
# In multi-line text: the tab stays; LF, VT, FF, CR, NEL and U+2028 are line breaks.
BREAKS = "\t\n\n\n\n\n\n"
# What no stored text and no exported cell may hold.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def typed(before: str, after: str) -> str:
    return before + CONTROLS + after


def one_line(before: str, after: str) -> str:
    return f"{before} {after}"


def lines(before: str, after: str) -> str:
    return before + BREAKS + after


def excel_escaped(text: str) -> str:
    """`text` as Excel stores it: characters XML cannot hold as _xHHHH_."""
    return re.sub(
        "[\x00-\x08\x0b-\x1f\ufffe]",
        lambda m: f"_x{ord(m.group()):04X}_",
        text,
    )


def xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["学校标识码", "学校名称", "学校类型", "所在地市"])
    for row in rows:
        sheet.append([excel_escaped(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(["学校标识码", "学校名称", "学校类型", "所在地市"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def opened(response) -> list[str]:
    """Every text cell of the downloaded workbook, after checking that openpyxl opens it and
    that no cell holds a control character."""
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content) if response.streaming else response.content
    workbook = load_workbook(io.BytesIO(data))
    texts = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    bad = [text for text in texts if FORBIDDEN.search(text)]
    assert not bad, bad
    return texts


def job_download(client: Client, response) -> list[str]:
    assert response.status_code == 302, response.status_code
    job = ExportJob.objects.latest("pk")
    assert job.status == ExportStatus.DONE, job.error
    return opened(client.get(f"/ministry/exports/{job.pk}/download/"))


def test_control_characters_typed_or_imported_never_reach_a_stored_row_or_an_export(
    reference_data,
):
    shanxi = Province.objects.get(code="14")
    admin = client_for(ProvinceAdminFactory(province=shanxi, username="sxadmin"))
    ministry = client_for(MinistryUserFactory())
    today = beijing_today()

    # 本省申报要求: 说明 keeps its lines, a contact's name is one line.
    offered = Item.objects.offerable().filter(task__plan_id=1, scope="school")
    response = admin.post(
        "/province/round/",
        {
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=20)),
            "instructions": typed("请按", "要求填报"),
            "contact1_name": typed("张", "少龙"),
            "contact1_phone": "0351-3046505",
            "contact2_name": "",
            "contact2_phone": "",
            "items": [str(pk) for pk in offered.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == 302
    round_ = shanxi.rounds.get()
    assert round_.instructions == lines("请按", "要求填报")
    assert round_.contact1_name == one_line("张", "少龙")

    # 添加学校.
    response = admin.post(
        "/province/accounts/add/",
        {
            "code": "4114990001",
            "name": typed("甲", "职业学院"),
            "kind": SchoolKind.JUNIOR_COLLEGE,
            "city": typed("太", "原市"),
        },
    )
    assert response.status_code == 302
    added = School.objects.get(code="4114990001")
    assert (added.name, added.city) == (one_line("甲", "职业学院"), one_line("太", "原市"))

    # Imports: the cells of an .xlsx (as Excel stores them) and of a .csv.
    for name, data, code in [
        ("schools.xlsx", xlsx_file, "4114990002"),
        ("schools.csv", csv_file, "4114990003"),
    ]:
        upload = SimpleUploadedFile(
            name,
            data(
                [
                    [
                        "\x0b" + code + "\x00",
                        typed("乙", code),
                        "专科高职院校",
                        typed("大", "同市"),
                    ]
                ]
            ),
        )
        response = admin.post("/province/accounts/import/", {"file": upload})
        assert response.status_code == 302, response.content.decode()
        school = School.objects.get(code=code)
        assert (school.name, school.city) == (one_line("乙", code), one_line("大", "同市"))

    # The school: 修改密码 (forced at first sign-in), 本校信息, then its 承接任务 form.
    account = User.objects.get(username="4114990001")
    school = client_for(account)
    contacts = {"office_phone": "0351-3046505", "mobile": "13912345678"}
    response = school.post(
        "/account/password/",
        {
            "old_password": "123456",
            "new_password1": "Xuexiao2026",
            "new_password2": "Xuexiao2026",
            "contact_name": typed("李", "一"),
            **contacts,
        },
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.contact_name == one_line("李", "一")
    response = school.post("/school/profile/", {"contact_name": typed("李", "二"), **contacts})
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.contact_name == one_line("李", "二")
    declaration = Declaration.for_school(added, round_)
    response = school.post(
        "/school/commitments/",
        post_data(
            declaration,
            {"1": full_fields("1"), "3.2": full_fields("3.2")},
            action="submit",
            contacts={"contact_name": typed("李", "三"), **contacts},
        ),
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.contact_name == one_line("李", "三")

    # The province reviews: returns 3.2 with a comment, approves 1; reopens another school.
    declaration = Declaration.objects.get(school=added)
    first, second = declaration.commitments.order_by("item__task__number", "item__sub_number")
    review = f"/province/schools/{added.code}/review/"
    response = admin.post(
        review, {"action": f"return:{second.pk}", f"comment-{second.pk}": typed("请", "核实")}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.comment == lines("请", "核实")
    assert admin.post(review, {"action": f"approve:{first.pk}"}).status_code == 302
    other = school_in_state(shanxi, round_, "submitted", User.objects.get(username="sxadmin"))
    response = admin.post(
        f"/province/schools/{other.code}/review/",
        {"action": "reopen", "reason": typed("学校", "申请修改"), "confirmed": "1"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(school=other, action=AuditAction.REOPEN)
    assert event.changes["reason"] == lines("学校", "申请修改")

    # The ministry adds a province admin: a username is one word, so line breaks and tabs
    # make it invalid (a field error), while the other control characters are removed.
    response = ministry.post(
        "/ministry/admins/new/", {"username": typed("sx", "02"), "province": "14", "password": ""}
    )
    assert response.status_code == 400 and "用户名" in response.content.decode()
    removable = re.sub("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028]", "", CONTROLS)
    response = ministry.post(
        "/ministry/admins/new/",
        {"username": "sx" + removable + "02", "province": "14", "password": ""},
    )
    assert response.status_code == 302
    assert User.objects.filter(username="sx02", province=shanxi).exists()

    # Every export of the declarations opens and shows the text without the controls.
    texts = opened(school.get("/school/commitments/export/"))
    assert {one_line("李", "三"), lines("请", "核实")} <= set(texts)
    assert any(one_line("甲", "职业学院") in t for t in texts)
    texts = opened(admin.get("/province/export/"))
    for expected in [
        one_line("甲", "职业学院"),
        one_line("乙", "4114990002"),
        one_line("乙", "4114990003"),
        one_line("大", "同市"),
        lines("请", "核实"),
    ]:
        assert expected in texts, expected
    for basis in ("approved", "intended"):
        opened(ministry.get(f"/ministry/tables/provinces/?format=xlsx&basis={basis}"))
        opened(ministry.get(f"/ministry/tables/items/?format=xlsx&basis={basis}"))
    texts = job_download(ministry, ministry.post("/ministry/exports/", {"plan": "tzpy-2020"}))
    assert {one_line("甲", "职业学院"), one_line("太", "原市"), lines("请", "核实")} <= set(texts)

    # 年度绩效 in the plan's final year: narrative and explanation keep their lines; the
    # province returns the report, then evaluates it.
    year = ReportingYear.objects.create(plan_id=1, year=2023, deadline=today + timedelta(days=10))
    base = f"/school/reporting/{year.pk}/"
    upload = SimpleUploadedFile("年报.pdf", PDF)
    response = school.post(
        base, {"action": "annual", "report": "new", "version": "0", "annual_report": upload}
    )
    assert response.status_code == 302
    report = UnitReport.objects.get(school=added, reporting_year=year)

    def report_post(action: str) -> dict[str, str]:
        report.refresh_from_db()
        prefix = f"r{first.pk}-"
        return {
            "action": action,
            "report": str(report.pk),
            "version": str(report.version),
            prefix + "progress": "in_progress",
            prefix + "narrative": typed("按计划", "推进"),
            prefix + "explanation": typed("资金", "未到位"),
            prefix + "spent_school_funds": "1",
            prefix + "spent_industry_funds": "0",
            prefix + "spent_sponsor_funds": "0",
            prefix + "spent_local_funds": "0",
        }

    assert school.post(base, report_post("submit")).status_code == 302
    row = ReportRow.objects.get(report=report)
    assert (row.narrative, row.explanation) == (lines("按计划", "推进"), lines("资金", "未到位"))
    unit = f"/province/reporting/{year.pk}/schools/{added.code}/"
    response = admin.post(unit + "return/", {"return_comment": typed("请补充", "材料")})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_comment) == (
        ReportStatus.RETURNED,
        lines("请补充", "材料"),
    )
    assert school.post(base, report_post("submit")).status_code == 302
    response = admin.post(unit + "evaluate/", {"grade": "good", "comment": typed("完成", "较好")})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.evaluation_comment == lines("完成", "较好")

    # The yearly exports open and show the texts.
    opened(ministry.get(f"/ministry/reporting/{year.pk}/export/"))
    texts = job_download(ministry, ministry.post(f"/ministry/reporting/{year.pk}/rows-export/"))
    assert {lines("按计划", "推进"), lines("资金", "未到位"), one_line("甲", "职业学院")} <= set(
        texts
    )

    # Nothing stored holds a control character.
    stored = [
        *School.objects.values_list("name", "city", "contact_name"),
        *Round.objects.values_list("instructions", "contact1_name"),
        *Commitment.objects.values_list("comment"),
        *ReportRow.objects.values_list("narrative", "explanation"),
        *UnitReport.objects.values_list("evaluation_comment", "return_comment"),
    ]
    assert not [v for values in stored for v in values if FORBIDDEN.search(v)]
