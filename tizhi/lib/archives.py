"""Zip archives from outside (.xlsx, .docx): judged by their directory before anything is
inflated, so a zip bomb costs a few kilobytes of reading, not gigabytes of memory or disk."""

import zipfile
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class ArchiveLimits:
    entries: int
    inflated: int  # bytes, all entries together
    ratio: int  # inflated : packed, all entries together


def within(archive: zipfile.ZipFile, limits: ArchiveLimits) -> bool:
    """Whether the archive's entry count, inflated size and compression ratio are in range.
    The sizes are the directory's; zipfile never inflates an entry past its declared size,
    so an entry that lies about it fails when read instead of growing without end."""
    entries = archive.infolist()
    inflated = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    return (
        len(entries) <= limits.entries
        and inflated <= limits.inflated
        and inflated / packed <= limits.ratio
    )


def open_archive(stream: IO[bytes]) -> zipfile.ZipFile | None:
    """The archive, or None when the stream is not one."""
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
