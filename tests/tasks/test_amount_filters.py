from decimal import Decimal

import pytest

from tasks.templatetags.tasks_extras import amount, plain_amount


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("4723742.32"), "4,723,742.32"),
        (Decimal("1200.00"), "1,200"),
        (Decimal("1234567.50"), "1,234,567.5"),
        (Decimal("999.99"), "999.99"),
        (Decimal("0"), "0"),
        (Decimal("0.25"), "0.25"),
        (Decimal("-1234.5"), "-1,234.5"),
        (17, "17"),
        (12345, "12,345"),
        ("1000", "1,000"),
        (None, ""),
        ("", ""),
    ],
)
def test_amount_groups_thousands_without_trailing_zeros(value: object, shown: str) -> None:
    assert amount(value) == shown


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        (Decimal("4723742.32"), "4723742.32"),
        (Decimal("1200.00"), "1200"),
        (Decimal("1.50"), "1.5"),
        (Decimal("0"), "0"),
        (None, ""),
    ],
)
def test_plain_amount_has_no_separators_for_inputs(value: object, typed: str) -> None:
    assert plain_amount(value) == typed


def test_amount_leaves_text_that_is_not_a_number() -> None:
    assert amount("abc") == "abc"
    assert plain_amount("abc") == "abc"
