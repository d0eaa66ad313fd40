"""Form fields that put typed text through the one normaliser (tizhi.lib.text).

The request middleware (tizhi.middleware) already removes control characters from every value
posted; these fields add what depends on the field: a one-line field turns line breaks into a
space, a code, number or phone is NFKC-normalised and refuses digits of other scripts, and a
hidden integer parses strictly. They also hold when a form is bound outside a request.
"""

from datetime import date
from typing import Any

from django import forms

from tizhi.lib.text import OtherScriptDigits, clean_digits, clean_text, parse_id


def digits(value: Any) -> Any:
    """`clean_digits` for a field's raw value: other-script digits become a field error."""
    if not isinstance(value, str):
        return value
    try:
        return clean_digits(value)
    except OtherScriptDigits as exc:
        raise forms.ValidationError(exc.message, code="other_script") from exc


class SingleLineField(forms.CharField):
    """Text on one line (a name, a city): line breaks and tabs pasted in become one space."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = clean_text(value, strip=self.strip)
        return super().to_python(value)


class MultiLineField(forms.CharField):
    """Text of several lines (a comment, a narrative): a vertical tab from Word becomes a
    newline, Windows line ends become newlines, other control characters go."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = clean_text(value, multiline=True, strip=self.strip)
        return super().to_python(value)


class DigitsField(forms.CharField):
    """A code, username or phone: full-width characters from a Chinese input method become
    ASCII; digits of another script are refused rather than read as 0–9."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(digits(value))


EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


class DayField(forms.DateField):
    """A date as YYYY-MM-DD (a browser's date picker sends that; typed full-width digits are
    read too), with the message in Chinese, between 2000 and 2100: year 1 or 9999 is a slip of
    the keyboard, never a deadline. Models narrow it further (a plan's years, end after start)."""

    widget = forms.DateInput(
        attrs={"type": "date", "min": f"{EARLIEST_DAY:%Y-%m-%d}", "max": f"{LATEST_DAY:%Y-%m-%d}"},
        format="%Y-%m-%d",
    )
    default_error_messages = {
        "invalid": "日期格式应为 YYYY-MM-DD，如2026-12-05。",
        "out_of_range": "日期应在2000-01-01至2100-12-31之间。",
    }

    def to_python(self, value: Any) -> Any:
        return super().to_python(digits(value))

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")


class IdField(forms.Field):
    """A hidden integer (a row's id): ASCII digits only, so "²" or 5,000 digits are a field
    error instead of an exception."""

    widget = forms.HiddenInput
    default_error_messages = {"invalid": "页面数据有误，请刷新页面后重试。"}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        parsed = parse_id(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class NamedMessages:
    """A form mixin: each field that still carries one of Django's generic messages
    ("这个字段是必须的。", "输入一个有效的…", "确保该值不超过…") gets a Chinese one naming it
    ("请填写学校名称。"); messages a form sets itself are kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        for field in fields.values():
            name_messages(field)


def name_messages(field: forms.Field) -> None:
    label = str(field.label or "")
    if not label:
        return
    chooses = isinstance(field, forms.ChoiceField | forms.FileField | forms.ModelChoiceField)
    verb = "请选择" if chooses else "请填写"
    invalid = (
        f"{label}格式应为 YYYY-MM-DD，如2026-12-05。"
        if isinstance(field, forms.DateField)
        else f"{label}格式不正确。"
    )
    defaults = {
        "required": f"{verb}{label}。",
        "invalid": invalid,
        "invalid_choice": f"{label}：“%(value)s”不是可选的选项，请重新选择。",
        "max_length": f"{label}不能超过%(limit_value)d个字。",
    }
    for key, message in defaults.items():
        current = field.error_messages.get(key)
        if key == "max_length" and current is None and getattr(field, "max_length", None):
            field.error_messages[key] = message  # replaces the length validator's message
        elif current is not None and _is_django_default(field, key, current):
            field.error_messages[key] = message


def _is_django_default(field: forms.Field, key: str, message: Any) -> bool:
    """Whether `message` is the one Django's own field classes give (not ours, such as
    DayField's, which already says what to type)."""
    for cls in type(field).__mro__:
        if not cls.__module__.startswith("django."):
            continue
        default = getattr(cls, "default_error_messages", {}).get(key)
        if default is not None and str(default) == str(message):
            return True
    return False
