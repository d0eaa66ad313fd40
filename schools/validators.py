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
office_phone_validator = RegexValidator(
    r"^0[0-9]{2,3}-[0-9]{7,8}\Z",
    "办公电话格式应为：区号+“-”+电话号码，如010-87654321。",
    code="invalid_office_phone",
)
mobile_validator = RegexValidator(
    r"^1[0-9]{10}\Z", "手机号应为以1开头的11位数字。", code="invalid_mobile"
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
