"""Nothing typed is lost without JavaScript: no page holds two POST forms a user types into,
so no button can send one form while another's typed input is thrown away. (With JavaScript,
static/js/unsaved.js also asks; tests/e2e/test_unsaved.py covers that.)"""

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from tasks.models import Item, ReportingYear, Task
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db
TYPED = {"text", "search", "date", "file", "password", "number", "email", "tel", "url"}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {"method": a.get("method", "get").lower(), "typed": 0}
            self.forms.append(self.current)
        elif self.current is not None and (
            tag in {"textarea", "select"} or (tag == "input" and a.get("type", "text") in TYPED)
        ):
            self.current["typed"] += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def typed_post_forms(html: str) -> int:
    parser = _Forms()
    parser.feed(html)
    return sum(1 for f in parser.forms if f["method"] == "post" and f["typed"])


@pytest.fixture
def setup(reference_data):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = school_in_state(round_.province, round_, "submitted", admin)
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=9)
    )
    return {"admin": admin, "school": school, "year": year, "ministry": MinistryUserFactory()}


def test_no_page_holds_two_forms_a_user_types_into(setup):
    year, school = setup["year"], setup["school"]
    item = Item.objects.select_related("task").get(task__plan_id=1, code="3.3")
    pages = {
        "admin": [
            "/province/",
            "/province/queue/",
            "/province/changes/",
            "/province/by-item/?item=3.2",
            "/province/round/",
            "/province/round/required/",
            "/province/accounts/",
            "/province/accounts/add/",
            "/province/accounts/import/",
            f"/province/schools/{school.code}/",
            "/province/own/",
            "/province/extensions/",
            f"/province/extensions/grant/{school.code}/",
            "/province/reporting/",
            f"/province/reporting/{year.pk}/",
            f"/province/reporting/{year.pk}/summary/",
            "/province/audit/",
            "/account/password/",
        ],
        "ministry": [
            "/ministry/",
            "/ministry/exports/",
            "/ministry/admins/",
            "/ministry/admins/new/",
            "/ministry/reporting/",
            "/ministry/audit/",
            "/ministry/catalogue/",
            "/ministry/catalogue/plans/1/",
            "/ministry/catalogue/plans/1/edit/",
            "/ministry/catalogue/plans/add/",
            "/ministry/catalogue/plans/1/categories/add/",
            "/ministry/catalogue/plans/1/tasks/add/",
            f"/ministry/catalogue/categories/{item.task.category_id}/edit/",
            f"/ministry/catalogue/tasks/{item.task_id}/edit/",
            f"/ministry/catalogue/tasks/{item.task_id}/items/add/",
            f"/ministry/catalogue/items/{item.pk}/edit/",
        ],
    }
    for who, paths in pages.items():
        client = client_for(setup[who])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert typed_post_forms(response.content.decode()) <= 1, path


def test_the_lists_link_to_their_forms(setup):
    admin = client_for(setup["admin"])
    html = admin.get("/province/accounts/").content.decode()
    assert 'href="/province/accounts/add/"' in html and 'href="/province/accounts/import/"' in html
    page = admin.get("/province/accounts/add/").content.decode()
    check_page(page, names=(setup["admin"].username,))
    assert "学校标识码" in page
    ministry = client_for(setup["ministry"])
    assert 'href="/ministry/admins/new/"' in ministry.get("/ministry/admins/").content.decode()
    check_page(
        ministry.get("/ministry/admins/new/").content.decode(),
        names=(setup["ministry"].username,),
    )


def test_summary_upload_page_preselects_the_task(setup):
    year = setup["year"]
    task = Task.objects.get(plan_id=1, number=7)
    admin = client_for(setup["admin"])
    html = admin.get(f"/province/reporting/{year.pk}/").content.decode()
    assert f'/province/reporting/{year.pk}/summary/?task={task.pk}"' in html
    page = admin.get(f"/province/reporting/{year.pk}/summary/", {"task": task.pk})
    check_page(page.content.decode(), names=(setup["admin"].username,))
    assert f'<option value="{task.pk}" selected>' in page.content.decode()
