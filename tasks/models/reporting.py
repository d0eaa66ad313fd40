"""Yearly performance reporting (年度绩效): from the second year each unit reports what it did on
every approved commitment, uploads its 年度工作报告, and the province evaluates the unit's year.

Every change of a
report goes through a UnitReport method in one transaction that locks the report, checks who may
act, the deadline and the state, and writes an AuditEvent.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.utils import timezone

from schools.choices import Role
from schools.models import Province, School, User
from tasks.choices import (
    FUND_FIELDS,
    FUND_NAMES,
    AuditAction,
    FileKind,
    Grade,
    ReportProgress,
    ReportStatus,
)
from tasks.files import FileRejected, check_upload, discard, display_name, store
from tasks.models.audit import AuditEvent
from tasks.models.declarations import Commitment
from tasks.transitions import (
    MAX_AMOUNT,
    InvalidInput,
    InvalidState,
    LockedTransitions,
    NotAllowed,
    StaleVersion,
    WindowClosed,
    beijing_today,
)

if TYPE_CHECKING:
    from tasks.models.catalogue import Task

NARRATIVE_MAX = 2000
COMMENT_MAX = 500
MAX_DONE = 100000
# Reports whose figures count as reported (a draft that was never submitted does not).
REPORTED = [ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.EVALUATED]


class ReportingYearQuerySet(models.QuerySet["ReportingYear"]):
    def for_province(self, province_id: str) -> "ReportingYearQuerySet":
        """Years with the province's own deadline read in the same query, so a list of years
        runs one query however many there are (deadline_for uses it)."""
        earlier = ProvinceDeadline.objects.filter(
            reporting_year=OuterRef("pk"), province_id=province_id
        ).values("deadline")[:1]
        return self.annotate(
            province_deadline=Subquery(earlier), deadline_province=Value(province_id)
        )


class ReportingYear(models.Model):
    """A year the ministry opened for reporting on a plan, with its national deadline."""

    plan = models.ForeignKey(
        "tasks.Plan",
        on_delete=models.PROTECT,
        related_name="reporting_years",
        verbose_name="行动计划",
    )
    year = models.PositiveSmallIntegerField("年度")
    deadline = models.DateField("截止日期", help_text="当日24:00（北京时间）截止。")
    created_at = models.DateTimeField("开放时间", auto_now_add=True)

    objects = ReportingYearQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "plan"]
        verbose_name = "年度绩效填报"
        verbose_name_plural = "年度绩效填报"
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="one_reporting_year_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} {self.year}年度"

    @property
    def is_final(self) -> bool:
        """The plan's last year: cumulative figures must then reach the plan."""
        return self.year >= self.plan.end_year

    def deadline_for(self, province_id: str) -> date:
        """The province's earlier deadline if it set one, else the national one."""
        if getattr(self, "deadline_province", None) == province_id:
            earlier = getattr(self, "province_deadline", None)  # read by for_province()
        else:
            earlier = (
                ProvinceDeadline.objects.filter(reporting_year=self, province_id=province_id)
                .values_list("deadline", flat=True)
                .first()
            )
        return min(earlier, self.deadline) if earlier else self.deadline

    def is_open_for(self, province_id: str, at: datetime | None = None) -> bool:
        return beijing_today(at) <= self.deadline_for(province_id)

    @classmethod
    def open_years(cls) -> models.QuerySet["ReportingYear"]:
        return cls.objects.filter(deadline__gte=beijing_today()).select_related("plan")

    def audit_scope(self) -> tuple[None, None]:
        return None, None

    # -- changes ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        plan: Any,
        year: int,
        *,
        by: User,
        deadline: date | None = None,
        ip: str | None = None,
    ) -> "ReportingYear":
        """教育部 opens a year for reporting: from the plan's second year to the year after its
        last; the deadline defaults to the plan's report day."""
        if by.role != Role.MINISTRY:
            raise NotAllowed("只有教育部可以开放年度绩效填报。")
        if year not in plan.reportable_years:
            raise InvalidInput(
                f"年度应在{plan.reporting_range}之间（从承接的第二年起）。",
                "year",
            )
        if deadline is None:
            try:
                deadline = date(year, plan.report_deadline_month, plan.report_deadline_day)
            except ValueError as exc:
                raise InvalidInput(
                    "行动计划的默认截止日无效，请填写截止日期。", "deadline"
                ) from exc
        if deadline.year not in (year, year + 1):
            # A year's report is due in that year or early in the next; anything else is a typo.
            raise InvalidInput(f"截止日期应在{year}年或{year + 1}年内。", "deadline")
        with transaction.atomic():
            if cls.objects.filter(plan=plan, year=year).exists():
                raise InvalidState(f"{plan.name}的{year}年度已经开放。", "year")
            opened = cls.objects.create(plan=plan, year=year, deadline=deadline)
            AuditEvent.record(
                opened,
                by=by,
                action=AuditAction.YEAR_OPEN,
                ip=ip,
                changes={"fields": {"截止日期": [None, str(deadline)]}},
            )
        return opened

    def set_province_deadline(
        self, *, by: User, deadline: date | None, ip: str | None = None
    ) -> None:
        """A province's earlier deadline for its units (never later than the national one);
        None goes back to the national deadline."""
        province = by.province_id
        if province is None or not by.administers(province):
            raise NotAllowed("只有省级管理员可以设置本省截止日期。")
        if deadline is not None and deadline > self.deadline:
            raise InvalidInput(
                f"本省截止日期不能晚于教育部的截止日期（{self.deadline:%Y-%m-%d}）。", "deadline"
            )
        if deadline is not None and deadline.year < self.year:
            raise InvalidInput(f"本省截止日期不能早于{self.year}年。", "deadline")
        with transaction.atomic():
            found = (
                ProvinceDeadline.objects.select_for_update()
                .filter(reporting_year=self, province_id=province)
                .first()
            )
            old = found.deadline if found else None
            if old == deadline:
                return
            if deadline is None:
                ProvinceDeadline.objects.filter(reporting_year=self, province_id=province).delete()
            elif found is None:
                ProvinceDeadline.objects.create(
                    reporting_year=self, province_id=province, deadline=deadline
                )
            else:
                found.deadline = deadline
                found.save(update_fields=["deadline"])
            AuditEvent.record(
                self,
                by=by,
                action=AuditAction.DEADLINE_SET,
                ip=ip,
                changes={
                    "fields": {
                        "本省截止日期": [str(old or "") or None, str(deadline or "") or None]
                    },
                    "note": "" if deadline else "改为使用教育部的截止日期",
                },
                province=province,
            )

    open.__func__.alters_data = True  # type: ignore[attr-defined]
    set_province_deadline.alters_data = True  # type: ignore[attr-defined]


class ProvinceDeadline(models.Model):
    """A province's own, earlier deadline for its units."""

    reporting_year = models.ForeignKey(
        ReportingYear,
        on_delete=models.CASCADE,
        related_name="province_deadlines",
        verbose_name="年度",
    )
    province = models.ForeignKey(Province, on_delete=models.CASCADE, verbose_name="省级单位")
    deadline = models.DateField("本省截止日期")

    class Meta:
        verbose_name = "本省绩效填报截止日期"
        verbose_name_plural = "本省绩效填报截止日期"
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_year", "province"], name="one_deadline_per_province"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.deadline:%Y-%m-%d}"


@dataclass(frozen=True)
class RowFigures:
    """What a unit reports on one commitment for one year."""

    progress: str = ""
    quantity: int | None = None
    spent_school_funds: Decimal | None = None
    spent_industry_funds: Decimal | None = None
    spent_sponsor_funds: Decimal | None = None
    spent_local_funds: Decimal | None = None
    spent_provincial_funds: Decimal | None = None
    narrative: str = ""
    explanation: str = ""

    @classmethod
    def of(cls, row: "ReportRow") -> "RowFigures":
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def spent_total(self) -> Decimal:
        return sum((getattr(self, f"spent_{n}") or Decimal(0) for n in FUND_NAMES), Decimal(0))


SPENT_FIELDS = tuple(f"spent_{name}" for name in FUND_NAMES)


class UnitReport(LockedTransitions, models.Model):
    """A school's report for one reporting year: a row per approved commitment, the annual
    work report file, and the province's evaluation."""

    reporting_year = models.ForeignKey(
        ReportingYear, on_delete=models.PROTECT, related_name="reports", verbose_name="年度"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="reports", verbose_name="学校"
    )
    status = models.CharField(
        "状态",
        max_length=16,
        choices=ReportStatus.choices,
        default=ReportStatus.DRAFT,
        db_index=True,
    )
    version = models.PositiveIntegerField("版本", default=0)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    annual_report = models.CharField("年度工作报告（存储名）", max_length=200, blank=True)
    annual_report_name = models.CharField("年度工作报告", max_length=120, blank=True)
    annual_report_size = models.PositiveIntegerField("文件大小", default=0)
    grade = models.CharField("评价", max_length=16, choices=Grade.choices, blank=True)
    evaluation_comment = models.TextField("评价意见", blank=True)
    return_comment = models.TextField("退回意见", blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="评价人",
    )
    evaluated_at = models.DateTimeField("评价时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    unique_key = ("reporting_year_id", "school_id")
    lock_related = ("reporting_year__plan", "school")

    class Meta:
        verbose_name = "单位年度绩效"
        verbose_name_plural = "单位年度绩效"
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_year", "school"], name="one_report_per_school_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.reporting_year.year}年度"

    def audit_scope(self) -> tuple[str, str]:
        return self.school.province_id, self.school_id

    @property
    def audit_label(self) -> str:
        return f"{self.school} {self.reporting_year.year}年度绩效"

    # -- finding ------------------------------------------------------------------------

    @classmethod
    def for_school(cls, school: School, year: ReportingYear) -> "UnitReport":
        found = cls.objects.filter(reporting_year=year, school=school).first()
        if found is None:
            return cls(reporting_year=year, school=school)
        found.reporting_year, found.school = year, school
        return found

    def approved_commitments(self) -> models.QuerySet[Commitment]:
        """The rows of the report: the school's reportable commitments in the year's plan."""
        return (
            Commitment.objects.reportable(self.reporting_year.plan_id)
            .filter(declaration__school_id=self.school_id)
            .select_related("item__task", "declaration__round")
            .order_by("item__task__number", "item__sub_number")
        )

    def earlier_figures(self) -> dict[int, dict[str, Any]]:
        """Per commitment, the quantity and spending reported in the plan's earlier years."""
        rows = (
            ReportRow.objects.filter(
                report__school_id=self.school_id,
                report__reporting_year__plan_id=self.reporting_year.plan_id,
                report__reporting_year__year__lt=self.reporting_year.year,
                report__status__in=REPORTED,
            )
            .values("commitment")
            .annotate(
                e_quantity=Sum("quantity"),
                **{f"e_{name}": Sum(name) for name in SPENT_FIELDS},
            )
        )
        return {
            row["commitment"]: {
                "quantity": row["e_quantity"] or 0,
                **{name: row[f"e_{name}"] or Decimal(0) for name in SPENT_FIELDS},
            }
            for row in rows
        }

    @property
    def deadline(self) -> date:
        return self.reporting_year.deadline_for(self.school.province_id)

    def is_open(self) -> bool:
        return self.reporting_year.is_open_for(self.school.province_id)

    def fund_names(self, commitment: Commitment) -> list[str]:
        """The spending columns: those the commitment was planned with."""
        return [name for name, _label in commitment.declaration.round.fund_fields]

    # -- rules --------------------------------------------------------------------------

    def _owner_refusal(self, user: User) -> str | None:
        if user.role == Role.SCHOOL and user.school_id == self.school_id:
            return None
        return "只能填写本校的年度绩效。"

    def edit_refusal(self, user: User) -> tuple[str | None, type[Exception]]:
        owner = self._owner_refusal(user)
        if owner:
            return owner, NotAllowed
        if self.status == ReportStatus.RETURNED:
            return None, NotAllowed  # the province reopened it: fix it, even late
        if self.status != ReportStatus.DRAFT:
            return (
                f"年度绩效已{self.get_status_display()}，不能再修改。如需修改，请联系省级管理员。",
                InvalidState,
            )
        if not self.is_open():
            return (
                f"本年度绩效填报已于{self.deadline:%Y-%m-%d} 24:00截止，现在只能查看。",
                WindowClosed,
            )
        return None, NotAllowed

    def can_edit(self, user: User) -> bool:
        return self.edit_refusal(user)[0] is None

    def _reviewer_refusal(self, user: User) -> str | None:
        if user.administers(self.school.province_id):
            return None
        return "只能评价本省单位的年度绩效。"

    def can_review(self, user: User) -> bool:
        """Whether `user` may evaluate or return this report now: its province, once
        submitted."""
        return self._reviewer_refusal(user) is None and self.status == ReportStatus.SUBMITTED

    def can_read(self, user: User) -> bool:
        """The unit, its province and the ministry read a report and its files."""
        if user.role == Role.SCHOOL:
            return user.school_id == self.school_id
        if user.role == Role.PROVINCE:
            return user.administers(self.school.province_id)
        return user.role == Role.MINISTRY

    # For templates, which never compare state strings.
    @property
    def is_draft(self) -> bool:
        return self.status == ReportStatus.DRAFT

    @property
    def is_returned(self) -> bool:
        return self.status == ReportStatus.RETURNED

    @property
    def is_evaluated(self) -> bool:
        return self.status == ReportStatus.EVALUATED

    def shortfall(
        self, commitment: Commitment, figures: RowFigures, earlier: Mapping[str, Any]
    ) -> bool:
        """In the plan's final year, a row whose cumulative figures stay below the plan."""
        if not self.reporting_year.is_final:
            return False
        if commitment.item.has_quantity and commitment.quantity:
            done = earlier.get("quantity", 0) + (figures.quantity or 0)
            if done < commitment.quantity:
                return True
        spent = sum((earlier.get(n, Decimal(0)) for n in SPENT_FIELDS), Decimal(0))
        return spent + figures.spent_total() < (commitment.total or Decimal(0))

    def missing(
        self, commitment: Commitment, figures: RowFigures, earlier: Mapping[str, Any]
    ) -> list[str]:
        """Fields a row needs before the report can be submitted."""
        needed = ["progress", *[f"spent_{n}" for n in self.fund_names(commitment)]]
        if commitment.item.has_quantity:
            needed.append("quantity")
        found = [name for name in needed if getattr(figures, name) in (None, "")]
        if not figures.narrative.strip():
            found.append("narrative")
        if self.shortfall(commitment, figures, earlier) and not figures.explanation.strip():
            found.append("explanation")
        return found

    def problems(self, commitment: Commitment, figures: RowFigures) -> list[str]:
        """Values no form produces: a forged or outdated request."""
        code = commitment.item.code
        found = []
        if figures.progress and figures.progress not in ReportProgress.values:
            found.append(f"{code}进展无效。")
        if figures.quantity is not None and (
            not commitment.item.has_quantity or not 0 <= figures.quantity <= MAX_DONE
        ):
            found.append(f"{code}完成数量无效。")
        allowed = {f"spent_{n}" for n in self.fund_names(commitment)}
        for name in SPENT_FIELDS:
            value = getattr(figures, name)
            if value is None:
                continue
            if (
                name not in allowed
                or not (value.is_finite() and 0 <= value <= MAX_AMOUNT)
                or (value != round(value, 2))
            ):
                found.append(f"{code}的实际投入金额无效。")
        if len(figures.narrative) > NARRATIVE_MAX or len(figures.explanation) > NARRATIVE_MAX:
            found.append(f"{code}的说明不能超过{NARRATIVE_MAX}字。")
        return found

    # -- the unit's transitions ---------------------------------------------------------

    def save_draft(
        self, *, by: User, rows: Mapping[int, RowFigures], version: int, ip: str | None = None
    ) -> None:
        """保存: store what was entered, complete or not."""
        with self._atomic():
            locked = self._locked()
            locked._check_edit(by, version)
            changes = locked._apply(rows)
            locked._bump()
            _audit(locked, by, AuditAction.REPORT_SAVE, ip, changes)
        self.refresh_from_db()

    def submit(
        self, *, by: User, rows: Mapping[int, RowFigures], version: int, ip: str | None = None
    ) -> None:
        """提交: every row complete, the annual report uploaded."""
        with self._atomic():
            locked = self._locked()
            locked._check_edit(by, version)
            changes = locked._apply(rows)
            incomplete = locked._incomplete()
            if incomplete:
                raise InvalidInput(f"{'、'.join(incomplete)}填写不完整，不能提交。")
            if not locked.annual_report:
                raise InvalidInput("请先上传年度工作报告。")
            locked.status = ReportStatus.SUBMITTED
            locked.submitted_at = timezone.now()
            locked.return_comment = ""
            locked._bump()
            _audit(locked, by, AuditAction.REPORT_SUBMIT, ip, changes)
        self.refresh_from_db()

    save_draft.alters_data = True  # type: ignore[attr-defined]
    submit.alters_data = True  # type: ignore[attr-defined]

    def attach_annual_report(
        self, *, by: User, upload: UploadedFile, ip: str | None = None
    ) -> None:
        """Upload (or replace) the 年度工作报告."""
        self._with_file(
            by,
            upload,
            ip,
            "annual",
            lambda locked, name, kind: locked._set_annual(name, upload, kind),
        )

    def add_evidence(
        self, *, by: User, commitment_id: int, upload: UploadedFile, ip: str | None = None
    ) -> None:
        """Add a 佐证材料 file to one row."""

        def attach(locked: "UnitReport", name: str, kind: FileKind) -> dict[str, Any]:
            row = locked._row(commitment_id)
            evidence = EvidenceFile.objects.create(
                row=row,
                stored_name=name,
                original_name=_display(upload),
                size=upload.size or 0,
                kind=kind,
                uploaded_by=by,
            )
            return {"file": evidence.original_name, "item": row.commitment.item.code}

        self._with_file(by, upload, ip, "evidence", attach)

    def remove_evidence(self, *, by: User, evidence_id: int, ip: str | None = None) -> None:
        with self._atomic():
            locked = self._locked()
            locked._check_edit(by, locked.version)
            evidence = EvidenceFile.objects.filter(pk=evidence_id, row__report=locked).first()
            if evidence is None:
                raise InvalidInput("没有这个佐证材料。")
            name = evidence.stored_name
            evidence.delete()
            locked._bump()
            _audit(locked, by, AuditAction.FILE_DELETE, ip, {"file": evidence.original_name})
            transaction.on_commit(lambda: discard(name))
        self.refresh_from_db()

    attach_annual_report.alters_data = True  # type: ignore[attr-defined]
    add_evidence.alters_data = True  # type: ignore[attr-defined]
    remove_evidence.alters_data = True  # type: ignore[attr-defined]

    # -- the province's transitions -----------------------------------------------------

    def evaluate(self, *, by: User, grade: str, comment: str, ip: str | None = None) -> None:
        """评价 the unit's year: 优秀 / 良好 / 合格 / 不合格 with a comment."""
        comment = (comment or "").strip()
        with self._atomic():
            locked = self._locked()
            locked._check_review(by)
            if grade not in Grade.values:
                raise InvalidInput("请选择评价等级。")
            if not comment:
                raise InvalidInput("请填写评价意见。")
            if len(comment) > COMMENT_MAX:
                raise InvalidInput(f"评价意见不能超过{COMMENT_MAX}字。")
            locked.status = ReportStatus.EVALUATED
            locked.grade = grade
            locked.evaluation_comment = comment
            locked.evaluated_by = by
            locked.evaluated_at = timezone.now()
            locked._bump()
            _audit(
                locked,
                by,
                AuditAction.REPORT_EVALUATE,
                ip,
                {"grade": Grade(grade).label, "comment": comment},
            )
        self.refresh_from_db()

    def return_for_changes(self, *, by: User, comment: str, ip: str | None = None) -> None:
        """退回修改: the unit fixes its report and submits again."""
        comment = (comment or "").strip()
        with self._atomic():
            locked = self._locked()
            locked._check_review(by)
            if not comment:
                raise InvalidInput("退回须填写退回意见。")
            if len(comment) > COMMENT_MAX:
                raise InvalidInput(f"退回意见不能超过{COMMENT_MAX}字。")
            locked.status = ReportStatus.RETURNED
            locked.return_comment = comment
            locked.grade = ""
            locked.evaluation_comment = ""
            locked._bump()
            _audit(locked, by, AuditAction.REPORT_RETURN, ip, {"comment": comment})
        self.refresh_from_db()

    evaluate.alters_data = True  # type: ignore[attr-defined]
    return_for_changes.alters_data = True  # type: ignore[attr-defined]

    # -- helpers ------------------------------------------------------------------------

    def _check_edit(self, by: User, version: int) -> None:
        refusal, error = self.edit_refusal(by)
        if refusal:
            raise error(refusal)
        if version != self.version:
            raise StaleVersion(
                "本表已在其他窗口（或由其他人）修改并保存过，您这次填写的内容没有保存，仍保留在下方。"
                "请核对后再次保存；如需查看已保存的内容，请刷新页面。"
            )

    def _check_review(self, by: User) -> None:
        refusal = self._reviewer_refusal(by)
        if refusal:
            raise NotAllowed(refusal)
        if self.status != ReportStatus.SUBMITTED:
            raise InvalidState(
                f"该单位的年度绩效当前为“{self.get_status_display()}”，不能评价或退回。请刷新页面。"
            )

    def _bump(self) -> None:
        self.version += 1
        self.save()

    def _row(self, commitment_id: int) -> "ReportRow":
        commitment = self.approved_commitments().filter(pk=commitment_id).first()
        if commitment is None:
            raise InvalidInput("该任务（项目）不在本校已通过的承接任务中。")
        row, _created = ReportRow.objects.get_or_create(report=self, commitment=commitment)
        row.commitment = commitment
        return row

    def _apply(self, rows: Mapping[int, RowFigures]) -> dict[str, Any]:
        commitments = {c.pk: c for c in self.approved_commitments()}
        unknown = [pk for pk in rows if pk not in commitments]
        if unknown:
            raise InvalidInput("提交的数据包含不在本校已通过承接任务中的项目，未保存。请刷新页面。")
        existing = {r.commitment_id: r for r in self.rows.all()}
        changed: dict[str, Any] = {}
        to_create, to_update = [], []
        for pk, figures in rows.items():
            commitment = commitments[pk]
            problems = self.problems(commitment, figures)
            if problems:
                raise InvalidInput("".join(problems))
            row = existing.get(pk)
            old = RowFigures.of(row) if row else RowFigures()
            if old == figures:
                continue
            changed[commitment.item.code] = sorted(
                f.name
                for f in fields(RowFigures)
                if getattr(old, f.name) != getattr(figures, f.name)
            )
            values = {f.name: getattr(figures, f.name) for f in fields(RowFigures)}
            if row is None:
                to_create.append(ReportRow(report=self, commitment=commitment, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                to_update.append(row)
        ReportRow.objects.bulk_create(to_create)
        ReportRow.objects.bulk_update(to_update, [f.name for f in fields(RowFigures)])
        return {"rows": changed} if changed else {}

    def _incomplete(self) -> list[str]:
        earlier = self.earlier_figures()
        stored = {r.commitment_id: RowFigures.of(r) for r in self.rows.all()}
        return [
            c.item.code
            for c in self.approved_commitments()
            if self.missing(c, stored.get(c.pk, RowFigures()), earlier.get(c.pk, {}))
        ]

    def _with_file(
        self, by: User, upload: UploadedFile, ip: str | None, folder: str, attach: Any
    ) -> None:
        """Check, store, then record in one transaction; a failure removes the stored file."""
        try:
            kind = check_upload(upload)
        except FileRejected as exc:
            raise InvalidInput(exc.message) from exc
        name = ""
        try:
            with self._atomic():
                locked = self._locked()
                locked._check_edit(by, locked.version)
                name = store(upload, kind, folder)
                detail = attach(locked, name, kind) or {}
                locked._bump()
                _audit(locked, by, AuditAction.FILE_UPLOAD, ip, detail)
        except BaseException:
            discard(name)
            raise
        self.refresh_from_db()

    def _set_annual(self, name: str, upload: UploadedFile, kind: FileKind) -> dict[str, Any]:
        old = self.annual_report
        self.annual_report = name
        self.annual_report_name = _display(upload)
        self.annual_report_size = upload.size or 0
        if old:
            transaction.on_commit(lambda: discard(old))
        return {"file": self.annual_report_name, "annual_report": True}


class ReportRow(models.Model):
    """One approved commitment's figures for one year."""

    report = models.ForeignKey(
        UnitReport, on_delete=models.CASCADE, related_name="rows", verbose_name="年度绩效"
    )
    commitment = models.ForeignKey(
        "tasks.Commitment",
        on_delete=models.PROTECT,
        related_name="report_rows",
        verbose_name="承接任务",
    )
    progress = models.CharField("进展", max_length=16, choices=ReportProgress.choices, blank=True)
    quantity = models.PositiveIntegerField("本年完成数量", null=True, blank=True)
    spent_school_funds = models.DecimalField(
        "学校自筹（实际）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    spent_industry_funds = models.DecimalField(
        "行业企业投入（实际）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    spent_sponsor_funds = models.DecimalField(
        "举办方投入（实际）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    spent_local_funds = models.DecimalField(
        "地市县投入（实际）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    spent_provincial_funds = models.DecimalField(
        "省财政投入（实际）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    narrative = models.TextField("情况说明", blank=True)
    explanation = models.TextField("未达计划说明", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度绩效明细"
        verbose_name_plural = "年度绩效明细"
        constraints = [
            models.UniqueConstraint(fields=["report", "commitment"], name="one_row_per_commitment")
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.commitment_id}"


class EvidenceFile(models.Model):
    """A 佐证材料 file of one row."""

    row = models.ForeignKey(
        ReportRow, on_delete=models.CASCADE, related_name="files", verbose_name="年度绩效明细"
    )
    stored_name = models.CharField("存储名", max_length=200)
    original_name = models.CharField("文件名", max_length=120)
    size = models.PositiveIntegerField("大小")
    kind = models.CharField("类型", max_length=8, choices=FileKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["row", "uploaded_at", "pk"]
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        return self.original_name


class ProvinceSummaryReport(models.Model):
    """A province's 省级总结报告 for one task and year."""

    reporting_year = models.ForeignKey(
        ReportingYear, on_delete=models.PROTECT, related_name="summaries", verbose_name="年度"
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, verbose_name="省级单位")
    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, verbose_name="重点任务")
    stored_name = models.CharField("存储名", max_length=200)
    original_name = models.CharField("文件名", max_length=120)
    size = models.PositiveIntegerField("大小")
    kind = models.CharField("类型", max_length=8, choices=FileKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now=True)

    class Meta:
        verbose_name = "省级总结报告"
        verbose_name_plural = "省级总结报告"
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_year", "province", "task"], name="one_summary_per_task"
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    def can_read(self, user: User) -> bool:
        return user.administers(self.province_id) or user.role == Role.MINISTRY

    def audit_scope(self) -> tuple[str, None]:
        return self.province_id, None

    @property
    def audit_label(self) -> str:
        return (
            f"{self.province}{self.reporting_year.year}年度省级总结报告（任务{self.task.number}）"
        )

    @classmethod
    def upload(
        cls,
        *,
        by: User,
        year: ReportingYear,
        task: "Task",
        upload: UploadedFile,
        ip: str | None = None,
    ) -> "ProvinceSummaryReport":
        """Upload (or replace) the province's summary report for a task of the year's plan."""
        if not by.administers(by.province_id):
            raise NotAllowed("只有省级管理员可以上传省级总结报告。")
        if task.plan_id != year.plan_id or not task.on_platform:
            raise InvalidInput("该任务不在本年度的行动计划中。")
        try:
            kind = check_upload(upload)
        except FileRejected as exc:
            raise InvalidInput(exc.message) from exc
        name = store(upload, kind, "summary")
        try:
            with transaction.atomic():
                old = (
                    cls.objects.select_for_update()
                    .filter(reporting_year=year, province_id=by.province_id, task=task)
                    .first()
                )
                summary, _created = cls.objects.update_or_create(
                    reporting_year=year,
                    province_id=by.province_id,
                    task=task,
                    defaults={
                        "stored_name": name,
                        "original_name": _display(upload),
                        "size": upload.size or 0,
                        "kind": kind,
                        "uploaded_by": by,
                    },
                )
                if old is not None:
                    stale = old.stored_name
                    transaction.on_commit(lambda: discard(stale))
                AuditEvent.record(
                    summary,
                    by=by,
                    action=AuditAction.SUMMARY_UPLOAD,
                    ip=ip,
                    changes={
                        "file": summary.original_name,
                        "note": f"替换“{old.original_name}”" if old is not None else "",
                    },
                )
        except BaseException:
            discard(name)
            raise
        return summary


def _day(value: date | None) -> str | None:
    return f"{value:%Y-%m-%d}" if value else None


def _display(upload: UploadedFile) -> str:
    return display_name(upload.name or "")


def _audit(
    report: UnitReport, by: User, action: AuditAction, ip: str | None, changes: dict[str, Any]
) -> None:
    AuditEvent.record(report, by=by, action=action, ip=ip, changes=changes, version=report.version)


SPENT_LABELS = {f"spent_{name}": label for name, label in FUND_FIELDS}
