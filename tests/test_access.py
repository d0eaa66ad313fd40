"""Each role reaches its own pages only; lists run a fixed number of queries."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = {
    "school": ["/school/profile/"],
    "province": ["/province/"],
    "ministry": ["/ministry/", "/ministry/catalogue/", "/ministry/catalogue/plans/add/"],
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
