"""Signing in (the manual, section 2): captcha, roles, lockout."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from schools.choices import Role
from tests.conftest import captcha_answer, sign_in
from tests.factories import PASSWORD, SchoolUserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_home_offers_the_three_entries(client):
    html = client.get("/").content.decode()
    for label, role in [
        ("学校（或其他）", "school"),
        ("省级管理员", "province"),
        ("教育部", "ministry"),
    ]:
        assert label in html
        assert f'href="/login/{role}/"' in html


def test_login_form_has_the_manual_fields(client):
    html = client.get("/login/school/").content.decode()
    for field_id, label in [
        ("id_username", "用户名"),
        ("id_password", "密码"),
        ("id_captcha_1", "验证码"),
    ]:
        assert f'for="{field_id}"' in html
        assert label in html
    assert 'src="/captcha/image/' in html


@pytest.mark.parametrize(
    ("factory_fixture", "role", "home"),
    [
        ("school_user", "school", "/school/commitments/"),
        ("province_admin", "province", "/province/"),
        ("ministry_user", "ministry", "/ministry/"),
    ],
)
def test_each_role_signs_in_to_its_home(client, request, factory_fixture, role, home):
    user = request.getfixturevalue(factory_fixture)
    response = sign_in(client, role, user.username)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").url == home
    assert client.get(home).status_code == 200


def test_wrong_password_is_refused(client, school_user):
    response = sign_in(client, "school", school_user.username, "Wrong1234")
    assert response.status_code == 400
    assert "用户名或密码错误。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_message(client, db):
    response = sign_in(client, "school", "4100000000")
    assert "用户名或密码错误。" in response.content.decode()


def test_wrong_captcha_is_refused_without_checking_the_password(client, school_user):
    response = sign_in(client, "school", school_user.username, captcha="zzzz")
    assert response.status_code == 400
    assert "验证码错误，请重新输入。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()


def test_missing_captcha_is_refused(client, school_user):
    response = sign_in(client, "school", school_user.username, captcha="")
    assert "请输入验证码。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_captcha_works_once(client, school_user):
    page = client.get("/login/school/")
    key, answer = captcha_answer(page.content.decode())
    data = {
        "username": school_user.username,
        "password": "bad",
        "captcha_0": key,
        "captcha_1": answer,
    }
    client.post("/login/school/", data)
    data["password"] = PASSWORD
    response = client.post("/login/school/", data)
    assert "验证码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_captcha_test_mode_accepts_passed(client, school_user, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    response = sign_in(client, "school", school_user.username, captcha="PASSED")
    assert response.status_code == 302


def test_passed_is_refused_outside_test_mode(client, school_user):
    response = sign_in(client, "school", school_user.username, captcha="PASSED")
    assert "验证码错误" in response.content.decode()


def _captcha_test_mode_setting(**env: str) -> str:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "TIZHI_CAPTCHA_TEST_MODE"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="tizhi.settings", SECRET_KEY="x")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CAPTCHA_TEST_MODE)"
    )
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_captcha_test_mode_variable_is_ignored_without_debug():
    assert _captcha_test_mode_setting(TIZHI_CAPTCHA_TEST_MODE="1") == "False"
    assert _captcha_test_mode_setting(TIZHI_CAPTCHA_TEST_MODE="1", DEBUG="1") == "True"
    assert _captcha_test_mode_setting(DEBUG="1") == "False"


def test_school_account_cannot_sign_in_at_the_province_entry(client, school_user):
    response = sign_in(client, "province", school_user.username)
    assert response.status_code == 400
    assert "该账号不是“省级管理员”账号" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_account_is_told_so(client, school_user):
    school_user.is_active = False
    school_user.save()
    response = sign_in(client, "school", school_user.username)
    assert "该账号已停用" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_entry_is_404(client, db):
    assert client.get("/login/operator/").status_code == 404


def test_safe_next_is_followed_and_foreign_next_ignored(client, school_user):
    response = sign_in(client, "school", school_user.username, next_url="/catalogue/")
    assert response.url == "/catalogue/"
    client.logout()
    response = sign_in(client, "school", school_user.username, next_url="https://evil.example/")
    assert response.url == "/"


def test_anonymous_visit_to_a_role_page_goes_to_that_role_sign_in(client, db):
    response = client.get("/province/")
    assert response.status_code == 302
    assert response.url == "/login/province/?next=/province/"


def test_logout_needs_post_and_ends_the_session(client, school_user):
    client.force_login(school_user)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def _fail(client, username, ip="127.0.0.1"):
    return sign_in(client, "school", username, "Wrong1234", ip=ip)


def test_five_failures_lock_the_username_from_that_address(client, school_user):
    for _ in range(4):
        assert _fail(client, school_user.username).status_code == 400
    locked = _fail(client, school_user.username)
    assert locked.status_code == 429
    assert "连续5次登录失败，已被锁定30分钟" in locked.content.decode()
    # The right password does not get through while the lock holds.
    response = sign_in(client, "school", school_user.username)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_address(client, school_user):
    other = SchoolUserFactory()
    for _ in range(5):
        _fail(client, school_user.username)
    assert sign_in(client, "school", other.username).status_code == 302
    client.logout()
    assert sign_in(client, "school", school_user.username, ip="10.0.0.9").status_code == 302


def test_lockout_ends_after_thirty_minutes(client, school_user):
    for _ in range(5):
        _fail(client, school_user.username)
    assert sign_in(client, "school", school_user.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert sign_in(client, "school", school_user.username).status_code == 302


def test_success_resets_the_failure_count(client, school_user):
    for _ in range(4):
        _fail(client, school_user.username)
    assert sign_in(client, "school", school_user.username).status_code == 302
    client.logout()
    for _ in range(4):
        assert _fail(client, school_user.username).status_code == 400


def test_role_enum_labels_are_the_entries():
    assert [Role.SCHOOL.label, Role.PROVINCE.label, Role.MINISTRY.label] == [
        "学校（或其他）",
        "省级管理员",
        "教育部",
    ]


def test_deactivating_an_account_ends_its_open_session(client, school_user):
    client.force_login(school_user)
    assert client.get("/school/profile/").status_code == 200
    school_user.is_active = False
    school_user.save()
    response = client.get("/school/profile/")
    assert response.status_code == 302
    assert response.url.startswith("/login/school/")


def test_wrong_captcha_message_is_shown_at_the_captcha_box(client, school_user):
    html = sign_in(client, "school", school_user.username, captcha="zzzz").content.decode()
    # Visible (not in a hidden .invalid-feedback that only a sibling .is-invalid reveals),
    # tied to the box, and once.
    assert html.count("验证码错误，请重新输入。") == 1
    assert re.search(r'class="invalid-feedback d-block" id="captcha-error"[^>]*>验证码错误', html)
    box = re.search(r'<input[^>]*name="captcha_1"[^>]*>', html).group(0)
    assert "is-invalid" in box and 'aria-describedby="captcha-error"' in box


def test_wrong_password_message_appears_once(client, school_user):
    html = sign_in(client, "school", school_user.username, "Wrong1234").content.decode()
    assert html.count("用户名或密码错误。") == 1


def test_missing_fields_are_each_named_at_their_field(client, db):
    response = client.post("/login/school/", {"username": "", "password": "", "captcha_1": ""})
    html = response.content.decode()
    for name, message in (
        ("username", "请输入用户名。"),
        ("password", "请输入密码。"),
        ("captcha", "请输入验证码。"),
    ):
        assert html.count(message) == 1
        assert f'id="{name}-error"' in html


def _attempt(client, username, password, *, remote, forwarded):
    page = client.get("/login/school/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    key, answer = captcha_answer(page.content.decode())
    return client.post(
        "/login/school/",
        {"username": username, "password": password, "captcha_0": key, "captcha_1": answer},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_rotating_forwarded_for_does_not_dodge_the_lockout(client, school_user, settings):
    """Deployed as the README says (one proxy, at 10.0.0.5), a client that reaches gunicorn
    directly and sends a new X-Forwarded-For with every guess is still one address."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    statuses = [
        _attempt(
            client,
            school_user.username,
            "Wrong1234",
            remote="203.0.113.50",
            forwarded=f"198.51.100.{n}",
        ).status_code
        for n in range(20)
    ]
    assert statuses[:4] == [400] * 4 and set(statuses[4:]) == {429}
    right = _attempt(
        client, school_user.username, PASSWORD, remote="203.0.113.50", forwarded="198.51.100.99"
    )
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.50"}
    # Through the proxy the header is what tells clients apart: another school's user behind it
    # is not locked out by the attacker's guesses.
    assert (
        _attempt(
            client, school_user.username, PASSWORD, remote="10.0.0.5", forwarded="192.0.2.7"
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("who", "password"),
    [
        ("active", "Wrong1234"),
        ("inactive", "Wrong1234"),
        ("inactive", PASSWORD),
        ("nobody", "Wrong1234"),
    ],
)
def test_every_failed_sign_in_costs_one_password_hash(client, school_user, who, password):
    """No account state shows in the time a failure takes: one hash whether the account is
    active, deactivated or missing (counted, not timed)."""
    from unittest import mock

    from django.contrib.auth.hashers import MD5PasswordHasher

    username = "0000000000" if who == "nobody" else school_user.username
    if who == "inactive":
        school_user.is_active = False
        school_user.save()
    page = client.get("/login/school/")
    key, answer = captcha_answer(page.content.decode())
    with mock.patch.object(
        MD5PasswordHasher, "encode", autospec=True, side_effect=MD5PasswordHasher.encode
    ) as hashing:
        response = client.post(
            "/login/school/",
            {"username": username, "password": password, "captcha_0": key, "captcha_1": answer},
        )
    assert response.status_code == 400
    assert hashing.call_count == 1
    told = "该账号已停用" in response.content.decode()
    assert told == (who == "inactive" and password == PASSWORD)


def test_an_initial_password_unused_for_thirty_days_no_longer_signs_in(client, reference_data):
    from schools.models import Province, School, SchoolRow, User
    from tests.factories import ProvinceAdminFactory

    shanxi = Province.objects.get(code="14")
    row = SchoolRow(
        line=2, code="4114770001", name="山西测试职业学院", kind="专科高职院校", city=""
    )
    School.register([row], shanxi, by=None, actor="test")
    account = User.objects.get(username="4114770001")
    assert account.must_change_password and account.initial_password_at is not None

    User.objects.filter(pk=account.pk).update(
        initial_password_at=timezone.now() - timedelta(days=29)
    )
    assert sign_in(client, "school", account.username, "123456").status_code == 302
    client.logout()

    User.objects.filter(pk=account.pk).update(
        initial_password_at=timezone.now() - timedelta(days=31)
    )
    refused = sign_in(client, "school", account.username, "123456")
    assert refused.status_code == 400
    assert "初始密码（或临时密码）超过30天未使用，已失效。请联系省级管理员重置密码。" in (
        refused.content.decode()
    )
    assert "_auth_user_id" not in client.session

    # The province resets it: the one-time password signs in, and changing it stops the clock.
    account.refresh_from_db()
    password = account.reset_password(by=ProvinceAdminFactory(province=shanxi))
    assert sign_in(client, "school", account.username, password).status_code == 302
    account.change_password("Xuexiao2026")
    account.refresh_from_db()
    assert account.initial_password_at is None and not account.initial_password_expired
