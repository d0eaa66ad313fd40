"""The audit trail: who changed what, when, from where, and what changed."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from schools.models import User
from tasks.choices import FUND_FIELDS, AuditAction

if TYPE_CHECKING:
    from tasks.models.declarations import Commitment, Declaration
    from tasks.models.reporting import UnitReport

FIELD_LABELS = {"undertaken": "是否承接", "quantity": "承接数量", **dict(FUND_FIELDS)}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "空"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


class AuditEvent(models.Model):
    """Who did what to a declaration or a yearly report, when, from where, and what changed."""

    declaration = models.ForeignKey(
        "tasks.Declaration",
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="承接申报",
        null=True,
        blank=True,
    )
    report = models.ForeignKey(
        "tasks.UnitReport",
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="年度绩效填报",
        null=True,
        blank=True,
    )
    commitment = models.ForeignKey(
        "tasks.Commitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name="承接任务",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    ip = models.GenericIPAddressField("地址", null=True, blank=True)
    action = models.CharField("操作", max_length=16, choices=AuditAction.choices)
    version = models.PositiveIntegerField("操作后版本")
    changes = models.JSONField("变更内容", default=dict, blank=True)

    class Meta:
        ordering = ["declaration", "at", "pk"]
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        indexes = [
            models.Index(fields=["declaration", "at"]),
            models.Index(fields=["report", "at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="audit_event_has_one_subject",
                condition=Q(declaration__isnull=False, report__isnull=True)
                | Q(declaration__isnull=True, report__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"

    def describe(self, limit: int = 8) -> str:
        """What changed, in a sentence for the timeline."""
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
        if changes.get("contacts"):
            parts.append("修改联系人信息")
        if changes.get("resubmitted"):
            parts.append("重新提交 " + "、".join(changes["resubmitted"]))
        if changes.get("dropped"):
            parts.append("不再承接 " + "、".join(changes["dropped"]))
        if changes.get("comment"):
            parts.append(f"修改意见：{changes['comment']}")
        if changes.get("reason"):
            parts.append(f"原因：{changes['reason']}")
        return "；".join(parts)

    @classmethod
    def record(
        cls,
        declaration: "Declaration",
        user: User,
        action: AuditAction,
        ip: str | None,
        changes: dict[str, Any],
        commitment: "Commitment | None" = None,
    ) -> "AuditEvent":
        return cls.objects.create(
            declaration=declaration,
            commitment=commitment,
            user=user,
            ip=ip or None,
            action=action,
            version=declaration.version,
            changes=changes,
        )

    @classmethod
    def record_report(
        cls,
        report: "UnitReport",
        user: User,
        action: AuditAction,
        ip: str | None,
        changes: dict[str, Any],
    ) -> "AuditEvent":
        return cls.objects.create(
            report=report,
            user=user,
            ip=ip or None,
            action=action,
            version=report.version,
            changes=changes,
        )


# The yearly performance reports live in their own module; importing it here registers their
# models with the app.
