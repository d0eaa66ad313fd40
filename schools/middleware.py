from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class ForcePasswordChangeMiddleware:
    """An account on its initial (or a reset) password can reach only 修改密码 and 退出.

    Every other URL, typed or linked, redirects to the password page, so the change cannot be
    skipped.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = (
                reverse("schools:password_change"),
                reverse("schools:logout"),
            )
            path = request.path
            if path not in allowed and not path.startswith((settings.STATIC_URL, "/captcha/")):
                return redirect("schools:password_change")
        return self.get_response(request)
