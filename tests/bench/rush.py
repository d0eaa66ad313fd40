"""A deadline rush against a running server: N schools at once, each signing in (with the
captcha the server drew, read from the database as only a test harness may), opening its form,
saving several times and submitting. Afterwards every school's stored form must equal what it
last saved.

    python -m tests.bench.rush --url http://127.0.0.1:8399 --schools 100 --offset 0
"""

import argparse
import random
import re
import statistics
import threading
import time
from decimal import Decimal
from typing import Any

import requests

from tests.bench.common import emit, find, percentile, setup_django

setup_django()

from captcha.models import CaptchaStore  # noqa: E402
from django.db import connections  # noqa: E402

from schools.models import School  # noqa: E402
from tasks.choices import DeclarationStatus  # noqa: E402
from tasks.models import Declaration, Round  # noqa: E402

PASSWORD = "Bench2020a"
FUNDS = ["school_funds", "industry_funds", "sponsor_funds", "local_funds", "provincial_funds"]


class VirtualSchool(threading.Thread):
    def __init__(self, url: str, code: str, saves: int, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.url, self.code, self.saves, self.deadline = url, code, saves, deadline
        self.rng = random.Random(seed)
        self.timings: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.last: dict[int, dict[str, Any]] = {}
        self.done = False

    def request(
        self, session: requests.Session, kind: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        if time.monotonic() > self.deadline:
            raise TimeoutError("time is up")
        start = time.perf_counter()
        response = session.request(method, self.url + path, timeout=180, **kwargs)
        self.timings.append((kind, time.perf_counter() - start))
        if response.status_code >= 400:
            raise RuntimeError(f"{kind}: HTTP {response.status_code}")
        return response

    def run(self) -> None:
        session = requests.Session()
        try:
            page = self.request(session, "登录页", "GET", "/login/school/").text
            key = find(r'name="captcha_0" value="([0-9a-f]+)"', page)
            answer = CaptchaStore.objects.get(hashkey=key).response
            connections.close_all()
            response = self.request(
                session,
                "登录",
                "POST",
                "/login/school/",
                data={
                    "csrfmiddlewaretoken": _csrf(page),
                    "username": self.code,
                    "password": PASSWORD,
                    "captcha_0": key,
                    "captcha_1": answer,
                    "next": "",
                },
            )
            if not response.url.endswith("/school/commitments/"):
                raise RuntimeError(f"sign-in ended at {response.url}")
            page = response.text
            for number in range(self.saves + 1):
                action = "submit" if number == self.saves else "save"
                data = self.fill(page, action, resubmit=number == self.saves)
                response = self.request(
                    session,
                    "提交" if action == "submit" else "保存",
                    "POST",
                    "/school/commitments/",
                    data=data,
                )
                page = response.text
                expected = "本校任务情况预览" if action == "submit" else "已保存，尚未提交。"
                if expected not in page:
                    raise RuntimeError(f"{action}: page without “{expected}”")
            self.done = True
        except Exception as exc:  # every failure is counted and reported
            self.errors.append(f"{self.code}: {exc}")
        finally:
            connections.close_all()

    def fill(self, page: str, action: str, resubmit: bool) -> dict[str, str]:
        """A complete form: ~28 ticked items, new amounts each time (the same ones to submit)."""
        data = {
            "csrfmiddlewaretoken": _csrf(page),
            "action": action,
            "version": find(r'name="version" value="(\d+)"', page),
            "declaration": find(r'name="declaration" value="([^"]+)"', page),
            "contact_name": "联系人",
            "office_phone": "0351-1234567",
            "mobile": "13900000000",
        }
        if resubmit:  # submit exactly what was saved last
            rows = self.last
        else:
            items = sorted({int(pk) for pk in re.findall(r'name="i(\d+)-undertaken"', page)})
            quantity = {int(pk) for pk in re.findall(r'name="i(\d+)-quantity"', page)}
            provincial = "-provincial_funds" in page
            chosen = self.rng.sample(items, min(len(items), self.rng.randint(20, 36)))
            rows = {}
            for pk in chosen:
                row: dict[str, Any] = {
                    "quantity": self.rng.randint(1, 9) if pk in quantity else None
                }
                for name in FUNDS[: 5 if provincial else 4]:
                    row[name] = Decimal(self.rng.randint(0, 99999)) / 100
                rows[pk] = row
            self.last = rows
        for pk, row in rows.items():
            data[f"i{pk}-undertaken"] = "on"
            for name, value in row.items():
                if value is not None:
                    data[f"i{pk}-{name}"] = str(value)
        return data


def _csrf(page: str) -> str:
    return find(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


def schools_for_rush(count: int, offset: int) -> list[str]:
    """Schools that have not started, in provinces whose round is open."""
    open_provinces = [r.province_id for r in Round.objects.all() if r.is_open()]
    return list(
        School.objects.filter(province_id__in=open_provinces, declarations__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)[offset : offset + count]
    )


def check_stored(schools: list[VirtualSchool]) -> int:
    """Schools whose stored form differs from what they last saved (lost or mixed writes)."""
    wrong = 0
    for school in schools:
        declaration = Declaration.objects.filter(school_id=school.code).first()
        if declaration is None or declaration.status != DeclarationStatus.SUBMITTED:
            wrong += 1
            continue
        stored = {
            c.item_id: {"quantity": c.quantity, **{n: getattr(c, n) for n in FUNDS}}
            for c in declaration.commitments.filter(undertaken=True)
        }
        expected = {
            pk: {"quantity": row.get("quantity"), **{n: row.get(n) for n in FUNDS}}
            for pk, row in school.last.items()
        }
        if stored != expected:
            wrong += 1
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--schools", type=int, required=True)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--limit", type=float, default=600, help="seconds the rush may last")
    args = parser.parse_args()
    codes = schools_for_rush(args.schools, args.offset)
    assert len(codes) == args.schools, "not enough schools that have not started"
    connections.close_all()
    deadline = time.monotonic() + args.limit
    schools = [
        VirtualSchool(args.url, code, args.saves, deadline, seed=n) for n, code in enumerate(codes)
    ]
    start = time.perf_counter()
    for school in schools:
        school.start()
    for school in schools:
        school.join()
    wall = time.perf_counter() - start
    timings = [t for s in schools for t in s.timings]
    seconds = [t for _kind, t in timings]
    by_kind: dict[str, list[float]] = {}
    for kind, t in timings:
        by_kind.setdefault(kind, []).append(t)
    errors = [e for s in schools for e in s.errors]
    emit(
        {
            "schools": len(schools),
            "completed": sum(s.done for s in schools),
            "requests": len(timings),
            "seconds": wall,
            "rps": len(timings) / wall,
            "median_ms": statistics.median(seconds) * 1000,
            "p95_ms": percentile(seconds, 0.95) * 1000,
            "by_kind": {
                k: {
                    "median_ms": statistics.median(v) * 1000,
                    "p95_ms": percentile(v, 0.95) * 1000,
                    "n": len(v),
                }
                for k, v in by_kind.items()
            },
            "errors": len(errors),
            "error_samples": errors[:5],
            "lost_writes": check_stored(schools),
        }
    )


if __name__ == "__main__":
    main()
