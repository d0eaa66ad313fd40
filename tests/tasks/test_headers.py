"""Response headers (issue 15 part 6): a Content-Security-Policy without unsafe-inline,
Permissions-Policy everywhere, no-store on signed-in pages and downloads, HSTS and the HTTPS
redirect with HTTPS=1, and `check --deploy` clean with the README's production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_a_public_page_has_the_policies_and_may_be_cached(client, reference_data):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_signed_in_page_is_never_stored(school_user, open_round):
    response = client_for(school_user).get("/school/commitments/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "Content-Security-Policy" in response and "Permissions-Policy" in response


def test_a_download_is_never_stored(school_user, open_round):
    response = client_for(school_user).get("/school/commitments/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_https_redirects_and_sends_hsts(settings, reference_data):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.ALLOWED_HOSTS = ["tizhi.example.cn"]
    client = Client(HTTP_HOST="tizhi.example.cn")
    plain = client.get("/")
    assert plain.status_code == 301 and plain["Location"] == "https://tizhi.example.cn/"
    assert client.get("/healthz/").status_code == 200  # the load balancer's check stays plain
    secure = client.get("/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_check_deploy_is_clean_with_the_readmes_production_settings():
    # Only what the README's deployment sets (and what any process needs), not this test
    # process's environment, which other tests and fixtures may have changed.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="tizhi.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="tizhi.example.cn",
        CSRF_TRUSTED_ORIGINS="https://tizhi.example.cn",
        HTTPS="1",
        BEHIND_TLS_PROXY="1",
        TRUSTED_PROXY_COUNT="1",
        TRUSTED_PROXIES="127.0.0.1",
        SITE_URL="https://tizhi.example.cn",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
