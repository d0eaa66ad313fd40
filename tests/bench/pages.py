"""Query counts and response times of the main pages, through Django's test client in this
process against the bench database ($DATABASE_URL).

    python -m tests.bench.pages counts
    python -m tests.bench.pages counts --notices      (first gives the users below many notices)
    python -m tests.bench.pages timings --iterations 30
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.bench.common import emit, find, percentile, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from schools.models import User  # noqa: E402
from tasks.choices import NoticeKind, SchoolStatus  # noqa: E402
from tasks.models import Declaration, Item, Notice, Round  # noqa: E402

# Pages that list notices: without any, their empty page fetches no rows (one query fewer).
NOTICE_LISTS = {"消息（学校）", "消息 只看未读 第2页（省）"}
# How many notices each measured user holds with --notices (half of them unread).
NOTICES = {
    "fresh": (500, NoticeKind.DEADLINE, "/school/commitments/"),
    "returned": (500, NoticeKind.ITEM_RETURNED, "/school/returned/"),
    "admin": (2000, NoticeKind.RESUBMITTED, "/province/"),
    "ministry": (500, NoticeKind.PROVINCE_REVIEWED, "/ministry/"),
}


def pick_users() -> dict[str, Any]:
    """The same kinds of user at every data size: a school that has not started, one with
    returned items, a submitted one with its province admin, and the ministry."""
    submitted = (
        Declaration.objects.filter(school_status=SchoolStatus.SUBMITTED)
        .select_related("school")
        .order_by("school_id")
        .first()
    )
    returned = (
        Declaration.objects.filter(school_status=SchoolStatus.RETURNED)
        .order_by("school_id")
        .first()
    )
    fresh = (
        User.objects.filter(role="school", school__declarations__isnull=True)
        .order_by("username")
        .first()
    )
    assert submitted and returned and fresh, "the data set lacks a school in some status"
    assert submitted.school is not None
    return {
        "fresh": fresh,
        "returned": User.objects.get(school_id=returned.school_id),
        "submitted_code": submitted.school_id,
        "admin": User.objects.get(username=f"admin{submitted.school.province_id}"),
        "ministry": User.objects.get(username="moe_bench"),
    }


def give_notices(users: dict[str, Any]) -> dict[str, int]:
    """Many notices, read and unread, for every measured user; the pages must not notice."""
    now = timezone.now()
    for who, (count, kind, url) in NOTICES.items():
        Notice.objects.bulk_create(
            (
                Notice(
                    user=users[who],
                    kind=kind,
                    title=f"基准测试消息{n}",
                    body="修改意见：请核实承接数量",
                    url=url,
                    key=f"bench:{n}",
                    created_at=now - timedelta(minutes=n),
                    read_at=None if n % 2 else now,
                )
                for n in range(count)
            ),
            ignore_conflicts=True,
            batch_size=1000,
        )
    return {who: Notice.objects.filter(user=users[who]).count() for who in NOTICES}


def form_post_data(client: Client, user: User, iteration: int) -> dict[str, str]:
    """What the school's browser posts: 28 ticked items with amounts, and the page's version."""
    html = client.get("/school/commitments/").content.decode()
    version = find(r'name="version" value="(\d+)"', html)
    declaration = find(r'name="declaration" value="([^"]+)"', html)
    assert user.school is not None
    round_ = Round.current_for(user.school.province_id)
    assert round_ is not None
    data = {
        "action": "save",
        "version": version,
        "declaration": declaration,
        "contact_name": "联系人",
        "office_phone": "0351-1234567",
        "mobile": "13900000000",
    }
    names = ["school_funds", "industry_funds", "sponsor_funds", "local_funds"]
    if round_.uses_provincial_funds:
        names.append("provincial_funds")
    for item in list(round_.offered_items())[:28]:
        data[f"i{item.pk}-undertaken"] = "on"
        if item.has_quantity:
            data[f"i{item.pk}-quantity"] = str(1 + iteration % 3)
        for index, name in enumerate(names):
            data[f"i{item.pk}-{name}"] = f"{iteration + index}.5"
    return data


def pages(users: dict[str, Any]) -> list[tuple[str, str, Callable[[Client, int], Any]]]:
    """(name, user key, request) for every main page; the request gets the iteration number."""
    code = users["submitted_code"]

    def get(path: str) -> Callable[[Client, int], Any]:
        def run(client: Client, _i: int) -> Any:
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            return response

        return run

    return [
        ("框架基线 /healthz/", "", get("/healthz/")),
        ("承接任务 表单（学校）", "fresh", get("/school/commitments/")),
        ("承接任务 保存（学校）", "fresh", "POST"),  # type: ignore[list-item]
        ("需修改的任务（学校）", "returned", get("/school/returned/")),
        ("消息（学校）", "returned", get("/notices/")),
        ("消息设置（学校）", "returned", get("/notices/settings/")),
        ("消息 只看未读 第2页（省）", "admin", get("/notices/?show=unread&page=2")),
        ("本省进度 首页（省）", "admin", get("/province/")),
        (
            "本省学校列表 筛选排序翻页（省）",
            "admin",
            get("/province/?status=submitted&sort=-total&page=2"),
        ),
        ("学校审核页（省）", "admin", get(f"/province/schools/{code}/")),
        ("待审核（省）", "admin", get("/province/queue/")),
        ("待审核 第2页（省）", "admin", get("/province/queue/?page=2")),
        ("按任务审核 1（省）", "admin", get("/province/by-item/?item=1")),
        ("全国概况（部）", "ministry", get("/ministry/")),
        ("分省承接任务（项目）数量汇总表（部）", "ministry", get("/ministry/tables/provinces/")),
        ("分任务（项目）承接省份一览表（部）", "ministry", get("/ministry/tables/items/")),
        ("导出 学校承接情况", "returned", get("/school/commitments/export/")),
        ("导出 本省承接汇总", "admin", get("/province/export/")),
        ("导出 分省汇总表", "ministry", get("/ministry/tables/provinces/?format=xlsx")),
    ]


def measure(mode: str, iterations: int, export_iterations: int, notices: bool) -> dict[str, Any]:
    users = pick_users()
    results: dict[str, Any] = {}
    if notices:
        results["__notices__"] = give_notices(users)
    for name, who, run in pages(users):
        client = Client()
        user = users.get(who) if who else None
        if user is not None:
            client.force_login(user)
        if run == "POST":

            def run(client: Client, i: int, user: Any = user) -> Any:
                data = form_post_data(client, user, i)
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.post("/school/commitments/", data)
                return response, time.perf_counter() - start, len(ctx.captured_queries)

        count = export_iterations if name.startswith("导出") else iterations
        if mode == "counts":
            count = 2
        times, queries, status = [], [], None
        for i in range(count + 1):  # the first is a warm-up
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                outcome = run(client, i)
            elapsed = time.perf_counter() - start
            if isinstance(outcome, tuple):  # the POST times itself, without its GET
                response, elapsed, n = outcome
            else:
                response, n = outcome, len(ctx.captured_queries)
            status = response.status_code
            if i:
                times.append(elapsed)
                queries.append(n)
        assert status in (200, 302), f"{name}: HTTP {status}"
        results[name] = {
            "queries": max(queries),
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": percentile(times, 0.95) * 1000,
            "n": len(times),
            "lists_notices": name in NOTICE_LISTS,
        }
    if mode == "counts":
        # The form's posts gave the fresh school a draft: remove it, so that the next counting
        # run (with notices) finds the same users in the same states.
        Declaration.objects.filter(school_id=users["fresh"].school_id).delete()
    results["__items__"] = Item.objects.count()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["counts", "timings"])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--export-iterations", type=int, default=5)
    parser.add_argument("--notices", action="store_true", help="give the users many notices first")
    args = parser.parse_args()
    emit(measure(args.mode, args.iterations, args.export_iterations, args.notices))


if __name__ == "__main__":
    main()
