"""Declarations (a unit's answer to a round) and their commitments, with every transition."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from schools.choices import Role
from schools.models import School, User
from tasks.choices import (
    FUND_FIELDS,
    FUND_NAMES,
    AuditAction,
    ChangeStatus,
    DeclarationStatus,
    ItemScope,
    ReviewStatus,
    SchoolStatus,
    WindowState,
)
from tasks.models.audit import AuditEvent
from tasks.models.catalogue import Item
from tasks.models.rounds import Round
from tasks.transitions import (
    COMMENT_MAX,
    MAX_AMOUNT,
    MAX_QUANTITY,
    InvalidInput,
    InvalidState,
    LockedTransitions,
    NotAllowed,
    StaleVersion,
    TransitionError,
    WindowClosed,
)


@dataclass(frozen=True)
class RowValues:
    """What a unit entered for one item: the tick, the quantity and funding in 万元."""

    undertaken: bool = False
    quantity: int | None = None
    school_funds: Decimal | None = None
    industry_funds: Decimal | None = None
    sponsor_funds: Decimal | None = None
    local_funds: Decimal | None = None
    provincial_funds: Decimal | None = None

    @classmethod
    def of(cls, commitment: "Commitment") -> "RowValues":
        return cls(**{f.name: getattr(commitment, f.name) for f in fields(cls)})

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> "RowValues":
        """The values as `as_json` stored them (amounts as strings)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = stored.get(f.name)
            if f.name in FUND_NAMES and value is not None:
                value = Decimal(str(value))
            values[f.name] = value
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @property
    def total(self) -> Decimal | None:
        """汇总 as the database computes it: the sum of the filled sources."""
        amounts = [getattr(self, name) for name in FUND_NAMES]
        if all(value is None for value in amounts):
            return None
        return sum((value for value in amounts if value is not None), Decimal(0))

    def is_blank(self) -> bool:
        return not self.undertaken and all(
            getattr(self, f.name) is None for f in fields(self) if f.name != "undertaken"
        )

    def missing(self, item: Item, fund_names: Iterable[str]) -> list[str]:
        """Fields a ticked row must have before it can be submitted (0 when there is none)."""
        if not self.undertaken:
            return []
        needed = [*fund_names]
        if item.has_quantity:
            needed.insert(0, "quantity")
        return [name for name in needed if getattr(self, name) is None]

    def problems(self, item: Item, fund_names: Iterable[str]) -> list[str]:
        """Values no form can produce: they mean a forged or outdated request."""
        allowed = set(fund_names)
        found = []
        if self.quantity is not None and not item.has_quantity:
            found.append(f"{item.code}不填写承接数量。")
        if self.quantity is not None and not 1 <= self.quantity <= MAX_QUANTITY:
            found.append(f"{item.code}承接数量应为1至{MAX_QUANTITY}的整数。")
        for name in FUND_NAMES:
            value = getattr(self, name)
            if value is None:
                continue
            if name not in allowed:
                found.append(f"本省未启用“省财政投入”，{item.code}不能填写。")
            elif not (value.is_finite() and 0 <= value <= MAX_AMOUNT) or value != round(value, 2):
                found.append(f"{item.code}的经费金额无效。")
        return found


@dataclass(frozen=True)
class Cell:
    """One column of a 修改对比: its value before and after."""

    label: str
    before: Any
    after: Any
    is_amount: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Comparison:
    """修改对比: an item's values at one moment (when it was returned, or as approved) against
    another (now, or as proposed), with the comment or reason they answer."""

    code: str
    cells: list[Cell]
    note: str = ""

    @property
    def changed(self) -> bool:
        return any(cell.changed for cell in self.cells)

    @property
    def changed_labels(self) -> list[str]:
        return [cell.label for cell in self.cells if cell.changed]

    @classmethod
    def of(
        cls,
        item: Item,
        before: RowValues,
        after: RowValues,
        fund_fields: Iterable[tuple[str, str]],
        note: str = "",
    ) -> "Comparison":
        yes_no = {True: "是", False: "否"}
        cells = [Cell("是否承接", yes_no[before.undertaken], yes_no[after.undertaken])]
        if item.has_quantity:
            cells.append(Cell("承接数量", before.quantity, after.quantity))
        cells.append(Cell("汇总", before.total, after.total, is_amount=True))
        cells += [
            Cell(label, getattr(before, name), getattr(after, name), is_amount=True)
            for name, label in fund_fields
        ]
        return cls(item.code, cells, note)


@dataclass(frozen=True)
class Contacts:
    contact_name: str
    office_phone: str
    mobile: str

    def missing(self) -> list[str]:
        return [f.name for f in fields(self) if not getattr(self, f.name)]


def _fund_sum() -> Any:
    terms = [Coalesce(F(name), Value(Decimal(0))) for name in FUND_NAMES]
    total: Any = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


class Declaration(LockedTransitions, models.Model):
    """A unit's answer to a round: one per school, plus one for the province's own items.

    Every change of state goes through one of the methods below. Each runs in one
    transaction, locks this row first (select_for_update on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers), checks who may act and from which state, and writes an
    AuditEvent; a refusal raises a TransitionError that the view shows.
    """

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="declarations", verbose_name="申报轮次"
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="declarations",
        null=True,
        blank=True,
        verbose_name="学校",
        help_text="空表示省级承接（省级单位自己承接的任务）。",
    )
    status = models.CharField(
        "状态", max_length=16, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    version = models.PositiveIntegerField(
        "版本", default=0, help_text="每次保存加一；旧页面的保存会被拒绝。"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # Kept by every transition (see _bump) so lists can filter, sort and count in SQL.
    school_status = models.CharField(
        "填报状态",
        max_length=16,
        choices=SchoolStatus.choices,
        default=SchoolStatus.NOT_STARTED,
        db_index=True,
    )
    item_count = models.PositiveIntegerField("承接任务数", default=0)
    total_funds = models.DecimalField(
        "汇总金额（万元）", max_digits=14, decimal_places=2, default=0
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "承接申报"
        verbose_name_plural = "承接申报"
        constraints = [
            models.UniqueConstraint(fields=["round", "school"], name="one_declaration_per_school"),
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(school__isnull=True),
                name="one_province_declaration_per_round",
            ),
        ]

    unique_key = ("round_id", "school_id")
    lock_related = ("school",)

    def __str__(self) -> str:
        return f"{self.school or self.round.province}（{self.get_status_display()}）"

    def _locked(self) -> "Declaration":
        locked: Declaration = super()._locked()
        # The round is read afresh under a share lock after this row's lock: Round.configure
        # locks it exclusively while it changes the offer or the fifth column, so this
        # transition sees the round as it will stand when it commits.
        locked.round = Round.share_lock(locked.round_id)
        return locked

    # -- what it holds --------------------------------------------------------------------

    @property
    def is_provincial(self) -> bool:
        """The province's own 省级承接, not a school's declaration."""
        return self.school_id is None

    @property
    def fund_fields(self) -> tuple[tuple[str, str], ...]:
        """The funding columns: the round's for schools; all five for the province's own
        items, which 省财政投入 always funds."""
        return FUND_FIELDS if self.is_provincial else self.round.fund_fields

    def offered_items(self) -> models.QuerySet[Item]:
        """Items this declaration may hold: the round's offer to schools, or the plan's
        province-level items for the province's own declaration."""
        if self.is_provincial:
            return (
                Item.objects.offerable()
                .filter(task__plan_id=self.round.plan_id, scope=ItemScope.PROVINCE)
                .select_related("task")
                .order_by("task__number", "sub_number")
            )
        return self.round.offered_items()

    def form_items(self) -> list[Item]:
        """The rows of the form: the offer, plus items saved before the province changed its
        offer (what was saved is kept and can still be edited or dropped)."""
        offered = list(self.offered_items())
        if self.pk is None:
            return offered
        seen = {item.pk for item in offered}
        kept = [
            c.item
            for c in self.commitments.exclude(item_id__in=seen)
            .select_related("item__task")
            .order_by("item__task__number", "item__sub_number")
        ]
        return offered + kept

    # -- finding and creating ------------------------------------------------------------

    @classmethod
    def for_school(cls, school: School, round_: Round) -> "Declaration":
        """The school's declaration, or an unsaved one if the school has not saved yet."""
        found = cls.objects.filter(round=round_, school=school).first()
        if found is None:
            return cls(round=round_, school=school)
        found.round, found.school = round_, school  # already loaded: no query to reach them
        return found

    @classmethod
    def for_province(cls, round_: Round) -> "Declaration":
        """The province's own declaration (省级承接) for its round, saved or not."""
        found = cls.objects.filter(round=round_, school__isnull=True).first()
        if found is None:
            return cls(round=round_, school=None)
        found.round = round_
        return found

    # -- rules -----------------------------------------------------------------------------

    def _owner_refusal(self, user: User) -> str | None:
        if self.school_id is not None:
            if user.role == Role.SCHOOL and user.school_id == self.school_id:
                return None
            return "只能填写本校的承接任务。"
        if user.administers(self.round.province_id):
            return None
        return "只能填写本省的省级承接任务。"

    def _reviewer_refusal(self, user: User) -> str | None:
        if user.administers(self.round.province_id):
            return None
        return "只能审核本省学校的承接任务。"

    def can_review(self, user: User) -> bool:
        """Whether `user` may approve, return or undo this declaration's items now (通过,
        退回修改, 撤销审核, 全部通过, 退回学校重新填报): its own province, once submitted."""
        return (
            self._reviewer_refusal(user) is None
            and self.school_id is not None
            and self.status == DeclarationStatus.SUBMITTED
        )

    @property
    def is_submitted(self) -> bool:
        return self.status == DeclarationStatus.SUBMITTED

    def reopen_reason(self) -> str | None:
        """The province's reason while the declaration is a draft again because it was
        reopened (退回学校重新填报), until the school submits; None otherwise."""
        if self.pk is None or self.status != DeclarationStatus.DRAFT:
            return None
        last = (
            AuditEvent.objects.for_subject(self)
            .filter(action__in=[AuditAction.SUBMIT, AuditAction.REOPEN])
            .order_by("-at", "-pk")
            .values_list("action", "changes")
            .first()
        )
        if last is None or last[0] != AuditAction.REOPEN:
            return None
        return str((last[1] or {}).get("reason", ""))

    def _check(self, refusal: str | None, error: type[TransitionError] = NotAllowed) -> None:
        if refusal:
            raise error(refusal)

    def _check_version(self, version: int) -> None:
        if version != self.version:
            raise StaleVersion(
                "本表已在其他窗口（或由其他人）修改并保存过，您这次填写的内容没有保存，仍保留在下方。"
                "请核对后再次保存；如需查看已保存的内容，请刷新页面（刷新会清除本页未保存的填写）。"
            )

    # -- the school's own window (the round's dates, or its extension) ---------------------

    @cached_property
    def granted_until(self) -> date | None:
        """The end date the province granted this school (延期), or None. Read once per
        instance: a transition reads it on the instance _locked() returns, i.e. after taking
        this row's lock, which every grant takes too (tasks.models.extensions)."""
        if self.is_provincial:
            return None
        assert self.school_id is not None
        return self.round.granted_until(self.school_id)

    @property
    def end_date(self) -> date:
        """The school's own end date: the round's, or the later one it was granted."""
        return self.round.end_for(self.granted_until)

    @property
    def is_extended(self) -> bool:
        return self.end_date > self.round.end_date

    def window(self, at: datetime | None = None) -> WindowState:
        return self.round.window(at, self.granted_until)

    def is_open(self, at: datetime | None = None) -> bool:
        """Whether the school may edit now: its round's window, or its extension's."""
        return self.window(at) == WindowState.OPEN

    def closed_message(self) -> str:
        return self.round.closed_message(self.granted_until)

    def _edit_refusal(self, user: User) -> tuple[str | None, type[TransitionError]]:
        """Why `user` may not save or submit the form now, or None."""
        owner = self._owner_refusal(user)
        if owner:
            return owner, NotAllowed
        # The round's dates (or the school's extension) are the province's call to its
        # schools; its own 省级承接 is not bound by them.
        if not self.is_provincial and not self.is_open():
            return self.closed_message(), WindowClosed
        if self.status != DeclarationStatus.DRAFT:
            return (
                "本表已提交，不能再修改。如需修改，请先点击“继续修改”撤回提交。",
                InvalidState,
            )
        return None, NotAllowed

    def can_edit(self, user: User) -> bool:
        return self._edit_refusal(user)[0] is None

    def withdraw_refusal(self, user: User) -> str | None:
        """Why `user` may not withdraw the submission now, or None (the manual's rule)."""
        owner = self._owner_refusal(user)
        if owner:
            return owner
        if self.status != DeclarationStatus.SUBMITTED:
            return "本表尚未提交，无需撤回。"
        if self.is_provincial:
            return None  # nobody reviews the province's own items
        if not self.is_open():
            return "申报已截止，不能自行撤回。如需修改，请联系省级平台联系人或申请延期。"
        if self.commitments.exclude(review_status=ReviewStatus.PENDING).exists():
            return (
                "省厅已开始审核，不能自行撤回。被退回修改的任务请在“需修改的任务”中修改后"
                "重新提交；其他修改请联系省级平台联系人。"
            )
        return None

    def can_withdraw(self, user: User) -> bool:
        return self.withdraw_refusal(user) is None

    # -- the unit's transitions ----------------------------------------------------------

    def save_draft(
        self,
        *,
        by: User,
        rows: Mapping[int, RowValues],
        contacts: Contacts | None,
        version: int,
        ip: str | None = None,
    ) -> None:
        """保存: store what was entered, complete or not."""
        with self._atomic():
            locked = self._locked()
            locked._check(*locked._edit_refusal(by))
            locked._check_version(version)
            changes = locked._apply(rows, contacts)
            locked._bump()
            locked._audit(by, AuditAction.SAVE, ip, changes)
        self.refresh_from_db()

    def submit(
        self,
        *,
        by: User,
        rows: Mapping[int, RowValues],
        contacts: Contacts | None,
        version: int,
        ip: str | None = None,
    ) -> None:
        """提交: store the form and send it to the province; every ticked row must be complete."""
        with self._atomic():
            locked = self._locked()
            locked._check(*locked._edit_refusal(by))
            locked._check_version(version)
            changes = locked._apply(rows, contacts)
            locked._check_complete()
            locked.commitments.filter(undertaken=False).delete()
            now = timezone.now()
            if not locked.is_provincial:
                locked.commitments.update(
                    review_status=ReviewStatus.PENDING, comment="", waiting_since=now
                )
            locked.status = DeclarationStatus.SUBMITTED
            locked.submitted_at = now
            locked._bump()
            locked._audit(by, AuditAction.SUBMIT, ip, changes)
        self.refresh_from_db()

    submit.alters_data = True  # type: ignore[attr-defined]
    save_draft.alters_data = True  # type: ignore[attr-defined]

    def withdraw(self, *, by: User, ip: str | None = None) -> None:
        """继续修改: take the submission back to draft, before any review and the end date."""
        with self._atomic():
            locked = self._locked()
            locked._check(locked.withdraw_refusal(by), InvalidState)
            locked.commitments.update(review_status="", comment="")
            locked.status = DeclarationStatus.DRAFT
            locked.submitted_at = None
            locked._bump()
            locked._audit(by, AuditAction.WITHDRAW, ip, {})
        self.refresh_from_db()

    withdraw.alters_data = True  # type: ignore[attr-defined]

    def _returned_refusal(self, user: User) -> str | None:
        owner = self._owner_refusal(user)
        if owner:
            return owner
        if self.status != DeclarationStatus.SUBMITTED:
            return "本表尚未提交，没有需修改的任务。"
        return None

    def save_returned(
        self, *, by: User, rows: Mapping[int, RowValues], version: int, ip: str | None = None
    ) -> None:
        """需修改的任务 · 保存: store edits of returned items; they stay returned."""
        with self._atomic():
            locked = self._locked()
            locked._check(locked._returned_refusal(by), InvalidState)
            locked._check_version(version)
            locked._check_returned(rows)
            changes = locked._apply(rows, None)
            locked._bump()
            locked._audit(by, AuditAction.SAVE_RETURNED, ip, changes)
        self.refresh_from_db()

    def resubmit(
        self,
        *,
        by: User,
        rows: Mapping[int, RowValues],
        selected: Iterable[int],
        version: int,
        ip: str | None = None,
    ) -> None:
        """需修改的任务 · 提交: the selected returned items go back to 待审核.

        A selected item the unit no longer ticks as undertaken is dropped from the
        declaration; the other returned items keep their state and edits.
        """
        chosen = set(selected)
        with self._atomic():
            locked = self._locked()
            locked._check(locked._returned_refusal(by), InvalidState)
            locked._check_version(version)
            if not chosen:
                raise InvalidInput("请勾选要提交的任务。")
            locked._check_returned({**rows, **dict.fromkeys(chosen, RowValues())})
            changes = locked._apply(rows, None)
            commitments = {
                c.item_id: c
                for c in locked.commitments.select_related("item__task").filter(item_id__in=chosen)
            }
            missing = {
                c.item.code: RowValues.of(c).missing(c.item, locked._fund_names())
                for c in commitments.values()
            }
            incomplete = [code for code, names in missing.items() if names]
            if incomplete:
                raise InvalidInput(f"{'、'.join(sorted(incomplete))}填写不完整，不能提交。")
            dropped = [c.item.code for c in commitments.values() if not c.undertaken]
            if dropped:
                locked._check_required_kept(
                    [c.item for c in commitments.values() if not c.undertaken]
                )
            locked.commitments.filter(item_id__in=chosen, undertaken=False).delete()
            locked.commitments.filter(item_id__in=chosen, undertaken=True).update(
                review_status=ReviewStatus.PENDING,
                comment="",
                reviewed_at=None,
                reviewed_by=None,
                waiting_since=timezone.now(),
            )
            locked._bump()
            changes["resubmitted"] = sorted(
                c.item.code for c in commitments.values() if c.undertaken
            )
            if dropped:
                changes["dropped"] = sorted(dropped)
            locked._audit(by, AuditAction.RESUBMIT, ip, changes)
        self.refresh_from_db()

    save_returned.alters_data = True  # type: ignore[attr-defined]
    resubmit.alters_data = True  # type: ignore[attr-defined]

    # -- the province's transitions ------------------------------------------------------

    def approve_all(self, *, by: User, ip: str | None = None) -> int:
        """全部通过: approve every pending item; returns how many."""
        with self._atomic():
            locked = self._locked()
            locked._check(locked._reviewer_refusal(by))
            locked._check_reviewable()
            codes = sorted(
                locked.commitments.filter(review_status=ReviewStatus.PENDING).values_list(
                    "item__code", flat=True
                )
            )
            if not codes:
                raise InvalidState("没有待审核的任务。")
            locked.commitments.filter(review_status=ReviewStatus.PENDING).update(
                review_status=ReviewStatus.APPROVED, reviewed_by=by, reviewed_at=timezone.now()
            )
            locked._bump()
            locked._audit(by, AuditAction.APPROVE, ip, {"items": codes})
        self.refresh_from_db()
        return len(codes)

    def reopen(
        self, *, by: User, reason: str, until: date | None = None, ip: str | None = None
    ) -> None:
        """退回学校重新填报: at the school's request, the whole declaration goes back to draft.

        After the school's end date the school could not edit a reopened form, so the province
        gives a new end date (`until`) in the same step: the extension is granted in this
        transaction, under this row's lock, and both are on record. Before it, `until` is
        optional and, when given, granted the same way.
        """
        from tasks.models.extensions import Extension  # extensions build on declarations

        reason = (reason or "").strip()
        with self._atomic():
            locked = self._locked()
            locked._check(locked._reviewer_refusal(by))
            if locked.school is None:
                raise InvalidState("省级承接不需要退回。")
            if locked.status != DeclarationStatus.SUBMITTED:
                raise InvalidState("该学校尚未提交，无需退回。")
            if not reason:
                raise InvalidInput("请填写退回原因。", "reason")
            if len(reason) > COMMENT_MAX:
                raise InvalidInput(f"退回原因不能超过{COMMENT_MAX}个字。", "reason")
            if until is None and not locked.is_open():
                raise WindowClosed(
                    f"该校的申报已于{locked.end_date:%Y-%m-%d} 24:00截止，退回后学校无法修改。"
                    "请同时填写新的截止日期（延期至），退回时一并批准延期。",
                    "until",
                )
            changes: dict[str, Any] = {"reason": reason}
            if until is not None:
                Extension.grant_locked(
                    locked, by=by, until=until, note=f"退回重新填报：{reason}", ip=ip
                )
                changes["until"] = f"{until:%Y-%m-%d}"
            locked.commitments.update(
                review_status="", comment="", reviewed_by=None, reviewed_at=None, last_return=None
            )
            # A 变更申请 was against the approvals this clears: it lapses with them.
            locked.change_requests.filter(status=ChangeStatus.PENDING).update(
                status=ChangeStatus.CANCELLED,
                answer="承接任务已整体退回学校重新填报，本申请作废。",
                decided_by=by,
                decided_at=timezone.now(),
            )
            locked.status = DeclarationStatus.DRAFT
            locked.submitted_at = None
            locked._bump()
            locked._audit(by, AuditAction.REOPEN, ip, changes)
        self.refresh_from_db()
        self.__dict__.pop("granted_until", None)

    approve_all.alters_data = True  # type: ignore[attr-defined]
    reopen.alters_data = True  # type: ignore[attr-defined]

    def _check_reviewable(self) -> None:
        if self.school_id is None:
            raise InvalidState("省级承接的任务不需要审核。")
        if self.status != DeclarationStatus.SUBMITTED:
            raise InvalidState("该学校已撤回或尚未提交，不能审核。请刷新页面。")

    # -- helpers ---------------------------------------------------------------------------

    def audit_scope(self) -> tuple[str, str | None]:
        return self.round.province_id, self.school_id

    @property
    def audit_label(self) -> str:
        unit = self.school or f"{self.round.province}（省级承接）"
        return f"{unit} 承接任务"

    def _audit(
        self, by: User, action: AuditAction, ip: str | None, changes: dict[str, Any]
    ) -> None:
        AuditEvent.record(self, by=by, action=action, ip=ip, changes=changes, version=self.version)

    def _fund_names(self) -> list[str]:
        return [name for name, _label in self.fund_fields]

    def _bump(self) -> None:
        """End of every transition: next version, and the derived status and totals."""
        counts = self.commitments.aggregate(
            n_rows=Count("pk"),
            n_undertaken=Count("pk", filter=Q(undertaken=True)),
            n_approved=Count("pk", filter=Q(review_status=ReviewStatus.APPROVED)),
            n_returned=Count("pk", filter=Q(review_status=ReviewStatus.RETURNED)),
            sum_total=Coalesce(Sum("total", filter=Q(undertaken=True)), Value(Decimal(0))),
        )
        self.school_status = derive_school_status(
            self.status, counts["n_rows"], counts["n_approved"], counts["n_returned"]
        )
        self.item_count = counts["n_undertaken"]
        self.total_funds = counts["sum_total"]
        self.version += 1
        self.save(
            update_fields=[
                "status",
                "version",
                "submitted_at",
                "school_status",
                "item_count",
                "total_funds",
                "updated_at",
            ]
        )

    def _check_returned(self, rows: Mapping[int, RowValues]) -> None:
        returned = set(
            self.commitments.filter(review_status=ReviewStatus.RETURNED).values_list(
                "item_id", flat=True
            )
        )
        if set(rows) - returned:
            raise InvalidState("所选任务不是退回修改的任务，可能已被省厅重新审核。请刷新页面。")

    def _check_complete(self) -> None:
        ticked = list(self.commitments.filter(undertaken=True).select_related("item"))
        self._check_required({c.item_id for c in ticked})
        if not ticked:
            raise InvalidInput("请至少勾选一项要承接的任务。")
        fund_names = self._fund_names()
        incomplete = sorted(
            c.item.code for c in ticked if RowValues.of(c).missing(c.item, fund_names)
        )
        if incomplete:
            raise InvalidInput(f"{'、'.join(incomplete)}填写不完整，不能提交。")
        if self.school is not None:
            contacts = Contacts(
                self.school.contact_name, self.school.office_phone, self.school.mobile
            )
            if contacts.missing():
                raise InvalidInput("请填写平台管理联系人、办公电话和手机号。")

    def _check_required(self, undertaken: set[int]) -> None:
        """必选任务: every item the round requires of this school must be undertaken. Read
        after this row's lock, with the round under its share lock (see _locked), so a rule
        set meanwhile is either seen here or set after this transition commits."""
        if self.school is None:
            return
        missing = [
            item.code
            for item in self.round.required_items_for(self.school)
            if item.pk not in undertaken
        ]
        if missing:
            raise InvalidInput(
                f"本省要求本校承接以下任务（项目）：{'、'.join(missing)}，请勾选并填写后再提交。"
            )

    def _check_required_kept(self, dropping: list[Item]) -> None:
        """需修改的任务: a returned item the round requires may be fixed, not dropped. Only
        the dropped items are checked: a rule set after this declaration was submitted binds
        its next 提交, and cannot be met on a page that shows returned items only."""
        if self.school is None:
            return
        required = set(self.round.required_items_for(self.school).values_list("pk", flat=True))
        codes = sorted(
            (item for item in dropping if item.pk in required),
            key=lambda item: (item.task.number, item.sub_number),
        )
        if codes:
            raise InvalidInput(
                f"本省要求本校承接以下任务（项目）：{'、'.join(i.code for i in codes)}，"
                "不能改为不承接。请勾选“是否承接”并填写后再提交。"
            )

    def _apply(self, rows: Mapping[int, RowValues], contacts: Contacts | None) -> dict[str, Any]:
        """Write rows and contacts; return what changed, for the audit event."""
        changes: dict[str, Any] = {}
        if contacts is not None and self.school is not None:
            changed = self.school.set_contacts(
                contacts.contact_name, contacts.office_phone, contacts.mobile
            )
            if changed:
                changes["contacts"] = changed
        items = {i.pk: i for i in self.offered_items().filter(pk__in=list(rows))}
        existing = {c.item_id: c for c in self.commitments.all()}
        unknown = [pk for pk in rows if pk not in items and pk not in existing]
        if unknown:
            raise InvalidInput(
                "提交的数据包含本省未开放的任务（项目），未保存。请刷新页面后重新填写。"
            )
        fund_names = self._fund_names()
        item_changes: dict[str, Any] = {}
        to_create, to_update, to_delete = [], [], []
        for pk, values in rows.items():
            commitment = existing.get(pk)
            item = items.get(pk) or (commitment.item if commitment else None)
            assert item is not None
            problems = values.problems(item, fund_names)
            if problems:
                raise InvalidInput("".join(problems))
            old = RowValues.of(commitment) if commitment else RowValues()
            if old == values:
                continue
            item_changes[item.code] = _diff(old, values)
            if commitment is None:
                to_create.append(Commitment(declaration=self, item_id=pk, **_as_dict(values)))
            elif values.is_blank() and not commitment.review_status:
                to_delete.append(commitment.pk)
            else:
                for name, value in _as_dict(values).items():
                    setattr(commitment, name, value)
                to_update.append(commitment)
        Commitment.objects.bulk_create(to_create)
        Commitment.objects.bulk_update(to_update, [f.name for f in fields(RowValues)])
        Commitment.objects.filter(pk__in=to_delete).delete()
        if item_changes:
            changes["items"] = item_changes
        return changes

    # -- reading -------------------------------------------------------------------------

    def summary(self, approved: bool = False) -> dict[str, Any]:
        """任务数量, 汇总金额 and each source's total of the undertaken rows (or of those that
        count as 已通过), in SQL."""
        if self.pk is None:
            return summarise(Commitment.objects.none())
        rows = self.commitments.filter(undertaken=True)
        if approved:
            rows = rows.filter(approved_condition())
        return summarise(rows)


def summarise(commitments: models.QuerySet["Commitment"]) -> dict[str, Any]:
    zero = Value(Decimal(0))
    sums = commitments.aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("total"), zero),
        **{name: Coalesce(Sum(name), zero) for name in FUND_NAMES},
    )
    return sums


def derive_school_status(
    status: str | None, rows: int, approved: int, returned: int
) -> SchoolStatus:
    """未填报 / 填报中 / 已提交 / 审核中 / 需修改 / 已通过 from a declaration's state and the
    number of its rows, approved rows and returned rows."""
    if status is None or (status == DeclarationStatus.DRAFT and not rows):
        return SchoolStatus.NOT_STARTED
    if status == DeclarationStatus.DRAFT:
        return SchoolStatus.FILLING
    if returned:
        return SchoolStatus.RETURNED
    if rows and approved == rows:
        return SchoolStatus.APPROVED
    if approved:
        return SchoolStatus.REVIEWING
    return SchoolStatus.SUBMITTED


def _as_dict(values: RowValues) -> dict[str, Any]:
    return {f.name: getattr(values, f.name) for f in fields(values)}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _diff(old: RowValues, new: RowValues) -> dict[str, list[Any]]:
    return {
        f.name: [_plain(getattr(old, f.name)), _plain(getattr(new, f.name))]
        for f in fields(RowValues)
        if getattr(old, f.name) != getattr(new, f.name)
    }


def approved_condition(prefix: str = "") -> Q:
    """What 已通过 adds to 意向承接, as a condition on commitments (or on `prefix`-ed ones, for
    conditional aggregates): a school row the province approved, or a row of the province's
    own 省级承接, which nobody reviews and counts once submitted. The one definition."""
    return Q(**{f"{prefix}review_status": ReviewStatus.APPROVED}) | Q(
        **{f"{prefix}declaration__school__isnull": True}
    )


class CommitmentQuerySet(models.QuerySet["Commitment"]):
    """The counting bases (口径). Every page, workbook and published table counts through
    these, so two files cannot disagree on what a figure means."""

    def intended(self) -> "CommitmentQuerySet":
        """意向承接: the undertaken rows of submitted declarations, the schools' and the
        provinces' own (a draft is not yet an intention)."""
        return self.filter(declaration__status=DeclarationStatus.SUBMITTED, undertaken=True)

    def approved(self) -> "CommitmentQuerySet":
        """已通过: intended rows the province approved, plus the provinces' own rows."""
        return self.intended().filter(approved_condition())

    def of_basis(self, basis: str) -> "CommitmentQuerySet":
        """intended() or approved() by name: "intended" / "approved"."""
        return self.approved() if basis == "approved" else self.intended()

    def of_schools(self) -> "CommitmentQuerySet":
        return self.filter(declaration__school__isnull=False)

    def provincial(self) -> "CommitmentQuerySet":
        """The provinces' own 省级承接 rows."""
        return self.filter(declaration__school__isnull=True)

    def in_plan(self, plan_id: int) -> "CommitmentQuerySet":
        return self.filter(declaration__round__plan_id=plan_id)

    def returned_to(self, school_id: str) -> "CommitmentQuerySet":
        """需修改的任务: the school's items of its current round returned for changes."""
        return self.filter(
            declaration__school_id=school_id,
            declaration__round__plan__is_current=True,
            declaration__status=DeclarationStatus.SUBMITTED,
            review_status=ReviewStatus.RETURNED,
        )

    def awaiting_review(self) -> "CommitmentQuerySet":
        """待审核: school items of submitted declarations of the current plan that the province
        has yet to approve or return."""
        return self.of_schools().filter(
            declaration__round__plan__is_current=True,
            declaration__status=DeclarationStatus.SUBMITTED,
            review_status=ReviewStatus.PENDING,
        )

    def reportable(self, plan_id: int) -> "CommitmentQuerySet":
        """What units report on each year (年度绩效): the schools' approved commitments in the
        plan. The provinces' own items are reported through the 省级总结报告 instead."""
        return self.in_plan(plan_id).approved().of_schools()


class Commitment(models.Model):
    """One item of a declaration: whether it is undertaken, how many, and planned funding."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="commitments", verbose_name="承接申报"
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="commitments", verbose_name="任务（项目）"
    )
    undertaken = models.BooleanField("是否承接", default=False)
    quantity = models.PositiveIntegerField("承接数量", null=True, blank=True)
    school_funds = models.DecimalField(
        "学校自筹", max_digits=10, decimal_places=2, null=True, blank=True
    )
    industry_funds = models.DecimalField(
        "行业企业投入", max_digits=10, decimal_places=2, null=True, blank=True
    )
    sponsor_funds = models.DecimalField(
        "举办方投入", max_digits=10, decimal_places=2, null=True, blank=True
    )
    local_funds = models.DecimalField(
        "地市县投入", max_digits=10, decimal_places=2, null=True, blank=True
    )
    provincial_funds = models.DecimalField(
        "省财政投入", max_digits=10, decimal_places=2, null=True, blank=True
    )
    # 汇总 is computed by the database, never typed.
    total = models.GeneratedField(
        expression=_fund_sum(),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
        verbose_name="汇总",
    )
    review_status = models.CharField(
        "省厅审核情况", max_length=16, choices=ReviewStatus.choices, blank=True
    )
    comment = models.TextField("修改意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    # 修改对比: the values and the comment when the province last returned the item, kept
    # after the school resubmits so the reviewer sees what changed since.
    last_return = models.JSONField("退回时的填报内容", null=True, blank=True)
    # When the item last went (back) to 待审核: submitted, resubmitted or its review undone.
    # The province's queue (待审核) puts the longest-waiting first by it.
    waiting_since = models.DateTimeField("送审时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = "承接任务"
        verbose_name_plural = "承接任务"
        constraints = [
            models.UniqueConstraint(fields=["declaration", "item"], name="one_commitment_per_item")
        ]
        indexes = [models.Index(fields=["item", "review_status"])]

    def __str__(self) -> str:
        return f"{self.item.code}（{self.declaration}）"

    # For templates, which never compare state strings.
    @property
    def is_pending(self) -> bool:
        return self.review_status == ReviewStatus.PENDING

    @property
    def is_approved(self) -> bool:
        return self.review_status == ReviewStatus.APPROVED

    @property
    def is_returned(self) -> bool:
        return self.review_status == ReviewStatus.RETURNED

    def since_return(
        self, fund_fields: Iterable[tuple[str, str]], item: Item | None = None
    ) -> Comparison | None:
        """修改对比 of a returned or resubmitted item: its values when returned against now,
        with the comment they answer; None if it was never returned (or reopened since) or
        is approved. `item` saves a query where the caller has it."""
        if not self.last_return or self.is_approved:
            return None
        before = RowValues.from_json(self.last_return.get("values") or {})
        note = str(self.last_return.get("comment") or "")
        return Comparison.of(item or self.item, before, RowValues.of(self), fund_fields, note)

    def _review(
        self,
        by: User,
        ip: str | None,
        allowed: set[str],
        action: AuditAction,
        new_status: str,
        comment: str = "",
    ) -> None:
        with transaction.atomic():
            declaration = self.declaration._locked()
            declaration._check(declaration._reviewer_refusal(by))
            declaration._check_reviewable()
            current = Commitment.objects.select_related("item").get(pk=self.pk)
            if current.review_status not in allowed:
                raise InvalidState(
                    f"{current.item.code}当前为“{current.get_review_status_display()}”，"
                    "可能已由他人处理，请刷新页面。"
                )
            reviewed = new_status != ReviewStatus.PENDING
            now = timezone.now()
            if new_status == ReviewStatus.RETURNED:
                # 修改对比: what the school is asked to change, and why, kept past its answer.
                snapshot = {"values": RowValues.of(current).as_json(), "comment": comment}
                extra: dict[str, Any] = {"last_return": snapshot}
            elif not reviewed:
                extra = {"waiting_since": now}
            else:
                extra = {}
            Commitment.objects.filter(pk=self.pk).update(
                review_status=new_status,
                comment=comment,
                reviewed_by=by if reviewed else None,
                reviewed_at=now if reviewed else None,
                **extra,
            )
            declaration._bump()
            detail: dict[str, Any] = {"items": [current.item.code]}
            if comment:
                detail["comment"] = comment
            declaration._audit(by, action, ip, detail)
        self.refresh_from_db()

    @classmethod
    def review_many(
        cls,
        pks: Iterable[int],
        *,
        by: User,
        approve: bool,
        comment: str = "",
        ip: str | None = None,
    ) -> list["Commitment"]:
        """按任务审核: 通过 or 退回修改 (with one comment) several schools' items at once. All or
        nothing: each row goes through approve / return_for_changes (its own lock, rule check,
        audit event and notice), inside one transaction, so a row that changed meanwhile (a
        resubmission, another admin's decision) refuses the whole batch with its reason."""
        wanted = set(pks)
        if not wanted:
            raise InvalidInput("请勾选要审核的学校。")
        with transaction.atomic():
            rows = list(
                cls.objects.select_related("item", "declaration__school")
                .filter(pk__in=wanted)
                .order_by("declaration_id")  # one locking order for every batch
            )
            if len(rows) != len(wanted):
                raise InvalidState("部分任务已不存在（学校可能已修改），请刷新页面后重试。")
            for row in rows:
                try:
                    if approve:
                        row.approve(by=by, ip=ip)
                    else:
                        row.return_for_changes(by=by, comment=comment, ip=ip)
                except TransitionError as exc:
                    school = row.declaration.school
                    name = school.name if school else "省级承接"
                    raise type(exc)(f"{name}：{exc.message}本次勾选的均未处理。") from exc
        return rows

    def approve(self, *, by: User, ip: str | None = None) -> None:
        """通过 a pending item."""
        self._review(by, ip, {ReviewStatus.PENDING}, AuditAction.APPROVE, ReviewStatus.APPROVED)

    def return_for_changes(self, *, by: User, comment: str, ip: str | None = None) -> None:
        """退回修改 a pending item with the comment the school will see."""
        comment = (comment or "").strip()
        if not comment:
            raise InvalidInput(f"退回修改须填写修改意见（{self.item.code}）。", "comment")
        if len(comment) > COMMENT_MAX:
            raise InvalidInput(f"修改意见不能超过{COMMENT_MAX}个字。", "comment")
        self._review(
            by, ip, {ReviewStatus.PENDING}, AuditAction.RETURN, ReviewStatus.RETURNED, comment
        )

    def undo_review(self, *, by: User, ip: str | None = None) -> None:
        """撤销审核: an approved or returned item goes back to pending."""
        self._review(
            by,
            ip,
            {ReviewStatus.APPROVED, ReviewStatus.RETURNED},
            AuditAction.UNDO,
            ReviewStatus.PENDING,
        )

    approve.alters_data = True  # type: ignore[attr-defined]
    return_for_changes.alters_data = True  # type: ignore[attr-defined]
    undo_review.alters_data = True  # type: ignore[attr-defined]
    review_many.__func__.alters_data = True  # type: ignore[attr-defined]
