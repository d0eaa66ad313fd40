import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.backends.base import SessionBase
from django.http import QueryDict

from schools.choices import AuditAction, Role, SchoolKind
from schools.models import Province, User
from schools.validators import contact_phone_validator, school_code_validator
from tasks.choices import Grade
from tasks.models import Item, Plan, Round, Task
from tasks.transitions import COMMENT_MAX
from tizhi.lib.forms import (
    DayField,
    DigitsField,
    MultiLineField,
    NamedMessages,
    SingleLineField,
    digits,
)
from tizhi.lib.text import clean_digits, parse_id

PHONE_HELP = "如 0351-3046505 或 13811111111。"
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Item) -> str:
        return f"{obj.code} {obj.text}（{obj.get_scope_display()}）"


class RoundForm(NamedMessages, forms.ModelForm):
    """本省申报要求: dates, instructions, contacts, the offer to schools, the fifth column."""

    items = ItemChoiceField(
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="向学校开放承接的任务（项目）",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Round
        fields = [
            "start_date",
            "end_date",
            "instructions",
            "contact1_name",
            "contact1_phone",
            "contact2_name",
            "contact2_phone",
            "uses_provincial_funds",
            "items",
        ]
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {
            "start_date": DayField,
            "end_date": DayField,
            "instructions": MultiLineField,
            "contact1_name": SingleLineField,
            "contact2_name": SingleLineField,
            "contact1_phone": DigitsField,
            "contact2_phone": DigitsField,
        }
        error_messages = {
            "start_date": {
                "required": "请填写开始日期。",
                "invalid": "开始日期格式应为 YYYY-MM-DD。",
            },
            "end_date": {
                "required": "请填写结束日期。",
                "invalid": "结束日期格式应为 YYYY-MM-DD。",
            },
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = self.fields["items"]
        assert isinstance(items, ItemChoiceField)
        items.queryset = (
            Item.objects.offerable()
            .filter(task__plan=plan)
            .select_related("task")
            .order_by("task__number", "sub_number")
        )
        for name in ("contact1_phone", "contact2_phone"):
            self.fields[name].help_text = PHONE_HELP
            # Every school sees these numbers: check the format here, in one pass with the
            # other fields (Round.configure checks again for open_round).
            self.fields[name].validators.append(contact_phone_validator)
        self.affected: list[tuple[Item, int, int]] = []

    def clean(self) -> dict[str, Any]:
        # Dates and contacts are Round.configure's rules; the view shows its refusal at the
        # field. Only the confirmation belongs to the page.
        cleaned = super().clean() or {}
        # Round.configure's own checks, repeated here so that they are reported in the same
        # pass as every other field's (configure still refuses them for open_round).
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        for i in (1, 2):
            name, phone = f"contact{i}_name", f"contact{i}_phone"
            if name in self.errors or phone in self.errors:
                continue
            if bool(cleaned.get(name)) != bool(cleaned.get(phone)):
                missing = phone if cleaned.get(name) else name
                self.add_error(missing, "联系人和联系电话须同时填写。")
        if self.instance.pk and "items" in cleaned:
            self._confirm_removals(cleaned)
        return cleaned

    def _confirm_removals(self, cleaned: dict[str, Any]) -> None:
        """Removing items that schools have filled asks the admin to confirm first; what the
        schools saved is kept either way (Round.configure never deletes it)."""
        kept = {item.pk for item in cleaned["items"]}
        removed = set(self.instance.items.values_list("pk", flat=True)) - kept
        self.affected = self.instance.items_in_use(removed)
        if self.affected and not cleaned.get("confirm"):
            raise forms.ValidationError(
                "取消开放的任务（项目）中，已有学校填写了内容。请查看下方列表后确认修改。",
                code="confirm",
            )

    def configuration(self) -> dict[str, Any]:
        """The cleaned values as Round.configure takes them."""
        data = self.cleaned_data
        return {
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "instructions": data["instructions"],
            "contacts": [
                (data[f"contact{i}_name"], data[f"contact{i}_phone"])
                for i in (1, 2)
                if data[f"contact{i}_name"] or data[f"contact{i}_phone"]
            ],
            "uses_provincial_funds": data["uses_provincial_funds"],
            "items": list(data["items"]),
        }


class RequirementForm(NamedMessages, forms.Form):
    """必选任务: one offered item, the school kinds that must take it, and schools named by
    code (pasted one per line, or separated by commas, spaces or 、)."""

    item = forms.TypedChoiceField(
        label="任务（项目）",
        coerce=int,
        error_messages={
            "required": "请选择任务（项目）。",
            "invalid_choice": "所选任务（项目）不是本省开放承接的任务，请重新选择。",
        },
    )
    kinds = forms.MultipleChoiceField(
        label="必须承接的学校类型",
        choices=SchoolKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "学校类型有误，请重新选择。"},
    )
    schools = MultiLineField(
        label="必须承接的学校（学校标识码）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="如河南省高水平中职项目学校：每行一个10位学校标识码，或用逗号、空格分隔。"
        "须为本省学校。",
    )

    def __init__(self, *args: Any, items: list[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "请选择"), *((item.pk, f"{item.code} {item.text}") for item in items)]

    def clean_schools(self) -> list[str]:
        # NFKC per code, so full-width digits from an input method name the same school.
        return [
            digits(code) for code in CODE_SEPARATORS.split(self.cleaned_data["schools"]) if code
        ]


class SchoolAddForm(NamedMessages, forms.Form):
    # NFKC: a code typed with full-width digits is the same code, never a second school.
    code = DigitsField(
        label="学校标识码",
        max_length=10,
        help_text="10位数字。",
        validators=[school_code_validator],
    )
    name = SingleLineField(label="学校名称", max_length=100)
    kind = forms.ChoiceField(label="学校类型", choices=SchoolKind.choices)
    city = SingleLineField(label="所在地市", max_length=50, required=False)


class ImportForm(NamedMessages, forms.Form):
    file = forms.FileField(
        label="学校名单文件",
        help_text="Excel（.xlsx）或 CSV 文件，列为：学校标识码、学校名称、学校类型、所在地市。",
    )


class ReasonForm(NamedMessages, forms.Form):
    reason = MultiLineField(
        label="退回原因",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写退回原因。"},
    )
    # Shown when the school's window has closed: reopening then grants it this end date.
    until = DayField(label="新的截止日期（延期至）", required=False)

    def problem(self) -> str:
        """The first error, as the page's message."""
        if "until" in self.errors:
            return f"新的截止日期：{self.errors['until'][0]}"
        return "请填写退回原因（不超过500字）。"


class ExtensionForm(NamedMessages, forms.Form):
    """批准延期 / 不同意 (one form, two buttons): the date for a grant, the note or reason."""

    until = DayField(label="延期至", required=False, help_text="该校当日24:00（北京时间）截止。")
    answer = MultiLineField(
        label="说明或不同意的原因",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="批准时可不填；不同意时必填，学校会看到。",
        error_messages={"max_length": "不能超过500字。"},
    )


@dataclass
class TypedReview:
    """What the admin typed on a school's review page and has not sent: a 修改意见 per item and
    the 退回原因. Every button of the page posts all of it; what the pressed button did not use
    is kept for the page after the redirect (in the session, for that school only)."""

    comments: dict[int, str] = field(default_factory=dict)
    reason: str = ""
    change_comment: str = ""  # the answer to a 变更申请
    until: str = ""  # the new end date typed beside the reason (after the end date)

    @classmethod
    def from_post(cls, data: QueryDict) -> "TypedReview":
        comments = {}
        for key in data:
            pk = parse_id(key.removeprefix("comment-")) if key.startswith("comment-") else None
            text = data.get(key, "")
            if pk is not None and text.strip():
                comments[pk] = text
        reason = data.get("reason", "")
        change = data.get("change_comment", "")
        until = data.get("until", "").strip()[:20]
        return cls(
            comments,
            reason if reason.strip() else "",
            change_comment=change if change.strip() else "",
            until=until,
        )

    def __bool__(self) -> bool:
        return bool(self.comments or self.reason or self.change_comment or self.until)

    @staticmethod
    def _key(code: str) -> str:
        return f"review-typed-{code}"

    def keep(self, session: SessionBase, code: str) -> None:
        if not self:
            session.pop(self._key(code), None)
            return
        # The textareas allow COMMENT_MAX characters; a longer post is forged, and the session
        # is no place for it.
        session[self._key(code)] = {
            "comments": {str(pk): text[:COMMENT_MAX] for pk, text in self.comments.items()},
            "reason": self.reason[:COMMENT_MAX],
            "change_comment": self.change_comment[:COMMENT_MAX],
            "until": self.until[:20],
        }

    @classmethod
    def take(cls, session: SessionBase, code: str) -> "TypedReview":
        """What was kept for this school's page, once."""
        kept = session.pop(cls._key(code), None)
        if not isinstance(kept, dict):
            return cls()
        comments = {
            pk: str(text)
            for key, text in dict(kept.get("comments", {})).items()
            if (pk := parse_id(key)) is not None
        }
        return cls(
            comments,
            str(kept.get("reason", "")),
            change_comment=str(kept.get("change_comment", "")),
            until=str(kept.get("until", ""))[:20],
        )


class ProvinceAdminForm(NamedMessages, forms.Form):
    username = DigitsField(
        label="用户名",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="字母、数字和 @/./+/-/_，如 sx01。",
    )
    province = forms.ModelChoiceField(
        label="省级单位", queryset=Province.objects.all(), empty_label="请选择"
    )
    password = forms.CharField(
        label="初始密码",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则由系统生成；对方首次登录时须修改。",
    )
    email = forms.EmailField(
        label="电子邮箱",
        required=False,
        max_length=254,
        help_text=(
            "选填。填写后，平台的消息（如学校提交、截止提醒）同时发送到此邮箱；"
            "对方可在“消息设置”中修改。"
        ),
        error_messages={"invalid": "电子邮箱格式不正确，例如：name@example.com。"},
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"用户名“{username}”已存在。")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password and cleaned.get("username"):
            try:
                validate_password(password, User(username=cleaned["username"], role=Role.PROVINCE))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class ProvinceDeadlineForm(NamedMessages, forms.Form):
    deadline = DayField(
        label="本省截止日期",
        required=False,
        help_text="可早于教育部的截止日期；留空则使用教育部的截止日期。",
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"},
    )


class EvaluationForm(NamedMessages, forms.Form):
    grade = forms.ChoiceField(
        label="评价等级",
        choices=Grade.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评价等级。", "invalid_choice": "请选择评价等级。"},
    )
    comment = MultiLineField(
        label="评价意见",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写评价意见。", "max_length": "评价意见不能超过500字。"},
    )


class ReportReturnForm(NamedMessages, forms.Form):
    # Not "comment": it shares one form with EvaluationForm's 评价意见 on the page.
    return_comment = MultiLineField(
        label="退回意见",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写退回意见。", "max_length": "退回意见不能超过500字。"},
    )


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number}. {obj.text[:40]}"


class SummaryUploadForm(NamedMessages, forms.Form):
    task = TaskChoiceField(
        label="重点任务",
        queryset=Task.objects.none(),
        empty_label="请选择任务",
        error_messages={"required": "请选择任务。", "invalid_choice": "请选择任务。"},
    )
    file = forms.FileField(
        label="省级总结报告",
        error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"},
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.fields["task"]
        assert isinstance(task, forms.ModelChoiceField)
        task.queryset = Task.objects.filter(plan=plan, on_platform=True).order_by("number")


class YearField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        # int() would read "٢٠٢١" as 2021.
        return super().to_python(digits(value))


class ReportingYearForm(NamedMessages, forms.Form):
    plan = forms.ModelChoiceField(label="行动计划", queryset=Plan.objects.all(), empty_label=None)
    year = YearField(
        label="年度", min_value=2000, max_value=2100, error_messages={"required": "请填写年度。"}
    )
    deadline = DayField(
        label="截止日期",
        required=False,
        help_text="留空则按行动计划的默认截止日（如12月31日、12月15日）。",
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The 年度 range beside its input, per plan, from the rule ReportingYear.open applies.
        ranges = "；".join(f"{plan.name}：{plan.reporting_range}" for plan in Plan.objects.all())
        self.fields["year"].help_text = f"可开放的年度（从承接的第二年起）——{ranges}。"


class AuditFilterForm(forms.Form):
    """操作记录's filters, read from the query string; every value is checked before it
    reaches a query."""

    province = forms.ChoiceField(label="省级单位", required=False)
    school = forms.RegexField(
        label="学校标识码",
        required=False,
        regex=r"^[0-9]{10}$",
        max_length=10,
        error_messages={"invalid": "学校标识码应为10位数字。"},
    )
    user = forms.CharField(label="操作人（用户名）", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作",
        required=False,
        choices=[("", "全部操作"), *AuditAction.choices],
        error_messages={"invalid_choice": "没有这个操作。"},
    )
    since = DayField(
        label="开始日期",
        required=False,
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"},
    )
    until = DayField(
        label="结束日期",
        required=False,
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD。"},
    )

    def __init__(self, *args: Any, provinces: list[Province] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if provinces is None:
            del self.fields["province"]
        else:
            province = self.fields["province"]
            assert isinstance(province, forms.ChoiceField)
            province.choices = [("", "全部省份"), *[(p.code, p.name) for p in provinces]]
            province.error_messages["invalid_choice"] = "没有这个省级单位。"

    def clean_school(self) -> str:
        return clean_digits(self.cleaned_data["school"]) if self.cleaned_data["school"] else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "结束日期不能早于开始日期。")
        return cleaned
