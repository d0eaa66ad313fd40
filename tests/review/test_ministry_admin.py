"""The ministry's administration: province admin accounts and the catalogue, without a
developer; every ministry page refuses school and province accounts."""

import re

import pytest
from django.test import Client

from schools.choices import Role
from schools.models import User
from tasks.models import AuditEvent, Category, Item, Plan, Round, Task
from tests.conftest import sign_in
from tests.factories import ProvinceAdminFactory, SchoolUserFactory
from tests.html_checks import check_page

pytestmark = pytest.mark.django_db

MINISTRY_PAGES = [
    "/ministry/",
    "/ministry/tables/provinces/",
    "/ministry/tables/items/",
    "/ministry/tables/provinces/?format=xlsx",
    "/ministry/tables/items/?format=xlsx",
    "/ministry/exports/",
    "/ministry/admins/",
    "/ministry/admins/new/",
    "/ministry/audit/",
    "/ministry/provinces/14/",
    "/ministry/provinces/14/own/",
    "/ministry/provinces/14/export/",
    "/ministry/catalogue/",
    "/ministry/catalogue/plans/1/",
    "/ministry/catalogue/plans/add/",
    "/ministry/catalogue/plans/1/edit/",
    "/ministry/catalogue/plans/1/categories/add/",
    "/ministry/catalogue/plans/1/tasks/add/",
    "/ministry/catalogue/categories/1/edit/",
    "/ministry/catalogue/tasks/1/edit/",
    "/ministry/catalogue/tasks/1/items/add/",
    "/ministry/catalogue/items/1/edit/",
]
POSTED = {"confirmed": "1", "code": "x", "name": "x", "number": "99", "text": "x"}
# Every POST of 目录维护 (a refused one must change nothing).
CATALOGUE_POSTS = [
    "/ministry/catalogue/plans/add/",
    "/ministry/catalogue/plans/1/edit/",
    "/ministry/catalogue/plans/1/delete/",
    "/ministry/catalogue/plans/1/categories/add/",
    "/ministry/catalogue/plans/1/tasks/add/",
    "/ministry/catalogue/categories/1/edit/",
    "/ministry/catalogue/categories/1/delete/",
    "/ministry/catalogue/tasks/1/edit/",
    "/ministry/catalogue/tasks/1/delete/",
    "/ministry/catalogue/tasks/1/items/add/",
    "/ministry/catalogue/items/1/edit/",
    "/ministry/catalogue/items/1/delete/",
]


@pytest.fixture
def client(client, ministry_user, reference_data):
    client.force_login(ministry_user)
    return client


# -- province admin accounts ----------------------------------------------------------------


def temporary_password(html):
    return re.search(r"(?:初始密码|临时密码)：([A-Za-z0-9]+)", html).group(1)


def test_create_a_province_admin_with_a_generated_password(client):
    response = client.post("/ministry/admins/new/", {"username": "hn_admin", "province": "41"})
    assert response.status_code == 302
    html = client.get("/ministry/admins/").content.decode()
    password = temporary_password(html)
    user = User.objects.get(username="hn_admin")
    assert (user.role, user.province_id, user.must_change_password) == (Role.PROVINCE, "41", True)
    assert user.check_password(password)
    assert sign_in(Client(), "province", "hn_admin", password).url == "/account/password/"


def test_create_with_a_chosen_password(client):
    client.post(
        "/ministry/admins/new/", {"username": "bj", "province": "11", "password": "Beijing2020bj"}
    )
    assert User.objects.get(username="bj").check_password("Beijing2020bj")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "", "province": "41"}, "请填写用户名。"),
        ({"username": "hn", "province": ""}, "请选择省级单位。"),
        ({"username": "x y", "province": "41"}, "用户名"),
        ({"username": "hn", "province": "99"}, "省级单位：“99”不是可选的选项"),
        ({"username": "hn", "province": "41", "password": "short"}, "密码长度应为6-20位"),
        (
            {"username": "hn", "province": "41", "password": "Henan2020a"},
            "管理员账号的密码至少12位",
        ),
        ({"username": "hn", "province": "41", "password": "password123"}, "这个密码太常见了"),
        ({"username": "EXISTING", "province": "41"}, "已存在"),
        ({"username": "hn", "province": "41", "email": "hn@"}, "电子邮箱格式不正确"),
    ],
)
def test_create_refused(client, data, message):
    ProvinceAdminFactory(username="existing")
    before = User.objects.count()
    response = client.post("/ministry/admins/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_create_with_an_email_for_notices(client):
    client.post(
        "/ministry/admins/new/", {"username": "bj", "province": "11", "email": " bj@moe.example "}
    )
    user = User.objects.get(username="bj")
    assert (user.email, user.mail_address) == ("bj@moe.example", "bj@moe.example")
    event = AuditEvent.objects.for_subject(user).get()
    assert event.changes["fields"]["电子邮箱"] == [None, "bj@moe.example"]
    assert "bj@moe.example" in client.get("/ministry/admins/").content.decode()


def test_reset_and_deactivate_a_province_admin(client):
    admin = ProvinceAdminFactory()
    client.post(f"/ministry/admins/{admin.pk}/reset/", {"confirmed": "1"})
    password = temporary_password(client.get("/ministry/admins/").content.decode())
    admin.refresh_from_db()
    assert admin.check_password(password) and admin.must_change_password
    client.post(f"/ministry/admins/{admin.pk}/active/", {"active": "0", "confirmed": "1"})
    admin.refresh_from_db()
    assert not admin.is_active
    client.post(f"/ministry/admins/{admin.pk}/active/", {"active": "1"})
    admin.refresh_from_db()
    assert admin.is_active


def test_account_actions_only_on_province_admins(client, school_user, ministry_user):
    for target in (school_user, ministry_user):
        reset = client.post(f"/ministry/admins/{target.pk}/reset/", {"confirmed": "1"})
        assert reset.status_code == 404
        assert (
            client.post(
                f"/ministry/admins/{target.pk}/active/", {"active": "0", "confirmed": "1"}
            ).status_code
            == 404
        )
    school_user.refresh_from_db()
    assert school_user.is_active


def test_admins_page_lists_provinces_without_an_admin(client, ministry_user):
    ProvinceAdminFactory(province_id="14")
    html = client.get("/ministry/admins/").content.decode()
    assert "还没有启用的省级管理员" in html and "北京市" in html
    check_page(html, names=tuple(User.objects.values_list("username", flat=True)))


# -- the catalogue (目录维护; its pages are tested in test_catalogue.py) -----------------------


def test_ministry_adds_a_plan_and_opens_it_to_provinces(client, school_user):
    response = client.post(
        "/ministry/catalogue/plans/add/",
        {
            "code": "reform-2023",
            "name": "现代职业教育体系建设改革重点任务",
            "document_no": "教职成司函〔2023〕",
            "start_year": "2023",
            "end_year": "2025",
            "is_current": "on",
            "report_deadline_month": "12",
            "report_deadline_day": "15",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get(code="reform-2023")
    assert plan.is_current and not Plan.objects.get(code="tzpy-2020").is_current

    response = client.post(
        f"/ministry/catalogue/plans/{plan.pk}/categories/add/",
        {"number": "1", "name": "建设市域产教联合体"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(plan=plan)

    response = client.post(
        f"/ministry/catalogue/plans/{plan.pk}/tasks/add/",
        {
            "category": str(category.pk),
            "number": "1",
            "text": "建设市域产教联合体",
            "departments": "教育部，各地有关部门",
            "on_platform": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get(plan=plan)
    response = client.post(
        f"/ministry/catalogue/tasks/{task.pk}/items/add/",
        {
            "code": "1",
            "sub_number": "0",
            "text": "建设市域产教联合体",
            "has_quantity": "on",
            "scope": "school",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new_item = Item.objects.get(task__plan=plan)

    # The province opens the new plan's round from its own settings page, unchanged code.
    province_admin = ProvinceAdminFactory(province=school_user.school.province)
    province = Client()
    province.force_login(province_admin)
    html = province.get("/province/round/").content.decode()
    assert "现代职业教育体系建设改革重点任务" in html and "建设市域产教联合体" in html
    response = province.post(
        "/province/round/",
        {"start_date": "2026-01-01", "end_date": "2026-12-31", "items": [str(new_item.pk)]},
    )
    assert response.status_code == 302
    assert Round.objects.get(plan=plan).items.get() == new_item

    school = Client()
    school.force_login(school_user)
    assert 'aria-label="1 承接数量"' in school.get("/school/commitments/").content.decode()
    assert "建设市域产教联合体" in Client().get("/catalogue/").content.decode()


def test_catalogue_edit_is_recorded(client):
    task = Task.objects.get(number=10)
    response = client.post(
        f"/ministry/catalogue/tasks/{task.pk}/edit/",
        {
            "category": task.category_id,
            "number": "10",
            "text": task.text,
            "departments": "教育部，各地有关部门（修订）",
            "on_platform": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Task.objects.get(pk=task.pk).departments.endswith("（修订）")
    event = AuditEvent.objects.for_subject(task).get()
    assert event.changes["fields"]["责任部门"] == [task.departments, "教育部，各地有关部门（修订）"]


def test_catalogue_pages_are_the_portals_own(client):
    html = client.get("/ministry/catalogue/").content.decode()
    assert "目录维护" in html and "行动计划" in html and "添加行动计划" in html
    check_page(html, names=tuple(User.objects.values_list("username", flat=True)))
    assert "/static/admin/" not in html  # not Django admin's look


def test_django_admin_no_longer_serves_the_ministry(client):
    assert client.get("/ministry/catalogue/tasks/plan/").status_code == 404
    assert client.get("/admin/tasks/plan/").status_code == 302  # operators' sign-in


# -- nobody else opens a ministry page ------------------------------------------------------


@pytest.mark.parametrize("role", ["school", "province"])
def test_school_and_province_accounts_get_403_on_every_ministry_page(reference_data, role):
    user = SchoolUserFactory() if role == "school" else ProvinceAdminFactory()
    other = ProvinceAdminFactory()
    client = Client()
    client.force_login(user)
    for path in MINISTRY_PAGES:
        assert client.get(path).status_code == 403, path
    for path in [
        "/ministry/exports/",
        "/ministry/admins/new/",
        f"/ministry/admins/{other.pk}/reset/",
        f"/ministry/admins/{other.pk}/active/",
        *CATALOGUE_POSTS,
    ]:
        assert (
            client.post(
                path, {**POSTED, "active": "0", "username": "x", "province": "14"}
            ).status_code
            == 403
        ), path
    other.refresh_from_db()
    assert other.is_active and not User.objects.filter(username="x").exists()
    assert not Plan.objects.exclude(code="tzpy-2020").exists()
    assert Item.objects.filter(pk=1).exists() and Plan.objects.filter(pk=1).exists()


def test_anonymous_is_sent_to_the_ministry_sign_in(reference_data):
    for path in ["/ministry/", "/ministry/catalogue/", "/ministry/catalogue/items/1/edit/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response.url.startswith("/login/ministry/"), path
