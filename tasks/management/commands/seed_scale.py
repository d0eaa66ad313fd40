"""A reproducible national data set for benchmarks: schools over the 32 provincial units roughly
as in reality, each with a declaration in every status, ~28 items each, reviews with comments."""

import random
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from schools.choices import Role, SchoolKind
from schools.models import Province, School, User
from tasks.choices import (
    FUND_NAMES,
    AuditAction,
    DeclarationStatus,
    ItemScope,
    ReviewStatus,
    SchoolStatus,
)
from tasks.models import AuditEvent, Commitment, Declaration, Item, Plan, Round
from tasks.transitions import beijing_today

# Vocational schools by provincial unit, roughly (中职 and 高职 together): the weights that spread
# the schools. They add up to about 11,000.
WEIGHTS = {
    "11": 120,
    "12": 100,
    "13": 650,
    "14": 450,
    "15": 300,
    "21": 300,
    "22": 250,
    "23": 300,
    "31": 120,
    "32": 350,
    "33": 350,
    "34": 400,
    "35": 250,
    "36": 350,
    "37": 650,
    "41": 850,
    "42": 400,
    "43": 550,
    "44": 600,
    "45": 350,
    "46": 100,
    "50": 200,
    "51": 600,
    "52": 250,
    "53": 400,
    "54": 30,
    "61": 300,
    "62": 250,
    "63": 60,
    "64": 60,
    "65": 200,
    "66": 40,
}
KINDS = [
    (SchoolKind.SECONDARY, "3", 0.655),
    (SchoolKind.JUNIOR_COLLEGE, "4", 0.28),
    (SchoolKind.UNDERGRADUATE, "4", 0.005),
    (SchoolKind.OTHER, "5", 0.06),
]
STATUSES = [
    (SchoolStatus.NOT_STARTED, 0.10),
    (SchoolStatus.FILLING, 0.15),
    (SchoolStatus.SUBMITTED, 0.20),
    (SchoolStatus.REVIEWING, 0.20),
    (SchoolStatus.RETURNED, 0.10),
    (SchoolStatus.APPROVED, 0.25),
]
COMMENTS = [
    "请核实承接数量",
    "经费来源请分项填写",
    "举办方投入偏高，请说明",
    "请与实际建设规划一致",
    "地市县投入请与财政部门确认",
]
PASSWORD = "Bench2020a"  # noqa: S105 - benchmark accounts on a throw-away database
BATCH = 5000


def spread(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` split by weight, largest remainders first, so the parts add up exactly."""
    scale = total / sum(weights.values())
    exact = {k: w * scale for k, w in weights.items()}
    parts = {k: int(v) for k, v in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - parts[k], reverse=True)[
        : total - sum(parts.values())
    ]:
        parts[key] += 1
    return parts


class Command(BaseCommand):
    help = "生成全国规模的模拟数据（用于性能测试）：学校、账号、各省申报、各种状态的承接和审核。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--schools", type=int, default=11000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--items", type=float, default=30.0, help="有填报的学校平均承接任务数")
        parser.add_argument(
            "--replace", action="store_true", help="先删除已有的学校、账号和申报数据"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        call_command("load_reference_data", verbosity=0)
        if School.objects.exists():
            if not options["replace"]:
                raise CommandError("数据库中已有学校。要替换为模拟数据，请加 --replace。")
            self._clear()
        rng = random.Random(options["seed"])  # noqa: S311 - repeatable, not secret
        plan = Plan.objects.get(is_current=True)
        with transaction.atomic():
            rounds = self._rounds(plan, rng)
            schools = self._schools(options["schools"], rng)
            self._accounts(schools)
            counts = self._declarations(schools, rounds, plan, rng, options["items"])
        # Fresh statistics, as autovacuum would gather in production: without them the planner
        # guesses one row per table and sorts on disk.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"学校 {len(schools)} 所，承接 {counts['commitments']} 项，"
            f"申报 {counts['declarations']} 份，操作记录 {counts['events']} 条；"
            f"用时 {elapsed:.1f} 秒。学校、省级管理员（admin<代码>）和教育部（moe_bench）"
            f"的密码均为 {PASSWORD}。"
        )

    def _clear(self) -> None:
        AuditEvent.objects.all().delete()
        Commitment.objects.all().delete()
        Declaration.objects.all().delete()
        Round.objects.all().delete()
        User.objects.filter(role__in=[Role.SCHOOL, Role.PROVINCE]).delete()
        User.objects.filter(username="moe_bench").delete()
        School.objects.all().delete()

    def _rounds(self, plan: Plan, rng: random.Random) -> dict[str, Round]:
        today = beijing_today()
        rounds = Round.objects.bulk_create(
            Round(
                plan=plan,
                province_id=code,
                start_date=today - timedelta(days=20),
                end_date=today + timedelta(days=10),
                instructions="1.填写平台管理联系人及办公电话、手机号\n2.勾选任务并填写有关信息\n3.提交",
                contact1_name="省厅联系人",
                contact1_phone=f"0{code}1-1234567",
                uses_provincial_funds=rng.random() < 0.35,
            )
            for code in sorted(WEIGHTS)
        )
        school_items = list(Round(plan=plan).default_items())
        through = Round.items.through
        through.objects.bulk_create(
            through(round_id=r.pk, item_id=i.pk) for r in rounds for i in school_items
        )
        return {r.province_id: r for r in rounds}

    def _schools(self, total: int, rng: random.Random) -> list[School]:
        names = dict(Province.objects.values_list("code", "name"))
        schools = []
        for code, count in spread(total, WEIGHTS).items():
            for n in range(count):
                kind, digit, _w = rng.choices(KINDS, weights=[k[2] for k in KINDS])[0]
                label = {
                    "secondary": "中等职业学校",
                    "junior_college": "职业技术学院",
                    "undergraduate": "职业技术大学",
                    "other": "开放大学",
                }[kind]
                schools.append(
                    School(
                        code=f"{digit}{code}{n:07d}",
                        name=f"{names[code]}第{n + 1}{label}",
                        kind=kind,
                        province_id=code,
                        city=f"第{n % 12 + 1}市",
                        contact_name="联系人",
                        office_phone=f"0{code}1-{7000000 + n}",
                        mobile=f"139{n:08d}",
                    )
                )
        School.objects.bulk_create(schools, batch_size=BATCH)
        return schools

    def _accounts(self, schools: list[School]) -> None:
        hashed = make_password(PASSWORD)
        User.objects.bulk_create(
            (
                User(username=s.code, password=hashed, role=Role.SCHOOL, school_id=s.code)
                for s in schools
            ),
            batch_size=BATCH,
        )
        User.objects.bulk_create(
            User(username=f"admin{code}", password=hashed, role=Role.PROVINCE, province_id=code)
            for code in WEIGHTS
        )
        User.objects.create(username="moe_bench", password=hashed, role=Role.MINISTRY)

    def _declarations(
        self,
        schools: list[School],
        rounds: dict[str, Round],
        plan: Plan,
        rng: random.Random,
        mean_items: float,
    ) -> dict[str, int]:
        now = timezone.now()
        offered = list(Round(plan=plan).default_items())
        own_items = list(Item.objects.offerable().filter(task__plan=plan, scope=ItemScope.PROVINCE))
        admins = dict(User.objects.filter(role=Role.PROVINCE).values_list("province", "pk"))
        accounts = dict(User.objects.filter(role=Role.SCHOOL).values_list("school", "pk"))
        plans: list[tuple[Declaration, list[Commitment], int]] = []
        for index, school in enumerate(schools):
            # The first schools take each status in turn, so even a small set has them all.
            status = (
                STATUSES[index][0]
                if index < len(STATUSES)
                else rng.choices([s for s, _w in STATUSES], weights=[w for _s, w in STATUSES])[0]
            )
            if status == SchoolStatus.NOT_STARTED:
                continue
            round_ = rounds[school.province_id]
            count = max(1, min(len(offered), round(rng.gauss(mean_items, 8))))
            rows = self._rows(rng.sample(offered, count), round_, rng, status)
            submitted = status != SchoolStatus.FILLING
            declaration = Declaration(
                round=round_,
                school_id=school.code,
                status=DeclarationStatus.SUBMITTED if submitted else DeclarationStatus.DRAFT,
                version=3 if submitted else 1,
                submitted_at=now - timedelta(days=rng.randint(1, 15)) if submitted else None,
                school_status=status,
                item_count=sum(1 for c in rows if c.undertaken),
                total_funds=sum(_total(c) for c in rows if c.undertaken),
            )
            plans.append((declaration, rows, accounts[school.code]))
        for code, round_ in rounds.items():
            if rng.random() < 0.5:
                rows = self._rows(
                    rng.sample(own_items, rng.randint(5, len(own_items))),
                    round_,
                    rng,
                    None,
                    provincial=True,
                )
                plans.append(
                    (
                        Declaration(
                            round=round_,
                            school=None,
                            status=DeclarationStatus.SUBMITTED,
                            version=2,
                            submitted_at=now,
                            school_status=SchoolStatus.SUBMITTED,
                            item_count=len(rows),
                            total_funds=sum(_total(c) for c in rows),
                        ),
                        rows,
                        admins[code],
                    )
                )
        Declaration.objects.bulk_create([d for d, _r, _u in plans], batch_size=BATCH)
        commitments = []
        events = []
        subject_type = ContentType.objects.get_for_model(Declaration)
        usernames = dict(User.objects.values_list("pk", "username"))
        units = {s.code: str(s) for s in schools}

        def event(declaration: Declaration, user: int, **fields: Any) -> AuditEvent:
            # The trail as the transitions would have written it (AuditEvent.record).
            return AuditEvent(
                subject_type=subject_type,
                subject_id=str(declaration.pk),
                subject_label=f"{units.get(declaration.school_id or '', '省级承接')} 承接任务",
                province_id=declaration.round.province_id,
                school_id=declaration.school_id,
                user_id=user,
                actor=usernames[user],
                at=now,
                **fields,
            )

        for declaration, rows, user in plans:
            for c in rows:
                c.declaration = declaration
                if c.review_status == ReviewStatus.PENDING:
                    c.waiting_since = declaration.submitted_at
                commitments.append(c)
            events.append(
                event(
                    declaration,
                    user,
                    action=AuditAction.SAVE,
                    version=1,
                    ip="10.0.0.1",
                    changes={},
                )
            )
            if declaration.status == DeclarationStatus.SUBMITTED:
                events.append(
                    event(
                        declaration,
                        user,
                        action=AuditAction.SUBMIT,
                        version=2,
                        ip="10.0.0.1",
                        changes={},
                    )
                )
                returned = [c for c in rows if c.review_status == ReviewStatus.RETURNED]
                if declaration.school_id and returned:
                    events.append(
                        event(
                            declaration,
                            admins[declaration.round.province_id],
                            action=AuditAction.RETURN,
                            version=3,
                            ip="10.0.0.2",
                            changes={"items": [], "comment": returned[0].comment},
                        )
                    )
        Commitment.objects.bulk_create(commitments, batch_size=BATCH)
        AuditEvent.objects.bulk_create(events, batch_size=BATCH)
        return {"commitments": len(commitments), "declarations": len(plans), "events": len(events)}

    def _rows(
        self,
        items: list[Item],
        round_: Round,
        rng: random.Random,
        status: str | None,
        provincial: bool = False,
    ) -> list[Commitment]:
        names = list(FUND_NAMES if provincial or round_.uses_provincial_funds else FUND_NAMES[:4])
        reviews = _reviews(len(items), status, rng)
        rows = []
        for item, review in zip(sorted(items, key=lambda i: i.pk), reviews, strict=True):
            amounts = {
                name: Decimal(rng.choice([0, 0, rng.randint(1, 500)]))
                + Decimal(rng.randint(0, 99)) / 100
                for name in names
            }
            rows.append(
                Commitment(
                    item=item,
                    undertaken=True,
                    quantity=rng.randint(1, 5) if item.has_quantity else None,
                    review_status=review,
                    comment=rng.choice(COMMENTS) if review == ReviewStatus.RETURNED else "",
                    **amounts,
                )
            )
        return rows


def _reviews(count: int, status: str | None, rng: random.Random) -> list[str]:
    """Review states of a declaration's rows that derive to `status`."""
    if status is None:  # a province's own items: not reviewed
        return [""] * count
    if status == SchoolStatus.FILLING:
        return [""] * count
    if status == SchoolStatus.SUBMITTED:
        return [ReviewStatus.PENDING] * count
    if status == SchoolStatus.APPROVED:
        return [ReviewStatus.APPROVED] * count
    states: list[str] = [
        rng.choice([ReviewStatus.APPROVED, ReviewStatus.PENDING]) for _ in range(count)
    ]
    states[0] = ReviewStatus.APPROVED
    if status == SchoolStatus.RETURNED:
        states[-1] = ReviewStatus.RETURNED
    elif count > 1:
        states[-1] = ReviewStatus.PENDING
    return states


def _total(c: Commitment) -> Decimal:
    return sum((getattr(c, n) or Decimal(0) for n in FUND_NAMES), Decimal(0))
