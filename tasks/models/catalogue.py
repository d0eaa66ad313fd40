"""The catalogue: plans, their categories and tasks, and the undertakable items."""

from typing import Any

from django.db import models
from django.db.models import Prefetch

from schools.choices import AuditAction
from tasks.choices import ItemScope
from tasks.models.audit import AuditEvent


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


class Plan(models.Model):
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


class Category(models.Model):
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


class Task(models.Model):
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


class ItemQuerySet(models.QuerySet["Item"]):
    def offerable(self) -> "ItemQuerySet":
        """Items of tasks on the platform: the only ones a round may offer."""
        return self.filter(task__on_platform=True)


class Item(models.Model):
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
