"""Required items (必选任务): a province requires items of its round of every school of chosen
kinds, or of schools it names (Henan's 高水平中职项目学校).

A rule is one item and its targets; each target is one row here, naming either a school kind
or one school. One row per target keeps "which items must this school take" a plain indexed
query on every database (a JSON list of kinds cannot be searched on SQLite). Rows are written
only by Round.set_requirement and Round.remove_requirement (tasks/models/rounds.py).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from schools.choices import SchoolKind
from schools.models import School
from tasks.models.catalogue import Item


class RequiredItemQuerySet(models.QuerySet["RequiredItem"]):
    def of_round(self, round_id: int) -> "RequiredItemQuerySet":
        """The round's targets in the order its page lists them, with what it shows."""
        return (
            self.filter(round_id=round_id)
            .select_related("item__task", "school")
            .order_by("item__task__number", "item__sub_number", "kind", "school_id")
        )


class RequiredItem(models.Model):
    """One target of a 必选 rule: `round` requires `item` of every school of `kind`, or of
    `school` (exactly one of the two is set)."""

    round = models.ForeignKey(
        "tasks.Round",
        on_delete=models.CASCADE,
        related_name="required_targets",
        verbose_name="申报轮次",
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="requirements", verbose_name="任务（项目）"
    )
    kind = models.CharField("学校类型", max_length=16, choices=SchoolKind.choices, blank=True)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name="学校",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="设置人",
    )
    created_at = models.DateTimeField("设置时间", default=timezone.now)

    objects = RequiredItemQuerySet.as_manager()

    class Meta:
        verbose_name = "必选任务"
        verbose_name_plural = "必选任务"
        constraints = [
            models.CheckConstraint(
                name="required_item_kind_or_school",
                condition=(Q(school__isnull=True) & ~Q(kind=""))
                | (Q(school__isnull=False) & Q(kind="")),
                violation_error_message="必选要求须指定学校类型或学校之一。",
            ),
            models.UniqueConstraint(
                fields=["round", "item", "kind"],
                condition=Q(school__isnull=True),
                name="one_required_item_per_kind",
            ),
            models.UniqueConstraint(
                fields=["round", "item", "school"],
                condition=Q(school__isnull=False),
                name="one_required_item_per_school",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "kind"]),
            models.Index(fields=["round", "school"]),
        ]

    def __str__(self) -> str:
        whom = self.school or self.get_kind_display()
        return f"{self.item.code} · {whom}"


@dataclass
class Requirement:
    """One rule as the round's page shows it: the item, the kinds, the schools named."""

    item: Item
    kinds: list[str] = field(default_factory=list)
    schools: list[School] = field(default_factory=list)

    @property
    def kind_labels(self) -> list[str]:
        return [SchoolKind(kind).label for kind in self.kinds]


def group_requirements(targets: RequiredItemQuerySet) -> list[Requirement]:
    """The targets of `of_round`, one Requirement per item, in catalogue order."""
    rules: dict[int, Requirement] = {}
    for target in targets:
        rule = rules.setdefault(target.item_id, Requirement(target.item))
        if target.school is not None:
            rule.schools.append(target.school)
        else:
            rule.kinds.append(target.kind)
    order = SchoolKind.values
    for rule in rules.values():
        rule.kinds.sort(key=order.index)
    return list(rules.values())
