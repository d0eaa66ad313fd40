"""Extensions for one school (延期): the school asks for more time with a reason and a date; its
province grants a new end date for that school only, or refuses with a reason, or grants one
unasked (after a phone call, or when it reopens a declaration after the end date).

The school's window follows its latest grant (Round.granted_until, Declaration.is_open): its
form opens and closes at 24:00 Beijing time on the granted date.

Every change here locks the school's declaration row first (creating the declaration if the
school has not saved yet), the same lock every save and submit of the school takes before it
reads its window. So a grant and a save after the old end date are serialised: a save that
took the lock first was refused on the old date, and a save that waited reads the grant.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from schools.choices import AuditAction, Role
from schools.models import School, User
from tasks.choices import ExtensionStatus
from tasks.models.audit import AuditEvent
from tasks.models.declarations import Declaration
from tasks.models.rounds import Round
from tasks.transitions import COMMENT_MAX, InvalidInput, InvalidState, NotAllowed, beijing_today

# A grant may reach this many days past the round's end date: long enough for a school that
# lost weeks (a move, a flood), short enough that a mistyped year is refused.
MAX_EXTENSION_DAYS = 60


class ExtensionQuerySet(models.QuerySet["Extension"]):
    def pending(self) -> "ExtensionQuerySet":
        return self.filter(status=ExtensionStatus.REQUESTED)

    def for_list(self) -> "ExtensionQuerySet":
        """延期申请: pending requests first (oldest first, as an in-tray), then every decided
        one, newest decision first."""
        return self.select_related("school", "requested_by", "decided_by").order_by(
            models.Case(
                models.When(status=ExtensionStatus.REQUESTED, then=models.Value(0)),
                default=models.Value(1),
            ),
            models.F("requested_at").asc(nulls_last=True),
            models.F("decided_at").desc(nulls_last=True),
            "-pk",
        )


class Extension(models.Model):
    """One request for more time, or one grant given unasked, for one school in one round."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="extensions", verbose_name="申报轮次"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="extensions", verbose_name="学校"
    )
    status = models.CharField(
        "状态", max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.REQUESTED
    )
    reason = models.TextField("延期原因", blank=True)
    wanted_until = models.DateField("申请延期至", null=True, blank=True)
    granted_until = models.DateField(
        "批准延期至", null=True, blank=True, help_text="该校当日24:00（北京时间）截止。"
    )
    answer = models.TextField("省厅意见", blank=True, help_text="不同意的原因，或批准时的说明。")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="申请账号",
    )
    requested_at = models.DateTimeField("申请时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="处理人",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects = ExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "school"],
                condition=Q(status="requested"),
                name="one_open_extension_request",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "school", "status"]),
            models.Index(fields=["round", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.school} 延期（{self.get_status_display()}）"

    @property
    def audit_label(self) -> str:
        return f"{self.school.name} 延期"

    def audit_scope(self) -> tuple[str, str]:
        return self.round.province_id, self.school_id

    # For templates, which never compare state strings.
    @property
    def is_pending(self) -> bool:
        return self.status == ExtensionStatus.REQUESTED

    @property
    def is_granted(self) -> bool:
        return self.status == ExtensionStatus.GRANTED

    @property
    def is_refused(self) -> bool:
        return self.status == ExtensionStatus.REFUSED

    @property
    def was_asked(self) -> bool:
        return self.requested_at is not None

    # -- rules ------------------------------------------------------------------------------

    @staticmethod
    def latest_date(round_: Round) -> date:
        return round_.end_date + timedelta(days=MAX_EXTENSION_DAYS)

    @classmethod
    def check_until(cls, round_: Round, until: date | None, field: str = "until") -> date:
        """A date a school may ask for or a province grant: after the round's end date, not in
        the past (today is allowed: the window closes at 24:00), and at most
        MAX_EXTENSION_DAYS past the end date."""
        if until is None:
            raise InvalidInput("请填写延期至的日期（如2026-12-05）。", field)
        if until <= round_.end_date:
            raise InvalidInput(f"延期日期须晚于本省结束日期{round_.end_date:%Y-%m-%d}。", field)
        if until < beijing_today():
            raise InvalidInput("延期日期不能早于今天。", field)
        if until > cls.latest_date(round_):
            raise InvalidInput(
                f"延期日期不能晚于{cls.latest_date(round_):%Y-%m-%d}"
                f"（本省结束日期后{MAX_EXTENSION_DAYS}天）。",
                field,
            )
        return until

    @staticmethod
    def _check_text(text: str, *, required: str, field: str, label: str) -> str:
        text = (text or "").strip()
        if required and not text:
            raise InvalidInput(required, field)
        if len(text) > COMMENT_MAX:
            raise InvalidInput(f"{label}不能超过{COMMENT_MAX}个字。", field)
        return text

    @staticmethod
    def can_request(user: User, school: School) -> bool:
        return user.role == Role.SCHOOL and user.school_id == school.code

    @staticmethod
    def can_decide(user: User, round_: Round) -> bool:
        """The round's own province admins; the ministry reads but does not decide."""
        return user.administers(round_.province_id)

    @staticmethod
    def _lock(round_: Round, school: School) -> Declaration:
        """The school's declaration row, locked (created first if the school has none): the
        lock its saves take before reading its window."""
        return Declaration.for_school(school, round_)._locked()

    # -- the school's transition ------------------------------------------------------------

    @classmethod
    def request(
        cls,
        round_: Round,
        school: School,
        *,
        by: User,
        reason: str,
        wanted_until: date | None,
        ip: str | None = None,
    ) -> "Extension":
        """申请延期: one open request at a time."""
        if not cls.can_request(by, school) or round_.province_id != school.province_id:
            raise NotAllowed("只能为本校申请延期。")
        reason = cls._check_text(
            reason, required="请填写延期原因。", field="reason", label="延期原因"
        )
        cls.check_until(round_, wanted_until, "wanted_until")
        with transaction.atomic():
            cls._lock(round_, school)
            if cls.objects.filter(round=round_, school=school).pending().exists():
                raise InvalidState("本校已有一项延期申请待省厅处理，请等待处理结果后再申请。")
            extension = cls.objects.create(
                round=round_,
                school=school,
                status=ExtensionStatus.REQUESTED,
                reason=reason,
                wanted_until=wanted_until,
                requested_by=by,
                requested_at=timezone.now(),
            )
            AuditEvent.record(
                extension,
                by=by,
                action=AuditAction.EXTENSION_REQUEST,
                ip=ip,
                changes={"until": f"{wanted_until:%Y-%m-%d}", "reason": reason},
            )
        return extension

    # -- the province's transitions ---------------------------------------------------------

    def grant(self, *, by: User, until: date | None, note: str = "", ip: str | None = None) -> None:
        """批准延期 of this request: the school's window closes at 24:00 on `until`."""
        self._decide(by, ip, until=until, note=note)

    def refuse(self, *, by: User, answer: str, ip: str | None = None) -> None:
        """不同意延期, with the reason the school will read."""
        self._decide(by, ip, answer=answer)

    def _decide(
        self,
        by: User,
        ip: str | None,
        *,
        until: date | None = None,
        note: str = "",
        answer: str | None = None,
    ) -> None:
        refusing = answer is not None
        if not self.can_decide(by, self.round):
            raise NotAllowed("只能处理本省学校的延期申请。")
        if refusing:
            text = self._check_text(
                answer or "", required="请填写不同意的原因。", field="answer", label="原因"
            )
        else:
            text = self._check_text(note, required="", field="answer", label="说明")
            self.check_until(self.round, until)
        with transaction.atomic():
            self._lock(self.round, self.school)
            current = Extension.objects.select_for_update().get(pk=self.pk)
            if not current.is_pending:
                raise InvalidState(f"该申请已处理（{current.get_status_display()}），请刷新页面。")
            if refusing:
                current._refuse_locked(by, text, ip)
            else:
                assert until is not None
                current._grant_locked(by, until, text, ip)
        self.refresh_from_db()

    def _refuse_locked(self, by: User, answer: str, ip: str | None) -> None:
        self.status = ExtensionStatus.REFUSED
        self.answer = answer
        self.decided_by, self.decided_at = by, timezone.now()
        self.save(update_fields=["status", "answer", "decided_by", "decided_at"])
        AuditEvent.record(
            self, by=by, action=AuditAction.EXTENSION_REFUSE, ip=ip, changes={"reason": answer}
        )

    def _grant_locked(self, by: User, until: date, note: str, ip: str | None) -> None:
        before = self.round.granted_until(self.school_id)
        self.status = ExtensionStatus.GRANTED
        self.granted_until, self.answer = until, note
        self.decided_by, self.decided_at = by, timezone.now()
        self.save()
        # A later grant replaces an earlier one: the trail shows which it replaced.
        changes: dict[str, Any] = (
            {"fields": {"granted_until": [f"{before:%Y-%m-%d}", f"{until:%Y-%m-%d}"]}}
            if before
            else {"until": f"{until:%Y-%m-%d}"}
        )
        if note:
            changes["note"] = note
        AuditEvent.record(self, by=by, action=AuditAction.EXTENSION_GRANT, ip=ip, changes=changes)

    @classmethod
    def grant_unasked(
        cls,
        round_: Round,
        school: School,
        *,
        by: User,
        until: date | None,
        note: str = "",
        ip: str | None = None,
    ) -> "Extension":
        """批准延期 without a request (after a phone call). A request the school has open is
        answered by it, so nothing is left waiting."""
        if not cls.can_decide(by, round_) or school.province_id != round_.province_id:
            raise NotAllowed("只能为本省学校批准延期。")
        note = cls._check_text(note, required="", field="answer", label="说明")
        cls.check_until(round_, until)
        assert until is not None
        with transaction.atomic():
            declaration = cls._lock(round_, school)
            return cls.grant_locked(declaration, by=by, until=until, note=note, ip=ip)

    @classmethod
    def grant_locked(
        cls, declaration: Declaration, *, by: User, until: date, note: str, ip: str | None
    ) -> "Extension":
        """The grant, for a caller that holds the school's declaration lock (grant_unasked,
        and Declaration.reopen after the end date)."""
        assert declaration.school is not None
        round_ = declaration.round
        cls.check_until(round_, until)
        if not cls.can_decide(by, round_):
            raise NotAllowed("只能为本省学校批准延期。")
        found = (
            cls.objects.select_for_update()
            .filter(round=round_, school=declaration.school)
            .pending()
            .first()
        )
        extension = found or cls(round=round_, school=declaration.school)
        extension.round, extension.school = round_, declaration.school
        extension._grant_locked(by, until, note, ip)
        # The declaration's cached window is the old one.
        declaration.__dict__.pop("granted_until", None)
        return extension

    request.__func__.alters_data = True  # type: ignore[attr-defined]
    grant.alters_data = True  # type: ignore[attr-defined]
    refuse.alters_data = True  # type: ignore[attr-defined]
    grant_unasked.__func__.alters_data = True  # type: ignore[attr-defined]
    grant_locked.__func__.alters_data = True  # type: ignore[attr-defined]
