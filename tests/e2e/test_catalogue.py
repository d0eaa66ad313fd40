"""目录维护 in a browser, with and without JavaScript: the ministry adds an item to a task, is
told what is wrong without losing what it typed, and edits the item's text."""

import re

import pytest
from playwright.sync_api import expect

from tasks.models import AuditEvent, Item
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, MinistryUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_ministry_adds_an_item_and_edits_its_text(live_server, page, reference_data):
    ministry = MinistryUserFactory()
    sign_in(page, live_server, ministry.username, PASSWORD, entry="教育部")
    page.get_by_role("link", name="目录维护").click()
    expect(page.get_by_role("heading", name="目录维护")).to_be_visible()
    page.get_by_role("link", name="职业教育提质培优行动计划（2020—2023年）").click()
    page.get_by_role("link", name=re.compile(r"^添加子项\s*（重点任务3）$")).click()

    # The next free code and number are filled in; a code already taken is refused at its
    # field, and the text typed stays.
    expect(page.get_by_role("textbox", name=re.compile(r"^序号"))).to_have_value("3.4")
    expect(page.get_by_label("子项序号")).to_have_value("4")
    page.get_by_role("textbox", name=re.compile(r"^序号")).fill("3.1")
    page.get_by_label("工作任务").fill("遴选100个左右劳动教育特色案例")
    page.get_by_label("填写承接数量").check()
    page.get_by_label("默认承接主体").select_option(label="学校承接")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("序号：本计划已有序号为3.1的子项。")
    expect(page.get_by_label("工作任务")).to_have_value("遴选100个左右劳动教育特色案例")
    expect(page.get_by_label("填写承接数量")).to_be_checked()

    page.get_by_role("textbox", name=re.compile(r"^序号")).fill("3.4")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/ministry/catalogue/plans/1/#item-\d+$"))
    expect(page.get_by_text("已添加子项3.4。")).to_be_visible()
    added = Item.objects.get(task__plan_id=1, code="3.4")
    assert (added.text, added.has_quantity, added.sub_number) == (
        "遴选100个左右劳动教育特色案例",
        True,
        4,
    )

    page.get_by_role("link", name=re.compile(r"^修改\s*子项3\.4$")).click()
    page.get_by_label("工作任务").fill("遴选200个左右劳动教育特色案例")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存子项3.4的修改。")).to_be_visible()
    expect(page.locator(f"#item-{added.pk}")).to_contain_text("遴选200个左右劳动教育特色案例")
    added.refresh_from_db()
    assert added.text == "遴选200个左右劳动教育特色案例"
    assert [e.action for e in AuditEvent.objects.for_subject(added).order_by("pk")] == [
        "entry_add",
        "entry_change",
    ]
