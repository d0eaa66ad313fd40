"""Uploaded files: accepted by name and by content, stored outside the web root under names the
server chooses, removed again if anything after the upload fails."""

import re
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any

import olefile
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from tasks.choices import FileKind
from tizhi.lib.archives import ArchiveLimits, open_archive, within

MAX_SIZE = 20 * 1024 * 1024
ALLOWED = "PDF、DOC、DOCX、XLS、XLSX、JPG、PNG"
EXTENSIONS = {
    "pdf": FileKind.PDF,
    "doc": FileKind.DOC,
    "docx": FileKind.DOCX,
    "xls": FileKind.XLS,
    "xlsx": FileKind.XLSX,
    "jpg": FileKind.JPG,
    "jpeg": FileKind.JPG,
    "png": FileKind.PNG,
}


class FileRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def private_storage() -> Storage:
    """Where uploads live: settings.STORAGES["private"], never served by whitenoise."""
    return storages["private"]


def display_name(name: str) -> str:
    """The name to show and to offer on download: the last path part only, printable, short."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable())
    base = base.strip().strip(".") or "文件"
    if len(base) > 100:
        stem, dot, suffix = base.rpartition(".")
        base = f"{stem[: 95 - len(suffix)]}.{suffix}" if dot else base[:100]
    return base


def _is_pdf(stream: IO[bytes]) -> bool:
    return stream.read(5) == b"%PDF-"


def _image(fmt: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        try:
            with Image.open(stream) as image:
                if image.format != fmt:
                    return False
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return False
        return True

    return check


# What an uploaded .docx or .xlsx may be as an archive. A real 20 MB document with pictures packs
# about 1:1, a text-heavy workbook 10-20:1; a zip bomb 1000:1 and more.
UPLOAD_ARCHIVE_LIMITS = ArchiveLimits(entries=5_000, inflated=200 * 1024 * 1024, ratio=100)


class ArchiveOutOfRange(FileRejected):
    pass


def _ooxml(part: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        archive = open_archive(stream)
        if archive is None:
            return False
        with archive:
            names = set(archive.namelist())
            if not within(archive, UPLOAD_ARCHIVE_LIMITS):
                raise ArchiveOutOfRange("解压后过大或结构异常（可能是压缩炸弹）")
        return "[Content_Types].xml" in names and part in names

    return check


def _ole(*streams: str) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        try:
            if not olefile.isOleFile(stream):
                return False
            stream.seek(0)
            with olefile.OleFileIO(stream) as ole:
                return any(ole.exists(name) for name in streams)
        except OSError:
            return False

    return check


CONTENT_CHECKS: dict[FileKind, Callable[[IO[bytes]], bool]] = {
    FileKind.PDF: _is_pdf,
    FileKind.PNG: _image("PNG"),
    FileKind.JPG: _image("JPEG"),
    FileKind.DOCX: _ooxml("word/document.xml"),
    FileKind.XLSX: _ooxml("xl/workbook.xml"),
    FileKind.DOC: _ole("WordDocument"),
    FileKind.XLS: _ole("Workbook", "Book"),
}


def check_upload(upload: UploadedFile) -> FileKind:
    """The upload's kind, or FileRejected with a reason a user can act on."""
    name = display_name(upload.name or "")
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    kind = EXTENSIONS.get(suffix)
    if kind is None:
        raise FileRejected(f"只能上传 {ALLOWED} 文件（“{name}”不是）。")
    size = upload.size or 0
    if size > MAX_SIZE:
        raise FileRejected(f"文件不能超过20MB（“{name}”有 {size / 1024 / 1024:.1f}MB）。")
    if size == 0:
        raise FileRejected(f"“{name}”是空文件。")
    upload.seek(0)
    try:
        genuine = CONTENT_CHECKS[kind](upload)
    except ArchiveOutOfRange as exc:
        raise FileRejected(f"“{name}”{exc.message}，未上传。") from exc
    finally:
        upload.seek(0)
    if not genuine:
        raise FileRejected(
            f"“{name}”的内容不是 {kind.label} 文件（可能是改了扩展名的其他文件），未上传。"
        )
    return kind


def store(upload: UploadedFile, kind: FileKind, folder: str) -> str:
    """Save under a name the server chooses; return that name. The caller deletes it if the
    rest of its work fails (see discard)."""
    name = f"{folder}/{timezone.now():%Y}/{uuid.uuid4().hex}.{kind.value}"
    return private_storage().save(name, upload)


def discard(name: str) -> None:
    if name:
        private_storage().delete(name)


def open_file(name: str) -> Any:
    return private_storage().open(name, "rb")
