"""A province's call for one plan (本省申报要求): dates, instructions, contacts, the offer."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, F, Q

from schools.audit import field_changes
from schools.choices import AuditAction, SchoolKind
from schools.models import Province, School, User
from schools.validators import contact_phone_validator
from tasks.choices import (
    FUND_FIELDS,
    DeclarationStatus,
    ExtensionStatus,
    ItemScope,
    WindowState,
)
from tasks.models.audit import AuditEvent
from tasks.models.catalogue import Item, Plan
from tasks.models.requirements import RequiredItem, Requirement, group_requirements
from tasks.transitions import BEIJING, InvalidInput, InvalidState, NotAllowed, beijing_today

CONFIG_FIELDS = [
    "start_date",
    "end_date",
    "instructions",
    "contact1_name",
    "contact1_phone",
    "contact2_name",
    "contact2_phone",
    "uses_provincial_funds",
]
NAMES_SHOWN = 10
# More codes than a province has schools of one kind in one paste would be a mistake.
MAX_NAMED_SCHOOLS = 2000


class Round(models.Model):
    """One province's call for one plan (本省申报要求)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="rounds", verbose_name="行动计划"
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="rounds", verbose_name="省级单位"
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", help_text="当日24:00（北京时间）截止。")
    instructions = models.TextField("说明", blank=True)
    contact1_name = models.CharField("省厅联系人", max_length=50, blank=True)
    contact1_phone = models.CharField("联系电话", max_length=30, blank=True)
    contact2_name = models.CharField("省厅联系人2", max_length=50, blank=True)
    contact2_phone = models.CharField("联系电话2", max_length=30, blank=True)
    uses_provincial_funds = models.BooleanField(
        "使用“省财政投入”列", default=False, help_text="勾选后学校填报表显示第五个经费来源。"
    )
    items = models.ManyToManyField(
        Item, related_name="rounds", verbose_name="开放承接的任务（项目）", blank=True
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "省级申报轮次"
        verbose_name_plural = "省级申报轮次"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "province"], name="one_round_per_plan_province"
            ),
            models.CheckConstraint(
                name="round_end_not_before_start",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message="结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} · {self.plan}"

    @property
    def audit_label(self) -> str:
        return f"{self.province}本省申报要求"

    def audit_scope(self) -> tuple[str, None]:
        return self.province_id, None

    # -- the one way to open or change a round ----------------------------------------------

    @classmethod
    def configure(
        cls,
        plan: Plan,
        province: Province,
        *,
        by: User | None,
        ip: str | None = None,
        actor: str = "",
        start_date: date | None = None,
        end_date: date | None = None,
        instructions: str | None = None,
        contacts: Sequence[tuple[str, str]] | None = None,
        uses_provincial_funds: bool | None = None,
        items: Iterable[Item] | None = None,
    ) -> "Round":
        """本省申报要求: open the province's round for `plan`, or change it. A value left None
        keeps what the round has (`open_round` changes only what it is given); a new round
        offers the catalogue's school items unless `items` says otherwise.

        The round row is locked first. Every school's save takes a share lock on it
        (Declaration._locked), so switching 省财政投入 off cannot slip between a school's
        check and its write: the switch is refused while any school has an amount there.
        """
        if by is not None and not by.administers(province.code):
            raise NotAllowed("只能设置本省的申报要求。")
        with transaction.atomic():
            found = Round.objects.select_for_update().filter(plan=plan, province=province).first()
            created = found is None
            if found is None:
                if start_date is None or end_date is None:
                    raise InvalidInput("请填写开始日期和结束日期。", "start_date")
                found = Round(
                    plan=plan, province=province, start_date=start_date, end_date=end_date
                )
            round_: Round = found
            old = {name: getattr(round_, name) for name in CONFIG_FIELDS}
            old_items = set() if created else set(round_.items.values_list("pk", flat=True))
            round_._set_config(start_date, end_date, instructions, contacts, uses_provincial_funds)
            if not created and old["uses_provincial_funds"] and not round_.uses_provincial_funds:
                round_._check_provincial_funds_unused()
            round_.save()
            if items is not None or created:
                wanted = list(items) if items is not None else list(round_.default_items())
                round_._check_items(wanted)
                if not created:
                    round_._check_required_kept(wanted)
                round_.items.set(wanted)
                new_items = {item.pk for item in wanted}
            else:
                new_items = old_items
            changes: dict[str, Any] = {"fields": field_changes(round_, old)}
            codes = dict(
                Item.objects.filter(pk__in=old_items ^ new_items).values_list("pk", "code")
            )
            if new_items - old_items and not created:
                changes["added"] = sorted(codes[pk] for pk in new_items - old_items)
            if old_items - new_items:
                changes["removed"] = sorted(codes[pk] for pk in old_items - new_items)
            if created:
                changes["note"] = f"开放任务（项目）{len(new_items)}个"
            if created or changes["fields"] or len(changes) > 1:
                action = AuditAction.ROUND_OPEN if created else AuditAction.ROUND_CHANGE
                AuditEvent.record(round_, by=by, action=action, ip=ip, changes=changes, actor=actor)
        return round_

    configure.__func__.alters_data = True  # type: ignore[attr-defined]

    def _set_config(
        self,
        start_date: date | None,
        end_date: date | None,
        instructions: str | None,
        contacts: Sequence[tuple[str, str]] | None,
        uses_provincial_funds: bool | None,
    ) -> None:
        if start_date is not None:
            self.start_date = start_date
        if end_date is not None:
            self.end_date = end_date
        if self.end_date < self.start_date:
            raise InvalidInput("结束日期不能早于开始日期。", "end_date")
        if (self.end_date - self.start_date).days > 366:
            # A round is a few weeks; a window across years is a slip of the keyboard.
            raise InvalidInput("填报期不能超过一年，请检查开始和结束日期。", "end_date")
        if instructions is not None:
            self.instructions = instructions
        if contacts is not None:
            if len(contacts) > 2:
                raise InvalidInput("最多两位省级平台联系人。")
            filled = [*contacts, *[("", "")] * (2 - len(contacts))]
            for index, (name, phone) in enumerate(filled, start=1):
                if bool(name) != bool(phone):
                    field = f"contact{index}_phone" if name else f"contact{index}_name"
                    raise InvalidInput("联系人和联系电话须同时填写。", field)
                if phone:
                    try:
                        contact_phone_validator(phone)
                    except ValidationError as exc:
                        message = str(contact_phone_validator.message)
                        raise InvalidInput(message, f"contact{index}_phone") from exc
                setattr(self, f"contact{index}_name", name)
                setattr(self, f"contact{index}_phone", phone)
        if uses_provincial_funds is not None:
            self.uses_provincial_funds = uses_provincial_funds

    def _check_provincial_funds_unused(self) -> None:
        schools = list(self.schools_with_provincial_funds().order_by("code")[: NAMES_SHOWN + 1])
        if not schools:
            return
        total = (
            len(schools)
            if len(schools) <= NAMES_SHOWN
            else self.schools_with_provincial_funds().count()
        )
        names = "、".join(s.name for s in schools[:NAMES_SHOWN])
        more = f"等{total}所学校" if total > NAMES_SHOWN else ""
        raise InvalidState(
            f"{names}{more}已填写“省财政投入”，不能停用该列。请学校先清空该列金额后再停用。",
            "uses_provincial_funds",
        )

    def _check_items(self, items: list[Item]) -> None:
        allowed = set(
            Item.objects.offerable().filter(task__plan=self.plan).values_list("pk", flat=True)
        )
        if any(item.pk not in allowed for item in items):
            raise InvalidInput("只能开放本行动计划在平台承接的任务（项目）。", "items")

    def _check_required_kept(self, items: list[Item]) -> None:
        """An item a 必选 rule names stays offered: the province removes the rule first, so
        that no school is left required to take an item it cannot tick."""
        named = (
            Item.objects.filter(requirements__round=self)
            .exclude(pk__in=[item.pk for item in items])
            .distinct()
            .order_by("task__number", "sub_number")
        )
        codes = [item.code for item in named]
        if codes:
            raise InvalidState(
                f"以下任务（项目）已设为必选，不能取消开放：{'、'.join(codes)}。"
                "请先在“必选任务”中移除其要求，再取消开放。",
                "items",
            )

    # -- required items (必选任务) ------------------------------------------------------------

    def set_requirement(
        self,
        item: Item,
        *,
        kinds: Iterable[str],
        school_codes: Iterable[str],
        by: User | None,
        ip: str | None = None,
        actor: str = "",
    ) -> None:
        """必选任务: require `item` of every school of `kinds` and of the schools named by
        `school_codes` (10-digit codes of this province's schools). Replaces what the item
        required before; the rule must name at least one kind or school. `by` None is a
        command (`actor` names it), as for configure().

        Declarations already submitted are not touched: the rule binds each school's next
        提交 (and resubmission), which reads it under the round's share lock.
        """
        if by is not None and not by.administers(self.province_id):
            raise NotAllowed("只能设置本省的必选任务。")
        wanted_kinds = sorted(set(kinds), key=_kind_order)
        codes = list(dict.fromkeys(code for code in school_codes if code))
        bad_kinds = [kind for kind in wanted_kinds if kind not in SchoolKind.values]
        if bad_kinds:
            raise InvalidInput("学校类型有误，请重新选择。", "kinds")
        if not wanted_kinds and not codes:
            raise InvalidInput("请至少选择一种学校类型，或填写至少一所学校的学校标识码。")
        if len(codes) > MAX_NAMED_SCHOOLS:
            raise InvalidInput(f"一次最多填写{MAX_NAMED_SCHOOLS}所学校。", "schools")
        with transaction.atomic():
            locked = Round.objects.select_for_update().get(pk=self.pk)
            if not locked.items.filter(pk=item.pk).exists():
                raise InvalidInput(
                    f"{item.code}不是本省开放承接的任务（项目），不能设为必选。", "item"
                )
            schools = locked._named_schools(codes)
            targets = RequiredItem.objects.filter(round=locked, item=item)
            old_kinds = sorted(
                targets.filter(school__isnull=True).values_list("kind", flat=True),
                key=_kind_order,
            )
            old_codes = sorted(
                targets.filter(school__isnull=False).values_list("school_id", flat=True)
            )
            new_codes = sorted(codes)
            if (old_kinds, old_codes) == (wanted_kinds, new_codes):
                return
            targets.filter(school__isnull=True).exclude(kind__in=wanted_kinds).delete()
            targets.filter(school__isnull=False).exclude(school_id__in=new_codes).delete()
            RequiredItem.objects.bulk_create(
                [
                    RequiredItem(round=locked, item=item, kind=kind, created_by=by)
                    for kind in wanted_kinds
                    if kind not in old_kinds
                ]
                + [
                    RequiredItem(round=locked, item=item, school=school, created_by=by)
                    for school in schools
                    if school.code not in old_codes
                ]
            )
            changes = {
                "items": [item.code],
                "fields": {
                    name: [old, new]
                    for name, old, new in (
                        ("kinds", _kind_labels(old_kinds), _kind_labels(wanted_kinds)),
                        ("schools", old_codes, new_codes),
                    )
                    if old != new
                },
            }
            AuditEvent.record(
                locked,
                by=by,
                action=AuditAction.REQUIREMENT_SET,
                ip=ip,
                changes=changes,
                actor=actor,
            )

    def remove_requirement(self, item: Item, *, by: User, ip: str | None = None) -> None:
        """Drop every 必选 target of `item` in this round."""
        if not by.administers(self.province_id):
            raise NotAllowed("只能设置本省的必选任务。")
        with transaction.atomic():
            locked = Round.objects.select_for_update().get(pk=self.pk)
            targets = RequiredItem.objects.filter(round=locked, item=item)
            old_kinds = sorted(
                targets.filter(school__isnull=True).values_list("kind", flat=True),
                key=_kind_order,
            )
            old_codes = sorted(
                targets.filter(school__isnull=False).values_list("school_id", flat=True)
            )
            if not old_kinds and not old_codes:
                raise InvalidState(
                    f"{item.code}没有必选要求，可能已被其他人移除。请刷新页面。", "item"
                )
            targets.delete()
            fields_changed: dict[str, list[Any]] = {}
            if old_kinds:
                fields_changed["kinds"] = [_kind_labels(old_kinds), []]
            if old_codes:
                fields_changed["schools"] = [old_codes, []]
            AuditEvent.record(
                locked,
                by=by,
                action=AuditAction.REQUIREMENT_REMOVE,
                ip=ip,
                changes={"items": [item.code], "fields": fields_changed},
            )

    set_requirement.alters_data = True  # type: ignore[attr-defined]
    remove_requirement.alters_data = True  # type: ignore[attr-defined]

    def _named_schools(self, codes: list[str]) -> list[School]:
        """The schools of this province with these codes; any other code is refused, named."""
        found = {s.code: s for s in School.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise InvalidInput(
                f"以下学校标识码不存在：{_listed(unknown)}。请核对后重新填写。", "schools"
            )
        foreign = [code for code in codes if found[code].province_id != self.province_id]
        if foreign:
            raise InvalidInput(f"以下学校不属于本省，不能设为必选：{_listed(foreign)}。", "schools")
        return [found[code] for code in codes]

    def requirements(self) -> list[Requirement]:
        """The round's 必选 rules, one per item, as its page lists them (one query)."""
        return group_requirements(RequiredItem.objects.of_round(self.pk))

    def required_items_for(self, school: School) -> models.QuerySet[Item]:
        """The items this round requires of `school`: by its kind or by name (one query)."""
        return (
            Item.objects.filter(
                Q(requirements__round=self)
                & (Q(requirements__kind=school.kind) | Q(requirements__school=school))
            )
            .select_related("task")
            .distinct()
            .order_by("task__number", "sub_number")
        )

    @classmethod
    def share_lock(cls, pk: int) -> "Round":
        """The round, read afresh under a share lock held to the end of the transaction: many
        schools may hold it at once, and configure() waits for all of them (and they for it).
        SQLite's IMMEDIATE transactions already serialise every writer."""
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(cls._meta.db_table)
            rows = list(cls.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [pk]))  # noqa: S608
            if rows:
                return rows[0]
        return cls.objects.get(pk=pk)

    @classmethod
    def current_for(cls, province_id: str) -> "Round | None":
        """The province's round for the current plan, if it has opened one."""
        return (
            cls.objects.select_related("plan", "province")
            .filter(province_id=province_id, plan__is_current=True)
            .first()
        )

    def window(self, at: datetime | None = None, until: date | None = None) -> WindowState:
        """Open from the start date to 24:00 Beijing time on the end date, or on `until`
        (a school's extension) where that is later."""
        today = beijing_today(at)
        if today < self.start_date:
            return WindowState.NOT_STARTED
        if today > self.end_for(until):
            return WindowState.CLOSED
        return WindowState.OPEN

    def is_open(self, at: datetime | None = None, until: date | None = None) -> bool:
        return self.window(at, until) == WindowState.OPEN

    def end_for(self, until: date | None) -> date:
        """The end date of a school granted `until`: a grant only ever adds time, so a round
        moved past an older grant keeps the round's date."""
        return max(self.end_date, until) if until else self.end_date

    # -- extensions for one school (延期) ------------------------------------------------------

    def granted_until(self, school_id: str) -> date | None:
        """The end date the province last granted this school (tasks.models.extensions), or
        None. A later grant replaces an earlier one, longer or shorter."""
        return (
            self.extensions.filter(school_id=school_id, status=ExtensionStatus.GRANTED)
            .order_by("-decided_at", "-pk")
            .values_list("granted_until", flat=True)
            .first()
        )

    def window_for(self, school_id: str, at: datetime | None = None) -> WindowState:
        """The school's own window: the round's, closing on its extension where it has one."""
        return self.window(at, self.granted_until(school_id))

    @property
    def closes_at(self) -> datetime:
        """24:00 Beijing time on the end date."""
        return datetime.combine(self.end_date + timedelta(days=1), datetime.min.time(), BEIJING)

    def closed_message(self, until: date | None = None) -> str:
        """Why the form is read-only now; `until` is the school's extension, if any."""
        if self.window(until=until) == WindowState.NOT_STARTED:
            return f"本省申报将于{self.start_date:%Y-%m-%d}开始，届时才能填写和提交。"
        if until and until > self.end_date:
            return f"本校延期至{until:%Y-%m-%d} 24:00，已截止，现在只能查看和导出。"
        return f"本省申报已于{self.end_date:%Y-%m-%d} 24:00截止，现在只能查看和导出。"

    @property
    def fund_fields(self) -> tuple[tuple[str, str], ...]:
        """The funding columns this round shows: four, or five with 省财政投入."""
        return FUND_FIELDS if self.uses_provincial_funds else FUND_FIELDS[:4]

    def items_in_use(self, item_ids: Iterable[int]) -> list[tuple[Item, int, int]]:
        """For each of these items that schools have saved: (item, schools that saved it,
        of which submitted). The offer page warns with this before removing an item."""
        items = (
            Item.objects.filter(
                pk__in=list(item_ids),
                commitments__declaration__round=self,
                commitments__declaration__school__isnull=False,
            )
            .annotate(
                saved=Count("commitments"),
                submitted=Count(
                    "commitments",
                    filter=Q(commitments__declaration__status=DeclarationStatus.SUBMITTED),
                ),
            )
            .order_by("task__number", "sub_number")
        )
        return [(item, item.saved, item.submitted) for item in items]  # type: ignore[attr-defined]

    def schools_with_provincial_funds(self) -> models.QuerySet[School]:
        """Schools that have entered 省财政投入 in this round."""
        return School.objects.filter(
            declarations__round=self,
            declarations__commitments__provincial_funds__isnull=False,
        ).distinct()

    def default_items(self) -> models.QuerySet[Item]:
        return Item.objects.offerable().filter(task__plan=self.plan, scope=ItemScope.SCHOOL)

    def offered_items(self) -> models.QuerySet[Item]:
        return self.items.select_related("task").order_by("task__number", "sub_number")


def _kind_order(kind: str) -> int:
    values = SchoolKind.values
    return values.index(kind) if kind in values else len(values)


def _kind_labels(kinds: list[str]) -> list[str]:
    return [SchoolKind(kind).label for kind in kinds]


def _listed(codes: list[str]) -> str:
    shown = "、".join(codes[:NAMES_SHOWN])
    return f"{shown}等{len(codes)}个" if len(codes) > NAMES_SHOWN else shown
