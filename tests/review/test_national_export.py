"""全国承接明细: built outside the request with its progress shown; memory flat in the row count."""

import io
import tracemalloc
from datetime import date
from urllib.parse import unquote

import pytest
from django.core.files.storage import storages
from openpyxl import load_workbook

from review.exports import DETAIL_HEADERS, detail_rows
from review.figures.national import Filters
from review.models import ExportJob, ExportStatus
from tasks.models import Plan
from tests.review.helpers import build_submitted as build
from tizhi.lib.xlsx import Heading, write_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, ministry_user):
    client.force_login(ministry_user)
    return client


def test_export_job_runs_and_offers_the_file(client, nation):
    response = client.post("/ministry/exports/", {"plan": "tzpy-2020"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/ministry/exports/{job.pk}/"
    assert (job.status, job.rows_total, job.rows_done, job.attempts) == (
        ExportStatus.DONE,
        9,
        9,
        1,
    )
    assert storages["exports"].exists(job.filename)
    html = client.get(response.url).content.decode()
    assert "已完成，共 9 行" in html and "下载 Excel 文件" in html
    assert "刷新" not in html

    download = client.get(f"/ministry/exports/{job.pk}/download/")
    assert download.status_code == 200
    name = unquote(download["Content-Disposition"].split("filename*=utf-8''")[1])
    assert name.startswith("全国承接明细_tzpy-2020_")
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    # The heading: title, then the 口径 with the filters and the date; the header in row 3.
    assert rows[0][0].startswith("全国承接明细（")
    assert rows[1][0].startswith("口径：已提交的全部承接任务") and "范围：全国" in rows[1][0]
    assert "导出日期：" in rows[1][0]
    assert list(rows[2]) == DETAIL_HEADERS and ws.print_title_rows == "$1:$3"
    body = rows[3:]
    assert len(body) == 9  # 8 school rows of 4 submitted schools and the province's item 5
    returned = next(r for r in body if r[1] == nation["hn_returned"].code and r[6] == "3.2")
    assert returned[:6] == (
        "河南省",
        nation["hn_returned"].code,
        nation["hn_returned"].name,
        "专科高职院校",
        "测试市",
        "需修改",
    )
    assert returned[8:15] == (2, 10, 1, 2, 3, 4, None) or returned[8:14] == (2, 10, 1, 2, 3, 4)
    assert returned[15:17] == ("退回修改", "请核实")
    own = next(r for r in body if r[6] == "5")
    assert own[0] == "山西省" and own[2] == "山西省（省级承接）" and own[9] == 15
    assert sum(r[9] for r in body) == 95


def test_export_with_filters(client, nation):
    client.post("/ministry/exports/", {"plan": "tzpy-2020", "province": "41", "status": "returned"})
    job = ExportJob.objects.get()
    assert job.rows_total == 2
    assert "河南省 · 全部类型 · 需修改" in client.get("/ministry/exports/").content.decode()


def test_progress_page_offers_a_refresh_link_while_running(client, ministry_user):
    job = ExportJob.objects.create(
        plan=Plan.objects.create(code="p", name="计划", start_year=2020, end_year=2023),
        requested_by=ministry_user,
        status=ExportStatus.RUNNING,
        rows_total=300000,
        rows_done=120000,
    )
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    # A plain link, no meta refresh: the page never reloads under the user (or a screen reader).
    assert 'http-equiv="refresh"' not in html
    assert f'href="/ministry/exports/{job.pk}/">刷新</a>' in html
    assert "生成中：已写入 120000 / 300000 行（40%）" in html
    assert client.get(f"/ministry/exports/{job.pk}/download/").status_code == 404


def test_a_failing_job_says_so(client, nation, monkeypatch):
    def broken(job, target):
        raise OSError("磁盘已满")

    monkeypatch.setattr("review.exports.write_national_detail", broken)
    client.post("/ministry/exports/", {"plan": "tzpy-2020"})
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "导出失败：磁盘已满" in html and "刷新" not in html


# -- memory -----------------------------------------------------------------------------------


def peak_memory(tmp_path, name) -> tuple[int, int]:
    from openpyxl import Workbook

    filters = Filters(plan=Plan.objects.get(code="tzpy-2020"))
    tracemalloc.start()
    workbook = Workbook(write_only=True)
    rows = 0

    def counting():
        nonlocal rows
        for row in detail_rows(filters):
            rows += 1
            yield row

    heading = Heading("承接明细", "口径：测试", date(2026, 1, 1))
    write_table(
        workbook, "承接明细", heading, DETAIL_HEADERS, [10] * len(DETAIL_HEADERS), counting()
    )
    workbook.save(tmp_path / name)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, peak


def test_export_memory_does_not_grow_with_rows(reference_data, tmp_path):
    build(100)
    small_rows, small_peak = peak_memory(tmp_path, "small.xlsx")
    build(900)
    large_rows, large_peak = peak_memory(tmp_path, "large.xlsx")
    assert (small_rows, large_rows) == (2000, 20000)
    # Ten times the rows, well under twice the memory: it is the chunk, not the data set.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)
