from datetime import timedelta

import pytest

from schools.models import Province
from tasks.models import Declaration, Item, Round
from tasks.transitions import beijing_today
from tests.factories import ProvinceAdminFactory, SchoolUserFactory


@pytest.fixture
def shanxi(reference_data):
    return Province.objects.get(code="14")


@pytest.fixture
def open_round(shanxi):
    """山西省's round, open from yesterday to ten days ahead, offering the school items."""
    today = beijing_today()
    round_ = Round.objects.create(
        plan_id=1,
        province=shanxi,
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=10),
        instructions="1.填写平台管理联系人及办公电话、手机号\n2.勾选任务并填写有关信息\n3.提交",
        contact1_name="张少龙",
        contact1_phone="0351-3046505",
        contact2_name="李老师",
        contact2_phone="13811111111",
    )
    round_.items.set(round_.default_items())
    return round_


@pytest.fixture
def school_user(shanxi):
    return SchoolUserFactory(school__province=shanxi)


@pytest.fixture
def other_school_user(shanxi):
    return SchoolUserFactory(school__province=shanxi)


@pytest.fixture
def province_admin(shanxi):
    return ProvinceAdminFactory(province=shanxi)


@pytest.fixture
def other_province_admin(reference_data):
    return ProvinceAdminFactory(province=Province.objects.get(code="41"))


@pytest.fixture
def declaration(open_round, school_user):
    return Declaration.for_school(school_user.school, open_round)


def item(code: str) -> Item:
    return Item.objects.get(code=code, task__plan_id=1)
