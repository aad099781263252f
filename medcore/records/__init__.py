"""Patient records in: CSV or Excel uploads and form values -> validated ``pandas.DataFrame``.

Every check of a schema (:mod:`medcore.schemas`) runs on every cell. :func:`load_records` is all
or nothing: every problem found is reported in ONE :class:`~medcore.errors.DataValidationError`
whose message lists the columns and rows at fault, what was received, what was expected and how
to fix it. :func:`read_records` keeps the good rows apart from the others, with one
:class:`RecordProblem` per problem (row, column, found, expected), so that a page can continue
with the good rows and list the rest. Rows are numbered as in a spreadsheet: the header is row 1,
the first patient row 2.

Usage::

    from medcore.records import load_records, read_records, template_csv, validate_values

    frame = load_records(uploaded_file, "rotterdam")     # bytes, path or binary file object
    frame.attrs["notes"]                                  # e.g. dropped extra columns, encoding
    result = read_records(uploaded_file, "rotterdam")     # never raises for a bad row
    result.valid, result.problems, result.rejected        # good rows, problems, the other rows
    template = template_csv("rotterdam")                  # bytes for st.download_button
    one = validate_values({"age": 56, ...}, "rotterdam")  # one-row DataFrame, same checks
    warnings = out_of_range(one, card.input_contract.ranges)    # card = registry.load_card(..)
    data = safe_csv(scored)                               # a download no cell of which is a formula

A file is a CSV (any common encoding and delimiter) or an Excel .xlsx workbook (its first sheet,
or the ``sheet`` named); an .xls or a password-protected workbook is refused with how to save it
as .xlsx or CSV. Columns not in the schema are dropped (with a note in ``frame.attrs["notes"]``)
so that an export holding extra columns (follow-up time, status, ...) loads; a misspelt required
column is then reported as missing, with the closest name in the file. Headers are the schema's
column names (``pgr``), optionally with the unit (``pgr (fmol/l)``); the clinician's title
(``Progesterone receptor`` or ``Progesterone receptor (fmol/l)``) is accepted too. Messages
about a file name a column by its header, with the title in brackets (``'pgr' (Progesterone
receptor, fmol/l)``); messages about a form's record by its form label. No TensorFlow and no
Streamlit here.

Inside: :mod:`medcore.records.text` (bytes -> text -> rows: encoding, delimiter),
:mod:`medcore.records.excel` (.xlsx -> rows), :mod:`medcore.records.checks` (cells -> typed
columns, problems collected), :mod:`medcore.records.reader` (files -> checked records),
:mod:`medcore.records.export` (CSV downloads safe from formula injection) and here the
functions for forms, summaries and templates.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from medcore.records.checks import MISSING_TOKENS, finish_types, validate_columns
from medcore.records.problems import (ROW_CONVENTION, Problems, RecordProblem, column_text,
                                      names_text, number_text, rows_text)
from medcore.records.excel import sheet_names
from medcore.records.export import escape_formulas, safe_csv
from medcore.records.reader import (MAX_ROWS, RecordsResult, check_rows, get_schema,
                                    load_records, read_records, records_sheet)
from medcore.records.text import DELIMITERS, MAX_BYTES, decode_text, sniff_delimiter, too_large
from medcore.schemas import SCHEMAS, Column, Schema

__all__ = ["load_records", "read_records", "RecordsResult", "RecordProblem", "validate_values",
           "out_of_range", "as_range", "template_csv", "example_values", "summarise",
           "get_schema", "rows_text", "decode_text", "sniff_delimiter", "sheet_names",
           "records_sheet", "check_rows", "row_warnings",
           "safe_csv", "escape_formulas", "check_file_size", "MISSING_TOKENS", "DELIMITERS",
           "MAX_ROWS", "MAX_BYTES", "ROW_CONVENTION"]


def check_file_size(size: int, limit: int = MAX_BYTES) -> None:
    """Refuse a records file of ``size`` bytes over ``limit`` before it is read (a page checks
    an upload's stated size first, so a 200 MB file is never copied or hashed).

    Raises
    ------
    DataValidationError
        With the size and the limit, and how to fix it.
    """
    if size > limit:
        raise too_large(size, limit)


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
    raw = {k: np.array([int(v) if isinstance(v, (bool, np.bool_)) else v], dtype=object)
           for k, v in values.items() if k in schema.column_names}
    frame = validate_columns(raw, 1, schema, np.array([1]), problems)
    problems.raise_if_any("The record")
    frame = finish_types(frame, schema)
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
        From the model card (e.g. ``card.input_contract.ranges``); columns absent
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
    for name, low, high, values, outside in _outside_ranges(frame, ranges):
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


def row_warnings(frame: pd.DataFrame,
                 ranges: Mapping[str, Sequence[float] | Mapping[str, float]], *,
                 schema: Schema | str | None = None) -> np.ndarray:
    """One warning text per record ("" when all its values lie inside the training ranges):
    the checks of :func:`out_of_range`, told record by record (a batch's ``warnings`` column).

    Returns
    -------
    ndarray of str, shape (len(frame),)
        E.g. ``"Age at surgery (years) = 90 is above the training range 24 to 85"``; several
        columns joined by ``"; "``.
    """
    known = _schema_of(frame, schema)
    texts = np.full(len(frame), "", dtype=object)
    for name, low, high, values, outside in _outside_ranges(frame, ranges):
        column = _find_column(known, name)
        label = name if column is None else column.display_label
        for i in np.flatnonzero(outside):
            side = "below" if values[i] < low else "above"
            text = (f"{label} = {number_text(values[i])} is {side} the training range "
                    f"{number_text(low)} to {number_text(high)}")
            texts[i] = f"{texts[i]}; {text}" if texts[i] else text
    return texts


def _outside_ranges(frame: pd.DataFrame,
                    ranges: Mapping[str, Sequence[float] | Mapping[str, float]]):
    """``(name, low, high, values, outside mask)`` of each of ``frame``'s columns (in its order)
    with a value outside its training range; categories and missing values are skipped."""
    for name in [c for c in frame.columns if c in ranges]:     # in the frame's column order
        low, high = as_range(ranges[name])
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        # A relative tolerance, as cards may hold float32-rounded limits (6.802 -> 6.80200005).
        outside = np.isfinite(values) & ((values < low - 1e-6 * abs(low))
                                         | (values > high + 1e-6 * abs(high)))
        if outside.any():
            yield name, low, high, values, outside


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
