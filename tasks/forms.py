"""The row tables as forms: 承接任务 (one small form per offered item plus the contacts),
需修改的任务 and 年度绩效 (one per approved commitment), on one base."""

import re
from dataclasses import asdict
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from schools.choices import MailMode
from schools.forms import ContactForm
from tasks.choices import FUND_LABELS, FUND_NAMES, ReportProgress
from tasks.files import display_name
from tasks.models import Commitment, Contacts, Declaration, Item, RowValues, UnitReport
from tasks.models.declarations import Comparison
from tasks.models.reporting import NARRATIVE_MAX, SPENT_FIELDS, RowFigures
from tasks.templatetags.tasks_extras import plain_amount
from tasks.transitions import COMMENT_MAX, MAX_AMOUNT, MAX_QUANTITY, InvalidInput
from tizhi.lib.forms import DayField, MultiLineField, NamedMessages, digits
from tizhi.lib.text import clean_text, parse_id

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
        name: plain_amount(value) if isinstance(value, Decimal) else value
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


class TableRow(forms.Form):
    """One row of a RowTable, keyed by the item or commitment it stands for."""

    key: int

    def values(self) -> Any:
        """The row's typed values, once validated."""
        raise NotImplementedError

    def stored_values(self) -> Any:
        """What is stored for the row, in the same shape as values()."""
        raise NotImplementedError

    def require_complete(self) -> bool:
        """提交's rule for this row; adds an error at each field still blank."""
        raise NotImplementedError


R = TypeVar("R", bound=TableRow)


class RowTable(Generic[R]):
    """A page made of row forms (承接任务, 需修改的任务, 省级承接, 年度绩效) and the rules every
    such page applies to a post: the hidden version and target, rows the page did not offer,
    保存's and 提交's checks. Subclasses add only what differs."""

    row_prefix: ClassVar[str]  # a row's fields are named "<prefix><key>-<field>"
    target_field: ClassVar[str]  # the hidden field naming the declaration or report
    unknown_rows_message: ClassVar[str]
    incomplete_message: ClassVar[str] = "提交未成功：还有未填写完整的项目（见标红处）。"
    # 提交 with something missing keeps what was typed as the draft, so closing the tab then
    # loses nothing.
    saves_when_incomplete: ClassVar[bool] = True

    def __init__(self, data: QueryDict | None) -> None:
        self.data = data
        self.rows: list[R] = []
        self.errors: list[str] = []
        # The page is shown again with typed values that were not saved: the unsaved-changes
        # script treats the form as changed from the start.
        self.unsaved = False

    @property
    def other_page_message(self) -> str:
        return "这个页面已过期或不属于本单位，未保存。请刷新页面后重新填写。"

    def target_pk(self) -> int | None:
        raise NotImplementedError

    # -- what was posted -------------------------------------------------------------------

    def _posted(self, name: str) -> str:
        assert self.data is not None
        return self.data.get(name, "")

    def posted_version(self) -> int | None:
        return parse_id(self._posted("version"))

    def targets_this_page(self) -> bool:
        """False when the page was for another unit's form (a tab left open under another
        account): saving it here would mix two units' data."""
        posted, pk = self._posted(self.target_field), self.target_pk()
        if posted == "new":
            # Loaded before the first save: another window has saved since, which the version
            # (0, and a saved form's is at least 1) reports as a stale page.
            return True
        return pk is not None and parse_id(posted) == pk

    def unknown_rows(self) -> list[str]:
        """Row keys in the post that this page does not offer (forged, or an outdated page)."""
        assert self.data is not None
        pattern = re.compile(rf"^{self.row_prefix}(\d+)-")
        offered = {str(row.key) for row in self.rows}
        found = {m.group(1) for key in self.data if (m := pattern.match(key))}
        return sorted(found - offered)

    # -- validation ------------------------------------------------------------------------

    def is_well_formed(self) -> bool:
        """Every value parses and is in range; blanks are fine (保存's rule)."""
        ok = all([row.is_valid() for row in self.rows])
        ok = self._others_well_formed() and ok
        if self.unknown_rows():
            self.errors.append(self.unknown_rows_message)
            ok = False
        return ok

    def _others_well_formed(self) -> bool:
        return True

    def require_complete(self, rows: list[R] | None = None) -> bool:
        """提交's rule: every row complete, and what the page needs beyond its rows."""
        rows = self.rows if rows is None else rows
        ok = all([row.require_complete() for row in rows])
        return self._others_complete(rows) and ok

    def _others_complete(self, rows: list[R]) -> bool:
        return True

    def submit_refusal(self) -> str | None:
        """Why 提交 cannot go ahead (the fields concerned are marked), or None."""
        return None if self.require_complete() else self.incomplete_message

    def row_values(self, rows: list[R] | None = None) -> dict[int, Any]:
        return {row.key: row.values() for row in (self.rows if rows is None else rows)}

    def has_changes(self) -> bool:
        """Whether the typed values differ from what is stored (after is_well_formed)."""
        return any(row.values() != row.stored_values() for row in self.rows)

    def files_left_behind(self) -> list[str]:
        """Files chosen in other inputs than the pressed button's (pages with file inputs)."""
        return []

    def error_count(self) -> int:
        rows = sum(len(row.errors) for row in self.rows)
        return len(self.errors) + rows + self._other_error_count()

    def _other_error_count(self) -> int:
        return 0


class RowForm(TableRow):
    """One item's row: 是否承接, 承接数量 (where it applies) and the round's funding columns."""

    undertaken = forms.BooleanField(required=False, label="是否承接")
    selected = False  # 需修改的任务: ticked for resubmission
    comparison: "Comparison | None" = None  # 需修改的任务: values when returned against now
    commitment: "Commitment | None" = None  # what is stored for this item

    def __init__(
        self, *args: Any, item: Item, fund_fields: tuple[tuple[str, str], ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.key = item.pk
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

    def stored_values(self) -> RowValues:
        return RowValues.of(self.commitment) if self.commitment else RowValues()

    def require_complete(self) -> bool:
        # A field already marked malformed is not also "missing": one message per field.
        missing = [
            name
            for name in self.values().missing(self.item, self.fund_names)
            if name not in self.errors
        ]
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


class CommitmentForm(RowTable[RowForm]):
    """The whole 承接任务 form (a school's, or the province's own 省级承接): the rows of the
    offered items, the contacts and the version."""

    row_prefix = "i"
    target_field = "declaration"
    unknown_rows_message = "提交的数据包含本表没有的任务（项目），未保存。请刷新页面后重新填写。"

    def __init__(
        self, declaration: Declaration, items: list[Item], data: QueryDict | None = None
    ) -> None:
        super().__init__(data)
        self.declaration = declaration
        self.round = declaration.round
        self.fund_fields = declaration.fund_fields
        stored = {c.item_id: c for c in declaration.commitments.all()} if declaration.pk else {}
        self.stored = stored
        for item in items:
            commitment = stored.get(item.pk)
            row = RowForm(
                data,
                prefix=f"i{item.pk}",
                item=item,
                fund_fields=self.fund_fields,
                initial=_display(RowValues.of(commitment)) if commitment else {},
            )
            row.commitment = commitment
            self.rows.append(row)
        self.contacts = self._contact_form(data)

    def _contact_form(self, data: QueryDict | None) -> ContactForm | None:
        school = self.declaration.school
        return ContactForm(data, instance=school, required=False) if school is not None else None

    @property
    def other_page_message(self) -> str:
        if self.declaration.school is None:
            return "这个页面已过期，未保存。请刷新页面后重新填写。"
        return (
            "这个页面不是本校当前的承接任务表（可能是在其他账号下打开的旧页面），未保存。"
            "请刷新页面后重新填写。"
        )

    def target_pk(self) -> int | None:
        return self.declaration.pk

    def _others_well_formed(self) -> bool:
        return self.contacts is None or self.contacts.is_valid()

    def _others_complete(self, rows: list[RowForm]) -> bool:
        """Contacts, and at least one ticked row."""
        ok = True
        if not any(row.values().undertaken for row in rows):
            self.errors.append("请至少勾选一项要承接的任务。")
            ok = False
        if self.contacts is not None:
            for name in Contacts.__dataclass_fields__:
                if name in self.contacts.errors:
                    ok = False  # malformed: already marked
                elif not self.contacts.cleaned_data.get(name):
                    self.contacts.add_error(name, f"请填写{self.contacts.fields[name].label}。")
                    ok = False
        return ok

    def contact_values(self) -> Contacts | None:
        if self.contacts is None:
            return None
        # Fields found missing by require_complete() have left cleaned_data: they are blank.
        data = self.contacts.cleaned_data
        return Contacts(
            data.get("contact_name", ""), data.get("office_phone", ""), data.get("mobile", "")
        )

    def _other_error_count(self) -> int:
        return len(self.contacts.errors) if self.contacts is not None else 0

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


class ReturnedForm(CommitmentForm):
    """需修改的任务: the returned items only, no contacts; 提交 sends the ticked ones back."""

    incomplete_message = "提交未成功：勾选的任务还有未填写完整的项目（见标红处）。"
    # The items stay returned whatever is saved; 提交 refused saves nothing, and the page keeps
    # what was typed.
    saves_when_incomplete = False

    def __init__(
        self, declaration: Declaration, items: list[Item], data: QueryDict | None = None
    ) -> None:
        super().__init__(declaration, items, data)
        chosen = set(data.getlist("resubmit")) if data is not None else set()
        for row in self.rows:
            row.selected = str(row.key) in chosen
            # 修改对比: the values when returned against what is saved now.
            row.comparison = (
                row.commitment.since_return(self.fund_fields, row.item) if row.commitment else None
            )

    def _contact_form(self, data: QueryDict | None) -> ContactForm | None:
        return None

    def _others_complete(self, rows: list[RowForm]) -> bool:
        return True

    def selected(self) -> list[int]:
        """The rows ticked for resubmission."""
        return [row.key for row in self.rows if row.selected]

    def submit_refusal(self) -> str | None:
        chosen = [row for row in self.rows if row.selected]
        if not chosen:
            return "请在左侧勾选要提交的任务。"
        return None if self.require_complete(chosen) else self.incomplete_message


class ChangeForm(CommitmentForm):
    """变更申请: the approved items at their approved values and the offered items not yet
    undertaken; 提交变更申请 proposes the rows that differ, with a reason. Nothing is saved
    before the proposal: a refused one shows the page again with what was typed."""

    incomplete_message = "提交未成功：变更后的任务还有未填写完整的项目（见标红处）。"
    unknown_rows_message = "提交的数据包含本表没有的任务（项目），未提交。请刷新页面后重新填写。"

    def __init__(self, declaration: Declaration, data: QueryDict | None = None) -> None:
        approved, addable = self.items_for(declaration)
        super().__init__(declaration, approved + addable, data)
        self.addable = {item.pk for item in addable}
        self.reason = clean_text(data.get("reason", ""), multiline=True) if data is not None else ""

    @staticmethod
    def items_for(declaration: Declaration) -> tuple[list[Item], list[Item]]:
        """(approved items, offered items the declaration does not hold), in catalogue order."""
        if declaration.pk is None:
            return [], []
        held = {}
        approved = []
        for c in declaration.commitments.select_related("item__task").order_by(
            "item__task__number", "item__sub_number"
        ):
            held[c.item_id] = c
            if c.is_approved:
                approved.append(c.item)
        addable = [item for item in declaration.offered_items() if item.pk not in held]
        return approved, addable

    def _contact_form(self, data: QueryDict | None) -> ContactForm | None:
        return None

    def _others_complete(self, rows: list[RowForm]) -> bool:
        return True

    def changed_rows(self) -> list[RowForm]:
        """Ticked rows whose typed values differ from what is approved (or blank)."""
        return [row for row in self.rows if row.is_ticked() and row.values() != row.stored_values()]

    def submit_refusal(self) -> str | None:
        return None if self.require_complete(self.changed_rows()) else self.incomplete_message


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


class ReportRowForm(TableRow):
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
        self.key = commitment.pk
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

    def stored_values(self) -> RowFigures:
        return self.stored

    def require_complete(self) -> bool:
        messages = {
            "progress": "请选择进展。",
            "quantity": "请填写本年完成数量，没有完成填0。",
            "narrative": "请填写情况说明。",
            "explanation": "累计完成未达到计划，请说明原因。",
        }
        missing = [
            name
            for name in self.report.missing(self.commitment, self.values(), self.earlier)
            if name not in self.errors
        ]
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


class ReportForm(RowTable[ReportRowForm]):
    """The whole yearly report: one ReportRowForm per approved commitment, the file inputs (the
    年度工作报告 and each row's 佐证材料) and the version."""

    row_prefix = "r"
    target_field = "report"
    unknown_rows_message = "提交的数据包含不在本校已通过承接任务中的项目，未保存。请刷新页面。"
    ANNUAL = "annual_report"

    def __init__(
        self,
        report: UnitReport,
        data: QueryDict | None = None,
        files: MultiValueDict[str, UploadedFile] | None = None,
    ) -> None:
        super().__init__(data)
        self.report = report
        self.files = files
        self.taken: set[str] = set()
        commitments = list(report.approved_commitments())
        earlier = report.earlier_figures() if report.school_id else {}
        stored = (
            {r.commitment_id: r for r in report.rows.prefetch_related("files")} if report.pk else {}
        )
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

    def target_pk(self) -> int | None:
        return self.report.pk

    def _others_complete(self, rows: list[ReportRowForm]) -> bool:
        if not self.report.annual_report:
            self.errors.append("请先上传年度工作报告，再提交。")
            return False
        return True

    # -- the file inputs -------------------------------------------------------------------

    @staticmethod
    def evidence_input(commitment_id: int) -> str:
        return f"evidence-{commitment_id}"

    def take_file(self, name: str) -> UploadedFile:
        """The file chosen in input `name`, for the button that uploads it."""
        upload = self.files.get(name) if self.files is not None else None
        if upload is None:
            raise InvalidInput("请选择要上传的文件。")
        self.taken.add(name)
        return upload

    def files_left_behind(self) -> list[str]:
        """Files chosen in other inputs than the pressed button's: a file input cannot be
        filled again, so the page names them instead of dropping them silently."""
        if self.files is None:
            return []
        labels = {self.ANNUAL: "年度工作报告"}
        labels.update({self.evidence_input(r.key): f"{r.item.code} 佐证材料" for r in self.rows})
        return [
            f"{label}“{display_name(upload.name or '')}”"
            for name, label in labels.items()
            if name not in self.taken and (upload := self.files.get(name)) is not None
        ]


def _display_figures(figures: RowFigures) -> dict[str, Any]:
    return {
        name: plain_amount(value) if isinstance(value, Decimal) else value
        for name, value in asdict(figures).items()
    }


class MailSettingsForm(NamedMessages, forms.Form):
    """消息设置: formats only; User.set_mail_preferences applies the rules."""

    email = forms.EmailField(
        label="电子邮箱",
        required=False,
        max_length=254,
        help_text="选填。学校账号填写的是本校平台管理联系人的邮箱。",
        error_messages={"invalid": "电子邮箱格式不正确，例如：name@example.com。"},
    )
    mail_mode = forms.ChoiceField(
        label="邮件提醒",
        choices=MailMode.choices,
        widget=forms.RadioSelect,
        help_text="平台内的消息总会显示；这里选择是否同时发送邮件。",
        error_messages={
            "required": "请选择邮件提醒方式。",
            "invalid_choice": "请选择邮件提醒方式。",
        },
    )


class ExtensionRequestForm(NamedMessages, forms.Form):
    """申请延期: the date the school needs and why."""

    wanted_until = DayField(
        label="申请延期至",
        help_text="该日24:00（北京时间）截止。",
        error_messages={"required": "请填写申请延期至的日期。"},
    )
    reason = MultiLineField(
        label="延期原因",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写延期原因。", "max_length": "延期原因不能超过500字。"},
    )
