"""Notices (消息) and the mail that carries them.

A notice is written in the same transaction as the change it reports: `AuditEvent.record`
hands every event to `notify`, which knows which events concern whom. Deadline reminders are
written by the scheduler (`tick`). Each notice has a key, unique per account, so a reminder
or a retried job never writes the same notice twice.

Mail is an outbox: a `Mail` row per message, written beside the notice, and a job
(`tasks.jobs.deliver_mail`) that claims the row, sends it through Django's mail framework and
records the outcome. A failed send is retried by the scheduler with a growing delay; it never
touches the change that caused it.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from schools.choices import AuditAction, MailMode, Role
from schools.models import Province, School, User
from tasks.choices import (
    DeclarationStatus,
    ExtensionStatus,
    MailStatus,
    NoticeKind,
    ReportStatus,
    SchoolStatus,
)
from tasks.transitions import BEIJING, beijing_today

if TYPE_CHECKING:
    from tasks.models.audit import AuditEvent

REMINDER_DAYS = (7, 3, 1)
MAIL_MAX_ATTEMPTS = 5
MAIL_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
# A queued mail no worker has taken after this long is queued again (the job was lost).
MAIL_LOST_AFTER = timedelta(minutes=10)
DIGEST_HOUR = 8  # 每日汇总 go out from 08:00 Beijing time, for the day before
DIGEST_LOOKBACK_DAYS = 3  # days a digest missed by a stopped scheduler is still sent for
BATCH = 1000


class NoticeQuerySet(models.QuerySet["Notice"]):
    def unread(self) -> "NoticeQuerySet":
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """One message to one account: what happened, and a link to where the work is."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name="接收账号",
    )
    kind = models.CharField("类型", max_length=24, choices=NoticeKind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300)
    key = models.CharField("去重键", max_length=120)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "消息"
        verbose_name_plural = "消息"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_key")]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    def open(self) -> None:
        """Mark read when its owner follows it (a second opening changes nothing)."""
        if self.read_at is None:
            self.read_at = timezone.now()
            Notice.objects.filter(pk=self.pk, read_at__isnull=True).update(read_at=self.read_at)

    open.alters_data = True  # type: ignore[attr-defined]

    @classmethod
    def read_all(cls, user: User) -> int:
        """全部标为已读."""
        return cls.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())

    # -- sending ---------------------------------------------------------------------------

    @classmethod
    def send(
        cls,
        users: Iterable[User],
        *,
        kind: NoticeKind,
        title: str,
        body: str = "",
        url: str,
        key: str,
    ) -> int:
        """Write the notice for each account (once per key) and queue its mail for those who
        asked for one per notice. Returns how many accounts were told now.

        Accounts already told under this key get neither the notice nor its mail again: the
        reminders run every minute, and queueing a mail job per account each time would fill
        the queue for nothing. Two runs at the same moment may both pass this check; the
        unique keys then store each notice and mail once, and the mail is sent once.
        """
        users = list(users)
        if not users:
            return 0
        told = set(Notice.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
        users = [u for u in users if u.pk not in told]
        if not users:
            return 0
        now = timezone.now()
        title = title[:200]
        Notice.objects.bulk_create(
            [
                Notice(user=u, kind=kind, title=title, body=body, url=url, key=key, created_at=now)
                for u in users
            ],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        mails = [
            Mail(
                user=u,
                to=u.mail_address,
                subject=f"【提质培优管理平台】{title}",
                body=mail_text(u, [(title, body, url)]),
                key=f"{u.pk}:{key}",
                next_attempt_at=now + MAIL_LOST_AFTER,
            )
            for u in users
            if u.mail_mode == MailMode.EACH and u.mail_address
        ]
        Mail.queue(mails)
        return len(users)


def mail_text(user: User, notices: list[tuple[str, str, str]]) -> str:
    """A mail's Chinese text: whom it is for, each notice with its link, and a footer."""
    if user.school_id is not None and user.school is not None:
        greeting = f"{user.school.name}平台管理联系人"
    elif user.province_id is not None and user.province is not None:
        greeting = f"{user.province.name}省级管理员（{user.username}）"
    else:
        greeting = f"{user.get_role_display()}用户（{user.username}）"
    parts = [f"{greeting}：", ""]
    for title, body, url in notices:
        parts.append(title)
        if body:
            parts.append(body)
        parts.append(f"查看：{settings.SITE_URL}{url}")
        parts.append("")
    parts.append("——职业教育提质培优行动计划任务（项目）管理平台")
    parts.append("此邮件由系统自动发送，请勿直接回复。如不需要邮件提醒，可在平台“消息设置”中修改。")
    return "\n".join(parts)


class Mail(models.Model):
    """One mail to send (the outbox): a notice, or a day's digest of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="接收账号",
    )
    to = models.EmailField("收件地址")
    subject = models.CharField("主题", max_length=250)
    body = models.TextField("正文")
    key = models.CharField("去重键", max_length=160, unique=True)
    status = models.CharField(
        "状态", max_length=8, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次检查时间", default=timezone.now)
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "邮件"
        verbose_name_plural = "邮件"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.to} {self.subject}"

    @classmethod
    def queue(cls, mails: list["Mail"]) -> None:
        """Store the mails (each key once) and give each new one a job. A mail already in the
        outbox has had its job: the scheduler writes a day's reminders again every minute,
        and must not queue thousands of jobs each time. (Two schedulers at the same moment
        may both queue one; the mail is still sent once, see `deliver`.)"""
        from tasks.jobs import deliver_mail
        from tizhi.jobs import enqueue

        keys = [mail.key for mail in mails]
        stored: set[str] = set()
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            stored.update(cls.objects.filter(key__in=chunk).values_list("key", flat=True))
        new = [mail for mail in mails if mail.key not in stored]
        Mail.objects.bulk_create(new, ignore_conflicts=True, batch_size=BATCH)
        for mail in new:
            enqueue(deliver_mail, mail.key)

    @classmethod
    def deliver(cls, key: str) -> None:
        """Send one mail, once: the job of tasks.jobs.deliver_mail.

        The row is claimed by a conditional update, so two jobs for the same mail (a retry
        and a late original, or two schedulers) send it once.
        """
        from django.core.mail import EmailMessage

        now = timezone.now()
        claimed = cls.objects.filter(key=key, status=MailStatus.PENDING).update(
            status=MailStatus.SENDING, claimed_at=now, attempts=models.F("attempts") + 1
        )
        if not claimed:
            return
        mail = cls.objects.get(key=key)
        try:
            EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to]).send()
        except Exception as exc:  # any failure of the mail server: retried later
            failed = mail.attempts >= MAIL_MAX_ATTEMPTS
            delay = MAIL_RETRY_DELAYS[min(mail.attempts, len(MAIL_RETRY_DELAYS)) - 1]
            cls.objects.filter(pk=mail.pk).update(
                status=MailStatus.FAILED if failed else MailStatus.PENDING,
                next_attempt_at=timezone.now() + delay,
                error=f"{type(exc).__name__}: {exc}"[:1000],
            )
            return
        cls.objects.filter(pk=mail.pk).update(
            status=MailStatus.SENT, sent_at=timezone.now(), error=""
        )

    @classmethod
    def retry_due(cls, now: datetime | None = None) -> int:
        """Periodic: queue again each mail whose retry is due or whose job was lost, and free
        a mail whose sender died mid-send. Returns how many were queued."""
        from tasks.jobs import deliver_mail
        from tizhi.jobs import enqueue

        now = now or timezone.now()
        cls.objects.filter(status=MailStatus.SENDING, claimed_at__lt=now - MAIL_LOST_AFTER).update(
            status=MailStatus.PENDING, next_attempt_at=now
        )
        queued = 0
        due = list(
            cls.objects.filter(status=MailStatus.PENDING, next_attempt_at__lte=now).values_list(
                "pk", "key"
            )[:BATCH]
        )
        for pk, key in due:
            # Whoever moves the check time on queues the job: two schedulers queue it once.
            if cls.objects.filter(pk=pk, next_attempt_at__lte=now).update(
                next_attempt_at=now + MAIL_LOST_AFTER
            ):
                enqueue(deliver_mail, key)
                queued += 1
        return queued

    @classmethod
    def queue_daily_digests(cls, now: datetime | None = None) -> int:
        """Periodic: from 08:00 Beijing time, one mail per 每日汇总 account and day with that
        day's notices. The key (account, day) makes it once a day however often it runs; the
        last `DIGEST_LOOKBACK_DAYS` days are looked at, so a scheduler that was down for a day
        still sends the digest it missed. A notice already mailed on its own (the account
        was on 每条通知 when it was written) is not mailed again."""
        now = now or timezone.now()
        local = timezone.localtime(now, BEIJING)
        if local.hour < DIGEST_HOUR:
            return 0
        today = local.date()
        first = today - timedelta(days=DIGEST_LOOKBACK_DAYS)
        mailed = Mail.objects.filter(
            key=Concat(
                Cast(OuterRef("user_id"), output_field=models.CharField()),
                Value(":"),
                OuterRef("key"),
            )
        )
        found: dict[tuple[int, date], list[tuple[str, str, str]]] = defaultdict(list)
        for user_id, at, title, body, url in (
            Notice.objects.filter(
                created_at__gte=datetime.combine(first, time.min, BEIJING),
                created_at__lt=datetime.combine(today, time.min, BEIJING),
                user__mail_mode=MailMode.DAILY,
                user__is_active=True,
            )
            .exclude(Exists(mailed))
            .order_by("user_id", "created_at", "pk")
            .values_list("user_id", "created_at", "title", "body", "url")
        ):
            found[(user_id, timezone.localtime(at, BEIJING).date())].append((title, body, url))
        if not found:
            return 0
        keys = {(user_id, day): f"digest:{user_id}:{day:%Y%m%d}" for user_id, day in found}
        done = set(cls.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        due = [(user_id, day) for (user_id, day), key in keys.items() if key not in done]
        users = User.objects.select_related("school", "province").in_bulk(
            {user_id for user_id, _day in due}
        )
        mails = []
        for user_id, day in due:
            user, notices = users[user_id], found[(user_id, day)]
            if user.mail_address:
                mails.append(
                    Mail(
                        user=user,
                        to=user.mail_address,
                        subject=f"【提质培优管理平台】{day:%Y年%m月%d日}的消息（{len(notices)}条）",
                        body=mail_text(user, notices),
                        key=keys[(user_id, day)],
                        next_attempt_at=now + MAIL_LOST_AFTER,
                    )
                )
        cls.queue(mails)
        return len(mails)


# -- who is told what -------------------------------------------------------------------------


def _school_accounts(school_ids: Iterable[str]) -> models.QuerySet[User]:
    return User.objects.select_related("school").filter(
        role=Role.SCHOOL, school_id__in=list(school_ids), is_active=True
    )


def _province_admins(province_id: str) -> models.QuerySet[User]:
    return User.objects.select_related("province").filter(
        role=Role.PROVINCE, province_id=province_id, is_active=True
    )


def _ministry() -> models.QuerySet[User]:
    return User.objects.filter(role=Role.MINISTRY, is_active=True)


def _codes(changes: dict[str, Any], key: str = "items") -> list[str]:
    found = changes.get(key)
    return [str(code) for code in found] if isinstance(found, list) else []


def notify(event: "AuditEvent", subject: models.Model) -> None:
    """Write the notices an audit event calls for, in its transaction.

    Each notice tells its reader only what their own pages show: a school about its own
    declaration and report, a province about its own schools, the ministry about provinces.
    """
    from tasks.models.declarations import Declaration
    from tasks.models.extensions import Extension
    from tasks.models.reporting import UnitReport

    if isinstance(subject, Declaration) and subject.school_id is not None:
        _declaration_notices(event, subject)
    elif isinstance(subject, UnitReport):
        _report_notices(event, subject)
    elif isinstance(subject, Extension):
        _extension_notices(event, subject)


def _extension_notices(event: "AuditEvent", extension: Any) -> None:
    """A request tells the school's province; a decision tells the school."""
    key = f"event:{event.pk}"
    school: School = extension.school
    if event.action == AuditAction.EXTENSION_REQUEST:
        Notice.send(
            _province_admins(extension.round.province_id),
            kind=NoticeKind.EXTENSION_REQUESTED,
            title=f"{school.name}申请延期至{extension.wanted_until:%Y-%m-%d}，待处理",
            body=f"延期原因：{extension.reason}",
            url=reverse("review:extension", args=[extension.pk]),
            key=key,
        )
    elif event.action == AuditAction.EXTENSION_GRANT:
        Notice.send(
            _school_accounts([school.code]),
            kind=NoticeKind.EXTENSION_GRANTED,
            title=f"省厅已批准本校承接任务填报延期至{extension.granted_until:%Y-%m-%d} 24:00",
            body=f"说明：{extension.answer}" if extension.answer else "",
            url=reverse("tasks:commitments"),
            key=key,
        )
    elif event.action == AuditAction.EXTENSION_REFUSE:
        Notice.send(
            _school_accounts([school.code]),
            kind=NoticeKind.EXTENSION_REFUSED,
            title="省厅不同意本校的延期申请",
            body=f"原因：{extension.answer}",
            url=reverse("tasks:extension"),
            key=key,
        )


def _declaration_notices(event: "AuditEvent", declaration: Any) -> None:
    from tasks.models.declarations import Commitment

    action, changes = event.action, event.changes or {}
    school: School = declaration.school
    key = f"event:{event.pk}"
    school_users = _school_accounts([school.code])
    if action == AuditAction.SUBMIT:
        Notice.send(
            _province_admins(declaration.round.province_id),
            kind=NoticeKind.SUBMITTED,
            title=f"{school.name}提交了承接任务（{declaration.item_count}项），待审核",
            url=reverse("review:school_review", args=[school.code]),
            key=key,
        )
    elif action == AuditAction.RESUBMIT:
        codes, dropped = _codes(changes, "resubmitted"), _codes(changes, "dropped")
        # A school may resubmit a returned item as no longer undertaken: nothing then waits
        # for review, but the province still has to know which items left the declaration.
        lines = [f"任务（项目）：{'、'.join(codes)}"] if codes else []
        if dropped:
            lines.append(f"不再承接：{'、'.join(dropped)}")
        Notice.send(
            _province_admins(declaration.round.province_id),
            kind=NoticeKind.RESUBMITTED,
            title=(
                f"{school.name}重新提交了{len(codes)}项需修改的任务，待审核"
                if codes
                else f"{school.name}不再承接{len(dropped)}项退回修改的任务"
            ),
            body="\n".join(lines),
            url=reverse("review:school_review", args=[school.code]),
            key=key,
        )
    elif action == AuditAction.RETURN:
        codes = _codes(changes)
        Notice.send(
            school_users,
            kind=NoticeKind.ITEM_RETURNED,
            title=f"任务（项目）{'、'.join(codes)}被省厅退回修改",
            body=f"修改意见：{changes.get('comment', '')}",
            url=reverse("tasks:returned"),
            key=key,
        )
    elif action == AuditAction.APPROVE:
        codes = _codes(changes)
        if declaration.school_status == SchoolStatus.APPROVED:
            Notice.send(
                school_users,
                kind=NoticeKind.ALL_APPROVED,
                title="本校承接任务已全部审核通过",
                body=f"本次通过的任务（项目）：{'、'.join(codes)}" if codes else "",
                url=reverse("tasks:commitments"),
                key=key,
            )
        else:
            Notice.send(
                school_users,
                kind=NoticeKind.ITEMS_APPROVED,
                title=f"{len(codes)}项任务（项目）审核通过",
                body=f"任务（项目）：{'、'.join(codes)}",
                url=reverse("tasks:commitments"),
                key=key,
            )
    elif action == AuditAction.UNDO:
        # A school told 已通过 (or 退回修改) must not go on believing it.
        codes = _codes(changes)
        Notice.send(
            school_users,
            kind=NoticeKind.REVIEW_UNDONE,
            title=f"任务（项目）{'、'.join(codes)}的审核结果已被省厅撤销，重新待审核",
            url=reverse("tasks:commitments"),
            key=key,
        )
    elif action == AuditAction.REOPEN:
        until = f"\n本校填报截止时间：{changes['until']} 24:00" if changes.get("until") else ""
        Notice.send(
            school_users,
            kind=NoticeKind.REOPENED,
            title="省厅已将本校承接任务退回重新填报",
            body=f"退回原因：{changes.get('reason', '')}{until}",
            url=reverse("tasks:commitments"),
            key=key,
        )
    elif action == AuditAction.CHANGE_PROPOSE:
        items = changes.get("items") or {}
        Notice.send(
            _province_admins(declaration.round.province_id),
            kind=NoticeKind.CHANGE_PROPOSED,
            title=f"{school.name}提交了变更申请（{len(items)}项），待审核",
            body=f"任务（项目）：{'、'.join(items)}\n变更原因：{changes.get('reason', '')}",
            url=reverse("review:school_review", args=[school.code]) + "#changes",
            key=key,
        )
    elif action in {AuditAction.CHANGE_APPROVE, AuditAction.CHANGE_REFUSE}:
        approved = action == AuditAction.CHANGE_APPROVE
        comment = changes.get("comment", "")
        Notice.send(
            school_users,
            kind=NoticeKind.CHANGE_DECIDED,
            title="省厅已同意本校的变更申请" if approved else "省厅未同意本校的变更申请",
            body=f"审核意见：{comment}" if comment else "",
            url=reverse("tasks:changes"),
            key=key,
        )
    if action in {AuditAction.APPROVE, AuditAction.RETURN}:
        waiting = (
            Commitment.objects.awaiting_review()
            .filter(declaration__round_id=declaration.round_id)
            .exists()
        )
        if not waiting:
            province = declaration.round.province
            Notice.send(
                _ministry(),
                kind=NoticeKind.PROVINCE_REVIEWED,
                title=f"{province.name}已审核完所有已提交的承接任务",
                url=reverse("review:ministry_province", args=[province.code]),
                key=key,
            )


def _report_notices(event: "AuditEvent", report: Any) -> None:
    changes = event.changes or {}
    year = report.reporting_year
    url = reverse("tasks:report", args=[year.pk])
    if event.action == AuditAction.REPORT_RETURN:
        Notice.send(
            _school_accounts([report.school_id]),
            kind=NoticeKind.REPORT_RETURNED,
            title=f"{year.year}年度绩效被省厅退回修改",
            body=f"退回意见：{changes.get('comment', '')}",
            url=url,
            key=f"event:{event.pk}",
        )
    elif event.action == AuditAction.REPORT_EVALUATE:
        Notice.send(
            _school_accounts([report.school_id]),
            kind=NoticeKind.REPORT_EVALUATED,
            title=f"{year.year}年度绩效已评价：{changes.get('grade', '')}",
            body=f"评价意见：{changes.get('comment', '')}",
            url=url,
            key=f"event:{event.pk}",
        )


# -- deadline reminders -----------------------------------------------------------------------


def reminder_band(days_left: int) -> int | None:
    """Which reminder (7, 3 or 1 days before) is due with `days_left` days to the end date:
    4–7 days left is the 7-day reminder, 2–3 the 3-day one, 1 or the last day itself the
    1-day one. A scheduler that missed a day still sends the band's reminder, once."""
    if days_left < 0:
        return None
    for band, floor in zip(REMINDER_DAYS, (*REMINDER_DAYS[1:], -1), strict=True):
        if floor < days_left <= band:
            return band
    return 1 if days_left == 0 else None


def _left(end: date, today: date) -> str:
    days = (end - today).days
    return "今天" if days == 0 else f"还有{days}天"


def send_deadline_reminders(today: date | None = None) -> int:
    """Periodic: remind who has not submitted, 7, 3 and 1 days before the end date of the
    province's round (schools, and the province with the count) and of a yearly report
    (schools, and the province with the count). Returns how many accounts were reminded.

    Keys carry the end date and the band, so each is sent once per unit and deadline,
    however often and on however many servers this runs; a moved deadline reminds again.
    """
    from tasks.models.declarations import Declaration
    from tasks.models.reporting import ProvinceDeadline, ReportingYear, UnitReport
    from tasks.models.rounds import Round

    today = today or beijing_today()
    sent = 0
    extended = _extended_schools()
    for round_ in Round.objects.select_related("province", "plan").filter(
        start_date__lte=today, end_date__gte=today, plan__is_current=True
    ):
        band = reminder_band((round_.end_date - today).days)
        if band is None:
            continue
        submitted = Declaration.objects.filter(
            round=round_, school=OuterRef("pk"), status=DeclarationStatus.SUBMITTED
        )
        # A declaration a grant created (tasks.models.extensions) holds nothing yet: 未填报.
        started = Declaration.objects.filter(round=round_, school=OuterRef("pk")).exclude(
            school_status=SchoolStatus.NOT_STARTED
        )
        later = {
            code for code, until in extended.get(round_.pk, {}).items() if until > round_.end_date
        }
        found = list(
            School.objects.filter(province=round_.province, account__is_active=True)
            .annotate(submitted=Exists(submitted), started=Exists(started))
            .filter(submitted=False)
            .values_list("code", "started")
        )
        # A school with its own later end date (延期) is reminded of that date instead.
        waiting = [(code, began) for code, began in found if code not in later]
        if not waiting:
            continue
        end = f"{round_.end_date:%Y年%m月%d日}"
        key = f"round:{round_.pk}:{round_.end_date:%Y%m%d}:{band}"
        sent += Notice.send(
            _school_accounts(code for code, _started in waiting),
            kind=NoticeKind.DEADLINE,
            title=f"承接任务填报将于{end}截止（{_left(round_.end_date, today)}），本校尚未提交",
            body="请在截止前完成填写并点击“提交”。",
            url=reverse("tasks:commitments"),
            key=key,
        )
        filling = sum(1 for _code, started in waiting if started)
        also = (
            f"另有{len(found) - len(waiting)}所已延期的学校未提交。"
            if len(found) > len(waiting)
            else ""
        )
        sent += Notice.send(
            _province_admins(round_.province_id),
            kind=NoticeKind.DEADLINE,
            title=(
                f"本省承接任务填报将于{end}截止（{_left(round_.end_date, today)}），"
                f"还有{len(waiting)}所学校未提交"
            ),
            body=f"未填报{len(waiting) - filling}所，填报中{filling}所。{also}",
            url=reverse("review:province_home"),
            key=f"province-{key}",
        )
    sent += _extension_reminders(extended, today)
    provinces = list(Province.objects.values_list("code", flat=True))
    for year in ReportingYear.objects.select_related("plan").filter(deadline__gte=today):
        # Each province's deadline as ReportingYear.deadline_for reads it, in one query.
        earlier = dict(
            ProvinceDeadline.objects.filter(reporting_year=year).values_list(
                "province_id", "deadline"
            )
        )
        deadlines: dict[date, list[str]] = defaultdict(list)
        for province_id in provinces:
            own = earlier.get(province_id)
            deadlines[min(own, year.deadline) if own else year.deadline].append(province_id)
        for deadline, due in deadlines.items():
            band = reminder_band((deadline - today).days)
            if band is None:
                continue
            sent += _report_reminders(year, deadline, due, band, today, UnitReport)
    return sent


def _extended_schools() -> dict[int, dict[str, date]]:
    """Each school's latest grant (延期) in the current plan's rounds: round → school → date."""
    from tasks.models.extensions import Extension

    latest: dict[int, dict[str, date]] = defaultdict(dict)
    for round_id, school_id, until in (
        Extension.objects.filter(status=ExtensionStatus.GRANTED, round__plan__is_current=True)
        .order_by("decided_at", "pk")
        .values_list("round_id", "school_id", "granted_until")
    ):
        if until is not None:  # a grant always has its date
            latest[round_id][school_id] = until  # later grants replace earlier ones
    return latest


def _extension_reminders(extended: dict[int, dict[str, date]], today: date) -> int:
    """7, 3 and 1 days before a school's own end date (延期), while it has not submitted. The
    key carries the school's date, so a new grant reminds again."""
    from tasks.models.declarations import Declaration
    from tasks.models.rounds import Round

    rounds = Round.objects.in_bulk(list(extended))
    due: dict[tuple[int, date, int], list[str]] = defaultdict(list)
    for round_id, schools in extended.items():
        round_ = rounds[round_id]
        for code, until in schools.items():
            band = reminder_band((until - today).days)
            if until > round_.end_date and band is not None and round_.start_date <= today:
                due[(round_id, until, band)].append(code)
    sent = 0
    for (round_id, until, band), codes in due.items():
        submitted = Declaration.objects.filter(
            round_id=round_id, school_id__in=codes, status=DeclarationStatus.SUBMITTED
        ).values_list("school_id", flat=True)
        waiting = set(codes) - set(submitted)
        end = f"{until:%Y年%m月%d日}"
        sent += Notice.send(
            _school_accounts(waiting),
            kind=NoticeKind.DEADLINE,
            title=f"本校承接任务填报延期至{end}截止（{_left(until, today)}），本校尚未提交",
            body="请在截止前完成填写并点击“提交”。",
            url=reverse("tasks:commitments"),
            key=f"extension:{round_id}:{until:%Y%m%d}:{band}",
        )
    return sent


def _report_reminders(
    year: Any, deadline: date, provinces: list[str], band: int, today: date, report_model: Any
) -> int:
    from tasks.models.declarations import Commitment

    done = report_model.objects.filter(
        reporting_year=year,
        school=OuterRef("pk"),
        status__in=[ReportStatus.SUBMITTED, ReportStatus.EVALUATED],
    )
    began = report_model.objects.filter(reporting_year=year, school=OuterRef("pk"))
    reporting = Commitment.objects.reportable(year.plan_id).values("declaration__school_id")
    waiting = list(
        School.objects.filter(
            Q(code__in=reporting), province_id__in=provinces, account__is_active=True
        )
        .annotate(done=Exists(done), began=Exists(began))
        .filter(done=False)
        .values_list("code", "province_id", "began")
    )
    end = f"{deadline:%Y年%m月%d日}"
    key = f"report:{year.pk}:{deadline:%Y%m%d}:{band}"
    sent = Notice.send(
        _school_accounts(code for code, _p, _b in waiting),
        kind=NoticeKind.DEADLINE,
        title=f"{year.year}年度绩效填报将于{end}截止（{_left(deadline, today)}），本校尚未提交",
        body="请在截止前完成填写并点击“提交”。",
        url=reverse("tasks:report", args=[year.pk]),
        key=key,
    )
    by_province: dict[str, list[bool]] = defaultdict(list)
    for _code, province_id, began in waiting:
        by_province[province_id].append(began)
    for province_id, began in by_province.items():
        filling = sum(began)
        sent += Notice.send(
            _province_admins(province_id),
            kind=NoticeKind.DEADLINE,
            title=(
                f"本省{year.year}年度绩效填报将于{end}截止（{_left(deadline, today)}），"
                f"还有{len(began)}个单位未提交"
            ),
            body=f"未填报{len(began) - filling}个，填报中或退回修改{filling}个。",
            url=reverse("review:reporting_province_year", args=[year.pk]),
            key=f"province-{key}",
        )
    return sent
