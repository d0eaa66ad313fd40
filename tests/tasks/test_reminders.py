"""Deadline reminders: 7, 3 and 1 days before, once per unit and deadline."""

from datetime import timedelta
from unittest import mock

import pytest

from schools.models import User
from tasks.choices import NoticeKind
from tasks.models import Mail, Notice, ProvinceDeadline, ReportingYear, UnitReport
from tasks.models.notices import reminder_band, send_deadline_reminders
from tasks.transitions import beijing_today
from tests.factories import ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db


def test_reminder_sent_once_per_band_to_who_has_not_submitted(
    open_round, school_user, province_admin
):
    today = beijing_today()
    open_round.end_date = today + timedelta(days=3)
    open_round.save()
    send_deadline_reminders(today)
    send_deadline_reminders(today)  # a second scheduler, or the next minute: nothing new
    school_notes = Notice.objects.filter(user=school_user, kind=NoticeKind.DEADLINE)
    assert school_notes.count() == 1
    assert "还有3天" in school_notes.get().title
    province_note = Notice.objects.get(user=province_admin, kind=NoticeKind.DEADLINE)
    assert "还有1所学校未提交" in province_note.title

    send_deadline_reminders(today + timedelta(days=1))  # 2 days left: still the 3-day band
    assert school_notes.count() == 1
    send_deadline_reminders(today + timedelta(days=2))  # 1 day left: the last reminder
    assert school_notes.count() == 2


def test_no_reminder_far_from_the_deadline(open_round, school_user):
    send_deadline_reminders(beijing_today())  # the fixture's round ends in ten days
    assert not Notice.objects.filter(user=school_user).exists()


@pytest.mark.parametrize(
    ("days_left", "band"),
    [(10, None), (8, None), (7, 7), (4, 7), (3, 3), (2, 3), (1, 1), (0, 1), (-1, None)],
)
def test_reminder_bands(days_left, band):
    assert reminder_band(days_left) == band


def reminders(user):
    return list(Notice.objects.filter(user=user, kind=NoticeKind.DEADLINE).order_by("pk"))


def test_round_reminder_only_for_units_that_have_not_submitted(
    shanxi, open_round, province_admin, other_province_admin
):
    idle = school_in_state(shanxi, open_round, "not_started", province_admin)
    filling = school_in_state(shanxi, open_round, "filling", province_admin)
    done = school_in_state(shanxi, open_round, "submitted", province_admin)
    returned = school_in_state(shanxi, open_round, "returned", province_admin)
    gone = school_in_state(shanxi, open_round, "not_started", province_admin)
    User.objects.filter(pk=gone.account.pk).update(is_active=False)
    today = beijing_today()
    open_round.end_date = today + timedelta(days=7)
    open_round.save()

    send_deadline_reminders(today)
    end = f"{open_round.end_date:%Y年%m月%d日}"
    for school in (idle, filling):
        (notice,) = reminders(school.account)
        assert notice.title == f"承接任务填报将于{end}截止（还有7天），本校尚未提交"
        assert notice.url == "/school/commitments/"
    for school in (done, returned, gone):
        assert not reminders(school.account)
    (notice,) = reminders(province_admin)
    assert notice.title == f"本省承接任务填报将于{end}截止（还有7天），还有2所学校未提交"
    assert notice.body == "未填报1所，填报中1所。"
    assert notice.url == "/province/"
    assert not reminders(other_province_admin)


def test_last_day_reminder_says_today(open_round, school_user):
    open_round.end_date = beijing_today()
    open_round.save()
    send_deadline_reminders(beijing_today())
    assert "（今天）" in reminders(school_user)[0].title


def test_a_moved_end_date_reminds_again(open_round, school_user, province_admin):
    today = beijing_today()
    open_round.end_date = today + timedelta(days=3)
    open_round.save()
    send_deadline_reminders(today)
    open_round.end_date = today + timedelta(days=6)  # the province gives three more days
    open_round.save()
    send_deadline_reminders(today)
    send_deadline_reminders(today)
    assert ["还有3天" in n.title for n in reminders(school_user)] == [True, False]
    assert "还有6天" in reminders(school_user)[1].title
    assert len(reminders(province_admin)) == 2


def test_no_round_reminder_before_the_round_opens(open_round, school_user):
    today = beijing_today()
    open_round.start_date = today + timedelta(days=1)
    open_round.end_date = today + timedelta(days=3)
    open_round.save()
    assert send_deadline_reminders(today) == 0
    assert not reminders(school_user)


def year(number, days):
    return ReportingYear.objects.create(
        plan_id=1, year=number, deadline=beijing_today() + timedelta(days=days)
    )


def test_report_reminder_for_units_with_approved_items_that_have_not_submitted(
    shanxi, open_round, province_admin, other_province_admin
):
    waiting = school_in_state(shanxi, open_round, "approved", province_admin)
    drafting = school_in_state(shanxi, open_round, "approved", province_admin)
    nothing_approved = school_in_state(shanxi, open_round, "submitted", province_admin)
    y2021 = year(2021, 20)
    # 山西 asks for its units' reports earlier than the ministry.
    ProvinceDeadline.objects.create(
        reporting_year=y2021, province=shanxi, deadline=beijing_today() + timedelta(days=1)
    )
    UnitReport.for_school(drafting, y2021).save_draft(by=drafting.account, rows={}, version=0)

    send_deadline_reminders(beijing_today())
    end = f"{beijing_today() + timedelta(days=1):%Y年%m月%d日}"
    for school in (waiting, drafting):
        (notice,) = reminders(school.account)
        assert notice.title == f"2021年度绩效填报将于{end}截止（还有1天），本校尚未提交"
        assert notice.url == f"/school/reporting/{y2021.pk}/"
    assert not reminders(nothing_approved.account)
    (notice,) = reminders(province_admin)
    assert notice.title == f"本省2021年度绩效填报将于{end}截止（还有1天），还有2个单位未提交"
    assert notice.body == "未填报1个，填报中或退回修改1个。"
    assert notice.url == f"/province/reporting/{y2021.pk}/"
    assert not reminders(other_province_admin)


def test_every_open_reporting_year_reminds_every_province(shanxi, open_round, province_admin):
    """Two years open at once, the later one with a province deadline of its own: the
    earlier year still reminds the units of every province."""
    henan = open_round_for("41")
    henan_admin = ProvinceAdminFactory(province=henan.province)
    school = school_in_state(henan.province, henan, "approved", henan_admin)
    y2021 = year(2021, 3)
    y2022 = year(2022, 30)
    ProvinceDeadline.objects.create(
        reporting_year=y2022, province=shanxi, deadline=beijing_today() + timedelta(days=3)
    )
    send_deadline_reminders(beijing_today())
    assert [n.url for n in reminders(school.account)] == [f"/school/reporting/{y2021.pk}/"]
    assert len(reminders(henan_admin)) == 1


def test_second_run_writes_no_notice_mail_or_job(open_round, school_user, province_admin):
    """tick runs the reminders every minute: a run after the band's reminder went out must not
    queue its mail again (one job per account and minute, for a week, at national scale)."""
    school_user.school.email = "contact@school.example.cn"
    school_user.school.save()
    today = beijing_today()
    open_round.end_date = today + timedelta(days=3)
    open_round.save()
    with mock.patch("tizhi.jobs.enqueue") as enqueue:
        assert send_deadline_reminders(today) == 2  # the school and its province admin
        assert enqueue.call_count == 1  # the admin gave no address
        assert send_deadline_reminders(today) == 0
        assert enqueue.call_count == 1
    assert Mail.objects.filter(user=school_user).count() == 1
