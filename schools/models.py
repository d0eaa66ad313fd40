import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from schools.audit import Entry, announce
from schools.choices import AuditAction, MailMode, Role, SchoolKind
from schools.validators import (
    INITIAL_PASSWORD,
    mobile_validator,
    office_phone_validator,
    school_code_validator,
)
from tizhi.lib.text import OtherScriptDigits, clean_digits
from tizhi.lib.transitions import InvalidInput, NotAllowed


def one_time_password() -> str:
    """Twelve letters and digits (both present, as the password rule wants), without the
    look-alikes 0/O, 1/l/I that a school copies wrong from a slip."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


INITIAL_PASSWORD_DAYS = 30
CONTACT_FIELDS = ("contact_name", "office_phone", "mobile")
KIND_BY_LABEL = {label: value for value, label in SchoolKind.choices}
BATCH = 1000


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
    email = models.EmailField(
        "电子邮箱", blank=True, help_text="选填；填写后，平台的消息也发送到此邮箱。"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "学校"
        verbose_name_plural = "学校"
        indexes = [models.Index(fields=["province", "kind"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def audit_scope(self) -> tuple[str, str]:
        return self.province_id, self.code

    # -- changes -------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        rows: "list[SchoolRow]",
        province: Province,
        *,
        by: "User | None",
        ip: str | None = None,
        actor: str = "",
        new_only: bool = False,
    ) -> "ImportResult":
        """添加学校 and 批量导入: check every row, then create or update the schools and create
        their missing accounts (initial password 123456), all or nothing, each on record.

        An import run again updates 学校名称, 学校类型 and 所在地市 and never touches passwords or
        contacts; 添加学校 (`new_only`) refuses a code that exists.
        """
        if by is not None and not by.administers(province.code):
            raise NotAllowed("只能为本省添加或导入学校。")
        with transaction.atomic():
            if new_only:
                taken = School.objects.filter(code__in=[r.code for r in rows])
                existing = set(taken.values_list("code", flat=True))
                errors = [
                    f"第{r.line}行：学校标识码{r.code}已存在，不能重复添加。"
                    for r in rows
                    if r.code in existing
                ]
                if errors:
                    raise SchoolImportError(errors)
            check_rows(rows, province)
            return _save_rows(rows, province, by, ip, actor)

    def set_contacts(self, contact_name: str, office_phone: str, mobile: str) -> dict[str, Any]:
        """Write the contacts; return {field: [old, new]} of what changed. Part of a larger
        change (the commitment form) that records it; alone, use update_contacts."""
        for value, validator in (
            (office_phone, office_phone_validator),
            (mobile, mobile_validator),
        ):
            if value:
                try:
                    validator(value)
                except ValidationError as exc:
                    raise InvalidInput("联系方式格式不正确。") from exc
        new = {"contact_name": contact_name, "office_phone": office_phone, "mobile": mobile}
        changed = {
            name: [getattr(self, name), value]
            for name, value in new.items()
            if getattr(self, name) != value
        }
        if changed:
            for name, (_old, value) in changed.items():
                setattr(self, name, value)
            self.save(update_fields=[*changed, "updated_at"])
        return changed

    def update_contacts(
        self,
        *,
        by: "User",
        contact_name: str,
        office_phone: str,
        mobile: str,
        ip: str | None = None,
    ) -> None:
        """平台管理联系人, 办公电话, 手机号, as the school keeps them on 本校信息 and 修改密码."""
        if by.school_id != self.code:
            raise NotAllowed("只能修改本校的联系人信息。")
        with transaction.atomic():
            locked = School.objects.select_for_update().get(pk=self.pk)
            changed = locked.set_contacts(contact_name, office_phone, mobile)
            if changed:
                announce(Entry(locked, AuditAction.CONTACTS_CHANGE, by, ip, {"contacts": changed}))
        self.refresh_from_db()

    register.__func__.alters_data = True  # type: ignore[attr-defined]
    set_contacts.alters_data = True  # type: ignore[attr-defined]
    update_contacts.alters_data = True  # type: ignore[attr-defined]


class SchoolImportError(Exception):
    """The rows cannot be imported; `errors` lists the first IMPORT_MAX_ERRORS problems, by
    row where there is one, and `omitted` counts the rest (a page of 100,000 errors helps
    nobody and costs the server)."""

    def __init__(self, errors: list[str]) -> None:
        shown = int(getattr(settings, "IMPORT_MAX_ERRORS", 200))
        super().__init__("\n".join(errors[:shown]))
        self.errors = errors[:shown]
        self.omitted = max(len(errors) - shown, 0)
        self.total = len(errors)


@dataclass
class SchoolRow:
    """One school as a file or the 添加学校 form gives it; `line` is its spreadsheet row."""

    line: int
    code: str
    name: str
    kind: str
    city: str


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    accounts_created: int = 0


NAME_MAX = 100
CITY_MAX = 50


def check_rows(rows: list[SchoolRow], province: Province) -> None:
    """Raise SchoolImportError listing every bad row; return if the whole file is good."""
    errors: list[tuple[int, str]] = []

    def bad(row: SchoolRow, message: str) -> None:
        errors.append((row.line, f"第{row.line}行：{message}"))

    first_seen: dict[str, int] = {}
    for row in rows:
        if not re.fullmatch(r"[0-9]{10}", row.code):
            bad(row, f"学校标识码“{row.code}”{_code_problem(row.code)}")
        elif row.code in first_seen:
            bad(row, f"学校标识码{row.code}与第{first_seen[row.code]}行重复。")
        else:
            first_seen[row.code] = row.line
        if not row.name:
            bad(row, "学校名称不能为空。")
        elif len(row.name) > NAME_MAX:
            bad(row, f"学校名称不能超过{NAME_MAX}个字。")
        if row.kind not in KIND_BY_LABEL:
            bad(row, f"学校类型“{row.kind}”无效，应为：{'、'.join(KIND_BY_LABEL)}。")
        if len(row.city) > CITY_MAX:
            bad(row, f"所在地市不能超过{CITY_MAX}个字。")

    codes = list(first_seen)
    elsewhere = {
        s.code: s
        for s in School.objects.filter(code__in=codes)
        .exclude(province=province)
        .select_related("province")
    }
    # A code is free as a username unless an account other than that school's own holds it.
    taken = set(
        User.objects.filter(username__in=codes)
        .exclude(school_id=F("username"))
        .values_list("username", flat=True)
    )
    for row in rows:
        if first_seen.get(row.code) != row.line:
            continue
        if row.code in elsewhere:
            other = elsewhere[row.code]
            bad(
                row,
                f"学校标识码{row.code}已属于{other.province.name}（{other.name}），"
                f"不能导入到{province.name}。",
            )
        elif row.code in taken:
            bad(row, f"用户名{row.code}已被其他账号使用。")
    if errors:
        raise SchoolImportError([message for _line, message in sorted(errors)])


def code_problems(code: str, province: Province) -> list[str]:
    """What adding one school with `code` to `province` would be refused for, by the code alone:
    the checks of School.register(new_only=True), so that 添加学校 names a taken code in the same
    pass as a missing name. register checks again under its transaction."""
    if School.objects.filter(code=code).exists():
        return [f"学校标识码{code}已存在，不能重复添加。"]
    # A row valid in every other column, so that only the code's own problems are reported.
    row = SchoolRow(line=1, code=code, name="-", kind=next(iter(KIND_BY_LABEL)), city="")
    try:
        check_rows([row], province)
    except SchoolImportError as exc:
        return [e.removeprefix("第1行：") for e in exc.errors]
    return []


def _code_problem(code: str) -> str:
    try:
        clean_digits(code)
    except OtherScriptDigits as exc:
        return f"含有其他文字的数字，{exc.message}"
    return "应为10位数字。"


def _save_rows(
    rows: list[SchoolRow], province: Province, by: "User | None", ip: str | None, actor: str
) -> ImportResult:
    result = ImportResult()
    existing = School.objects.in_bulk([r.code for r in rows])
    new_schools, changed, entries = [], [], []
    for row in rows:
        kind = KIND_BY_LABEL[row.kind]
        school = existing.get(row.code)
        if school is None:
            school = School(
                code=row.code, name=row.name, kind=kind, city=row.city, province=province
            )
            new_schools.append(school)
            result.created.append(row.code)
            entries.append(
                Entry(
                    school,
                    AuditAction.SCHOOL_ADD,
                    by,
                    ip,
                    {"fields": _school_fields(school)},
                    actor,
                )
            )
        elif (school.name, school.kind, school.city) != (row.name, kind, row.city):
            old = {"name": school.name, "kind": school.get_kind_display(), "city": school.city}
            school.name, school.kind, school.city = row.name, kind, row.city
            new = {"name": school.name, "kind": school.get_kind_display(), "city": school.city}
            changed.append(school)
            result.updated.append(row.code)
            entries.append(
                Entry(
                    school,
                    AuditAction.SCHOOL_CHANGE,
                    by,
                    ip,
                    {"fields": _labelled({k: [old[k], new[k]] for k in old if old[k] != new[k]})},
                    actor,
                )
            )
        else:
            result.unchanged.append(row.code)
    School.objects.bulk_create(new_schools, batch_size=BATCH)
    School.objects.bulk_update(changed, ["name", "kind", "city", "updated_at"], batch_size=BATCH)

    with_account = set(
        User.objects.filter(school__code__in=[r.code for r in rows]).values_list(
            "school_id", flat=True
        )
    )
    # The initial password is public (the manual prints it), so one hash serves every new
    # account: hashing 11,000 passwords one by one would take minutes.
    initial = make_password(INITIAL_PASSWORD)
    now = timezone.now()
    accounts = [
        User(
            username=r.code,
            password=initial,
            role=Role.SCHOOL,
            school_id=r.code,
            must_change_password=True,
            initial_password_at=now,
        )
        for r in rows
        if r.code not in with_account
    ]
    User.objects.bulk_create(accounts, batch_size=BATCH)
    # bulk_create gives primary keys on PostgreSQL and SQLite alike.
    entries += [
        Entry(
            a,
            AuditAction.ACCOUNT_CREATE,
            by,
            ip,
            {"note": "初始密码123456，首次登录须修改"},
            actor,
            province_id=province.code,
            school_id=a.school_id,
        )
        for a in accounts
    ]
    result.accounts_created = len(accounts)
    announce(*entries)
    return result


def _labelled(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        str(getattr(School._meta.get_field(name), "verbose_name", name)): pair
        for name, pair in changes.items()
    }


def _school_fields(school: School) -> dict[str, list[Any]]:
    return _labelled(
        {
            "code": [None, school.code],
            "name": [None, school.name],
            "kind": [None, school.get_kind_display()],
            "city": [None, school.city],
        }
    )


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
    mail_mode = models.CharField(
        "邮件提醒",
        max_length=8,
        choices=MailMode.choices,
        default=MailMode.EACH,
        help_text="平台消息是否同时发送邮件：每条通知、每日汇总或不发送。",
    )
    must_change_password = models.BooleanField(
        "须修改密码",
        default=False,
        help_text="账号使用初始密码或被重置密码时为真；修改密码前不能访问其他页面。",
    )
    initial_password_at = models.DateTimeField(
        "初始密码设置时间",
        null=True,
        blank=True,
        help_text="账号得到初始密码或临时密码的时间；超过30天仍未修改的，须重置后才能登录。",
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

    def audit_scope(self) -> tuple[str | None, str | None]:
        if self.school_id:
            return self.school.province_id if self.school else None, self.school_id
        return self.province_id, None

    @property
    def audit_label(self) -> str:
        return f"账号 {self.username}"

    # -- who may do what -------------------------------------------------------------------

    def administers(self, province_id: str | None) -> bool:
        """Whether this is an admin of that province: the one test of "本省" everywhere."""
        return (
            self.role == Role.PROVINCE
            and province_id is not None
            and self.province_id == province_id
        )

    def manage_refusal(self, by: "User") -> str | None:
        """Why `by` may not reset or (de)activate this account, or None.

        A province admin manages its own province's school accounts; the ministry manages
        province admins.
        """
        if self.role == Role.SCHOOL and self.school is not None:
            if by.administers(self.school.province_id):
                return None
            return "只能管理本省学校的账号。"
        if self.role == Role.PROVINCE and by.role == Role.MINISTRY:
            return None
        return "无权管理该账号。"

    def can_manage(self, by: "User") -> bool:
        return self.manage_refusal(by) is None

    # -- changes ---------------------------------------------------------------------------

    @classmethod
    def create_account(
        cls,
        *,
        username: str,
        role: Role,
        password: str,
        province: Province | None = None,
        by: "User | None",
        ip: str | None = None,
        actor: str = "",
        email: str = "",
    ) -> "User":
        """A province admin or a ministry account, created by the ministry's page or by
        `create_admin`; either way it must change its password at first sign-in. `email`
        (optional) is where its notices are mailed; the account may change it in 消息设置."""
        if by is not None and not (by.role == Role.MINISTRY and role == Role.PROVINCE):
            raise NotAllowed("只有教育部可以创建省级管理员账号。")
        if role not in (Role.PROVINCE, Role.MINISTRY):
            raise InvalidInput("只能创建省级管理员或教育部账号。")
        if (role == Role.PROVINCE) != (province is not None):
            raise InvalidInput("省级管理员须指定省级单位，教育部账号不属于任何省份。", "province")
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise InvalidInput("电子邮箱格式不正确。", "email") from exc
        user = cls(
            username=username,
            role=role,
            province=province,
            email=email,
            must_change_password=True,
            initial_password_at=timezone.now(),
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput("密码不符合规则：" + "".join(exc.messages), "password") from exc
        with transaction.atomic():
            if cls.objects.filter(username__iexact=username).exists():
                raise InvalidInput(f"用户名“{username}”已存在。", "username")
            user.set_password(password)
            user.save()
            where = {"省级单位": [None, province.name]} if province else {}
            if email:
                where["电子邮箱"] = [None, email]
            announce(
                Entry(
                    user,
                    AuditAction.ACCOUNT_CREATE,
                    by,
                    ip,
                    {"fields": {"角色": [None, Role(role).label], **where}},
                    actor,
                )
            )
        return user

    @property
    def initial_password_expired(self) -> bool:
        """An initial or one-time password left unused for INITIAL_PASSWORD_DAYS: it no longer
        signs in (the account must be reset), so 123456 on a forgotten account is not a door
        left open for ever."""
        if not self.must_change_password or self.initial_password_at is None:
            return False
        return timezone.now() - self.initial_password_at > timedelta(days=INITIAL_PASSWORD_DAYS)

    def reset_password(self, *, by: "User", ip: str | None = None) -> str:
        """A new random one-time password, returned to be shown once to the admin who reset
        it (never stored in clear, never mailed); it must be changed at the next sign-in.
        Never the public 123456: after a reset, knowing a school's code must not be enough to
        sign in as it."""
        refusal = self.manage_refusal(by)
        if refusal:
            raise NotAllowed(refusal)
        password = one_time_password()
        with transaction.atomic():
            self.set_password(password)
            self.must_change_password = True
            self.initial_password_at = timezone.now()
            self.save(update_fields=["password", "must_change_password", "initial_password_at"])
            announce(Entry(self, AuditAction.PASSWORD_RESET, by, ip))
        return password

    def set_active(self, active: bool, *, by: "User", ip: str | None = None) -> None:
        """Deactivate (or reactivate) the account; a deactivated one cannot sign in and its
        open sessions end at once."""
        refusal = self.manage_refusal(by)
        if refusal:
            raise NotAllowed(refusal)
        if self.is_active == active:
            return
        with transaction.atomic():
            self.is_active = active
            self.save(update_fields=["is_active"])
            action = AuditAction.ACCOUNT_ACTIVATE if active else AuditAction.ACCOUNT_DEACTIVATE
            announce(Entry(self, action, by, ip))

    def change_password(self, password: str, *, ip: str | None = None) -> None:
        """修改密码 by the account's owner; ends the forced change after a reset."""
        with transaction.atomic():
            self.set_password(password)
            self.must_change_password = False
            self.initial_password_at = None
            self.save(update_fields=["password", "must_change_password", "initial_password_at"])
            announce(Entry(self, AuditAction.PASSWORD_CHANGE, self, ip))

    # -- notices by mail ------------------------------------------------------------------

    @property
    def mail_address(self) -> str:
        """Where this account's notices are mailed: a school's contact address (one account
        per school), an admin's own address; empty when none was given."""
        if self.school_id is not None:
            return self.school.email if self.school else ""
        return self.email

    def set_mail_preferences(self, *, email: str, mail_mode: str, ip: str | None = None) -> None:
        """消息设置 by the account's owner: the address notices are mailed to (the school's
        contact address for a school account) and how often."""
        if mail_mode not in MailMode.values:
            raise InvalidInput("请选择邮件提醒方式。")
        email = email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise InvalidInput("电子邮箱格式不正确。") from exc
        with transaction.atomic():
            changes: dict[str, list[str]] = {}
            if self.school_id is not None:
                school = School.objects.select_for_update().get(pk=self.school_id)
                if school.email != email:
                    changes["电子邮箱"] = [school.email, email]
                    school.email = email
                    school.save(update_fields=["email", "updated_at"])
                self.school = school
            elif self.email != email:
                changes["电子邮箱"] = [self.email, email]
                self.email = email
            if self.mail_mode != mail_mode:
                changes["邮件提醒"] = [MailMode(self.mail_mode).label, MailMode(mail_mode).label]
                self.mail_mode = mail_mode
            if changes:
                self.save(update_fields=["email", "mail_mode"])
                announce(Entry(self, AuditAction.MAIL_SETTINGS, self, ip, {"fields": changes}))

    set_mail_preferences.alters_data = True  # type: ignore[attr-defined]
    create_account.__func__.alters_data = True  # type: ignore[attr-defined]
    reset_password.alters_data = True  # type: ignore[attr-defined]
    set_active.alters_data = True  # type: ignore[attr-defined]
    change_password.alters_data = True  # type: ignore[attr-defined]

    @property
    def is_school(self) -> bool:
        return self.role == Role.SCHOOL

    @property
    def is_province_admin(self) -> bool:
        return self.role == Role.PROVINCE

    @property
    def is_ministry(self) -> bool:
        return self.role == Role.MINISTRY

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR
