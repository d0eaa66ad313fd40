"""Every page of the foundation is Chinese, has labelled inputs and needs no script."""

import pytest
from django.test import Client

from tests.html_checks import check_page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/catalogue/", "/help/", "/login/school/", "/login/province/", "/login/ministry/"],
)
def test_public_pages(client, reference_data, path):
    response = client.get(path)
    assert response.status_code == 200
    check_page(response.content.decode())


@pytest.mark.parametrize(
    ("fixture", "paths"),
    [
        ("school_user", ["/school/profile/", "/account/password/", "/catalogue/"]),
        (
            "province_admin",
            ["/province/", "/province/queue/", "/province/by-item/", "/account/password/"],
        ),
        ("ministry_user", ["/ministry/", "/account/password/"]),
    ],
)
def test_signed_in_pages(client, request, reference_data, fixture, paths):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        check_page(response.content.decode(), names=(user.username,))


@pytest.mark.parametrize(
    ("fixture", "whom"),
    [
        (None, "登录后在“省级平台联系人”中查看"),
        ("school_user", 'href="/school/province-contacts/"'),
        ("province_admin", "请按教育部通知中公布的联系方式"),
    ],
)
def test_help_says_whom_to_call(client, request, reference_data, settings, fixture, whom):
    if fixture:
        client.force_login(request.getfixturevalue(fixture))
    html = client.get("/help/").content.decode()
    assert whom in html
    sections = ("学校填报步骤", "省级管理员审核步骤", "数字的含义（口径）", "意向承接", "已通过")
    assert all(section in html for section in sections)
    settings.HELPDESK = "教育部职成司平台工作组 010-66000000"
    assert "请联系教育部职成司平台工作组 010-66000000。" in client.get("/help/").content.decode()


def test_pages_with_errors_are_still_chinese(client, school_user):
    client.force_login(school_user)
    response = client.post("/account/password/", {"old_password": "", "mobile": "1"})
    check_page(response.content.decode())
    response = client.post("/school/profile/", {"contact_name": "", "office_phone": "x"})
    check_page(response.content.decode())


def test_error_pages(client, school_user):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    check_page(response.content.decode())
    client.force_login(school_user)
    response = client.get("/ministry/")
    assert response.status_code == 403
    check_page(response.content.decode())


def test_lockout_page(client, school_user):
    from tests.conftest import sign_in

    for _ in range(5):
        response = sign_in(client, "school", school_user.username, "Wrong1234")
    assert response.status_code == 429
    check_page(response.content.decode())


def test_missing_csrf_token_gets_a_chinese_403_and_changes_nothing(school_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(school_user)
    response = client.post(
        "/school/profile/",
        {"contact_name": "王老师", "office_phone": "010-87654321", "mobile": "13900000000"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期，请刷新后重试" in html
    check_page(html)
    school_user.school.refresh_from_db()
    assert school_user.school.contact_name == "张老师"


def test_profile_saves_contacts(client, school_user):
    client.force_login(school_user)
    response = client.post(
        "/school/profile/",
        {"contact_name": "王老师", "office_phone": "010-87654321", "mobile": "13900000000"},
    )
    assert response.status_code == 302
    school_user.school.refresh_from_db()
    assert school_user.school.contact_name == "王老师"


def test_profile_refuses_bad_contacts_and_keeps_input(client, school_user):
    client.force_login(school_user)
    response = client.post(
        "/school/profile/",
        {"contact_name": "王老师", "office_phone": "87654321", "mobile": "13900000000"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "办公电话格式应为" in html and 'value="王老师"' in html
    school_user.school.refresh_from_db()
    assert school_user.school.office_phone == "0351-1234567"
