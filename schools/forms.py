from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.http import HttpRequest

from schools.choices import Role
from schools.models import School, User
from schools.validators import mobile_validator, office_phone_validator
from tizhi.lib.forms import DigitsField, NamedMessages, SingleLineField


class CaptchaWidget(CaptchaTextInput):
    template_name = "schools/widgets/captcha.html"
    # A plain <label for> on the text box, not a <fieldset>, so the input's accessible name
    # is 验证码.
    use_fieldset = False


class LoginForm(forms.Form):
    # A school types its code, often with the full-width digits of a Chinese input method.
    username = DigitsField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
        error_messages={"required": "请输入用户名。"},
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请输入密码。"},
    )
    captcha = CaptchaField(
        label="验证码",
        widget=CaptchaWidget(attrs={"autocomplete": "off", "class": "form-control"}),
        error_messages={"invalid": "验证码错误，请重新输入。", "required": "请输入验证码。"},
    )

    def __init__(self, request: HttpRequest, role: Role, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.role = role
        self.user: User | None = None
        if role == Role.SCHOOL:
            self.fields["username"].help_text = "用户名为学校标识码（10位）。"
        for name in ("username", "password"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def full_clean(self) -> None:
        super().full_clean()
        # The template prints each field's message under it; the input says it is invalid
        # and where the message is (the captcha's box too, which sits in a row of its own).
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{name}-error"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Only a well-formed attempt that passed the captcha reaches the password check, so
        # the lockout counts guesses at passwords, not mistyped captchas.
        if self.errors:
            return cleaned
        user = authenticate(
            self.request, username=cleaned["username"].strip(), password=cleaned["password"]
        )
        if user is None:
            raise forms.ValidationError("用户名或密码错误。", code="invalid_login")
        assert isinstance(user, User)
        if not user.is_active:
            # Only the owner, who knows the password, learns why (schools/backends.py).
            raise forms.ValidationError("该账号已停用，请联系管理员。", code="inactive")
        if user.initial_password_expired:
            whom = "省级管理员" if user.role == Role.SCHOOL else "上级管理员"
            raise forms.ValidationError(
                f"初始密码（或临时密码）超过30天未使用，已失效。请联系{whom}重置密码。",
                code="initial_expired",
            )
        if user.role != self.role:
            raise forms.ValidationError(
                f"该账号不是“{self.role.label}”账号，请返回首页选择“{user.get_role_display()}”入口登录。",
                code="wrong_role",
            )
        self.user = user
        return cleaned


class ContactForm(NamedMessages, forms.ModelForm):
    """平台管理联系人, 办公电话, 手机号: all three required wherever a school edits them."""

    class Meta:
        model = School
        fields = ["contact_name", "office_phone", "mobile"]
        error_messages = {
            "contact_name": {
                "required": "请填写平台管理联系人。",
                "max_length": "平台管理联系人不能超过50个字。",
            },
            "office_phone": {
                "required": "请填写办公电话。",
                "max_length": office_phone_validator.message,
            },
            "mobile": {"required": "请填写手机号。", "max_length": mobile_validator.message},
        }
        # Full-width digits and hyphens (０１０－…) from a Chinese input method are accepted.
        field_classes = {
            "contact_name": SingleLineField,
            "office_phone": DigitsField,
            "mobile": DigitsField,
        }
        widgets = {
            "office_phone": forms.TextInput(attrs={"placeholder": "如：010-87654321"}),
            "mobile": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        # The commitment form's 保存 keeps an incomplete form, so there they are optional;
        # 提交 and 修改密码 require all three.
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = required

    def contacts(self) -> dict[str, str]:
        """The cleaned contacts, for School.update_contacts (the form never saves itself)."""
        return {name: self.cleaned_data.get(name, "") for name in self.Meta.fields}


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    error_messages = {
        "password_incorrect": "旧密码不正确，请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "旧密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password1"].help_text = ""
        self.fields["new_password2"].label = "重新输入新密码"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].error_messages["required"] = "请输入旧密码。"
        self.fields["new_password1"].error_messages["required"] = "请输入新密码。"
        self.fields["new_password2"].error_messages["required"] = "请再次输入新密码。"

    def clean(self) -> dict[str, Any]:
        # Django reports the password rules at the confirmation field; users read them at
        # 新密码, where they typed the password, and a mismatch at 重新输入新密码.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        new = self.cleaned_data.get("new_password1")
        if (
            new
            and new == self.cleaned_data.get("old_password")
            and "new_password1" not in self.errors
        ):
            self.add_error(
                "new_password1",
                forms.ValidationError("新密码不能与旧密码相同。", code="same_as_old"),
            )
        return self.cleaned_data
