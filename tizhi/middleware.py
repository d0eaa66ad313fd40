"""The way in for everything typed: query strings and posted forms pass the normaliser before
any view, form or database sees them."""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest, HttpResponse, QueryDict

from tizhi.lib.http import RefusedRequest
from tizhi.lib.text import clean_text, has_control
from tizhi.views import bad_request

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

# C0 controls other than tab, and DEL. Header values arrive decoded as Latin-1, so UTF-8 bytes
# of Chinese text show up as C1 characters there: those are not refused.
_HEADER_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _cleaned(data: QueryDict) -> "_ImmutableQueryDict":
    # Multi-line and unstripped: the field decides whether its value is one line (see
    # tizhi.lib.forms); here only what no field may keep goes.
    copy = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        name = clean_text(key, multiline=True, strip=False)
        copy.setlist(
            name,
            copy.getlist(name) + [clean_text(v, multiline=True, strip=False) for v in values],
        )
    copy._mutable = False
    return cast("_ImmutableQueryDict", copy)


class CleanInputMiddleware:
    """Removes control characters from every GET and POST value (a vertical tab becomes a
    newline), and answers 400 for a path or header holding one: such a request comes from a
    broken or hostile client, and PostgreSQL would fail on a NUL deep inside the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control(request.path) or any(
            _HEADER_CONTROL.search(value)
            for key, value in request.META.items()
            if key.startswith("HTTP_") and isinstance(value, str)
        ):
            return bad_request(request, RefusedRequest("网址或请求头中含有无法识别的控制字符。"))
        request.GET = _cleaned(request.GET)
        if request.method == "POST":
            request.POST = _cleaned(request.POST)
        return self.get_response(request)


class RequestSizeMiddleware:
    """Answers 413 to a request whose declared body is larger than REQUEST_MAX_BYTES, before
    anything reads it: the largest upload (20 MB) and its form fit; 200 MB is refused at its
    headers, whatever sits in front of the app. A body sent without a length is not read by
    Django at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.template.loader import render_to_string

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = int(settings.REQUEST_MAX_BYTES)
        if length > limit:
            # Rendered without the request: no session or user exists yet at this point.
            page = render_to_string("413.html", {"limit_mb": limit // (1024 * 1024)})
            # WSGI leaves the connection to the server (gunicorn's sync workers close it after
            # every response), so the unread body is dropped with it.
            return HttpResponse(page, status=413)
        return self.get_response(request)
