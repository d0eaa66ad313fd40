"""Decisions that touch more than one item ask first (issue 13): without JavaScript the first
POST gets a page naming what will change, whose button posts the same fields again with
`confirmed=1`; with JavaScript the button's `data-confirm` text is asked in a dialog
(static/js/confirm.js) and the form posts `confirmed=1` at once. Either way the view acts only
on a confirmed POST, so a script that fails or is blocked never skips the question."""

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

NOT_REPOSTED = {"csrfmiddlewaretoken", "confirmed"}


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "1"


def ask(
    request: HttpRequest,
    *,
    title: str,
    summary: str,
    details: Iterable[str] = (),
    back: str,
) -> HttpResponse:
    """The confirmation page: what the decision will change, 确认 (the same POST again, with
    everything typed on the page before) or 取消 back to where the user was."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in NOT_REPOSTED
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "summary": summary,
            "details": list(details),
            "fields": fields,
            "action": request.get_full_path(),
            "back": back,
        },
    )
