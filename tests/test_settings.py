"""Settings come from the environment (README: settings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "TIZHI_CAPTCHA_TEST_MODE",
    "HTTPS",
    "TRUSTED_PROXY_COUNT",
    "TRUSTED_PROXIES",
    "REQUEST_MAX_BYTES",
    "IMPORT_MAX_BYTES",
    "IMPORT_MAX_ROWS",
    "HELPDESK",
    "CSRF_TRUSTED_ORIGINS",
    "JOB_BACKEND",
    "JOB_HEARTBEAT_TIMEOUT",
    "EXPORT_MAX_ATTEMPTS",
    "EXPORT_ROOT",
    "REDIS_URL",
    "SITE_URL",
    "EMAIL_ENABLED",
    "EMAIL_HOST",
    "EMAIL_PORT",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in OURS}
    environment.update(env, DJANGO_SETTINGS_MODULE="tizhi.settings")
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def read_settings(*names: str, **env: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: str(getattr(s, n)) for n in {list(names)!r}}}))"
    )
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_refuses_to_start_without_secret_key():
    result = run_python("import tizhi.wsgi")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_secret_key():
    assert run_python("import tizhi.wsgi", SECRET_KEY="s3cret").returncode == 0


def test_debug_is_off_unless_set():
    assert read_settings("DEBUG", SECRET_KEY="x")["DEBUG"] == "False"
    assert read_settings("DEBUG", DEBUG="1")["DEBUG"] == "True"


def test_database_url_selects_the_database():
    default = read_settings("DATABASES", SECRET_KEY="x")["DATABASES"]
    assert "sqlite3" in default and "db.sqlite3" in default and "IMMEDIATE" in default
    pg = read_settings(
        "DATABASES", SECRET_KEY="x", DATABASE_URL="postgres://u:p@db.example:5432/tizhi"
    )["DATABASES"]
    assert "postgresql" in pg and "db.example" in pg


def test_allowed_hosts_from_the_environment():
    hosts = read_settings("ALLOWED_HOSTS", SECRET_KEY="x", ALLOWED_HOSTS="a.example, b.example")
    assert hosts["ALLOWED_HOSTS"] == str(["a.example", "b.example"])


def test_job_settings_from_the_environment(tmp_path):
    names = ("JOB_HEARTBEAT_TIMEOUT", "EXPORT_MAX_ATTEMPTS", "TASKS", "STORAGES", "RQ_QUEUES")
    default = read_settings(*names, SECRET_KEY="x")
    assert (default["JOB_HEARTBEAT_TIMEOUT"], default["EXPORT_MAX_ATTEMPTS"]) == ("120", "3")
    assert "django_tasks_db.DatabaseBackend" in default["TASKS"]
    assert str(ROOT / "var" / "exports") in default["STORAGES"]
    custom = read_settings(
        *names,
        SECRET_KEY="x",
        JOB_HEARTBEAT_TIMEOUT="30",
        EXPORT_MAX_ATTEMPTS="5",
        JOB_BACKEND="rq",
        REDIS_URL="redis://cache.example:6379/2",
        EXPORT_ROOT=str(tmp_path),
    )
    assert (custom["JOB_HEARTBEAT_TIMEOUT"], custom["EXPORT_MAX_ATTEMPTS"]) == ("30", "5")
    assert "django_tasks_rq.RQBackend" in custom["TASKS"]
    assert "redis://cache.example:6379/2" in custom["RQ_QUEUES"]
    assert str(tmp_path) in custom["STORAGES"]


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ


@pytest.mark.django_db
def test_suite_runs_on_the_expected_database():
    """.ci/run sets TIZHI_EXPECT_DB so a PostgreSQL run that silently used SQLite fails."""
    expected = os.environ.get("TIZHI_EXPECT_DB")
    if expected:
        assert connection.vendor == expected
    else:
        assert connection.vendor in {"sqlite", "postgresql"}


def test_collectstatic_works_with_the_production_storage(tmp_path, settings):
    """Whitenoise's manifest storage rewrites references inside CSS and JS; a missing file
    (a source map, say) would stop a deployment at collectstatic."""
    import io

    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
    assert (tmp_path / "staticfiles.json").exists()


def test_deploy_check_warns_while_mail_links_point_at_localhost(settings):
    from django.core.checks import run_checks

    settings.SITE_URL = "http://127.0.0.1:8000"
    found = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "tasks.W001" in found
    settings.SITE_URL = "https://tizhi.example.cn"
    assert "tasks.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]
    # Not a deployment check: plain `check` (and runserver) stays quiet.
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert "tasks.W001" not in [m.id for m in run_checks()]


def test_mail_settings_come_from_the_environment():
    result = run_python(
        "import json; from django.conf import settings as s; import django; django.setup(); "
        "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.SITE_URL]))",
        SECRET_KEY="x",
        EMAIL_HOST="smtp.example.cn",
        EMAIL_PORT="587",
        SITE_URL="https://tizhi.example.cn/",
    )
    assert json.loads(result.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.cn",
        587,
        "https://tizhi.example.cn",
    ], result.stderr
    result = run_python(
        "import json; from django.conf import settings as s; import django; django.setup(); "
        "print(json.dumps(s.EMAIL_BACKEND))",
        SECRET_KEY="x",
        DEBUG="1",
    )
    assert json.loads(result.stdout) == "django.core.mail.backends.console.EmailBackend"
