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
reported as missing, with the closest name in the file. Headers are the schema's column names
(``pgr``), optionally with the unit (``pgr (fmol/l)``); the clinician's title
(``Progesterone receptor`` or ``Progesterone receptor (fmol/l)``) is accepted too. Messages
about a file name a column by its header, with the title in brackets (``'pgr' (Progesterone
receptor, fmol/l)``); messages about a form's record by its form label. No TensorFlow and no
Streamlit here.

Inside: :mod:`medcore.records.text` (bytes -> text -> rows: encoding, delimiter),
:mod:`medcore.records.checks` (cells -> typed columns, problems collected for one message) and
here the public functions.
"""
from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from medcore.errors import DataValidationError
from medcore.records.checks import (
    MISSING_TOKENS, ROW_CONVENTION, Problems, column_text, names_text, number_text, rows_text,
    validate_columns,
)
from medcore.records.text import (
    DELIMITER_NAMES, DELIMITERS, MAX_BYTES, decode_text, normalise, read_bytes, sniff_delimiter,
    split_rows,
)
from medcore.schemas import SCHEMAS, Column, Schema

__all__ = ["load_records", "validate_values", "out_of_range", "as_range", "template_csv",
           "example_values", "summarise", "get_schema", "rows_text", "decode_text",
           "sniff_delimiter", "MISSING_TOKENS", "DELIMITERS", "MAX_ROWS", "MAX_BYTES",
           "ROW_CONVENTION"]

#: Upper limit on records per file, so that a page stays responsive.
MAX_ROWS = 100_000


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
    text, encoding = decode_text(read_bytes(source))
    if not text.strip():
        raise DataValidationError(
            "the records file holds only blank text; expected a header row and one row per "
            "record. Download the template CSV for this schema and fill it in.")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise DataValidationError(
            f"received the delimiter {delimiter!r}; expected one character such as ',' or ';'")
    first, _, rest = text.lstrip("\r\n").partition("\n")
    if re.fullmatch(r"sep=(.)", first.rstrip("\r"), flags=re.IGNORECASE):
        # Excel's "sep=;" line names the delimiter; Excel hides it, so the header stays row 1.
        delimiter, text = delimiter or first[4], rest
    delimiter = delimiter or sniff_delimiter(text, schema)
    lines = split_rows(text, delimiter)
    if not lines:
        raise DataValidationError(
            "the records file holds no header row; expected a header row and one row per "
            "record. Download the template CSV for this schema and fill it in.")
    header, body = [c.strip() for c in lines[0][1]], lines[1:]
    notes = [f"read as {encoding} text separated by {DELIMITER_NAMES.get(delimiter, delimiter)}"]
    names = {"comma": ",", "semicolon": ";", "tab": "\t"}
    if len(header) == 1 and len(schema.column_names) > 1:
        inside = [n for n, d in names.items() if d in header[0]]
        hint = (f"its header contains a {inside[0]}, so the file seems separated by {inside[0]}s"
                if inside else "no comma, semicolon or tab separates the columns")
        raise DataValidationError(
            f"the records file has a single column named {header[0][:80]!r}: {hint}, but it was "
            f"read as separated by {DELIMITER_NAMES.get(delimiter, repr(delimiter))}. Expected "
            f"the '{schema.name}' columns separated by commas (or semicolons or tabs). Save it "
            "again as CSV, pick the right delimiter, or use the template CSV.")
    if len(body) > MAX_ROWS:
        raise DataValidationError(
            f"the records file has {len(body)} records; at most {MAX_ROWS} are accepted. "
            "Split it into smaller files.")

    problems = Problems(schema)
    received = f"The records file ({len(body)} record{'s' if len(body) > 1 else ''})"
    wrong = [(r, len(c)) for r, c in body if len(c) > len(header)]
    if wrong:
        problems.add(f"more cells than header columns ({len(header)}) in "
                     f"{rows_text([r for r, _ in wrong])}; expected one cell per column"
                     + (" (a decimal comma in a comma-separated file splits a number in two: "
                        "use decimal points)" if delimiter == "," else ""))
    mapping, extra = _map_header(header, schema, problems)
    problems.headers = {target: header[i] for i, target in mapping.items()}
    if not body:
        raise DataValidationError(
            "the records file has a header but no records; expected at least one row under the "
            f"header with the '{schema.name}' columns"
            + (f" (also {problems.lines[-1]})" if problems.lines else "")
            + ". Add the records, or download the template CSV and fill it in.")
    if extra:
        notes.append(f"ignored {len(extra)} column{'s' if len(extra) > 1 else ''} not in the "
                     f"'{schema.name}' schema: {names_text(extra)}")
    rows = np.array([r for r, _ in body])
    data = {target: [cells[i] if i < len(cells) else "" for _, cells in body]
            for i, target in mapping.items()}
    raw = pd.DataFrame(data, dtype=object)
    frame = validate_columns(raw, schema, rows, problems, received=received,
                             decimal_comma=delimiter != ",")
    frame.attrs.update(rows=rows.tolist(), notes=notes, schema=schema.name,
                       headers=dict(problems.headers))
    return frame


def _map_header(header: list[str], schema: Schema,
                problems: Problems) -> tuple[dict[int, str], list[str]]:
    """Header cell index -> schema column (names match loosely, with or without the unit, and
    titles too), and the header names not in the schema; reports repeated and missing columns."""
    by_name = {normalise(alias): c.name for c in schema.columns   # titles first: names win
               for alias in (c.title, c.display_label) if alias}
    by_name.update({normalise(c.label): c.name for c in schema.columns})   # "age (years)" too
    by_name.update({normalise(c.name): c.name for c in schema.columns})
    mapping: dict[int, str] = {}
    repeated, extra = [], []
    for index, name in enumerate(header):
        target = by_name.get(normalise(name))
        if target is None:
            extra.append(name)
        elif target in mapping.values():
            repeated.append(name)
        else:
            mapping[index] = target
    if repeated:
        problems.add(f"columns given twice: {names_text(repeated)}; expected each column once")
    missing = [c.name for c in schema.columns if c.required and c.name not in mapping.values()]
    if missing:
        problems.add(_missing_text(missing, extra, schema, header))
    return mapping, extra


def _missing_text(missing: list[str], extra: list[str], schema: Schema, header: list[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(normalise(name), [normalise(e) for e in extra], n=1,
                                          cutoff=0.75)
        if close:
            found = next(e for e in extra if normalise(e) == close[0])
            hints.append(f"{name!r} (the file has {found!r})")
    shown = [column_text(schema.column(name)) for name in missing]
    text = (f"missing required column{'s' if len(missing) > 1 else ''} "
            f"({len(missing)} of {sum(c.required for c in schema.columns)}): "
            f"{', '.join(shown[:8])}" + (f" and {len(shown) - 8} more" if len(shown) > 8 else ""))
    if hints:
        text += f"; close names in the file: {'; '.join(hints[:6])} (rename them)"
    others = [s for s in SCHEMAS.values() if s.name != schema.name]
    known = {normalise(h) for h in header}
    fits = [s.name for s in others
            if sum(normalise(c.name) in known for c in s.columns if c.required)
            > sum(normalise(c.name) in known for c in schema.columns if c.required)]
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
    problems = Problems(schema, single=True)
    unknown = [k for k in values if k not in schema.column_names]
    if unknown:
        problems.add(f"unknown fields {names_text(unknown)}; expected only "
                     f"'{schema.name}' columns")
    missing = [c.name for c in schema.columns
               if c.required and c.kind != "id" and c.name not in values]
    if missing:
        shown = [f"{n!r} ({schema.column(n).display_label})" for n in missing]
        problems.add(f"missing fields: {', '.join(shown)}; expected a value for each")
    raw = pd.DataFrame({k: pd.Series([int(v) if isinstance(v, (bool, np.bool_)) else v],
                                     dtype=object)
                        for k, v in values.items() if k in schema.column_names})
    if raw.empty:
        raw = pd.DataFrame(index=range(1))
    frame = validate_columns(raw, schema, np.array([1]), problems, received="The record")
    frame.attrs["schema"] = schema.name
    return frame


def as_range(limits: Sequence[float] | Mapping[str, float]) -> tuple[float, float]:
    """``(low, high)`` from a card's training range: a pair or ``{"min": .., "max": ..}``."""
    if isinstance(limits, Mapping):
        return float(limits["min"]), float(limits["max"])
    low, high = limits
    return float(low), float(high)


def out_of_range(frame: pd.DataFrame,
                 ranges: Mapping[str, Sequence[float] | Mapping[str, float]], *,
                 schema: Schema | str | None = None) -> list[str]:
    """Readable warnings for values outside a model's TRAINING range (flagged, not refused).

    Parameters
    ----------
    frame : DataFrame
        Validated records (from :func:`load_records` or :func:`validate_values`).
    ranges : mapping of column name -> (low, high) or {"min": low, "max": high, ...}
        From the model card (e.g. ``card["input_contract"]["training_ranges"]``); columns absent
        from ``frame`` or not numeric there (categories) are skipped, missing values ignored.
    schema : Schema or str, optional
        Names the columns in the warnings; by default ``frame.attrs["schema"]``, else the schema
        holding all of the frame's columns. One record reads ``"Age at surgery (years) = 90 is
        above ..."``; several ``"'age' (Age at surgery, years): 3 value(s) outside ..."`` (the
        header, as in the error messages of :func:`load_records`).

    Returns
    -------
    list of str, one per column with values outside its range (empty when all are inside), in
    the frame's column order.
    """
    rows = frame.attrs.get("rows")
    if rows is None or len(rows) != len(frame):
        rows = list(range(1, len(frame) + 1))
    word = "row" if "rows" in frame.attrs else "record"
    known = _schema_of(frame, schema)
    headers = frame.attrs.get("headers") or {}
    warnings = []
    for name in [c for c in frame.columns if c in ranges]:     # in the frame's column order
        low, high = as_range(ranges[name])
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        # A relative tolerance, as cards may hold float32-rounded limits (6.802 -> 6.80200005).
        outside = np.isfinite(values) & ((values < low - 1e-6 * abs(low))
                                         | (values > high + 1e-6 * abs(high)))
        if not outside.any():
            continue
        span = f"the training range {number_text(low)} to {number_text(high)}"
        column = _find_column(known, name)
        if len(frame) == 1:
            side = "below" if values[0] < low else "above"
            label = name if column is None else column.display_label
            warnings.append(f"{label} = {number_text(values[0])} is {side} {span}: the model "
                            "saw no such patients, so treat its output with extra caution")
        else:
            shown = [number_text(v) for v in values[outside][:6]]
            label = name if column is None else column_text(column, headers.get(name))
            warnings.append(f"{label}: {int(outside.sum())} value(s) outside {span} in "
                            f"{rows_text(np.asarray(rows)[outside].tolist(), word=word)} "
                            f"({', '.join(shown)}{', ...' if outside.sum() > 6 else ''})")
    return warnings


def _schema_of(frame: pd.DataFrame, schema: Schema | str | None) -> Schema | None:
    """The schema of validated records: given, in ``frame.attrs``, or holding all its columns."""
    if schema is not None:
        return get_schema(schema)
    if frame.attrs.get("schema") in SCHEMAS:
        return SCHEMAS[frame.attrs["schema"]]
    names = set(frame.columns)
    return next((s for s in SCHEMAS.values() if names <= set(s.column_names)), None)


def _find_column(schema: Schema | None, name: str) -> Column | None:
    try:
        return None if schema is None else schema.column(name)
    except KeyError:
        return None


def summarise(frame: pd.DataFrame, schema: Schema | str) -> pd.DataFrame:
    """Per-column summary of validated records, for display under the table.

    Returns
    -------
    DataFrame, one row per schema column: ``column`` (the clinician's label with unit, see
    :attr:`~medcore.schemas.Column.display_label`), ``header`` (the CSV header), ``kind``, ``count``
    (filled cells), ``missing``, ``values`` (counts per category / 0-1 value, or the number of
    distinct identifiers) and ``min``, ``median``, ``max`` (numeric columns).
    """
    schema = get_schema(schema)
    rows = []
    for column in schema.columns:
        values = frame[column.name]
        row = {"column": column.display_label, "header": column.name, "kind": column.kind,
               "count": int(values.notna().sum()),
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
    return number_text(value) if isinstance(value, (int, float, np.number)) else str(value)


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
