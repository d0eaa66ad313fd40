"""The province's workbook, the national detail export and the ministry's published tables."""

import io
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from review.figures.national import Filters, counted
from review.figures.province import schools_with_progress
from schools.choices import SchoolKind
from schools.models import Province
from tasks.choices import FUND_FIELDS, FUND_NAMES, ReviewStatus, SchoolStatus
from tasks.models import Commitment, Declaration, Item, Round
from tasks.models.declarations import approved_condition
from tasks.transitions import beijing_time, beijing_today
from tizhi.lib.xlsx import (
    AMOUNT_FORMAT,
    BORDER,
    QUANTITY_FORMAT,
    XLSX,
    Heading,
    attachment,
    fitted_height,
    header_cell,
    set_print,
    set_text,
    workbook_response,
    write_heading,
    write_table,
)

if TYPE_CHECKING:
    from review.models import ExportJob
    from tasks.models import ReportingYear

ZERO = Value(Decimal(0))
FUND_HEADERS = [f"{label}（万元）" for _name, label in FUND_FIELDS]
APPROVED = approved_condition()
PROVINCE_LEVEL = "省级承接"
# The 口径 of each workbook, in the words of the page that shows the same figures: the
# province's home page (BASIS_PROVINCE), the ministry's 全国承接明细导出 page, the unit's
# 年度绩效 form.
BASIS_PROVINCE = (
    "口径：意向承接为已提交的学校及省级承接的承接任务；已通过为省厅审核通过的学校任务，"
    "加上已提交的省级承接任务（省级承接不需审核）。金额单位：万元。"
)
BASIS_DETAIL = "口径：已提交的全部承接任务（意向承接），每行一项，含审核情况。金额单位：万元。"
BASIS_PLANNED = (
    "口径：“计划”为省厅审核通过的承接数量和预计投入经费；“累计完成”“累计实际投入”为本计划"
    "截至本年度已提交的年度绩效的合计。金额单位：万元。"
)
BASIS_REPORT_ROWS = (
    "口径：本年度各单位的年度绩效填报，每行一项承接任务；“计划”为省厅审核通过的承接数量和"
    "预计投入经费，“累计”含往年已提交的填报。金额单位：万元。"
)


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
    return Commitment.objects.filter(declaration__round=round_).intended()


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
    totals = [0, Decimal(0), *[Decimal(0)] * len(FUND_NAMES), 0, Decimal(0)]
    for school in schools.iterator(chunk_size=2000):
        row = sums.get(school.code, {})
        line = _school_row(
            school.code,
            school.name,
            school.get_kind_display(),
            school.city,
            statuses[school.status],  # type: ignore[attr-defined]  # an annotation
            submitted_at.get(school.code),
            row,
        )
        totals = [a + b for a, b in zip(totals, line[FIGURES_FROM:], strict=True)]
        yield line
    own = Declaration.objects.filter(round=round_, school__isnull=True).first()
    if own is not None:
        line = _school_row(
            "",
            f"{round_.province.name}（{PROVINCE_LEVEL}）",
            PROVINCE_LEVEL,
            "",
            own.get_status_display(),
            own.submitted_at,
            sums.get(None, {}),
        )
        totals = [a + b for a, b in zip(totals, line[FIGURES_FROM:], strict=True)]
        yield line
    # The 合计 line counts what the ministry's 分省汇总表 counts for the province: its schools
    # and its own 省级承接, on both bases.
    yield ["", "合计", "", "", "", "", *totals]


def _school_row(
    code: str, name: str, kind: str, city: str, status: str, submitted_at: Any, row: dict[str, Any]
) -> list[Any]:
    stamp = beijing_time(submitted_at)
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


FIGURES_FROM = 6  # the columns of _school_row after the unit's facts
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


DETAIL_HEADERS = [
    "省份",
    "学校标识码",
    "单位名称",
    "单位类型",
    "所在地市",
    "填报状态",
    "序号",
    "工作任务",
    "承接数量",
    "汇总（万元）",
    *FUND_HEADERS,
    "省厅审核情况",
    "修改意见",
    "审核时间",
]
# Rows fetched from the database at a time: the export holds about two chunks, whatever the
# number of rows.
CHUNK = 1000
# The writers look at the clock every this many rows (ExportJob.progress decides whether to
# write): at thousands of rows a second, the heartbeat stays well inside a few seconds.
PROGRESS_ROWS = 1000
DETAIL_WIDTHS = [10, 12, 30, 12, 10, 10, 8, 40, 10, 14, *[14] * 5, 12, 30, 16]


def detail_rows(
    filters: Filters,
    progress: Callable[[int], None] | None = None,
    every: int = PROGRESS_ROWS,
    limit: int | None = None,
) -> Iterator[list[Any]]:
    """Every counted commitment (意向承接) with its unit and review, read through a database
    cursor in chunks so memory does not grow with the number of rows."""
    reviews = dict(ReviewStatus.choices)
    kinds = dict(SchoolKind.choices)
    statuses = dict(SchoolStatus.choices)
    provinces = dict(Province.objects.values_list("code", "name"))
    rows = (
        counted(filters)
        .order_by(
            "declaration__round__province",
            "declaration__school__code",
            "item__task__number",
            "item__sub_number",
        )
        .values_list(
            "declaration__round__province",
            "declaration__school__code",
            "declaration__school__name",
            "declaration__school__kind",
            "declaration__school__city",
            "declaration__school_status",
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
    if limit is not None:
        rows = rows[:limit]  # benchmarks measure a given number of rows
    for done, (
        province,
        code,
        name,
        kind,
        city,
        status,
        item_code,
        text,
        has_quantity,
        quantity,
        total,
        *rest,
    ) in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
        funds, (review, comment, reviewed_at) = rest[:5], rest[5:]
        yield [
            provinces[province],
            code or "",
            name or f"{provinces[province]}（{PROVINCE_LEVEL}）",
            kinds.get(kind, PROVINCE_LEVEL),
            city or "",
            statuses[status] if code else "已提交",
            item_code,
            text,
            quantity if has_quantity else "-",
            total,
            *funds,
            reviews.get(review, "不需审核"),
            comment if review == ReviewStatus.RETURNED else "",
            beijing_time(reviewed_at),
        ]
        if progress is not None and done % every == 0:
            progress(done)


def write_national_detail(job: "ExportJob", target: Path) -> None:
    """The ExportJob's workbook: every commitment of the plan matching its filters."""
    filters = Filters(plan=job.plan, **job.filters)
    job.set_total(counted(filters).count())
    workbook = Workbook(write_only=True)
    write_table(
        workbook,
        "承接明细",
        Heading(
            f"全国承接明细（{job.plan.name}）",
            f"{BASIS_DETAIL}范围：{job.filters_label()}。",
            beijing_today(),
        ),
        DETAIL_HEADERS,
        DETAIL_WIDTHS,
        detail_rows(filters, job.progress),
    )
    workbook.save(target)


def write_report_rows(job: "ExportJob", target: Path) -> None:
    """The ExportJob's workbook: every unit's report rows of its reporting year."""
    from review.figures.reporting import REPORT_ROW_HEADERS, report_rows, report_rows_values

    year = job.reporting_year
    assert year is not None
    job.set_total(report_rows_values(year).count())
    workbook = Workbook(write_only=True)

    def counted_rows() -> Iterator[list[Any]]:
        for done, row in enumerate(report_rows(year), start=1):
            if done % PROGRESS_ROWS == 0:
                job.progress(done)
            yield row

    write_table(
        workbook,
        "年度绩效明细",
        Heading(f"{year.year}年度绩效明细（{year.plan.name}）", BASIS_REPORT_ROWS, beijing_today()),
        REPORT_ROW_HEADERS,
        [10, 12, 30, 12, 10, 8, 8, 40, 8, 10, 10, 10, 12, *[14] * 5, 14, 14, 40, 30, 10],
        counted_rows(),
    )
    workbook.save(target)


def reporting_workbook_response(year: "ReportingYear", today: date) -> FileResponse:
    """Planned against completed, per item nationally and per item and province."""
    from review.figures.reporting import PLANNED_HEADERS, planned_against_done

    workbook = Workbook(write_only=True)
    widths = [8, 40, 10, 10, 10, 14, 14, *[12] * 10]
    title = f"{year.year}年度绩效计划与完成对比（{year.plan.name}）"
    write_table(
        workbook,
        "全国（按任务）",
        Heading(f"{title}：全国，按任务", BASIS_PLANNED, today),
        PLANNED_HEADERS,
        widths,
        planned_against_done(year, by_province=False),
    )
    write_table(
        workbook,
        "分省（按任务）",
        Heading(f"{title}：分省，按任务", BASIS_PLANNED, today),
        ["省份", *PLANNED_HEADERS],
        [10, *widths],
        planned_against_done(year, by_province=True),
    )
    return workbook_response(
        workbook,
        f"年度绩效_计划与完成_{year.plan.code}_{year.year}_{today:%Y%m%d}.xlsx",
        f"reporting_{year.year}_{today:%Y%m%d}.xlsx",
    )


def province_workbook_response(round_: Round, today: date) -> FileResponse:
    workbook = Workbook(write_only=True)
    title = f"{round_.province.name}承接任务汇总（{round_.plan.name}）"
    write_table(
        workbook,
        "按学校汇总",
        Heading(f"{title}：按学校", BASIS_PROVINCE, today),
        BY_SCHOOL_HEADERS,
        [12, 30, 12, 10, 10, 16, 10, 14, *[14] * 5, 10, 14],
        by_school(round_),
    )
    write_table(
        workbook,
        "按任务汇总",
        Heading(f"{title}：按任务", BASIS_PROVINCE, today),
        BY_ITEM_HEADERS,
        [8, 48, 10, 10, 10, 14, *[14] * 5, 10, 10, 14],
        by_item(round_),
    )
    write_table(
        workbook,
        "承接明细",
        Heading(f"{round_.province.name}承接明细（{round_.plan.name}）", BASIS_DETAIL, today),
        DETAIL_HEADERS,
        DETAIL_WIDTHS,
        detail_rows(Filters(plan=round_.plan, province=round_.province_id)),
    )
    stamp = today.strftime("%Y%m%d")
    code = round_.province.code
    return workbook_response(
        workbook,
        f"{round_.province.name}_承接任务汇总_{stamp}.xlsx",
        f"province_{code}_{stamp}.xlsx",
    )


# -- publishable tables -----------------------------------------------------------------------


ONE_PAGE_LINES = 40


def published_table_response(
    title: str,
    subtitle: str,
    headers: list[str],
    rows: list[list[Any]],
    total: list[Any] | None,
    widths: list[int],
    today: date,
    note: list[Any] | None = None,
) -> HttpResponse:
    """One of the tables the ministry publishes, laid out to print: a title over the table,
    the basis and date beneath it, bordered cells, a 合计 line (and a `note` line under it,
    such as 其中：省级承接), one page wide, and one page tall when it has no more than
    ONE_PAGE_LINES lines."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = title[:31]
    set_print(ws, widths, (1, 3))
    # `subtitle` says the 口径 and the date (数据截至…), as the page above the table does.
    write_heading(ws, Heading(title, subtitle, None), widths)
    for col, text in enumerate(headers, start=1):
        header_cell(ws.cell(3, col), text)
    ws.row_dimensions[3].height = fitted_height(headers, widths)
    lines = [*rows, total] if total is not None else rows
    if note is not None:
        lines = [*lines, note]
    for offset, values in enumerate(lines, start=4):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(offset, col)
            if isinstance(value, str):
                set_text(cell, value)
            else:
                cell.value = value
            if isinstance(value, Decimal):
                cell.number_format = AMOUNT_FORMAT
            elif isinstance(value, int):
                cell.number_format = QUANTITY_FORMAT
            cell.border = BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=isinstance(value, str))
            if total is not None and values is total:
                cell.font = Font(bold=True)
        ws.row_dimensions[offset].height = fitted_height(values, widths)
    ws.freeze_panes = "A4"
    if len(lines) <= ONE_PAGE_LINES:
        # As published: the table of the provinces (34 lines) on one sheet of paper.
        ws.page_setup.fitToHeight = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    return attachment(response, f"{title}_{today:%Y%m%d}.xlsx", f"table_{today:%Y%m%d}.xlsx")
