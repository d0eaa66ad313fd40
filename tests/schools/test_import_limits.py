"""A school import cannot hurt the server (issue 15 part 1): the file is read at most to the
size cap, an .xlsx is checked as an archive before it is inflated, sheets are streamed and
cut at the row and column caps, and the error list is bounded."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from schools.imports import SchoolImportError, import_schools, parse_rows, read_table
from schools.models import Province, School
from tests.conftest import client_for
from tests.factories import ProvinceAdminFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["学校标识码", "学校名称", "学校类型", "所在地市"]


@pytest.fixture
def shanxi(reference_data):
    return Province.objects.get(code="14")


def csv_file(rows: int, *, bad: bool = False, width: int = 4) -> bytes:
    lines = [",".join(HEADER + [f"备注{i}" for i in range(width - 4)])]
    for n in range(rows):
        code = "abc" if bad else f"41140{n:05d}"
        lines.append(",".join([code, f"第{n}职业学院", "中职学校", "太原市"] + ["x"] * (width - 4)))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def sheet_with_rows(path: Path, rows: int, *, filler: bytes | None = None) -> None:
    """An .xlsx whose first sheet holds the header and then `rows` empty rows (as a sheet
    formatted down to row 3,000,000 has), or, with `filler`, that many bytes of it inside
    the sheet's XML (a zip bomb: it packs a thousandfold). Written in chunks, never held
    whole in this process."""
    workbook = Workbook()
    workbook.active.append(HEADER)
    template = io.BytesIO()
    workbook.save(template)
    source = zipfile.ZipFile(template)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename != "xl/worksheets/sheet1.xml":
                target.writestr(entry, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(head)
                if filler is not None:
                    for _ in range(rows // len(filler)):
                        sheet.write(filler)
                else:
                    step = 100_000
                    for start in range(2, rows + 2, step):
                        end = min(start + step, rows + 2)
                        sheet.write(b"".join(b'<row r="%d"/>' % n for n in range(start, end)))
                sheet.write(b"</sheetData>" + tail)


def read_in_a_fresh_process(path: Path, **env: str) -> dict:
    """Read the file as the import does, in a process of its own, and report the refusal,
    the time it took and how much the process grew (peak RSS after minus before)."""
    script = f"""
import json, resource, time, django
django.setup()
from schools.imports import SchoolImportError, parse_rows, read_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    with open({str(path)!r}, "rb") as stream:
        parse_rows(read_table(stream, {path.name!r}))
    message = None
except SchoolImportError as exc:
    message = exc.errors[0]
print(json.dumps({{
    "message": message,
    "seconds": time.monotonic() - started,
    "grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("size_cap", "refusal"),
    [(None, "文件超过5 MB"), (str(20 * 1024 * 1024), "文件超过20,000行")],
    ids=["size-cap", "row-cap"],
)
def test_a_sheet_of_three_million_rows_is_refused_at_once_in_little_memory(
    tmp_path, size_cap, refusal
):
    """The issue's file: 3,000,000 rows (7 MB packed, 50 MB of XML). Refused by the size cap,
    and, with that cap raised, by the row cap while streaming: quickly either way."""
    path = tmp_path / "schools.xlsx"
    sheet_with_rows(path, 3_000_000)
    found = read_in_a_fresh_process(path, **({"IMPORT_MAX_BYTES": size_cap} if size_cap else {}))
    assert found["message"] and refusal in found["message"], found
    # Generous bounds, as the issue states them: "within a few seconds", "a few tens of MB".
    assert found["seconds"] < 10, found
    assert found["grew_mb"] < 40, found


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.xlsx"
    sheet_with_rows(path, 200 * 1024 * 1024, filler=b" " * (1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    found = read_in_a_fresh_process(path)
    assert found["message"] and "解压后过大或结构异常" in found["message"], found
    assert found["grew_mb"] < 40, found


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.handed_out = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.handed_out += len(chunk)
        return chunk


def test_a_file_over_the_size_cap_is_refused_without_reading_it_all(settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    stream = CountingStream(b"a" * (3 * 1024 * 1024))
    with pytest.raises(SchoolImportError) as caught:
        read_table(stream, "schools.csv")
    assert caught.value.errors == [
        "文件超过1 MB，未导入任何学校。请删除多余的内容，或分成几个文件导入。"
    ]
    assert stream.handed_out == 1024 * 1024 + 1


def test_the_row_cap_counts_data_rows(settings):
    settings.IMPORT_MAX_ROWS = 50
    assert len(parse_rows(read_table(io.BytesIO(csv_file(50)), "s.csv"))) == 50
    with pytest.raises(SchoolImportError) as caught:
        read_table(io.BytesIO(csv_file(51)), "s.csv")
    assert "文件超过50行" in caught.value.errors[0]


def test_columns_past_the_cap_are_not_read():
    table = read_table(io.BytesIO(csv_file(3, width=5_000)), "s.csv")
    assert {len(row) for row in table} == {20}
    assert [row.code for row in parse_rows(table)] == ["4114000000", "4114000001", "4114000002"]


def test_the_error_list_is_bounded_on_the_page_and_in_the_command(shanxi, tmp_path):
    with pytest.raises(SchoolImportError) as caught:
        import_schools(io.BytesIO(csv_file(1_000, bad=True)), "s.csv", shanxi, by=None)
    assert (len(caught.value.errors), caught.value.omitted, caught.value.total) == (200, 800, 1000)

    admin = ProvinceAdminFactory(province=shanxi)
    upload = io.BytesIO(csv_file(1_000, bad=True))
    upload.name = "schools.csv"
    response = client_for(admin).post("/province/accounts/import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert "文件有 1000 处错误，未导入任何学校（以下列出前 200 处）" in html
    assert "另有 800 处错误未列出" in html
    assert html.count("<li>第") == 200
    assert len(html) < 100_000
    assert not School.objects.exists()
