"""The commitment table as forms: one small form per offered item plus the contacts."""

import re
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict

from schools.forms import ContactForm
from tasks.choices import FUND_LABELS, FUND_NAMES, ReportProgress
from tasks.models import Commitment, Contacts, Declaration, Item, RowValues, UnitReport
from tasks.models.reporting import NARRATIVE_MAX, SPENT_FIELDS, RowFigures
from tasks.templatetags.tasks_extras import amount
from tasks.transitions import MAX_AMOUNT, MAX_QUANTITY
from tizhi.lib.forms import IdField, MultiLineField, digits
from tizhi.lib.text import clean_text, parse_id

ROW_KEY = re.compile(r"^i(\d+)-")
AMOUNT_LIMIT = "金额应小于100000000万元。"


def _normalise(value: Any) -> Any:
    # Full-width digits, points and minus signs from a Chinese input method become ASCII;
    # Arabic-Indic or other digits are a field error (Decimal and int() would read them).
    return digits(value)


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) and value else None


def _display(values: RowValues) -> dict[str, Any]:
    """Stored values as the user typed them: 1 rather than 1.00."""
    return {
        name: amount(value) if isinstance(value, Decimal) else value
        for name, value in asdict(values).items()
    }


class AmountField(forms.DecimalField):
    """An amount in 万元: blank, or 0 to 99999999.99 with at most two decimals."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            max_digits=10,
            decimal_places=2,
            min_value=Decimal(0),
            max_value=MAX_AMOUNT,
            error_messages={
                "invalid": "请填写数字（单位：万元），无投入请填0。",
                "min_value": "金额不能为负数。",
                "max_decimal_places": "金额最多保留2位小数。",
                "max_value": AMOUNT_LIMIT,
                "max_digits": AMOUNT_LIMIT,
                "max_whole_digits": AMOUNT_LIMIT,
            },
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        return super().to_python(_normalise(value))

    def run_validators(self, value: Any) -> None:
        # One message per field: "1e20" breaks both the ceiling and the digit count.
        try:
            super().run_validators(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.error_list[0]) from exc


class QuantityField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=1,
            max_value=MAX_QUANTITY,
            error_messages={
                "invalid": "承接数量应为整数。",
                "min_value": "承接数量应为不小于1的整数。",
                "max_value": f"承接数量不能超过{MAX_QUANTITY}。",
            },
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> int | None:
        return super().to_python(_normalise(value))


class RowForm(forms.Form):
    """One item's row: 是否承接, 承接数量 (where it applies) and the round's funding columns."""

    undertaken = forms.BooleanField(required=False, label="是否承接")
    selected = False  # 需修改的任务: ticked for resubmission
    commitment: "Commitment | None" = None  # what is stored for this item

    def __init__(
        self, *args: Any, item: Item, fund_fields: tuple[tuple[str, str], ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.fund_names = [name for name, _label in fund_fields]
        if item.has_quantity:
            self.fields["quantity"] = QuantityField(label="承接数量")
        for name, label in fund_fields:
            self.fields[name] = AmountField(label=label)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.is_bound:
            return cleaned
        if not self.item.has_quantity and clean_text(self.data.get(self.add_prefix("quantity"))):
            self.add_error(None, f"{self.item.code}不填写承接数量。")
        for name in set(FUND_NAMES) - set(self.fund_names):
            if clean_text(self.data.get(self.add_prefix(name))):
                self.add_error(None, "本省未启用“省财政投入”，不能填写。")
        return cleaned

    def values(self) -> RowValues:
        data = self.cleaned_data
        return RowValues(
            undertaken=bool(data.get("undertaken")),
            quantity=data.get("quantity"),
            **{name: data.get(name) for name in self.fund_names},
        )

    def require_complete(self) -> bool:
        """提交's rule for this row; adds an error at each field still blank."""
        missing = self.values().missing(self.item, self.fund_names)
        for name in missing:
            if name == "quantity":
                self.add_error(name, "请填写承接数量。")
            else:
                self.add_error(name, "请填写金额，无投入请填0。")
        return not missing

    def fund_cells(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fund_names]

    def display_total(self) -> Decimal | None:
        """汇总 of what the row shows: the stored or typed amounts that are valid numbers."""
        present = [a for a in self._amounts().values() if a is not None]
        return sum(present, Decimal(0)) if present else None

    def _amounts(self) -> dict[str, Decimal | None]:
        """The row's amounts as shown: typed and valid, or stored."""
        if self.is_bound:
            source = getattr(self, "cleaned_data", {})
            return {n: source.get(n) for n in self.fund_names}
        return {n: _decimal(self.initial.get(n)) for n in self.fund_names}

    def is_ticked(self) -> bool:
        return bool(self["undertaken"].value())


class CommitmentForm:
    """The whole 承接任务 form: the rows of the offered items, the contacts and the version."""

    def __init__(
        self,
        declaration: Declaration,
        items: list[Item],
        data: QueryDict | None = None,
        *,
        returned_only: bool = False,
    ) -> None:
        self.declaration = declaration
        self.round = declaration.round
        self.data = data
        self.returned_only = returned_only
        self.fund_fields = declaration.fund_fields
        stored = {c.item_id: c for c in declaration.commitments.all()} if declaration.pk else {}
        self.stored = stored
        self.rows: list[RowForm] = []
        for item in items:
            commitment = stored.get(item.pk)
            initial = _display(RowValues.of(commitment)) if commitment else {}
            self.rows.append(
                RowForm(
                    data,
                    prefix=f"i{item.pk}",
                    item=item,
                    fund_fields=self.fund_fields,
                    initial=initial,
                )
            )
        school = declaration.school
        self.contacts = (
            ContactForm(data, instance=school, required=False)
            if school is not None and not returned_only
            else None
        )
        self.errors: list[str] = []
        chosen = set(data.getlist("resubmit")) if data is not None else set()
        for row in self.rows:
            row.selected = str(row.item.pk) in chosen
            row.commitment = stored.get(row.item.pk)

    # -- what was posted -------------------------------------------------------------------

    def posted_version(self) -> int | None:
        assert self.data is not None
        return parse_id(self.data.get("version"))

    def targets_this_declaration(self) -> bool:
        """False when the page was for another unit's form (a tab left open under another
        account): saving it here would mix two units' data."""
        assert self.data is not None
        posted = self.data.get("declaration", "")
        return posted == str(self.declaration.pk or "new")

    def unknown_items(self) -> list[str]:
        """Item ids in the post that this form does not offer (forged, or an outdated page)."""
        assert self.data is not None
        offered = {str(row.item.pk) for row in self.rows}
        found = {m.group(1) for key in self.data if (m := ROW_KEY.match(key))}
        return sorted(found - offered)

    def selected(self) -> list[int]:
        """需修改的任务: the rows ticked for resubmission."""
        assert self.data is not None
        chosen = set(self.data.getlist("resubmit"))
        return [row.item.pk for row in self.rows if str(row.item.pk) in chosen]

    # -- validation ------------------------------------------------------------------------

    def is_well_formed(self) -> bool:
        """Every value parses and is in range; blanks are fine (保存's rule)."""
        ok = all(row.is_valid() for row in self.rows)
        if self.contacts is not None:
            ok = self.contacts.is_valid() and ok
        unknown = self.unknown_items()
        if unknown:
            self.errors.append(
                "提交的数据包含本表没有的任务（项目），未保存。请刷新页面后重新填写。"
            )
            ok = False
        return ok

    def require_complete(self, rows: list[RowForm] | None = None) -> bool:
        """提交's rule: contacts, at least one ticked row, and every ticked row complete."""
        rows = self.rows if rows is None else rows
        ok = all([row.require_complete() for row in rows])
        if not self.returned_only and not any(row.values().undertaken for row in rows):
            self.errors.append("请至少勾选一项要承接的任务。")
            ok = False
        if self.contacts is not None:
            for name in Contacts.__dataclass_fields__:
                if not self.contacts.cleaned_data.get(name):
                    self.contacts.add_error(name, f"请填写{self.contacts.fields[name].label}。")
                    ok = False
        return ok

    def row_values(self, rows: list[RowForm] | None = None) -> dict[int, RowValues]:
        return {row.item.pk: row.values() for row in (self.rows if rows is None else rows)}

    def contact_values(self) -> Contacts | None:
        if self.contacts is None:
            return None
        # Fields found missing by require_complete() have left cleaned_data: they are blank.
        data = self.contacts.cleaned_data
        return Contacts(
            data.get("contact_name", ""), data.get("office_phone", ""), data.get("mobile", "")
        )

    def error_count(self) -> int:
        count = len(self.errors) + sum(len(row.errors) for row in self.rows)
        if self.contacts is not None:
            count += len(self.contacts.errors)
        return count

    # -- display ---------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """任务数量, 汇总金额 and each source's total of the ticked rows as displayed."""
        totals: dict[str, Any] = {name: Decimal(0) for name, _label in self.fund_fields}
        totals["count"] = 0
        totals["total"] = Decimal(0)
        for row in self.rows:
            if not row.is_ticked():
                continue
            totals["count"] += 1
            for name, value in row._amounts().items():
                if value is not None:
                    totals[name] += value
                    totals["total"] += value
        return totals

    def summary_cells(self) -> list[tuple[str, str, Decimal]]:
        """(name, label, value) of each funding column's total, in column order."""
        totals = self.summary()
        return [(name, label, totals[name]) for name, label in self.fund_fields]


# -- the yearly report ------------------------------------------------------------------------


class DoneField(forms.IntegerField):
    """本年完成数量: a whole number, 0 allowed (nothing completed this year)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=0,
            max_value=MAX_QUANTITY,
            error_messages={
                "invalid": "完成数量应为整数。",
                "min_value": "完成数量不能为负数。",
                "max_value": f"完成数量不能超过{MAX_QUANTITY}。",
            },
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> int | None:
        return super().to_python(_normalise(value))


class ReportRowForm(forms.Form):
    """One approved commitment's figures for the year."""

    progress = forms.ChoiceField(
        label="进展",
        required=False,
        choices=[("", "请选择"), *ReportProgress.choices],
        error_messages={"invalid_choice": "请选择进展。"},
    )
    narrative = MultiLineField(
        label="情况说明",
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NARRATIVE_MAX}),
        error_messages={"max_length": f"情况说明不能超过{NARRATIVE_MAX}字。"},
    )
    explanation = MultiLineField(
        label="未达计划说明",
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NARRATIVE_MAX}),
        error_messages={"max_length": f"未达计划说明不能超过{NARRATIVE_MAX}字。"},
    )

    def __init__(
        self,
        *args: Any,
        commitment: Commitment,
        report: UnitReport,
        earlier: dict[str, Any],
        stored: RowFigures | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stored = stored or RowFigures()
        self.commitment = commitment
        self.report = report
        self.earlier = earlier
        self.fund_names = report.fund_names(commitment)
        if commitment.item.has_quantity:
            self.fields["quantity"] = DoneField(label="本年完成数量")
        for name in self.fund_names:
            self.fields[f"spent_{name}"] = AmountField(label=f"{FUND_LABELS[name]}（本年实际）")
        self.files_list: list[Any] = []

    @property
    def item(self) -> Any:
        return self.commitment.item

    def values(self) -> RowFigures:
        data = getattr(self, "cleaned_data", {})
        return RowFigures(
            progress=data.get("progress") or "",
            quantity=data.get("quantity"),
            narrative=(data.get("narrative") or "").strip(),
            explanation=(data.get("explanation") or "").strip(),
            **{f"spent_{n}": data.get(f"spent_{n}") for n in self.fund_names},
        )

    def require_complete(self) -> bool:
        messages = {
            "progress": "请选择进展。",
            "quantity": "请填写本年完成数量，没有完成填0。",
            "narrative": "请填写情况说明。",
            "explanation": "累计完成未达到计划，请说明原因。",
        }
        missing = self.report.missing(self.commitment, self.values(), self.earlier)
        for name in missing:
            self.add_error(name, messages.get(name, "请填写本年实际投入，无投入请填0。"))
        return not missing

    # -- display: planned, earlier years, this year, cumulative --------------------------

    def _shown(self) -> RowFigures:
        """What the page shows: the typed values after a post, else what is stored."""
        return self.values() if self.is_bound else self.stored

    def lines(self) -> list[dict[str, Any]]:
        """The rows of the small table under each commitment."""
        shown = self._shown()
        lines = []
        if self.commitment.item.has_quantity:
            earlier = self.earlier.get("quantity", 0)
            lines.append(
                {
                    "label": "数量",
                    "planned": self.commitment.quantity,
                    "earlier": earlier,
                    "field": self["quantity"],
                    "total": earlier + (shown.quantity or 0),
                    "amount": False,
                }
            )
        for name in self.fund_names:
            earlier = self.earlier.get(f"spent_{name}", Decimal(0))
            this_year = getattr(shown, f"spent_{name}") or Decimal(0)
            lines.append(
                {
                    "label": f"{FUND_LABELS[name]}（万元）",
                    "planned": getattr(self.commitment, name),
                    "earlier": earlier,
                    "field": self[f"spent_{name}"],
                    "total": earlier + this_year,
                    "amount": True,
                }
            )
        return lines

    def planned_total(self) -> Decimal:
        return self.commitment.total or Decimal(0)

    def cumulative_total(self) -> Decimal:
        earlier = sum((self.earlier.get(n, Decimal(0)) for n in SPENT_FIELDS), Decimal(0))
        return earlier + self._shown().spent_total()

    def flagged(self) -> bool:
        return self.report.shortfall(self.commitment, self._shown(), self.earlier)


class ReportForm:
    """The whole yearly report: one ReportRowForm per approved commitment, and the version."""

    def __init__(self, report: UnitReport, data: QueryDict | None = None) -> None:
        self.report = report
        self.data = data
        commitments = list(report.approved_commitments())
        earlier = report.earlier_figures() if report.school_id else {}
        stored = (
            {r.commitment_id: r for r in report.rows.prefetch_related("files")} if report.pk else {}
        )
        self.rows: list[ReportRowForm] = []
        for commitment in commitments:
            row = stored.get(commitment.pk)
            stored_figures = RowFigures.of(row) if row else None
            form = ReportRowForm(
                data,
                prefix=f"r{commitment.pk}",
                commitment=commitment,
                report=report,
                earlier=earlier.get(commitment.pk, {}),
                stored=stored_figures,
                initial=_display_figures(stored_figures) if stored_figures else {},
            )
            form.files_list = list(row.files.all()) if row else []
            self.rows.append(form)
        self.errors: list[str] = []

    def posted_version(self) -> int | None:
        assert self.data is not None
        return parse_id(self.data.get("version"))

    def targets_this_report(self) -> bool:
        assert self.data is not None
        return self.data.get("report", "") == str(self.report.pk or "new")

    def is_well_formed(self) -> bool:
        assert self.data is not None
        ok = all(row.is_valid() for row in self.rows)
        offered = {str(row.commitment.pk) for row in self.rows}
        found = {m.group(1) for key in self.data if (m := REPORT_KEY.match(key))}
        if found - offered:
            self.errors.append("提交的数据包含不在本校已通过承接任务中的项目，未保存。请刷新页面。")
            ok = False
        return ok

    def require_complete(self) -> bool:
        ok = all([row.require_complete() for row in self.rows])
        if not self.report.annual_report:
            self.errors.append("请先上传年度工作报告，再提交。")
            ok = False
        return ok

    def row_values(self) -> dict[int, RowFigures]:
        return {row.commitment.pk: row.values() for row in self.rows}

    def error_count(self) -> int:
        return len(self.errors) + sum(len(row.errors) for row in self.rows)


REPORT_KEY = re.compile(r"^r(\d+)-")


def _display_figures(figures: RowFigures) -> dict[str, Any]:
    return {
        name: amount(value) if isinstance(value, Decimal) else value
        for name, value in asdict(figures).items()
    }


class UploadForm(forms.Form):
    """A file for the 年度工作报告 (no commitment) or for one row's 佐证材料."""

    file = forms.FileField(
        label="选择文件",
        error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"},
    )
    commitment = IdField(required=False)
