"""Every page that shows figures says, in a line of its own, what they mean (issue 14 part 9)."""

import pytest
from django.test import Client

from tasks.models import ReportingYear
from tests.factories import MinistryUserFactory
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db


def note(html: str) -> str:
    start = html.index('class="text-muted small figures-note">') + len(
        'class="text-muted small figures-note">'
    )
    return html[start : html.index("</p>", start)]


@pytest.fixture
def pages(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    year = ReportingYear.open(open_round.plan, 2021, by=MinistryUserFactory())
    return school, year


@pytest.mark.parametrize(
    ("who", "path", "words"),
    [
        ("province", "/province/queue/", "已等待：自送审时间起的天数"),
        ("province", "/province/schools/{code}/", "意向承接：本校已提交的全部承接任务"),
        ("province", "/province/changes/", "省厅同意前，各汇总表的已通过仍按变更前的数据统计"),
        ("province", "/province/reporting/{year}/", "应填报单位：本省在该行动计划中有已通过"),
        ("ministry", "/ministry/reporting/{year}/", "已提交：交过本年度绩效的单位"),
        ("school", "/school/commitments/", "“汇总”为各来源之和"),
    ],
)
def test_the_page_says_what_its_figures_mean(pages, province_admin, who, path, words):
    school, year = pages
    user = {
        "province": province_admin,
        "ministry": MinistryUserFactory(),
        "school": school.account,
    }[who]
    client = Client()
    client.force_login(user)
    response = client.get(path.format(code=school.code, year=year.pk))
    assert response.status_code == 200
    assert words in note(response.content.decode())


@pytest.mark.parametrize(
    "path", ["/ministry/", "/ministry/tables/provinces/", "/ministry/tables/items/"]
)
def test_the_ministry_tables_state_their_basis(reference_data, path):
    client = Client()
    client.force_login(MinistryUserFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert "口径" in response.content.decode()
