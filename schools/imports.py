"""Importing a province's schools from .xlsx or .csv: check the whole file, then all or nothing.

Used by the import_schools command and by the province's school-accounts page.

A file from outside cannot hurt the server: it is read at most IMPORT_MAX_BYTES, an .xlsx is
checked as an archive (entries, inflated size, compression ratio) before it is opened, sheets
are streamed (openpyxl read-only, defusedxml refusing DTDs and entities), and reading stops at
IMPORT_MAX_ROWS rows and IMPORT_MAX_COLUMNS columns. Memory and time stay bounded by the caps,
whatever the file claims.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException
from django.conf import settings
from openpyxl import load_workbook

from schools.models import (
    ImportResult,
    Province,
    School,
    SchoolImportError,
    SchoolRow,
    User,
)
from tizhi.lib.archives import ArchiveLimits, open_archive, within
from tizhi.lib.text import OtherScriptDigits, clean_digits, clean_text

COLUMNS = {"学校标识码": "code", "学校名称": "name", "学校类型": "kind", "所在地市": "city"}
REQUIRED_COLUMNS = ("学校标识码", "学校名称", "学校类型")


def _text(value: Any) -> str:
    """A cell as one line of text, through the normaliser like everything typed."""
    if isinstance(value, float) and value.is_integer():
        # Excel stores a code typed without a leading apostrophe as a number.
        value = int(value)
    return clean_text(value)


# Excel writes a character XML cannot hold (a vertical tab pasted from Word) as _x000B_, and
# a literal "_x" as _x005F_x; openpyxl hands both over as they are.
_OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _unescape(value: Any) -> Any:
    if isinstance(value, str) and "_x" in value:
        return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


UNREADABLE = "无法读取文件：不是有效的 .xlsx 文件。"


def _limit(name: str) -> int:
    return int(getattr(settings, name))


def too_many_rows() -> SchoolImportError:
    return SchoolImportError(
        [
            f"文件超过{_limit('IMPORT_MAX_ROWS'):,}行，未导入任何学校。一次最多导入"
            f"{_limit('IMPORT_MAX_ROWS'):,}行（含空行）；请删除多余的空行，或分成几个文件导入。"
        ]
    )


def _capped(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """The rows, each cut to IMPORT_MAX_COLUMNS cells; refused past IMPORT_MAX_ROWS rows (the
    header and empty rows count: a sheet of a million empty rows is refused at the cap, not
    read to its end)."""
    columns, cap = _limit("IMPORT_MAX_COLUMNS"), _limit("IMPORT_MAX_ROWS") + 1
    table: list[list[Any]] = []
    for row in rows:
        if len(table) == cap:
            raise too_many_rows()
        cells = []
        for index, cell in enumerate(row):
            if index == columns:
                break
            cells.append(cell)
        table.append(cells)
    return table


def _check_archive(data: bytes) -> None:
    """Refuse a zip bomb before anything inflates it (tizhi/lib/archives.py)."""
    archive = open_archive(io.BytesIO(data))
    if archive is None:
        raise SchoolImportError([UNREADABLE])
    limits = ArchiveLimits(
        entries=_limit("IMPORT_MAX_ARCHIVE_ENTRIES"),
        inflated=_limit("IMPORT_MAX_INFLATED_BYTES"),
        ratio=_limit("IMPORT_MAX_COMPRESSION_RATIO"),
    )
    if not within(archive, limits):
        raise SchoolImportError(
            [
                "无法读取文件：文件解压后过大或结构异常（可能含有大量空行或格式）。"
                "请把学校名单复制到一个新的工作簿，另存为 .xlsx 后重新导入。"
            ]
        )


def _sheet_rows(sheet: Any) -> Iterator[list[Any]]:
    # The sheet's <dimension> says how far it reaches, and openpyxl stops there; writers get it
    # wrong (and a hostile file lies), so every row is read, up to our own cap.
    sheet.reset_dimensions()
    for row in sheet.iter_rows(max_col=_limit("IMPORT_MAX_COLUMNS"), values_only=True):
        yield [_unescape(c) for c in row]


def _read_xlsx(data: bytes) -> list[list[Any]]:
    _check_archive(data)
    # The sheets are parsed while the rows are read (read-only mode), so both steps are
    # guarded. defusedxml, once installed, makes openpyxl refuse DTDs and entities.
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return _capped(_sheet_rows(sheet))
    except SchoolImportError:
        raise
    except DefusedXmlException as exc:
        raise SchoolImportError(
            ["无法读取文件：文件中含有不允许的 XML 内容（DTD 或实体），请另存为普通的 .xlsx 文件。"]
        ) from exc
    except Exception as exc:
        # A file from outside: whatever openpyxl, its XML parser or zipfile raise on a damaged
        # or hostile part (ParseError, KeyError, TypeError, zlib.error …), the answer is the
        # same, and it must not be a 500.
        raise SchoolImportError([UNREADABLE]) from exc
    finally:
        if workbook is not None:
            workbook.close()


def _read_csv(data: bytes) -> list[list[Any]]:
    # Excel on Chinese Windows saves CSV in GBK; everything else writes UTF-8 (with or
    # without a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SchoolImportError(["无法读取文件：CSV 文件编码应为 UTF-8 或 GBK。"])
    try:
        return _capped(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise SchoolImportError([f"无法读取文件：CSV 格式有误（{exc}）。"]) from exc


def read_table(stream: IO[bytes], filename: str) -> list[list[Any]]:
    suffix = Path(filename).suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise SchoolImportError(["只支持 .xlsx 或 .csv 文件。"])
    cap = _limit("IMPORT_MAX_BYTES")
    data = stream.read(cap + 1)  # never more than the cap, whatever the file's size
    if len(data) > cap:
        raise SchoolImportError(
            [
                f"文件超过{cap // (1024 * 1024)} MB，未导入任何学校。"
                "请删除多余的内容，或分成几个文件导入。"
            ]
        )
    if suffix == ".xlsx":
        return _read_xlsx(data)
    return _read_csv(data)


def parse_rows(table: list[list[Any]]) -> list[SchoolRow]:
    """Rows of the table as SchoolRows, numbered as the spreadsheet numbers them."""
    header_at = next((i for i, row in enumerate(table) if any(_text(c) for c in row)), None)
    if header_at is None:
        raise SchoolImportError(["文件是空的。"])
    header = [re.sub(r"[\s*＊]", "", _text(c)) for c in table[header_at]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise SchoolImportError(
            [
                f"第{header_at + 1}行（表头）缺少列：{'、'.join(missing)}。"
                "表头应为：学校标识码、学校名称、学校类型、所在地市。"
            ]
        )
    index = {COLUMNS[name]: header.index(name) for name in COLUMNS if name in header}

    def cell(row: list[Any], key: str) -> str:
        position = index.get(key)
        return _text(row[position]) if position is not None and position < len(row) else ""

    rows = []
    for offset, raw in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not any(_text(c) for c in raw):
            continue
        rows.append(
            SchoolRow(
                line=offset,
                # NFKC turns full-width digits typed with a Chinese input method into ASCII
                # (names keep their full-width brackets); other scripts' digits are refused
                # in check_rows.
                code=_code(cell(raw, "code")),
                name=cell(raw, "name"),
                kind=cell(raw, "kind"),
                city=cell(raw, "city"),
            )
        )
    if not rows:
        raise SchoolImportError(["文件中没有学校数据。"])
    return rows


def _code(text: str) -> str:
    try:
        return clean_digits(text)
    except OtherScriptDigits:
        # Left as typed: check_rows reports it, with the row number.
        return text


def import_schools(
    stream: IO[bytes],
    filename: str,
    province: Province,
    *,
    by: User | None,
    ip: str | None = None,
    actor: str = "",
) -> ImportResult:
    """Read the file and register its schools (School.register): all or nothing."""
    rows = parse_rows(read_table(stream, filename))
    return School.register(rows, province, by=by, ip=ip, actor=actor)
