"""Every surface that shows a figure agrees with every other, for every province and item, on
both bases (意向承接 and 已通过), and with a count made here in plain Python from the rows.

A seeded generator builds varied data through the model methods users go through: several
provinces, schools in every state, the provinces' own 省级承接 (submitted, draft or none),
rounds with and without 省财政投入, items approved, returned, resubmitted and pending.
"""

import io
import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from schools.choices import SchoolKind
from schools.models import Province
from tasks.choices import FUND_NAMES, DeclarationStatus, ItemScope, ReviewStatus
from tasks.models import Commitment, Declaration, Item, Plan, Round, RowValues
from tasks.transitions import beijing_today
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory

pytestmark = pytest.mark.django_db

PROVINCES = ("11", "14", "41")
BASES = ("intended", "approved")


def _amount(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(0, 50000)) / 100


def _values(rng: random.Random, item: Item, fund_names: list[str]) -> RowValues:
    return RowValues(
        undertaken=True,
        quantity=rng.randint(1, 9) if item.has_quantity else None,
        **{name: _amount(rng) for name in fund_names},
    )


def build(seed):
    """The varied national data set of one seed; returns the province admins."""
    rng = random.Random(seed)
    today = beijing_today()
    school_items = list(Item.objects.offerable().filter(task__plan_id=1, scope=ItemScope.SCHOOL))
    own_items = list(Item.objects.offerable().filter(task__plan_id=1, scope=ItemScope.PROVINCE))
    admins = {}
    for code in PROVINCES:
        province = Province.objects.get(code=code)
        admin = ProvinceAdminFactory(province=province)
        admins[code] = admin
        offered = rng.sample(school_items, 8)
        round_ = Round.configure(
            Plan.objects.get(pk=1),
            province,
            by=admin,
            start_date=today - timedelta(days=3),
            end_date=today + timedelta(days=10),
            uses_provincial_funds=rng.random() < 0.5,
            items=offered,
        )
        fund_names = [name for name, _label in round_.fund_fields]
        for index in range(rng.randint(4, 7)):
            user = SchoolUserFactory(
                school__province=province, school__kind=rng.choice(SchoolKind.values)
            )
            state = ("none", "draft", "submitted", "reviewed")[index % 4]
            if state == "none":
                continue
            declaration = Declaration.for_school(user.school, round_)
            chosen = rng.sample(offered, rng.randint(1, 5))
            rows = {item.pk: _values(rng, item, fund_names) for item in chosen}
            if state == "draft":
                declaration.save_draft(by=user, rows=rows, contacts=None, version=0)
                continue
            declaration.submit(by=user, rows=rows, contacts=None, version=0)
            if state == "submitted":
                continue
            for commitment in declaration.commitments.all():
                roll = rng.random()
                if roll < 0.5:
                    commitment.approve(by=admin)
                elif roll < 0.8:
                    commitment.return_for_changes(by=admin, comment="请核实")
            declaration.refresh_from_db()
            returned = list(declaration.commitments.filter(review_status=ReviewStatus.RETURNED))
            if returned and rng.random() < 0.5:
                fix = returned[0]
                declaration.resubmit(
                    by=user,
                    rows={fix.item_id: _values(rng, fix.item, fund_names)},
                    selected=[fix.item_id],
                    version=declaration.version,
                )
        own_state = rng.choice(["none", "draft", "submitted"])
        if own_state != "none":
            own = Declaration.for_province(round_)
            rows = {
                item.pk: _values(rng, item, [n for n in FUND_NAMES])
                for item in rng.sample(own_items, rng.randint(1, 4))
            }
            if own_state == "draft":
                own.save_draft(by=admin, rows=rows, contacts=None, version=0)
            else:
                own.submit(by=admin, rows=rows, contacts=None, version=0)
    return admins


def expected():
    """The figures counted here, in Python, from the rows themselves: what the bases mean."""
    per_province: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"count": 0, "total": Decimal(0), "funds": [Decimal(0)] * 5, "units": set()}
    )
    per_item: dict[tuple[str, int], dict] = defaultdict(
        lambda: {"units": 0, "quantity": 0, "total": Decimal(0), "provinces": set()}
    )
    for c in Commitment.objects.select_related("declaration__round"):
        declaration = c.declaration
        if declaration.status != DeclarationStatus.SUBMITTED or not c.undertaken:
            continue
        bases = ["intended"]
        if declaration.school_id is None or c.review_status == ReviewStatus.APPROVED:
            bases.append("approved")
        funds = [getattr(c, name) or Decimal(0) for name in FUND_NAMES]
        for basis in bases:
            line = per_province[(declaration.round.province_id, basis)]
            line["count"] += 1
            line["total"] += sum(funds)
            line["funds"] = [a + b for a, b in zip(line["funds"], funds, strict=True)]
            line["units"].add(declaration.pk)
            cell = per_item[(basis, c.item_id)]
            cell["units"] += 1
            cell["quantity"] += c.quantity or 0
            cell["total"] += sum(funds)
            cell["provinces"].add(declaration.round.province_id)
    return {"province": per_province, "item": per_item}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sheet(content: bytes, name: str | None = None) -> list[list]:
    book = load_workbook(io.BytesIO(content))
    ws = book[name] if name else book.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _d(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_surface_agrees_on_both_bases(reference_data, seed):
    admins = build(seed)
    truth = expected()
    names = dict(Province.objects.values_list("code", "name"))
    ministry = _client(MinistryUserFactory())

    overview = ministry.get("/ministry/").context
    by_province = {r["province"].code: r for r in overview["rows"]}
    overview_items = {r["item"].pk: r for r in overview["items"]}
    tables = {}
    items_tables = {}
    for basis in BASES:
        response = ministry.get("/ministry/tables/provinces/", {"format": "xlsx", "basis": basis})
        tables[basis] = {row[1]: row for row in _sheet(response.content)[3:]}
        response = ministry.get("/ministry/tables/items/", {"format": "xlsx", "basis": basis})
        items_tables[basis] = {str(row[0]): row for row in _sheet(response.content)[3:]}
        assert tables[basis]["其中：省级承接"][3] == sum(
            by_province[code]["o_count"] for code in PROVINCES
        )

    workbook_items: dict[tuple[str, str], dict[int, list]] = {}
    for code in PROVINCES:
        admin = _client(admins[code])
        home = admin.get("/province/").context
        lines = {line["label"]: line for line in home["totals"]}
        content = b"".join(admin.get("/province/export/").streaming_content)
        by_school = _sheet(content, "按学校汇总")
        total_line = by_school[-1]
        assert total_line[1] == "合计"
        own_line = next((r for r in by_school if r[2] == "省级承接"), None)
        items_sheet = _sheet(content, "按任务汇总")[3:]  # under the title, 口径 and header
        codes = {item.code: item.pk for item in Item.objects.filter(task__plan_id=1)}
        for basis in BASES:
            workbook_items[(code, basis)] = {codes[str(r[0])]: r for r in items_sheet}
        ministry_row = by_province[code]

        for basis, label, prefix in (("intended", "意向承接", "i"), ("approved", "已通过", "a")):
            want = truth["province"][(code, basis)]
            count, total, funds = want["count"], want["total"], want["funds"]
            where = f"{names[code]} {label}"
            # The province home.
            line = lines[label]
            assert (line["count"], _d(line["total"])) == (count, total), where
            assert [_d(v) for v in line["values"]] == funds, where
            # The province workbook's 合计 line.
            count_col, total_col = (6, 7) if basis == "intended" else (13, 14)
            assert (total_line[count_col], _d(total_line[total_col])) == (count, total), where
            if basis == "intended":
                assert [_d(v) for v in total_line[8:13]] == funds, where
            # The ministry overview: schools plus the labelled 省级承接 columns.
            assert ministry_row[f"{prefix}_count"] + ministry_row["o_count"] == count, where
            assert _d(ministry_row[f"{prefix}_total"] + ministry_row["o_total"]) == total, where
            if basis == "intended":
                assert [
                    _d(ministry_row[f"i_{n}"] + ministry_row[f"o_{n}"]) for n in FUND_NAMES
                ] == funds, where
            # 分省承接任务（项目）数量汇总表.
            row = tables[basis][names[code]]
            assert (row[2], row[3], _d(row[4])) == (len(want["units"]), count, total), where
            assert [_d(v) for v in row[5:10]] == funds, where
            # The 省级承接 line is the same on every surface.
            own = lines["其中：省级承接"]
            assert own["count"] == ministry_row["o_count"], where
            assert _d(own["total"]) == _d(ministry_row["o_total"]), where
            if own_line is not None:
                assert own_line[6] == own["count"] and _d(own_line[7]) == _d(own["total"])

    for basis in BASES:
        for item in Item.objects.offerable().filter(task__plan_id=1):
            want = truth["item"].get(
                (basis, item.pk),
                {"units": 0, "quantity": 0, "total": Decimal(0), "provinces": set()},
            )
            where = f"{item.code} {basis}"
            # The provinces' workbooks, added up.
            units = quantity = 0
            total = Decimal(0)
            for code in PROVINCES:
                row = workbook_items[(code, basis)].get(item.pk)
                if row is None:
                    continue
                u, q, t = (row[3], row[4], row[5]) if basis == "intended" else row[11:14]
                units += u
                quantity += q if item.has_quantity else 0
                total += _d(t)
            assert (units, total) == (want["units"], want["total"]), where
            if item.has_quantity:
                assert quantity == want["quantity"], where
            # The ministry overview, per item.
            prefix = "i" if basis == "intended" else "a"
            shown = overview_items[item.pk]
            assert shown[f"{prefix}_units"] == want["units"], where
            assert _d(shown[f"{prefix}_total"]) == want["total"], where
            if item.has_quantity:
                assert shown[f"{prefix}_quantity"] == want["quantity"], where
            # 分任务（项目）承接省份一览表.
            listed = items_tables[basis][item.code]
            assert listed[2] == len(want["provinces"]), where
            assert listed[3] == "、".join(names[c] for c in sorted(want["provinces"])) or (
                listed[3] is None and not want["provinces"]
            ), where
            assert listed[4] == want["units"], where
            if item.has_quantity:
                assert listed[5] == want["quantity"], where
