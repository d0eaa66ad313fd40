"""变更申请: a school's proposal to change what the province approved.

The proposal lives beside the declaration, never in it: until the province agrees, the approved
commitments stay as they are, so every page and file goes on counting the approved baseline as
已通过. Approving writes the proposal into the commitments in one transaction.

Every transition locks the declaration row first (Declaration._locked), the same lock the
school's and the province's other transitions take, so a proposal, a decision on it and a review
of the declaration's items happen one after another.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from schools.choices import AuditAction
from schools.models import User
from tasks.choices import ChangeStatus, DeclarationStatus, ReviewStatus
from tasks.models.audit import AuditEvent
from tasks.models.catalogue import Item
from tasks.models.declarations import (
    Commitment,
    Comparison,
    Declaration,
    RowValues,
    _as_dict,
    _diff,
)
from tasks.transitions import COMMENT_MAX, InvalidInput, InvalidState, NotAllowed


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{what}。")
    if len(value) > COMMENT_MAX:
        raise InvalidInput(f"{what}不能超过{COMMENT_MAX}个字。")
    return value


class ChangeRequestQuerySet(models.QuerySet["ChangeRequest"]):
    def pending(self) -> "ChangeRequestQuerySet":
        """变更申请 waiting for the province, in the current plan."""
        return self.filter(status=ChangeStatus.PENDING, declaration__round__plan__is_current=True)


class ChangeRequest(models.Model):
    """One 变更申请: the school's new values for some approved items (a row no longer
    undertaken drops the item), new items it wants to add, and its reason. `baseline` keeps the
    approved values it was proposed against; the province decides on exactly that."""

    declaration = models.ForeignKey(
        Declaration,
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name="承接申报",
    )
    status = models.CharField(
        "状态", max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    reason = models.TextField("变更原因")
    # {item id: RowValues.as_json()}; an added item has no baseline.
    baseline = models.JSONField("变更前（已通过）", default=dict)
    proposed = models.JSONField("变更后", default=dict)
    answer = models.TextField("审核意见", blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="申请人",
    )
    proposed_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "变更申请"
        verbose_name_plural = "变更申请"
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(status="pending"),
                name="one_pending_change_per_declaration",
            )
        ]
        indexes = [models.Index(fields=["status", "proposed_at"])]

    def __str__(self) -> str:
        return f"变更申请（{self.get_status_display()}）"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING

    @property
    def answer_label(self) -> str:
        """What `answer` is: the province's comment, or why the request lapsed."""
        return "说明" if self.status == ChangeStatus.CANCELLED else "省厅意见"

    # -- reading ---------------------------------------------------------------------------

    def comparisons(self, items: Mapping[int, Item] | None = None) -> list[Comparison]:
        """修改对比 of each item: as approved against as proposed, in catalogue order. Pass the
        items (by id) where the caller has them, to save the query."""
        keys = [int(pk) for pk in self.proposed]
        if items is None:
            items = Item.objects.select_related("task").in_bulk(keys)
        fund_fields = self.declaration.fund_fields
        found = []
        for pk in keys:
            item = items[pk]
            before = self.baseline.get(str(pk))
            after = RowValues.from_json(self.proposed[str(pk)])
            if before is None:
                note = "新增承接"
            elif not after.undertaken:
                note = "不再承接"
            else:
                note = ""
            start = RowValues.from_json(before) if before else RowValues()
            found.append(Comparison.of(item, start, after, fund_fields, note))
        order = {pk: (items[pk].task.number, items[pk].sub_number) for pk in keys}
        codes = {items[pk].code: order[pk] for pk in keys}
        return sorted(found, key=lambda c: codes[c.code])

    # -- the school's transitions -----------------------------------------------------------

    @classmethod
    def propose(
        cls,
        declaration: Declaration,
        *,
        by: User,
        rows: Mapping[int, RowValues],
        reason: str,
        version: int,
        ip: str | None = None,
    ) -> "ChangeRequest":
        """提交变更申请: new values for approved items (unticked: no longer undertaken) and
        items to add. Rows equal to what is approved are left out; at least one must differ."""
        with transaction.atomic():
            locked = declaration._locked()
            locked._check(locked._owner_refusal(by))
            locked._check(cls._proposal_refusal(locked), InvalidState)
            locked._check_version(version)
            reason = _text(reason, "变更原因")
            baseline, proposed, diffs = cls._changes(locked, rows)
            request = cls.objects.create(
                declaration=locked,
                reason=reason,
                baseline=baseline,
                proposed=proposed,
                proposed_by=by,
            )
            AuditEvent.record(
                locked,
                by=by,
                action=AuditAction.CHANGE_PROPOSE,
                ip=ip,
                changes={"items": diffs, "reason": reason, "request": request.pk},
                version=locked.version,
            )
        return request

    @staticmethod
    def _proposal_refusal(declaration: Declaration) -> str | None:
        if declaration.school_id is None:
            return "省级承接不需要变更申请，可直接修改。"
        if declaration.status != DeclarationStatus.SUBMITTED:
            return "本表尚未提交，可直接修改，无需变更申请。"
        if not declaration.round.plan.is_current:
            return "该行动计划已不是当前计划，不能申请变更。"
        if ChangeRequest.objects.filter(
            declaration=declaration, status=ChangeStatus.PENDING
        ).exists():
            return "已有一份变更申请等待省厅审核。如需改动，请先撤回该申请。"
        if not declaration.commitments.filter(review_status=ReviewStatus.APPROVED).exists():
            return "本校还没有审核通过的任务，无需变更申请。"
        return None

    @classmethod
    def _changes(
        cls, declaration: Declaration, rows: Mapping[int, RowValues]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The proposal's baseline, proposed values and per-item differences (for the audit
        record); refuses a row that is neither an approved item nor an offered new one."""
        existing = {c.item_id: c for c in declaration.commitments.select_related("item__task")}
        offered = {i.pk: i for i in declaration.offered_items().filter(pk__in=list(rows))}
        fund_names = declaration._fund_names()
        baseline: dict[str, Any] = {}
        proposed: dict[str, Any] = {}
        diffs: dict[str, Any] = {}
        for pk, values in rows.items():
            commitment = existing.get(pk)
            if commitment is not None:
                item = commitment.item
                before = RowValues.of(commitment)
                if values == before:
                    continue
                if not commitment.is_approved:
                    raise InvalidInput(
                        f"{item.code}不是已通过的任务，不能申请变更（待审核或退回修改的任务"
                        "请在需修改的任务中处理）。请刷新页面。"
                    )
                if not values.undertaken and cls._has_reports(commitment):
                    raise InvalidInput(f"{item.code}已填报年度绩效，不能申请不再承接。")
            elif pk in offered:
                item, before = offered[pk], RowValues()
                if values.is_blank() or not values.undertaken:
                    continue
            else:
                raise InvalidInput(
                    "提交的数据包含本省未开放的任务（项目），未提交。请刷新页面后重新填写。"
                )
            problems = values.problems(item, fund_names)
            if problems:
                raise InvalidInput("".join(problems))
            if values.undertaken and values.missing(item, fund_names):
                raise InvalidInput(f"{item.code}填写不完整，不能提交变更申请。")
            if not values.undertaken:
                values = RowValues()
            if commitment is not None:
                baseline[str(pk)] = before.as_json()
            proposed[str(pk)] = values.as_json()
            diffs[item.code] = _diff(before, values)
        if not proposed:
            raise InvalidInput("没有修改任何已通过的任务，也没有新增任务，无需提交变更申请。")
        # 必选任务 stay undertaken: a change may alter them, not drop them.
        declaration._check_required_kept(
            [
                existing[int(pk)].item
                for pk, values in proposed.items()
                if int(pk) in existing and not values["undertaken"]
            ]
        )
        return baseline, proposed, diffs

    @staticmethod
    def _has_reports(commitment: Commitment) -> bool:
        from tasks.models.reporting import ReportRow

        return ReportRow.objects.filter(commitment=commitment).exists()

    def withdraw(self, *, by: User, ip: str | None = None) -> None:
        """撤回变更申请: the school takes back its pending proposal."""
        with transaction.atomic():
            declaration = self.declaration._locked()
            declaration._check(declaration._owner_refusal(by))
            current = self._current(declaration)
            current._close(ChangeStatus.WITHDRAWN, by=None, answer="")
            AuditEvent.record(
                declaration,
                by=by,
                action=AuditAction.CHANGE_WITHDRAW,
                ip=ip,
                changes={"items": current._codes(), "request": current.pk},
                version=declaration.version,
            )
        self.refresh_from_db()

    # -- the province's transitions ---------------------------------------------------------

    def approve(self, *, by: User, comment: str = "", ip: str | None = None) -> None:
        """同意变更: the proposal becomes the approved commitments, in one transaction."""
        comment = (comment or "").strip()
        if len(comment) > COMMENT_MAX:
            raise InvalidInput(f"审核意见不能超过{COMMENT_MAX}个字。")
        with transaction.atomic():
            declaration = self.declaration._locked()
            declaration._check(declaration._reviewer_refusal(by))
            current = self._current(declaration)
            if declaration.status != DeclarationStatus.SUBMITTED:
                raise InvalidState("该学校的承接任务已退回重新填报，变更申请已作废。请刷新页面。")
            current._apply(declaration, by)
            current._close(ChangeStatus.APPROVED, by=by, answer=comment)
            declaration._bump()
            changes: dict[str, Any] = {"items": current._diffs(), "request": current.pk}
            if comment:
                changes["comment"] = comment
            declaration._audit(by, AuditAction.CHANGE_APPROVE, ip, changes)
        self.refresh_from_db()

    def refuse(self, *, by: User, comment: str, ip: str | None = None) -> None:
        """不同意变更: the approved values stay; the school sees why."""
        comment = _text(comment, "不同意的原因")
        with transaction.atomic():
            declaration = self.declaration._locked()
            declaration._check(declaration._reviewer_refusal(by))
            current = self._current(declaration)
            current._close(ChangeStatus.REFUSED, by=by, answer=comment)
            declaration._audit(
                by,
                AuditAction.CHANGE_REFUSE,
                ip,
                {"items": current._codes(), "comment": comment, "request": current.pk},
            )
        self.refresh_from_db()

    approve.alters_data = True  # type: ignore[attr-defined]
    refuse.alters_data = True  # type: ignore[attr-defined]
    withdraw.alters_data = True  # type: ignore[attr-defined]
    propose.__func__.alters_data = True  # type: ignore[attr-defined]

    # -- helpers ---------------------------------------------------------------------------

    def _current(self, declaration: Declaration) -> "ChangeRequest":
        """This request as it stands under the declaration's lock; refused unless pending."""
        current = ChangeRequest.objects.get(pk=self.pk)
        if current.declaration_id != declaration.pk:
            raise NotAllowed("变更申请与学校不符。")
        if not current.is_pending:
            raise InvalidState(
                f"该变更申请{current.get_status_display()}，不能再处理。请刷新页面。"
            )
        current.declaration = declaration
        return current

    def _close(self, status: str, *, by: User | None, answer: str) -> None:
        self.status = status
        self.answer = answer
        self.decided_by = by
        self.decided_at = timezone.now()
        self.save(update_fields=["status", "answer", "decided_by", "decided_at"])

    def _codes(self) -> list[str]:
        keys = [int(pk) for pk in self.proposed]
        return sorted(Item.objects.filter(pk__in=keys).values_list("code", flat=True))

    def _diffs(self) -> dict[str, Any]:
        codes = dict(
            Item.objects.filter(pk__in=[int(k) for k in self.proposed]).values_list("pk", "code")
        )
        return {
            codes[int(pk)]: _diff(
                RowValues.from_json(self.baseline[pk]) if pk in self.baseline else RowValues(),
                RowValues.from_json(values),
            )
            for pk, values in sorted(self.proposed.items(), key=lambda kv: codes[int(kv[0])])
        }

    def _apply(self, declaration: Declaration, by: User) -> None:
        """Write the proposal over the commitments, after checking that the baseline it was
        proposed against is still what is approved."""
        keys = [int(pk) for pk in self.proposed]
        existing = {
            c.item_id: c
            for c in declaration.commitments.select_related("item").filter(item_id__in=keys)
        }
        fund_names = declaration._fund_names()
        items = Item.objects.in_bulk(keys)
        now = timezone.now()
        for pk in keys:
            commitment = existing.get(pk)
            before = self.baseline.get(str(pk))
            after = RowValues.from_json(self.proposed[str(pk)])
            item = items[pk]
            if before is None:
                if commitment is not None:
                    raise InvalidState(f"{item.code}已在本校的承接任务中，本变更申请不能通过。")
            elif (
                commitment is None
                or not commitment.is_approved
                or RowValues.of(commitment) != RowValues.from_json(before)
            ):
                raise InvalidState(
                    f"{item.code}的审核结果或填报内容已变化，本变更申请不能通过。"
                    "请点击“不同意”，由学校重新申请。"
                )
            problems = after.problems(item, fund_names)
            if problems:
                raise InvalidState("".join(problems) + "本变更申请不能通过。")
            if commitment is not None and not after.undertaken:
                if self._has_reports(commitment):
                    raise InvalidState(f"{item.code}已填报年度绩效，不能不再承接。")
                commitment.delete()
                continue
            approved = {
                "review_status": ReviewStatus.APPROVED,
                "comment": "",
                "reviewed_by": by,
                "reviewed_at": now,
                "last_return": None,
            }
            if commitment is None:
                Commitment.objects.create(
                    declaration=declaration, item=item, **_as_dict(after), **approved
                )
            else:
                Commitment.objects.filter(pk=commitment.pk).update(**_as_dict(after), **approved)
