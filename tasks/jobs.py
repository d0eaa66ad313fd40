"""The tasks app's background work: mailing notices, and the periodic jobs behind them.

`deliver_mail` runs on a job worker (README: background work). The functions below it are
periodic jobs (settings.PERIODIC_JOBS, run by `manage.py tick`); each is idempotent, so a
second scheduler, or a run repeated within the minute, sends nothing twice.
"""

from django_tasks import task

from tasks.models.notices import Mail, send_deadline_reminders


@task()
def deliver_mail(key: str) -> None:
    """Send the outbox's mail with this key, once."""
    Mail.deliver(key)


def remind_deadlines() -> int:
    return send_deadline_reminders()


def mail_daily_digests() -> int:
    return Mail.queue_daily_digests()


def retry_mail() -> int:
    return Mail.retry_due()
