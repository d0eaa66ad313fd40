"""The province's workbook: by school, by item, and every commitment row."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse
from openpyxl import Workbook

from review.progress import intended, schools_with_progress
from schools.choices import SchoolKind
from tasks.choices import FUND_FIELDS, FUND_NAMES, ReviewStatus, SchoolStatus
from tasks.exports import workbook_response, write_table
from tasks.models import Commitment, Declaration, Item, Round

ZERO = Value(Decimal(0))
FUND_HEADERS = [f"{label}（万元）" for _name, label in FUND_FIELDS]
APPROVED = Q(review_status=ReviewStatus.APPROVED)
PROVINCE_LEVEL = "省级承接"


def _sums() -> dict[str, Any]:
    """Aggregates of commitments; prefixed so they do not shadow the fields they sum."""
    return {
        "s_count": Count("pk"),
        "s_units": Count("declaration", distinct=True),
        "s_quantity": Coalesce(Sum("quantity"), Value(0)),
        "s_total": Coalesce(Sum("total"), ZERO),
        **{f"s_{name}": Coalesce(Sum(name), ZERO) for name in FUND_NAMES},
        "a_units": Count("declaration", filter=APPROVED, distinct=True),
        "a_count": Count("pk", filter=APPROVED),
        "a_quantity": Coalesce(Sum("quantity", filter=APPROVED), Value(0)),
        "a_total": Coalesce(Sum("total", filter=APPROVED), ZERO),
    }


def _round_commitments(round_: Round) -> QuerySet[Commitment]:
    return intended(Commitment.objects.filter(declaration__round=round_))


def by_school(round_: Round) -> Iterator[list[Any]]:
    """One row per school of the province (未填报 included), then the province's own."""
    sums = {
        row["declaration__school"]: row
        for row in _round_commitments(round_).values("declaration__school").annotate(**_sums())
    }
    statuses = dict(SchoolStatus.choices)
    submitted_at = dict(
        Declaration.objects.filter(round=round_).values_list("school", "submitted_at")
    )
    schools = schools_with_progress(round_.province, round_).order_by("code")
    for school in schools.iterator(chunk_size=2000):
        row = sums.get(school.code, {})
        yield _school_row(
            school.code,
            school.name,
            school.get_kind_display(),
            school.city,
            statuses[school.status],  # type: ignore[attr-defined]  # an annotation
            submitted_at.get(school.code),
            row,
        )
    own = Declaration.objects.filter(round=round_, school__isnull=True).first()
    if own is not None:
        yield _school_row(
            "",
            f"{round_.province.name}（{PROVINCE_LEVEL}）",
            PROVINCE_LEVEL,
            "",
            own.get_status_display(),
            own.submitted_at,
            sums.get(None, {}),
        )


def _school_row(
    code: str, name: str, kind: str, city: str, status: str, submitted_at: Any, row: dict[str, Any]
) -> list[Any]:
    stamp = submitted_at.strftime("%Y-%m-%d %H:%M") if submitted_at else ""
    return [
        code,
        name,
        kind,
        city,
        status,
        stamp,
        row.get("s_count", 0),
        row.get("s_total", Decimal(0)),
        *[row.get(f"s_{name}", Decimal(0)) for name in FUND_NAMES],
        row.get("a_count", 0),
        row.get("a_total", Decimal(0)),
    ]


BY_SCHOOL_HEADERS = [
    "学校标识码",
    "单位名称",
    "学校类型",
    "所在地市",
    "填报状态",
    "提交时间",
    "意向承接任务数",
    "意向承接汇总（万元）",
    *FUND_HEADERS,
    "已通过任务数",
    "已通过汇总（万元）",
]


def by_item(round_: Round) -> Iterator[list[Any]]:
    """One row per item offered to schools or undertaken by the province."""
    sums = {
        row["item"]: row for row in _round_commitments(round_).values("item").annotate(**_sums())
    }
    own_items = Declaration.for_province(round_).offered_items()
    items = (
        Item.objects.filter(Q(rounds=round_) | Q(pk__in=own_items.values("pk")) | Q(pk__in=sums))
        .distinct()
        .select_related("task")
        .order_by("task__number", "sub_number")
    )
    for item in items:
        row = sums.get(item.pk, {})
        yield [
            item.code,
            item.text,
            item.get_scope_display(),
            row.get("s_units", 0),
            row.get("s_quantity", 0) if item.has_quantity else "-",
            row.get("s_total", Decimal(0)),
            *[row.get(f"s_{n}", Decimal(0)) for n in FUND_NAMES],
            row.get("a_units", 0),
            row.get("a_quantity", 0) if item.has_quantity else "-",
            row.get("a_total", Decimal(0)),
        ]


BY_ITEM_HEADERS = [
    "序号",
    "工作任务",
    "承接主体",
    "承接单位数",
    "承接数量",
    "汇总（万元）",
    *FUND_HEADERS,
    "已通过单位数",
    "已通过数量",
    "已通过汇总（万元）",
]


def detail(round_: Round) -> Iterator[list[Any]]:
    """Every undertaken commitment of a submitted declaration, read from a cursor."""
    reviews = dict(ReviewStatus.choices)
    rows = (
        _round_commitments(round_)
        .order_by("declaration__school__code", "item__task__number", "item__sub_number")
        .values_list(
            "declaration__school__code",
            "declaration__school__name",
            "declaration__school__kind",
            "declaration__school__city",
            "item__code",
            "item__text",
            "item__has_quantity",
            "quantity",
            "total",
            *FUND_NAMES,
            "review_status",
            "comment",
            "reviewed_at",
        )
    )
    kinds = dict(SchoolKind.choices)
    for (
        code,
        name,
        kind,
        city,
        item_code,
        text,
        has_quantity,
        quantity,
        total,
        *rest,
    ) in rows.iterator(chunk_size=2000):
        funds, (review, comment, reviewed_at) = rest[:5], rest[5:]
        yield [
            code or "",
            name or f"{round_.province.name}（{PROVINCE_LEVEL}）",
            kinds.get(kind, PROVINCE_LEVEL),
            city or "",
            item_code,
            text,
            quantity if has_quantity else "-",
            total,
            *funds,
            reviews.get(review, "不需审核"),
            comment if review == ReviewStatus.RETURNED else "",
            reviewed_at.strftime("%Y-%m-%d %H:%M") if reviewed_at else "",
        ]


DETAIL_HEADERS = [
    "学校标识码",
    "单位名称",
    "学校类型",
    "所在地市",
    "序号",
    "工作任务",
    "承接数量",
    "汇总（万元）",
    *FUND_HEADERS,
    "省厅审核情况",
    "修改意见",
    "审核时间",
]


def province_workbook_response(round_: Round, today: date) -> FileResponse:
    workbook = Workbook(write_only=True)
    write_table(
        workbook,
        "按学校汇总",
        BY_SCHOOL_HEADERS,
        [12, 30, 12, 10, 10, 16, 10, 14, *[14] * 5, 10, 14],
        by_school(round_),
    )
    write_table(
        workbook,
        "按任务汇总",
        BY_ITEM_HEADERS,
        [8, 48, 10, 10, 10, 14, *[14] * 5, 10, 10, 14],
        by_item(round_),
    )
    write_table(
        workbook,
        "承接明细",
        DETAIL_HEADERS,
        [12, 30, 12, 10, 8, 40, 10, 14, *[14] * 5, 12, 30, 16],
        detail(round_),
    )
    stamp = today.strftime("%Y%m%d")
    code = round_.province.code
    return workbook_response(
        workbook,
        f"{round_.province.name}_承接任务汇总_{stamp}.xlsx",
        f"province_{code}_{stamp}.xlsx",
    )
