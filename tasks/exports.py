"""The school's 承接任务情况 workbook: rows first (data), then the sheet (format)."""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from tasks.choices import ReviewStatus
from tasks.models import Declaration
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
    safe_filename,
    set_print,
    set_text,
    write_heading,
)

# The 口径, in the words of the school's own page: every item it ticked, with the province's
# review of each.
BASIS = (
    "口径：本单位勾选承接的任务（项目）及省厅审核情况；意向承接为勾选承接的全部任务，"
    "已通过为省厅审核通过的任务。金额单位：万元。"
)


@dataclass
class SchoolSheet:
    title: str
    today: date
    facts: list[tuple[str, str]]
    fund_labels: list[str]
    summaries: list[tuple[str, dict[str, Any]]]
    rows: list[list[Any]]


def school_sheet(declaration: Declaration) -> SchoolSheet:
    """What the school's export shows, as plain values."""
    round_ = declaration.round
    school = declaration.school
    assert school is not None
    funds = list(round_.fund_fields)
    commitments = (
        declaration.commitments.filter(undertaken=True)
        .select_related("item")
        .order_by("item__task__number", "item__sub_number")
        if declaration.pk
        else []
    )
    rows = []
    for c in commitments:
        rows.append(
            [
                c.item.code,
                c.item.text,
                "是",
                c.quantity if c.item.has_quantity else "-",
                c.total,
                *[getattr(c, name) for name, _label in funds],
                c.get_review_status_display() if c.review_status else "未提交",
                c.comment if c.review_status == ReviewStatus.RETURNED else "",
            ]
        )
    summaries = [
        ("意向承接", declaration.summary()),
        ("已通过", declaration.summary(approved=True)),
    ]
    status = declaration.get_status_display() if declaration.pk else "未填报"
    return SchoolSheet(
        title=f"{school.name}承接任务情况",
        today=beijing_today(),
        facts=[
            ("学校标识码", school.code),
            ("学校名称", school.name),
            ("所在省份", round_.province.name),
            ("行动计划", round_.plan.name),
            ("状态", status),
            ("平台管理联系人", school.contact_name),
            ("办公电话", school.office_phone),
            ("手机号", school.mobile),
            ("导出时间", beijing_time(timezone.now())),
        ],
        fund_labels=[label for _name, label in funds],
        summaries=summaries,
        rows=rows,
    )


def write_school_sheet(ws: Worksheet, sheet: SchoolSheet) -> None:
    """The facts, the two summaries and the items, under the heading (rows 1 and 2). Only the
    items' header row repeats on every page, so the title goes into the page header too."""
    columns = ["序号", "工作任务", "是否承接", "承接数量", "汇总（万元）"]
    columns += [f"{label}（万元）" for label in sheet.fund_labels]
    columns += ["省厅审核情况", "修改意见"]
    width = len(columns)
    # Column A holds the facts' labels as well as the items' numbers.
    widths = [15, 44, 9, 9, 13] + [13] * len(sheet.fund_labels) + [13, 30]

    write_heading(ws, Heading(sheet.title, BASIS, sheet.today), widths)
    row = 2
    for label, value in sheet.facts:
        row += 1
        set_text(ws.cell(row, 1), label).font = Font(bold=True)
        set_text(ws.cell(row, 2), value)

    row += 2
    summary_header = ["", "任务数量", "汇总金额（万元）"] + [
        f"{label}（万元）" for label in sheet.fund_labels
    ]
    for col, text in enumerate(summary_header, start=1):
        header_cell(ws.cell(row, col), text)
    ws.row_dimensions[row].height = fitted_height(summary_header, widths)
    fund_keys = ["total", *_fund_keys(sheet)]
    for label, sums in sheet.summaries:
        row += 1
        set_text(ws.cell(row, 1), label).font = Font(bold=True)
        ws.cell(row, 2, sums["count"]).number_format = QUANTITY_FORMAT
        for offset, key in enumerate(fund_keys, start=3):
            cell = ws.cell(row, offset, sums[key])
            cell.number_format = AMOUNT_FORMAT
        for col in range(1, len(summary_header) + 1):
            ws.cell(row, col).border = BORDER

    row += 2
    header_row = row
    for col, text in enumerate(columns, start=1):
        header_cell(ws.cell(row, col), text)
    ws.row_dimensions[row].height = fitted_height(columns, widths)
    for values in sheet.rows:
        row += 1
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col)
            if isinstance(value, str):
                set_text(cell, value)
            else:
                cell.value = value
            cell.border = BORDER
            if col == 2 or col == width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, Decimal):
                cell.number_format = AMOUNT_FORMAT
            elif isinstance(value, int):
                cell.number_format = QUANTITY_FORMAT
        ws.row_dimensions[row].height = fitted_height(values, widths)
    if not sheet.rows:
        set_text(ws.cell(row + 1, 1), "尚未勾选承接任务。")

    ws.freeze_panes = ws.cell(header_row + 1, 1)
    set_print(ws, widths, (header_row, header_row))
    # Page 1 shows the title in row 1; the pages after it show it in the page header.
    ws.HeaderFooter.differentFirst = True
    ws.oddHeader.center.text = sheet.title.replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.firstFooter.center.text = ws.oddFooter.center.text
    ws.firstFooter.center.size = ws.oddFooter.center.size


def _fund_keys(sheet: SchoolSheet) -> Iterator[str]:
    names = ["school_funds", "industry_funds", "sponsor_funds", "local_funds", "provincial_funds"]
    return iter(names[: len(sheet.fund_labels)])


def school_workbook_response(declaration: Declaration, today: date) -> HttpResponse:
    sheet = school_sheet(declaration)
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "承接任务情况"
    write_school_sheet(ws, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    school = declaration.school
    assert school is not None
    stamp = today.strftime("%Y%m%d")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    return attachment(
        response,
        safe_filename(f"{school.code}_{school.name}_承接任务情况_{stamp}.xlsx"),
        f"{school.code}_{stamp}.xlsx",
    )
