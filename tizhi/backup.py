"""Backup and restore: the database and the private files (uploads and exports) in one folder,
restorable into a fresh database and fresh folders, checked against the manifest.

A backup folder holds:
- `database.pgdump` (PostgreSQL: `pg_dump --format=custom`) or `database.sqlite3` (SQLite: the
  online backup API, consistent while the portal runs);
- `files.tar`: the private files under `private/` and the exports under `exports/`;
- `manifest.json`: the engine, when, and every file's size and SHA-256.

Restore refuses a database that already holds tables and folders that already hold files:
it is for a new server or a drill, never a merge into live data.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files.storage import storages
from django.db import connection

FOLDERS = ("private", "exports")


class BackupError(Exception):
    pass


def _folder(alias: str) -> Path:
    return Path(storages[alias].location)  # type: ignore[attr-defined]


def _files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(p for p in root.rglob("*") if p.is_file())


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    # The commands are pg_dump / pg_restore with arguments from our own settings.
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def backup(destination: Path) -> Path:
    """Write a new backup folder under `destination`; return it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = destination / f"tizhi-backup-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    db = connection.settings_dict
    engine = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    if engine == "postgresql":
        args, env = _pg_env(db)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target / "database.pgdump"),
                *args,
            ],
            env,
        )
    else:
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(target / "database.sqlite3"))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    manifest: dict[str, Any] = {"engine": engine, "created": stamp, "files": {}}
    with tarfile.open(target / "files.tar", "w") as archive:
        for alias in FOLDERS:
            root = _folder(alias)
            for path in _files(root):
                name = f"{alias}/{path.relative_to(root).as_posix()}"
                archive.add(path, arcname=name, recursive=False)
                manifest["files"][name] = {"size": path.stat().st_size, "sha256": _digest(path)}
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return target


def _empty_database() -> bool:
    return not connection.introspection.table_names()


def restore(source: Path) -> dict[str, int]:
    """Restore the backup folder `source` into the configured (empty) database and (empty)
    folders; check every file against the manifest. Returns counts for the operator."""
    manifest = json.loads((source / "manifest.json").read_text())
    engine = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    if manifest["engine"] != engine:
        raise BackupError(f"备份来自 {manifest['engine']}，当前数据库是 {engine}。")
    if not _empty_database():
        raise BackupError("目标数据库不是空的：恢复只能写入新建的空数据库。")
    roots = {alias: _folder(alias) for alias in FOLDERS}
    for root in roots.values():
        if any(_files(root)):
            raise BackupError(f"目标文件夹 {root} 不是空的：恢复只能写入新的空文件夹。")
    db = connection.settings_dict
    if engine == "postgresql":
        args, env = _pg_env(db)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *args,
                str(source / "database.pgdump"),
            ],
            env,
        )
    else:
        connection.close()
        shutil.copyfile(source / "database.sqlite3", str(db["NAME"]))
    with tarfile.open(source / "files.tar") as archive:
        for member in archive.getmembers():
            alias, _, rest = member.name.partition("/")
            if alias not in roots or not member.isfile() or member.name not in manifest["files"]:
                raise BackupError(f"files.tar 中有清单以外的内容：{member.name}")
            target = roots[alias] / rest
            target.parent.mkdir(parents=True, exist_ok=True)
            extracted = archive.extractfile(member)
            assert extracted is not None
            with target.open("wb") as out:
                shutil.copyfileobj(extracted, out)
    for name, facts in manifest["files"].items():
        alias, _, rest = name.partition("/")
        path = roots[alias] / rest
        if not path.is_file() or _digest(path) != facts["sha256"]:
            raise BackupError(f"恢复后的文件与清单不符：{name}")
    return {"files": len(manifest["files"]), "tables": len(connection.introspection.table_names())}
