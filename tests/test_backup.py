"""The restore drill (issue 15 part 7): back up a populated database with its files, restore
into a fresh database and fresh folders with the documented commands, and compare every table
and every file byte for byte. Runs on whichever database the suite runs on (CI: both)."""

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection

from tests.factories import ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import PDF

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]


def raw_connection(name: str):
    """A plain DB-API connection to database `name` on the suite's server (the same driver on
    both sides of the comparison, so values compare as they are stored)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return sqlite3.connect(name)
    import psycopg2

    return psycopg2.connect(
        dbname=name,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )


def every_row(conn, tables: list[str]) -> dict[str, list[str]]:
    cursor = conn.cursor()
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
        found[table] = sorted(repr(row) for row in cursor.fetchall())
    return found


def every_file(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database beside the test's: its URL and name."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", str(path)
        return
    import psycopg2

    name = f"restored_{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
    try:
        yield url, name
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_backup_restores_into_a_fresh_database_and_folders_byte_for_byte(
    reference_data, tmp_path, fresh_database
):
    # A populated portal: schools in several states (audit records, notices, sessions of
    # reference data), an uploaded file with a Chinese name's content, an export.
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    for state in ("approved", "returned", "submitted", "filling"):
        school_in_state(round_.province, round_, state, admin, name=f"山西{state}职业学院")
    storages["private"].save("evidence/2026/a.pdf", ContentFile(PDF))
    storages["private"].save("annual/2026/报告.bin", ContentFile(bytes(range(256)) * 50))
    storages["exports"].save("national/全国承接明细.xlsx", ContentFile(b"PK\x03\x04" + b"x" * 999))

    tables = connection.introspection.table_names()
    original_name = connection.settings_dict["NAME"]
    with raw_connection(original_name) as source:
        before = every_row(source, tables)
    assert sum(len(rows) for rows in before.values()) > 100
    files_before = {
        alias: every_file(Path(storages[alias].location)) for alias in ("private", "exports")
    }

    call_command("backup", str(tmp_path / "backups"))
    (folder,) = (tmp_path / "backups").iterdir()
    assert {p.name for p in folder.iterdir()} >= {"files.tar", "manifest.json"}

    url, name = fresh_database
    restored_files = {alias: tmp_path / f"restored-{alias}" for alias in ("private", "exports")}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DATABASE_URL", "PRIVATE_FILES_ROOT", "EXPORT_ROOT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tizhi.settings",
        SECRET_KEY="restore-drill",
        DATABASE_URL=url,
        PRIVATE_FILES_ROOT=str(restored_files["private"]),
        EXPORT_ROOT=str(restored_files["exports"]),
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已恢复" in done.stdout

    with raw_connection(name) as restored:
        after = every_row(restored, tables)
    assert after == before
    for alias, root in restored_files.items():
        assert every_file(root) == files_before[alias], alias

    # A second restore into the now-filled database is refused, and changes nothing.
    again = subprocess.run(
        [sys.executable, "manage.py", "restore", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode != 0 and "目标数据库不是空的" in again.stderr
