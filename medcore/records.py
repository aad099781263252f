"""Patient records in: CSV uploads and form values -> validated ``pandas.DataFrame``.

Every check of a schema (:mod:`medcore.schemas`) runs on every cell, and every problem found is
reported in ONE :class:`~medcore.errors.DataValidationError` whose message lists the columns and
rows at fault, what was received, what was expected and how to fix it. Rows are numbered as in a
spreadsheet: the header is row 1, the first patient row 2.

Usage::

    from medcore.records import load_records, template_csv, validate_values, out_of_range

    frame = load_records(uploaded_file, "rotterdam")     # bytes, path or binary file object
    frame.attrs["notes"]                                  # e.g. dropped extra columns, encoding
    template = template_csv("rotterdam")                  # bytes for st.download_button
    one = validate_values({"age": 56, ...}, "rotterdam")  # one-row DataFrame, same checks
    warnings = out_of_range(one, card["input_contract"]["training_ranges"])

Columns not in the schema are dropped (with a note in ``frame.attrs["notes"]``) so that an export
holding extra columns (follow-up time, status, ...) loads; a misspelt required column is then
reported as missing, with the closest name in the file. No TensorFlow and no Streamlit here.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from medcore.errors import DataValidationError
from medcore.schemas import SCHEMAS, Column, Schema

#: Cell texts read as "missing" (compared case-insensitively after stripping blanks).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: Delimiters tried when none is given.
DELIMITERS = (",", ";", "\t", "|")
#: Upper limits that keep a page responsive.
MAX_ROWS = 100_000
MAX_BYTES = 50 * 1024 * 1024
ROW_CONVENTION = ("rows are numbered as in a spreadsheet: the header is row 1, the first record "
                  "row 2")
_FIX = ("Correct these cells, or download the template CSV for this schema and copy your data "
        "into it.")
_TRUE = {"1", "1.0", "yes", "y", "true", "t"}
_FALSE = {"0", "0.0", "no", "n", "false", "f"}


# --- small helpers -----------------------------------------------------------------------------
def get_schema(schema: Schema | str) -> Schema:
    """The :class:`Schema` itself, or the one registered under that name.

    Raises
    ------
    DataValidationError
        If ``schema`` names no known schema.
    """
    if isinstance(schema, Schema):
        return schema
    try:
        return SCHEMAS[schema]
    except KeyError:
        raise DataValidationError(
            f"unknown records schema {schema!r}; expected one of {', '.join(SCHEMAS)}") from None


def rows_text(rows: Sequence[int], limit: int = 6, word: str = "row") -> str:
    """``"rows 3, 7, 12 and 40 more"``: row numbers, truncated after ``limit``."""
    rows = list(rows)
    head = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{word}{'s' if len(rows) > 1 else ''} {head}{more}"


def _names_text(names: Sequence[str], limit: int = 8) -> str:
    names = list(names)
    head = ", ".join(repr(n) if n else "(unnamed)" for n in names[:limit])
    return head + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _number_text(value: float) -> str:
    return f"{value:g}"


def _range_text(column: Column) -> str:
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return f"{_number_text(low)} to {_number_text(high)}"
    if low is not None:
        return f"at least {_number_text(low)}"
    return f"at most {_number_text(high)}"


def _normalise(name: str) -> str:
    return " ".join(str(name).strip().lower().replace("_", " ").split())


# --- reading bytes -> text -> rows -------------------------------------------------------------
def _read_bytes(source: bytes | str | os.PathLike | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:
                return handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise DataValidationError(
                f"cannot read the records file {os.fspath(source)!r} ({exc.strerror}); "
                "expected the path of a readable CSV file") from None
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(MAX_BYTES + 1)
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
            "the records file is empty (0 bytes); expected a CSV with a header row and one row per "
            "record. Download the template CSV for this schema and fill it in.")
    if len(data) > MAX_BYTES:
        raise DataValidationError(
            f"the records file is larger than {MAX_BYTES // (1024 * 1024)} MB; expected a CSV of "
            "patient records. Split it into smaller files.")
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
             b"%PDF": "a PDF document", b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)"}
    for magic, kind in kinds.items():
        if data.startswith(magic):
            raise DataValidationError(
                f"the records file is {kind}, not a CSV text file; expected comma-separated text. "
                "In Excel use 'Save as' -> 'CSV UTF-8', or download the template CSV.")
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


def _split(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of every non-blank line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataValidationError(
            f"the records file is not valid CSV near row {reader.line_num} ({exc}); expected "
            "one record per line with quotes closed. Check that row, or use the template CSV."
        ) from None
    return rows


def sniff_delimiter(text: str, schema: Schema) -> str:
    """The delimiter among :data:`DELIMITERS` whose header split names most schema columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    known = {_normalise(n) for n in schema.column_names}

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        return sum(_normalise(c) in known for c in cells), len(cells)

    best = max(DELIMITERS, key=score)
    if score(best)[1] == 1:
        try:
            return csv.Sniffer().sniff(text[:4096], delimiters="".join(DELIMITERS)).delimiter
        except csv.Error:
            return ","
    return best


# --- the checks --------------------------------------------------------------------------------
class _Problems:
    """Collects problems; ``raise_if_any`` raises them all in one message."""

    def __init__(self, schema: Schema, single: bool = False):
        self.schema, self.single, self.lines = schema, single, []

    def add(self, text: str) -> None:
        self.lines.append(text)

    def at(self, rows: Sequence[int], values: Sequence[Any] = ()) -> str:
        """``"in rows 3, 7 (received 'abc', 'x')"``; for one record (a form) only the value."""
        shown = ", ".join(repr(v) if isinstance(v, str) else _number_text(v)
                          for v in list(values)[:6])
        if self.single:
            return f"(received {shown})" if shown else "in this record"
        return "in " + rows_text(rows) + (f" (received {shown}{', ...' if len(values) > 6 else ''})"
                                  if shown else "")

    def raise_if_any(self, received: str) -> None:
        if not self.lines:
            return
        limit = 40
        lines = self.lines[:limit]
        if len(self.lines) > limit:
            lines.append(f"... and {len(self.lines) - limit} more problems")
        count = f"{len(self.lines)} problem{'s' if len(self.lines) > 1 else ''}"
        where = "" if self.single else f" ({ROW_CONVENTION})"
        raise DataValidationError(
            f"{received} does not match the '{self.schema.name}' schema "
            f"[{self.schema.title}]: {count}{where}:\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n\n" + ("Correct these values and submit again." if self.single else _FIX))


def _texts(cells: pd.Series) -> pd.Series:
    """Cells (str, numbers, None, NaN) as stripped text; None and NaN become ``""``."""
    texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
             for v in cells.tolist()]
    return pd.Series(texts, dtype=object)


def _check_column(column: Column, cells: pd.Series, rows: np.ndarray,
                  problems: _Problems, decimal_comma: bool) -> pd.Series:
    """Convert one column of raw cells (str or numbers) to its kind; report what does not fit."""
    label = f"'{column.label}'"
    text = _texts(cells)
    missing = np.fromiter((len(t) <= 4 and t.lower() in MISSING_TOKENS for t in text),
                          dtype=bool, count=len(text))
    if missing.any() and not column.allow_missing:
        problems.add(f"{label}: no value; expected one (this field may not be left empty)"
                     if problems.single else
                     f"{label}: empty cells {problems.at(rows[missing])}; expected a value in "
                     "every row (this column does not allow missing values)")
    if column.kind == "id":
        return text.where(~missing, np.nan).astype(object)
    if column.kind == "category":
        return _check_category(column, text, missing, rows, problems, decimal_comma)
    if column.kind == "binary":
        words = {**{w: 1.0 for w in _TRUE}, **{w: 0.0 for w in _FALSE}}
        values = text.str.lower().map(words).astype(float)
        bad = ~missing & np.isnan(values.to_numpy())
        if bad.any():
            problems.add(f"{label}: not binary {problems.at(rows[bad], text[bad].tolist())}; "
                         "expected 0 (no) or 1 (yes)")
        return values
    values = _to_numbers(text, decimal_comma)
    bad = ~missing & ~np.isfinite(values.to_numpy())
    if bad.any():
        problems.add(f"{label}: text instead of a number "
                     f"{problems.at(rows[bad], text[bad].tolist())}; expected a number"
                     + (" (decimal point or, in semicolon-separated files, decimal comma)"
                        if not decimal_comma else "")
                     + (f" such as {_number_text(column.example)}"
                        if isinstance(column.example, (int, float)) else ""))
    good = np.isfinite(values.to_numpy())
    _check_numbers(column, values, good, rows, problems)
    return values


def _to_numbers(text: pd.Series, decimal_comma: bool) -> pd.Series:
    """Stripped texts -> float64 (NaN where not a number); ``12,5`` -> 12.5 if decimal_comma."""
    values = pd.to_numeric(text, errors="coerce").astype(float)
    failed = np.flatnonzero(values.isna().to_numpy() & (text != "").to_numpy())
    for i in failed:                                  # few cells: decimal commas, blanks inside
        cell = text.iat[i].replace(" ", "")
        if decimal_comma and cell.count(",") == 1 and "." not in cell:
            cell = cell.replace(",", ".")
        try:
            values.iat[i] = float(cell)
        except ValueError:
            pass
    return values


def _check_numbers(column: Column, values: pd.Series, good: np.ndarray, rows: np.ndarray,
                   problems: _Problems) -> None:
    label = f"'{column.label}'"
    array = values.to_numpy()
    if column.kind == "int":
        fraction = good & (np.abs(array - np.round(array)) > 1e-9)
        if fraction.any():
            problems.add(f"{label}: not a whole number "
                         f"{problems.at(rows[fraction], array[fraction].tolist())}; "
                         "expected a whole number")
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    outside = good & ((array < low) | (array > high))
    if outside.any():
        problems.add(f"{label}: outside the plausible range {_range_text(column)} "
                     f"{problems.at(rows[outside], array[outside].tolist())}; such values are "
                     "impossible or mistyped (check the unit)")
    if column.levels:
        off = good & ~outside & ~np.isin(array, column.levels)
        if off.any():
            allowed = " / ".join(_number_text(v) for v in column.levels)
            problems.add(f"{label}: not one of {allowed} "
                         f"{problems.at(rows[off], array[off].tolist())}; expected one of "
                         f"{allowed}")


def _check_category(column: Column, text: pd.Series, missing: np.ndarray, rows: np.ndarray,
                    problems: _Problems, decimal_comma: bool) -> pd.Series:
    lookup = {c.lower(): c for c in column.categories}
    values = text.str.lower().map(lookup).astype(object)
    if column.bins:                                   # numbers (e.g. size in mm) -> categories
        numbers = _to_numbers(text, decimal_comma).to_numpy()
        low = column.minimum if column.minimum is not None else 0.0
        usable = values.isna().to_numpy() & np.isfinite(numbers) & (numbers >= low)
        index = np.searchsorted(column.bins, numbers[usable], side="left")
        values[usable] = np.asarray(column.categories, dtype=object)[index]
    bad = ~missing & values.isna().to_numpy()
    if bad.any():
        allowed = ", ".join(repr(c) for c in column.categories)
        extra = " or a size in mm" if column.bins else ""
        problems.add(f"'{column.label}': not an allowed category "
                     f"{problems.at(rows[bad], text[bad].tolist())}; expected one of "
                     f"{allowed}{extra}")
    return values


def _check_unique(schema: Schema, frame: pd.DataFrame, present: set[str], rows: np.ndarray,
                  problems: _Problems) -> None:
    keys = [k for k in schema.unique if k in present]
    if not keys or len(keys) < len(schema.unique) and schema.unique[0] not in present:
        return
    subset = frame[keys]
    complete = subset.notna().all(axis=1).to_numpy()
    duplicated = subset.duplicated(keep=False).to_numpy() & complete
    if duplicated.any():
        what = " and ".join(f"'{k}'" for k in keys)
        groups = subset[duplicated].astype(str).agg("\x1f".join, axis=1)
        pairs = [rows_text(rows[duplicated][(groups == g).to_numpy()].tolist(), limit=4)
                 for g in dict.fromkeys(groups)]
        kind = "visit" if len(keys) > 1 else "patient"
        problems.add(f"duplicate {kind} (same {what}): {'; '.join(pairs[:5])}"
                     + (f"; and {len(pairs) - 5} more groups" if len(pairs) > 5 else "")
                     + f"; expected each {what} once. Remove or renumber the repeated rows")


def _check_per_patient(schema: Schema, frame: pd.DataFrame, present: set[str],
                       rows: np.ndarray, problems: _Problems) -> None:
    if not schema.unique or schema.unique[0] not in present or len(frame) < 2:
        return
    key = schema.unique[0]
    for name in schema.per_patient:
        if name not in present:
            continue
        varies = frame.groupby(key, dropna=True)[name].transform("nunique").to_numpy() > 1
        if varies.any():
            problems.add(f"'{schema.column(name).label}' differs between rows of the same "
                         f"patient (same '{key}') {problems.at(rows[varies])}; expected one value "
                         "per patient. Correct it, or give different patients different ids")


def _validate(raw: pd.DataFrame, schema: Schema, rows: np.ndarray, problems: _Problems, *,
              received: str, decimal_comma: bool = False) -> pd.DataFrame:
    """Check every column of ``raw`` (already restricted to schema columns) and build the frame."""
    present = set(raw.columns)
    out = {}
    for column in schema.columns:
        if column.name in present:
            out[column.name] = _check_column(column, raw[column.name], rows, problems,
                                             decimal_comma)
        elif column.kind == "id":
            out[column.name] = pd.Series([str(r) for r in rows], dtype=object)
        else:
            out[column.name] = pd.Series(np.nan, index=range(len(raw)),
                                         dtype=object if column.kind == "category" else float)
    frame = pd.DataFrame({k: v.reset_index(drop=True) for k, v in out.items()},
                         columns=schema.column_names)
    _check_unique(schema, frame, present, rows, problems)
    _check_per_patient(schema, frame, present, rows, problems)
    problems.raise_if_any(received)
    for column in schema.columns:
        if column.kind in ("int", "binary") and frame[column.name].notna().all():
            frame[column.name] = frame[column.name].astype(np.int64)
    return frame


# --- public ------------------------------------------------------------------------------------
def load_records(source: bytes | str | os.PathLike | BinaryIO, schema: Schema | str, *,
                 delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV of patient records and validate it against ``schema``.

    Parameters
    ----------
    source : bytes, str or path-like, or binary file object
        The CSV (a Streamlit ``UploadedFile`` works as is). Encodings: UTF-8 with or without BOM,
        UTF-16/32 with BOM, else Windows-1252 / latin-1. Delimiter: comma, semicolon, tab or
        ``|``, detected from the header unless ``delimiter`` is given. With ``;`` or tab, decimal
        commas (``12,5``) are read as decimal points. Column names match case-insensitively,
        with ``_`` and blanks alike.
    schema : Schema or str
        One of :data:`medcore.schemas.SCHEMAS` or its name.
    delimiter : str, optional
        Force a delimiter instead of detecting it.

    Returns
    -------
    DataFrame, shape (n_records, len(schema.columns))
        The schema's columns in schema order: float columns float64; int and binary columns
        int64 (float64 with NaN where missing values are allowed and present); categories and
        identifiers as str (identifiers absent from the file are filled with the row number).
        ``frame.attrs``: ``"rows"`` (spreadsheet row numbers, list[int]), ``"notes"``
        (list[str]: dropped columns, encoding, delimiter), ``"schema"`` (name).

    Raises
    ------
    DataValidationError
        Listing every problem at once: empty or binary file, header only, wrong delimiter or
        encoding, missing required columns, text in numeric columns, empty cells where values are
        required, values outside the plausible range, unknown categories, non-binary values,
        duplicate patients or visits.
    """
    schema = get_schema(schema)
    text, encoding = decode_text(_read_bytes(source))
    if not text.strip():
        raise DataValidationError(
            "the records file holds only blank text; expected a header row and one row per "
            "record. Download the template CSV for this schema and fill it in.")
    delimiter = delimiter or sniff_delimiter(text, schema)
    lines = _split(text, delimiter)
    header, body = [c.strip() for c in lines[0][1]], lines[1:]
    notes = [f"read as {encoding} text separated by {_DELIMITER_NAMES.get(delimiter, delimiter)}"]
    names = {"comma": ",", "semicolon": ";", "tab": "\t"}
    if len(header) == 1 and len(schema.column_names) > 1:
        inside = [n for n, d in names.items() if d in header[0]]
        hint = (f"its header contains a {inside[0]}, so the file seems separated by {inside[0]}s"
                if inside else "no comma, semicolon or tab separates the columns")
        raise DataValidationError(
            f"the records file has a single column named {header[0][:80]!r}: {hint}, but it was "
            f"read as separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}. Expected "
            f"the '{schema.name}' columns separated by commas (or semicolons or tabs). Save it "
            "again as CSV, pick the right delimiter, or use the template CSV.")
    if len(body) > MAX_ROWS:
        raise DataValidationError(
            f"the records file has {len(body)} records; at most {MAX_ROWS} are accepted. "
            "Split it into smaller files.")

    problems = _Problems(schema)
    received = f"The records file ({len(body)} record{'s' if len(body) > 1 else ''})"
    wrong = [(r, len(c)) for r, c in body if len(c) > len(header)]
    if wrong:
        problems.add(f"more cells than header columns ({len(header)}) in "
                     f"{rows_text([r for r, _ in wrong])}; expected one cell per column"
                     + (" (a decimal comma in a comma-separated file splits a number in two: "
                        "use decimal points)" if delimiter == "," else ""))
    by_name = {_normalise(n): n for n in schema.column_names}
    mapping: dict[int, str] = {}
    repeated, extra = [], []
    for index, name in enumerate(header):
        target = by_name.get(_normalise(name))
        if target is None:
            extra.append(name)
        elif target in mapping.values():
            repeated.append(name)
        else:
            mapping[index] = target
    if repeated:
        problems.add(f"columns given twice: {_names_text(repeated)}; expected each column once")
    missing = [c.name for c in schema.columns if c.required and c.name not in mapping.values()]
    if missing:
        problems.add(_missing_text(missing, extra, schema, header))
    if not body:
        raise DataValidationError(
            "the records file has a header but no records; expected at least one row under the "
            f"header with the '{schema.name}' columns"
            + (f" (also {problems.lines[-1]})" if problems.lines else "")
            + ". Add the records, or download the template CSV and fill it in.")
    if extra:
        notes.append(f"ignored {len(extra)} column{'s' if len(extra) > 1 else ''} not in the "
                     f"'{schema.name}' schema: {_names_text(extra)}")
    rows = np.array([r for r, _ in body])
    data = {target: [cells[i] if i < len(cells) else "" for _, cells in body]
            for i, target in mapping.items()}
    raw = pd.DataFrame(data, dtype=object)
    frame = _validate(raw, schema, rows, problems, received=received,
                      decimal_comma=delimiter != ",")
    frame.attrs.update(rows=rows.tolist(), notes=notes, schema=schema.name)
    return frame


_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _missing_text(missing: list[str], extra: list[str], schema: Schema, header: list[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(_normalise(name), [_normalise(e) for e in extra], n=1,
                                          cutoff=0.75)
        if close:
            found = next(e for e in extra if _normalise(e) == close[0])
            hints.append(f"{name!r} (the file has {found!r})")
    text = (f"missing required column{'s' if len(missing) > 1 else ''} "
            f"({len(missing)} of {sum(c.required for c in schema.columns)}): "
            f"{_names_text(missing)}")
    if hints:
        text += f"; close names in the file: {'; '.join(hints[:6])} (rename them)"
    others = [s for s in SCHEMAS.values() if s.name != schema.name]
    known = {_normalise(h) for h in header}
    fits = [s.name for s in others
            if sum(_normalise(c.name) in known for c in s.columns if c.required)
            > sum(_normalise(c.name) in known for c in schema.columns if c.required)]
    if fits:
        text += f"; the file looks like the '{fits[0]}' schema: pick that one"
    return text + ". Expected a header with the template's column names"


def validate_values(values: Mapping[str, Any], schema: Schema | str) -> pd.DataFrame:
    """Validate one record (a form's values) with the same checks as :func:`load_records`.

    Parameters
    ----------
    values : mapping of column name -> value
        Numbers, strings or ``None`` (missing). Identifier columns may be left out.
    schema : Schema or str

    Returns
    -------
    DataFrame, shape (1, len(schema.columns)), typed as :func:`load_records` types its result.

    Raises
    ------
    DataValidationError
        Listing every problem (unknown or missing fields, impossible values, ...).

    Examples
    --------
    >>> from medcore.schemas import ROTTERDAM
    >>> values = {c.name: c.example for c in ROTTERDAM.columns if c.kind != "id"}
    >>> validate_values(values, "rotterdam")["size"].iloc[0]
    '20-50'
    """
    schema = get_schema(schema)
    problems = _Problems(schema, single=True)
    unknown = [k for k in values if k not in schema.column_names]
    if unknown:
        problems.add(f"unknown fields {_names_text(unknown)}; expected only "
                     f"'{schema.name}' columns")
    missing = [c.name for c in schema.columns
               if c.required and c.kind != "id" and c.name not in values]
    if missing:
        problems.add(f"missing fields: {_names_text(missing)}; expected a value for each")
    raw = pd.DataFrame({k: pd.Series([int(v) if isinstance(v, (bool, np.bool_)) else v],
                                     dtype=object)
                        for k, v in values.items() if k in schema.column_names})
    if raw.empty:
        raw = pd.DataFrame(index=range(1))
    return _validate(raw, schema, np.array([1]), problems, received="The record")


def as_range(limits: Sequence[float] | Mapping[str, float]) -> tuple[float, float]:
    """``(low, high)`` from a card's training range: a pair or ``{"min": .., "max": ..}``."""
    if isinstance(limits, Mapping):
        return float(limits["min"]), float(limits["max"])
    low, high = limits
    return float(low), float(high)


def out_of_range(frame: pd.DataFrame,
                 ranges: Mapping[str, Sequence[float] | Mapping[str, float]]) -> list[str]:
    """Readable warnings for values outside a model's TRAINING range (flagged, not refused).

    Parameters
    ----------
    frame : DataFrame
        Validated records (from :func:`load_records` or :func:`validate_values`).
    ranges : mapping of column name -> (low, high) or {"min": low, "max": high, ...}
        From the model card (e.g. ``card["input_contract"]["training_ranges"]``); columns absent
        from ``frame`` or not numeric there (categories) are skipped, missing values ignored.

    Returns
    -------
    list of str, one per column with values outside its range (empty when all are inside), in
    the frame's column order.
    """
    rows = frame.attrs.get("rows")
    if rows is None or len(rows) != len(frame):
        rows = list(range(1, len(frame) + 1))
    word = "row" if "rows" in frame.attrs else "record"
    warnings = []
    for name in [c for c in frame.columns if c in ranges]:     # in the frame's column order
        low, high = as_range(ranges[name])
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        # A relative tolerance, as cards may hold float32-rounded limits (6.802 -> 6.80200005).
        outside = np.isfinite(values) & ((values < low - 1e-6 * abs(low))
                                         | (values > high + 1e-6 * abs(high)))
        if not outside.any():
            continue
        span = f"the training range {_number_text(low)} to {_number_text(high)}"
        if len(frame) == 1:
            side = "below" if values[0] < low else "above"
            warnings.append(f"{name} = {_number_text(values[0])} is {side} {span}: the model saw "
                            "no such patients, so treat its output with extra caution")
        else:
            shown = [_number_text(v) for v in values[outside][:6]]
            warnings.append(f"{name}: {int(outside.sum())} value(s) outside {span} in "
                            f"{rows_text(np.asarray(rows)[outside].tolist(), word=word)} "
                            f"({', '.join(shown)}{', ...' if outside.sum() > 6 else ''})")
    return warnings


def summarise(frame: pd.DataFrame, schema: Schema | str) -> pd.DataFrame:
    """Per-column summary of validated records, for display under the table.

    Returns
    -------
    DataFrame, one row per schema column: ``column`` (name with unit), ``kind``, ``count``
    (filled cells), ``missing``, ``values`` (counts per category / 0-1 value, or the number of
    distinct identifiers) and ``min``, ``median``, ``max`` (numeric columns).
    """
    schema = get_schema(schema)
    rows = []
    for column in schema.columns:
        values = frame[column.name]
        row = {"column": column.label, "kind": column.kind, "count": int(values.notna().sum()),
               "missing": int(values.isna().sum()), "values": "", "min": np.nan,
               "median": np.nan, "max": np.nan}
        if column.kind == "id":
            row["values"] = f"{values.nunique()} distinct"
        elif column.kind in ("category", "binary") or column.levels:
            counts = values.value_counts().sort_index()
            row["values"] = " · ".join(f"{_level_text(k)}: {n}" for k, n in counts.items())
        if column.kind in ("float", "int", "binary") and row["count"]:
            numbers = values.astype(float)
            row.update(min=numbers.min(), median=numbers.median(), max=numbers.max())
        rows.append(row)
    return pd.DataFrame(rows)


def _level_text(value: Any) -> str:
    return _number_text(value) if isinstance(value, (int, float, np.number)) else str(value)


def template_csv(schema: Schema | str) -> bytes:
    """A template CSV (UTF-8, commas): the header and one example row of typical values.

    The example row holds each column's ``example`` (training-data medians or modes); identifier
    columns get ``"example-1"``. The template loads with :func:`load_records`.
    """
    schema = get_schema(schema)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(schema.column_names)
    writer.writerow(["example-1" if c.kind == "id" else "" if c.example is None else c.example
                     for c in schema.columns])
    return buffer.getvalue().encode("utf-8")


def example_values(schema: Schema | str) -> dict[str, Any]:
    """The schema's example (typical) value of every feature column: a form's defaults."""
    return {c.name: c.example for c in get_schema(schema).columns if c.kind != "id"}
