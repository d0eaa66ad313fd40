"""`make bench`: the national benchmark in one run, on PostgreSQL.

It builds two databases with seed_scale (10 schools and 11,000), measures every main page's
queries on both, times the notices of a national round on the large one (returns to 10 % of
the schools, a deadline-reminder run, the daily digest), measures the pages' queries again on
both with many notices per user and their time on the large one beside the framework's floor
(/healthz/), times the national export against plain openpyxl and measures its memory, and
runs the deadline rush against gunicorn (2 workers) from this second process. It prints the
tables and writes them into docs/performance.md between the bench markers. It exits non-zero
if a page's query count depends on the data size or on the number of notices, a return did
not write its notice or mail, a repeated reminder or digest run wrote anything, or the rush
had an error or lost a write.

Settings: BENCH_DATABASE (default postgres://postgres@127.0.0.1:5432), BENCH_ARGS for make.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env_for(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "TIZHI_CAPTCHA_TEST_MODE"}}
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="tizhi.settings",
        SECRET_KEY="benchmark-only",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
    )
    return env


def run(args: list[str], database: str, capture: bool = True) -> str:
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=env_for(database),
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE,
    )
    if result.returncode:
        sys.stderr.write(result.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(args)}")
    return result.stdout or ""


def json_of(args: list[str], database: str) -> Any:
    lines = [line for line in run(args, database).splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def psql(base: str, sql: str) -> str:
    return subprocess.run(
        ["psql", f"{base}/postgres", "-tAc", sql], text=True, capture_output=True, check=True
    ).stdout.strip()


def fresh_database(base: str, name: str, schools: int, seed: int) -> tuple[str, float]:
    psql(base, f'DROP DATABASE IF EXISTS "{name}"')
    psql(base, f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    run([PY, "manage.py", "migrate", "--noinput"], url)
    start = time.perf_counter()
    run([PY, "manage.py", "seed_scale", "--schools", str(schools), "--seed", str(seed)], url)
    return url, time.perf_counter() - start


def machine(base: str) -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = next(
        (
            line.split(":")[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "unknown",
    )
    import django

    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "memory": memory,
        "postgres": psql(base, "SHOW server_version"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": platform.platform(),
    }


def start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "tizhi.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--timeout",
            "180",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**env_for(url), "DATABASE_CONN_MAX_AGE": "60"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(60):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def render(results: dict[str, Any]) -> str:
    m, data = results["machine"], results["data"]
    small, large, timing = results["counts_small"], results["counts_large"], results["timings"]
    small_n, large_n = results["counts_small_notices"], results["counts_large_notices"]
    held = large_n["__notices__"]
    floor = timing["框架基线 /healthz/"]["median_ms"]
    lines = [
        f"Latest run: {results['when']} on {m['cpu']}, {m['memory']} RAM, PostgreSQL "
        f"{m['postgres']}, Python {m['python']}, Django {m['django']} ({m['os']}).",
        "",
        f"Data: `seed_scale --schools {data['schools']} --seed {data['seed']}`: "
        f"{data['commitments']:,} commitments; seeding took {data['seed_seconds']:.0f} s "
        f"(the 10-school set {data['small_seed_seconds']:.1f} s).",
        "",
        "### Pages: SQL queries at 10 and 11,000 schools, without and with notices; time at 11,000",
        "",
        f"Times are the Django test client in one process ({timing['承接任务 表单（学校）']['n']} "
        "requests after a warm-up; exports fewer), beside the framework's floor: "
        f"`/healthz/`, a view that touches nothing, median {floor:.2f} ms. "
        f"With notices: the school users hold {held['returned']:,} notices each, the province "
        f"admin {held['admin']:,} and the ministry user {held['ministry']:,}, half of them "
        "unread; times are taken with them.",
        "",
        "| page | queries, 10 schools | queries, 11,000 | with notices, 10 | "
        "with notices, 11,000 | median ms | p95 ms | median ÷ floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in timing.items():
        if name.startswith("__"):
            continue
        lines.append(
            f"| {name} | {small[name]['queries']} | {large[name]['queries']} | "
            f"{small_n[name]['queries']} | {large_n[name]['queries']} | "
            f"{row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['median_ms'] / floor:.0f}× |"
        )
    lines += render_notices(results["notices"], data["schools"])
    e = results["export"]
    lines += [
        "",
        "### National detail export (全国承接明细)",
        "",
        "| rows | our export, s | plain openpyxl write-only from memory, s | ratio | "
        "peak memory above start |",
        "|---:|---:|---:|---:|---:|",
    ]
    for key in ("20000", "all"):
        ours, plain = e[f"ours_{key}"], e[f"plain_{key}"]
        lines.append(
            f"| {ours['rows']:,} | {ours['seconds']:.1f} | {plain['seconds']:.1f} | "
            f"{ours['seconds'] / plain['seconds']:.2f} | {ours['peak_kb'] / 1024:.1f} MB |"
        )
    lines += [
        "",
        "Our export reads the rows from PostgreSQL through a cursor while it writes; the plain "
        "figure is openpyxl alone appending the same rows already in memory. Peak memory is the "
        "export process's maximum resident set size above what it held before exporting.",
        "",
        "### Deadline rush: gunicorn (2 workers × 8 threads) and PostgreSQL on this machine",
        "",
        "Each school signs in (captcha included), opens 承接任务, saves 3 times and submits; the "
        "driver is a second process on 127.0.0.1 with one thread per school.",
        "",
        "| schools at once | requests | seconds | requests/s | median ms | p95 ms | "
        "sign-in p95 ms | save p95 ms | errors | lost writes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["rush"]:
        lines.append(
            f"| {r['schools']} | {r['requests']} | {r['seconds']:.1f} | {r['rps']:.1f} | "
            f"{r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['by_kind']['登录']['p95_ms']:.0f} | "
            f"{r['by_kind']['保存']['p95_ms']:.0f} | {r['errors']} | {r['lost_writes']} |"
        )
    return "\n".join(lines)


COUNT_RUNS = ("counts_small", "counts_large", "counts_small_notices", "counts_large_notices")


def counts_agree(results: dict[str, Any], name: str) -> bool:
    """A page's queries must not depend on the data size nor on the number of notices. A page
    that lists notices makes one query more with notices than without: an empty page fetches
    no rows."""
    small, large, small_n, large_n = (results[run][name]["queries"] for run in COUNT_RUNS)
    extra = 1 if results["counts_small"][name].get("lists_notices") else 0
    return small == large and small_n == large_n == small + extra


def render_notices(n: dict[str, Any], schools: int) -> list[str]:
    a, ret, plain = n["addresses"], n["returns"], n["returns_plain"]

    def wrote(step: dict[str, Any]) -> str:
        w = step["written"]
        return f"{w['notices']:,} | {w['mails']:,} | {w['jobs']:,}"

    def queries(step: dict[str, Any]) -> str:
        low, high = step["queries"], step["queries_max"]
        return f"{low}" if low == high else f"{low}–{high}"

    return [
        "",
        f"### Notices of a national round ({schools:,} schools)",
        "",
        f"{a['with_address']:,} schools ({a['with_address'] / a['schools']:.0%}) gave an "
        f"address: {a['each']:,} 每条通知, {a['daily']:,} 每日汇总, {a['none']:,} 不发送; every "
        "province admin gave one (每条通知). Mail jobs go to the database queue.",
        "",
        "| step | total s | per return: mean / median / p95 ms | queries per return | "
        "notices written | mails written | jobs queued |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| 退回修改 of one item at {ret['returns']:,} schools, with notices | "
        f"{ret['seconds']:.1f} | {ret['mean_ms']:.1f} / {ret['median_ms']:.1f} / "
        f"{ret['p95_ms']:.1f} | {queries(ret)} | {wrote(ret)} |",
        f"| the same at {plain['returns']:,} other schools, notices switched off | "
        f"{plain['seconds']:.1f} | {plain['mean_ms']:.1f} / {plain['median_ms']:.1f} / "
        f"{plain['p95_ms']:.1f} | {queries(plain)} | 0 | 0 | 0 |",
        f"| deadline reminders, {n['reminder_day']} (7-day band), every province | "
        f"{n['reminders']['seconds']:.1f} | | | {wrote(n['reminders'])} |",
        f"| the same run again that day | {n['reminders_again']['seconds']:.2f} | | | "
        f"{wrote(n['reminders_again'])} |",
        f"| 每日汇总 the next morning | {n['digest']['seconds']:.2f} | | | {wrote(n['digest'])} |",
        f"| the same run again | {n['digest_again']['seconds']:.3f} | | | "
        f"{wrote(n['digest_again'])} |",
        "",
        f"Rows after these steps: {n['totals']['notices']:,} notices, {n['totals']['mails']:,} "
        f"mails, {n['totals']['jobs']:,} queued jobs. The returns' cost of notices is "
        f"{ret['mean_ms'] - plain['mean_ms']:.1f} ms per return "
        f"({(ret['mean_ms'] - plain['mean_ms']) * ret['returns'] / 1000:.1f} s "
        f"for {ret['returns']:,}).",
    ]


def notice_problems(n: dict[str, Any]) -> list[str]:
    """A return that did not tell its school, or a repeated periodic run that wrote anything."""
    ret = n["returns"]
    problems = []
    if ret["written"]["notices"] < ret["returns"]:
        problems.append(f"{ret['returns']} returns wrote {ret['written']['notices']} notices")
    if not ret["written"]["mails"] == ret["written"]["jobs"] == ret["expected_mails"]:
        problems.append(
            f"returns wrote {ret['written']['mails']} mails and {ret['written']['jobs']} jobs, "
            f"{ret['expected_mails']} expected"
        )
    for step in ("reminders_again", "digest_again"):
        if any(n[step]["written"].values()):
            problems.append(f"{step} wrote {n[step]['written']}")
    if not n["reminders"]["written"]["notices"]:
        problems.append("the reminder run wrote no notice")
    return problems


def write_doc(table: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    DOC.write_text(f"{before}{START}\n{table}\n{END}{after}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=11000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--rush", default="10,50,100")
    parser.add_argument("--port", type=int, default=8399)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--json", type=Path, help="also save the raw figures here")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE", "postgres://postgres@127.0.0.1:5432")
    try:
        psql(base, "SELECT 1")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {base}: {exc}") from exc

    results: dict[str, Any] = {
        "machine": machine(base),
        "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
    }
    log("collectstatic (the pages render with the production static storage)")
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], f"{base}/postgres")
    log("seeding 10 schools")
    small, small_seconds = fresh_database(base, "tizhi_bench_small", 10, args.seed)
    log(f"seeding {args.schools} schools")
    large, large_seconds = fresh_database(base, "tizhi_bench_large", args.schools, args.seed)
    results["data"] = {
        "schools": args.schools,
        "seed": args.seed,
        "seed_seconds": large_seconds,
        "small_seed_seconds": small_seconds,
        "commitments": int(
            subprocess.run(
                ["psql", large, "-tAc", "SELECT count(*) FROM tasks_commitment"],
                text=True,
                capture_output=True,
                check=True,
            ).stdout.strip()
        ),
    }
    log("query counts at 10 schools")
    results["counts_small"] = json_of([PY, "-m", "tests.bench.pages", "counts"], small)
    log("query counts at national size")
    results["counts_large"] = json_of([PY, "-m", "tests.bench.pages", "counts"], large)
    log("notices of a national round")
    results["notices"] = json_of([PY, "-m", "tests.bench.notices"], large)
    log("query counts with notices at 10 schools and at national size")
    results["counts_small_notices"] = json_of(
        [PY, "-m", "tests.bench.pages", "counts", "--notices"], small
    )
    results["counts_large_notices"] = json_of(
        [PY, "-m", "tests.bench.pages", "counts", "--notices"], large
    )
    log("page times at national size")
    results["timings"] = json_of(
        [PY, "-m", "tests.bench.pages", "timings", "--iterations", str(args.iterations)], large
    )
    log("national export")
    results["export"] = {
        "ours_20000": json_of([PY, "-m", "tests.bench.export", "ours", "--rows", "20000"], large),
        "plain_20000": json_of([PY, "-m", "tests.bench.export", "plain", "--rows", "20000"], large),
        "ours_all": json_of([PY, "-m", "tests.bench.export", "ours"], large),
        "plain_all": json_of([PY, "-m", "tests.bench.export", "plain"], large),
    }
    log("deadline rush")
    server = start_gunicorn(large, args.port)
    results["rush"] = []
    try:
        offset = 0
        for count in [int(n) for n in args.rush.split(",")]:
            log(f"  {count} schools at once")
            results["rush"].append(
                json_of(
                    [
                        PY,
                        "-m",
                        "tests.bench.rush",
                        "--url",
                        f"http://127.0.0.1:{args.port}",
                        "--schools",
                        str(count),
                        "--offset",
                        str(offset),
                    ],
                    large,
                )
            )
            offset += count
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if not args.keep:
        for name in ("tizhi_bench_small", "tizhi_bench_large"):
            psql(base, f'DROP DATABASE IF EXISTS "{name}"')
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    table = render(results)
    print(table)
    write_doc(table)
    log(f"wrote {DOC.relative_to(ROOT)}")

    problems = [
        f"{name}: "
        + ", ".join(f"{results[run][name]['queries']} queries in {run}" for run in COUNT_RUNS)
        for name in results["counts_small"]
        if not name.startswith("__") and not counts_agree(results, name)
    ]
    problems += notice_problems(results["notices"])
    problems += [
        f"rush of {r['schools']}: {r['errors']} errors, {r['lost_writes']} lost writes "
        f"{r['error_samples']}"
        for r in results["rush"]
        if r["errors"] or r["lost_writes"]
    ]
    if problems:
        raise SystemExit("benchmark found problems:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
