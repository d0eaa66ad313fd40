import pytest

from schools.choices import SchoolKind
from schools.models import Province
from tasks.models import Declaration
from tests.factories import ProvinceAdminFactory, SchoolFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.tasks.conftest import (  # noqa: F401 - fixtures shared with the province's tests
    item,
    open_round,
    other_province_admin,
    other_school_user,
    province_admin,
    school_user,
    shanxi,
)
from tests.tasks.helpers import full_row


@pytest.fixture
def nation(reference_data):
    """山西 (14): approved, submitted, filling, not started, and its own item 5 (total 15);
    河南 (41): returned, reviewing; 北京 (11): one school, no round. Every school row is
    1+2+3+4 = 10 万元; 3.2 has quantity 2."""
    sx, hn = open_round_for("14"), open_round_for("41")
    sx_admin = ProvinceAdminFactory(province=sx.province)
    hn_admin = ProvinceAdminFactory(province=hn.province)
    schools = {
        "sx_approved": school_in_state(
            sx.province, sx, "approved", sx_admin, kind=SchoolKind.JUNIOR_COLLEGE
        ),
        "sx_submitted": school_in_state(
            sx.province, sx, "submitted", sx_admin, kind=SchoolKind.SECONDARY
        ),
        "sx_filling": school_in_state(
            sx.province, sx, "filling", sx_admin, kind=SchoolKind.SECONDARY
        ),
        "sx_idle": school_in_state(sx.province, sx, "not_started", sx_admin, kind=SchoolKind.OTHER),
        "hn_returned": school_in_state(
            hn.province, hn, "returned", hn_admin, kind=SchoolKind.JUNIOR_COLLEGE
        ),
        "hn_reviewing": school_in_state(
            hn.province, hn, "reviewing", hn_admin, kind=SchoolKind.UNDERGRADUATE
        ),
        "bj_idle": SchoolFactory(province=Province.objects.get(code="11")),
    }
    Declaration.for_province(sx).submit(
        by=sx_admin,
        rows={item("5").pk: full_row(item("5"), provincial_funds=5)},
        contacts=None,
        version=0,
    )
    return schools
