"""目录维护's forms: one per kind of catalogue entry.

Each checks formats and then runs the model's own rules (`CatalogueEntry.problems`) in
`validate_unique`, so every error shows at once, at its field, in Chinese; `save_entry` runs
the same rules again under the plan's lock and is what decides.
"""

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from tasks.choices import ItemScope
from tasks.models import Category, Item, Plan, Task
from tasks.models.catalogue import FIRST_YEAR, LAST_YEAR
from tizhi.lib.forms import DigitsField, MultiLineField, NamedMessages, SingleLineField, digits


class WholeNumberField(forms.IntegerField):
    """A whole number typed in a text box: full-width digits are read, other scripts' digits
    refused (int() would read "٣" as 3), and the messages name the field and its range."""

    def __init__(self, *, label: str, min_value: int, max_value: int, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(label=label, min_value=min_value, max_value=max_value, **kwargs)
        span = f"{label}应为{min_value}至{max_value}之间的整数。"
        self.error_messages.update(
            {"invalid": f"{label}应为整数。", "min_value": span, "max_value": span}
        )

    def to_python(self, value: Any) -> int | None:
        return super().to_python(digits(value))


class EntryForm(NamedMessages, forms.ModelForm):
    """The fields of one catalogue entry; the model's rules are checked with them."""

    def _get_validation_exclusions(self) -> set[str]:
        # Django's model checks (the constraints, with generic messages such as "具有 行动计划 和
        # 序号 的 任务类别 已存在") give way to `problems` below, which has a message for each.
        return {field.name for field in self.instance._meta.fields}

    def validate_unique(self) -> None:
        # The stored values as the page was opened ({} when adding): the rules that depend on
        # a change (a current plan unticked) compare against them.
        before = dict(self.initial) if self.instance.pk else {}
        for field, message in self.instance.problems(before).items():
            if field not in self.fields:
                self.add_error(None, message)
            elif field not in self.errors:
                self.add_error(field, message)


class PlanForm(EntryForm):
    code = DigitsField(
        label="代码",
        max_length=32,
        validators=[
            RegexValidator(
                r"^[-a-zA-Z0-9_]+\Z",
                "代码只能由英文字母、数字、连字符和下划线组成，如 reform-2023。",
            )
        ],
        help_text="用于网址和导出文件，如 reform-2023；英文字母、数字、连字符和下划线。",
    )
    name = SingleLineField(label="名称", max_length=100)
    document_no = SingleLineField(
        label="文号", max_length=50, required=False, help_text="选填，如 教职成〔2020〕7号。"
    )
    start_year = WholeNumberField(label="起始年份", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    end_year = WholeNumberField(label="结束年份", min_value=FIRST_YEAR, max_value=LAST_YEAR)
    is_current = forms.BooleanField(
        label="当前计划",
        required=False,
        help_text="首页、一览表和本省申报要求默认使用当前计划；勾选后，原当前计划自动取消。",
    )
    report_deadline_month = WholeNumberField(label="年度绩效填报截止月", min_value=1, max_value=12)
    report_deadline_day = WholeNumberField(
        label="年度绩效填报截止日",
        min_value=1,
        max_value=31,
        help_text="教育部开放年度绩效填报时的默认截止日期，如12月31日。",
    )

    class Meta:
        model = Plan
        fields = list(Plan.entry_fields)


class CategoryForm(EntryForm):
    number = WholeNumberField(label="序号", min_value=1, max_value=99)
    name = SingleLineField(label="名称", max_length=100)

    class Meta:
        model = Category
        fields = list(Category.entry_fields)


class TaskForm(EntryForm):
    category = forms.ModelChoiceField(
        label="类别", queryset=Category.objects.none(), empty_label="请选择"
    )
    number = WholeNumberField(label="序号", min_value=1, max_value=999)
    text = MultiLineField(label="工作任务", widget=forms.Textarea(attrs={"rows": 4}))
    departments = SingleLineField(label="责任部门", max_length=200)
    on_platform = forms.BooleanField(
        label="在平台承接",
        required=False,
        help_text="不勾选：由国家有关部门负责，只在一览表中显示，不向省份和学校开放。",
    )

    class Meta:
        model = Task
        fields = list(Task.entry_fields)

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(plan=plan)


class ItemForm(EntryForm):
    code = DigitsField(
        label="序号", max_length=10, help_text="如 3.2；不拆分的任务填写任务序号，如 10。"
    )
    sub_number = WholeNumberField(
        label="子项序号", min_value=0, max_value=99, help_text="不拆分的任务填0。"
    )
    text = MultiLineField(label="工作任务", widget=forms.Textarea(attrs={"rows": 3}))
    has_quantity = forms.BooleanField(
        label="填写承接数量",
        required=False,
        help_text="目标以所、个、名、门、种等计数时勾选，学校填写整数数量；不勾选则显示“-”。",
    )
    scope = forms.ChoiceField(
        label="默认承接主体",
        choices=ItemScope.choices,
        help_text="省级承接的子项由省级单位承接，学校不用承接；各省可在本省申报要求中调整。",
    )

    class Meta:
        model = Item
        fields = list(Item.entry_fields)
