"""The school's 承接任务情况 workbook: rows first (data), then the sheet (format)."""

import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.choices import ReviewStatus
from tasks.models import Declaration
from tasks.transitions import BEIJING

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNT_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "0"
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def set_text(cell: Cell, value: str) -> Cell:
    """User text as a text cell: openpyxl would store "=…" as a formula."""
    cell.value = value
    cell.data_type = "s"
    return cell


def attachment(response: HttpResponse | FileResponse, filename: str, fallback: str) -> Any:
    """A download name that Excel, WPS and every browser show right.

    Browsers read the UTF-8 name from filename*; the ASCII fallback serves the rest.
    """
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@dataclass
class SchoolSheet:
    title: str
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
        ("已通过", declaration.summary(ReviewStatus.APPROVED)),
    ]
    status = declaration.get_status_display() if declaration.pk else "未填报"
    return SchoolSheet(
        title=f"{school.name}承接任务情况",
        facts=[
            ("学校标识码", school.code),
            ("学校名称", school.name),
            ("所在省份", round_.province.name),
            ("行动计划", round_.plan.name),
            ("状态", status),
            ("平台管理联系人", school.contact_name),
            ("办公电话", school.office_phone),
            ("手机号", school.mobile),
            ("导出时间", timezone.localtime(timezone.now(), BEIJING).strftime("%Y-%m-%d %H:%M")),
        ],
        fund_labels=[label for _name, label in funds],
        summaries=summaries,
        rows=rows,
    )


def _header(cell: Cell, text: str) -> None:
    set_text(cell, text)
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.border = BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_school_sheet(ws: Worksheet, sheet: SchoolSheet) -> None:
    columns = ["序号", "工作任务", "是否承接", "承接数量", "汇总（万元）"]
    columns += [f"{label}（万元）" for label in sheet.fund_labels]
    columns += ["省厅审核情况", "修改意见"]
    width = len(columns)

    set_text(ws.cell(1, 1), sheet.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")

    row = 2
    for label, value in sheet.facts:
        set_text(ws.cell(row, 1), label).font = Font(bold=True)
        set_text(ws.cell(row, 2), value)
        row += 1

    row += 1
    summary_header = ["", "任务数量", "汇总金额（万元）"] + [
        f"{label}（万元）" for label in sheet.fund_labels
    ]
    for col, text in enumerate(summary_header, start=1):
        _header(ws.cell(row, col), text)
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
        _header(ws.cell(row, col), text)
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
    if not sheet.rows:
        set_text(ws.cell(row + 1, 1), "尚未勾选承接任务。")

    ws.freeze_panes = ws.cell(header_row + 1, 1)
    widths = [8, 48, 10, 10, 14] + [16] * len(sheet.fund_labels) + [14, 36]
    for col, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"


def _fund_keys(sheet: SchoolSheet) -> Iterator[str]:
    names = ["school_funds", "industry_funds", "sponsor_funds", "local_funds", "provincial_funds"]
    return iter(names[: len(sheet.fund_labels)])


def safe_filename(name: str) -> str:
    """Characters Windows does not allow in file names become "_"."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)


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


# -- write-only tables, for exports of any size ----------------------------------------------


def write_table(
    workbook: Workbook,
    title: str,
    headers: list[str],
    widths: list[int],
    rows: Iterator[list[Any]] | list[list[Any]],
) -> None:
    """A sheet with a frozen, styled header row and one row per item of `rows`.

    `workbook` is in write-only mode, so rows go to disk as they come and memory stays
    flat. Text is written as text (never as a formula), Decimal amounts as numbers with two
    decimals, integers as numbers.
    """
    ws = workbook.create_sheet(title)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for values in rows:
        ws.append([_cell(ws, value) for value in values])


def _cell(ws: Any, value: Any) -> Any:
    """A value as write-only openpyxl should get it. Plain values go through its one reused
    cell; only amounts (for their number format) and text that looks like a formula get a
    cell of their own, which costs (docs/performance.md: export)."""
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = AMOUNT_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def workbook_response(workbook: Workbook, filename: str, fallback: str) -> FileResponse:
    """Save the write-only workbook to a temporary file and stream it from there."""
    # Not a with-block: FileResponse streams from the file and closes it when done.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, content_type=XLSX)
    attachment(response, safe_filename(filename), fallback)
    return response
