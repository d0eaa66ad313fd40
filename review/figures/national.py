"""National figures for the ministry: per province, per item, per source, in a fixed number of
queries whatever the number of provinces, schools or commitments.

Two bases (口径), each defined once on Commitment's queryset (intended(), approved()):
意向承接 counts the undertaken rows of submitted declarations; 已通过 counts the rows the
province approved, plus the province's own 省级承接 rows once submitted (nobody reviews those).
Filters by unit kind or status select schools, so they leave out the province-level rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from schools.choices import SchoolKind
from schools.models import Province, School
from tasks.choices import FUND_NAMES, DeclarationStatus, ItemScope, SchoolStatus
from tasks.models import Commitment, Declaration, Item, Plan, Round
from tasks.models.declarations import CommitmentQuerySet, approved_condition

ZERO = Value(Decimal(0))
SUBMITTED_STATES = [
    SchoolStatus.SUBMITTED,
    SchoolStatus.REVIEWING,
    SchoolStatus.RETURNED,
    SchoolStatus.APPROVED,
]
INTENDED, APPROVED = "intended", "approved"
BASES = {INTENDED: "意向承接", APPROVED: "已通过"}


@dataclass(frozen=True)
class Filters:
    plan: Plan
    province: str = ""
    kind: str = ""
    status: str = ""

    @property
    def selects_schools(self) -> bool:
        return bool(self.kind or self.status)


def counted(filters: Filters, basis: str = INTENDED) -> CommitmentQuerySet:
    """The commitments behind every national figure, for one basis and the filters."""
    rows = Commitment.objects.in_plan(filters.plan.pk).of_basis(basis)
    if filters.province:
        rows = rows.filter(declaration__round__province_id=filters.province)
    if filters.kind:
        rows = rows.filter(declaration__school__kind=filters.kind)
    if filters.status:
        rows = rows.filter(declaration__school_status=filters.status)
    return rows


def _sums(prefix: str, condition: Q | None = None, per_item: bool = False) -> dict[str, Any]:
    """Count, units, quantity, total and the five sources, as `<prefix>_<name>`.

    Grouped by item, a unit has at most one row (one commitment per item and declaration),
    so units are the rows: no COUNT(DISTINCT), which would make PostgreSQL sort every row.
    """
    units = (
        Count("pk", filter=condition)
        if per_item
        else Count("declaration", filter=condition, distinct=True)
    )
    return {
        f"{prefix}_count": Count("pk", filter=condition),
        f"{prefix}_units": units,
        f"{prefix}_quantity": Coalesce(Sum("quantity", filter=condition), Value(0)),
        f"{prefix}_total": Coalesce(Sum("total", filter=condition), ZERO),
        **{f"{prefix}_{n}": Coalesce(Sum(n, filter=condition), ZERO) for n in FUND_NAMES},
    }


def _both(filters: Filters, per_item: bool = False) -> tuple[QuerySet[Commitment], dict[str, Any]]:
    """Intended rows with aggregates for both bases (approved is a subset of intended)."""
    return counted(filters), {
        **_sums("i", per_item=per_item),
        **_sums("a", approved_condition(), per_item=per_item),
    }


def units(filters: Filters) -> QuerySet[School]:
    """Schools with their status in the plan, filtered by province, kind and status."""
    # FilteredRelation cannot reach through the round to its plan; the plan's rounds are at
    # most one per province.
    rounds = list(Round.objects.filter(plan=filters.plan).values_list("pk", flat=True))
    schools: QuerySet[School]
    if rounds:
        schools = School.objects.annotate(
            this_plan=FilteredRelation("declarations", condition=Q(declarations__round__in=rounds)),
            status=Coalesce(F("this_plan__school_status"), Value(SchoolStatus.NOT_STARTED)),
        )
    else:  # no province has opened this plan yet: every school is 未填报
        schools = School.objects.annotate(status=Value(SchoolStatus.NOT_STARTED))
    if filters.province:
        schools = schools.filter(province_id=filters.province)
    if filters.kind:
        schools = schools.filter(kind=filters.kind)
    if filters.status:
        schools = schools.filter(status=filters.status)
    return schools


def province_rows(filters: Filters) -> list[dict[str, Any]]:
    """One row per provincial unit: units, submitted, items and funding on both bases, and
    the province's own items. Five queries for 3 provinces as for 32."""
    provinces = Province.objects.all()
    if filters.province:
        provinces = provinces.filter(code=filters.province)
    school_counts = {
        row["province"]: row
        for row in units(filters)
        .order_by()
        .values("province")
        .annotate(
            n_units=Count("code"),
            n_submitted=Count("code", filter=Q(status__in=SUBMITTED_STATES)),
        )
    }
    rows, aggregates = _both(filters)
    # Per province the page shows registered and submitted units (counted on schools above),
    # not undertaking units: leaving those out spares PostgreSQL a COUNT(DISTINCT) sort.
    aggregates = {k: v for k, v in aggregates.items() if not k.endswith("_units")}
    schools_only = rows.filter(declaration__school__isnull=False)
    by_province = {
        row["declaration__round__province"]: row
        for row in schools_only.order_by()
        .values("declaration__round__province")
        .annotate(**aggregates)
    }
    own: dict[str, dict[str, Any]] = {}
    if not filters.selects_schools:
        own = {
            row["declaration__round__province"]: row
            for row in counted(filters)
            .filter(declaration__school__isnull=True)
            .order_by()
            .values("declaration__round__province")
            .annotate(**{k: v for k, v in _sums("o").items() if k != "o_units"})
        }
    result = []
    for province in provinces:
        schools = school_counts.get(province.code, {})
        sums = by_province.get(province.code, {})
        own_sums = own.get(province.code, {})
        result.append(
            {
                "province": province,
                "units": schools.get("n_units", 0),
                "submitted": schools.get("n_submitted", 0),
                **{
                    key: sums.get(key, _zero(key))
                    for key in _keys("i", units=False) + _keys("a", units=False)
                },
                **{key: own_sums.get(key, _zero(key)) for key in _keys("o", units=False)},
            }
        )
    return result


def _keys(prefix: str, units: bool = True) -> list[str]:
    names = ("count", "units", "quantity", "total", *FUND_NAMES)
    return [f"{prefix}_{name}" for name in names if units or name != "units"]


def _zero(key: str) -> Any:
    counts = ("count", "units", "quantity", "submitted")
    return 0 if key.endswith(counts) else Decimal(0)


def total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The 合计 line of province_rows()."""
    keys = [
        "units",
        "submitted",
        *_keys("i", units=False),
        *_keys("a", units=False),
        *_keys("o", units=False),
    ]
    return {key: sum((row[key] for row in rows), _zero(key)) for key in keys}


def item_rows(filters: Filters) -> list[dict[str, Any]]:
    """One row per on-platform item of the plan: units, quantity and funding on both bases."""
    rows, aggregates = _both(filters, per_item=True)
    if filters.selects_schools:
        rows = rows.filter(declaration__school__isnull=False)
    sums = {row["item"]: row for row in rows.order_by().values("item").annotate(**aggregates)}
    items = (
        Item.objects.filter(Q(task__plan=filters.plan, task__on_platform=True) | Q(pk__in=sums))
        .select_related("task")
        .order_by("task__number", "sub_number")
    )
    return [
        {
            "item": item,
            **{key: sums.get(item.pk, {}).get(key, _zero(key)) for key in _keys("i") + _keys("a")},
        }
        for item in items
    ]


def provinces_by_item(filters: Filters, basis: str) -> list[dict[str, Any]]:
    """分任务（项目）承接省份一览表: per item, the provinces that undertook it with their units
    and quantity."""
    per_pair = (
        counted(filters, basis)
        .order_by()
        .values("item", "declaration__round__province")
        # One row per unit and item, so counting rows counts units.
        .annotate(units=Count("pk"), quantity=Sum("quantity"))
    )
    by_item: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for row in per_pair:
        by_item[row["item"]].append(
            (row["declaration__round__province"], row["units"], row["quantity"] or 0)
        )
    names = dict(Province.objects.values_list("code", "name"))
    items = (
        Item.objects.filter(task__plan=filters.plan, task__on_platform=True)
        .select_related("task")
        .order_by("task__number", "sub_number")
    )
    result = []
    for item in items:
        pairs = sorted(by_item.get(item.pk, []))
        result.append(
            {
                "item": item,
                "provinces": [names[code] for code, _u, _q in pairs],
                "province_count": len(pairs),
                "units": sum(u for _c, u, _q in pairs),
                "quantity": sum(q for _c, _u, q in pairs) if item.has_quantity else None,
            }
        )
    return result


def counted_units(filters: Filters, basis: str) -> dict[str, int]:
    """Per province, the declarations with at least one counted row: the units of
    counted(). Counted on declarations, so PostgreSQL need not sort every commitment to
    count distinct declarations."""
    # item_count > 0 narrows to declarations that can have a counted row before the test.
    declarations = Declaration.objects.filter(
        round__plan=filters.plan, status=DeclarationStatus.SUBMITTED, item_count__gt=0
    ).filter(Exists(Commitment.objects.of_basis(basis).filter(declaration=OuterRef("pk"))))
    if filters.province:
        declarations = declarations.filter(round__province_id=filters.province)
    if filters.kind:
        declarations = declarations.filter(school__kind=filters.kind)
    if filters.status:
        declarations = declarations.filter(school_status=filters.status)
    return dict(
        declarations.order_by()
        .values_list("round__province")
        .annotate(n=Count("pk"))
        .values_list("round__province", "n")
    )


def provinces_table(filters: Filters, basis: str) -> list[dict[str, Any]]:
    """分省承接任务（项目）数量汇总表: per province, units, placements and funding by source."""
    aggregates = {k: v for k, v in _sums("s").items() if k != "s_units"}
    sums = {
        row["declaration__round__province"]: row
        for row in counted(filters, basis)
        .order_by()
        .values("declaration__round__province")
        .annotate(**aggregates)
    }
    units = counted_units(filters, basis)
    for code, row in sums.items():
        row["s_units"] = units.get(code, 0)
    provinces = Province.objects.all()
    if filters.province:
        provinces = provinces.filter(code=filters.province)
    return [
        {"province": p, **{k: sums.get(p.code, {}).get(k, _zero(k)) for k in _keys("s")}}
        for p in provinces
    ]


def provincial_line(filters: Filters, basis: str) -> dict[str, Any]:
    """其中：省级承接 under the 合计 of the provinces table: the provinces' own rows it
    includes (the same on both bases, since nobody reviews them), so the table reconciles
    with each province's workbook by hand."""
    aggregates = {k: v for k, v in _sums("s").items() if k != "s_units"}
    own = counted(filters, basis).provincial()
    sums = own.order_by().aggregate(**aggregates, s_units=Count("declaration", distinct=True))
    return sums


def kind_choices() -> list[tuple[str, str]]:
    return list(SchoolKind.choices)


def scope_label(item: Item) -> str:
    return "省级" if item.scope == ItemScope.PROVINCE else "学校"
