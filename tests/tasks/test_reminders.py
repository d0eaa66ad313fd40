"""Deadline reminders: 7, 3 and 1 days before, once per unit and deadline."""

from datetime import timedelta
from unittest import mock

import pytest

from tasks.choices import NoticeKind
from tasks.models import Mail, Notice
from tasks.models.notices import send_deadline_reminders
from tasks.transitions import beijing_today

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
