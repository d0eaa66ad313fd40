"""每日汇总: which notices a day's digest carries, and the days it looks back at. (The real
delivery over SMTP, and the digest once however often `tick` runs, are in tests/jobs.)"""

from datetime import datetime, time, timedelta

import pytest

from schools.choices import MailMode
from tasks.choices import NoticeKind
from tasks.models import Mail, Notice
from tasks.transitions import BEIJING
from tests.factories import SchoolUserFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 12, 1, tzinfo=BEIJING).date()


def at(day_offset: int, hour: int) -> datetime:
    return datetime.combine(DAY + timedelta(days=day_offset), time(hour), BEIJING)


@pytest.fixture
def daily(db):
    user = SchoolUserFactory(mail_mode=MailMode.DAILY)
    user.school.email = "office@school.example"
    user.school.save()
    return user


def notice(user, title: str, when: datetime) -> None:
    Notice.objects.create(
        user=user, kind=NoticeKind.DEADLINE, title=title, url="/x/", key=title, created_at=when
    )


def digests() -> dict[str, str]:
    return dict(Mail.objects.filter(key__startswith="digest:").values_list("subject", "body"))


def test_a_digest_holds_the_previous_beijing_day_only(daily):
    notice(daily, "前一天早上", at(-1, 0))
    notice(daily, "前一天晚上", at(-1, 23))
    notice(daily, "当天", at(0, 1))
    assert Mail.queue_daily_digests(at(0, 7)) == 0
    assert Mail.queue_daily_digests(at(0, 8)) == 1
    (subject, body), *_ = digests().items()
    assert "2026年11月30日的消息（2条）" in subject
    assert "前一天早上" in body and "前一天晚上" in body and "当天" not in body
    assert Mail.queue_daily_digests(at(0, 20)) == 0


def test_a_day_missed_by_a_stopped_scheduler_is_still_sent_once(daily):
    notice(daily, "三天前", at(-3, 10))
    notice(daily, "两天前", at(-2, 10))
    notice(daily, "太久以前", at(-4, 10))
    # The scheduler was down for two days: its first run sends each missed day's digest.
    assert Mail.queue_daily_digests(at(0, 9)) == 2
    subjects = sorted(digests())
    assert "11月28日的消息（1条）" in subjects[0] and "11月29日的消息（1条）" in subjects[1]
    assert "太久以前" not in "".join(digests().values())
    assert Mail.queue_daily_digests(at(1, 9)) == 0


def test_a_notice_already_mailed_on_its_own_is_not_in_the_digest(daily):
    # Written while the account was on 每条通知 (so mailed at once); then it switched.
    daily.mail_mode = MailMode.EACH
    daily.save()
    Notice.send([daily], kind=NoticeKind.DEADLINE, title="已单独发送", url="/x/", key="k-each")
    Notice.objects.filter(key="k-each").update(created_at=at(-1, 9))
    daily.mail_mode = MailMode.DAILY
    daily.save()
    notice(daily, "只在汇总里", at(-1, 15))
    assert Mail.queue_daily_digests(at(0, 9)) == 1
    body = Mail.objects.get(key__startswith="digest:").body
    assert "只在汇总里" in body and "已单独发送" not in body
    assert "（1条）" in Mail.objects.get(key__startswith="digest:").subject
