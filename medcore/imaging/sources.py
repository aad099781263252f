"""Reading an upload (path, bytes or file object) into memory and telling what kind it is.

Uploaded bytes stay in memory: nothing here writes to disk.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO, Union

from medcore.errors import InvalidUploadError
from medcore.uploads import megabytes, source_size

#: What ``load_scan`` accepts: a path, the file's bytes, or a binary file object (an upload).
Source = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO]

#: Largest single file read (bytes); the page's upload limit is lower.
MAX_FILE_BYTES = 1024 * 1024 * 1024
#: Largest upload the dashboard decodes (all files of one upload together, bytes): a CT series
#: of ~300 slices fits; its float32 volume then takes about twice as much memory again.
MAX_UPLOAD_BYTES = 150 * 1024 * 1024

EXPECTED = ("a DICOM file (.dcm, with or without the 128-byte preamble), a .zip of DICOM files, "
            "or a PNG or JPEG image")

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"%PDF", "pdf"),
    (0, b"GIF8", "gif"),
    (0, b"II*\x00", "tiff"),
    (0, b"MM\x00*", "tiff"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"BM", "bmp"),
    (0, b"MZ", "program"),
)

#: How a file kind that is not a scan is described in messages.
_DESCRIPTIONS = {
    "pdf": "a PDF document",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "gzip": "a gzip archive",
    "bmp": "a BMP image",
    "program": "a Windows program (a viewer on a CD)",
    "text": "a text file",
    "unknown": "bytes of no recognised image format",
    "zip": "a zip archive",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "empty": "nothing (0 bytes)",
}


def read_source(source: Any, filename: str | None = None) -> tuple[bytes, str]:
    """The bytes of ``source`` and a display name (the file name, never a full path).

    Raises
    ------
    InvalidUploadError
        ``source`` is not a path, bytes or binary file object, or names no readable file.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or "the uploaded bytes"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = filename or path.name
        if path.is_dir():
            raise InvalidUploadError(f"{name} is a folder; expected {EXPECTED}. Choose the files "
                                     "inside it, or zip the folder and upload the .zip.")
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise too_large(name, size, MAX_FILE_BYTES)
            return path.read_bytes(), name
        except OSError as exc:
            raise InvalidUploadError(f"{name} could not be read ({exc.strerror}); expected "
                                     f"{EXPECTED}. Check the path and permissions.") from exc
    if hasattr(source, "read"):
        name = filename or Path(str(getattr(source, "name", "") or "the uploaded file")).name
        size = source_size(source)
        if size is not None and size > MAX_FILE_BYTES:
            raise too_large(name, size, MAX_FILE_BYTES)
        try:
            if hasattr(source, "getvalue"):
                data = source.getvalue()
            else:
                if hasattr(source, "seek"):
                    source.seek(0)
                data = source.read(MAX_FILE_BYTES + 1)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad upload
            raise InvalidUploadError(f"{name} could not be read ({type(exc).__name__}); expected "
                                     f"{EXPECTED}. Upload the file again.") from exc
        if isinstance(data, str):
            raise InvalidUploadError(f"{name} was opened in text mode; expected a binary file "
                                     "object. Open it with open(path, 'rb').")
        if len(data) > MAX_FILE_BYTES:
            raise too_large(name, len(data), MAX_FILE_BYTES)
        return bytes(data), name
    raise InvalidUploadError(f"received a {type(source).__name__}; expected a path, bytes or a "
                             "binary file object holding " + EXPECTED + ".")


def too_large(name: str, size: int, limit: int) -> InvalidUploadError:
    """The error for an upload over the size limit (raised before its bytes are read)."""
    return InvalidUploadError(
        f"{name} is {megabytes(size)}; expected at most {megabytes(limit)} per upload (the "
        "dashboard decodes uploads in memory). Upload fewer files or one series at a time, or "
        "zip only the series you need.")


def local_file_head(source: Any, size: int = 512) -> tuple[Path, bytes] | None:
    """For a path to an existing file: the path and its first ``size`` bytes; else None.

    Lets a DICOM file on disk be parsed straight from the file (one copy of its pixel data fewer).
    """
    if not isinstance(source, (str, os.PathLike)):
        return None
    path = Path(source)
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return path, handle.read(size)
    except OSError:
        return None


def looks_like_dataset_without_preamble(data: bytes) -> bool:
    """True when ``data`` starts like a DICOM data set written without the preamble and 'DICM'.

    Such files begin directly with a group 0002 (file meta) or 0008 (identifying) element, in
    little- or big-endian byte order.
    """
    if len(data) < 8:
        return False
    for order in ("little", "big"):
        group = int.from_bytes(data[0:2], order)
        element = int.from_bytes(data[2:4], order)
        if group in (0x0002, 0x0008) and element <= 0x0020:
            return True
    return False


def sniff(data: bytes) -> str:
    """The kind of file ``data`` holds, from its first bytes.

    Returns one of "empty", "dicom", "dicom-no-preamble", "png", "jpeg", "zip", "pdf", "gif",
    "tiff", "gzip", "bmp", "program", "text" or "unknown".
    """
    if not data:
        return "empty"
    if data[128:132] == b"DICM":
        return "dicom"
    for offset, signature, kind in _SIGNATURES:
        if data[offset:offset + len(signature)] == signature:
            return kind
    if looks_like_dataset_without_preamble(data):
        return "dicom-no-preamble"
    head = data[:512]
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "text"
    return "unknown"


def describe(kind: str) -> str:
    """A phrase for a file kind that is not a scan, for error messages."""
    return _DESCRIPTIONS.get(kind, kind)


def not_a_scan(name: str, kind: str) -> InvalidUploadError:
    """The error for a file that holds no scan at all."""
    if kind == "empty":
        return InvalidUploadError(f"{name} is empty (0 bytes); expected {EXPECTED}. The upload or "
                                  "export was interrupted: export the image again and re-upload.")
    hint = {
        "pdf": "Export the image itself from the viewer (as DICOM or PNG), not a report.",
        "tiff": "Convert it to PNG, or export DICOM from the viewer.",
        "gzip": "Decompress it first, or pack the files as a .zip.",
    }.get(kind, "Export the scan from the viewer or PACS as DICOM (or PNG) and upload that file.")
    return InvalidUploadError(f"{name} holds {describe(kind)}; expected {EXPECTED}. {hint}")
