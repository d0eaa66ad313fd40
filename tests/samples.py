"""Small but real files of every accepted kind, and some that only pretend to be."""

import io
import struct
import zipfile

from openpyxl import Workbook
from PIL import Image

ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def ole(stream_name: str, size: int = 4096) -> bytes:
    """A minimal compound file (the container of .doc and .xls) with one stream."""
    sectors = size // 512
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<IIII", header, 60, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, FREESECT)
    fat = [FATSECT, ENDOFCHAIN] + [3 + i for i in range(sectors - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))
    fat_sector = struct.pack("<128I", *fat)

    def entry(name: str, kind: int, child: int, start: int, length: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        data = bytearray(128)
        data[0 : len(raw)] = raw
        struct.pack_into("<HBB", data, 64, len(raw), kind, 1)
        struct.pack_into("<III", data, 68, FREESECT, FREESECT, child)
        struct.pack_into("<III", data, 116, start, length, 0)
        return bytes(data)

    directory = (
        entry("Root Entry", 5, 1, ENDOFCHAIN, 0)
        + entry(stream_name, 2, FREESECT, 2, size)
        + bytes(256)
    )
    return bytes(header) + fat_sector + directory + bytes(size)


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, fmt)
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(500)

GOOD = {
    "报告.pdf": PDF,
    "说明.doc": ole("WordDocument"),
    "说明.docx": ooxml("word/document.xml"),
    "数据.xls": ole("Workbook"),
    "数据.xlsx": xlsx(),
    "照片.jpg": image("JPEG"),
    "照片.jpeg": image("JPEG"),
    "截图.png": image("PNG"),
}
