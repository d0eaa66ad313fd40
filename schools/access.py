"""Who may open which page: one decorator per role, used by every role's views."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

from schools.choices import Role
from schools.models import User

View = Callable[..., HttpResponseBase]


class PortalRequest(HttpRequest):
    """A request that passed one of the role decorators below: its user is signed in."""

    user: User


def role_required(role: Role) -> Callable[[View], View]:
    """Let in signed-in users of `role`; send others to that role's sign-in page or a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), reverse("schools:login", args=[role.value])
                )
            if user.role != role:
                raise PermissionDenied("您的账号无权访问此页面。")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


school_required = role_required(Role.SCHOOL)
province_required = role_required(Role.PROVINCE)
ministry_required = role_required(Role.MINISTRY)
