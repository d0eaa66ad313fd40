"""Every workbook the portal exports prints right: each is rendered to PDF by LibreOffice
(headless), read back with pdftotext, and each page must hold its sheet's title and the header
row, every column of which is on the page (one page wide), in a number of pages the data
explains.

LibreOffice and poppler-utils are Debian packages (`make e2e` installs them); without them the
module is skipped, unless TIZHI_REQUIRE_BROWSER=1 (CI), where it fails.
"""

import io
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from review.exports import (
    BY_ITEM_HEADERS,
    BY_SCHOOL_HEADERS,
    DETAIL_HEADERS,
)
from review.figures.reporting import PLANNED_HEADERS, REPORT_ROW_HEADERS
from review.models import ExportJob
from tasks.models import Declaration, ReportingYear
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.review.helpers import build_submitted, open_round_for, school_in_state
from tests.review.test_reporting import hand_in
from tests.tasks.helpers import full_row

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TOOLS = ("soffice", "pdftotext")


@pytest.fixture(scope="module")
def tools():
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        message = (
            f"{', '.join(missing)} not found: `make e2e` installs libreoffice-calc-nogui and "
            "poppler-utils"
        )
        if os.environ.get("TIZHI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def pdf_pages(tmp_path: Path, content: bytes, name: str) -> list[str]:
    """The text of each printed page of the workbook `content`, in order (every sheet)."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(content)
    # A profile of this test's own, so that parallel runs do not share (and lock) one.
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        # -raw keeps the text in the order LibreOffice drew it, cell by cell, so the lines of
        # a wrapped header come one after the other.
        ["pdftotext", "-raw", "-enc", "UTF-8", str(tmp_path / f"{name}.pdf"), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def squeeze(text: str) -> str:
    """Text without its white space: a wrapped cell comes back in pieces."""
    return re.sub(r"\s+", "", text)


def check_pages(pages: list[str], sheets: list[tuple[str, list[str]]]) -> dict[str, int]:
    """Each page belongs to one sheet (in order) and holds that sheet's title and every
    column of its header row, the last one included: the sheet prints one page wide and
    repeats its heading. Returns the number of pages of each sheet."""
    counts: dict[str, int] = {}
    current = 0
    for number, page in enumerate(pages, start=1):
        flat = squeeze(page)
        while squeeze(sheets[current][0]) not in flat:
            current += 1
            assert current < len(sheets), f"page {number} has no sheet's title:\n{page}"
        title, headers = sheets[current]
        for header in headers:
            assert squeeze(header) in flat, f"page {number} ({title}) lacks {header!r}"
        counts[title] = counts.get(title, 0) + 1
    assert list(counts) == [title for title, _h in sheets], counts
    return counts


@pytest.fixture
def nation(reference_data):
    """山西: four schools in different states through the model methods and 40 schools of 10
    items each in bulk (several printed pages of detail); 河南: one approved school; a
    reporting year 山西's approved school has handed in."""
    sx, hn = open_round_for("14"), open_round_for("41")
    sx_admin = ProvinceAdminFactory(province=sx.province)
    hn_admin = ProvinceAdminFactory(province=hn.province)
    approved = school_in_state(sx.province, sx, "approved", sx_admin, name="甲职业学院")
    school_in_state(sx.province, sx, "returned", sx_admin, name="乙职业技术学院")
    school_in_state(sx.province, sx, "submitted", sx_admin)
    school_in_state(hn.province, hn, "approved", hn_admin)
    build_submitted(40, 10, prefix="1499")
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    hand_in(approved, year, 1, ("1", "1", "1", "1"))
    return {"round": sx, "admin": sx_admin, "year": year}


def test_the_schools_sheet_of_four_items_is_one_page(nation, tools, tmp_path):
    round_ = nation["round"]
    user = SchoolUserFactory(
        school__province=round_.province,
        school__code="1400099999",
        school__name="山西省长治市第一职业高级中学校",
    )
    offered = list(round_.items.order_by("task__number", "sub_number")[:4])
    declaration = Declaration.for_school(user.school, round_)
    declaration.submit(by=user, rows={i.pk: full_row(i) for i in offered}, contacts=None, version=0)
    response = client_for(user).get("/school/commitments/export/")
    pages = pdf_pages(tmp_path, response.content, "school")
    title = f"{user.school.name}承接任务情况"
    funds = [f"{label}（万元）" for _name, label in round_.fund_fields]
    headers = ["序号", "工作任务", "是否承接", "承接数量", "汇总（万元）", *funds]
    headers += ["省厅审核情况", "修改意见"]
    assert len(pages) == 1  # it took 3, and cut the title to "山西"
    check_pages(pages, [(title, headers)])
    assert "口径：本单位勾选承接的任务" in pages[0] and "导出日期：" in pages[0]
    assert "第1页，共1页" in squeeze(pages[0])
    for item in offered:
        assert squeeze(item.text) in squeeze(pages[0])


def test_the_province_workbook_prints_each_sheet_one_page_wide(nation, tools, tmp_path):
    response = client_for(nation["admin"]).get("/province/export/")
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    titles = [book[name]["A1"].value for name in ("按学校汇总", "按任务汇总", "承接明细")]
    detail_rows = book["承接明细"].max_row - 3
    assert detail_rows == 40 * 10 + 2 + 2 + 2  # the bulk schools' and the three others'
    pages = pdf_pages(tmp_path, content, "province")
    counts = check_pages(
        pages,
        [
            (titles[0], BY_SCHOOL_HEADERS),
            (titles[1], BY_ITEM_HEADERS),
            (titles[2], DETAIL_HEADERS),
        ],
    )
    # 44 schools and the 合计 line; 58 items; 406 rows, most of them two lines high.
    assert counts[titles[0]] <= 2
    assert counts[titles[1]] <= 4
    assert counts[titles[2]] <= detail_rows // 25 + 1
    assert len(pages) <= 24  # it was 69 for less data, most of it columns cut off


@pytest.mark.parametrize(
    ("path", "title", "headers", "bound"),
    [
        (
            "/ministry/tables/provinces/",
            "分省承接任务（项目）数量汇总表",
            ["序号", "省份", "承接单位数", "省财政投入（万元）"],
            1,
        ),
        (
            "/ministry/tables/items/",
            "分任务（项目）承接省份一览表",
            ["序号", "工作任务", "承接省份数", "承接省份", "承接单位数", "承接数量"],
            4,
        ),
    ],
)
def test_the_published_tables_print(nation, tools, tmp_path, path, title, headers, bound):
    client = client_for(MinistryUserFactory())
    response = client.get(path, {"format": "xlsx", "basis": "intended"})
    pages = pdf_pages(tmp_path, response.content, "table")
    check_pages(pages, [(title, headers)])
    assert len(pages) <= bound
    assert "口径：意向承接" in pages[0]


def test_the_national_detail_prints_all_columns_on_page_one(nation, tools, tmp_path):
    client = client_for(MinistryUserFactory())
    client.post("/ministry/exports/", {"plan": "tzpy-2020"})
    job = ExportJob.objects.get()
    download = client.get(f"/ministry/exports/{job.pk}/download/")
    pages = pdf_pages(tmp_path, b"".join(download.streaming_content), "detail")
    assert DETAIL_HEADERS[-1] == "审核时间"  # the 18th column, on page 1 and every other
    check_pages(pages, [("全国承接明细（", DETAIL_HEADERS)])
    rows = 40 * 10 + 2 + 2 + 2 + 2
    assert 2 <= len(pages) <= rows // 25 + 1


def test_the_reporting_workbooks_print(nation, tools, tmp_path):
    client = client_for(MinistryUserFactory())
    year = nation["year"]
    response = client.get(f"/ministry/reporting/{year.pk}/export/")
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    titles = [ws["A1"].value for ws in book.worksheets]
    pages = pdf_pages(tmp_path, content, "planned")
    counts = check_pages(
        pages,
        [
            (titles[0], PLANNED_HEADERS),
            (titles[1], ["省份", *PLANNED_HEADERS]),
        ],
    )
    assert counts == {titles[0]: 1, titles[1]: 1}

    client.post(f"/ministry/reporting/{year.pk}/rows-export/")
    job = ExportJob.objects.get()
    download = client.get(f"/ministry/exports/{job.pk}/download/")
    pages = pdf_pages(tmp_path, b"".join(download.streaming_content), "rows")
    check_pages(pages, [("年度绩效明细（", REPORT_ROW_HEADERS)])
    assert len(pages) == 1
