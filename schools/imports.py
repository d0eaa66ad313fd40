"""Importing a province's schools from .xlsx or .csv: check the whole file, then all or nothing.

Used by the import_schools command and by the province's school-accounts page.
"""

import csv
import io
import re
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from schools.models import (
    ImportResult,
    Province,
    School,
    SchoolImportError,
    SchoolRow,
    User,
)
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


def _read_xlsx(data: bytes) -> list[list[Any]]:
    # The sheets are parsed while the rows are read (read-only mode), so both steps are
    # guarded. defusedxml, once installed, makes openpyxl refuse DTDs and entities.
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return [[_unescape(c) for c in row] for row in sheet.iter_rows(values_only=True)]
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
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise SchoolImportError([f"无法读取文件：CSV 格式有误（{exc}）。"]) from exc


def read_table(stream: IO[bytes], filename: str) -> list[list[Any]]:
    suffix = Path(filename).suffix.lower()
    data = stream.read()
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix == ".csv":
        return _read_csv(data)
    raise SchoolImportError(["只支持 .xlsx 或 .csv 文件。"])


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
