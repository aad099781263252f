"""Batch scoring, first step: an input (a file, a folder, a zip) cut into :class:`Chunk`\\ s.

A chunk is a small, picklable description of a slice of the input (a byte range of a CSV, a row
group of a Parquet file, a whole workbook, a list of image files): the local engine reads and
scores the chunks one after the other, the Ray engine ships them to its workers, which read
their own slice. So both engines read the same records with the same row numbers, and memory
stays that of one chunk whatever the input's size.

Cutting a CSV reads it once, in blocks, for its line ends (numpy, outside quoted cells); a
record is never split. Row numbers are the Upload page's: the header is row 1, the first record
row 2 (a Parquet record is numbered as it would be in the CSV of the same table).
"""
from __future__ import annotations

import csv
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcore.errors import DataValidationError, InvalidUploadError, MedcoreError
from medcore.imaging.archive import is_system_file, member_label

#: Records per chunk of a CSV or Parquet file: big enough for fast batched model calls, small
#: enough that one chunk's text cells (~100 bytes a cell in Python) stay far below 1 GB.
CHUNK_ROWS = 50_000
#: Image files per chunk.
CHUNK_FILES = 256
#: Bytes read at a time while finding a CSV's line ends.
_BLOCK = 8 << 20
#: What a records input may be; a folder of records is read file by file in name order.
RECORD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet", ".pq")
_BOMS_OF_WIDE_TEXT = (b"\xff\xfe", b"\xfe\xff")           # UTF-16/32: read whole (see below)


@dataclass(frozen=True)
class Chunk:
    """A slice of the input, scored as one batch.

    ``kind`` is ``"csv"`` (bytes ``offset`` to ``offset + length`` of ``path``, whose first
    physical line is ``first_line``, cells split by ``delimiter`` under ``header``),
    ``"parquet"`` (row group ``row_group``, its first record the ``first_row``-th of the file,
    0-based), ``"whole"`` (the whole records file, read as the Upload page reads it: an .xlsx, a
    UTF-16 CSV, a visits file) or ``"images"`` (``members``: files under the folder ``path``, or
    members of the zip ``path``). ``n`` is the number of records or files, for the progress bar;
    ``label`` the file's name in the output when the input is a folder (else "").
    """

    index: int
    kind: str
    path: str
    n: int
    label: str = ""
    offset: int = 0
    length: int = 0
    first_line: int = 2
    header: tuple[str, ...] = ()
    delimiter: str = ","
    row_group: int = 0
    first_row: int = 0
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The chunks of an input, their total of records (or files), and the files of a folder that
    could not be planned at all (``(file, message)``: a CSV without the schema's columns, ...)."""

    chunks: tuple[Chunk, ...]
    total: int
    unusable: tuple[tuple[str, str], ...] = field(default=())


def plan_records(source: str | os.PathLike, schema, *, whole: bool = False,
                 chunk_rows: int = CHUNK_ROWS) -> Plan:
    """Chunks of a records file or of a folder of records files (:data:`RECORD_SUFFIXES`).

    ``whole=True`` reads every file as one chunk (a visits file: a patient's visits together).

    Raises
    ------
    DataValidationError
        No such file or folder, a folder without records files, or a single file that cannot be
        read at all (its message: a missing column, an empty file, ...).
    """
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.suffix.lower() in RECORD_SUFFIXES and not is_system_file(p.name))
        if not files:
            raise DataValidationError(
                f"The folder {path} holds no records file; expected CSV, .xlsx or Parquet files "
                f"({', '.join(RECORD_SUFFIXES)}) with the '{schema.name}' columns.")
        chunks, unusable = [], []
        for file in files:
            label = file.relative_to(path).as_posix()
            try:
                chunks += _plan_file(file, schema, whole, chunk_rows, label, len(chunks))
            except MedcoreError as exc:
                unusable.append((label, str(exc)))
        return Plan(tuple(chunks), sum(c.n for c in chunks), tuple(unusable))
    if not path.is_file():
        raise DataValidationError(f"No file or folder {source}; expected a CSV, .xlsx or "
                                  "Parquet file of records, or a folder of them.")
    chunks = _plan_file(path, schema, whole, chunk_rows, "", 0)
    return Plan(tuple(chunks), sum(c.n for c in chunks))


def _plan_file(path: Path, schema, whole: bool, chunk_rows: int, label: str,
               start: int) -> list[Chunk]:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _plan_parquet(path, schema, label, start)
    head = _head(path, 4)
    if whole or suffix == ".xlsx" or head.startswith(b"PK") or head.startswith(
            _BOMS_OF_WIDE_TEXT):
        from medcore.records import read_records

        read_records(path, schema)          # refuses an unusable file now, with its message
        return [Chunk(start, "whole", str(path), _count_lines(path), label)]
    return _plan_csv(path, schema, chunk_rows, label, start)


def _head(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _plan_csv(path: Path, schema, chunk_rows: int, label: str, start: int) -> list[Chunk]:
    """Byte ranges of ``chunk_rows`` records each, cut at line ends outside quoted cells."""
    from medcore.records import decode_text, sniff_delimiter

    text, _ = decode_text(_head(path, 1 << 16))
    lines = text.splitlines(keepends=True)
    skip = 0
    delimiter = None
    if lines and re.fullmatch(r"sep=(.)", lines[0].rstrip("\r\n"), flags=re.IGNORECASE):
        delimiter, skip = lines[0][4], 1                   # Excel's "sep=;" line
    if len(lines) <= skip:
        raise DataValidationError(f"{path.name} holds no header row; expected a header row and "
                                  "one row per record. Use the template CSV.")
    delimiter = delimiter or sniff_delimiter("".join(lines[skip:skip + 2]), schema)
    header = next(csv.reader([lines[skip]], delimiter=delimiter))
    header = [c.strip() for c in header]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    ends, line_numbers = _record_lines(path)    # just after each record's line end, its line
    header_end_line = skip + 1
    if len(ends) <= header_end_line:
        raise DataValidationError(f"{path.name} has a header but no records; expected at least "
                                  f"one row under the header with the '{schema.name}' columns.")
    check_header(header, schema)               # a missing column stops this file, now
    starts = np.concatenate([[ends[header_end_line - 1]], ends[header_end_line:]])
    records = starts[1:]                        # ends of the records
    chunks = []
    for k in range(0, len(records), chunk_rows):
        begin = int(starts[k])
        end = int(records[min(k + chunk_rows, len(records)) - 1])
        chunks.append(Chunk(start + len(chunks), "csv", str(path),
                            min(chunk_rows, len(records) - k), label, offset=begin,
                            length=end - begin,
                            first_line=int(line_numbers[header_end_line - 1 + k]) + 1,
                            header=tuple(header), delimiter=delimiter))
    return chunks


def _record_ends(path: Path) -> np.ndarray:
    """Byte offsets just after every line end outside a quoted cell (and the end of a last line
    without one): int64, one per record line (a header or a record), in file order."""
    return _record_lines(path)[0]


def _record_lines(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_record_ends`, and the number of physical lines up to each end (a quoted cell may
    hold line breaks; row numbers count physical lines, as the Upload page's reader does)."""
    ends, lines, position, quoted, count = [], [], 0, 0, 0
    size = path.stat().st_size
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            data = np.frombuffer(block, dtype=np.uint8)
            quotes = np.cumsum(data == 34, dtype=np.uint8)       # parity is all that counts
            outside = ((quotes + quoted) & 1) == 0
            breaks = np.flatnonzero(data == 10)
            kept = outside[breaks]
            ends.append(breaks[kept].astype(np.int64) + position + 1)
            lines.append(np.flatnonzero(kept).astype(np.int64) + count + 1)
            quoted = (quoted + int(quotes[-1])) & 1
            count += len(breaks)
            position += len(block)
    found = np.concatenate(ends) if ends else np.empty(0, np.int64)
    numbers = np.concatenate(lines) if lines else np.empty(0, np.int64)
    if size and (not len(found) or found[-1] < size):
        found = np.append(found, size)                  # the last line has no line end
        numbers = np.append(numbers, count + 1)
    return found, numbers


def _count_lines(path: Path) -> int:
    """Records of a file read whole (lines minus the header; for the progress bar only)."""
    if path.suffix.lower() == ".xlsx":
        return 0
    return max(len(_record_ends(path)) - 1, 0)


def _plan_parquet(path: Path, schema, label: str, start: int) -> list[Chunk]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
        names = pq.read_schema(path).names
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise DataValidationError(f"{path.name} could not be read as Parquet "
                                  f"({type(exc).__name__}: {exc}); expected a Parquet file of "
                                  f"'{schema.name}' records.") from None
    check_header(names, schema)
    chunks, first = [], 0
    for group in range(meta.num_row_groups):
        rows = meta.row_group(group).num_rows
        if rows:
            chunks.append(Chunk(start + len(chunks), "parquet", str(path), rows, label,
                                header=tuple(names), row_group=group, first_row=first))
        first += rows
    if not chunks:
        raise DataValidationError(f"{path.name} holds no records; expected at least one row of "
                                  f"'{schema.name}' records.")
    return chunks


def check_header(names: list[str] | tuple[str, ...], schema) -> None:
    """Refuse a header without the schema's columns (or with one twice), with the Upload page's
    message: its checks run on one empty record, whose own problems are row problems, not
    raised."""
    from medcore.records import check_rows

    check_rows(list(names), [(2, [""] * len(names))], schema, delimiter=None)


def plan_images(source: str | os.PathLike, *, chunk_files: int = CHUNK_FILES) -> Plan:
    """Chunks of the image files under a folder (recursively, in path order) or in a zip.

    Every file but system files (``DICOMDIR``, ``__MACOSX/``, dot-files) is listed: a file that
    is not an image becomes an error row when it is read, not a stop.

    Raises
    ------
    InvalidUploadError
        No such folder or zip, a damaged zip, or no file at all.
    """
    path = Path(source)
    if path.is_dir():
        members = sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                         if p.is_file() and not is_system_file(p.relative_to(path).as_posix()))
    elif path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m.filename for m in archive.infolist()
                           if not m.is_dir() and not is_system_file(m.filename)]
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidUploadError(f"{path.name} is a damaged zip archive ({exc}); expected a "
                                     "folder or a .zip of DICOM, PNG or JPEG files.") from None
    else:
        raise InvalidUploadError(
            f"{source} is {'a file that is not a zip' if path.is_file() else 'not found'}; "
            "expected a folder (read recursively) or a .zip of DICOM, PNG or JPEG files.")
    if not members:
        raise InvalidUploadError(f"{path.name} holds no files; expected DICOM, PNG or JPEG "
                                 "images.")
    chunks = tuple(Chunk(k, "images", str(path), len(part), members=tuple(part))
                   for k, part in enumerate(members[i:i + chunk_files]
                                            for i in range(0, len(members), chunk_files)))
    return Plan(chunks, len(members))


def image_label(chunk: Chunk, member: str) -> str:
    """How the output names an image: its path under the folder, or ``zip/member``."""
    if chunk.path.lower().endswith(".zip") or not Path(chunk.path).is_dir():
        return member_label(Path(chunk.path).name, member)
    return member

