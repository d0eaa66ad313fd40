"""Shared by the benchmark processes: Django set-up against the bench database."""

import json
import os
import resource
import sys
from typing import Any


def setup_django() -> None:
    """Production settings (DEBUG off, PBKDF2, manifest static files) on $DATABASE_URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tizhi.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()


def max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def emit(result: Any) -> None:
    """The process's answer to the orchestrator: one JSON line on stdout."""
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def find(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text`; a page without it is a failed request."""
    import re

    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"not on the page: {pattern}")
    return match.group(1)
