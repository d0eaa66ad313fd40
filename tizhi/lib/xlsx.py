"""Workbooks: text written as text, amounts as numbers, write-only tables that stream, and
download names that Excel, WPS and every browser show right."""

import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

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


def header_cell(cell: Cell, text: str) -> None:
    set_text(cell, text)
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.border = BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def safe_filename(name: str) -> str:
    """Characters Windows does not allow in file names become "_"."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)


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
