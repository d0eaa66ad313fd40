import re

import pytest
from captcha.models import CaptchaStore
from django.core.management import call_command
from django.test import Client

from tests.factories import (
    PASSWORD,
    MinistryUserFactory,
    ProvinceAdminFactory,
    SchoolUserFactory,
)


@pytest.fixture
def reference_data(db):
    """The real provinces and catalogue, loaded from fixtures/ as `make run` loads them."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def school_user(db):
    return SchoolUserFactory()


@pytest.fixture
def province_admin(db, school_user):
    """An admin of the school_user's province."""
    return ProvinceAdminFactory(province=school_user.school.province)


@pytest.fixture
def ministry_user(db):
    return MinistryUserFactory()


def client_for(user) -> Client:
    """A test client signed in as `user` (without the sign-in form: see sign_in for that)."""
    client = Client()
    client.force_login(user)
    return client


def captcha_answer(html: str) -> tuple[str, str]:
    """The hidden captcha key on a rendered login form and the answer stored for it."""
    match = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)
    assert match, "no captcha on the page"
    key = match.group(1)
    return key, CaptchaStore.objects.get(hashkey=key).response


def sign_in(
    client: Client,
    role: str,
    username: str,
    password: str = PASSWORD,
    *,
    ip: str = "127.0.0.1",
    captcha: str | None = None,
    next_url: str = "",
):
    """Sign in through the real form: fetch it, read the captcha, post."""
    page = client.get(f"/login/{role}/", REMOTE_ADDR=ip)
    key, answer = captcha_answer(page.content.decode())
    data = {
        "username": username,
        "password": password,
        "captcha_0": key,
        "captcha_1": answer if captcha is None else captcha,
        "next": next_url,
    }
    return client.post(f"/login/{role}/", data, REMOTE_ADDR=ip)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Each test stores uploads and exports in folders of its own (Django resets its storages
    when STORAGES changes)."""
    root = tmp_path / "private"
    settings.PRIVATE_FILES_ROOT = root
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.EXPORT_ROOT), "base_url": None},
        },
    }
    return root
