"""Every transition of a declaration and its commitments: the rule, the refusal, the audit."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tasks.choices import AuditAction, DeclarationStatus, ReviewStatus, SchoolStatus, WindowState
from tasks.models import AuditEvent, Commitment, Contacts, Declaration, derive_school_status
from tasks.transitions import (
    BEIJING,
    InvalidInput,
    InvalidState,
    NotAllowed,
    StaleVersion,
    WindowClosed,
    beijing_today,
)
from tests.factories import MinistryUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row, row

pytestmark = pytest.mark.django_db

CONTACTS = Contacts("张老师", "0351-1234567", "13800000000")


def save(declaration, user, rows, **kw):
    declaration.save_draft(
        by=user,
        rows=rows,
        contacts=kw.pop("contacts", CONTACTS),
        version=kw.pop("version", declaration.version),
        ip="10.1.2.3",
        **kw,
    )


def submit(declaration, user, rows=None, **kw):
    if rows is None:
        rows = {item(c).pk: full_row(item(c)) for c in ("1", "3.2")}
    declaration.submit(
        by=user,
        rows=rows,
        contacts=kw.pop("contacts", CONTACTS),
        version=kw.pop("version", declaration.version),
        ip="10.1.2.3",
        **kw,
    )


def close(round_):
    round_.start_date = beijing_today() - timedelta(days=20)
    round_.end_date = beijing_today() - timedelta(days=1)
    round_.save()


@pytest.fixture
def submitted(declaration, school_user):
    submit(declaration, school_user)
    return declaration


def commitment(declaration, code):
    return declaration.commitments.get(item__code=code)


# -- the round's window -------------------------------------------------------------------


def test_round_is_open_until_midnight_beijing_time_on_the_end_date(open_round):
    end = open_round.end_date
    last_minute = datetime.combine(end, datetime.min.time(), BEIJING) + timedelta(
        hours=23, minutes=59, seconds=59
    )
    assert open_round.window(last_minute) == WindowState.OPEN
    assert open_round.window(last_minute + timedelta(seconds=1)) == WindowState.CLOSED
    before = datetime.combine(open_round.start_date, datetime.min.time(), BEIJING)
    assert open_round.window(before - timedelta(seconds=1)) == WindowState.NOT_STARTED
    assert open_round.window(before) == WindowState.OPEN
    assert open_round.closes_at == last_minute + timedelta(seconds=1)


def test_round_offers_the_school_items_by_default(open_round):
    codes = set(open_round.items.values_list("code", flat=True))
    assert len(codes) == 44
    assert {"1", "2", "3.1", "3.2", "3.3", "36.2", "43.1"} <= codes
    assert not codes & {"5", "12", "36.1", "43.2", "8", "9"}


# -- save ----------------------------------------------------------------------------------


def test_save_keeps_an_incomplete_form_and_records_what_changed(declaration, school_user):
    save(
        declaration,
        school_user,
        {
            item("3.2").pk: row(quantity=2, school_funds=1.5),
            item("1").pk: row(undertaken=False, local_funds=3),
        },
    )
    assert declaration.pk and declaration.version == 1
    assert declaration.status == DeclarationStatus.DRAFT
    c = commitment(declaration, "3.2")
    assert (c.undertaken, c.quantity, c.school_funds, c.industry_funds) == (
        True,
        2,
        Decimal("1.50"),
        None,
    )
    assert c.total == Decimal("1.50")
    assert commitment(declaration, "1").local_funds == Decimal("3")
    event = AuditEvent.objects.for_subject(declaration).get()
    assert (event.action, event.user, event.ip, event.version) == (
        AuditAction.SAVE,
        school_user,
        "10.1.2.3",
        1,
    )
    assert event.changes["items"]["3.2"]["quantity"] == [None, 2]
    assert event.changes["items"]["3.2"]["school_funds"] == [None, "1.5"]


def test_save_updates_contacts_and_audits_them(declaration, school_user):
    save(declaration, school_user, {}, contacts=Contacts("王老师", "010-87654321", "13900000000"))
    school_user.school.refresh_from_db()
    assert school_user.school.contact_name == "王老师"
    assert AuditEvent.objects.for_subject(declaration).get().changes["contacts"][
        "contact_name"
    ] == ["张老师", "王老师"]


def test_clearing_a_row_deletes_it(declaration, school_user):
    save(declaration, school_user, {item("1").pk: row(school_funds=1)})
    save(declaration, school_user, {item("1").pk: row(undertaken=False)})
    assert not declaration.commitments.exists()


def test_total_is_the_sum_of_the_sources(declaration, school_user, open_round):
    open_round.uses_provincial_funds = True
    open_round.save()
    save(
        declaration,
        school_user,
        {
            item("1").pk: row(
                school_funds=0.1,
                industry_funds=0.2,
                sponsor_funds=3,
                local_funds=4,
                provincial_funds=5.55,
            )
        },
    )
    assert commitment(declaration, "1").total == Decimal("12.85")


def test_stale_version_is_refused_and_nothing_changes(declaration, school_user):
    save(declaration, school_user, {item("1").pk: row(school_funds=1)})
    with pytest.raises(StaleVersion):
        save(declaration, school_user, {item("1").pk: row(school_funds=9)}, version=0)
    assert commitment(declaration, "1").school_funds == 1
    assert AuditEvent.objects.for_subject(declaration).count() == 1


def test_another_school_cannot_save(declaration, other_school_user):
    with pytest.raises(NotAllowed):
        save(declaration, other_school_user, {item("1").pk: row(school_funds=1)})
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("user_kind", ["province", "ministry"])
def test_other_roles_cannot_save(declaration, province_admin, user_kind):
    user = province_admin if user_kind == "province" else MinistryUserFactory()
    with pytest.raises(NotAllowed):
        save(declaration, user, {item("1").pk: row(school_funds=1)})


def test_save_after_the_end_date_is_refused(declaration, school_user, open_round):
    close(open_round)
    with pytest.raises(WindowClosed, match="截止"):
        save(declaration, school_user, {item("1").pk: row(school_funds=1)})
    assert not Commitment.objects.exists()


def test_save_before_the_start_is_refused(declaration, school_user, open_round):
    open_round.start_date = beijing_today() + timedelta(days=1)
    open_round.end_date = beijing_today() + timedelta(days=5)
    open_round.save()
    with pytest.raises(WindowClosed, match="开始"):
        save(declaration, school_user, {item("1").pk: row(school_funds=1)})


@pytest.mark.parametrize(
    ("code", "values", "message"),
    [
        ("1", row(quantity=3, school_funds=1), "不填写承接数量"),
        ("3.2", row(quantity=0), "1至100000"),
        ("1", row(school_funds=-1), "金额无效"),
        ("1", row(school_funds="0.001"), "金额无效"),
        ("1", row(school_funds="NaN"), "金额无效"),
        ("1", row(school_funds="100000000"), "金额无效"),
        ("1", row(provincial_funds=1), "省财政投入"),
        ("5", row(school_funds=1), "未开放"),
    ],
)
def test_model_refuses_values_no_form_produces(declaration, school_user, code, values, message):
    with pytest.raises(InvalidInput, match=message):
        save(declaration, school_user, {item(code).pk: values})
    assert not Commitment.objects.exists()


def test_unknown_item_id_is_refused(declaration, school_user):
    with pytest.raises(InvalidInput):
        save(declaration, school_user, {999999: row(school_funds=1)})


# -- submit --------------------------------------------------------------------------------


def test_submit_sends_ticked_rows_for_review(declaration, school_user):
    save(declaration, school_user, {item("2").pk: row(undertaken=False, school_funds=5)})
    submit(declaration, school_user)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.submitted_at is not None
    assert set(declaration.commitments.values_list("item__code", "review_status")) == {
        ("1", ReviewStatus.PENDING),
        ("3.2", ReviewStatus.PENDING),
    }
    assert AuditEvent.objects.filter(action=AuditAction.SUBMIT).count() == 1
    assert declaration.school_status == SchoolStatus.SUBMITTED
    assert declaration.item_count == 2 and declaration.total_funds == 20


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({}, "至少勾选一项"),
        ({"1": {"local_funds": None}}, "1填写不完整"),
        ({"3.2": {"quantity": None}}, "3.2填写不完整"),
    ],
)
def test_incomplete_submit_is_refused_and_changes_nothing(declaration, school_user, rows, message):
    values = {item(code).pk: full_row(item(code), **overrides) for code, overrides in rows.items()}
    with pytest.raises(InvalidInput, match=message):
        submit(declaration, school_user, values)
    assert declaration.status == DeclarationStatus.DRAFT
    assert not Commitment.objects.exists()


def test_submit_needs_contacts(declaration, school_user):
    with pytest.raises(InvalidInput, match="平台管理联系人"):
        submit(declaration, school_user, contacts=Contacts("", "", ""))


def test_zero_funding_is_complete(declaration, school_user):
    submit(
        declaration,
        school_user,
        {item("1").pk: row(school_funds=0, industry_funds=0, sponsor_funds=0, local_funds=0)},
    )
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_provincial_funds_are_required_where_the_round_uses_them(
    declaration, school_user, open_round
):
    open_round.uses_provincial_funds = True
    open_round.save()
    with pytest.raises(InvalidInput, match="不完整"):
        submit(declaration, school_user, {item("1").pk: full_row(item("1"))})
    submit(declaration, school_user, {item("1").pk: full_row(item("1"), provincial_funds=0)})


def test_second_submit_is_refused_and_changes_nothing(submitted, school_user):
    version = submitted.version
    with pytest.raises(InvalidState):
        submit(submitted, school_user, version=version)
    submitted.refresh_from_db()
    assert submitted.version == version
    assert AuditEvent.objects.filter(action=AuditAction.SUBMIT).count() == 1


def test_save_after_submission_is_refused(submitted, school_user):
    with pytest.raises(InvalidState, match="已提交"):
        save(submitted, school_user, {item("1").pk: row(school_funds=9)})
    assert commitment(submitted, "1").school_funds == 1


# -- withdraw ------------------------------------------------------------------------------


def test_withdraw_before_review(submitted, school_user):
    assert submitted.can_withdraw(school_user)
    submitted.withdraw(by=school_user, ip="10.1.2.3")
    assert submitted.status == DeclarationStatus.DRAFT
    assert set(submitted.commitments.values_list("review_status", flat=True)) == {""}
    assert AuditEvent.objects.filter(action=AuditAction.WITHDRAW).exists()
    assert submitted.school_status == SchoolStatus.FILLING


@pytest.mark.parametrize("review", ["approve", "return"])
def test_withdraw_refused_after_first_review(submitted, school_user, province_admin, review):
    c = commitment(submitted, "1")
    if review == "approve":
        c.approve(by=province_admin)
    else:
        c.return_for_changes(by=province_admin, comment="数量偏多")
    submitted.refresh_from_db()
    assert "联系省级平台联系人" in submitted.withdraw_refusal(school_user)
    with pytest.raises(InvalidState, match="已开始审核"):
        submitted.withdraw(by=school_user)
    submitted.refresh_from_db()
    assert submitted.status == DeclarationStatus.SUBMITTED


def test_withdraw_refused_after_the_end_date(submitted, school_user, open_round):
    close(open_round)
    submitted.refresh_from_db()
    with pytest.raises(InvalidState, match="截止"):
        submitted.withdraw(by=school_user)


def test_withdraw_refused_for_a_draft(declaration, school_user):
    save(declaration, school_user, {item("1").pk: row(school_funds=1)})
    with pytest.raises(InvalidState, match="尚未提交"):
        declaration.withdraw(by=school_user)


def test_withdraw_refused_for_another_school(submitted, other_school_user, province_admin):
    for user in (other_school_user, province_admin):
        with pytest.raises(InvalidState, match="本校"):
            submitted.withdraw(by=user)


# -- review by the province ----------------------------------------------------------------


def test_approve_and_return(submitted, province_admin):
    commitment(submitted, "1").approve(by=province_admin, ip="10.9.9.9")
    c = commitment(submitted, "3.2")
    c.return_for_changes(by=province_admin, comment="  请核实数量  ")
    c.refresh_from_db()
    assert (c.review_status, c.comment, c.reviewed_by) == (
        ReviewStatus.RETURNED,
        "请核实数量",
        province_admin,
    )
    assert commitment(submitted, "1").review_status == ReviewStatus.APPROVED
    event = AuditEvent.objects.filter(action=AuditAction.RETURN).get()
    assert event.changes == {"items": ["3.2"], "comment": "请核实数量"}
    assert (event.subject, event.school_id) == (submitted, submitted.school_id)
    submitted.refresh_from_db()
    assert submitted.school_status == SchoolStatus.RETURNED


@pytest.mark.parametrize("comment", ["", "   ", "x" * 501])
def test_return_needs_a_comment(submitted, province_admin, comment):
    with pytest.raises(InvalidInput):
        commitment(submitted, "1").return_for_changes(by=province_admin, comment=comment)
    assert commitment(submitted, "1").review_status == ReviewStatus.PENDING


@pytest.mark.parametrize("reviewer", ["school", "other_province", "ministry"])
def test_only_the_province_reviews(submitted, school_user, other_province_admin, reviewer):
    user = {
        "school": school_user,
        "other_province": other_province_admin,
        "ministry": MinistryUserFactory(),
    }[reviewer]
    c = commitment(submitted, "1")
    with pytest.raises(NotAllowed):
        c.approve(by=user)
    with pytest.raises(NotAllowed):
        c.return_for_changes(by=user, comment="x")
    with pytest.raises(NotAllowed):
        submitted.approve_all(by=user)
    with pytest.raises(NotAllowed):
        submitted.reopen(by=user, reason="x")
    assert commitment(submitted, "1").review_status == ReviewStatus.PENDING


@pytest.mark.parametrize(
    ("start", "action", "allowed"),
    [
        (ReviewStatus.PENDING, "approve", True),
        (ReviewStatus.APPROVED, "approve", False),
        (ReviewStatus.RETURNED, "approve", False),
        (ReviewStatus.PENDING, "return", True),
        (ReviewStatus.APPROVED, "return", False),
        (ReviewStatus.RETURNED, "return", False),
        (ReviewStatus.PENDING, "undo", False),
        (ReviewStatus.APPROVED, "undo", True),
        (ReviewStatus.RETURNED, "undo", True),
    ],
)
def test_review_transitions_from_every_state(submitted, province_admin, start, action, allowed):
    c = commitment(submitted, "1")
    Commitment.objects.filter(pk=c.pk).update(review_status=start)
    c.refresh_from_db()
    act = {
        "approve": lambda: c.approve(by=province_admin),
        "return": lambda: c.return_for_changes(by=province_admin, comment="意见"),
        "undo": lambda: c.undo_review(by=province_admin),
    }[action]
    if allowed:
        act()
        expected = {
            "approve": ReviewStatus.APPROVED,
            "return": ReviewStatus.RETURNED,
            "undo": ReviewStatus.PENDING,
        }[action]
        assert commitment(submitted, "1").review_status == expected
    else:
        with pytest.raises(InvalidState, match="刷新"):
            act()
        assert commitment(submitted, "1").review_status == start


def test_review_refused_on_a_draft(declaration, school_user, province_admin):
    save(declaration, school_user, {item("1").pk: full_row(item("1"))})
    with pytest.raises(InvalidState, match="撤回或尚未提交"):
        commitment(declaration, "1").approve(by=province_admin)


def test_undo_clears_the_review(submitted, province_admin):
    c = commitment(submitted, "1")
    c.return_for_changes(by=province_admin, comment="意见")
    c.undo_review(by=province_admin)
    c.refresh_from_db()
    assert (c.review_status, c.comment, c.reviewed_by, c.reviewed_at) == (
        ReviewStatus.PENDING,
        "",
        None,
        None,
    )


def test_approve_all(submitted, province_admin):
    commitment(submitted, "1").return_for_changes(by=province_admin, comment="意见")
    assert submitted.approve_all(by=province_admin) == 1
    assert commitment(submitted, "3.2").review_status == ReviewStatus.APPROVED
    assert commitment(submitted, "1").review_status == ReviewStatus.RETURNED
    with pytest.raises(InvalidState, match="没有待审核"):
        submitted.approve_all(by=province_admin)


def test_all_approved_is_the_approved_status(submitted, province_admin):
    submitted.approve_all(by=province_admin)
    assert submitted.school_status == SchoolStatus.APPROVED
    assert submitted.summary(approved=True) == submitted.summary()


def test_reopen_returns_the_whole_declaration_to_draft(submitted, province_admin, school_user):
    submitted.approve_all(by=province_admin)
    submitted.reopen(by=province_admin, reason="学校申请调整承接任务")
    assert submitted.status == DeclarationStatus.DRAFT
    assert set(submitted.commitments.values_list("review_status", flat=True)) == {""}
    assert AuditEvent.objects.filter(action=AuditAction.REOPEN).get().changes == {
        "reason": "学校申请调整承接任务"
    }
    save(submitted, school_user, {item("1").pk: full_row(item("1"), school_funds=9)})


def test_reopen_needs_a_reason_and_after_the_end_date_a_new_one(
    submitted, province_admin, open_round
):
    with pytest.raises(InvalidInput, match="退回原因"):
        submitted.reopen(by=province_admin, reason=" ")
    close(open_round)
    submitted.refresh_from_db()
    with pytest.raises(WindowClosed, match="新的截止日期"):
        submitted.reopen(by=province_admin, reason="学校申请")
    assert submitted.status == DeclarationStatus.SUBMITTED


def test_reopen_refused_for_a_draft(declaration, school_user, province_admin):
    save(declaration, school_user, {item("1").pk: full_row(item("1"))})
    with pytest.raises(InvalidState, match="尚未提交"):
        declaration.reopen(by=province_admin, reason="x")


# -- returned items ------------------------------------------------------------------------


@pytest.fixture
def returned(submitted, province_admin):
    commitment(submitted, "3.2").return_for_changes(by=province_admin, comment="数量请核实")
    commitment(submitted, "1").approve(by=province_admin)
    submitted.refresh_from_db()
    return submitted


def test_save_returned_keeps_them_returned(returned, school_user):
    returned.save_returned(
        by=school_user,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=1)},
        version=returned.version,
    )
    c = commitment(returned, "3.2")
    assert (c.quantity, c.review_status, c.comment) == (1, ReviewStatus.RETURNED, "数量请核实")


def test_resubmit_sends_the_selected_items_back_to_pending(returned, school_user):
    returned.resubmit(
        by=school_user,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=1)},
        selected=[item("3.2").pk],
        version=returned.version,
    )
    c = commitment(returned, "3.2")
    assert (c.quantity, c.review_status, c.comment) == (1, ReviewStatus.PENDING, "")
    assert commitment(returned, "1").review_status == ReviewStatus.APPROVED
    assert AuditEvent.objects.filter(action=AuditAction.RESUBMIT).get().changes["resubmitted"] == [
        "3.2"
    ]


def test_resubmit_unticked_drops_the_item(returned, school_user):
    returned.resubmit(
        by=school_user,
        rows={item("3.2").pk: row(undertaken=False)},
        selected=[item("3.2").pk],
        version=returned.version,
    )
    assert not returned.commitments.filter(item__code="3.2").exists()
    assert AuditEvent.objects.filter(action=AuditAction.RESUBMIT).get().changes["dropped"] == [
        "3.2"
    ]


def test_resubmit_is_allowed_after_the_end_date(returned, school_user, open_round):
    close(open_round)
    returned.refresh_from_db()
    returned.resubmit(by=school_user, rows={}, selected=[item("3.2").pk], version=returned.version)
    assert commitment(returned, "3.2").review_status == ReviewStatus.PENDING


@pytest.mark.parametrize("code", ["1", "3.1"])
def test_resubmit_refuses_items_that_are_not_returned(returned, school_user, code):
    with pytest.raises(InvalidState):
        returned.resubmit(
            by=school_user, rows={}, selected=[item(code).pk], version=returned.version
        )
    assert commitment(returned, "3.2").review_status == ReviewStatus.RETURNED


def test_resubmit_refuses_incomplete_rows(returned, school_user):
    with pytest.raises(InvalidInput, match="不完整"):
        returned.resubmit(
            by=school_user,
            rows={item("3.2").pk: full_row(item("3.2"), quantity=None)},
            selected=[item("3.2").pk],
            version=returned.version,
        )
    assert commitment(returned, "3.2").quantity == 2


def test_resubmit_needs_a_selection_and_the_current_version(returned, school_user):
    with pytest.raises(InvalidInput):
        returned.resubmit(by=school_user, rows={}, selected=[], version=returned.version)
    with pytest.raises(StaleVersion):
        returned.resubmit(by=school_user, rows={}, selected=[item("3.2").pk], version=0)


def test_another_school_cannot_resubmit(returned, other_school_user):
    with pytest.raises(InvalidState, match="本校"):
        returned.resubmit(
            by=other_school_user, rows={}, selected=[item("3.2").pk], version=returned.version
        )


# -- derived status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "counts", "expected"),
    [
        (None, (0, 0, 0), SchoolStatus.NOT_STARTED),
        (DeclarationStatus.DRAFT, (0, 0, 0), SchoolStatus.NOT_STARTED),
        (DeclarationStatus.DRAFT, (1, 0, 0), SchoolStatus.FILLING),
        (DeclarationStatus.SUBMITTED, (2, 0, 0), SchoolStatus.SUBMITTED),
        (DeclarationStatus.SUBMITTED, (2, 1, 0), SchoolStatus.REVIEWING),
        (DeclarationStatus.SUBMITTED, (2, 1, 1), SchoolStatus.RETURNED),
        (DeclarationStatus.SUBMITTED, (2, 2, 0), SchoolStatus.APPROVED),
    ],
)
def test_derived_school_status(status, counts, expected):
    assert derive_school_status(status, *counts) == expected


def test_every_transition_keeps_the_derived_status(declaration, school_user, province_admin):
    save(declaration, school_user, {item("1").pk: row(school_funds=1)})
    assert (declaration.school_status, declaration.item_count) == (SchoolStatus.FILLING, 1)
    submit(declaration, school_user)
    assert declaration.school_status == SchoolStatus.SUBMITTED
    commitment(declaration, "1").approve(by=province_admin)
    declaration.refresh_from_db()
    assert declaration.school_status == SchoolStatus.REVIEWING
    commitment(declaration, "3.2").return_for_changes(by=province_admin, comment="意见")
    declaration.refresh_from_db()
    assert declaration.school_status == SchoolStatus.RETURNED
    declaration.resubmit(
        by=school_user, rows={}, selected=[item("3.2").pk], version=declaration.version
    )
    assert declaration.school_status == SchoolStatus.REVIEWING
    declaration.approve_all(by=province_admin)
    assert declaration.school_status == SchoolStatus.APPROVED
    declaration.reopen(by=province_admin, reason="学校申请")
    assert declaration.school_status == SchoolStatus.FILLING


def test_first_saves_from_two_tabs_create_one_declaration(open_round, school_user):
    first = Declaration.for_school(school_user.school, open_round)
    second = Declaration.for_school(school_user.school, open_round)
    save(first, school_user, {item("1").pk: row(school_funds=1)}, version=0)
    with pytest.raises(StaleVersion):
        save(second, school_user, {item("1").pk: row(school_funds=2)}, version=0)
    assert Declaration.objects.count() == 1
    assert Commitment.objects.get().school_funds == 1
