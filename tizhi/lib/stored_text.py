"""Text stored before the normaliser existed, put through it once (the data migrations
`*_clean_stored_text` call this), so no legacy row can stop an export."""

from typing import Any

from tizhi.lib.text import clean_text

BATCH = 1000


def clean_stored_text(
    model: Any,
    *,
    single_line: tuple[str, ...] = (),
    multi_line: tuple[str, ...] = (),
    batch: int = BATCH,
) -> int:
    """Run `clean_text` over these columns of every row of `model`; return how many rows
    changed.

    Rows are read `batch` at a time in primary-key order (keyset pagination, so PostgreSQL
    never holds a whole table in memory) and only the rows that change are written. Running
    it again changes nothing: the normaliser gives back what it is given once clean.
    `model` is a historical model in a migration, so only its manager and fields are used.
    """
    fields = (*single_line, *multi_line)
    manager = model._default_manager
    changed_rows = 0
    last = None
    while True:
        rows = manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        page = list(rows.values_list("pk", *fields)[:batch])
        if not page:
            return changed_rows
        last = page[-1][0]
        changed, names = [], set()
        for pk, *values in page:
            cleaned = {
                name: value if value is None else clean_text(value, multiline=name in multi_line)
                for name, value in zip(fields, values, strict=True)
            }
            differs = {
                name for name, value in zip(fields, values, strict=True) if cleaned[name] != value
            }
            if differs:
                # All columns are set, cleaned (equal to the stored value where it was clean),
                # so the batch can write the union of the changed columns.
                changed.append(model(pk=pk, **cleaned))
                names |= differs
        if changed:
            manager.bulk_update(changed, sorted(names))
            changed_rows += len(changed)
