import io

import pytest
from django.core.management import CommandError, call_command

from schools.choices import AuditAction, Role
from schools.models import User
from tasks.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out)
    return out.getvalue()


def test_creates_a_province_admin(reference_data):
    out = run("sx", "--role", "province", "--province", "14", "--password", "Shanxi2020sx")
    assert "已创建省级管理员账号 sx（山西省）" in out
    user = User.objects.get(username="sx")
    assert (user.role, user.province_id, user.school_id) == (Role.PROVINCE, "14", None)
    # Like the ministry's page, the command forces a password change at first sign-in.
    assert user.check_password("Shanxi2020sx") and user.must_change_password
    event = AuditEvent.objects.for_subject(user).get()
    assert (event.action, event.actor, event.user) == (
        AuditAction.ACCOUNT_CREATE,
        "命令行 create_admin",
        None,
    )


def test_creates_a_ministry_user(reference_data):
    run("moe", "--role", "ministry", "--password", "Jiaoyubu2020")
    user = User.objects.get(username="moe")
    assert (user.role, user.province_id) == (Role.MINISTRY, None)


def test_creates_an_account_with_an_email(reference_data):
    run("moe", "--role", "ministry", "--password", "Jiaoyubu2020", "--email", "moe@moe.example")
    assert User.objects.get(username="moe").mail_address == "moe@moe.example"


def test_a_bad_email_is_refused(reference_data):
    with pytest.raises(CommandError, match="电子邮箱格式不正确"):
        run("moe", "--role", "ministry", "--password", "Jiaoyubu2020", "--email", "moe@")
    assert not User.objects.exists()


def test_password_prompt(reference_data, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Prompted1234")
    run("moe", "--role", "ministry")
    assert User.objects.get(username="moe").check_password("Prompted1234")


def test_prompt_needs_matching_passwords(reference_data, monkeypatch):
    answers = iter(["Prompted1234", "Prompted124"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="两次输入的密码不一致"):
        run("moe", "--role", "ministry")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["p", "--role", "province", "--password", "Shanxi2020sx"], "须用 --province"),
        (
            ["p", "--role", "province", "--province", "99", "--password", "Shanxi2020sx"],
            "没有代码为“99”",
        ),
        (
            ["m", "--role", "ministry", "--province", "14", "--password", "Shanxi2020sx"],
            "不能指定 --province",
        ),
        (["m", "--role", "ministry", "--password", "short"], "密码不符合规则"),
        (["m", "--role", "ministry", "--password", "123456"], "不能是初始密码"),
        (["m", "--role", "ministry"], "请用 --password 给出"),
    ],
)
def test_refusals(reference_data, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not User.objects.exists()


def test_existing_username_is_refused(reference_data):
    run("moe", "--role", "ministry", "--password", "Jiaoyubu2020")
    with pytest.raises(CommandError, match="已存在"):
        run("moe", "--role", "ministry", "--password", "Other2020xyz")
    assert User.objects.get(username="moe").check_password("Jiaoyubu2020")


def test_role_must_be_province_or_ministry(reference_data):
    with pytest.raises(CommandError):
        run("x", "--role", "school", "--password", "Shanxi2020sx")
