"""目录维护's pages (/ministry/catalogue/): lists, add and change forms that keep what was typed
and show every error in Chinese, deletes that ask first and are refused while something depends
on the entry, and a fixed number of queries."""

import html as html_lib

import pytest

from schools.choices import AuditAction
from tasks.models import AuditEvent, Category, Item, Plan, Task
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db
ROOT = "/ministry/catalogue/"


@pytest.fixture
def ministry(reference_data):
    return MinistryUserFactory(username="moe")


@pytest.fixture
def client(ministry):
    return client_for(ministry)


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, path
    html = response.content.decode()
    check_page(html, names=("moe", "tzpy-2020", "reform-2023"))
    return html


def item(code):
    return Item.objects.select_related("task").get(task__plan_id=1, code=code)


def item_data(entry, **changes):
    data = {
        "code": entry.code,
        "sub_number": str(entry.sub_number),
        "text": entry.text,
        "scope": entry.scope,
    }
    if entry.has_quantity:
        data["has_quantity"] = "on"
    data.update(changes)
    return data


# -- lists ----------------------------------------------------------------------------------


def test_index_lists_the_plans_with_their_size(client):
    html = page(client, ROOT)
    assert "职业教育提质培优行动计划（2020—2023年）" in html
    assert '<td class="num">11</td>' in html and '<td class="num">56</td>' in html
    assert f'href="{ROOT}plans/add/"' in html and f'href="{ROOT}plans/1/"' in html


def test_plan_page_shows_every_entry_with_a_link_to_change_it(client):
    html = page(client, f"{ROOT}plans/1/")
    assert html.count('<tr class="category"') == 11
    assert html.count('class="task') == 56
    for code in ("1", "3.2", "49.2", "56"):
        entry = item(code)
        assert (
            f'href="{ROOT}items/{entry.pk}/edit/">修改<span class="visually-hidden">子项{code}'
            in html
        )
    # The long task text sits in a column kept wide enough to read (site.css).
    assert 'class="col-text"' in html


def test_the_menu_leads_to_the_new_pages(client):
    html = client.get("/ministry/").content.decode()
    assert f'href="{ROOT}">目录维护</a>' in html
    assert 'nav-link active" href="/ministry/catalogue/">目录维护' in page(client, ROOT)


@pytest.mark.parametrize(
    "path",
    [
        "plans/add/",
        "plans/1/edit/",
        "plans/1/categories/add/",
        "plans/1/tasks/add/",
        "categories/{category}/edit/",
        "tasks/{task}/edit/",
        "tasks/{task}/items/add/",
        "items/{item}/edit/",
    ],
)
def test_every_form_is_chinese_and_labelled(client, path):
    entry = item("3.2")
    html = page(
        client,
        ROOT + path.format(category=entry.task.category_id, task=entry.task_id, item=entry.pk),
    )
    assert "保存" in html and "取消，返回" in html


# -- adding ---------------------------------------------------------------------------------


def test_add_an_item_to_a_task(client, ministry):
    task = Task.objects.get(plan_id=1, number=3)
    form = page(client, f"{ROOT}tasks/{task.pk}/items/add/")
    assert 'value="3.4"' in form and 'value="4"' in form  # the next free code and number
    response = client.post(
        f"{ROOT}tasks/{task.pk}/items/add/",
        {"code": "3.4", "sub_number": "４", "text": "  新的子项\u000b第二行  ", "scope": "school"},
    )
    added = Item.objects.get(task=task, code="3.4")
    assert response.status_code == 302
    assert response.url == f"{ROOT}plans/1/#item-{added.pk}"
    assert (added.sub_number, added.text) == (4, "新的子项\n第二行")
    event = AuditEvent.objects.for_subject(added).get()
    assert (event.action, event.user) == (AuditAction.ENTRY_ADD, ministry)
    assert "已添加子项3.4。" in client.get(response.url).content.decode()


def test_add_a_task_then_its_item(client):
    category = Category.objects.get(plan_id=1, number=11)
    response = client.post(
        f"{ROOT}plans/1/tasks/add/",
        {
            "category": str(category.pk),
            "number": "57",
            "text": "新增的重点任务",
            "departments": "教育部",
            "on_platform": "on",
        },
    )
    task = Task.objects.get(plan_id=1, number=57)
    assert response.status_code == 302 and response.url == f"{ROOT}tasks/{task.pk}/items/add/"
    form = client.get(response.url).content.decode()
    assert "请为它添加子项" in form
    assert 'value="57"' in form and "新增的重点任务</textarea>" in form  # the task itself


def test_add_a_plan_and_make_it_current(client):
    response = client.post(
        f"{ROOT}plans/add/",
        {
            "code": "ｒｅｆｏｒｍ-2023",
            "name": "现代职业教育体系建设改革重点任务",
            "start_year": "2023",
            "end_year": "2025",
            "is_current": "on",
            "report_deadline_month": "12",
            "report_deadline_day": "15",
        },
    )
    plan = Plan.objects.get(code="reform-2023")
    assert response.status_code == 302 and response.url == f"{ROOT}plans/{plan.pk}/"
    assert plan.is_current and not Plan.objects.get(code="tzpy-2020").is_current
    html = page(client, response.url)
    assert "此计划还没有类别" in html


# -- errors keep what was typed -------------------------------------------------------------


def test_change_with_errors_keeps_the_typed_text(client):
    entry = item("3.2")
    typed = "改写后的子项文字，很长很长"
    response = client.post(
        f"{ROOT}items/{entry.pk}/edit/",
        item_data(entry, code="3.1", sub_number="x", text=typed),
    )
    assert response.status_code == 400
    html = response.content.decode()
    check_page(html, names=("moe",))
    assert typed + "</textarea>" in html and 'value="3.1"' in html and 'value="x"' in html
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert "序号：本计划已有序号为3.1的子项。" in summary
    assert "子项序号：子项序号应为整数。" in summary
    assert 'href="#id_code"' in summary
    assert html.count("本计划已有序号为3.1的子项。") == 2  # at the field and at the top
    assert Item.objects.get(pk=entry.pk).text == entry.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": ""}, "请填写序号。"),
        ({"text": ""}, "请填写工作任务。"),
        ({"scope": "nation"}, "默认承接主体：“nation”不是可选的选项，请重新选择。"),
        ({"sub_number": "٣"}, "请使用阿拉伯数字0-9填写。"),
        ({"sub_number": "100"}, "子项序号应为0至99之间的整数。"),
        ({"code": "3.2.1"}, "序号应为数字，如 3，或 3.2"),
    ],
)
def test_bad_item_input_is_a_400_with_a_chinese_message(client, data, message):
    entry = item("3.2")
    response = client.post(f"{ROOT}items/{entry.pk}/edit/", item_data(entry, **data))
    assert response.status_code == 400
    assert html_lib.escape(message, quote=False) in response.content.decode() or message in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"end_year": "2019"}, "end_year", "结束年份不能早于起始年份。"),
        ({"report_deadline_day": "31", "report_deadline_month": "11"}, "report_deadline_day",
         "11月的截止日应为1至30。"),
        ({"code": "tzpy 2020"}, "code", "代码只能由英文字母、数字、连字符和下划线组成"),
        ({"is_current": ""}, "is_current", "须有一个当前计划"),
        ({"start_year": ""}, "start_year", "请填写起始年份。"),
    ],
)  # fmt: skip
def test_bad_plan_input_is_shown_at_its_field(client, data, field, message):
    plan = Plan.objects.get(code="tzpy-2020")
    values = {
        "code": plan.code,
        "name": plan.name,
        "document_no": plan.document_no,
        "start_year": str(plan.start_year),
        "end_year": str(plan.end_year),
        "is_current": "on",
        "report_deadline_month": "12",
        "report_deadline_day": "31",
        **data,
    }
    response = client.post(f"{ROOT}plans/{plan.pk}/edit/", {k: v for k, v in values.items() if v})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and f'href="#id_{field}"' in html
    assert Plan.objects.get(pk=plan.pk).end_year == 2023


def test_unknown_entries_are_404(client):
    for path in ["plans/999/", "plans/999/edit/", "tasks/999/edit/", "items/999/edit/"]:
        assert client.get(ROOT + path).status_code == 404
    assert client.post(f"{ROOT}items/999/delete/", {"confirmed": "1"}).status_code == 404


# -- deleting -------------------------------------------------------------------------------


def test_delete_asks_first_then_removes(client, ministry):
    entry = item("3.3")
    edit = page(client, f"{ROOT}items/{entry.pk}/edit/")
    assert f'action="{ROOT}items/{entry.pk}/delete/"' in edit and "删除此子项" in edit
    asked = client.post(f"{ROOT}items/{entry.pk}/delete/")
    assert asked.status_code == 200
    assert "请确认：删除子项" in asked.content.decode()
    assert Item.objects.filter(pk=entry.pk).exists()
    done = client.post(f"{ROOT}items/{entry.pk}/delete/", {"confirmed": "1"})
    assert done.status_code == 302 and done.url == f"{ROOT}plans/1/#task-{entry.task_id}"
    assert not Item.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.get(action=AuditAction.ENTRY_DELETE).user == ministry
    assert "已删除子项3.3。" in client.get(done.url).content.decode()


def test_delete_refused_when_commitments_exist(client):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school_in_state(round_.province, round_, "submitted", admin)
    entry = item("3.2")
    edit = page(client, f"{ROOT}items/{entry.pk}/edit/")
    assert "不能删除：子项3.2已有1条承接填报记录，不能删除。" in edit
    assert "删除此子项</button>" not in edit
    for data in ({}, {"confirmed": "1"}):
        response = client.post(f"{ROOT}items/{entry.pk}/delete/", data)
        assert response.status_code == 409
        html = response.content.decode()
        check_page(html, names=("moe",))
        assert "子项3.2已有1条承接填报记录，不能删除。" in html
    assert Item.objects.filter(pk=entry.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ENTRY_DELETE).exists()


def test_delete_is_post_only(client):
    entry = item("3.3")
    assert client.get(f"{ROOT}items/{entry.pk}/delete/").status_code == 405
    assert Item.objects.filter(pk=entry.pk).exists()


def test_delete_a_task_and_a_category(client):
    category = Category(plan_id=1, number=12, name="新类别")
    category.save_entry(by=MinistryUserFactory())
    task = Task.objects.get(plan_id=1, number=56)
    asked = client.post(f"{ROOT}tasks/{task.pk}/delete/").content.decode()
    assert "将从“职业教育提质培优行动计划（2020—2023年）”中删除重点任务56及其子项56" in asked
    client.post(f"{ROOT}tasks/{task.pk}/delete/", {"confirmed": "1"})
    assert not Task.objects.filter(pk=task.pk).exists()
    first = Category.objects.get(plan_id=1, number=1)
    refused = client.post(f"{ROOT}categories/{first.pk}/delete/", {"confirmed": "1"})
    assert refused.status_code == 409 and "下还有" in refused.content.decode()
    client.post(f"{ROOT}categories/{category.pk}/delete/", {"confirmed": "1"})
    assert not Category.objects.filter(pk=category.pk).exists()


# -- queries --------------------------------------------------------------------------------


def count(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow(plans, tasks_each):
    """More plans, each with one category and `tasks_each` tasks of two items."""
    by = MinistryUserFactory()
    for n in range(plans):
        plan = Plan(
            code=f"p{Plan.objects.count()}-{n}",
            name=f"计划{Plan.objects.count()}-{n}",
            start_year=2024,
            end_year=2026,
        )
        plan.save_entry(by=by)
        category = Category.objects.create(plan=plan, number=1, name="类别")
        for number in range(1, tasks_each + 1):
            task = Task.objects.create(
                plan=plan, category=category, number=number, text="任务", departments="教育部"
            )
            Item.objects.bulk_create(
                Item(task=task, code=f"{number}.{sub}", sub_number=sub, text="子项")
                for sub in (1, 2)
            )


def test_index_queries_do_not_grow_with_plans(client, django_assert_max_num_queries):
    small = count(client, ROOT, django_assert_max_num_queries, 12)
    grow(plans=5, tasks_each=1)
    assert count(client, ROOT, django_assert_max_num_queries, small) == small


def test_plan_page_queries_do_not_grow_with_the_catalogue(client, django_assert_max_num_queries):
    grow(plans=1, tasks_each=2)
    small_plan = Plan.objects.latest("pk")
    small = count(client, f"{ROOT}plans/{small_plan.pk}/", django_assert_max_num_queries, 12)
    large = count(client, f"{ROOT}plans/1/", django_assert_max_num_queries, small)
    assert large == small


def test_edit_page_queries_are_fixed(client, django_assert_max_num_queries):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    one = item("3.3")
    small = count(client, f"{ROOT}items/{one.pk}/edit/", django_assert_max_num_queries, 14)
    for _ in range(3):
        school_in_state(round_.province, round_, "submitted", admin)
    used = item("3.2")
    assert count(client, f"{ROOT}items/{used.pk}/edit/", django_assert_max_num_queries, small)


def test_a_taken_number_is_named_in_words(client):
    response = client.post(f"{ROOT}plans/1/categories/add/", {"number": "1", "name": "另一个类别"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "本计划已有序号为1的类别：" in html and 'value="另一个类别"' in html
    assert "已存在" not in html


def test_control_characters_never_reach_the_catalogue(client):
    task = Task.objects.get(plan_id=1, number=10)
    response = client.post(
        f"{ROOT}tasks/{task.pk}/edit/",
        {
            "category": str(task.category_id),
            "number": "１０",
            "text": "第一行\u2028第二行\x00\ufffe",
            "departments": "教育部\n各地\t有关部门\x07",
            "on_platform": "on",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.number, task.text, task.departments) == (
        10,
        "第一行\n第二行",
        "教育部 各地 有关部门",
    )


def test_malformed_ids_are_404(client):
    for path in [f"plans/{'9' * 20}/", f"items/{'9' * 5000}/edit/", "items/²/edit/"]:
        assert client.get(ROOT + path).status_code == 404, path[:20]
