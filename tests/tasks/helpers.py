"""Building what the school's browser would post."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from schools.models import School
from tasks.models import Commitment, Declaration, Item, Notice, RowValues

GOOD_CONTACTS = {"contact_name": "张老师", "office_phone": "0351-1234567", "mobile": "13800000000"}


def row(undertaken: bool = True, quantity: int | None = None, **funds: Any) -> RowValues:
    amounts = {k: None if v is None else Decimal(str(v)) for k, v in funds.items()}
    return RowValues(undertaken=undertaken, quantity=quantity, **amounts)


def full_row(item: Item, **overrides: Any) -> RowValues:
    values: dict[str, Any] = {
        "quantity": 2 if item.has_quantity else None,
        "school_funds": 1,
        "industry_funds": 2,
        "sponsor_funds": 3,
        "local_funds": 4,
    }
    values.update(overrides)
    return row(**values)


def post_data(
    declaration: Declaration,
    rows: dict[str, dict[str, Any]],
    action: str = "save",
    contacts: dict[str, str] | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """POST data as the form sends it; `rows` maps an item code to its fields' text."""
    data: dict[str, Any] = {
        "action": action,
        "version": str(declaration.version if version is None else version),
        "declaration": str(declaration.pk or "new"),
        **(GOOD_CONTACTS if contacts is None else contacts),
    }
    for code, fields in rows.items():
        pk = Item.objects.get(code=code, task__plan_id=1).pk
        for name, value in fields.items():
            if name == "undertaken":
                if value:
                    data[f"i{pk}-undertaken"] = "on"
            else:
                data[f"i{pk}-{name}"] = str(value)
    return data


def full_fields(code: str, **overrides: Any) -> dict[str, Any]:
    item = Item.objects.get(code=code, task__plan_id=1)
    fields: dict[str, Any] = {
        "undertaken": True,
        "school_funds": "1",
        "industry_funds": "2",
        "sponsor_funds": "3",
        "local_funds": "4",
    }
    if item.has_quantity:
        fields["quantity"] = "2"
    fields.update(overrides)
    return fields


def commitment(school: School, code: str) -> Commitment:
    """The school's row for item `code`."""
    return Commitment.objects.get(declaration__school=school, item__code=code)


def written_by(action: Callable[[], object]) -> list[Notice]:
    """The notices `action` writes, oldest first."""
    before = max(Notice.objects.values_list("pk", flat=True), default=0)
    action()
    return list(Notice.objects.filter(pk__gt=before).select_related("user").order_by("pk"))


def told(notices: list[Notice]) -> set[tuple[str, str]]:
    """(account, kind) of each notice."""
    return {(n.user.username, n.kind) for n in notices}
