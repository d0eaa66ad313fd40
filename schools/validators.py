"""Rules for codes, phones and passwords, each with a message a user can act on."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

# The manual publishes it: every imported school account starts with it.
INITIAL_PASSWORD = "123456"  # noqa: S105

school_code_validator = RegexValidator(
    r"^[0-9]{10}\Z", "学校标识码应为10位数字。", code="invalid_school_code"
)
# Rules for phones (docs/decisions.md, "Errors and lists"): a fixed line is the area code
# (0 and 2–3 digits), "-", 7–8 digits, and optionally "-" and an extension of 1–6 digits; a
# mobile is 11 digits in the ranges the ministry of industry assigns, 13x–19x. [0-9], never
# \d: digits of other scripts are refused before (tizhi.lib.text).
OFFICE_PHONE = r"0[0-9]{2,3}-[0-9]{7,8}(?:-[0-9]{1,6})?"
MOBILE = r"1[3-9][0-9]{9}"

office_phone_validator = RegexValidator(
    rf"^{OFFICE_PHONE}\Z",
    "办公电话格式应为：区号-电话号码，可加“-分机号”，如010-87654321或0351-3046505-801。",
    code="invalid_office_phone",
)
mobile_validator = RegexValidator(
    rf"^{MOBILE}\Z",
    "手机号应为11位数字，以13-19开头，如13812345678。",
    code="invalid_mobile",
)
# A province's contact on 本省申报要求 gives either.
contact_phone_validator = RegexValidator(
    rf"^(?:{OFFICE_PHONE}|{MOBILE})\Z",
    "联系电话应为办公电话（区号-电话号码，如0351-3046505）或11位手机号（如13812345678）。",
    code="invalid_contact_phone",
)

_ALLOWED_PASSWORD = re.compile(r"^[\x21-\x7e]+\Z")


class PortalPasswordValidator:
    """The manual's rule: 6–20 characters mixing letters and digits.

    Printable ASCII symbols are allowed as well (they only make a password stronger); spaces
    and non-ASCII characters are not, because staff type passwords on shared machines with
    Chinese input methods switched on and would not see what they typed.
    """

    min_length = 6
    max_length = 20

    def validate(self, password: str, user: Any = None) -> None:
        errors = []
        if password == INITIAL_PASSWORD:
            errors.append(ValidationError("新密码不能是初始密码123456。", code="initial"))
        if not self.min_length <= len(password) <= self.max_length:
            errors.append(ValidationError("密码长度应为6-20位。", code="length"))
        if not _ALLOWED_PASSWORD.match(password):
            errors.append(
                ValidationError(
                    "密码只能包含字母、数字和英文标点，不能有空格或中文。", code="charset"
                )
            )
        if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
            errors.append(ValidationError("密码须由数字和字母混合组成。", code="mix"))
        username = getattr(user, "username", "") if user is not None else ""
        if username and password.lower() == username.lower():
            errors.append(ValidationError("密码不能与用户名相同。", code="username"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return "密码规则：6-20位数字和字母混合组成，不能是123456，不能与用户名相同。"


class AdminPasswordLengthValidator:
    """Administrators' passwords (省级管理员, 教育部, operators) are at least 12 characters: one
    such account opens a whole province's or the nation's data."""

    min_length = 12

    def validate(self, password: str, user: Any = None) -> None:
        role = getattr(user, "role", None)
        administers = role in {"province", "ministry", "operator"} or getattr(
            user, "is_superuser", False
        )
        if administers and len(password) < self.min_length:
            raise ValidationError(f"管理员账号的密码至少{self.min_length}位。", code="admin_length")

    def get_help_text(self) -> str:
        return f"管理员账号的密码至少{self.min_length}位。"
