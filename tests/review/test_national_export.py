"""全国承接明细: built outside the request with its progress shown; memory flat in the row count."""

import io
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from review.exports import DETAIL_HEADERS, detail_rows
from review.figures.national import Filters
from review.models import ExportJob, ExportStatus
from schools.choices import SchoolKind
from schools.models import Province, School
from tasks.choices import DeclarationStatus, ReviewStatus, SchoolStatus
from tasks.models import Commitment, Declaration, Item, Plan, Round
from tasks.transitions import beijing_today
from tizhi.lib.xlsx import write_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, ministry_user):
    client.force_login(ministry_user)
    return client


def test_export_job_runs_and_offers_the_file(client, nation, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    response = client.post("/ministry/exports/", {"plan": "tzpy-2020"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/ministry/exports/{job.pk}/"
    assert (job.status, job.rows_total, job.rows_done) == (ExportStatus.DONE, 9, 9)
    html = client.get(response.url).content.decode()
    assert "已完成，共 9 行" in html and "下载 Excel 文件" in html
    assert 'http-equiv="refresh"' not in html

    download = client.get(f"/ministry/exports/{job.pk}/download/")
    assert download.status_code == 200
    name = unquote(download["Content-Disposition"].split("filename*=utf-8''")[1])
    assert name.startswith("全国承接明细_tzpy-2020_")
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == DETAIL_HEADERS
    body = rows[1:]
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


def test_export_with_filters(client, nation, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    client.post("/ministry/exports/", {"plan": "tzpy-2020", "province": "41", "status": "returned"})
    job = ExportJob.objects.get()
    assert job.rows_total == 2
    assert "河南省 · 全部类型 · 需修改" in client.get("/ministry/exports/").content.decode()


def test_progress_page_refreshes_while_running(client, ministry_user):
    job = ExportJob.objects.create(
        plan=Plan.objects.create(code="p", name="计划", start_year=2020, end_year=2023),
        requested_by=ministry_user,
        status=ExportStatus.RUNNING,
        rows_total=300000,
        rows_done=120000,
    )
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' in html
    assert "已写入 120000 / 300000 行（40%）" in html
    assert client.get(f"/ministry/exports/{job.pk}/download/").status_code == 404


def test_a_job_that_stopped_reporting_is_shown_as_interrupted(client, ministry_user):
    plan = Plan.objects.create(code="p", name="计划", start_year=2020, end_year=2023)
    job = ExportJob.objects.create(
        plan=plan, requested_by=ministry_user, status=ExportStatus.RUNNING
    )
    ExportJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at - timedelta(minutes=5))
    html = client.get(f"/ministry/exports/{job.pk}/").content.decode()
    assert "导出已中断" in html and 'http-equiv="refresh"' not in html


def test_a_failing_job_says_so(client, nation, settings, tmp_path, monkeypatch):
    settings.EXPORT_ROOT = tmp_path

    def broken(job):
        raise OSError("磁盘已满")

    monkeypatch.setattr("review.exports.write_national_detail", broken)
    client.post("/ministry/exports/", {"plan": "tzpy-2020"})
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED
    assert "导出失败：磁盘已满" in client.get(f"/ministry/exports/{job.pk}/").content.decode()


# -- memory -----------------------------------------------------------------------------------


def build(schools: int, items_each: int = 20) -> None:
    """`schools` submitted declarations of `items_each` rows, inserted in bulk."""
    province = Province.objects.get(code="14")
    round_ = Round.objects.get_or_create(
        plan_id=1,
        province=province,
        defaults={"start_date": beijing_today(), "end_date": beijing_today()},
    )[0]
    start = School.objects.count()
    School.objects.bulk_create(
        School(
            code=f"41{start + n:08d}",
            name=f"内存测试学校{start + n}",
            kind=SchoolKind.SECONDARY,
            province=province,
        )
        for n in range(schools)
    )
    codes = [f"41{start + n:08d}" for n in range(schools)]
    Declaration.objects.bulk_create(
        Declaration(
            round=round_,
            school_id=code,
            status=DeclarationStatus.SUBMITTED,
            school_status=SchoolStatus.SUBMITTED,
        )
        for code in codes
    )
    items = list(Item.objects.filter(task__on_platform=True)[:items_each])
    declarations = Declaration.objects.filter(school_id__in=codes)
    Commitment.objects.bulk_create(
        (
            Commitment(
                declaration=d,
                item=i,
                undertaken=True,
                quantity=1,
                school_funds=Decimal("1.5"),
                industry_funds=2,
                sponsor_funds=3,
                local_funds=4,
                review_status=ReviewStatus.PENDING,
                comment=f"意见{d.pk}-{i.pk}",
            )
            for d in declarations
            for i in items
        ),
        batch_size=2000,
    )


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

    write_table(workbook, "承接明细", DETAIL_HEADERS, [10] * len(DETAIL_HEADERS), counting())
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
