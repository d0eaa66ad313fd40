from tests.tasks.conftest import (  # noqa: F401 - fixtures shared with the province's tests
    open_round,
    other_province_admin,
    other_school_user,
    province_admin,
    school_user,
    shanxi,
)
