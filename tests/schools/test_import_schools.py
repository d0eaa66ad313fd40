"""import_schools: good files create schools and accounts; any bad row imports nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from schools.choices import SchoolKind
from schools.imports import SchoolImportError, import_schools
from schools.models import Province, School, User
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

HEADER = ["学校标识码", "学校名称", "学校类型", "所在地市"]
GOOD_ROWS = [
    ["4114010001", "太原甲职业技术学院", "专科高职院校", "太原市"],
    ["3114010002", "大同乙中等职业学校", "中职学校", "大同市"],
    ["4114010003", "山西丙职业技术大学", "本科高职院校", ""],
    ["5114010004", "山西丁开放大学", "其他主体", "太原市"],
]


@pytest.fixture
def shanxi(reference_data):
    return Province.objects.get(code="14")


def xlsx(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER):
    text = "\r\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\r\n"
    return text.encode(encoding)


def run_command(tmp_path, name, data, province="14"):
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_schools", str(path), "--province", province, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("schools.xlsx", xlsx(GOOD_ROWS)),
        ("schools.csv", csv_bytes(GOOD_ROWS)),
        ("schools.csv", csv_bytes(GOOD_ROWS, encoding="gb18030")),
        ("schools.csv", csv_bytes(GOOD_ROWS, encoding="utf-8")),
    ],
    ids=["xlsx", "csv-utf8-bom", "csv-gbk", "csv-utf8"],
)
def test_good_file_creates_schools_and_accounts(tmp_path, shanxi, name, data):
    ok, out, _ = run_command(tmp_path, name, data)
    assert ok
    assert "新增学校 4 所" in out and "新建学校账号 4 个" in out
    school = School.objects.get(code="3114010002")
    assert (school.name, school.kind, school.city, school.province_id) == (
        "大同乙中等职业学校",
        SchoolKind.SECONDARY,
        "大同市",
        "14",
    )
    assert School.objects.get(code="4114010003").kind == SchoolKind.UNDERGRADUATE
    assert School.objects.get(code="5114010004").kind == SchoolKind.OTHER
    account = User.objects.get(username="4114010001")
    assert account.school_id == "4114010001"
    assert account.check_password("123456")
    assert account.must_change_password


def test_codes_stored_as_numbers_in_excel_are_read(tmp_path, shanxi):
    ok, _, _ = run_command(
        tmp_path, "n.xlsx", xlsx([[4114010001, "甲学院", "专科高职院校", "太原市"]])
    )
    assert ok
    assert School.objects.filter(code="4114010001").exists()


def test_rerun_updates_names_and_keeps_accounts(tmp_path, shanxi):
    run_command(tmp_path, "a.xlsx", xlsx(GOOD_ROWS))
    account = User.objects.get(username="4114010001")
    account.set_password("Changed99")
    account.must_change_password = False
    account.save()
    renamed = [
        ["4114010001", "太原甲职业技术学院（更名）", "专科高职院校", "太原市"],
        *GOOD_ROWS[1:],
    ]
    ok, out, _ = run_command(tmp_path, "b.xlsx", xlsx(renamed))
    assert ok
    assert "新增学校 0 所，更新 1 所，未变 3 所；新建学校账号 0 个" in out
    assert School.objects.get(code="4114010001").name == "太原甲职业技术学院（更名）"
    account.refresh_from_db()
    assert account.check_password("Changed99") and not account.must_change_password
    assert School.objects.count() == 4 and User.objects.count() == 4


def test_extra_columns_and_blank_lines_are_ignored(tmp_path, shanxi):
    rows = [
        ["4114010001", "甲学院", "专科高职院校", "太原市", "备注"],
        ["", "", "", ""],
        ["3114010002", "乙学校", "中职学校", "大同市", ""],
    ]
    ok, _, _ = run_command(tmp_path, "x.xlsx", xlsx(rows, header=[*HEADER, "备注"]))
    assert ok
    assert School.objects.count() == 2


def test_city_column_is_optional(tmp_path, shanxi):
    ok, _, _ = run_command(
        tmp_path, "x.csv", csv_bytes([["4114010001", "甲学院", "专科高职院校"]], header=HEADER[:3])
    )
    assert ok
    assert School.objects.get(code="4114010001").city == ""


def test_every_bad_row_is_listed_and_nothing_is_imported(tmp_path, shanxi):
    SchoolFactory(code="1100000001", province=Province.objects.get(code="11"), name="北京某学院")
    rows = [
        ["4114010001", "甲学院", "专科高职院校", "太原市"],  # row 2: good
        ["411401000", "乙学院", "专科高职院校", "太原市"],  # row 3: 9 digits
        ["41140100AB", "丙学院", "专科高职院校", "太原市"],  # row 4: letters
        ["4114010001", "丁学院", "专科高职院校", "太原市"],  # row 5: duplicate of row 2
        ["4114010005", "戊学院", "高职学校", "太原市"],  # row 6: unknown kind
        ["1100000001", "北京某学院", "专科高职院校", "北京市"],  # row 7: another province
        ["4114010007", "", "中职学校", "太原市"],  # row 8: no name
    ]
    ok, _, err = run_command(tmp_path, "bad.xlsx", xlsx(rows))
    assert not ok
    assert "第3行：学校标识码“411401000”应为10位数字。" in err
    assert "第4行：学校标识码“41140100AB”应为10位数字。" in err
    assert "第5行：学校标识码4114010001与第2行重复。" in err
    assert "第6行：学校类型“高职学校”无效" in err
    assert "第7行：学校标识码1100000001已属于北京市（北京某学院），不能导入到山西省。" in err
    assert "第8行：学校名称不能为空。" in err
    assert "第2行：" not in err
    assert "文件有 6 处错误，未导入任何学校。" in err
    assert School.objects.count() == 1 and not User.objects.exists()


def test_bad_rerun_changes_nothing(tmp_path, shanxi):
    run_command(tmp_path, "a.xlsx", xlsx(GOOD_ROWS))
    rows = [["4114010001", "改名学院", "专科高职院校", "太原市"], ["123", "坏行", "中职学校", ""]]
    ok, _, _ = run_command(tmp_path, "b.xlsx", xlsx(rows))
    assert not ok
    assert School.objects.get(code="4114010001").name == "太原甲职业技术学院"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("s.xlsx", xlsx(GOOD_ROWS, header=["代码", "学校名称", "学校类型"]), "缺少列：学校标识码"),
        ("s.xlsx", xlsx([]), "文件中没有学校数据。"),
        ("s.csv", b"", "文件是空的。"),
        ("s.xls", b"\xd0\xcf\x11\xe0", "只支持 .xlsx 或 .csv 文件。"),
        ("s.xlsx", b"not a zip file", "不是有效的 .xlsx 文件"),
        (
            "s.csv",
            "学校标识码,学校名称,学校类型\n".encode("utf-16"),
            "CSV 文件编码应为 UTF-8 或 GBK",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(tmp_path, shanxi, name, data, message):
    ok, _, err = run_command(tmp_path, name, data)
    assert not ok
    assert message in err
    assert not School.objects.exists()


def test_unknown_province_is_refused(tmp_path, shanxi):
    ok, _, err = run_command(tmp_path, "a.xlsx", xlsx(GOOD_ROWS), province="99")
    assert not ok and "没有代码为“99”的省级单位" in err


def test_missing_file_is_refused(shanxi):
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_schools", "/no/such/file.xlsx", "--province", "14")


def test_username_taken_by_another_account_is_refused(shanxi):
    User.objects.create_user(username="4114010001", role="ministry", password="x")
    with pytest.raises(SchoolImportError) as caught:
        import_schools(io.BytesIO(xlsx(GOOD_ROWS)), "a.xlsx", shanxi, by=None)
    assert caught.value.errors == ["第2行：用户名4114010001已被其他账号使用。"]
