"""The audit trail: who changed what, when, from where, and what changed (old → new).

Any object can be the subject of a record: a declaration, a yearly report, a round, a
reporting year, a school, an account, a catalogue entry. Each record also names the province
and the school it concerns, so a province's 操作记录 and a school's history are one indexed
query each. Records are written by the model methods that make the changes, in the same
transaction, and nothing in the UI edits or deletes them.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import receiver
from django.utils import timezone

from schools.audit import Entry, recorded
from schools.choices import AuditAction
from tasks.choices import FUND_FIELDS
from tasks.transitions import BEIJING

FIELD_LABELS = {
    "undertaken": "是否承接",
    "quantity": "承接数量",
    "contact_name": "平台管理联系人",
    "office_phone": "办公电话",
    "mobile": "手机号",
    "granted_until": "延期至",
    "kinds": "必选学校类型",
    "schools": "必选学校",
    **dict(FUND_FIELDS),
}
LABEL_MAX = 200
COMMENT_LABELS: dict[str, str] = {
    AuditAction.RETURN: "修改意见：",
    AuditAction.REPORT_RETURN: "退回意见：",
    AuditAction.REPORT_EVALUATE: "评价意见：",
}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "空"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value) or "空"
    return str(value)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_subject(self, subject: models.Model) -> "AuditEventQuerySet":
        """The records of one object, e.g. a declaration's timeline."""
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
        ).select_related("user")

    def matching(
        self,
        *,
        province: str = "",
        school: str = "",
        user: str = "",
        action: str = "",
        since: date | None = None,
        until: date | None = None,
    ) -> "AuditEventQuerySet":
        """操作记录's filters: a province, a school code, a user name, an action, and dates
        (whole days, Beijing time)."""
        found = self
        if province:
            found = found.filter(province_id=province)
        if school:
            found = found.filter(school_id=school)
        if user:
            found = found.filter(actor=user)
        if action:
            found = found.filter(action=action)
        if since:
            found = found.filter(at__gte=datetime.combine(since, time.min, BEIJING))
        if until:
            found = found.filter(
                at__lt=datetime.combine(until + timedelta(days=1), time.min, BEIJING)
            )
        return found


class AuditEvent(models.Model):
    """One change: its subject, who made it (a user, or the command that ran), when, from
    which address, the action and what changed."""

    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name="对象类型"
    )
    subject_id = models.CharField("对象标识", max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField("对象", max_length=LABEL_MAX)
    province = models.ForeignKey(
        "schools.Province",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="省级单位",
    )
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="学校",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人账号",
    )
    actor = models.CharField(
        "操作人", max_length=150, help_text="操作时的用户名；命令行操作为“命令行 …”。"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    ip = models.GenericIPAddressField("地址", null=True, blank=True)
    action = models.CharField("操作", max_length=32, choices=AuditAction.choices)
    version = models.PositiveIntegerField("操作后版本", null=True, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"]),
            models.Index(fields=["province", "at"]),
            models.Index(fields=["school", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at, BEIJING)
        return f"{at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"

    # -- writing ---------------------------------------------------------------------------

    @classmethod
    def record(
        cls,
        subject: models.Model,
        *,
        by: Any,
        action: AuditAction,
        ip: str | None = None,
        changes: dict[str, Any] | None = None,
        version: int | None = None,
        actor: str = "",
        province: str | None = None,
    ) -> "AuditEvent":
        """Record one change; call it inside the transaction that makes the change.
        `province` names the province concerned where the subject has none of its own."""
        event = cls.build(
            Entry(
                subject,
                action,
                by,
                ip,
                changes or {},
                actor=actor,
                version=version,
                province_id=province,
            )
        )
        event.save()
        # Whoever the change concerns is told in the same transaction (tasks.models.notices).
        from tasks.models.notices import notify

        notify(event, subject)
        return event

    @classmethod
    def build(cls, entry: Entry) -> "AuditEvent":
        subject = entry.subject
        scope = getattr(subject, "audit_scope", None)
        province, school = scope() if scope else (None, None)
        by = entry.by
        return cls(
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=str(subject.pk),
            subject_label=str(getattr(subject, "audit_label", subject))[:LABEL_MAX],
            province_id=entry.province_id or province,
            school_id=entry.school_id or school,
            user=by if by is not None and by.pk else None,
            actor=(by.username if by is not None else entry.actor) or "系统",
            ip=entry.ip or None,
            action=entry.action,
            version=entry.version,
            changes=entry.changes,
        )

    # -- reading ---------------------------------------------------------------------------

    @property
    def who(self) -> str:
        """The actor as a timeline shows it (select_related("user") to read it cheaply)."""
        user = self.user
        if user is None:
            return self.actor
        if user.school_id:
            return "学校"
        if user.province_id:
            return f"省级管理员 {user.username}"
        return user.username

    def describe(self, limit: int = 8) -> str:
        """What changed, in a sentence for timelines and 操作记录."""
        changes = self.changes or {}
        parts = []
        items = changes.get("items")
        if isinstance(items, dict) and items:
            described = []
            for code, fields_changed in list(items.items())[:limit]:
                shown = "，".join(
                    f"{FIELD_LABELS.get(name, name)} {_shown(old)}→{_shown(new)}"
                    for name, (old, new) in fields_changed.items()
                )
                described.append(f"{code}（{shown}）")
            more = f"等{len(items)}项" if len(items) > limit else ""
            parts.append("修改 " + "；".join(described) + more)
        elif isinstance(items, list) and items:
            parts.append("任务（项目）" + "、".join(items))
        rows = changes.get("rows")
        if isinstance(rows, dict) and rows:
            parts.append(
                "修改 " + "；".join(f"{code}（{'、'.join(names)}）" for code, names in rows.items())
            )
        for key in ("contacts", "fields"):
            found = changes.get(key)
            if isinstance(found, dict) and found:
                parts.append(
                    "，".join(
                        f"{FIELD_LABELS.get(name, name)} {_shown(old)}→{_shown(new)}"
                        for name, (old, new) in list(found.items())[:limit]
                    )
                )
        for key, label in (
            ("added", "新增开放 "),
            ("removed", "取消开放 "),
            ("resubmitted", "重新提交 "),
            ("dropped", "不再承接 "),
        ):
            if changes.get(key):
                parts.append(label + "、".join(changes[key]))
        for key, label in (
            ("grade", "评价："),
            ("until", "延期至："),
            ("comment", COMMENT_LABELS.get(self.action, "意见：")),
            ("reason", "原因："),
            ("file", "文件："),
            ("note", ""),
        ):
            if changes.get(key):
                parts.append(f"{label}{changes[key]}")
        return "；".join(parts)


@receiver(recorded)
def _store(sender: Any, entries: list[Entry], **kwargs: Any) -> None:
    """Store what schools (accounts, school registry) announce: see schools.audit."""
    events = [AuditEvent.build(entry) for entry in entries]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
