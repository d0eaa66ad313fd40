"""Small helpers shared by the apps."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the hop the trusted proxies saw.

    With TRUSTED_PROXY_COUNT = n > 0 the n-th address from the right of X-Forwarded-For is the
    client as seen by the outermost trusted proxy; anything left of it could be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h]
    if len(hops) >= count:
        return hops[-count]
    return remote
