"""Records CSV, second step: cells -> typed columns, every problem collected for one message.

Shared by :func:`medcore.records.load_records` (many rows, spreadsheet row numbers) and
:func:`medcore.records.validate_values` (one record from a form).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from medcore.errors import DataValidationError
from medcore.records.text import normalise
from medcore.schemas import Column, Schema

#: Cell texts read as "missing" (compared case-insensitively after stripping blanks).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: How messages number rows.
ROW_CONVENTION = ("rows are numbered as in a spreadsheet: the header is row 1, the first record "
                  "row 2")
_FIX = ("Correct these cells, or download the template CSV for this schema and copy your data "
        "into it.")
_TRUE = {"yes", "y", "true", "t"}
_FALSE = {"no", "n", "false", "f"}


def rows_text(rows: Sequence[int], limit: int = 6, word: str = "row") -> str:
    """``"rows 3, 7, 12 and 40 more"``: row numbers, truncated after ``limit``."""
    rows = list(rows)
    head = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{word}{'s' if len(rows) > 1 else ''} {head}{more}"


def names_text(names: Sequence[str], limit: int = 8) -> str:
    """``"'a', 'b' and 3 more"``: column names, truncated after ``limit``."""
    names = list(names)
    head = ", ".join(repr(n) if n else "(unnamed)" for n in names[:limit])
    return head + (f" and {len(names) - limit} more" if len(names) > limit else "")


def number_text(value: float) -> str:
    """A number as short text: 300, 0.5, 1e+09."""
    return f"{value:g}"


def range_text(column: Column) -> str:
    """The plausible range of a column: ``"18 to 100"``, ``"at least 0"``."""
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return f"{number_text(low)} to {number_text(high)}"
    if low is not None:
        return f"at least {number_text(low)}"
    return f"at most {number_text(high)}"


def column_text(column: Column, header: str | None = None) -> str:
    """How a message names a column of a FILE: the header to look for, then what it is.

    ``"'pgr' (Progesterone receptor, fmol/l)"``; the bracket is left out where it adds nothing
    (``"'sex'"``), and the unit where the header already holds it. ``header``: the header as
    written in the file (default: the column name, as in the template).
    """
    header = column.name if header is None else header
    parts = [] if normalise(column.title) in ("", normalise(header)) else [column.title]
    if column.shown_unit and column.shown_unit.lower() not in header.lower():
        parts.append(column.shown_unit)
    return f"{header!r}" + (f" ({', '.join(parts)})" if parts else "")


class Problems:
    """Collects problems; ``raise_if_any`` raises them all in one message.

    ``single``: one record from a form, whose columns messages name by their form label
    (:attr:`~medcore.schemas.Column.display_label`); otherwise a file, whose columns messages
    name by header (see :func:`column_text`); ``headers`` maps column names to the headers
    actually found in the file.
    """

    def __init__(self, schema: Schema, single: bool = False):
        self.schema, self.single, self.lines = schema, single, []
        self.headers: dict[str, str] = {}

    def name(self, column: Column) -> str:
        """The column as this message's reader knows it: form label or file header."""
        if self.single:
            return column.display_label
        return column_text(column, self.headers.get(column.name))

    def add(self, text: str) -> None:
        self.lines.append(text)

    def at(self, rows: Sequence[int], values: Sequence[Any] = ()) -> str:
        """``"in rows 3, 7 (received 'abc', 'x')"``; for one record (a form) only the value."""
        shown = ", ".join(repr(v) if isinstance(v, str) else number_text(v)
                          for v in list(values)[:6])
        if self.single:
            return f"(received {shown})" if shown else "in this record"
        more = ", ..." if len(values) > 6 else ""
        return "in " + rows_text(rows) + (f" (received {shown}{more})" if shown else "")

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


def texts(cells: pd.Series) -> pd.Series:
    """Cells (str, numbers, None, NaN) as stripped text; None and NaN become ``""``."""
    texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
             for v in cells.tolist()]
    return pd.Series(texts, dtype=object)


def check_column(column: Column, cells: pd.Series, rows: np.ndarray,
                 problems: Problems, decimal_comma: bool) -> pd.Series:
    """Convert one column of raw cells (str or numbers) to its kind; report what does not fit."""
    label = problems.name(column)
    text = texts(cells)
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
        return check_category(column, text, missing, rows, problems, decimal_comma)
    if column.kind == "binary":
        words = {**{w: 1.0 for w in _TRUE}, **{w: 0.0 for w in _FALSE}}
        values = text.str.lower().map(words).astype(float)
        numbers = to_numbers(text, decimal_comma)              # 1.0, "1,0" (decimal comma)
        values = values.where(values.notna() | ~numbers.isin([0.0, 1.0]), numbers)
        bad = ~missing & np.isnan(values.to_numpy())
        if bad.any():
            problems.add(f"{label}: not binary {problems.at(rows[bad], text[bad].tolist())}; "
                         "expected 0 (no) or 1 (yes)")
        return values
    values = to_numbers(text, decimal_comma)
    bad = ~missing & ~np.isfinite(values.to_numpy())
    if bad.any():
        problems.add(f"{label}: text instead of a number "
                     f"{problems.at(rows[bad], text[bad].tolist())}; expected a number"
                     + (" (decimal point or, in semicolon-separated files, decimal comma)"
                        if not decimal_comma else "")
                     + (f" such as {number_text(column.example)}"
                        if isinstance(column.example, (int, float)) else ""))
    good = np.isfinite(values.to_numpy())
    check_numbers(column, values, good, rows, problems)
    return values


def to_numbers(text: pd.Series, decimal_comma: bool) -> pd.Series:
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


def check_numbers(column: Column, values: pd.Series, good: np.ndarray, rows: np.ndarray,
                  problems: Problems) -> None:
    """Whole numbers for ``int``, the plausible range, and the allowed ``levels``."""
    label = problems.name(column)
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
        problems.add(f"{label}: outside the plausible range {range_text(column)} "
                     f"{problems.at(rows[outside], array[outside].tolist())}; such values are "
                     "impossible or mistyped (check the unit)")
    if column.levels:
        off = good & ~outside & ~np.isin(array, column.levels)
        if off.any():
            allowed = " / ".join(number_text(v) for v in column.levels)
            problems.add(f"{label}: not one of {allowed} "
                         f"{problems.at(rows[off], array[off].tolist())}; expected one of "
                         f"{allowed}")


def check_category(column: Column, text: pd.Series, missing: np.ndarray, rows: np.ndarray,
                   problems: Problems, decimal_comma: bool) -> pd.Series:
    """Categories matched case-insensitively; with ``bins``, numbers map onto categories."""
    lookup = {c.lower(): c for c in column.categories}
    values = text.str.lower().map(lookup).astype(object)
    if column.bins:                                   # numbers (e.g. size in mm) -> categories
        numbers = to_numbers(text, decimal_comma).to_numpy()
        low = column.minimum if column.minimum is not None else 0.0
        usable = values.isna().to_numpy() & np.isfinite(numbers) & (numbers >= low)
        index = np.searchsorted(column.bins, numbers[usable], side="left")
        values[usable] = np.asarray(column.categories, dtype=object)[index]
    bad = ~missing & values.isna().to_numpy()
    if bad.any():
        allowed = ", ".join(repr(c) for c in column.categories)
        extra = " or a size in mm" if column.bins else ""
        problems.add(f"{problems.name(column)}: not an allowed category "
                     f"{problems.at(rows[bad], text[bad].tolist())}; expected one of "
                     f"{allowed}{extra}")
    return values


def check_unique(schema: Schema, frame: pd.DataFrame, present: set[str], rows: np.ndarray,
                 problems: Problems) -> None:
    """No two rows share the ``schema.unique`` columns (patient, or patient and visit day)."""
    keys = list(schema.unique)
    if not keys or any(k not in present for k in keys):     # absent id: rows are numbered
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


def check_per_patient(schema: Schema, frame: pd.DataFrame, present: set[str],
                      rows: np.ndarray, problems: Problems) -> None:
    """Columns of ``schema.per_patient`` must not vary within one patient."""
    if not schema.unique or schema.unique[0] not in present or len(frame) < 2:
        return
    key = schema.unique[0]
    for name in schema.per_patient:
        if name not in present:
            continue
        varies = frame.groupby(key, dropna=True)[name].transform("nunique").to_numpy() > 1
        if varies.any():
            problems.add(f"{problems.name(schema.column(name))} differs between rows of the same "
                         f"patient (same '{key}') {problems.at(rows[varies])}; expected one value "
                         "per patient. Correct it, or give different patients different ids")


def validate_columns(raw: pd.DataFrame, schema: Schema, rows: np.ndarray, problems: Problems, *,
                     received: str, decimal_comma: bool = False) -> pd.DataFrame:
    """Check every column of ``raw`` (already restricted to schema columns) and build the frame."""
    present = set(raw.columns)
    out = {}
    for column in schema.columns:
        if column.name in present:
            out[column.name] = check_column(column, raw[column.name], rows, problems,
                                            decimal_comma)
        elif column.kind == "id":
            out[column.name] = pd.Series([str(r) for r in rows], dtype=object)
        else:
            out[column.name] = pd.Series(np.nan, index=range(len(raw)),
                                         dtype=object if column.kind == "category" else float)
    frame = pd.DataFrame({k: v.reset_index(drop=True) for k, v in out.items()},
                         columns=schema.column_names)
    check_unique(schema, frame, present, rows, problems)
    check_per_patient(schema, frame, present, rows, problems)
    problems.raise_if_any(received)
    for column in schema.columns:
        if column.kind in ("int", "binary") and frame[column.name].notna().all():
            frame[column.name] = frame[column.name].astype(np.int64)
    return frame
