"""Files are accepted by name and by content, at most 20 MB, stored under server-chosen names
outside the web root; a failed upload leaves nothing behind."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.choices import FileKind
from tasks.files import MAX_SIZE, FileRejected, check_upload, display_name, store
from tests.samples import EXECUTABLE, GOOD, PDF, image, ole, ooxml, xlsx


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("name", list(GOOD))
def test_every_accepted_kind_passes(name):
    kind = check_upload(upload(name, GOOD[name]))
    assert kind.value == {"jpeg": "jpg"}.get(name.rsplit(".", 1)[1], name.rsplit(".", 1)[1])


@pytest.mark.parametrize("name", ["报告.pdf", "说明.docx", "照片.png", "数据.xls", "说明.doc"])
def test_a_renamed_executable_is_refused(name):
    with pytest.raises(FileRejected, match="改了扩展名"):
        check_upload(upload(name, EXECUTABLE))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("说明.docx", xlsx()),  # a spreadsheet called a document
        ("数据.xlsx", ooxml("word/document.xml")),
        ("说明.doc", ole("Workbook")),
        ("数据.xls", ole("WordDocument")),
        ("照片.png", image("JPEG")),
        ("照片.jpg", PDF),
        ("报告.pdf", b"%PDX not a pdf"),
    ],
)
def test_content_must_match_the_name(name, content):
    with pytest.raises(FileRejected, match="内容不是"):
        check_upload(upload(name, content))


@pytest.mark.parametrize("name", ["程序.exe", "压缩包.zip", "说明.txt", "网页.html", "无扩展名"])
def test_other_kinds_are_refused_by_name(name):
    with pytest.raises(FileRejected, match="只能上传 PDF、DOC、DOCX、XLS、XLSX、JPG、PNG"):
        check_upload(upload(name, PDF))


def test_oversized_file_is_refused():
    big = PDF + bytes(MAX_SIZE + 1 - len(PDF))
    with pytest.raises(FileRejected, match="不能超过20MB"):
        check_upload(upload("大文件.pdf", big))
    assert check_upload(upload("正好.pdf", PDF + bytes(MAX_SIZE - len(PDF)))) == FileKind.PDF


def bomb(main_part: str, inflated: int, *, entries: int = 0) -> bytes:
    """An Office file in name and parts whose main part inflates to `inflated` bytes of zeros
    (or, with `entries`, one that holds that many small parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(main_part, "w") as part:
            chunk = bytes(1024 * 1024)
            for _ in range(inflated // len(chunk)):
                part.write(chunk)
        for n in range(entries):
            archive.writestr(f"customXml/item{n}.xml", "<a/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("说明.docx", bomb("word/document.xml", 200 * 1024 * 1024 + 1)),
        ("数据.xlsx", bomb("xl/workbook.xml", 201 * 1024 * 1024)),
        ("数据.xlsx", bomb("xl/workbook.xml", 0, entries=5_001)),
    ],
    ids=["docx-200MB", "xlsx-201MB", "xlsx-5001-parts"],
)
def test_a_zip_bomb_in_office_clothes_is_refused(name, content):
    assert len(content) < MAX_SIZE
    with pytest.raises(FileRejected, match="解压后过大或结构异常"):
        check_upload(upload(name, content))


def test_the_ratio_alone_refuses_and_an_ordinary_document_passes():
    # Only 2 MB inflated, but packed about 1000:1: no real document does that.
    content = bomb("word/document.xml", 2 * 1024 * 1024)
    with pytest.raises(FileRejected, match="解压后过大"):
        check_upload(upload("说明.docx", content))
    assert check_upload(upload("说明.docx", ooxml("word/document.xml"))) == FileKind.DOCX


def test_empty_file_is_refused():
    with pytest.raises(FileRejected, match="空文件"):
        check_upload(upload("空.pdf", b""))


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\报告.pdf", "报告.pdf"),
        ("C:\\Users\\张老师\\桌面\\年度报告.pdf", "年度报告.pdf"),
        ("/var/www/static/x.pdf", "x.pdf"),
        ("..", "文件"),
    ],
)
def test_a_path_in_the_file_name_is_dropped(sent, shown):
    assert display_name(sent) == shown


def test_stored_under_a_server_name_inside_the_private_root(private_files):
    name = store(upload("../../../../tmp/evil.pdf", PDF), FileKind.PDF, "evidence")
    root = Path(private_files).resolve()
    path = (root / name).resolve()
    assert path.is_file() and root in path.parents
    assert "evil" not in name and name.startswith("evidence/") and name.endswith(".pdf")
    assert not str(path).startswith(str(Path(settings.STATIC_ROOT).resolve()))
    path.unlink()
