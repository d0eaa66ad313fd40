"""修改密码: the forced change on the initial password, its rules and the contact rules."""

import re

import pytest
from django.contrib.auth.hashers import make_password

from schools.models import User
from schools.validators import mobile_validator, office_phone_validator
from tests.conftest import sign_in
from tests.factories import SchoolUserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "old_password": "123456",
    "new_password1": "Xuexiao2026",
    "new_password2": "Xuexiao2026",
    "contact_name": "李老师",
    "office_phone": "0351-3046505",
    "mobile": "13912345678",
}


@pytest.fixture
def new_school_user(db):
    """A school account as import_schools creates it: initial password, no contacts."""
    user = SchoolUserFactory(
        school__contact_name="",
        school__office_phone="",
        school__mobile="",
        must_change_password=True,
    )
    user.password = make_password("123456")
    user.save()
    return user


@pytest.fixture
def forced(client, new_school_user):
    response = sign_in(client, "school", new_school_user.username, "123456")
    assert response.status_code == 302
    assert response.url == "/account/password/"
    return client


def field_errors(response, field):
    """The error messages shown inside the field's own block of the page."""
    html = response.content.decode()
    return re.findall(rf'id="error_\d+_id_{field}"[^>]*><strong>([^<]+)</strong>', html)


def test_initial_password_leads_to_the_password_page_with_its_fields(forced):
    html = forced.get("/account/password/").content.decode()
    for label in ["旧密码", "新密码", "重新输入新密码", "平台管理联系人", "办公电话", "手机号"]:
        assert label in html
    assert "密码规则：6-20位数字和字母混合组成" in html


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/school/profile/",
        "/catalogue/",
        "/province/",
        "/ministry/",
        "/admin/",
        "/login/school/",
        "/no-such-page/",
    ],
)
def test_forced_change_cannot_be_skipped_by_typing_a_url(forced, path):
    response = forced.get(path)
    assert response.status_code == 302
    assert response.url == "/account/password/"


def test_forced_change_cannot_be_skipped_by_posting_elsewhere(forced, new_school_user):
    response = forced.post(
        "/school/profile/",
        {"contact_name": "x", "office_phone": "010-12345678", "mobile": "13900000000"},
    )
    assert response.url == "/account/password/"
    new_school_user.school.refresh_from_db()
    assert new_school_user.school.contact_name == ""


def test_good_change_releases_the_account_and_saves_contacts(forced, new_school_user):
    response = forced.post("/account/password/", GOOD)
    assert response.status_code == 302
    assert response.url == "/"
    user = User.objects.get(pk=new_school_user.pk)
    assert not user.must_change_password
    assert user.check_password("Xuexiao2026")
    school = user.school
    assert (school.contact_name, school.office_phone, school.mobile) == (
        "李老师",
        "0351-3046505",
        "13912345678",
    )
    # Still signed in, and now the home page opens.
    assert forced.get("/").url == "/school/commitments/"
    assert forced.get("/school/profile/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"new_password1": "ab1", "new_password2": "ab1"}, "new_password1", "密码长度应为6-20位。"),
        (
            {"new_password1": "abc123456789012345678", "new_password2": "abc123456789012345678"},
            "new_password1",
            "密码长度应为6-20位。",
        ),
        (
            {"new_password1": "abcdefgh", "new_password2": "abcdefgh"},
            "new_password1",
            "密码须由数字和字母混合组成。",
        ),
        (
            {"new_password1": "12345678", "new_password2": "12345678"},
            "new_password1",
            "密码须由数字和字母混合组成。",
        ),
        (
            {"new_password1": "123456", "new_password2": "123456"},
            "new_password1",
            "新密码不能是初始密码123456。",
        ),
        (
            {"new_password1": "abc 12345", "new_password2": "abc 12345"},
            "new_password1",
            "密码只能包含字母、数字和英文标点，不能有空格或中文。",
        ),
        (
            {"new_password1": "密码abc123", "new_password2": "密码abc123"},
            "new_password1",
            "密码只能包含字母、数字和英文标点，不能有空格或中文。",
        ),
        ({"new_password2": "Xuexiao2027"}, "new_password2", "两次输入的新密码不一致。"),
        ({"old_password": "654321"}, "old_password", "旧密码不正确，请重新输入。"),
        ({"old_password": ""}, "old_password", "请输入旧密码。"),
        ({"new_password1": ""}, "new_password1", "请输入新密码。"),
        ({"contact_name": ""}, "contact_name", "请填写平台管理联系人。"),
        ({"office_phone": ""}, "office_phone", "请填写办公电话。"),
        (
            {"office_phone": "87654321"},
            "office_phone",
            office_phone_validator.message,
        ),
        (
            {"office_phone": "010 87654321"},
            "office_phone",
            office_phone_validator.message,
        ),
        (
            {"office_phone": "10-87654321"},
            "office_phone",
            office_phone_validator.message,
        ),
        (
            {"office_phone": "010-876"},
            "office_phone",
            office_phone_validator.message,
        ),
        ({"mobile": ""}, "mobile", "请填写手机号。"),
        ({"mobile": "1391234567"}, "mobile", mobile_validator.message),
        ({"mobile": "23912345678"}, "mobile", mobile_validator.message),
        ({"mobile": "139123456789"}, "mobile", mobile_validator.message),
        # 12x is no mobile range; an extension has 1-6 digits.
        ({"mobile": "12345678901"}, "mobile", "手机号应为11位数字，以13-19开头，如13812345678。"),
        ({"office_phone": "010-87654321-1234567"}, "office_phone", office_phone_validator.message),
    ],
)
def test_each_rule_is_shown_at_its_field_and_nothing_changes(
    forced, new_school_user, changes, field, message
):
    response = forced.post("/account/password/", {**GOOD, **changes})
    assert response.status_code == 200
    assert message in field_errors(response, field)
    user = User.objects.get(pk=new_school_user.pk)
    assert user.must_change_password and user.check_password("123456")
    assert user.school.contact_name == ""
    # What was typed in the other fields is still on the page.
    html = response.content.decode()
    for name in ("contact_name", "office_phone", "mobile"):
        value = {**GOOD, **changes}[name]
        if value and name != field:
            assert f'value="{value}"' in html


def test_password_equal_to_the_username_is_refused(forced, new_school_user):
    # A username with letters and digits, so only the username rule is broken.
    User.objects.filter(pk=new_school_user.pk).update(username="school2020")
    forced.force_login(User.objects.get(pk=new_school_user.pk))
    response = forced.post(
        "/account/password/", {**GOOD, "new_password1": "School2020", "new_password2": "School2020"}
    )
    assert "密码不能与用户名相同。" in field_errors(response, "new_password1")


def test_new_password_must_differ_from_the_old(client, school_user):
    client.force_login(school_user)
    response = client.post(
        "/account/password/",
        {
            "old_password": "Zhiye2026Pw",
            "new_password1": "Zhiye2026Pw",
            "new_password2": "Zhiye2026Pw",
            "contact_name": "张老师",
            "office_phone": "0351-1234567",
            "mobile": "13800000000",
        },
    )
    assert "新密码不能与旧密码相同。" in field_errors(response, "new_password1")


def test_full_width_digits_from_a_chinese_input_method_are_accepted(forced, new_school_user):
    response = forced.post(
        "/account/password/",
        {**GOOD, "office_phone": "０３５１－３０４６５０５", "mobile": "１３９１２３４５６７８"},
    )
    assert response.status_code == 302
    school = User.objects.get(pk=new_school_user.pk).school
    assert (school.office_phone, school.mobile) == ("0351-3046505", "13912345678")


def test_several_errors_are_shown_at_once(forced):
    response = forced.post("/account/password/", {**GOOD, "new_password2": "x", "mobile": "1"})
    assert field_errors(response, "new_password2") and field_errors(response, "mobile")


def test_province_admin_changes_password_without_contact_fields(client, province_admin):
    client.force_login(province_admin)
    html = client.get("/account/password/").content.decode()
    assert "平台管理联系人" not in html
    response = client.post(
        "/account/password/",
        {
            "old_password": "Zhiye2026Pw",
            "new_password1": "Xinmima2026q",
            "new_password2": "Xinmima2026q",
        },
    )
    assert response.status_code == 302
    province_admin.refresh_from_db()
    assert province_admin.check_password("Xinmima2026q")


def test_password_page_needs_sign_in(client, db):
    assert client.get("/account/password/").status_code == 302
