"""Sizes of uploads, measured without reading them (shared by imaging and records).

An upload over its limit is refused from the size it states (a Streamlit ``UploadedFile``'s
``size``, a path's file size, a seekable file's end) before its bytes are copied or parsed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def source_size(source: Any) -> int | None:
    """The size in bytes of a path, bytes or file object, found without reading it; else None.

    A Streamlit ``UploadedFile`` says its ``size``; other file objects are measured by seeking
    to their end (and back).
    """
    if isinstance(source, (bytes, bytearray)):
        return len(source)
    if isinstance(source, memoryview):
        return source.nbytes
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).stat().st_size
        except OSError:
            return None
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    if hasattr(source, "getbuffer"):
        try:
            return source.getbuffer().nbytes
        except Exception:  # noqa: BLE001 - a closed or exported buffer: measure otherwise
            pass
    if hasattr(source, "seek") and hasattr(source, "tell"):
        try:
            position = source.tell()
            end = source.seek(0, os.SEEK_END)
            source.seek(position)
            return int(end)
        except Exception:  # noqa: BLE001 - unseekable streams: size unknown
            return None
    return None


def megabytes(size: int) -> str:
    """A size as Streamlit's upload widget states its limit: "150 MB" (MB of 1024 x 1024 bytes)."""
    return f"{size / (1024 * 1024):,.0f} MB"
