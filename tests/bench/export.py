"""The national detail export: time and peak memory (this process's maximum resident set
size above what it used before exporting), and plain openpyxl writing the same rows from memory.

    python -m tests.bench.export ours --rows 20000     (0 = every row)
    python -m tests.bench.export plain --rows 20000
"""

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from tests.bench.common import emit, max_rss_kb, setup_django

setup_django()

from openpyxl import Workbook  # noqa: E402

from review.exports import BASIS_DETAIL, DETAIL_HEADERS, DETAIL_WIDTHS, detail_rows  # noqa: E402
from review.figures.national import Filters, counted  # noqa: E402
from tasks.models import Plan  # noqa: E402
from tizhi.lib.xlsx import Heading, write_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ours", "plain"])
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()
    filters = Filters(plan=Plan.objects.get(is_current=True))
    limit = args.rows or None
    total = counted(filters).count()
    rows = min(total, limit) if limit else total
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export.xlsx"
        if args.mode == "ours":
            before = max_rss_kb()
            start = time.perf_counter()
            workbook = Workbook(write_only=True)
            write_table(
                workbook,
                "承接明细",
                Heading("全国承接明细", BASIS_DETAIL, date.today()),
                DETAIL_HEADERS,
                DETAIL_WIDTHS,
                detail_rows(filters, limit=limit),
            )
            workbook.save(target)
            seconds = time.perf_counter() - start
            emit(
                {
                    "rows": rows,
                    "seconds": seconds,
                    "peak_kb": max_rss_kb() - before,
                    "bytes": target.stat().st_size,
                }
            )
        else:
            # The same rows, already in memory: what openpyxl alone costs.
            data = list(detail_rows(filters, limit=limit))
            start = time.perf_counter()
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("承接明细")
            sheet.append(DETAIL_HEADERS)
            for row in data:
                sheet.append(row)
            workbook.save(target)
            emit({"rows": len(data), "seconds": time.perf_counter() - start})


if __name__ == "__main__":
    main()
