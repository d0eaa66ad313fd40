from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from schools.choices import Role, SchoolKind
from schools.validators import (
    INITIAL_PASSWORD,
    mobile_validator,
    office_phone_validator,
    school_code_validator,
)


class Province(models.Model):
    """A provincial unit: the 31 provinces and 新疆生产建设兵团, keyed by 2-digit code."""

    code = models.CharField("代码", max_length=2, primary_key=True)
    name = models.CharField("名称", max_length=32, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "省级单位"
        verbose_name_plural = "省级单位"

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """A school or other undertaking unit, keyed by its 10-digit 学校标识码."""

    code = models.CharField(
        "学校标识码", max_length=10, primary_key=True, validators=[school_code_validator]
    )
    name = models.CharField("学校名称", max_length=100)
    kind = models.CharField("学校类型", max_length=16, choices=SchoolKind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="schools", verbose_name="所在省份"
    )
    city = models.CharField("所在地市", max_length=50, blank=True)
    contact_name = models.CharField("平台管理联系人", max_length=50, blank=True)
    office_phone = models.CharField(
        "办公电话", max_length=20, blank=True, validators=[office_phone_validator]
    )
    mobile = models.CharField("手机号", max_length=11, blank=True, validators=[mobile_validator])
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "学校"
        verbose_name_plural = "学校"
        indexes = [models.Index(fields=["province", "kind"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class PortalUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> "User":
        # `createsuperuser` does not ask for a role: superusers are the operators.
        extra.setdefault("role", Role.OPERATOR)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """An account. A school account belongs to one school, a province admin to one province."""

    role = models.CharField("角色", max_length=16, choices=Role.choices)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admins",
        verbose_name="管理省份",
        help_text="仅省级管理员填写。",
    )
    school = models.OneToOneField(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        verbose_name="所属学校",
        help_text="仅学校账号填写。",
    )
    must_change_password = models.BooleanField(
        "须修改密码",
        default=False,
        help_text="账号使用初始密码或被重置密码时为真；修改密码前不能访问其他页面。",
    )

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_scope",
                condition=(
                    Q(role=Role.SCHOOL, school__isnull=False, province__isnull=True)
                    | Q(role=Role.PROVINCE, province__isnull=False, school__isnull=True)
                    | Q(
                        role__in=[Role.MINISTRY, Role.OPERATOR],
                        province__isnull=True,
                        school__isnull=True,
                    )
                ),
                violation_error_message="学校账号须关联学校，省级管理员须关联省份，其他角色两者都不填。",
            )
        ]

    def __str__(self) -> str:
        return self.username

    def manage_refusal(self, by: "User") -> str | None:
        """Why `by` may not reset or (de)activate this account, or None.

        A province admin manages its own province's school accounts; the ministry manages
        province admins.
        """
        if self.role == Role.SCHOOL and self.school is not None:
            if by.role == Role.PROVINCE and by.province_id == self.school.province_id:
                return None
            return "只能管理本省学校的账号。"
        if self.role == Role.PROVINCE and by.role == Role.MINISTRY:
            return None
        return "无权管理该账号。"

    def reset_password(self, *, by: "User", password: str = INITIAL_PASSWORD) -> None:
        """Back to the initial password 123456 (or a temporary one), to be changed at the
        next sign-in."""
        refusal = self.manage_refusal(by)
        if refusal:
            raise PermissionDenied(refusal)
        self.set_password(password)
        self.must_change_password = True
        self.save(update_fields=["password", "must_change_password"])

    def set_active(self, active: bool, *, by: "User") -> None:
        """Deactivate (or reactivate) the account; a deactivated one cannot sign in and its
        open sessions end at once."""
        refusal = self.manage_refusal(by)
        if refusal:
            raise PermissionDenied(refusal)
        self.is_active = active
        self.save(update_fields=["is_active"])

    reset_password.alters_data = True  # type: ignore[attr-defined]
    set_active.alters_data = True  # type: ignore[attr-defined]

    @property
    def is_school(self) -> bool:
        return self.role == Role.SCHOOL

    @property
    def is_province_admin(self) -> bool:
        return self.role == Role.PROVINCE

    @property
    def is_ministry(self) -> bool:
        return self.role == Role.MINISTRY
