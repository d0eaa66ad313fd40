"""Browser tests: Debian's chromium driven by Playwright against Django's live server."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# set up data would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("TIZHI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: `make e2e` installs Debian's chromium"
        if os.environ.get("TIZHI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser):
    """A fresh tab, once with JavaScript and once without: every page must work both ways."""
    context = browser.new_context(java_script_enabled=request.param, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, live_server, username: str, password: str, entry: str = "学校（或其他）"):
    """Sign in through the home page, typing the captcha the server drew."""
    from captcha.models import CaptchaStore

    page.goto(live_server.url)
    page.get_by_role("link", name=entry).click()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    key = page.locator('input[name="captcha_0"]').get_attribute("value")
    page.get_by_label("验证码").fill(CaptchaStore.objects.get(hashkey=key).response)
    page.get_by_role("button", name="登录").click()


def sign_in_by_cookie(page_or_context, live_server, user) -> None:
    """Sign `user` in without the form: Django's test client makes the session, the tab (or the
    whole browser context) gets its cookie (for tests about pages, not about signing in)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = getattr(page_or_context, "context", page_or_context)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
