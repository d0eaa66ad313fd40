"""Mail through a real SMTP server process: notices are queued by the change that causes them,
sent by a `db_worker` process configured through the EMAIL_* environment variables, retried by
`manage.py tick`, and read back from what the server received."""

import socket
import time
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from schools.choices import MailMode
from schools.models import User
from tasks.choices import MailStatus, ReviewStatus
from tasks.jobs import deliver_mail
from tasks.models import Commitment, Declaration, Mail, Notice
from tasks.transitions import BEIJING, beijing_today
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.jobs.conftest import FROM_ADDRESS, SITE_URL, Processes, SmtpServer, poll
from tests.review.helpers import open_round_for
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row
from tizhi.jobs import enqueue

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "【提质培优管理平台】"
FINISHED = ("SUCCESSFUL", "FAILED")


@pytest.fixture
def mail_settings(settings, database_queue) -> None:
    """This process (where the changes, and so the mails' text, are made) links to the same
    site as the processes, and queues on the database."""
    settings.SITE_URL = SITE_URL
    settings.DEFAULT_FROM_EMAIL = FROM_ADDRESS


def submitted_school(round_, name, email="", mode=MailMode.EACH):
    """A school of the round's province, with its contact address and mail mode, that has
    submitted items 1 and 3.2."""
    user = SchoolUserFactory(
        school__province=round_.province, school__name=name, school__email=email, mail_mode=mode
    )
    declaration = Declaration.for_school(user.school, round_)
    rows = {item("1").pk: full_row(item("1")), item("3.2").pk: full_row(item("3.2"))}
    declaration.submit(by=user, rows=rows, contacts=None, version=0)
    return user


def commitment(user: User, code: str) -> Commitment:
    return Commitment.objects.get(declaration__school=user.school, item__code=code)


def settled(processes: Processes) -> None:
    """Wait until the worker has run every queued job (so every mail that will arrive did)."""
    poll(
        lambda: not DBTaskResult.objects.exclude(status__in=FINISHED).exists(),
        what="the worker to run every queued job",
        logs=processes.logs(),
    )


def arrived(smtp: SmtpServer, processes: Processes, count: int) -> list[EmailMessage]:
    """Wait for `count` mails in all, and for the queue to be empty; return them."""
    poll(lambda: len(smtp.received()) >= count, what=f"{count} mails", logs=processes.logs())
    settled(processes)
    mails = smtp.received()
    assert len(mails) == count, [subject(m) for m in mails]
    return mails


def subject(mail: EmailMessage) -> str:
    # Django folds a long encoded subject onto the next line; the parser keeps the space that
    # starts the fold, a mail client drops it.
    return str(mail["Subject"]).strip()


def to(mails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in mails if m["To"] == address]


def text(mail: EmailMessage) -> str:
    body = mail.get_body()
    assert body is not None
    return f"{subject(mail)}\n{body.get_content()}"


def run(processes: Processes, *ticks: str | None) -> None:
    """Start the ticks together (None: now; else the moment for tick_at) and wait for each."""
    started = [processes.tick(at) for at in ticks]
    for process in started:
        assert process.wait(timeout=60) == 0, processes.logs()


# -- 每条通知 ---------------------------------------------------------------------------------


def test_each_notice_is_one_chinese_mail_to_the_school_contact_with_a_link(
    reference_data, mail_settings, smtp, processes
):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)  # no address: no mail
    each = submitted_school(round_, "太原市第一职业中学", "zhao@ty1.example.cn")
    no_address = submitted_school(round_, "大同市职业中学")
    none = submitted_school(round_, "晋中市职业中学", "qian@jz.example.cn", MailMode.NONE)
    smtp.start()
    processes.db_worker()

    commitment(each, "3.2").return_for_changes(by=admin, comment="请核实资金来源")
    (returned,) = arrived(smtp, processes, 1)
    assert returned["To"] == "zhao@ty1.example.cn"
    assert returned["X-RcptTo"] == "zhao@ty1.example.cn"  # the SMTP envelope, too
    assert returned["From"] == FROM_ADDRESS
    assert subject(returned) == f"{SUBJECT}任务（项目）3.2被省厅退回修改"
    body = returned.get_body()
    assert body is not None and body.get_content_charset() == "utf-8"
    assert body.get_content().splitlines()[:5] == [
        "太原市第一职业中学平台管理联系人：",
        "",
        "任务（项目）3.2被省厅退回修改",
        "修改意见：请核实资金来源",
        f"查看：{SITE_URL}/school/returned/",
    ]

    # The same job delivered again (a queue may do that, or two schedulers queue it): the
    # mail is not sent again.
    enqueue(deliver_mail, Mail.objects.get().key)
    settled(processes)
    assert len(smtp.received()) == 1

    commitment(each, "1").approve(by=admin)
    approved = [m for m in arrived(smtp, processes, 2) if subject(m) != subject(returned)]
    assert [subject(m) for m in approved] == [f"{SUBJECT}1项任务（项目）审核通过"]
    assert f"查看：{SITE_URL}/school/commitments/" in text(approved[0])

    # The same two events for a school without an address and one that chose 不发送: their
    # notices are on the platform, and no mail is written or sent.
    for user in (no_address, none):
        commitment(user, "3.2").return_for_changes(by=admin, comment="请核实")
        commitment(user, "1").approve(by=admin)
        assert Notice.objects.filter(user=user).count() == 2
    settled(processes)
    assert len(smtp.received()) == 2
    assert set(Mail.objects.values_list("to", "status")) == {
        ("zhao@ty1.example.cn", MailStatus.SENT)
    }


# -- 每日汇总 ---------------------------------------------------------------------------------


def beijing(day, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING).isoformat()


def test_a_days_notices_are_one_digest_however_often_the_scheduler_runs(
    reference_data, mail_settings, smtp, processes
):
    today = beijing_today()
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    round_ = open_round_for("14")
    round_.end_date = today + timedelta(days=4)  # tomorrow is a reminder day (3 days left)
    round_.save()
    admin = ProvinceAdminFactory(province=round_.province)
    daily = submitted_school(round_, "长治职业技术学院", "sun@cz.example.cn", MailMode.DAILY)
    quiet = submitted_school(round_, "晋城职业技术学院", "", MailMode.DAILY)
    for user in (daily, quiet):
        commitment(user, "3.2").return_for_changes(by=admin, comment="请核实数量")
        commitment(user, "1").approve(by=admin)
        Declaration.objects.get(school=user.school).reopen(by=admin, reason="学校申请修改")
    smtp.start()
    processes.db_worker()
    settled(processes)
    assert smtp.received() == []  # nothing is mailed as it happens

    # Tomorrow before 08:00 today's digest is not due; the scheduler writes the deadline
    # reminder, a notice of tomorrow's.
    run(processes, beijing(tomorrow, 7))
    settled(processes)
    assert smtp.received() == []
    # Two servers' schedulers at once, then a later one: one digest of today's three notices.
    run(processes, beijing(tomorrow, 9), beijing(tomorrow, 9))
    run(processes, beijing(tomorrow, 23))
    (digest,) = arrived(smtp, processes, 1)
    assert digest["To"] == "sun@cz.example.cn"
    assert subject(digest) == f"{SUBJECT}{today:%Y年%m月%d日}的消息（3条）"
    lines = text(digest).splitlines()
    assert lines[1] == "长治职业技术学院平台管理联系人："
    for title, link in [
        ("任务（项目）3.2被省厅退回修改", f"查看：{SITE_URL}/school/returned/"),
        ("1项任务（项目）审核通过", f"查看：{SITE_URL}/school/commitments/"),
        ("省厅已将本校承接任务退回重新填报", f"查看：{SITE_URL}/school/commitments/"),
    ]:
        assert lines.count(title) == 1 and link in lines
    assert "截止" not in text(digest)

    # The day after tomorrow: tomorrow's digest, the reminder alone.
    run(processes, beijing(after, 9), beijing(after, 9))
    mails = arrived(smtp, processes, 2)
    (second,) = [m for m in mails if subject(m) != subject(digest)]
    assert subject(second) == f"{SUBJECT}{tomorrow:%Y年%m月%d日}的消息（1条）"
    assert "承接任务填报将于" in text(second)
    assert Mail.objects.count() == 2  # none for the account without an address


# -- deadline reminders -----------------------------------------------------------------------


def test_a_reminder_day_mails_each_unit_once_however_often_tick_runs(
    reference_data, mail_settings, smtp, processes
):
    round_ = open_round_for("14")
    round_.end_date = beijing_today() + timedelta(days=3)
    round_.save()
    submitted_school(round_, "忻州职业中学", "b@xz.cn")  # submitted: not reminded
    waiting = SchoolUserFactory(
        school__province=round_.province, school__name="朔州职业中学", school__email="a@sz.cn"
    )
    admin = ProvinceAdminFactory(province=round_.province, email="sheng@sx.example.cn")
    smtp.start()
    processes.db_worker()

    run(processes, None)
    run(processes, None)
    arrived(smtp, processes, 2)
    # The second tick found both reminders written, and queued no second job for them.
    assert DBTaskResult.objects.count() == 2
    run(processes, None, None)  # two servers' schedulers at the same moment
    reminders = arrived(smtp, processes, 2)
    end = f"{round_.end_date:%Y年%m月%d日}"
    (school,) = to(reminders, "a@sz.cn")
    assert subject(school) == f"{SUBJECT}承接任务填报将于{end}截止（还有3天），本校尚未提交"
    assert f"查看：{SITE_URL}/school/commitments/" in text(school)
    (province,) = to(reminders, "sheng@sx.example.cn")
    assert subject(province) == (
        f"{SUBJECT}本省承接任务填报将于{end}截止（还有3天），还有1所学校未提交"
    )
    assert f"查看：{SITE_URL}/province/" in text(province)
    assert waiting.notices.count() == 1 and admin.notices.filter(kind="deadline").count() == 1


# -- failures and the request -----------------------------------------------------------------


def test_a_failed_send_leaves_the_return_done_and_a_later_tick_delivers_it_once(
    reference_data, mail_settings, smtp, processes
):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = submitted_school(round_, "运城职业技术学院", "li@yc.example.cn")
    processes.db_worker()  # the SMTP server is down
    client = Client()
    client.force_login(admin)
    returned = commitment(school, "3.2")
    response = client.post(
        f"/province/schools/{school.username}/review/",
        {"action": f"return:{returned.pk}", f"comment-{returned.pk}": "请补充佐证"},
    )
    assert response.status_code == 302

    mail = Mail.objects.get()
    poll(
        lambda: Mail.objects.filter(pk=mail.pk, attempts=1, status=MailStatus.PENDING).exists(),
        what="the worker's failed send",
        logs=processes.logs(),
    )
    mail.refresh_from_db()
    assert mail.error.startswith("ConnectionRefusedError"), mail.error
    assert mail.next_attempt_at > timezone.now() + timedelta(seconds=30)  # a minute on
    returned.refresh_from_db()
    assert (returned.review_status, returned.comment) == (ReviewStatus.RETURNED, "请补充佐证")
    assert Notice.objects.filter(user=school).count() == 1

    smtp.start()
    run(processes, None)  # the retry is not due yet
    settled(processes)
    assert smtp.received() == []
    later = (timezone.now() + timedelta(minutes=2)).isoformat()
    run(processes, later, later)  # two servers' schedulers, once it is due
    (delivered,) = arrived(smtp, processes, 1)
    assert delivered["To"] == "li@yc.example.cn"
    assert subject(delivered) == f"{SUBJECT}任务（项目）3.2被省厅退回修改"
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.error) == (MailStatus.SENT, 2, "")


def test_the_request_never_talks_to_the_mail_server(
    reference_data, mail_settings, smtp, processes, settings
):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = submitted_school(round_, "临汾职业技术学院", "zhou@lf.example.cn")
    # This process is configured to send mail to a port that accepts connections and never
    # answers: a request that talked to it would hang for EMAIL_TIMEOUT and leave a connection.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    silent = socket.socket()
    silent.bind(("127.0.0.1", smtp.port))
    silent.listen(8)
    silent.setblocking(False)
    client = Client()
    client.force_login(admin)
    approved = commitment(school, "1")
    started = time.monotonic()
    response = client.post(
        f"/province/schools/{school.username}/review/", {"action": f"approve:{approved.pk}"}
    )
    assert response.status_code == 302
    assert time.monotonic() - started < 3
    with pytest.raises(BlockingIOError):
        silent.accept()  # no one connected
    silent.close()
    assert Mail.objects.get().status == MailStatus.PENDING

    smtp.start()
    processes.db_worker()
    (mail,) = arrived(smtp, processes, 1)
    assert (mail["To"], subject(mail)) == (
        "zhou@lf.example.cn",
        f"{SUBJECT}1项任务（项目）审核通过",
    )


# -- privacy ----------------------------------------------------------------------------------


def test_mail_tells_each_unit_only_about_itself(reference_data, mail_settings, smtp, processes):
    shanxi = open_round_for("14")
    henan = open_round_for("41")
    shanxi_admin = ProvinceAdminFactory(province=shanxi.province, email="sheng@sx.example.cn")
    henan_admin = ProvinceAdminFactory(province=henan.province, email="sheng@ha.example.cn")
    MinistryUserFactory(email="bu@moe.example.cn")
    first = submitted_school(shanxi, "阳泉职业中学", "a@yq.example.cn")
    second = submitted_school(shanxi, "吕梁职业中学", "b@ll.example.cn")
    third = submitted_school(henan, "郑州职业中学", "c@zz.example.cn")
    commitment(first, "3.2").return_for_changes(by=shanxi_admin, comment="阳泉：请核实数量")
    commitment(first, "1").approve(by=shanxi_admin)
    commitment(second, "3.2").return_for_changes(by=shanxi_admin, comment="吕梁：请补充经费")
    commitment(second, "1").approve(by=shanxi_admin)
    Declaration.objects.get(school=third.school).approve_all(by=henan_admin)
    smtp.start()
    processes.db_worker()

    mails = arrived(smtp, processes, Mail.objects.count())
    about = {
        "a@yq.example.cn": ("阳泉", first.username),
        "b@ll.example.cn": ("吕梁", second.username),
        "c@zz.example.cn": ("郑州", third.username),
    }
    everyone = {word for pair in about.values() for word in pair} | {"山西", "河南"}
    for address, (own, code) in about.items():
        texts = [text(m) for m in to(mails, address)]
        assert texts, address
        mentioned = {word for word in everyone if any(word in t for t in texts)}
        assert mentioned <= {own, code, "山西" if address != "c@zz.example.cn" else "河南"}
    for address, province, others in [
        ("sheng@sx.example.cn", "山西", ("郑州", third.username, "河南")),
        ("sheng@ha.example.cn", "河南", ("阳泉", first.username, "吕梁", second.username)),
    ]:
        texts = [text(m) for m in to(mails, address)]
        assert texts, address
        assert not [word for word in others for t in texts if word in t], (province, texts)
    assert sorted(subject(m) for m in to(mails, "bu@moe.example.cn")) == [
        f"{SUBJECT}山西省已审核完所有已提交的承接任务",
        f"{SUBJECT}河南省已审核完所有已提交的承接任务",
    ]
