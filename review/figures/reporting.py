"""Figures of yearly reporting for the province and the ministry, in SQL, a fixed number of
queries whatever the number of units."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from schools.choices import SchoolKind
from schools.models import Province, School
from tasks.choices import (
    FUND_FIELDS,
    FUND_NAMES,
    Grade,
    ReportProgress,
    ReportStatus,
)
from tasks.models import Commitment, Item, ReportingYear, ReportRow
from tasks.models.reporting import REPORTED, SPENT_FIELDS

ZERO = Value(Decimal(0))
HANDED_IN = [ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.EVALUATED]


def approved_in(year: ReportingYear) -> QuerySet[Commitment]:
    """What units report on in `year`: Commitment.objects.reportable, the one definition."""
    return Commitment.objects.reportable(year.plan_id)


def units(year: ReportingYear, province: str = "") -> QuerySet[School]:
    """Schools that report in `year`, each with its report's status and grade."""
    schools = School.objects.filter(
        Exists(approved_in(year).filter(declaration__school=OuterRef("pk")))
    )
    if province:
        schools = schools.filter(province_id=province)
    return schools.annotate(
        this_year=FilteredRelation("reports", condition=Q(reports__reporting_year=year)),
        report_status=Coalesce(F("this_year__status"), Value(ReportStatus.NOT_STARTED)),
        report_grade=Coalesce(F("this_year__grade"), Value("")),
        report_submitted_at=F("this_year__submitted_at"),
    )


def status_counts(schools: QuerySet[School]) -> list[tuple[str, str, int]]:
    found = dict(
        schools.order_by().values_list("report_status").annotate(n=Count("code"))  # type: ignore[misc]
    )
    return [(value, label, found.get(value, 0)) for value, label in ReportStatus.choices]


def grade_counts(schools: QuerySet[School]) -> list[tuple[str, str, int]]:
    found = dict(
        schools.filter(report_status=ReportStatus.EVALUATED)  # type: ignore[misc]
        .order_by()
        .values_list("report_grade")
        .annotate(n=Count("code"))
    )
    return [(value, label, found.get(value, 0)) for value, label in Grade.choices]


def progress_by_province(year: ReportingYear) -> list[dict[str, Any]]:
    """Per provincial unit: units that report, handed in, evaluated, returned, and grades."""
    grades = {f"g_{g}": Count("code", filter=Q(report_grade=g)) for g in Grade.values}
    rows = {
        row["province"]: row
        for row in units(year)
        .order_by()
        .values("province")
        .annotate(
            expected=Count("code"),
            handed_in=Count("code", filter=Q(report_status__in=HANDED_IN)),
            evaluated=Count("code", filter=Q(report_status=ReportStatus.EVALUATED)),
            returned=Count("code", filter=Q(report_status=ReportStatus.RETURNED)),
            drafting=Count("code", filter=Q(report_status=ReportStatus.DRAFT)),
            **grades,
        )
    }
    keys = ["expected", "handed_in", "evaluated", "returned", "drafting", *grades]
    return [
        {"province": p, **{k: rows.get(p.code, {}).get(k, 0) for k in keys}}
        for p in Province.objects.all()
    ]


# -- planned against completed ----------------------------------------------------------------


def _planned(year: ReportingYear, by_province: bool) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = ["item", "declaration__round__province"] if by_province else ["item"]
    rows = (
        approved_in(year)
        .order_by()
        .values(*keys)
        .annotate(
            p_units=Count("pk"),
            p_quantity=Coalesce(Sum("quantity"), Value(0)),
            p_total=Coalesce(Sum("total"), ZERO),
            **{f"p_{n}": Coalesce(Sum(n), ZERO) for n in FUND_NAMES},
        )
    )
    return {tuple(row[k] for k in keys): row for row in rows}


def _done(year: ReportingYear, by_province: bool) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Cumulative figures reported up to and including `year`."""
    keys = ["commitment__item", "report__school__province"] if by_province else ["commitment__item"]
    rows = (
        ReportRow.objects.filter(
            report__reporting_year__plan_id=year.plan_id,
            report__reporting_year__year__lte=year.year,
            report__status__in=REPORTED,
            # Rows count while their commitment is still reportable (approved).
            commitment__in=approved_in(year),
        )
        .order_by()
        .values(*keys)
        .annotate(
            d_quantity=Coalesce(Sum("quantity"), Value(0)),
            d_done=Count("pk", filter=Q(progress=ReportProgress.DONE)),
            **{f"d_{n}": Coalesce(Sum(n), ZERO) for n in SPENT_FIELDS},
        )
    )
    return {tuple(row[k] for k in keys): row for row in rows}


PLANNED_HEADERS = [
    "序号",
    "工作任务",
    "承接单位数",
    "计划数量",
    "累计完成数量",
    "计划投入合计（万元）",
    "累计实际投入合计（万元）",
    *[f"{label}：{kind}（万元）" for _n, label in FUND_FIELDS for kind in ("计划", "实际")],
]


def planned_against_done(year: ReportingYear, by_province: bool) -> Iterator[list[Any]]:
    """Rows of the ministry's workbook: per item (and province), plan beside what was done."""
    planned, done = _planned(year, by_province), _done(year, by_province)
    items = {
        i.pk: i for i in Item.objects.filter(pk__in={k[0] for k in planned}).select_related("task")
    }
    names = dict(Province.objects.values_list("code", "name"))
    order = sorted(planned, key=lambda k: (items[k[0]].task.number, items[k[0]].sub_number, k[1:]))
    for key in order:
        item = items[key[0]]
        p, d = planned[key], done.get(key, {})
        spent = sum((d.get(f"d_{n}", Decimal(0)) for n in SPENT_FIELDS), Decimal(0))
        pairs = []
        for name in FUND_NAMES:
            pairs += [p[f"p_{name}"], d.get(f"d_spent_{name}", Decimal(0))]
        row = [
            item.code,
            item.text,
            p["p_units"],
            p["p_quantity"] if item.has_quantity else "-",
            d.get("d_quantity", 0) if item.has_quantity else "-",
            p["p_total"],
            spent,
            *pairs,
        ]
        if by_province:
            row.insert(0, names[key[1]])
        yield row


def _spent_total() -> Any:
    """A row's actual spending over the five sources; a blank source counts as 0."""
    terms = [Coalesce(F(name), ZERO) for name in SPENT_FIELDS]
    total: Any = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def report_rows_values(year: ReportingYear) -> Any:
    """Every unit's rows of the year, with earlier years' totals, for the streamed export."""
    earlier = (
        ReportRow.objects.filter(
            commitment=OuterRef("commitment"),
            report__reporting_year__plan_id=year.plan_id,
            report__reporting_year__year__lt=year.year,
            report__status__in=REPORTED,
        )
        .order_by()
        .values("commitment")
    )
    return (
        ReportRow.objects.filter(report__reporting_year=year)
        .annotate(
            earlier_quantity=Coalesce(
                Subquery(earlier.annotate(s=Sum("quantity")).values("s")), Value(0)
            ),
            earlier_spent=Coalesce(
                Subquery(earlier.annotate(s=Sum(_spent_total())).values("s")), ZERO
            ),
            evidence_count=Count("files"),
        )
        .order_by(
            "report__school__province",
            "report__school__code",
            "commitment__item__task__number",
            "commitment__item__sub_number",
        )
        .values_list(
            "report__school__province__name",
            "report__school__code",
            "report__school__name",
            "report__school__kind",
            "report__status",
            "report__grade",
            "commitment__item__code",
            "commitment__item__text",
            "commitment__item__has_quantity",
            "progress",
            "commitment__quantity",
            "quantity",
            "earlier_quantity",
            "commitment__total",
            *SPENT_FIELDS,
            "earlier_spent",
            "narrative",
            "explanation",
            "evidence_count",
        )
    )


REPORT_ROW_HEADERS = [
    "省份",
    "学校标识码",
    "单位名称",
    "单位类型",
    "填报状态",
    "评价",
    "序号",
    "工作任务",
    "进展",
    "计划数量",
    "本年完成数量",
    "累计完成数量",
    "计划投入（万元）",
    *[f"{label}（本年实际，万元）" for _n, label in FUND_FIELDS],
    "本年实际投入合计（万元）",
    "累计实际投入合计（万元）",
    "情况说明",
    "未达计划说明",
    "佐证材料（个）",
]


def report_rows(year: ReportingYear) -> Iterator[list[Any]]:
    kinds = dict(SchoolKind.choices)
    statuses = dict(ReportStatus.choices)
    grades = dict(Grade.choices)
    progress = dict(ReportProgress.choices)
    for (
        province,
        code,
        name,
        kind,
        status,
        grade,
        item_code,
        text,
        has_quantity,
        prog,
        planned_quantity,
        quantity,
        earlier_quantity,
        planned_total,
        *rest,
    ) in report_rows_values(year).iterator(chunk_size=1000):
        spent, (earlier_spent, narrative, explanation, files) = rest[:5], rest[5:]
        this_year = sum((s or Decimal(0) for s in spent), Decimal(0))
        yield [
            province,
            code,
            name,
            kinds.get(kind, ""),
            statuses.get(status, ""),
            grades.get(grade, ""),
            item_code,
            text,
            progress.get(prog, ""),
            planned_quantity if has_quantity else "-",
            quantity if has_quantity else "-",
            (earlier_quantity + (quantity or 0)) if has_quantity else "-",
            planned_total,
            *spent,
            this_year,
            earlier_spent + this_year,
            narrative,
            explanation,
            files,
        ]
