"""Each role reaches its own pages only; lists run a fixed number of queries."""

import pytest

from schools.choices import SchoolKind
from tests.factories import ProvinceAdminFactory, SchoolFactory, SchoolUserFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "school": ["/school/profile/"],
    "province": ["/province/"],
    "ministry": ["/ministry/"],
}


@pytest.fixture
def users(school_user, province_admin, ministry_user):
    return {"school": school_user, "province": province_admin, "ministry": ministry_user}


@pytest.mark.parametrize("role", ["school", "province", "ministry"])
def test_each_role_opens_its_own_pages(client, users, role):
    client.force_login(users[role])
    for path in PAGES[role]:
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("role", "owner"),
    [(r, o) for r in PAGES for o in PAGES if r != o],
)
def test_other_roles_get_403(client, users, role, owner):
    client.force_login(users[role])
    for path in PAGES[owner]:
        response = client.get(path)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()


@pytest.mark.parametrize("role", ["school", "province", "ministry"])
def test_only_operators_open_django_admin(client, users, role):
    client.force_login(users[role])
    assert client.get("/admin/").status_code == 302  # the admin's own sign-in page


def test_operator_goes_to_admin(client, django_user_model):
    operator = django_user_model.objects.create_superuser("ops", "", "Operat0r1")
    client.force_login(operator)
    assert client.get("/").url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tasks/item/").status_code == 200
    assert client.get("/admin/schools/school/").status_code == 200


def test_province_home_lists_only_its_own_schools(client, province_admin, school_user):
    other = SchoolFactory()  # another province
    client.force_login(province_admin)
    html = client.get("/province/").content.decode()
    assert school_user.school.name in html
    assert other.name not in html


def test_province_home_search_and_filter(client, province_admin):
    province = province_admin.province
    SchoolFactory(province=province, name="甲职业学院", code="4199000001")
    SchoolFactory(
        province=province, name="乙中职学校", code="3199000002", kind=SchoolKind.SECONDARY
    )
    client.force_login(province_admin)
    html = client.get("/province/?q=甲").content.decode()
    assert "甲职业学院" in html and "乙中职学校" not in html
    html = client.get("/province/?q=3199").content.decode()
    assert "乙中职学校" in html and "甲职业学院" not in html
    html = client.get("/province/?kind=secondary").content.decode()
    assert "乙中职学校" in html and "甲职业学院" not in html


def _schools(province, n):
    for _ in range(n):
        SchoolUserFactory(school__province=province)


@pytest.mark.parametrize("n", [2, 120])
def test_province_home_query_count_is_fixed(client, django_assert_max_num_queries, n):
    admin = ProvinceAdminFactory()
    _schools(admin.province, n)
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        response = client.get("/province/?page=2" if n > 50 else "/province/")
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_ministry_home_query_count_is_fixed(
    client, reference_data, ministry_user, django_assert_max_num_queries, n
):
    from schools.models import Province

    for province in Province.objects.all()[:n]:
        _schools(province, 3)
        ProvinceAdminFactory(province=province)
    client.force_login(ministry_user)
    with django_assert_max_num_queries(6):
        response = client.get("/ministry/")
    html = response.content.decode()
    assert "新疆生产建设兵团" in html
    assert response.context["totals"]["school_count"] == 3 * n
    assert response.context["totals"]["admins"] == n
