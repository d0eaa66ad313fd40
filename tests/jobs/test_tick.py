"""`manage.py tick`: every periodic job once (or in a loop), each failure logged and passed."""

import logging
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from review.models import ExportJob, ExportStatus
from tasks.models import Plan

pytestmark = pytest.mark.django_db

calls: list[str] = []


def first() -> None:
    calls.append("first")


def broken() -> None:
    calls.append("broken")
    raise RuntimeError("数据库不可用")


def last() -> int:
    calls.append("last")
    return 1


def interrupted_on_third_round() -> None:
    calls.append("round")
    if calls.count("round") == 3:
        raise KeyboardInterrupt  # Ctrl-C, or the service stopping


@pytest.fixture(autouse=True)
def clear_calls():
    calls.clear()


def test_every_periodic_job_is_a_function_that_imports(settings):
    assert settings.PERIODIC_JOBS == [
        "review.jobs.recover_stalled_exports",
        "tasks.jobs.remind_deadlines",
        "tasks.jobs.mail_daily_digests",
        "tasks.jobs.retry_mail",
    ]
    for path in settings.PERIODIC_JOBS:
        assert callable(import_string(path))


def test_tick_runs_each_job_once_and_carries_on_after_a_failure(settings, caplog):
    settings.PERIODIC_JOBS = [f"{__name__}.{name}" for name in ("first", "broken", "last")]
    with caplog.at_level(logging.ERROR), pytest.raises(CommandError, match="broken"):
        call_command("tick")
    assert calls == ["first", "broken", "last"]
    (record,) = caplog.records
    assert "broken failed" in record.getMessage() and "数据库不可用" in record.exc_text


def test_tick_succeeds_when_every_job_does(settings):
    settings.PERIODIC_JOBS = [f"{__name__}.first", f"{__name__}.last"]
    call_command("tick")
    assert calls == ["first", "last"]


def test_tick_loop_repeats_until_interrupted(settings):
    settings.PERIODIC_JOBS = [f"{__name__}.interrupted_on_third_round"]
    call_command("tick", loop=0.01)
    assert calls == ["round"] * 3


def test_tick_loop_keeps_going_after_a_failure(settings):
    settings.PERIODIC_JOBS = [f"{__name__}.broken", f"{__name__}.interrupted_on_third_round"]
    call_command("tick", loop=0.01)
    assert calls == ["broken", "round"] * 3


def test_tick_refuses_a_loop_of_no_seconds():
    with pytest.raises(CommandError, match="--loop"):
        call_command("tick", loop=0)


@pytest.mark.django_db(transaction=True)  # tick closes connections between jobs, as in production
def test_tick_recovers_stalled_exports(ministry_user, settings, database_queue):
    settings.JOB_HEARTBEAT_TIMEOUT = 120
    plan = Plan.objects.create(code="p", name="计划", start_year=2020, end_year=2023)
    job = ExportJob.objects.create(
        plan=plan, requested_by=ministry_user, status=ExportStatus.RUNNING, attempts=1
    )
    ExportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    call_command("tick")
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING
