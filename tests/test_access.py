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


def _admin_sign_in(client, username, password, *, captcha=None):
    from tests.conftest import captcha_answer

    page = client.get("/admin/login/")
    assert page.status_code == 200
    key, answer = captcha_answer(page.content.decode())
    return client.post(
        "/admin/login/",
        {
            "username": username,
            "password": password,
            "captcha_0": key,
            "captcha_1": answer if captcha is None else captcha,
            "next": "/admin/",
        },
    )


def test_django_admin_sign_in_asks_for_the_captcha_and_locks_out(client, django_user_model):
    from axes.models import AccessAttempt

    django_user_model.objects.create_superuser(username="ops", password="Ops-Pass-2026")
    page = client.get("/admin/login/").content.decode()
    assert 'name="captcha_1"' in page and "验证码" in page
    wrong_captcha = _admin_sign_in(client, "ops", "Ops-Pass-2026", captcha="zzzz")
    assert wrong_captcha.status_code == 200 and "验证码错误" in wrong_captcha.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()  # a mistyped captcha is not a guessed password
    statuses = [_admin_sign_in(client, "ops", "wrong").status_code for _ in range(5)]
    assert statuses[-1] == 429, statuses
    assert _admin_sign_in(client, "ops", "Ops-Pass-2026").status_code == 429
    assert "_auth_user_id" not in client.session
    AccessAttempt.objects.all().delete()
    assert _admin_sign_in(client, "ops", "Ops-Pass-2026").status_code == 302
