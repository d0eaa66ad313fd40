"""Yearly reports: rows of approved commitments, cumulative figures, the final-year rule, the
deadline, stale tabs, the province's evaluation; every change audited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.models import Province
from tasks.choices import AuditAction, Grade, ReportProgress, ReportStatus
from tasks.models import (
    AuditEvent,
    Declaration,
    ProvinceDeadline,
    ReportingYear,
    ReportRow,
    UnitReport,
)
from tasks.models.reporting import RowFigures
from tasks.transitions import (
    InvalidInput,
    InvalidState,
    NotAllowed,
    StaleVersion,
    WindowClosed,
    beijing_today,
)
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import school_in_state
from tests.samples import EXECUTABLE, PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(shanxi, open_round, province_admin):
    """A school with items 1 and 3.2 approved (3.2: quantity 2; each row 1+2+3+4 = 10)."""
    return school_in_state(shanxi, open_round, "approved", province_admin)


def year(number, days=10):
    return ReportingYear.objects.create(
        plan_id=1, year=number, deadline=beijing_today() + timedelta(days=days)
    )


def commitments(school):
    return {c.item.code: c for c in Declaration.objects.get(school=school).commitments.all()}


def figures(progress=ReportProgress.IN_PROGRESS, quantity=None, amounts=(1, 1, 1, 1), **kw):
    spent = dict(
        zip(
            (
                "spent_school_funds",
                "spent_industry_funds",
                "spent_sponsor_funds",
                "spent_local_funds",
            ),
            (Decimal(str(a)) for a in amounts),
            strict=True,
        )
    )
    return RowFigures(
        progress=progress,
        quantity=quantity,
        narrative=kw.pop("narrative", "进展顺利"),
        **spent,
        **kw,
    )


def complete_rows(school, quantity=1, amounts=(1, 1, 1, 1), **kw):
    found = commitments(school)
    return {
        found["1"].pk: figures(amounts=amounts, **kw),
        found["3.2"].pk: figures(quantity=quantity, amounts=amounts, **kw),
    }


def annual(report, user):
    report.attach_annual_report(by=user, upload=SimpleUploadedFile("年度工作报告.pdf", PDF))


def test_rows_are_the_approved_commitments_only(approved, shanxi, open_round, province_admin):
    report = UnitReport.for_school(approved, year(2021))
    assert [c.item.code for c in report.approved_commitments()] == ["1", "3.2"]
    partly = school_in_state(shanxi, open_round, "returned", province_admin)
    assert [
        c.item.code for c in UnitReport.for_school(partly, year(2022)).approved_commitments()
    ] == ["1"]


def test_save_keeps_an_incomplete_report_and_audits(approved):
    report = UnitReport.for_school(approved, year(2021))
    c = commitments(approved)
    report.save_draft(
        by=approved.account,
        rows={c["1"].pk: RowFigures(progress="in_progress")},
        version=0,
        ip="10.0.0.9",
    )
    row = ReportRow.objects.get()
    assert (row.progress, row.spent_school_funds, report.version) == ("in_progress", None, 1)
    event = AuditEvent.objects.for_subject(report).get()
    assert (event.action, event.ip, event.user) == (
        AuditAction.REPORT_SAVE,
        "10.0.0.9",
        approved.account,
    )


def test_submit_needs_every_row_complete_and_the_annual_report(approved):
    report = UnitReport.for_school(approved, year(2021))
    user = approved.account
    c = commitments(approved)
    with pytest.raises(InvalidInput, match=r"3\.2填写不完整"):
        report.submit(
            by=user, rows={c["1"].pk: figures(), c["3.2"].pk: figures(quantity=None)}, version=0
        )
    with pytest.raises(InvalidInput, match="年度工作报告"):
        report.submit(by=user, rows=complete_rows(approved), version=report.version)
    annual(report, user)
    report.submit(by=user, rows=complete_rows(approved), version=report.version)
    assert report.status == ReportStatus.SUBMITTED and report.submitted_at


@pytest.mark.parametrize("missing", ["progress", "narrative", "spent_local_funds"])
def test_each_row_field_is_required_to_submit(approved, missing):
    report = UnitReport.for_school(approved, year(2021))
    annual(report, approved.account)
    rows = complete_rows(approved)
    first = next(iter(rows))
    blank = {"progress": "", "narrative": "", "spent_local_funds": None}[missing]
    rows[first] = RowFigures(**{**rows[first].__dict__, missing: blank})
    with pytest.raises(InvalidInput, match="填写不完整"):
        report.submit(by=approved.account, rows=rows, version=report.version)


def test_earlier_years_and_cumulative_figures(approved):
    user = approved.account
    c = commitments(approved)
    first = UnitReport.for_school(approved, year(2021))
    annual(first, user)
    first.submit(
        by=user,
        rows=complete_rows(approved, quantity=1, amounts=(2, 0, 0, 0)),
        version=first.version,
    )
    second = UnitReport.for_school(approved, year(2022))
    earlier = second.earlier_figures()
    assert earlier[c["3.2"].pk]["quantity"] == 1
    assert earlier[c["3.2"].pk]["spent_school_funds"] == 2
    # A draft of an earlier year is not a reported figure.
    third = UnitReport.for_school(approved, year(2023))
    second.save_draft(by=user, rows=complete_rows(approved, quantity=5), version=0)
    assert third.earlier_figures()[c["3.2"].pk]["quantity"] == 1


def test_shortfall_in_the_final_year_needs_an_explanation(approved):
    user = approved.account
    c = commitments(approved)
    final = UnitReport.for_school(approved, year(2023))
    assert final.reporting_year.is_final
    annual(final, user)
    # 3.2 planned 2, done 1; money 4 of 10: behind plan on both rows.
    assert final.shortfall(c["3.2"], figures(quantity=1), {})
    with pytest.raises(InvalidInput, match="填写不完整"):
        final.submit(by=user, rows=complete_rows(approved, quantity=1), version=final.version)
    final.submit(
        by=user,
        rows=complete_rows(approved, quantity=1, explanation="疫情影响，顺延"),
        version=final.version,
    )
    assert final.status == ReportStatus.SUBMITTED


def test_no_shortfall_rule_before_the_final_year_or_when_on_plan(approved):
    c = commitments(approved)
    early = UnitReport.for_school(approved, year(2021))
    assert not early.shortfall(c["3.2"], figures(quantity=0), {})
    final = UnitReport.for_school(approved, year(2023))
    on_plan = figures(quantity=2, amounts=(1, 2, 3, 4))
    assert not final.shortfall(c["3.2"], on_plan, {})
    assert not final.shortfall(
        c["3.2"],
        figures(quantity=1, amounts=(0, 0, 0, 0)),
        {"quantity": 1, "spent_school_funds": Decimal(10)},
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (RowFigures(progress="bogus"), "进展无效"),
        (RowFigures(quantity=-1), "完成数量无效"),
        (RowFigures(spent_school_funds=Decimal("-1")), "实际投入金额无效"),
        (RowFigures(spent_school_funds=Decimal("0.001")), "实际投入金额无效"),
        (RowFigures(spent_provincial_funds=Decimal("1")), "实际投入金额无效"),
        (RowFigures(narrative="字" * 2001), "不能超过2000字"),
    ],
)
def test_values_no_form_produces_are_refused(approved, row, message):
    report = UnitReport.for_school(approved, year(2021))
    with pytest.raises(InvalidInput, match=message):
        report.save_draft(
            by=approved.account, rows={commitments(approved)["3.2"].pk: row}, version=0
        )
    assert not ReportRow.objects.exists()


def test_quantity_on_an_item_without_one(approved):
    report = UnitReport.for_school(approved, year(2021))
    with pytest.raises(InvalidInput, match="完成数量无效"):
        report.save_draft(
            by=approved.account,
            rows={commitments(approved)["1"].pk: RowFigures(quantity=1)},
            version=0,
        )


def test_a_commitment_that_is_not_approved_is_refused(approved, shanxi, open_round, province_admin):
    other = school_in_state(shanxi, open_round, "submitted", province_admin)
    pending = Declaration.objects.get(school=other).commitments.first()
    report = UnitReport.for_school(approved, year(2021))
    with pytest.raises(InvalidInput, match="不在本校已通过"):
        report.save_draft(by=approved.account, rows={pending.pk: figures()}, version=0)


def test_stale_version_is_refused(approved):
    report = UnitReport.for_school(approved, year(2021))
    rows = complete_rows(approved)
    report.save_draft(by=approved.account, rows=rows, version=0)
    with pytest.raises(StaleVersion):
        report.save_draft(by=approved.account, rows=rows, version=0)


def test_deadline_and_the_provinces_earlier_one(approved, shanxi):
    reporting = year(2021, days=10)
    report = UnitReport.for_school(approved, reporting)
    ProvinceDeadline.objects.create(
        reporting_year=reporting, province=shanxi, deadline=beijing_today() - timedelta(days=1)
    )
    assert report.deadline == beijing_today() - timedelta(days=1)
    with pytest.raises(WindowClosed, match="截止"):
        report.save_draft(by=approved.account, rows=complete_rows(approved), version=0)
    # A province may only bring the deadline forward, never past the ministry's.
    ProvinceDeadline.objects.filter(province=shanxi).update(
        deadline=beijing_today() + timedelta(days=30)
    )
    assert report.deadline == reporting.deadline


def test_only_the_school_edits_its_report(approved, other_school_user, province_admin):
    report = UnitReport.for_school(approved, year(2021))
    for user in (other_school_user, province_admin, MinistryUserFactory()):
        with pytest.raises(NotAllowed):
            report.save_draft(by=user, rows={}, version=0)


@pytest.fixture
def submitted(approved):
    report = UnitReport.for_school(approved, year(2021))
    annual(report, approved.account)
    report.submit(by=approved.account, rows=complete_rows(approved), version=report.version)
    return report


def test_province_evaluates(submitted, province_admin):
    submitted.evaluate(by=province_admin, grade=Grade.GOOD, comment="完成较好", ip="10.1.1.1")
    assert (submitted.status, submitted.grade, submitted.evaluation_comment) == (
        ReportStatus.EVALUATED,
        Grade.GOOD,
        "完成较好",
    )
    assert (
        AuditEvent.objects.for_subject(submitted)
        .filter(action=AuditAction.REPORT_EVALUATE)
        .exists()
    )
    with pytest.raises(InvalidState):
        submitted.evaluate(by=province_admin, grade=Grade.PASS, comment="再评")


@pytest.mark.parametrize(
    ("grade", "comment", "message"),
    [
        ("", "意见", "评价等级"),
        ("best", "意见", "评价等级"),
        (Grade.PASS, " ", "评价意见"),
        (Grade.PASS, "字" * 501, "不能超过500字"),
    ],
)
def test_evaluation_needs_a_grade_and_a_comment(submitted, province_admin, grade, comment, message):
    with pytest.raises(InvalidInput, match=message):
        submitted.evaluate(by=province_admin, grade=grade, comment=comment)
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_only_the_province_evaluates(submitted, approved, other_province_admin):
    for user in (approved.account, other_province_admin, MinistryUserFactory()):
        with pytest.raises(NotAllowed):
            submitted.evaluate(by=user, grade=Grade.PASS, comment="x")
        with pytest.raises(NotAllowed):
            submitted.return_for_changes(by=user, comment="x")


def test_returned_report_is_fixed_even_after_the_deadline(submitted, approved, province_admin):
    submitted.return_for_changes(by=province_admin, comment="请补充佐证材料")
    assert submitted.status == ReportStatus.RETURNED
    ReportingYear.objects.filter(pk=submitted.reporting_year_id).update(
        deadline=beijing_today() - timedelta(days=1)
    )
    submitted.refresh_from_db()
    submitted.reporting_year.refresh_from_db()
    rows = complete_rows(approved, narrative="已补充")
    submitted.submit(by=approved.account, rows=rows, version=submitted.version)
    assert submitted.status == ReportStatus.SUBMITTED and submitted.return_comment == ""


def test_a_submitted_report_cannot_be_changed_by_the_school(submitted, approved):
    with pytest.raises(InvalidState, match="已提交"):
        submitted.save_draft(by=approved.account, rows={}, version=submitted.version)


def test_evidence_and_annual_report_files(
    approved, private_files, django_capture_on_commit_callbacks
):
    tmp_path = private_files
    report = UnitReport.for_school(approved, year(2021))
    c = commitments(approved)
    report.add_evidence(
        by=approved.account,
        commitment_id=c["3.2"].pk,
        upload=SimpleUploadedFile("../证明.pdf", PDF),
    )
    annual(report, approved.account)
    stored = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert len(stored) == 2
    evidence = ReportRow.objects.get().files.get()
    assert evidence.original_name == "证明.pdf" and evidence.size == len(PDF)
    # Replacing the annual report removes the old file once the change is committed.
    with django_capture_on_commit_callbacks(execute=True):
        annual(report, approved.account)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        report.remove_evidence(by=approved.account, evidence_id=evidence.pk)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    # A refused upload stores nothing.
    with pytest.raises(InvalidInput, match="改了扩展名"):
        report.add_evidence(
            by=approved.account,
            commitment_id=c["1"].pk,
            upload=SimpleUploadedFile("程序.pdf", EXECUTABLE),
        )
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_failure_after_storing_removes_the_file(approved, private_files, monkeypatch):
    tmp_path = private_files
    report = UnitReport.for_school(approved, year(2021))

    def broken(*args, **kwargs):
        raise RuntimeError("数据库写入失败")

    monkeypatch.setattr(AuditEvent, "record", broken)
    with pytest.raises(RuntimeError):
        annual(report, approved.account)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not UnitReport.objects.filter(annual_report__gt="").exists()


def test_ministry_and_province_read_reports_schools_only_their_own(
    submitted, approved, other_school_user, province_admin
):
    assert submitted.can_read(approved.account) and submitted.can_read(province_admin)
    assert submitted.can_read(MinistryUserFactory())
    assert not submitted.can_read(other_school_user)
    assert not submitted.can_read(ProvinceAdminFactory(province=Province.objects.get(code="41")))
