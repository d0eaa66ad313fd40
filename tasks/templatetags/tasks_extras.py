from decimal import Decimal
from typing import Any

from django import template

from tasks.choices import SchoolStatus

register = template.Library()


@register.filter
def amount(value: Any) -> str:
    """万元 as the manual shows them: 17, 1.5, 0.25 (no trailing zeros); blank for None."""
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
def status_label(value: str) -> str:
    """未填报 … 已通过 for a SchoolStatus value."""
    return dict(SchoolStatus.choices).get(value, value)
