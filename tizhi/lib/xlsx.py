"""Workbooks: text written as text, amounts as numbers, write-only tables that stream, every
sheet laid out to print (docs/decisions.md: workbook print), and download names that Excel,
WPS and every browser show right."""

import math
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNT_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "0"
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name="黑体", bold=True, size=16)
BASIS_FONT = Font(size=10)
HEADER_FONT = Font(bold=True)
CENTERED = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAPPED = Alignment(wrap_text=True)

# Printing. Widths are openpyxl's column units (about one Latin digit); a CJK character takes
# about two. A4 portrait holds about this many units between our margins, so a wider sheet
# prints landscape; either way it is scaled to one page wide.
PORTRAIT_UNITS = 95
# Points per line of 11-point text, as LibreOffice and Excel lay it out with a CJK font, and
# the space above and below the text of a row.
LINE_POINTS = 14.5
ROW_PADDING = 3.0
FOOTER = "第 &P 页，共 &N 页"
MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.2, footer=0.25)


@dataclass(frozen=True)
class Heading:
    """What stands above a sheet's header row: its title, then its 口径 (the basis of the
    figures, in the words of the page that shows the same table) and the export date."""

    title: str
    basis: str
    today: date | None  # None: `basis` already says the date (the published tables)

    @property
    def subtitle(self) -> str:
        if self.today is None:
            return self.basis
        return f"{self.basis}　导出日期：{self.today:%Y-%m-%d}"


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
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = BORDER
    cell.alignment = CENTERED


def safe_filename(name: str) -> str:
    """Characters Windows does not allow in file names become "_"."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)


# -- layout for print ---------------------------------------------------------------------------


def text_units(text: str) -> float:
    """The width of `text` in column units: a CJK character (3 bytes in UTF-8) counts 2, an
    ASCII one 1. Computed from the UTF-8 length so that a 246,000-row export does not look
    up every character."""
    return (len(text.encode()) + len(text)) / 2


def lines_needed(value: Any, width: float) -> int:
    """How many lines `value` takes, wrapped in a column `width` units wide."""
    if not isinstance(value, str) or not value:
        return 1
    usable = max(width - 1.5, 1.0)  # the cell's own padding
    if len(value) * 2 <= usable and "\n" not in value:
        return 1  # fits even if every character is CJK: the common case, kept cheap
    return sum(max(1, math.ceil(text_units(part) / usable)) for part in value.split("\n"))


def row_height(lines: int, size: float = 11) -> float:
    """Points for a row of `lines` lines of `size`-point text."""
    return round(lines * LINE_POINTS * size / 11 + ROW_PADDING, 1)


def fitted_height(values: Sequence[Any], widths: Sequence[float], size: float = 11) -> float:
    return row_height(max(map(lines_needed, values, widths), default=1), size)


def set_print(ws: Any, widths: Sequence[float], repeat: tuple[int, int] | None) -> None:
    """Every sheet's print settings, set here only: A4, landscape when wider than a portrait
    page, scaled to one page wide (as many pages down as it takes), rows `repeat` (the heading
    and the header) at the top of every page, grid lines, page numbers in the footer.

    Works on write-only sheets too: none of this needs the rows."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(widths) > PORTRAIT_UNITS else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = MARGINS
    ws.print_options.horizontalCentered = True
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 9
    if repeat is not None:
        ws.print_title_rows = f"{repeat[0]}:{repeat[1]}"
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def write_heading(ws: Any, heading: Heading, widths: Sequence[float]) -> None:
    """Rows 1 and 2 of a sheet in normal mode: the title and the 口径 with the date, each
    merged across the table's width."""
    span = len(widths)
    total = sum(widths)
    for row, (text, font, align) in enumerate(_heading_lines(heading), start=1):
        cell = set_text(ws.cell(row, 1), text)
        cell.font = font
        cell.alignment = align
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        ws.row_dimensions[row].height = row_height(lines_needed(text, total), font.size)


def _heading_lines(heading: Heading) -> list[tuple[str, Font, Alignment]]:
    return [
        (heading.title, TITLE_FONT, CENTERED),
        (
            heading.subtitle,
            BASIS_FONT,
            Alignment(horizontal="left", vertical="center", wrap_text=True),
        ),
    ]


# -- write-only tables, for exports of any size ----------------------------------------------

HEADER_ROW = 3  # of a write_table sheet: under the title and the 口径


def write_table(
    workbook: Workbook,
    sheet_title: str,
    heading: Heading,
    headers: list[str],
    widths: list[int],
    rows: Iterable[list[Any]],
) -> None:
    """A sheet with the heading, a frozen, styled header row (row 3) and one row per item of
    `rows`, set up to print (set_print).

    `workbook` is in write-only mode, so rows go to disk as they come and memory stays
    flat. Text is written as text (never as a formula), Decimal amounts as numbers with two
    decimals, integers as numbers. Text wider than its column wraps, and its row is given the
    height of the lines it takes: write-only openpyxl reads a row's height from
    row_dimensions when the row is appended, so each height is set just before its row and
    dropped just after.
    """
    ws = workbook.create_sheet(sheet_title)
    set_print(ws, widths, (1, HEADER_ROW))
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    span = get_column_letter(len(widths))
    total = sum(widths)
    for row, (text, font, align) in enumerate(_heading_lines(heading), start=1):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.font = font
        cell.alignment = align
        ws.merged_cells.add(f"A{row}:{span}{row}")
        _append(ws, row, [cell], row_height(lines_needed(text, total), font.size))
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = CENTERED
        header_cells.append(cell)
    _append(ws, HEADER_ROW, header_cells, fitted_height(headers, widths))
    for row, values in enumerate(rows, start=HEADER_ROW + 1):
        lines = [lines_needed(value, width) for value, width in zip(values, widths, strict=True)]
        tall = max(lines, default=1)
        cells = [_cell(ws, value, n > 1) for value, n in zip(values, lines, strict=True)]
        _append(ws, row, cells, row_height(tall) if tall > 1 else None)


def _append(ws: Any, row: int, cells: list[Any], height: float | None) -> None:
    if height is None:
        ws.append(cells)
        return
    ws.row_dimensions[row].height = height
    ws.append(cells)
    del ws.row_dimensions[row]  # written; keep memory flat


def _cell(ws: Any, value: Any, wrap: bool = False) -> Any:
    """A value as write-only openpyxl should get it. Plain values go through its one reused
    cell; only amounts (for their number format), text that wraps and text that looks like a
    formula get a cell of their own, which costs (docs/performance.md: export)."""
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = AMOUNT_FORMAT
        return cell
    if wrap:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.alignment = WRAPPED
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
