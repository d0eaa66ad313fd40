"""Each role reaches its own pages only; lists run a fixed number of queries."""

import pytest

from tests.factories import ProvinceAdminFactory, SchoolUserFactory

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


def _schools(province, n):
    for _ in range(n):
        SchoolUserFactory(school__province=province)


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
