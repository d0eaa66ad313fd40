"""Progress figures for lists and summaries, computed in SQL with a fixed number of queries."""

from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from schools.choices import SchoolKind
from schools.models import Province, School
from tasks.choices import FUND_FIELDS, FUND_NAMES, ReviewStatus, SchoolStatus
from tasks.models import Commitment, Round
from tasks.models.declarations import approved_condition

ZERO = Value(Decimal(0))
STATUS_ORDER = {value: index for index, value in enumerate(SchoolStatus.values)}
SORTS = {
    "code": "code",
    "name": "name",
    "kind": "kind",
    "city": "city",
    "status": "status_order",
    "items": "item_count",
    "total": "total_funds",
}


def schools_with_progress(province: Province, round_: Round | None) -> QuerySet[School]:
    """The province's schools, each with its derived status, items undertaken and total.

    A school joins at most one declaration (one per round), so the rows are not multiplied.
    """
    schools = School.objects.filter(province=province)
    if round_ is None:
        return schools.annotate(
            status=Value(SchoolStatus.NOT_STARTED),
            status_order=Value(0),
            item_count=Value(0),
            total_funds=ZERO,
        )
    return schools.annotate(
        this_round=FilteredRelation("declarations", condition=Q(declarations__round=round_)),
        status=Coalesce(F("this_round__school_status"), Value(SchoolStatus.NOT_STARTED)),
        status_order=Case(
            *[When(status=value, then=Value(order)) for value, order in STATUS_ORDER.items()],
            default=Value(0),
            output_field=IntegerField(),
        ),
        item_count=Coalesce(F("this_round__item_count"), Value(0)),
        total_funds=Coalesce(F("this_round__total_funds"), ZERO),
    )


def status_counts(schools: QuerySet[School]) -> list[tuple[str, str, int]]:
    """(status, label, number of schools) for every status, zeros included."""
    # `status` is the annotation of schools_with_progress(), which django-stubs cannot see.
    found = dict(
        schools.order_by().values_list("status").annotate(n=Count("code"))  # type: ignore[misc]
    )
    return [(value, label, found.get(value, 0)) for value, label in SchoolStatus.choices]


SUBMITTED_STATES = [
    SchoolStatus.SUBMITTED,
    SchoolStatus.REVIEWING,
    SchoolStatus.RETURNED,
    SchoolStatus.APPROVED,
]


def kind_counts(schools: QuerySet[School]) -> list[tuple[str, int, int]]:
    """(kind label, schools, schools that have submitted) for every kind."""
    rows = {
        row["kind"]: row
        for row in schools.order_by()
        .values("kind")
        .annotate(n=Count("code"), submitted=Count("code", filter=Q(status__in=SUBMITTED_STATES)))
    }
    return [
        (label, rows.get(value, {}).get("n", 0), rows.get(value, {}).get("submitted", 0))
        for value, label in SchoolKind.choices
    ]


def funding_totals(round_: Round) -> list[dict[str, Any]]:
    """The province's lines of counts and funding: 意向承接 and 已通过 (both with the province's
    own 省级承接, as every published figure counts them) and 其中：省级承接, in one query."""
    approved, own = approved_condition(), Q(declaration__school__isnull=True)
    sums = (
        Commitment.objects.filter(declaration__round=round_)
        .intended()
        .aggregate(
            **_line_sums("i"),
            **_line_sums("a", approved),
            **_line_sums("o", own),
        )
    )
    return [
        {
            "label": label,
            "count": sums[f"{p}_count"],
            "total": sums[f"{p}_total"],
            "values": [sums[f"{p}_{n}"] for n in FUND_NAMES],
        }
        for p, label in (("i", "意向承接"), ("a", "已通过"), ("o", "其中：省级承接"))
    ]


def _line_sums(prefix: str, condition: Q | None = None) -> dict[str, Any]:
    return {
        f"{prefix}_count": Count("pk", filter=condition),
        f"{prefix}_total": Coalesce(Sum("total", filter=condition), ZERO),
        **{f"{prefix}_{n}": Coalesce(Sum(n, filter=condition), ZERO) for n in FUND_NAMES},
    }


FUND_LABELS = [label for _name, label in FUND_FIELDS]


_SINCE = F("since")
QUEUE_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "waiting": ("等待最久的在前", (_SINCE.asc(nulls_first=True), "declaration__school_id")),
    "-waiting": ("最近送审的在前", (_SINCE.desc(nulls_last=True), "declaration__school_id")),
    "items": ("待审核任务多的在前", ("-waiting", _SINCE.asc(nulls_first=True))),
    "code": ("学校标识码", ("declaration__school_id",)),
    "name": ("学校名称", ("declaration__school__name", "declaration__school_id")),
    "city": ("所在地市", ("declaration__school__city", "declaration__school_id")),
    "kind": ("学校类型", ("declaration__school__kind", "declaration__school_id")),
}


def review_queue(
    province_id: str, *, city: str = "", kind: str = "", query: str = "", sort: str = "waiting"
) -> QuerySet[Commitment, dict[str, Any]]:
    """待审核: one row per school of the province with items awaiting review — its code, name,
    kind and city, how many items wait and since when — the longest-waiting first (then by
    code) unless `sort` names another of QUEUE_SORTS. Filters by the school's city and kind,
    and a search by code prefix or part of the name."""
    found = Commitment.objects.awaiting_review().filter(declaration__round__province_id=province_id)
    if city:
        found = found.filter(declaration__school__city=city)
    if kind:
        found = found.filter(declaration__school__kind=kind)
    if query:
        found = found.filter(
            Q(declaration__school__code__startswith=query)
            | Q(declaration__school__name__contains=query)
        )
    return (
        found.values(
            "declaration__school_id",
            "declaration__school__name",
            "declaration__school__kind",
            "declaration__school__city",
        )
        .annotate(waiting=Count("pk"), since=Min("waiting_since"))
        .order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["waiting"])[1])
    )


def province_cities(province_id: str) -> list[str]:
    """The cities (所在地市) the province's schools are in, for filters."""
    return list(
        School.objects.filter(province_id=province_id)
        .exclude(city="")
        .order_by("city")
        .values_list("city", flat=True)
        .distinct()
    )


def item_lines(round_: Round, item_id: int) -> list[dict[str, Any]]:
    """按任务审核's totals for one item across the province's schools: 意向承接 and 已通过 (units,
    quantity, funding), in one query. The province's own 省级承接 is not a school's row to
    review, so it is left out here (本省进度 counts it)."""
    approved = approved_condition()
    sums = (
        Commitment.objects.filter(declaration__round=round_, item_id=item_id)
        .intended()
        .of_schools()
        .aggregate(
            **_line_sums("i"),
            **_line_sums("a", approved),
            i_quantity=Coalesce(Sum("quantity"), Value(0)),
            a_quantity=Coalesce(Sum("quantity", filter=approved), Value(0)),
        )
    )
    return [
        {
            "label": label,
            "count": sums[f"{p}_count"],
            "quantity": sums[f"{p}_quantity"],
            "total": sums[f"{p}_total"],
            "values": [sums[f"{p}_{n}"] for n in FUND_NAMES],
        }
        for p, label in (("i", "意向承接"), ("a", "已通过"))
    ]


def item_counts(round_: Round) -> dict[int, tuple[int, int]]:
    """For each item: (schools undertaking it, of which awaiting review), in one query."""
    rows = (
        Commitment.objects.filter(declaration__round=round_)
        .intended()
        .of_schools()
        .values("item_id")
        .annotate(n=Count("pk"), waiting=Count("pk", filter=Q(review_status=ReviewStatus.PENDING)))
        .order_by()
    )
    return {row["item_id"]: (row["n"], row["waiting"]) for row in rows}
