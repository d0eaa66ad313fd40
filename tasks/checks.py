"""System checks for what mail needs in production (`manage.py check --deploy`)."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register


@register("mail", deploy=True)
def site_url_is_public(**kwargs: Any) -> list[Warning]:
    """Mails link to SITE_URL + the page: left at its development default, every link in a
    production mail points at the recipient's own computer."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host in {"127.0.0.1", "localhost", "::1", ""}:
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in mails would not reach the portal.",
                hint="Set SITE_URL to the address users reach the portal at, "
                "e.g. https://tizhi.example.cn.",
                id="tasks.W001",
            )
        ]
    return []
