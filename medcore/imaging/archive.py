"""Zip archives of DICOM files, unpacked in memory within zip-bomb limits; system files told apart.

PACS and CD exports, and zips made on a Mac or in Windows Explorer, carry files that are not
images: a ``DICOMDIR`` index, ``__MACOSX/`` resource forks, dot-files (``.DS_Store``),
``Thumbs.db``. :func:`is_system_file` names those; :mod:`medcore.imaging.series` skips them
without a word, and lists every other file it cannot use with its reason.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from medcore.errors import InvalidUploadError

#: Zip-bomb guard: most members and most uncompressed bytes one .zip may hold.
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 1024 * 1024 * 1024

#: File names (any case) that an export or an operating system adds beside the images: the
#: DICOM media index and the folder metadata of Windows. Skipped silently.
SYSTEM_FILE_NAMES = frozenset({"dicomdir", "thumbs.db", "desktop.ini"})
#: Folders of macOS resource forks inside zips made on a Mac. Skipped silently.
SYSTEM_FOLDERS = frozenset({"__macosx"})


def is_system_file(path: str) -> bool:
    """True for ``DICOMDIR``, ``__MACOSX/...``, dot-files and OS folder metadata.

    ``path`` is a file name or a zip member path (``/`` or ``\\`` separated).
    """
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return False
    return (parts[-1].lower() in SYSTEM_FILE_NAMES
            or any(p.lower() in SYSTEM_FOLDERS or p.startswith(".") for p in parts))


def expand_zip(data: bytes, name: str, *, max_members: int = MAX_ZIP_MEMBERS,
               max_bytes: int = MAX_ZIP_BYTES) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The files of a zip, read in memory within the limits, and the system files left unread.

    Returns
    -------
    files : list of (member name, bytes)
        Every file but folders and system files (see :func:`is_system_file`), in archive order.
    ignored : list of str
        Member names of the system files, not read.

    Raises
    ------
    InvalidUploadError
        A damaged or encrypted zip, more than ``max_members`` files or more than ``max_bytes``
        uncompressed (a zip bomb), or a zip with no files at all.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidUploadError(f"{name} is a damaged zip archive ({exc}); expected a .zip of "
                                 "DICOM files. Create the zip again and re-upload.") from exc
    if not entries:
        raise InvalidUploadError(f"{name} is an empty zip; expected a .zip of DICOM files. Add "
                                 "the series' files to the zip.")
    ignored = [m.filename for m in entries if is_system_file(m.filename)]
    members = [m for m in entries if not is_system_file(m.filename)]
    if len(members) > max_members:
        raise InvalidUploadError(
            f"{name} holds {len(members)} files; expected at most {max_members}. Upload one "
            "series at a time.")
    declared = sum(m.file_size for m in members)
    if declared > max_bytes:
        raise InvalidUploadError(
            f"{name} unpacks to {declared / 1e6:,.0f} MB; expected at most {max_bytes / 1e6:,.0f}"
            " MB (a guard against zip bombs). Upload fewer slices per zip.")
    files, total = [], 0
    for member in members:
        try:
            with archive.open(member) as handle:
                content = handle.read(member.file_size + 1)
        except Exception as exc:  # noqa: BLE001 - encrypted, unsupported method, CRC error
            raise InvalidUploadError(
                f"{name}: member {member.filename} could not be unpacked ({type(exc).__name__}: "
                f"{exc}); expected an unencrypted, intact .zip. Create the zip again without a "
                "password.") from exc
        total += len(content)
        if len(content) > member.file_size or total > max_bytes:
            raise InvalidUploadError(
                f"{name} unpacks to more than its declared size; expected at most "
                f"{max_bytes / 1e6:,.0f} MB (a guard against zip bombs). Upload fewer slices.")
        files.append((member.filename, content))
    return files, ignored


def member_label(archive_name: str, member: str) -> str:
    """How messages name a zip member: ``study.zip/IMG/0001.dcm``."""
    return f"{archive_name}/{PurePosixPath(member.replace(chr(92), '/'))}"
