"""Extensions for one school (延期): who may ask, grant and refuse, in which state; the school's
window follows its grant; reopening after the end date grants a new end date in the same step;
every step is on record and told to the other side."""

from datetime import date, datetime, time, timedelta

import pytest

from schools.choices import AuditAction
from tasks.choices import DeclarationStatus, ExtensionStatus, NoticeKind
from tasks.models import AuditEvent, Declaration, Extension, Notice
from tasks.models.notices import send_deadline_reminders
from tasks.transitions import (
    BEIJING,
    InvalidInput,
    InvalidState,
    NotAllowed,
    WindowClosed,
    beijing_today,
)
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row, row, written_by

pytestmark = pytest.mark.django_db

TODAY = beijing_today()


@pytest.fixture
def clock(monkeypatch):
    """A fixed Beijing day for every window and date check: clock(day) moves it."""

    def move(day: date) -> None:
        fake = lambda at=None: day if at is None else beijing_today(at)  # noqa: E731
        for module in ("tasks.models.rounds", "tasks.models.extensions"):
            monkeypatch.setattr(f"{module}.beijing_today", fake)

    return move


def end_round(round_, days_ago: int = 1):
    """The round ended `days_ago` days ago (24:00 of its end date has passed)."""
    round_.start_date = TODAY - timedelta(days=20)
    round_.end_date = TODAY - timedelta(days=days_ago)
    round_.save()


def actor(role, school_user, other_school_user, province_admin, other_province_admin):
    return {
        "school": school_user,
        "other_school": other_school_user,
        "own_province": province_admin,
        "other_province": other_province_admin,
        "ministry": MinistryUserFactory(),
    }[role]


ROLES = ["school", "other_school", "own_province", "other_province", "ministry"]


def ask(round_, user, days=5, reason="校园网络改造，数据需重新整理"):
    return Extension.request(
        round_,
        user.school,
        by=user,
        reason=reason,
        wanted_until=round_.end_date + timedelta(days=days),
        ip="10.0.0.1",
    )


# -- asking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ended", [False, True], ids=["before_end", "after_end"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_school_itself_may_ask(
    role,
    ended,
    open_round,
    school_user,
    other_school_user,
    province_admin,
    other_province_admin,
):
    if ended:
        end_round(open_round)
    user = actor(role, school_user, other_school_user, province_admin, other_province_admin)
    call = lambda: Extension.request(  # noqa: E731
        open_round,
        school_user.school,
        by=user,
        reason="需要更多时间",
        wanted_until=max(open_round.end_date, TODAY) + timedelta(days=3),
    )
    if role != "school":
        with pytest.raises(NotAllowed):
            call()
        assert not Extension.objects.exists()
        return
    extension = call()
    assert extension.status == ExtensionStatus.REQUESTED
    assert extension.requested_by == school_user
    event = AuditEvent.objects.for_subject(extension).get()
    assert event.action == AuditAction.EXTENSION_REQUEST
    assert event.school_id == school_user.school.code
    assert event.province_id == open_round.province_id


@pytest.mark.parametrize(
    ("reason", "offset", "message"),
    [
        ("", 5, "请填写延期原因"),
        ("x" * 501, 5, "不能超过500"),
        ("原因", 0, "须晚于本省结束日期"),
        ("原因", -3, "须晚于本省结束日期"),
        ("原因", 61, "不能晚于"),
        ("原因", None, "请填写延期至"),
    ],
)
def test_a_request_needs_a_reason_and_a_sensible_date(
    open_round, school_user, reason, offset, message
):
    wanted = None if offset is None else open_round.end_date + timedelta(days=offset)
    with pytest.raises(InvalidInput, match=message):
        Extension.request(
            open_round, school_user.school, by=school_user, reason=reason, wanted_until=wanted
        )
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.EXTENSION_REQUEST).exists()


def test_a_date_in_the_past_is_refused(open_round, school_user):
    end_round(open_round, days_ago=10)
    with pytest.raises(InvalidInput, match="不能早于今天"):
        Extension.request(
            open_round,
            school_user.school,
            by=school_user,
            reason="原因",
            wanted_until=TODAY - timedelta(days=1),
        )


def test_sixty_days_after_the_end_date_is_the_limit(open_round, school_user):
    extension = ask(open_round, school_user, days=60)
    assert extension.wanted_until == open_round.end_date + timedelta(days=60)


def test_one_open_request_at_a_time(open_round, school_user, province_admin):
    first = ask(open_round, school_user)
    with pytest.raises(InvalidState, match="待省厅处理"):
        ask(open_round, school_user, days=7)
    first.refuse(by=province_admin, answer="时间充足")
    second = ask(open_round, school_user, days=7)
    assert second.is_pending
    assert Extension.objects.filter(status=ExtensionStatus.REQUESTED).count() == 1


# -- deciding --------------------------------------------------------------------------------


@pytest.fixture
def requested(open_round, school_user):
    end_round(open_round)
    return ask(open_round, school_user)


@pytest.mark.parametrize("verb", ["grant", "refuse"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_schools_own_province_decides(
    role,
    verb,
    requested,
    school_user,
    other_school_user,
    province_admin,
    other_province_admin,
):
    user = actor(role, school_user, other_school_user, province_admin, other_province_admin)
    until = TODAY + timedelta(days=3)
    call = (
        (lambda: requested.grant(by=user, until=until))
        if verb == "grant"
        else (lambda: requested.refuse(by=user, answer="材料已齐全"))
    )
    if role != "own_province":
        with pytest.raises(NotAllowed):
            call()
        requested.refresh_from_db()
        assert requested.is_pending
        return
    call()
    requested.refresh_from_db()
    assert requested.decided_by == province_admin
    if verb == "grant":
        assert (requested.status, requested.granted_until) == (ExtensionStatus.GRANTED, until)
        action = AuditAction.EXTENSION_GRANT
    else:
        assert (requested.status, requested.answer) == (ExtensionStatus.REFUSED, "材料已齐全")
        action = AuditAction.EXTENSION_REFUSE
    assert AuditEvent.objects.for_subject(requested).filter(action=action).count() == 1


@pytest.mark.parametrize("state", ["granted", "refused"])
@pytest.mark.parametrize("verb", ["grant", "refuse"])
def test_a_decided_request_cannot_be_decided_again(requested, province_admin, state, verb):
    if state == "granted":
        requested.grant(by=province_admin, until=TODAY + timedelta(days=2))
    else:
        requested.refuse(by=province_admin, answer="不需要")
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidState, match="已处理"):
        if verb == "grant":
            requested.grant(by=province_admin, until=TODAY + timedelta(days=9))
        else:
            requested.refuse(by=province_admin, answer="再议")
    assert AuditEvent.objects.count() == events
    requested.refresh_from_db()
    assert requested.status == state


def test_refusing_needs_a_reason(requested, province_admin):
    with pytest.raises(InvalidInput, match="不同意的原因"):
        requested.refuse(by=province_admin, answer="  ")
    requested.refresh_from_db()
    assert requested.is_pending


@pytest.mark.parametrize(
    ("offset", "message"), [(-1, "须晚于本省结束日期"), (61, "不能晚于"), (None, "请填写延期至")]
)
def test_a_grant_needs_a_sensible_date(requested, province_admin, offset, message):
    end = requested.round.end_date
    until = None if offset is None else end + timedelta(days=offset)
    with pytest.raises(InvalidInput, match=message):
        requested.grant(by=province_admin, until=until)
    requested.refresh_from_db()
    assert requested.is_pending


def test_an_unasked_grant_answers_an_open_request(requested, school_user, province_admin):
    granted = Extension.grant_unasked(
        requested.round,
        school_user.school,
        by=province_admin,
        until=TODAY + timedelta(days=4),
        note="电话沟通后批准",
    )
    assert granted.pk == requested.pk
    requested.refresh_from_db()
    assert (requested.status, requested.answer) == (ExtensionStatus.GRANTED, "电话沟通后批准")
    assert Extension.objects.count() == 1


@pytest.mark.parametrize("role", ["other_province", "ministry", "school"])
def test_an_unasked_grant_only_by_the_schools_province(
    role, open_round, school_user, other_school_user, province_admin, other_province_admin
):
    user = actor(role, school_user, other_school_user, province_admin, other_province_admin)
    with pytest.raises(NotAllowed):
        Extension.grant_unasked(
            open_round, school_user.school, by=user, until=open_round.end_date + timedelta(days=2)
        )
    assert not Extension.objects.exists()
    assert not Declaration.objects.exists()


def test_an_unasked_grant_for_a_school_that_never_saved(open_round, school_user, province_admin):
    """The grant locks the school's declaration, creating it: still 未填报, version 0, so the
    school's form loaded before (posting "new", version 0) still saves."""
    end_round(open_round)
    Extension.grant_unasked(
        open_round, school_user.school, by=province_admin, until=TODAY + timedelta(days=2)
    )
    declaration = Declaration.objects.get(school=school_user.school)
    assert (declaration.version, declaration.school_status) == (0, "not_started")
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
    )
    assert declaration.commitments.get().school_funds == 1


def test_a_later_grant_replaces_an_earlier_one_even_a_shorter_one(
    requested, school_user, province_admin
):
    requested.grant(by=province_admin, until=TODAY + timedelta(days=10))
    declaration = Declaration.for_school(school_user.school, requested.round)
    assert declaration.end_date == TODAY + timedelta(days=10)
    shorter = Extension.grant_unasked(
        requested.round, school_user.school, by=province_admin, until=TODAY + timedelta(days=3)
    )
    assert Declaration.for_school(school_user.school, requested.round).end_date == TODAY + (
        timedelta(days=3)
    )
    event = AuditEvent.objects.for_subject(shorter).get()
    assert event.changes["fields"]["granted_until"] == [
        f"{TODAY + timedelta(days=10):%Y-%m-%d}",
        f"{TODAY + timedelta(days=3):%Y-%m-%d}",
    ]
    assert "延期至" in event.describe()


def test_a_grant_only_ever_adds_time_to_a_round_moved_later(requested, province_admin):
    requested.grant(by=province_admin, until=TODAY + timedelta(days=2))
    round_ = requested.round
    round_.end_date = TODAY + timedelta(days=20)
    round_.save()
    declaration = Declaration.for_school(requested.school, round_)
    assert declaration.end_date == round_.end_date
    assert not declaration.is_extended


# -- the school's window follows its grant -----------------------------------------------------


def test_the_window_closes_at_midnight_beijing_on_the_granted_date(requested, province_admin):
    until = TODAY + timedelta(days=3)
    requested.grant(by=province_admin, until=until)
    declaration = Declaration.for_school(requested.school, requested.round)
    last_minute = datetime.combine(until, time(23, 59), BEIJING)
    midnight = datetime.combine(until + timedelta(days=1), time(0, 0), BEIJING)
    assert declaration.is_open(last_minute)
    assert not declaration.is_open(midnight)
    other = Declaration.for_school(
        SchoolUserFactory(school__province=requested.school.province).school, requested.round
    )
    assert not other.is_open(last_minute)  # the grant is for that school only


def test_form_opens_saves_and_submits_before_expiry_and_closes_after(
    open_round, school_user, province_admin, clock
):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
    )
    end_round(open_round)
    declaration = Declaration.objects.get(pk=declaration.pk)
    with pytest.raises(WindowClosed, match="本省申报已于"):
        declaration.save_draft(
            by=school_user, rows={item("1").pk: row(school_funds=2)}, contacts=None, version=1
        )
    until = TODAY + timedelta(days=2)
    Extension.grant_unasked(open_round, school_user.school, by=province_admin, until=until)
    clock(until)  # the last day of the extension
    declaration = Declaration.objects.get(pk=declaration.pk)
    assert declaration.is_open() and declaration.can_edit(school_user)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=2)}, contacts=None, version=1
    )
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=2
    )
    assert declaration.status == DeclarationStatus.SUBMITTED
    declaration.withdraw(by=school_user)  # 继续修改 follows the school's window too
    clock(until + timedelta(days=1))  # expired
    declaration = Declaration.objects.get(pk=declaration.pk)
    assert not declaration.is_open()
    assert declaration.closed_message() == (
        f"本校延期至{until:%Y-%m-%d} 24:00，已截止，现在只能查看和导出。"
    )
    with pytest.raises(WindowClosed, match=f"本校延期至{until:%Y-%m-%d} 24:00"):
        declaration.save_draft(
            by=school_user, rows={item("1").pk: row(school_funds=9)}, contacts=None, version=4
        )
    assert declaration.commitments.get().school_funds == 1


def test_withdraw_after_the_end_date_follows_the_grant(open_round, school_user, province_admin):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    end_round(open_round)
    declaration = Declaration.objects.get(pk=declaration.pk)
    assert "申报已截止" in declaration.withdraw_refusal(school_user)
    Extension.grant_unasked(
        open_round, school_user.school, by=province_admin, until=TODAY + timedelta(days=1)
    )
    declaration = Declaration.objects.get(pk=declaration.pk)
    assert declaration.withdraw_refusal(school_user) is None


# -- reopening after the end date ----------------------------------------------------------------


@pytest.fixture
def submitted_after_end(open_round, school_user):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    end_round(open_round)
    return Declaration.objects.get(pk=declaration.pk)


def test_reopen_after_the_end_date_requires_a_new_end_date(submitted_after_end, province_admin):
    with pytest.raises(WindowClosed, match="新的截止日期"):
        submitted_after_end.reopen(by=province_admin, reason="学校申请调整")
    submitted_after_end.refresh_from_db()
    assert submitted_after_end.status == DeclarationStatus.SUBMITTED
    assert not Extension.objects.exists()


def test_reopen_with_an_impossible_date_changes_nothing(submitted_after_end, province_admin):
    with pytest.raises(InvalidInput, match="不能晚于"):
        submitted_after_end.reopen(
            by=province_admin, reason="学校申请调整", until=TODAY + timedelta(days=90)
        )
    submitted_after_end.refresh_from_db()
    assert submitted_after_end.status == DeclarationStatus.SUBMITTED
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REOPEN).exists()


def test_reopen_after_the_end_date_grants_the_date_in_the_same_step(
    submitted_after_end, province_admin, school_user
):
    until = TODAY + timedelta(days=5)
    notices = written_by(
        lambda: submitted_after_end.reopen(by=province_admin, reason="学校申请调整", until=until)
    )
    declaration = Declaration.objects.get(pk=submitted_after_end.pk)
    assert declaration.status == DeclarationStatus.DRAFT
    assert declaration.end_date == until and declaration.can_edit(school_user)
    granted = Extension.objects.get()
    assert (granted.status, granted.granted_until, granted.decided_by) == (
        ExtensionStatus.GRANTED,
        until,
        province_admin,
    )
    assert granted.answer == "退回重新填报：学校申请调整"
    reopen = AuditEvent.objects.for_subject(declaration).get(action=AuditAction.REOPEN)
    assert reopen.changes == {"reason": "学校申请调整", "until": f"{until:%Y-%m-%d}"}
    assert AuditEvent.objects.for_subject(granted).get().action == AuditAction.EXTENSION_GRANT
    kinds = sorted(n.kind for n in notices if n.user == school_user)
    assert kinds == sorted([NoticeKind.EXTENSION_GRANTED, NoticeKind.REOPENED])
    reopened = next(n for n in notices if n.kind == NoticeKind.REOPENED)
    assert f"{until:%Y-%m-%d} 24:00" in reopened.body


def test_reopen_before_the_end_date_needs_no_date(open_round, school_user, province_admin):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    declaration.reopen(by=province_admin, reason="学校申请调整")
    assert declaration.status == DeclarationStatus.DRAFT
    assert not Extension.objects.exists()


# -- notices ------------------------------------------------------------------------------------


def test_a_request_tells_the_province_and_a_decision_tells_the_school(
    open_round, school_user, province_admin, other_province_admin
):
    colleague = ProvinceAdminFactory(province=province_admin.province)
    notices = written_by(lambda: ask(open_round, school_user, days=6))
    assert {n.user for n in notices} == {province_admin, colleague}
    assert all(n.kind == NoticeKind.EXTENSION_REQUESTED for n in notices)
    assert school_user.school.name in notices[0].title
    assert "延期原因：校园网络改造" in notices[0].body
    extension = Extension.objects.get()
    assert notices[0].url == f"/province/extensions/{extension.pk}/"

    notices = written_by(lambda: extension.refuse(by=province_admin, answer="时间充足"))
    assert [(n.user, n.kind) for n in notices] == [(school_user, NoticeKind.EXTENSION_REFUSED)]
    assert notices[0].body == "原因：时间充足"

    until = open_round.end_date + timedelta(days=3)
    notices = written_by(
        lambda: Extension.grant_unasked(
            open_round, school_user.school, by=province_admin, until=until
        )
    )
    assert [(n.user, n.kind) for n in notices] == [(school_user, NoticeKind.EXTENSION_GRANTED)]
    assert f"{until:%Y-%m-%d} 24:00" in notices[0].title
    assert not Notice.objects.filter(user=other_province_admin).exists()


# -- reminders ----------------------------------------------------------------------------------


def test_a_school_with_a_later_end_date_is_reminded_of_its_own(
    open_round, school_user, other_school_user, province_admin
):
    """Round ends in 3 days: the school without a grant gets the round's 3-day reminder; the
    school granted 10 more days does not, and later gets its own."""
    open_round.end_date = TODAY + timedelta(days=3)
    open_round.save()
    until = open_round.end_date + timedelta(days=10)
    Extension.grant_unasked(open_round, school_user.school, by=province_admin, until=until)
    Notice.objects.all().delete()
    send_deadline_reminders(TODAY)
    told = {n.user for n in Notice.objects.filter(kind=NoticeKind.DEADLINE)}
    assert other_school_user in told and school_user not in told
    province = Notice.objects.get(user=province_admin, kind=NoticeKind.DEADLINE)
    assert "还有1所学校未提交" in province.title and "另有1所已延期" in province.body
    send_deadline_reminders(until - timedelta(days=1))
    own = Notice.objects.get(user=school_user, kind=NoticeKind.DEADLINE)
    assert f"延期至{until:%Y年%m月%d日}截止" in own.title
