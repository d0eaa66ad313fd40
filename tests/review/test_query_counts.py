"""Pages whose rows grow with the data run the same number of queries at two sizes: the
province's and the school's 年度绩效 lists (one row per reporting year, each with the
province's deadline) and the ministry's export list (one row per job)."""

from datetime import timedelta

import pytest

from review.models import ExportJob
from tasks.models import ProvinceDeadline, ReportingYear
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db


def open_years(first, count, province):
    for number in range(first, first + count):
        year = ReportingYear.objects.create(
            plan_id=1, year=number, deadline=beijing_today() + timedelta(days=30)
        )
        ProvinceDeadline.objects.create(
            reporting_year=year, province=province, deadline=beijing_today() + timedelta(days=5)
        )


def count_queries(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


@pytest.mark.parametrize("path", ["/province/reporting/", "/school/reporting/"])
def test_reporting_index_queries_do_not_grow_with_years(
    reference_data, django_assert_max_num_queries, path
):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = school_in_state(round_.province, round_, "approved", admin)
    client = client_for(admin if path.startswith("/province") else school.account)
    open_years(2021, 1, round_.province)
    small, html = count_queries(client, path, django_assert_max_num_queries, 30)
    assert f"{beijing_today() + timedelta(days=5):%Y-%m-%d}" in html
    open_years(2022, 3, round_.province)
    large, html = count_queries(client, path, django_assert_max_num_queries, small)
    assert html.count("年度</td>") == 4
    assert large == small


def test_ministry_export_list_queries_do_not_grow_with_jobs(
    reference_data, django_assert_max_num_queries
):
    ministry = MinistryUserFactory()
    client = client_for(ministry)

    def add_jobs(count):
        for index in range(count):
            ExportJob.objects.create(
                plan_id=1,
                filters={"province": ("14", "41", "11")[index % 3], "kind": "", "status": ""},
                requested_by=ministry,
            )

    add_jobs(1)
    small, html = count_queries(client, "/ministry/exports/", django_assert_max_num_queries, 30)
    add_jobs(12)
    large, html = count_queries(client, "/ministry/exports/", django_assert_max_num_queries, small)
    assert html.count("河南省 · 全部类型") == 4
    assert large == small
