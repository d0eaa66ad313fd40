"""The normaliser (tizhi.lib.text), its form fields, client_ip, and the sweep over stored text
that the data migrations run."""

import importlib

import pytest
from django import forms
from django.apps import apps
from django.test import RequestFactory
from openpyxl import Workbook

from review.models import ExportJob
from schools.models import School
from tasks.models import Commitment, Round
from tests.factories import MinistryUserFactory, SchoolFactory
from tests.review.helpers import school_in_state
from tizhi.lib.forms import DigitsField, IdField, MultiLineField, SingleLineField
from tizhi.lib.http import client_ip
from tizhi.lib.stored_text import clean_stored_text
from tizhi.lib.text import OtherScriptDigits, clean_digits, clean_text, has_control, parse_id

EVERY_CHARACTER = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF) + (
    "\ufeff\ufffe\uffff\u2028\u2029"
)


@pytest.mark.parametrize("multiline", [False, True])
def test_clean_text_leaves_nothing_openpyxl_refuses_and_is_idempotent(multiline):
    cleaned = clean_text("甲" + EVERY_CHARACTER + "乙", multiline=multiline)
    assert clean_text(cleaned, multiline=multiline) == cleaned
    Workbook().active.cell(1, 1).value = cleaned  # raises IllegalCharacterError if not
    assert not has_control(cleaned.replace("\t", "").replace("\n", ""))
    assert ("\n" in cleaned) is multiline


@pytest.mark.parametrize(
    ("text", "one_line", "lines"),
    [
        ("a\x0bb", "a b", "a\nb"),
        ("a\r\nb\rc", "a b c", "a\nb\nc"),
        ("a\x00b\x7f\x9fc", "abc", "abc"),
        ("  a\t\tb  ", "a b", "a\t\tb"),
        ("a\u2028b\x85c", "a b c", "a\nb\nc"),
        ("（甲）", "（甲）", "（甲）"),
        (None, "", ""),
    ],
)
def test_clean_text(text, one_line, lines):
    assert clean_text(text) == one_line
    assert clean_text(text, multiline=True) == lines


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("０１０－８７６５４３２１", "010-87654321"),
        ("４１１４０００００１", "4114000001"),
        ("12.5", "12.5"),
    ],
)
def test_clean_digits_turns_full_width_into_ascii(value, expected):
    assert clean_digits(value) == expected


@pytest.mark.parametrize("value", ["٣", "१२", "4114٠00001", "๑"])
def test_clean_digits_refuses_other_scripts(value):
    with pytest.raises(OtherScriptDigits) as caught:
        clean_digits(value)
    assert caught.value.message == "请使用阿拉伯数字0-9填写。"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("9" * 5000, None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        (" 1", None),
        ("1\x00", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


class Fields(forms.Form):
    one = SingleLineField(max_length=5, required=False)
    many = MultiLineField(required=False)
    code = DigitsField(required=False)
    pk = IdField(required=False)


def test_form_fields():
    form = Fields({"one": "甲\x0b\x0b乙丙丁", "many": "甲\x0b乙\r\n", "code": "４１", "pk": "12"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"one": "甲 乙丙丁", "many": "甲\n乙", "code": "41", "pk": 12}
    form = Fields({"code": "٤١", "pk": "²"})
    assert not form.is_valid()
    assert form.errors == {
        "code": ["请使用阿拉伯数字0-9填写。"],
        "pk": ["页面数据有误，请刷新页面后重试。"],
    }


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),
        (2, "203.0.113.7", "10.0.0.1"),
        (1, "not-an-ip", "10.0.0.1"),
        (1, "203.0.113.7:8080", "10.0.0.1"),
        (1, "fe80::1%eth0", "10.0.0.1"),
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("remote", "proxies", "expected"),
    [
        ("10.0.0.1", ["10.0.0.1"], "203.0.113.7"),
        ("10.0.0.1", ["10.0.0.0/24"], "203.0.113.7"),
        ("198.51.100.4", ["10.0.0.1"], "198.51.100.4"),  # came directly: the header is ignored
        ("::1", ["10.0.0.1", "::1"], "203.0.113.7"),
        ("not-an-ip", ["10.0.0.1"], "not-an-ip"),
    ],
)
def test_client_ip_reads_the_header_only_from_a_trusted_proxy(settings, remote, proxies, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == expected


# -- the stored text the data migrations clean ------------------------------------------------


@pytest.mark.django_db
def test_clean_stored_text_cleans_in_batches_and_only_once(django_assert_max_num_queries):
    # No NUL here: PostgreSQL never stored one, so only SQLite can hold a legacy NUL.
    dirty = [SchoolFactory(name=f"学校\x0b{n}\x01") for n in range(5)]
    clean = SchoolFactory(name="干净的学校")
    School.objects.filter(pk=dirty[0].pk).update(city="太原\x0b市", contact_name="\x85张")
    # 3 rows a batch: 6 rows are 3 reads (the last one empty) and 2 writes.
    with django_assert_max_num_queries(5):
        changed = clean_stored_text(School, single_line=("name", "city", "contact_name"), batch=3)
    assert changed == 5
    assert [s.name for s in School.objects.filter(pk__in=[d.pk for d in dirty])] == [
        f"学校 {n}" for n in range(5)
    ]
    first = School.objects.get(pk=dirty[0].pk)
    assert (first.city, first.contact_name) == ("太原 市", "张")
    assert School.objects.get(pk=clean.pk).name == "干净的学校"
    assert clean_stored_text(School, single_line=("name", "city", "contact_name"), batch=3) == 0


@pytest.mark.django_db
def test_the_data_migrations_clean_every_listed_column(reference_data):
    admin = MinistryUserFactory()
    round_ = Round.objects.create(
        plan_id=1,
        province_id="14",
        start_date="2026-01-01",
        end_date="2026-12-31",
        instructions="说明\x0b第二行\x01",
        contact1_name="张\x0b老师",
    )
    round_.items.set(round_.default_items())
    school = school_in_state(round_.province, round_, "submitted", admin)
    Commitment.objects.filter(declaration__school=school).update(comment="请\x0b核实\x01")
    School.objects.filter(pk=school.pk).update(name="学校\x0b名称", mobile="1390000000\x01")
    job = ExportJob.objects.create(plan_id=1, requested_by=admin, error="失败\x0b\x01原因")

    for app, module, function in [
        ("schools", "0002_clean_stored_text", "clean_schools"),
        ("tasks", "0008_clean_stored_text", "clean_tasks"),
        ("review", "0003_clean_stored_text", "clean_jobs"),
    ]:
        migration = importlib.import_module(f"{app}.migrations.{module}")
        getattr(migration, function)(apps, None)

    round_.refresh_from_db()
    assert (round_.instructions, round_.contact1_name) == ("说明\n第二行", "张 老师")
    assert set(
        Commitment.objects.filter(declaration__school=school).values_list("comment", flat=True)
    ) == {"请\n核实"}
    school.refresh_from_db()
    assert (school.name, school.mobile) == ("学校 名称", "1390000000")
    job.refresh_from_db()
    assert job.error == "失败\n原因"
