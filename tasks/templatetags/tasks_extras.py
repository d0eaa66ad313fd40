from decimal import Decimal
from typing import Any

from django import template

from tasks.choices import SchoolStatus

register = template.Library()


@register.filter
def plain_amount(value: Any) -> str:
    """万元 as typed into an input: 17, 1.5, 0.25 (no trailing zeros, no separators); blank for
    None. Inputs carry this form so that what the server reads back is what it wrote."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def amount(value: Any) -> str:
    """万元 as pages show them: thousands grouped, no trailing zeros (4,723,742.32; 1,200; 0.5);
    blank for None. Never put this in an <input>: use plain_amount."""
    text = plain_amount(value)
    if not text or not text.lstrip("-")[:1].isdigit():
        return text
    sign = "-" if text.startswith("-") else ""
    whole, dot, fraction = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}"


@register.filter
def status_label(value: str) -> str:
    """未填报 … 已通过 for a SchoolStatus value."""
    return dict(SchoolStatus.choices).get(value, value)


@register.simple_tag
def page_numbers(page: Any) -> list[Any]:
    """The numbered links of a list page: two either side of the current page, the first and
    the last, "…" between (Paginator.ELLIPSIS)."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.simple_tag(takes_context=True)
def query_without(context: Any, name: str = "page") -> str:
    """The page's query string without `name`, ending with "&" when not empty, so that a link
    can append "page=N" and keep every filter and sort."""
    request = context.get("request")
    if request is None:
        return ""
    params = request.GET.copy()
    params.pop(name, None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@register.simple_tag(takes_context=True)
def kept_params(context: Any, name: str = "page") -> list[tuple[str, str]]:
    """(name, value) of every query parameter but `name`, for the hidden inputs of the
    jump-to-page form."""
    request = context.get("request")
    if request is None:
        return []
    return [(k, v) for k, values in request.GET.lists() if k != name for v in values]
