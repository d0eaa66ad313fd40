"""Importing a province's schools from .xlsx or .csv: check the whole file, then all or nothing.

Used by the import_schools command and by the province's school-accounts page.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from openpyxl import load_workbook

from schools.choices import Role, SchoolKind
from schools.models import Province, School, User
from schools.validators import INITIAL_PASSWORD
from tizhi.lib.text import OtherScriptDigits, clean_digits, clean_text

COLUMNS = {"学校标识码": "code", "学校名称": "name", "学校类型": "kind", "所在地市": "city"}
REQUIRED_COLUMNS = ("学校标识码", "学校名称", "学校类型")
KIND_BY_LABEL = {label: value for value, label in SchoolKind.choices}
NAME_MAX = School._meta.get_field("name").max_length or 100
CITY_MAX = School._meta.get_field("city").max_length or 50
BATCH = 1000


class SchoolImportError(Exception):
    """The file cannot be imported; `errors` lists every problem, by row where there is one."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class SchoolRow:
    line: int
    code: str
    name: str
    kind: str
    city: str


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    accounts_created: int = 0


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


def _code_problem(code: str) -> str:
    try:
        clean_digits(code)
    except OtherScriptDigits as exc:
        return f"含有其他文字的数字，{exc.message}"
    return "应为10位数字。"


def check_rows(rows: list[SchoolRow], province: Province) -> None:
    """Raise SchoolImportError listing every bad row; return if the whole file is good."""
    errors: list[tuple[int, str]] = []

    def bad(row: SchoolRow, message: str) -> None:
        errors.append((row.line, f"第{row.line}行：{message}"))

    first_seen: dict[str, int] = {}
    for row in rows:
        if not re.fullmatch("[0-9]{10}", row.code):
            bad(row, f"学校标识码“{row.code}”{_code_problem(row.code)}")
        elif row.code in first_seen:
            bad(row, f"学校标识码{row.code}与第{first_seen[row.code]}行重复。")
        else:
            first_seen[row.code] = row.line
        if not row.name:
            bad(row, "学校名称不能为空。")
        elif len(row.name) > NAME_MAX:
            bad(row, f"学校名称不能超过{NAME_MAX}个字。")
        if row.kind not in KIND_BY_LABEL:
            bad(row, f"学校类型“{row.kind}”无效，应为：{'、'.join(KIND_BY_LABEL)}。")
        if len(row.city) > CITY_MAX:
            bad(row, f"所在地市不能超过{CITY_MAX}个字。")

    codes = list(first_seen)
    elsewhere = {
        s.code: s
        for s in School.objects.filter(code__in=codes)
        .exclude(province=province)
        .select_related("province")
    }
    # A code is free as a username unless an account other than that school's own holds it.
    taken = set(
        User.objects.filter(username__in=codes)
        .exclude(school_id=F("username"))
        .values_list("username", flat=True)
    )
    for row in rows:
        if first_seen.get(row.code) != row.line:
            continue
        if row.code in elsewhere:
            other = elsewhere[row.code]
            bad(
                row,
                f"学校标识码{row.code}已属于{other.province.name}（{other.name}），"
                f"不能导入到{province.name}。",
            )
        elif row.code in taken:
            bad(row, f"用户名{row.code}已被其他账号使用。")
    if errors:
        raise SchoolImportError([message for _line, message in sorted(errors)])


@transaction.atomic
def save_rows(rows: list[SchoolRow], province: Province) -> ImportResult:
    """Create or update the schools and create missing accounts (initial password 123456)."""
    result = ImportResult()
    existing = School.objects.in_bulk([r.code for r in rows])
    new_schools, changed = [], []
    for row in rows:
        kind = KIND_BY_LABEL[row.kind]
        school = existing.get(row.code)
        if school is None:
            new_schools.append(
                School(code=row.code, name=row.name, kind=kind, city=row.city, province=province)
            )
            result.created.append(row.code)
        elif (school.name, school.kind, school.city) != (row.name, kind, row.city):
            school.name, school.kind, school.city = row.name, kind, row.city
            changed.append(school)
            result.updated.append(row.code)
        else:
            result.unchanged.append(row.code)
    School.objects.bulk_create(new_schools, batch_size=BATCH)
    School.objects.bulk_update(changed, ["name", "kind", "city", "updated_at"], batch_size=BATCH)

    with_account = set(
        User.objects.filter(school__code__in=[r.code for r in rows]).values_list(
            "school_id", flat=True
        )
    )
    # The initial password is public (the manual prints it), so one hash serves every new
    # account: hashing 11,000 passwords one by one would take minutes.
    initial = make_password(INITIAL_PASSWORD)
    accounts = [
        User(
            username=r.code,
            password=initial,
            role=Role.SCHOOL,
            school_id=r.code,
            must_change_password=True,
        )
        for r in rows
        if r.code not in with_account
    ]
    User.objects.bulk_create(accounts, batch_size=BATCH)
    result.accounts_created = len(accounts)
    return result


def import_schools(stream: IO[bytes], filename: str, province: Province) -> ImportResult:
    rows = parse_rows(read_table(stream, filename))
    check_rows(rows, province)
    return save_rows(rows, province)
