"""seed_scale: a reproducible national data set whose stored figures agree with the rules."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from schools.models import School, User
from tasks.choices import ReviewStatus, SchoolStatus
from tasks.models import Commitment, Declaration, Round, derive_school_status

pytestmark = pytest.mark.django_db


def seed(*args):
    out = io.StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def fingerprint():
    return (
        list(School.objects.order_by("code").values_list("code", "province_id", "kind")),
        list(
            Declaration.objects.order_by("school_id").values_list(
                "school_id", "school_status", "item_count"
            )
        ),
        Commitment.objects.count(),
        sorted(str(v) for v in Commitment.objects.values_list("total", flat=True)),
    )


def test_small_set_has_every_status_and_consistent_figures(reference_data):
    out = seed("--schools", "120", "--seed", "3")
    assert "学校 120 所" in out
    assert School.objects.count() == 120 and Round.objects.count() == 32
    assert User.objects.filter(role="school").count() == 120
    assert User.objects.filter(role="province").count() == 32
    statuses = set(
        Declaration.objects.filter(school__isnull=False).values_list("school_status", flat=True)
    ) | {SchoolStatus.NOT_STARTED}
    assert statuses == set(SchoolStatus.values)
    for school in School.objects.all():
        assert len(school.code) == 10 and school.code.isdigit()
    declarations = Declaration.objects.annotate(
        rows=Count("commitments"),
        approved=Count("commitments", filter=Q(commitments__review_status=ReviewStatus.APPROVED)),
        returned=Count("commitments", filter=Q(commitments__review_status=ReviewStatus.RETURNED)),
    )
    for d in declarations:
        if d.school_id:
            assert d.school_status == derive_school_status(d.status, d.rows, d.approved, d.returned)
        assert d.item_count == d.rows
        assert d.total_funds == sum(c.total for c in d.commitments.all())
    returned = Commitment.objects.filter(review_status=ReviewStatus.RETURNED)
    assert returned.exists() and not returned.filter(comment="").exists()


def test_same_seed_same_data(reference_data):
    seed("--schools", "60", "--seed", "7")
    first = fingerprint()
    seed("--schools", "60", "--seed", "7", "--replace")
    assert fingerprint() == first
    seed("--schools", "60", "--seed", "8", "--replace")
    assert fingerprint() != first


def test_refuses_to_overwrite_without_replace(reference_data):
    seed("--schools", "10")
    with pytest.raises(CommandError, match="--replace"):
        seed("--schools", "10")


def test_spread_follows_the_weights(reference_data):
    seed("--schools", "1100", "--seed", "1")
    by_province = dict(School.objects.values_list("province").annotate(n=Count("code")))
    assert by_province["41"] > by_province["11"] * 5  # 河南 well above 北京
    assert sum(by_province.values()) == 1100
