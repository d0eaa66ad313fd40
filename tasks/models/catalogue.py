"""The catalogue: plans, their categories and tasks, and the undertakable items.

目录维护 (the ministry's pages under /ministry/catalogue/) adds, changes and removes entries only
through `CatalogueEntry.save_entry` and `CatalogueEntry.remove`: one transaction that locks the
entry's plan, checks every rule (`problems`, `removal_refusal`), writes the change and its audit
record, or refuses with a message the page shows.
"""

import calendar
import re
from typing import Any, ClassVar, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, ProtectedError, RestrictedError

from schools.audit import field_changes, snapshot
from schools.choices import AuditAction, Role
from tasks.choices import ItemScope
from tasks.models.audit import AuditEvent
from tasks.transitions import InvalidInput, InvalidState, NotAllowed

# Plans run in this span of years; anything outside is a typing slip.
FIRST_YEAR = 2000
LAST_YEAR = 2100
# 3, or 3.2 for the second sub-item of task 3.
ITEM_CODE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?")


class CatalogueEntry:
    """Adding, changing and removing one entry of the catalogue (a plan, a category, a task,
    an item) in 目录维护. Each model names the fields the ministry edits (`entry_fields`),
    answers what is wrong with the entry as it stands (`problems`) and why it cannot be
    removed (`removal_refusal`); the two methods below do the rest, the same way for all four.
    """

    entry_fields: ClassVar[tuple[str, ...]] = ()
    entry_kind: ClassVar[str] = ""

    def entry_plan_id(self) -> int | None:
        """The plan whose catalogue this entry belongs to (locked while it changes)."""
        raise NotImplementedError

    def problems(self, before: dict[str, Any]) -> dict[str, str]:
        """{field: message} for every rule the entry breaks; `before` holds the stored values
        ({} for a new entry). Forms show them all at once; `save_entry` refuses the first."""
        raise NotImplementedError

    def removal_refusal(self) -> str:
        """Why this entry cannot be removed, or "" if it can."""
        raise NotImplementedError

    def _field_problems(self) -> dict[str, str]:
        """The model fields' own checks (lengths, formats, required), first message each."""
        entry = cast(models.Model, self)
        try:
            entry.clean_fields(exclude=[f.name for f in entry._meta.fields if f.is_relation])
        except ValidationError as exc:
            return {name: str(errors[0]) for name, errors in exc.message_dict.items()}
        return {}

    def _lock_plan(self) -> None:
        # Every change to one plan's catalogue waits for the one before it, so two ministry
        # users cannot both take the last free number or both remove the last of something.
        # (On SQLite the IMMEDIATE transaction already serialises writers.)
        plan_id = self.entry_plan_id()
        if plan_id is not None:
            list(Plan.objects.select_for_update().filter(pk=plan_id).values_list("pk"))

    def _changes(self, before: dict[str, Any]) -> dict[str, list[Any]]:
        entry = cast(models.Model, self)
        names = list(self.entry_fields)
        changes = field_changes(entry, before or dict.fromkeys(names), names)
        for name in names:
            field = entry._meta.get_field(name)
            label = str(getattr(field, "verbose_name", name))
            if getattr(field, "choices", None) and label in changes:
                shown = dict(field.flatchoices)  # type: ignore[union-attr]
                changes[label] = [shown.get(value, value) for value in changes[label]]
        return changes

    def _before_save(self, before: dict[str, Any], by: Any, ip: str | None) -> None:
        """What else changes with this entry, in its transaction (a plan made current)."""

    def save_entry(self, *, by: Any, ip: str | None = None) -> None:
        """Add this entry, or store the changes made to it, on record."""
        _require_ministry(by)
        entry = cast(models.Model, self)
        adding = entry._state.adding
        try:
            with transaction.atomic():
                self._lock_plan()
                before = {} if adding else snapshot(entry)
                if not adding and not before:
                    raise InvalidState(f"该{self.entry_kind}已被删除，请返回目录重新操作。")
                problems = self.problems(before)
                if problems:
                    field, message = next(iter(problems.items()))
                    raise InvalidInput(message, field)
                self._before_save(before, by, ip)
                try:
                    with transaction.atomic():
                        entry.save()
                except IntegrityError as exc:
                    # Another ministry user saved the same code or number a moment earlier.
                    raise InvalidState(
                        f"{self.entry_kind}与刚刚保存的另一条目重复，请刷新页面后重试。"
                    ) from exc
                changes = self._changes(before)
                if adding or changes:
                    AuditEvent.record(
                        entry,
                        by=by,
                        action=AuditAction.ENTRY_ADD if adding else AuditAction.ENTRY_CHANGE,
                        ip=ip,
                        changes={"fields": changes},
                    )
        except BaseException:
            if adding:
                # The row was rolled back: this instance is new again.
                entry.pk = None
                entry._state.adding = True
            raise

    save_entry.alters_data = True  # type: ignore[attr-defined]

    def remove(self, *, by: Any, ip: str | None = None) -> None:
        """Remove this entry (a task with its items, a plan with its whole catalogue), on
        record; refused while anything depends on it."""
        _require_ministry(by)
        entry = cast(models.Model, self)
        with transaction.atomic():
            self._lock_plan()
            if not type(entry)._default_manager.filter(pk=entry.pk).exists():
                raise InvalidState(f"该{self.entry_kind}已被删除。")
            refusal = self.removal_refusal()
            if refusal:
                raise InvalidState(refusal)
            # Recorded before it goes, while it still has its key.
            AuditEvent.record(
                entry, by=by, action=AuditAction.ENTRY_DELETE, ip=ip, changes={"note": str(entry)}
            )
            try:
                with transaction.atomic():
                    entry.delete()
            except (ProtectedError, RestrictedError) as exc:
                raise InvalidState(
                    f"{self.entry_kind}“{entry}”仍被其他数据使用，不能删除。"
                ) from exc

    remove.alters_data = True  # type: ignore[attr-defined]


def _require_ministry(by: Any) -> None:
    if getattr(by, "role", None) != Role.MINISTRY:
        raise NotAllowed("只有教育部可以维护任务目录。")


def _add(problems: dict[str, str], field: str, message: str) -> None:
    """The first message for a field wins: one message per field."""
    problems.setdefault(field, message)


class PlanQuerySet(models.QuerySet["Plan"]):
    def with_catalogue(self) -> "PlanQuerySet":
        """Plans with their categories, tasks and items in four queries, whatever their size."""
        return self.prefetch_related(
            Prefetch(
                "categories",
                queryset=Category.objects.prefetch_related(
                    Prefetch("tasks", queryset=Task.objects.prefetch_related("items"))
                ),
            )
        )


class Plan(CatalogueEntry, models.Model):
    """An action plan published by the ministry, e.g. 职业教育提质培优行动计划（2020—2023年）."""

    # The default deadline of a reporting year: 31 December for the 2020–2023 plan,
    # 15 December for the 2023 reform tasks (set in 目录维护).

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    document_no = models.CharField("文号", max_length=50, blank=True)
    start_year = models.PositiveSmallIntegerField("起始年份")
    end_year = models.PositiveSmallIntegerField("结束年份")
    is_current = models.BooleanField(
        "当前计划", default=False, help_text="首页和一览表默认显示的计划；只能有一个。"
    )
    report_deadline_month = models.PositiveSmallIntegerField("年度绩效填报截止月", default=12)
    report_deadline_day = models.PositiveSmallIntegerField(
        "年度绩效填报截止日", default=31, help_text="教育部开放年度填报时的默认截止日期。"
    )

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-start_year", "code"]
        verbose_name = "行动计划"
        verbose_name_plural = "行动计划"
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_plan",
                violation_error_message="只能有一个当前计划。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reportable_years(self) -> range:
        """The years a 年度绩效 can be opened for: from the plan's second year (the first is
        the year of undertaking) to the year after its last."""
        return range(self.start_year + 1, self.end_year + 2)

    @property
    def reporting_range(self) -> str:
        """The same range as the page shows it beside the 年度 input."""
        years = self.reportable_years
        return f"{years[0]}至{years[-1]}"

    entry_kind = "行动计划"
    entry_fields = (
        "code",
        "name",
        "document_no",
        "start_year",
        "end_year",
        "is_current",
        "report_deadline_month",
        "report_deadline_day",
    )

    def entry_plan_id(self) -> int | None:
        return self.pk

    def problems(self, before: dict[str, Any]) -> dict[str, str]:
        found = self._field_problems()
        others = Plan.objects.exclude(pk=self.pk) if self.pk else Plan.objects.all()
        if self.code and others.filter(code=self.code).exists():
            _add(found, "code", f"代码“{self.code}”已被其他行动计划使用。")
        if self.name and others.filter(name=self.name).exists():
            _add(found, "name", f"名称“{self.name}”已被其他行动计划使用。")
        for name, label in (("start_year", "起始年份"), ("end_year", "结束年份")):
            year = getattr(self, name)
            if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
                _add(found, name, f"{label}应在{FIRST_YEAR}至{LAST_YEAR}之间。")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            _add(found, "end_year", "结束年份不能早于起始年份。")
        month, day = self.report_deadline_month, self.report_deadline_day
        if month is not None and not 1 <= month <= 12:
            _add(found, "report_deadline_month", "年度绩效填报截止月应为1至12。")
        elif month is not None and day is not None:
            # A day every year has (28 February, not 29), so every year's default deadline
            # is a date (ReportingYear.open).
            last = calendar.monthrange(2001, month)[1]
            if not 1 <= day <= last:
                _add(found, "report_deadline_day", f"{month}月的截止日应为1至{last}。")
        if before.get("is_current") and not self.is_current:
            _add(
                found,
                "is_current",
                "须有一个当前计划：要更换，请在另一个计划上勾选“当前计划”。",
            )
        return found

    def removal_refusal(self) -> str:
        if Plan.objects.filter(pk=self.pk, is_current=True).exists():
            return "当前计划不能删除：请先将另一个计划设为当前计划。"
        rounds = self.rounds.count()
        if rounds:
            return f"已有{rounds}个省级单位开放了该计划的申报，不能删除。"
        if self.reporting_years.exists():
            return "该计划已开放年度绩效填报，不能删除。"
        return ""

    def _before_save(self, before: dict[str, Any], by: Any, ip: str | None) -> None:
        if self.is_current and not before.get("is_current"):
            self.retire_other_current(by=by, ip=ip)

    def retire_other_current(self, *, by: Any, ip: str | None = None) -> None:
        """Making this plan current retires the plan that was, on record; call it in the
        transaction that saves this one (only one plan can be current)."""
        for other in Plan.objects.select_for_update().exclude(pk=self.pk).filter(is_current=True):
            other.is_current = False
            other.save(update_fields=["is_current"])
            AuditEvent.record(
                other,
                by=by,
                action=AuditAction.ENTRY_CHANGE,
                ip=ip,
                changes={"fields": {"当前计划": [True, False]}, "note": f"改为当前计划：{self}"},
            )

    retire_other_current.alters_data = True  # type: ignore[attr-defined]


class Category(CatalogueEntry, models.Model):
    """One of the headings under which the 附表 groups the tasks."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="categories", verbose_name="行动计划"
    )
    number = models.PositiveSmallIntegerField("序号")
    name = models.CharField("名称", max_length=100)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = "任务类别"
        verbose_name_plural = "任务类别"
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="category_number_per_plan")
        ]

    def __str__(self) -> str:
        return self.name

    entry_kind = "类别"
    entry_fields = ("number", "name")

    def entry_plan_id(self) -> int | None:
        return self.plan_id

    def problems(self, before: dict[str, Any]) -> dict[str, str]:
        found = self._field_problems()
        if self.number is not None and self.number < 1:
            _add(found, "number", "序号应为不小于1的整数。")
        same = Category.objects.filter(plan_id=self.plan_id, number=self.number)
        other = same.exclude(pk=self.pk).first() if self.pk else same.first()
        if self.number is not None and other is not None:
            _add(found, "number", f"本计划已有序号为{self.number}的类别：{other.name}。")
        return found

    def removal_refusal(self) -> str:
        tasks = self.tasks.count()
        if tasks:
            return (
                f"类别“{self.name}”下还有{tasks}项重点任务，不能删除；"
                "请先删除这些任务，或把它们改到其他类别。"
            )
        return ""


class Task(CatalogueEntry, models.Model):
    """A numbered 重点任务（项目） with its text and responsible departments, as in the 附表."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="tasks", verbose_name="行动计划"
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="tasks", verbose_name="类别"
    )
    number = models.PositiveSmallIntegerField("序号")
    text = models.TextField("工作任务")
    departments = models.CharField("责任部门", max_length=200)
    on_platform = models.BooleanField(
        "在平台承接",
        default=True,
        help_text="否：由国家有关部门负责，只在一览表中显示，不向省份和学校开放。",
    )

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = "重点任务"
        verbose_name_plural = "重点任务"
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="task_number_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    entry_kind = "重点任务"
    entry_fields = ("category", "number", "text", "departments", "on_platform")

    def entry_plan_id(self) -> int | None:
        return self.plan_id

    def problems(self, before: dict[str, Any]) -> dict[str, str]:
        found = self._field_problems()
        if self.category_id is None:
            _add(found, "category", "请选择类别。")
        elif not Category.objects.filter(pk=self.category_id, plan_id=self.plan_id).exists():
            _add(found, "category", "请选择本计划的类别。")
        if self.number is not None and self.number < 1:
            _add(found, "number", "序号应为不小于1的整数。")
        same = Task.objects.filter(plan_id=self.plan_id, number=self.number)
        if self.pk:
            same = same.exclude(pk=self.pk)
        if self.number is not None and same.exists():
            _add(found, "number", f"本计划已有序号为{self.number}的重点任务。")
        return found

    def removal_refusal(self) -> str:
        used = sorted(
            set(
                Item.objects.filter(task=self, commitments__isnull=False).values_list(
                    "code", flat=True
                )
            )
        )
        if used:
            return f"重点任务{self.number}的子项{'、'.join(used)}已有单位承接填报，不能删除该任务。"
        required = sorted(
            set(
                Item.objects.filter(task=self, requirements__isnull=False).values_list(
                    "code", flat=True
                )
            )
        )
        if required:
            return (
                f"重点任务{self.number}的子项{'、'.join(required)}已被省级单位设为必选任务，"
                "不能删除该任务。"
            )
        if self.provincesummaryreport_set.exists():
            return f"已有省级单位上传了重点任务{self.number}的省级总结报告，不能删除。"
        return ""


class ItemQuerySet(models.QuerySet["Item"]):
    def offerable(self) -> "ItemQuerySet":
        """Items of tasks on the platform: the only ones a round may offer."""
        return self.filter(task__on_platform=True)


class Item(CatalogueEntry, models.Model):
    """An undertakable line of a task: the task itself, or one of its sub-items (3.1, 3.2 …)."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="items", verbose_name="重点任务"
    )
    code = models.CharField("序号", max_length=10, help_text="如 3.2；不拆分的任务与任务序号相同。")
    sub_number = models.PositiveSmallIntegerField(
        "子项序号", default=0, help_text="0 表示任务本身不拆分。"
    )
    text = models.TextField("工作任务")
    has_quantity = models.BooleanField(
        "填写承接数量", default=False, help_text="目标以所、个、名、门、种等计数时填写整数数量。"
    )
    scope = models.CharField(
        "默认承接主体", max_length=16, choices=ItemScope.choices, default=ItemScope.SCHOOL
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["task__plan", "task__number", "sub_number"]
        verbose_name = "任务（项目）子项"
        verbose_name_plural = "任务（项目）子项"
        constraints = [
            models.UniqueConstraint(fields=["task", "sub_number"], name="item_sub_number_per_task"),
            models.UniqueConstraint(fields=["task", "code"], name="item_code_per_task"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    entry_kind = "子项"
    entry_fields = ("code", "sub_number", "text", "has_quantity", "scope")

    def entry_plan_id(self) -> int | None:
        return self.task.plan_id

    def problems(self, before: dict[str, Any]) -> dict[str, str]:
        found = self._field_problems()
        if self.code and not ITEM_CODE.fullmatch(self.code):
            _add(found, "code", "序号应为数字，如 3，或 3.2（任务3的第2个子项）。")
        others = Item.objects.exclude(pk=self.pk) if self.pk else Item.objects.all()
        # Pages and exports find an item of a plan by its code (按任务审核 ?item=3.2): one each.
        if self.code and others.filter(task__plan_id=self.task.plan_id, code=self.code).exists():
            _add(found, "code", f"本计划已有序号为{self.code}的子项。")
        if self.sub_number is not None and (
            others.filter(task_id=self.task_id, sub_number=self.sub_number).exists()
        ):
            _add(
                found,
                "sub_number",
                f"重点任务{self.task.number}已有子项序号为{self.sub_number}的子项。",
            )
        return found

    def removal_refusal(self) -> str:
        commitments = self.commitments.count()
        if commitments:
            return f"子项{self.code}已有{commitments}条承接填报记录，不能删除。"
        if self.requirements.exists():
            return f"子项{self.code}已被省级单位设为必选任务，不能删除。"
        return ""
