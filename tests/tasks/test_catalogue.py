"""The catalogue fixture against the 附表 and the design's sub-item split, and its public page."""

import pytest
from django.core.management import call_command

from tasks.choices import ItemScope
from tasks.models import Category, Item, Plan, Task

pytestmark = pytest.mark.django_db

CATEGORIES = [
    "落实立德树人根本任务",
    "推进职业教育协调发展",
    "完善服务全民终身学习的制度体系",
    "深化职业教育产教融合校企合作",
    "健全职业教育考试招生制度",
    "实施职业教育治理能力提升行动",
    "实施职业教育“三教”改革攻坚行动",
    "实施职业教育信息化2.0建设行动",
    "实施职业教育服务国际产能合作行动",
    "实施职业教育创新发展高地建设行动",
    "营造良好发展氛围",
]
# First and last task number under each heading, as the 附表 groups them.
CATEGORY_SPANS = [
    (1, 4),
    (5, 13),
    (14, 18),
    (19, 27),
    (28, 28),
    (29, 34),
    (35, 46),
    (47, 50),
    (51, 54),
    (55, 55),
    (56, 56),
]
OFF_PLATFORM = {8, 9, 20, 24, 26, 29, 30, 31, 32, 38, 55}
SUB_ITEMS = {
    "3.1": "培育200所左右“三全育人”典型学校",
    "3.2": "培育遴选100个左右名班主任工作室",
    "3.3": "遴选100个左右德育特色案例",
    "4.1": "培训10000名左右德育骨干管理人员、思政课专任教师",
    "4.2": "遴选100个左右思政课教师研修基地",
    "4.3": "分级培育遴选1000个左右思想政治课教学创新团队",
    "4.4": "10000个左右思想政治课示范课堂",
    "4.5": "10000个左右具有职业教育特点的课程思政教育案例",
    "7.1": "遴选1000所左右优质中职学校",
    "7.2": "遴选3000个左右优质中职学校专业",
    "11.1": "遴选300所左右省域高水平高职学校",
    "11.2": "遴选600个左右省域高水平专业群",
    "18.1": "遴选200个左右示范性继续教育基地",
    "18.2": "2000门左右优质继续教育网络课程",
    "18.3": "遴选500个左右社区教育示范基地和老年大学示范校",
    "36.1": "实施新一周期“全国职业院校教师素质提高计划”；完善职业学校自主聘任兼职教师办法；"
    "改革完善职业学校绩效工资政策",
    "36.2": "专业教师中“双师型”教师占比超过50%",
    "43.1": "遴选10000种左右校企双元合作开发的职业教育规划教材",
    "43.2": "国家、省两级抽查教材的比例合计不低于50%",
    "49.1": "遴选300所左右职业教育信息化标杆学校",
    "49.2": "遴选100个左右示范性虚拟仿真实训基地",
}
# docs/catalogue.md gives the rule behind these two lists.
PROVINCE_ITEMS = {
    "5",
    "12",
    "13",
    "14",
    "19",
    "20",
    "21",
    "27",
    "28",
    "29",
    "30",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36.1",
    "43.2",
    "55",
    "56",
}
QUANTITY_ITEMS = {
    "3.1",
    "3.2",
    "3.3",
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "4.5",
    "5",
    "7.1",
    "7.2",
    "8",
    "11.1",
    "11.2",
    "17",
    "18.1",
    "18.2",
    "18.3",
    "22",
    "23",
    "24",
    "25",
    "26",
    "34",
    "41",
    "42",
    "43.1",
    "46",
    "49.1",
    "49.2",
    "50",
    "51",
    "55",
}


@pytest.fixture(autouse=True)
def catalogue(reference_data):
    return Plan.objects.get(code="tzpy-2020")


def test_plan_is_the_2020_action_plan(catalogue):
    assert catalogue.name == "职业教育提质培优行动计划（2020—2023年）"
    assert catalogue.document_no == "教职成〔2020〕7号"
    assert (catalogue.start_year, catalogue.end_year) == (2020, 2023)
    assert catalogue.is_current


def test_eleven_categories_in_the_order_of_the_appendix(catalogue):
    assert list(catalogue.categories.values_list("name", flat=True)) == CATEGORIES


def test_each_category_holds_its_tasks(catalogue):
    for category, (first, last) in zip(catalogue.categories.all(), CATEGORY_SPANS, strict=True):
        numbers = list(category.tasks.values_list("number", flat=True))
        assert numbers == list(range(first, last + 1)), category.name


def test_fifty_six_tasks_forty_five_on_the_platform(catalogue):
    assert list(Task.objects.values_list("number", flat=True)) == list(range(1, 57))
    off = set(Task.objects.filter(on_platform=False).values_list("number", flat=True))
    assert off == OFF_PLATFORM
    assert Task.objects.filter(on_platform=True).count() == 45


@pytest.mark.parametrize(
    ("number", "text", "departments"),
    [
        (
            1,
            "加强职业教育研究，构建中国特色职业教育的思想体系、话语体系、政策体系和实践体系",
            "教育部，各地有关部门",
        ),
        (2, "按照师生比不低于1:350的比例核定专职思政课教师岗位", "教育部，各地有关部门"),
        (16, "推进1+X证书制度试点", "教育部、人力资源社会保障部、有关行业部门，各地有关部门"),
        (
            25,
            "推动建设300个左右具有辐射引领作用的高水平专业化产教融合实训基地",
            "国家发展改革委、工业和信息化部、教育部、人力资源社会保障部、有关行业部门，各地有关部门",
        ),
        (
            27,
            "建立健全省级产教融合型企业认证制度，落实“金融+财政+土地+信用”的组合式激励政策",
            "各地有关部门",
        ),
        (30, "结合职业教育特点完善学位制度", "教育部、国务院学位委员会"),
        (
            55,
            "在东中西布局5个左右国家职业教育改革省域试点，建设10个左右国家职业教育改革市域试点",
            "教育部，相关省级人民政府，相关地级市人民政府",
        ),
        (
            56,
            "推进《职业教育法》修订和落实，完善配套法规制度；制定和颁布职业教育地方性法规",
            "教育部，各地有关部门",
        ),
    ],
)
def test_task_text_and_departments_verbatim(number, text, departments):
    task = Task.objects.get(number=number)
    assert (task.text, task.departments) == (text, departments)


def test_every_sub_item_and_its_text():
    split = {
        code: text
        for code, text in Item.objects.filter(sub_number__gt=0).values_list("code", "text")
    }
    assert split == SUB_ITEMS


def test_other_tasks_are_one_item_with_the_task_text():
    for task in Task.objects.exclude(number__in=[3, 4, 7, 11, 18, 36, 43, 49]):
        items = list(task.items.all())
        assert len(items) == 1, task.number
        assert (items[0].code, items[0].text, items[0].sub_number) == (
            str(task.number),
            task.text,
            0,
        )


def test_fifty_eight_items_on_the_platform():
    offered = Item.objects.offerable()
    assert offered.count() == 58
    assert offered.filter(scope=ItemScope.SCHOOL).count() == 44
    assert not offered.filter(task__number__in=OFF_PLATFORM).exists()


def test_quantity_flags():
    assert set(Item.objects.filter(has_quantity=True).values_list("code", flat=True)) == (
        QUANTITY_ITEMS
    )
    # The manual shows "-" in 承接数量 for items 1 and 2.
    assert not Item.objects.filter(code__in=["1", "2"], has_quantity=True).exists()


def test_default_scope():
    assert (
        set(Item.objects.filter(scope=ItemScope.PROVINCE).values_list("code", flat=True))
        == PROVINCE_ITEMS
    )
    # The manual's screenshots show schools ticking 1, 2 and 3.1–3.3.
    assert set(
        Item.objects.filter(code__in=["1", "2", "3.1", "3.2", "3.3"]).values_list(
            "scope", flat=True
        )
    ) == {ItemScope.SCHOOL}


def test_reloading_keeps_edits_unless_forced():
    Item.objects.filter(code="1").update(text="已修改")
    call_command("load_reference_data", verbosity=0)
    assert Item.objects.get(code="1").text == "已修改"
    call_command("load_reference_data", "--force", verbosity=0)
    assert Item.objects.get(code="1").text.startswith("加强职业教育研究")
    assert Task.objects.count() == 56 and Category.objects.count() == 11


def test_catalogue_page_is_public_and_lists_every_task(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get("/catalogue/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "重点任务（项目）一览表" in html
    for name in CATEGORIES:
        assert name in html
    for task in Task.objects.all():
        assert task.text in html
    for code, text in SUB_ITEMS.items():
        assert f"<td>{code}</td>" in html and text in html
    assert "共 11 类 56 项重点任务（项目），其中 45 项在平台承接" in html


def test_catalogue_is_linked_from_the_home_page(client):
    assert 'href="/catalogue/"' in client.get("/").content.decode()


def test_catalogue_query_count_does_not_grow_with_plans(client, django_assert_max_num_queries):
    plan = Plan.objects.create(
        code="reform-2023", name="现代职业教育体系建设改革重点任务", start_year=2023, end_year=2025
    )
    category = Category.objects.create(plan=plan, number=1, name="测试类别")
    for n in range(1, 31):
        task = Task.objects.create(
            plan=plan, category=category, number=n, text=f"任务{n}", departments="教育部"
        )
        Item.objects.bulk_create(
            Item(task=task, code=f"{n}.{k}", sub_number=k, text=f"子项{n}.{k}") for k in (1, 2)
        )
    with django_assert_max_num_queries(5):
        response = client.get("/catalogue/?plan=reform-2023")
    html = response.content.decode()
    assert "子项30.2" in html and "加强职业教育研究" not in html


def test_unknown_plan_is_404(client):
    assert client.get("/catalogue/?plan=nope").status_code == 404
