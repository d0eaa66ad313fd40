"""Lists of hundreds (issue 14 part 3): numbered pages with a jump box, the filters a province
asks for, sorting, and the same queries at two sizes."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schools.choices import SchoolKind
from schools.models import School, User
from tasks.models import ReportingYear
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import ProvinceAdminFactory, SchoolUserFactory
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db
ACCOUNTS = "/province/accounts/"


@pytest.fixture
def shanxi_round(reference_data):
    return open_round_for("14")


@pytest.fixture
def admin(shanxi_round):
    return ProvinceAdminFactory(province=shanxi_round.province)


@pytest.fixture
def client(admin):
    return client_for(admin)


def queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def codes(response):
    return [s.code for s in response.context["page"]]


def accounts(province, n, start, **user):
    """`n` schools with accounts, codes from `start`."""
    return [
        SchoolUserFactory(
            school__province=province,
            school__code=f"14{start + i:08d}",
            school__city="太原市" if i % 2 else "大同市",
            **user,
        )
        for i in range(n)
    ]


# -- the shared pagination ------------------------------------------------------------------


def test_numbered_pages_and_a_jump_box_that_keeps_the_filters(client, shanxi_round, admin):
    accounts(shanxi_round.province, 120, 0)
    response = client.get(ACCOUNTS + "?state=never&city=太原市&page=2")
    html = response.content.decode()
    # 60 in 太原市, none signed in: two pages of 50.
    assert response.context["page"].paginator.count == 60
    assert 'aria-current="page"><span class="page-link">2<' in html
    assert 'href="?state=never&amp;city=%E5%A4%AA%E5%8E%9F%E5%B8%82&amp;page=1"' in html
    jump = re.search(r'<form method="get" class="d-flex[^"]*">(.*?)</form>', html, re.S).group(1)
    assert '<input type="hidden" name="state" value="never">' in jump
    assert '<input type="hidden" name="city" value="太原市">' in jump
    assert 'name="page" id="page-jump"' in jump and '<label for="page-jump"' in jump
    check_page(html, names=(admin.username,))


@pytest.mark.parametrize(("page", "shown"), [("abc", 1), ("999", 3), ("-1", 3), ("２", 2)])
def test_any_page_typed_in_the_jump_box_shows_a_page(client, shanxi_round, page, shown):
    accounts(shanxi_round.province, 120, 0)
    response = client.get(ACCOUNTS, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown


# -- 学校账号 ---------------------------------------------------------------------------------


def test_accounts_filter_by_state(client, shanxi_round):
    province = shanxi_round.province
    never = accounts(province, 2, 0, must_change_password=True)
    signed_in = accounts(province, 1, 10, last_login=timezone.now(), must_change_password=True)
    changed = accounts(province, 1, 20, last_login=timezone.now(), must_change_password=False)
    stopped = accounts(province, 1, 30, is_active=False, last_login=timezone.now())
    School.objects.create(
        code="1400000099", name="无账号学院", kind=SchoolKind.OTHER, province=province
    )

    def listed(state):
        return set(codes(client.get(ACCOUNTS, {"state": state})))

    def of(users):
        return {u.school.code for u in users}

    assert listed("never") == of(never)
    assert listed("initial") == of(never + signed_in)
    assert listed("inactive") == of(stopped)
    assert listed("none") == {"1400000099"}
    assert len(listed("")) == 6 and len(listed("nonsense")) == 6  # unknown means 全部
    assert of(changed) <= listed("")
    html = client.get(ACCOUNTS, {"state": "never"}).content.decode()
    assert '<option value="never" selected>未登录过</option>' in html and "最近登录" in html


def test_accounts_sort_by_last_login_and_city(client, shanxi_round):
    province = shanxi_round.province
    early = accounts(province, 1, 0, last_login=timezone.now() - timedelta(days=3))[0]
    late = accounts(province, 1, 10, last_login=timezone.now())[0]
    never = accounts(province, 1, 20)[0]
    order = codes(client.get(ACCOUNTS, {"sort": "-last_login"}))
    assert order == [late.school.code, early.school.code, never.school.code]
    order = codes(client.get(ACCOUNTS, {"sort": "last_login"}))
    assert order[0] == never.school.code
    cities = [s.city for s in client.get(ACCOUNTS, {"sort": "city"}).context["page"]]
    assert cities == sorted(cities)


def test_accounts_queries_do_not_grow(client, shanxi_round):
    province = shanxi_round.province
    paths = [ACCOUNTS, ACCOUNTS + "?state=initial&city=太原市&sort=-last_login&q=14&page=2"]
    accounts(province, 5, 0)
    small = [queries(client, p) for p in paths]
    accounts(province, 150, 100, last_login=timezone.now())
    assert School.objects.filter(province=province).count() == 155
    assert [queries(client, p) for p in paths] == small


# -- 本省进度 ---------------------------------------------------------------------------------


def test_progress_list_filters_by_city(client, shanxi_round, admin):
    province = shanxi_round.province
    taiyuan = school_in_state(province, shanxi_round, "submitted", admin, city="太原市")
    school_in_state(province, shanxi_round, "filling", admin, city="大同市")
    response = client.get("/province/", {"city": "太原市"})
    assert codes(response) == [taiyuan.code]
    html = response.content.decode()
    assert '<option value="太原市" selected>太原市</option>' in html
    # The counts above the list stay the province's.
    assert sum(n for _v, _l, n in response.context["statuses"]) == 2
    assert len(codes(client.get("/province/", {"city": "不存在市"}))) == 2


# -- 年度绩效's unit list -------------------------------------------------------------------


@pytest.fixture
def year(shanxi_round):
    return ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )


def test_yearly_unit_list_search_city_and_sort(client, shanxi_round, admin, year):
    province = shanxi_round.province
    a = school_in_state(province, shanxi_round, "approved", admin, name="甲职业学院", city="太原市")
    b = school_in_state(province, shanxi_round, "approved", admin, name="乙技师学院", city="大同市")
    url = f"/province/reporting/{year.pk}/"
    assert codes(client.get(url, {"q": "技师"})) == [b.code]
    assert codes(client.get(url, {"q": a.code[:6]})) == sorted([a.code, b.code])
    assert codes(client.get(url, {"q": a.code})) == [a.code]
    assert codes(client.get(url, {"city": "太原市"})) == [a.code]
    by_name = [s.code for s in sorted([a, b], key=lambda s: s.name)]  # the database's order
    assert codes(client.get(url, {"sort": "name"})) == by_name
    html = client.get(url, {"q": "技师"}).content.decode()
    assert 'name="q" value="技师"' in html


def test_yearly_unit_list_queries_do_not_grow(client, shanxi_round, admin, year):
    province = shanxi_round.province
    url = f"/province/reporting/{year.pk}/"
    paths = [url, url + "?q=14&city=太原市&sort=submitted&status=not_started&page=1"]
    for _ in range(2):
        school_in_state(province, shanxi_round, "approved", admin, city="太原市")
    small = [queries(client, p) for p in paths]
    for _ in range(20):
        school_in_state(province, shanxi_round, "approved", admin, city="太原市")
    assert User.objects.filter(school__province=province).count() == 22
    assert [queries(client, p) for p in paths] == small
