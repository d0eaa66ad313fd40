"""The manual, section 2: a school signs in and is forced through 修改密码 first."""

import re

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from tests.factories import SchoolUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fill_captcha(page):
    key = page.locator('input[name="captcha_0"]').get_attribute("value")
    page.get_by_label("验证码").fill(CaptchaStore.objects.get(hashkey=key).response)


def test_school_first_sign_in_forced_password_change(live_server, page):
    account = SchoolUserFactory(
        school__name="山西测试职业技术学院",
        school__contact_name="",
        school__office_phone="",
        school__mobile="",
        must_change_password=True,
    )
    account.password = make_password("123456")
    account.save()

    page.goto(live_server.url)
    page.get_by_role("link", name="学校（或其他）").click()
    expect(page.get_by_role("heading", name="学校（或其他）登录")).to_be_visible()
    page.get_by_label("用户名").fill(account.username)
    page.get_by_label("密码").fill("123456")
    fill_captcha(page)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/account/password/$"))
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()

    # Typing another address does not get round the change.
    page.goto(live_server.url + "/school/profile/")
    expect(page).to_have_url(re.compile(r"/account/password/$"))

    # A wrong input: a password without digits, a phone without area code.
    page.get_by_label("旧密码").fill("123456")
    page.get_by_label("新密码*", exact=True).fill("abcdefgh")
    page.get_by_label("重新输入新密码").fill("abcdefgh")
    page.get_by_label("平台管理联系人").fill("李老师")
    page.get_by_label("办公电话").fill("87654321")
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("密码须由数字和字母混合组成。")).to_be_visible()
    expect(page.get_by_text("办公电话格式应为：区号-电话号码，可加“-分机号”")).to_be_visible()
    # What was typed in the contact fields is still there.
    expect(page.get_by_label("平台管理联系人")).to_have_value("李老师")
    expect(page.get_by_label("手机号")).to_have_value("13912345678")

    # The right input.
    page.get_by_label("旧密码").fill("123456")
    page.get_by_label("新密码*", exact=True).fill("Xuexiao2026")
    page.get_by_label("重新输入新密码").fill("Xuexiao2026")
    page.get_by_label("办公电话").fill("0351-3046505")
    page.get_by_role("button", name="提交").click()

    # The school's home: 承接任务 (its province has not opened a round here).
    expect(page).to_have_url(re.compile(r"/school/commitments/$"))
    expect(page.get_by_text("密码已修改。")).to_be_visible()
    expect(page.get_by_role("heading", name="承接任务")).to_be_visible()
    page.get_by_role("link", name="本校信息").click()
    expect(page.get_by_text("山西测试职业技术学院").first).to_be_visible()
    expect(page.get_by_label("办公电话")).to_have_value("0351-3046505")

    account.refresh_from_db()
    assert not account.must_change_password
    assert account.check_password("Xuexiao2026")
    assert account.school.office_phone == "0351-3046505"
