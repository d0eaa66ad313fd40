"""A province's call for one plan (本省申报要求): dates, instructions, contacts, the offer."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, F, Q

from schools.models import Province, School
from tasks.choices import FUND_FIELDS, DeclarationStatus, ItemScope, WindowState
from tasks.models.catalogue import Item, Plan
from tasks.transitions import BEIJING, beijing_today


class Round(models.Model):
    """One province's call for one plan (本省申报要求)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="rounds", verbose_name="行动计划"
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="rounds", verbose_name="省级单位"
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", help_text="当日24:00（北京时间）截止。")
    instructions = models.TextField("说明", blank=True)
    contact1_name = models.CharField("省厅联系人", max_length=50, blank=True)
    contact1_phone = models.CharField("联系电话", max_length=30, blank=True)
    contact2_name = models.CharField("省厅联系人2", max_length=50, blank=True)
    contact2_phone = models.CharField("联系电话2", max_length=30, blank=True)
    uses_provincial_funds = models.BooleanField(
        "使用“省财政投入”列", default=False, help_text="勾选后学校填报表显示第五个经费来源。"
    )
    items = models.ManyToManyField(
        Item, related_name="rounds", verbose_name="开放承接的任务（项目）", blank=True
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "省级申报轮次"
        verbose_name_plural = "省级申报轮次"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "province"], name="one_round_per_plan_province"
            ),
            models.CheckConstraint(
                name="round_end_not_before_start",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message="结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} · {self.plan}"

    @classmethod
    def current_for(cls, province_id: str) -> "Round | None":
        """The province's round for the current plan, if it has opened one."""
        return (
            cls.objects.select_related("plan", "province")
            .filter(province_id=province_id, plan__is_current=True)
            .first()
        )

    def window(self, at: datetime | None = None) -> WindowState:
        today = beijing_today(at)
        if today < self.start_date:
            return WindowState.NOT_STARTED
        if today > self.end_date:
            return WindowState.CLOSED
        return WindowState.OPEN

    def is_open(self, at: datetime | None = None) -> bool:
        return self.window(at) == WindowState.OPEN

    @property
    def closes_at(self) -> datetime:
        """24:00 Beijing time on the end date."""
        return datetime.combine(self.end_date + timedelta(days=1), datetime.min.time(), BEIJING)

    def closed_message(self) -> str:
        if self.window() == WindowState.NOT_STARTED:
            return f"本省申报将于{self.start_date:%Y-%m-%d}开始，届时才能填写和提交。"
        return f"本省申报已于{self.end_date:%Y-%m-%d} 24:00截止，现在只能查看和导出。"

    @property
    def fund_fields(self) -> tuple[tuple[str, str], ...]:
        """The funding columns this round shows: four, or five with 省财政投入."""
        return FUND_FIELDS if self.uses_provincial_funds else FUND_FIELDS[:4]

    def items_in_use(self, item_ids: Iterable[int]) -> list[tuple[Item, int, int]]:
        """For each of these items that schools have saved: (item, schools that saved it,
        of which submitted). The offer page warns with this before removing an item."""
        items = (
            Item.objects.filter(
                pk__in=list(item_ids),
                commitments__declaration__round=self,
                commitments__declaration__school__isnull=False,
            )
            .annotate(
                saved=Count("commitments"),
                submitted=Count(
                    "commitments",
                    filter=Q(commitments__declaration__status=DeclarationStatus.SUBMITTED),
                ),
            )
            .order_by("task__number", "sub_number")
        )
        return [(item, item.saved, item.submitted) for item in items]  # type: ignore[attr-defined]

    def schools_with_provincial_funds(self) -> models.QuerySet[School]:
        """Schools that have entered 省财政投入 in this round."""
        return School.objects.filter(
            declarations__round=self,
            declarations__commitments__provincial_funds__isnull=False,
        ).distinct()

    def default_items(self) -> models.QuerySet[Item]:
        return Item.objects.offerable().filter(task__plan=self.plan, scope=ItemScope.SCHOOL)

    def offered_items(self) -> models.QuerySet[Item]:
        return self.items.select_related("task").order_by("task__number", "sub_number")
