import io

import pytest
from django.core.management import call_command

from schools.choices import AuditAction, Role
from schools.models import School, User
from tasks.models import AuditEvent, Round

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_accounts_and_prints_them():
    out = seed()
    assert "sx_admin" in out and "Shanxi2020sx" in out
    assert "moe_admin" in out and "Jiaoyubu2020" in out
    assert "4114000001" in out and "123456" in out
    assert User.objects.get(username="sx_admin").role == Role.PROVINCE
    assert User.objects.get(username="moe_admin").check_password("Jiaoyubu2020")
    schools = School.objects.filter(province_id="14")
    assert schools.count() == 6
    assert all(s.account.must_change_password for s in schools)


def test_seed_demo_twice_keeps_the_data():
    seed()
    admin = User.objects.get(username="sx_admin")
    admin.set_password("Changed2021")
    admin.save()
    school = User.objects.get(username="4114000001")
    school.must_change_password = False
    school.save()
    out = seed()
    assert School.objects.count() == 6 and User.objects.count() == 8
    assert User.objects.get(username="sx_admin").check_password("Changed2021")
    assert "4114000001 山西演示职业技术学院  密码：已修改" in out


def test_seed_demo_requires_7_1_of_the_secondary_schools():
    seed()
    seed()
    round_ = Round.objects.get(province_id="14")
    assert [i.code for i in round_.required_items_for(School.objects.get(code="3114000001"))] == [
        "7.1"
    ]
    assert not round_.required_items_for(School.objects.get(code="4114000001")).exists()
    event = AuditEvent.objects.get(action=AuditAction.REQUIREMENT_SET)
    assert event.actor == "命令行 seed_demo"
