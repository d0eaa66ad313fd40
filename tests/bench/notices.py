"""The cost of notices at national scale, on the large bench database ($DATABASE_URL).

    python -m tests.bench.notices --share 0.1

First a realistic share of units gives an e-mail address (schools 60 %: of those 70 % 每条通知,
20 % 每日汇总, 10 % 不发送; every province admin, 每条通知). Then:

- returns: the province returns one pending item to `share` of the country's schools, each
  through `Commitment.return_for_changes` (what the review page's 退回修改 calls: the review,
  the audit event, the school's notice, its mail and the mail's job, in one transaction);
  the same number of other schools' returns run with `notify` switched off, interleaved, as
  the cost of the return without notices;
- reminders: `send_deadline_reminders` for a day in the 7-day band, once and again the same
  day (the second must write nothing: tick runs it every minute);
- digest: `Mail.queue_daily_digests` the next morning, once and again.

Each step reports its time and the Notice, Mail and queued-job rows it wrote.
"""

import argparse
import random
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any
from unittest import mock

from tests.bench.common import emit, percentile, setup_django

setup_django()

from django.db import connection, reset_queries  # noqa: E402
from django.db.models import F, Value  # noqa: E402
from django.db.models.functions import Concat  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from schools.choices import MailMode, Role  # noqa: E402
from schools.models import School, User  # noqa: E402
from tasks.choices import DeclarationStatus, ReviewStatus  # noqa: E402
from tasks.models import Commitment, Mail, Notice, Round  # noqa: E402
from tasks.models.notices import send_deadline_reminders  # noqa: E402
from tasks.transitions import BEIJING  # noqa: E402

SCHOOL_ADDRESS_SHARE = 0.6
MODES = [(MailMode.EACH, 0.7), (MailMode.DAILY, 0.2), (MailMode.NONE, 0.1)]
COMMENT = "经费来源请分项填写，举办方投入请附依据"


def rows() -> dict[str, int]:
    return {
        "notices": Notice.objects.count(),
        "mails": Mail.objects.count(),
        "jobs": DBTaskResult.objects.count(),
    }


def written(before: dict[str, int]) -> dict[str, int]:
    after = rows()
    return {name: after[name] - before[name] for name in before}


def give_addresses(rng: random.Random) -> dict[str, int]:
    codes = sorted(School.objects.values_list("code", flat=True))
    chosen = [code for code in codes if rng.random() < SCHOOL_ADDRESS_SHARE]
    by_mode: dict[str, list[str]] = {mode: [] for mode, _w in MODES}
    for code in chosen:
        mode = rng.choices([m for m, _w in MODES], weights=[w for _m, w in MODES])[0]
        by_mode[mode].append(code)
    for start in range(0, len(chosen), 2000):
        School.objects.filter(code__in=chosen[start : start + 2000]).update(
            email=Concat(F("code"), Value("@school.example.cn"))
        )
    for chosen_mode, mode_codes in by_mode.items():
        for start in range(0, len(mode_codes), 2000):
            User.objects.filter(school_id__in=mode_codes[start : start + 2000]).update(
                mail_mode=chosen_mode
            )
    User.objects.filter(role=Role.PROVINCE).update(
        email=Concat(F("username"), Value("@jyt.example.gov.cn")), mail_mode=MailMode.EACH
    )
    return {"schools": len(codes), "with_address": len(chosen)} | {
        name: len(found) for name, found in by_mode.items()
    }


def pending_items(rng: random.Random, count: int) -> list[int]:
    """One pending item of each of `count` submitted schools, spread over the country."""
    first: dict[int, int] = {}
    for declaration_id, pk in (
        Commitment.objects.filter(
            declaration__school__isnull=False,
            declaration__status=DeclarationStatus.SUBMITTED,
            review_status=ReviewStatus.PENDING,
        )
        .order_by("declaration_id", "item_id")
        .values_list("declaration_id", "pk")
    ):
        first.setdefault(declaration_id, pk)
    found = sorted(first.values())
    rng.shuffle(found)
    return found[:count]


def returns(pairs: list[tuple[int, int]], admins: dict[str, User]) -> dict[str, Any]:
    """Return each item as the review page does, timing the model call alone: the first of
    each pair as it runs, the second with `notify` switched off. Interleaved, so both meet
    the same caches and the same growing tables; the first pair warms up and is not counted.
    Only `notify` writes notices, mails and jobs, so what the run wrote is the first's."""
    before = rows()
    times: dict[bool, list[float]] = {True: [], False: []}
    queries: dict[bool, list[int]] = {True: [], False: []}
    for index, pair in enumerate(pairs):
        if index == 1:
            before = rows()
        for pk, notices in zip(pair, (True, False), strict=True):
            commitment = Commitment.objects.select_related("item", "declaration__round").get(pk=pk)
            admin = admins[commitment.declaration.round.province_id]
            switch = (
                nullcontext()
                if notices
                else mock.patch("tasks.models.notices.notify", lambda event, subject: None)
            )
            # The query log holds at most 9,000 queries; a full one would count none.
            reset_queries()
            with switch, CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                commitment.return_for_changes(by=admin, comment=COMMENT, ip="10.0.0.2")
                elapsed = time.perf_counter() - start
            if index:
                times[notices].append(elapsed)
                queries[notices].append(len(ctx.captured_queries))
    found: dict[str, dict[str, Any]] = {
        key: {
            "returns": len(times[notices]),
            "seconds": sum(times[notices]),
            "mean_ms": statistics.mean(times[notices]) * 1000,
            "median_ms": statistics.median(times[notices]) * 1000,
            "p95_ms": percentile(times[notices], 0.95) * 1000,
            "queries": min(queries[notices]),
            "queries_max": max(queries[notices]),
        }
        for key, notices in (("returns", True), ("returns_plain", False))
    }
    found["returns"]["written"] = written(before)
    # What the returns should have written: a notice to each school, a mail (and its job) to
    # each school that gave an address and asked for 每条通知.
    told = [pk for pk, _plain in pairs[1:]]
    found["returns"]["expected_mails"] = User.objects.filter(
        school__declarations__commitments__pk__in=told,
        school__email__gt="",
        mail_mode=MailMode.EACH,
        is_active=True,
    ).count()
    return found


def timed(step: Callable[[], int]) -> dict[str, Any]:
    before = rows()
    start = time.perf_counter()
    told = step()
    return {"seconds": time.perf_counter() - start, "told": told, "written": written(before)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--share", type=float, default=0.1, help="share of schools returned to")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # repeatable, not secret
    result: dict[str, Any] = {"addresses": give_addresses(rng)}
    count = round(result["addresses"]["schools"] * args.share)
    pks = pending_items(rng, 2 * (count + 1))
    if len(pks) < 2 * (count + 1):
        raise SystemExit(f"only {len(pks)} schools have a pending item; {2 * count + 2} needed")
    admins = {
        u.province_id: u
        for u in User.objects.select_related("province").filter(role=Role.PROVINCE)
        if u.province_id
    }
    # One more pair than counted: the first warms up.
    pairs = list(zip(pks[0::2], pks[1::2], strict=True))
    result |= returns(pairs, admins)

    end = Round.objects.order_by("end_date").values_list("end_date", flat=True).first()
    assert end is not None
    day = end - timedelta(days=5)  # 5 days left: the 7-day reminder
    result["reminder_day"] = f"{day:%Y-%m-%d}"
    result["reminders"] = timed(lambda: send_deadline_reminders(day))
    result["reminders_again"] = timed(lambda: send_deadline_reminders(day))

    today = timezone.localtime(timezone.now(), BEIJING).date()
    morning = datetime.combine(today + timedelta(days=1), clock(8, 30), BEIJING)
    result["digest"] = timed(lambda: Mail.queue_daily_digests(morning))
    result["digest_again"] = timed(lambda: Mail.queue_daily_digests(morning))
    result["totals"] = rows()
    emit(result)


if __name__ == "__main__":
    main()
