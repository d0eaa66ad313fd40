"""Real job workers and web servers in processes of their own, against the test database.

The tests that use them are `transaction=True`, so what they write is committed and the other
processes see it. Every process is started in a session of its own and killed, with all its
children, when the test ends (before pytest-django empties the database).
"""

import contextlib
import email
import email.policy
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Environment variables of ours that must not leak from the developer's shell into the children.
OURS = {
    "DATABASE_URL",
    "JOB_BACKEND",
    "REDIS_URL",
    "EXPORT_ROOT",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_ENABLED",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
}


SITE_URL = "https://tizhi.example.edu.cn"
FROM_ADDRESS = "提质培优管理平台 <noreply@tizhi.example.edu.cn>"


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = urllib.parse.quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{urllib.parse.quote(db['NAME'], safe='')}"


def poll(check: Callable[[], Any], *, timeout: float = 30, what: str = "", logs: str = "") -> Any:
    """Call `check` until it returns something true (which is returned), or fail at `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Processes:
    """Starts this project's commands as real processes with the test's environment."""

    env: dict[str, str]
    folder: Path
    started: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = self.folder / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg takes its children too
            )
        self.started.append((process, log))
        return process

    def db_worker(self) -> subprocess.Popen:
        return self.start(
            "db_worker",
            "manage.py",
            "db_worker",
            "--no-reload",
            "--interval",
            "0.2",
            "--no-startup-delay",
        )

    def rq_worker(self) -> subprocess.Popen:
        return self.start(
            "rqworker",
            "manage.py",
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            "--with-scheduler",
            JOB_BACKEND="rq",
        )

    def tick(self, at: str | None = None) -> subprocess.Popen:
        """`manage.py tick`; with `at` (an ISO moment, e.g. "2026-12-03T09:00+08:00"), the same
        with the clock at that moment (tests/jobs/tick_at.py)."""
        if at is None:
            return self.start("tick", "manage.py", "tick")
        return self.start("tick", "tests/jobs/tick_at.py", at)

    def web_server(self, port: int) -> subprocess.Popen:
        process = self.start(
            "gunicorn",
            "-m",
            "gunicorn",
            "tizhi.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        )

        def listening() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the web server exited\n{self.logs()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                return False
            return True

        poll(listening, timeout=30, what="the web server", logs=self.logs())
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL to the process and its children, as a crash or an out-of-memory kill would:
        no clean-up runs."""
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}"
            for _process, log in self.started
            if log.exists()
        )

    def stop_all(self) -> None:
        for process, _log in self.started:
            self.kill(process)


@dataclass
class SmtpServer:
    """A real SMTP server process on 127.0.0.1 (aiosmtpd) that keeps what it receives in a
    maildir, and what arrived there, parsed as a mail client would."""

    processes: Processes
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = self.processes.start(
            "smtp",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{self.port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(self.folder),
        )
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the SMTP server exited\n{self.processes.logs()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return False
            return True

        poll(listening, timeout=30, what="the SMTP server", logs=self.processes.logs())

    def stop(self) -> None:
        if self.process is not None:
            self.processes.kill(self.process)
            self.process = None

    def received(self) -> list[EmailMessage]:
        """Every mail that arrived (in no particular order), parsed: headers and text decoded."""
        if not self.folder.exists():
            return []
        box = mailbox.Maildir(self.folder, factory=None, create=False)
        return [
            email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            for key in box.iterkeys()
        ]


@pytest.fixture
def smtp(processes, tmp_path) -> SmtpServer:
    """An SMTP server for the processes this test starts: their environment points Django's
    mail at it through the documented variables (EMAIL_ENABLED, EMAIL_HOST, EMAIL_PORT, …).
    The test starts it with `smtp.start()` (or leaves it down, to see sends fail)."""
    server = SmtpServer(processes, free_port(), tmp_path / "maildir")
    processes.env.update(
        EMAIL_ENABLED="1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(server.port),
        EMAIL_TIMEOUT="5",
        SITE_URL=SITE_URL,
        DEFAULT_FROM_EMAIL=FROM_ADDRESS,
    )
    return server


@pytest.fixture
def exports_folder(settings, tmp_path) -> Path:
    """One exports folder for this test's process and the processes it starts."""
    folder = tmp_path / "shared-exports"
    settings.EXPORT_ROOT = folder
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    return folder


@pytest.fixture
def processes(transactional_db, exports_folder, tmp_path) -> Iterator[Processes]:
    """Depends on transactional_db so that its processes are killed before the database is
    emptied at the end of the test."""
    temp = tmp_path / "process-tmp"  # what a killed worker leaves in TMPDIR stays in the test's
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.jobs.worker_settings",
        DATABASE_URL=database_url(),
        EXPORT_ROOT=str(exports_folder),
        TMPDIR=str(temp),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    started = Processes(env=env, folder=tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def shanxi(reference_data) -> None:
    """Three submitted schools of 山西省 with two items each: six rows in the national export."""
    from tests.factories import ProvinceAdminFactory
    from tests.review.helpers import open_round_for, school_in_state

    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    for state in ("approved", "returned", "submitted"):
        school_in_state(round_.province, round_, state, admin)


@pytest.fixture
def database_queue(settings) -> None:
    """This process enqueues onto the database queue, as production does by default."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
