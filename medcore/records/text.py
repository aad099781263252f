"""Records CSV, first step: bytes -> text -> rows of cells (encoding and delimiter detection)."""
from __future__ import annotations

import codecs
import csv
import io
import os
from typing import BinaryIO

from medcore.errors import DataValidationError
from medcore.schemas import Schema
from medcore.uploads import megabytes, source_size

#: Delimiters tried when none is given.
DELIMITERS = (",", ";", "\t", "|")
#: How messages name the delimiters.
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
#: Upper limit on the file size, so that a page stays responsive.
MAX_BYTES = 50 * 1024 * 1024


def normalise(name: str) -> str:
    """A column name for loose matching: lower case, ``_`` as blank, blanks collapsed."""
    return " ".join(str(name).strip().lower().replace("_", " ").split())


def too_large(size: int, limit: int = MAX_BYTES) -> DataValidationError:
    """The error for a records file over the size limit (raised before it is read)."""
    return DataValidationError(
        f"the records file is {megabytes(size)}; expected at most {megabytes(limit)} of patient "
        "records per file. Split it into smaller files (or remove columns the schema does not "
        "use).")


def read_bytes(source: bytes | str | os.PathLike | BinaryIO,
               max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a path, of bytes, or of a (rewound) binary file object such as an upload.

    A source larger than ``max_bytes`` is refused from its stated size, before it is read.

    Raises
    ------
    DataValidationError
        A source over the limit, an unreadable path or an unsupported source type.
    """
    size = source_size(source)
    if size is not None and size > max_bytes:
        raise too_large(size, max_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:
                return handle.read(max_bytes + 1)
        except OSError as exc:
            raise DataValidationError(
                f"cannot read the records file {os.fspath(source)!r} ({exc.strerror}); "
                "expected the path of a readable CSV file") from None
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            return data.encode("utf-8")
        return bytes(data)
    raise DataValidationError(
        f"received a {type(source).__name__}; expected CSV bytes, a file path or a binary file "
        "object (e.g. a Streamlit upload)")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16/32 with BOM, else Windows-1252/latin-1.

    Returns
    -------
    (text, encoding)

    Raises
    ------
    DataValidationError
        For an empty file, a binary file (Excel workbook, PDF, ...) or undecodable UTF-16.
    """
    if not data:
        raise DataValidationError(
            "the records file is empty (0 bytes); expected a CSV or .xlsx file with a header row "
            "and one row per record. Download the template CSV for this schema and fill it in.")
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise DataValidationError(
                    f"the records file starts with a {encoding.upper()} byte-order mark but is "
                    f"not valid {encoding.upper()} text; save it again as 'CSV UTF-8'.") from None
    kinds = {b"PK\x03\x04": "a ZIP archive or an Excel workbook (.xlsx)",
             b"%PDF": "a PDF document", b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
             b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
             b"\x1f\x8b": "a gzip archive"}
    for magic, kind in kinds.items():
        if data.startswith(magic):
            raise DataValidationError(
                f"the records file is {kind}, not a CSV text file; expected comma-separated text "
                "or an .xlsx workbook. In Excel use 'Save as' -> 'CSV UTF-8', or download the "
                "template CSV.")
    if b"\x00" in data[:4096]:
        sample = data[:4096]
        if len(sample) % 2 == 0 and sample[1::2].count(0) > 0.9 * (len(sample) // 2):
            return data.decode("utf-16-le", errors="strict"), "utf-16-le"
        if len(sample) % 2 == 0 and sample[0::2].count(0) > 0.9 * (len(sample) // 2):
            return data.decode("utf-16-be", errors="strict"), "utf-16-be"
        raise DataValidationError(
            "the records file holds binary data, not CSV text; expected a comma-, semicolon- or "
            "tab-separated text file. Export the table as 'CSV UTF-8' or use the template CSV.")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def split_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of every non-blank line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if cells and "".join(cells).strip():
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataValidationError(
            f"the records file is not valid CSV near row {reader.line_num} ({exc}); expected "
            "one record per line with quotes closed. Check that row, or use the template CSV."
        ) from None
    return rows


def sniff_delimiter(text: str, schema: Schema) -> str:
    """The delimiter among :data:`DELIMITERS` whose header split names most schema columns.

    Ties go to the delimiter giving more cells; ``","`` when none splits the header.
    """
    first = next((line for line in text.splitlines() if line.strip()), "")
    known = {normalise(n) for n in schema.column_names}

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        return sum(normalise(c) in known for c in cells), len(cells)

    best = max(DELIMITERS, key=score)
    return best if score(best)[1] > 1 else ","
