"""学校账号: add, import, reset, deactivate — only within the admin's own province."""

import io
import re

import pytest
from django.test import Client
from openpyxl import Workbook

from schools.choices import SchoolKind
from schools.models import School, User
from tests.conftest import sign_in
from tests.factories import SchoolFactory, SchoolUserFactory
from tests.html_checks import check_page

pytestmark = pytest.mark.django_db
URL = "/province/accounts/"


@pytest.fixture
def client(client, province_admin):
    client.force_login(province_admin)
    return client


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["学校标识码", "学校名称", "学校类型", "所在地市"])
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "学校名单.xlsx"
    return buffer


def test_accounts_page(client, school_user, province_admin):
    html = client.get(URL).content.decode()
    assert school_user.school.name in html and "添加学校" in html and "批量导入" in html
    assert f'aria-label="{school_user.school.code} 重置密码"' in html
    check_page(html, names=(province_admin.username,))


def test_add_a_school(client, shanxi):
    response = client.post(
        URL + "add/",
        {
            "code": "4114099999",
            "name": "新增职业学院",
            "kind": SchoolKind.JUNIOR_COLLEGE,
            "city": "晋城市",
        },
    )
    assert response.status_code == 302
    school = School.objects.get(code="4114099999")
    assert (school.province_id, school.name, school.city) == ("14", "新增职业学院", "晋城市")
    account = User.objects.get(username="4114099999")
    assert account.must_change_password and account.check_password("123456")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("41140999", "应为10位数字"),
        ("abcdefghij", "应为10位数字"),
        ("EXISTING", "已存在"),
        ("OTHER", "已存在"),
    ],
)
def test_add_refused(client, shanxi, school_user, code, message):
    other = SchoolFactory()
    code = {"EXISTING": school_user.school.code, "OTHER": other.code}.get(code, code)
    before = School.objects.count(), User.objects.count()
    response = client.post(
        URL + "add/", {"code": code, "name": "某学院", "kind": SchoolKind.SECONDARY}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (School.objects.count(), User.objects.count()) == before
    other.refresh_from_db()
    assert other.province_id != "14"


def test_import_a_file(client, shanxi):
    response = client.post(
        URL + "import/",
        {
            "file": xlsx(
                [
                    ["4114088881", "导入甲学院", "专科高职院校", "太原市"],
                    ["3114088882", "导入乙学校", "中职学校", "大同市"],
                ]
            )
        },
    )
    assert response.status_code == 302
    assert (
        School.objects.filter(province=shanxi, code__in=["4114088881", "3114088882"]).count() == 2
    )
    assert "新增学校 2 所" in client.get(URL).content.decode()


def test_import_lists_every_bad_row_and_imports_nothing(client, shanxi):
    before = School.objects.count()
    response = client.post(
        URL + "import/",
        {
            "file": xlsx(
                [
                    ["4114088881", "导入甲学院", "专科高职院校", "太原市"],
                    ["123", "坏行", "中职学校", ""],
                    ["4114088883", "丙", "高职", ""],
                ]
            )
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "第3行：学校标识码“123”应为10位数字。" in html and "第4行：学校类型“高职”无效" in html
    assert "文件有 2 处错误，未导入任何学校" in html
    assert School.objects.count() == before


def test_import_without_a_file(client, shanxi):
    assert client.post(URL + "import/", {}).status_code == 400


def test_reset_password_gives_a_one_time_password_shown_once(client, school_user):
    response = client.post(URL + f"{school_user.school.code}/reset-password/", {"confirmed": "1"})
    assert response.status_code == 302
    shown = client.get(response.url).content.decode()
    found = re.search(r"临时密码：([A-Za-z0-9]{12})（只显示这一次", shown)
    assert found, "the one-time password, on the page after the reset"
    password = found.group(1)
    assert password not in client.get(response.url).content.decode()  # shown once
    school_user.refresh_from_db()
    assert school_user.must_change_password and school_user.check_password(password)
    assert not school_user.check_password("123456")  # never the public initial password
    school = Client()
    assert sign_in(school, "school", school_user.username, password).url == "/account/password/"
    assert sign_in(Client(), "school", school_user.username, "123456").status_code == 400


def test_deactivate_and_reactivate(client, school_user):
    school = Client()
    school.force_login(school_user)
    client.post(URL + f"{school_user.school.code}/active/", {"active": "0", "confirmed": "1"})
    school_user.refresh_from_db()
    assert not school_user.is_active
    assert school.get("/school/commitments/").status_code == 302  # signed out
    assert "该账号已停用" in sign_in(Client(), "school", school_user.username).content.decode()
    client.post(URL + f"{school_user.school.code}/active/", {"active": "1"})
    school_user.refresh_from_db()
    assert school_user.is_active
    assert (
        client.post(URL + f"{school_user.school.code}/active/", {"active": "maybe"}).status_code
        == 400
    )


def test_account_actions_need_post(client, school_user):
    assert client.get(URL + f"{school_user.school.code}/reset-password/").status_code == 405
    assert client.get(URL + f"{school_user.school.code}/active/").status_code == 405


def test_school_without_account(client, shanxi):
    school = SchoolFactory(province=shanxi)
    assert (
        client.post(URL + f"{school.code}/reset-password/", {"confirmed": "1"}).status_code == 404
    )


def test_search(client, shanxi):
    SchoolUserFactory(school__province=shanxi, school__name="甲乙丙学院")
    SchoolUserFactory(school__province=shanxi, school__name="丁戊学院")
    page = client.get(URL, {"q": "甲乙"}).context["page"]
    assert [s.name for s in page] == ["甲乙丙学院"]


def test_add_school_reports_every_field_in_one_pass(client, school_user):
    other = SchoolFactory()  # in another province
    response = client.post(URL + "add/", {"code": other.code, "name": "", "kind": ""})
    assert response.status_code == 400
    html = response.content.decode()
    # The code's registry check runs although the name and kind are missing.
    assert f"学校标识码{other.code}已存在，不能重复添加。" in html
    assert "请填写学校名称。" in html and "请选择学校类型。" in html
    assert "这个字段是必须的" not in html
    assert not School.objects.filter(name="").exists()


def test_add_school_bad_code_and_missing_name_together(client, school_user):
    response = client.post(URL + "add/", {"code": "12345", "name": "", "kind": "secondary"})
    html = response.content.decode()
    assert "学校标识码应为10位数字。" in html and "请填写学校名称。" in html


def test_add_school_taken_code_is_at_the_field(client, school_user):
    code = school_user.school.code
    response = client.post(URL + "add/", {"code": code, "name": "新学院", "kind": "secondary"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'id="error_1_id_code"[^>]*><strong>学校标识码{code}已存在', html)
