"""Small helpers shared by the apps."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest

from tizhi.lib.text import clean_text

SEARCH_MAX = 50


class RefusedRequest(BadRequest):
    """A malformed request, answered with the 400 page showing `message` (in Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the hop the trusted proxies saw.

    With TRUSTED_PROXY_COUNT = n > 0, and only when the request comes from one of
    TRUSTED_PROXIES, the n-th address from the right of X-Forwarded-For is the client as seen
    by the outermost trusted proxy; anything left of it could be forged, and so could the whole
    header on a request that reached the app directly. A hop
    that is not an IP address (a misconfigured proxy, a port appended) falls back to
    REMOTE_ADDR: the lockout and the audit trail store the address in an IP column.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or not _from_a_proxy(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h]
    if len(hops) < count:
        return remote
    try:
        address = ipaddress.ip_address(hops[-count])
    except ValueError:
        return remote
    # PostgreSQL's inet type has no zone index ("fe80::1%eth0").
    if getattr(address, "scope_id", None):
        return remote
    return str(address)


@lru_cache(maxsize=8)
def _proxy_networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _from_a_proxy(remote: str) -> bool:
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    networks = _proxy_networks(tuple(settings.TRUSTED_PROXIES))
    return any(address in network for network in networks)


def search_text(request: HttpRequest, name: str = "q") -> str:
    """A search box's text: one line, and no longer than anyone types into a search box."""
    return clean_text(request.GET.get(name, ""))[:SEARCH_MAX]
