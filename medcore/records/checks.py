"""Records, second step: cells -> typed columns; rows checked against each other.

Shared by :func:`medcore.records.read_records` / :func:`~medcore.records.load_records` (many
rows, spreadsheet row numbers) and :func:`medcore.records.validate_values` (one record from a
form); what they find goes to a :class:`~medcore.records.problems.Problems`. Numbers are parsed
column-wise (``pandas.to_numeric``); only the cells that fail are looked at one by one, so
50,000 rows take well under a second.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from medcore.records.problems import Problems, number_text, range_text, rows_text, value_text
from medcore.schemas import Column, Schema

#: Cell texts read as "missing" (compared case-insensitively after stripping blanks).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
_TRUE = {"yes", "y", "true", "t"}
_FALSE = {"no", "n", "false", "f"}
#: A number written with a comparison sign or a unit ("12 mm", ">5", "<0.1"): worth a hint.
_NUMBER_WITH_EXTRAS = re.compile(r"^\s*[<>≤≥~=]*\s*[-+]?(\d+[.,]?\d*|[.,]\d+)\s*\S*\s*$")


def cell_text(value: Any) -> str:
    """A raw cell (str, number, None, NaN) as stripped text; None and NaN become ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def is_missing(text: str) -> bool:
    """Whether a stripped cell text means "no value" (see :data:`MISSING_TOKENS`)."""
    return len(text) <= 4 and text.lower() in MISSING_TOKENS


def check_column(column: Column, cells: np.ndarray, rows: np.ndarray, problems: Problems,
                 decimal_comma: bool) -> np.ndarray:
    """Convert one column of raw cells (object array) to its kind; report what does not fit."""
    if column.kind == "id":
        text = np.array([cell_text(v) for v in cells], dtype=object)
        missing = np.fromiter((is_missing(t) for t in text), dtype=bool, count=len(text))
        _refuse_missing(column, missing, text, rows, problems)
        text[missing] = np.nan
        return text
    if column.kind == "category":
        return check_category(column, cells, rows, problems, decimal_comma)
    values, missing, texts = parse_numbers(cells, decimal_comma,
                                           words=column.kind == "binary")
    _refuse_missing(column, missing, texts, rows, problems)
    label = problems.name(column)
    failed = ~missing & np.isnan(values)
    if column.kind == "binary":
        bad = failed | (~np.isnan(values) & ~np.isin(values, (0.0, 1.0)))
        if bad.any():
            shown = _shown(cells, texts, bad)
            problems.add_rows(f"{label}: not binary {problems.at(rows[bad], shown)}; expected "
                              "0 (no) or 1 (yes)", rows[bad], label,
                              [value_text(v) for v in shown], "0 (no) or 1 (yes)")
            values[bad] = np.nan
        return values
    example = (f" such as {number_text(column.example)}"
               if isinstance(column.example, (int, float)) else "")
    if failed.any():
        shown = _shown(cells, texts, failed)
        hint = (" (decimal point or, in semicolon-separated files, decimal comma)"
                if not decimal_comma else "")
        extras = [bool(_NUMBER_WITH_EXTRAS.match(t)) for t in shown]
        problems.add_rows(
            f"{label}: text instead of a number {problems.at(rows[failed], shown)}; expected a "
            f"number{hint}{example}", rows[failed], label, [value_text(t) for t in shown],
            [f"a number{example}" + (": write the number alone, without a unit, '<' or '>'"
                                     if extra else "") for extra in extras])
    infinite = np.isinf(values)
    if infinite.any():
        shown = _shown(cells, texts, infinite)
        problems.add_rows(
            f"{label}: not a finite number {problems.at(rows[infinite], shown)}; expected a "
            f"number{example}", rows[infinite], label, [value_text(t) for t in shown],
            f"a finite number{example} ('inf' or a number beyond 1e308 is no measurement)")
        values[infinite] = np.nan
    check_numbers(column, values, rows, problems)
    return values


def _shown(cells: np.ndarray, texts: dict[int, str], mask: np.ndarray) -> list:
    """What the masked cells held: the stripped text where parsed from text, else the value."""
    out = []
    for i in np.flatnonzero(mask):
        out.append(texts[i] if i in texts else cells[i] if not isinstance(cells[i], str)
                   else cells[i].strip())
    return out


def _refuse_missing(column: Column, missing: np.ndarray, texts, rows: np.ndarray,
                    problems: Problems) -> None:
    if not missing.any() or column.allow_missing:
        return
    label = problems.name(column)
    if problems.single:
        problems.add_rows(f"{label}: no value; expected one (this field may not be left empty)",
                          rows[missing], label, ["no value"], "a value")
        return
    held = [texts[i] for i in np.flatnonzero(missing)]
    tokens = [t for t in held if t]
    problems.add_rows(f"{label}: empty cells {problems.at(rows[missing], tokens)}; expected a "
                      "value in every row (this column does not allow missing values)",
                      rows[missing], label, [value_text(t) for t in held],
                      "a value (this column may not be left empty)")


def parse_numbers(cells: np.ndarray, decimal_comma: bool, *, words: bool = False
                  ) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Raw cells -> float64 values (NaN where missing or not a number), the missing mask, and
    the stripped text of every cell that did not parse at once (index -> text).

    ``12,5`` is read as 12.5 when ``decimal_comma``; ``words``: yes/no/true/false as 1/0.
    ``1e999`` and ``inf`` become inf (the caller reports them).
    """
    try:                                        # all numbers: Python's float, in C
        values = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except (ValueError, TypeError):             # some text or empty cells: look at those only
        values = np.asarray(pd.to_numeric(cells, errors="coerce"), dtype=np.float64).copy()
    missing = np.zeros(len(values), dtype=bool)
    texts: dict[int, str] = {}
    for i in np.flatnonzero(np.isnan(values)):
        text = cell_text(cells[i])
        texts[i] = text
        if is_missing(text):
            missing[i] = True
            continue
        lower = text.lower()
        if words and lower in _TRUE:
            values[i] = 1.0
            continue
        if words and lower in _FALSE:
            values[i] = 0.0
            continue
        cell = text.replace(" ", "")
        if decimal_comma and cell.count(",") == 1 and "." not in cell:
            cell = cell.replace(",", ".")
        try:
            values[i] = float(cell)
        except ValueError:
            pass
    return values, missing, texts


def check_numbers(column: Column, values: np.ndarray, rows: np.ndarray,
                  problems: Problems) -> None:
    """Whole numbers for ``int``, the plausible range, and the allowed ``levels``; cells that
    fail become NaN."""
    label = problems.name(column)
    good = np.isfinite(values)
    if column.kind == "int":
        fraction = good & (np.abs(values - np.round(values)) > 1e-9)
        if fraction.any():
            shown = values[fraction].tolist()
            problems.add_rows(f"{label}: not a whole number {problems.at(rows[fraction], shown)}"
                              "; expected a whole number", rows[fraction], label,
                              [value_text(v) for v in shown], "a whole number")
            values[fraction] = np.nan
            good &= ~fraction
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    outside = good & ((values < low) | (values > high))
    if outside.any():
        shown = values[outside].tolist()
        problems.add_rows(f"{label}: outside the plausible range {range_text(column)} "
                          f"{problems.at(rows[outside], shown)}; such values are impossible or "
                          "mistyped (check the unit)", rows[outside], label,
                          [value_text(v) for v in shown],
                          f"a value from {range_text(column)} (anything else is impossible or "
                          "mistyped: check the unit)")
        values[outside] = np.nan
        good &= ~outside
    if column.levels:
        off = good & ~np.isin(values, column.levels)
        if off.any():
            allowed = " / ".join(number_text(v) for v in column.levels)
            shown = values[off].tolist()
            problems.add_rows(f"{label}: not one of {allowed} {problems.at(rows[off], shown)}; "
                              f"expected one of {allowed}", rows[off], label,
                              [value_text(v) for v in shown], f"one of {allowed}")
            values[off] = np.nan


def check_category(column: Column, cells: np.ndarray, rows: np.ndarray, problems: Problems,
                   decimal_comma: bool) -> np.ndarray:
    """Categories matched case-insensitively; with ``bins``, numbers map onto categories."""
    text = [cell_text(v) for v in cells]
    missing = np.fromiter((is_missing(t) for t in text), dtype=bool, count=len(text))
    _refuse_missing(column, missing, text, rows, problems)
    lookup = {c.lower(): c for c in column.categories}
    values = np.array([lookup.get(t.lower(), np.nan) for t in text], dtype=object)
    unmatched = pd.isna(values)
    if column.bins and unmatched.any():            # numbers (e.g. size in mm) -> categories
        numbers, _, _ = parse_numbers(np.asarray(text, dtype=object), decimal_comma)
        low = column.minimum if column.minimum is not None else 0.0
        usable = unmatched & np.isfinite(numbers) & (numbers >= low)
        index = np.searchsorted(column.bins, numbers[usable], side="left")
        values[usable] = np.asarray(column.categories, dtype=object)[index]
    bad = ~missing & pd.isna(values)
    if bad.any():
        allowed = ", ".join(repr(c) for c in column.categories)
        extra = " or a size in mm" if column.bins else ""
        shown = [text[i] for i in np.flatnonzero(bad)]
        label = problems.name(column)
        problems.add_rows(f"{label}: not an allowed category {problems.at(rows[bad], shown)}; "
                          f"expected one of {allowed}{extra}", rows[bad], label,
                          [value_text(t) for t in shown], f"one of {allowed}{extra}")
    return values


def check_unique(schema: Schema, frame: pd.DataFrame, present: set[str], rows: np.ndarray,
                 problems: Problems) -> None:
    """No two rows share the ``schema.unique`` columns (patient, or patient and visit day).

    Per row: a row that repeats an earlier row exactly is reported as a copy (the earlier one
    stays usable); rows that share the key but differ are all reported (which one is right
    cannot be told).
    """
    keys = list(schema.unique)
    if not keys or any(k not in present for k in keys):     # absent id: rows are numbered
        return
    subset = frame[keys]
    complete = subset.notna().all(axis=1).to_numpy()
    duplicated = subset.duplicated(keep=False).to_numpy() & complete
    if not duplicated.any():
        return
    what = " and ".join(f"'{k}'" for k in keys)
    groups = subset[duplicated].astype(str).agg("\x1f".join, axis=1)
    pairs = [rows_text(rows[duplicated][(groups == g).to_numpy()].tolist(), limit=4)
             for g in dict.fromkeys(groups)]
    kind = "visit" if len(keys) > 1 else "patient"
    text = (f"duplicate {kind} (same {what}): {'; '.join(pairs[:5])}"
            + (f"; and {len(pairs) - 5} more groups" if len(pairs) > 5 else "")
            + f"; expected each {what} once. Remove or renumber the repeated rows")
    copies = frame.duplicated(keep="first").to_numpy() & duplicated
    index = np.flatnonzero(duplicated)
    keys_of = subset.iloc[index].astype(str).agg("\x1f".join, axis=1).to_numpy()
    remaining = pd.Series(~copies[index])
    conflicting = np.zeros(len(frame), dtype=bool)
    conflicting[index] = (remaining & (remaining.groupby(keys_of).transform("sum") > 1)).to_numpy()
    first_row = np.zeros(len(frame), dtype=rows.dtype)
    first_row[index] = pd.Series(rows[index]).groupby(keys_of).transform("first").to_numpy()
    flagged = copies | conflicting
    found = [f"an exact copy of row {first}" if copy else
             f"{kind} {_key_text(frame, keys, i)} again (also in row {first}, with other values)"
             if first != row else
             f"{kind} {_key_text(frame, keys, i)}, repeated with other values in later rows"
             for i, row, first, copy in zip(np.flatnonzero(flagged), rows[flagged],
                                            first_row[flagged], copies[flagged])]
    problems.add_rows(text, rows[flagged], "", found,
                      f"each {what} once (a copy is left out; of rows that differ, keep the "
                      "right one and correct or remove the others)")


def _key_text(frame: pd.DataFrame, keys: list[str], index: int) -> str:
    values = [frame[k].iat[index] for k in keys]
    return ", ".join(f"{k} {value_text(v) if isinstance(v, str) else number_text(v)}"
                     for k, v in zip(keys, values))


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
            label = problems.name(schema.column(name))
            values = frame[name].to_numpy()[varies]
            patients = frame[key].to_numpy()[varies]
            problems.add_rows(
                f"{label} differs between rows of the same patient (same '{key}') "
                f"{problems.at(rows[varies])}; expected one value per patient. Correct it, or "
                "give different patients different ids", rows[varies], label,
                [f"{value_text(v)} for patient {p}, whose other rows differ"
                 for v, p in zip(values.tolist(), patients.tolist())],
                "one value per patient (correct it, or give different patients different ids)")


def check_order(schema: Schema, frame: pd.DataFrame, present: set[str], rows: np.ndarray,
                problems: Problems) -> None:
    """Each patient's rows in increasing ``schema.ordered_by`` (visit day), in file order."""
    column, key = schema.ordered_by, (schema.unique or ("",))[0]
    if not column or column not in present or key not in present or len(frame) < 2:
        return
    values = pd.to_numeric(frame[column], errors="coerce")
    earlier = values.groupby(frame[key].to_numpy(), sort=False).cummax()
    before = earlier.groupby(frame[key].to_numpy(), sort=False).shift().to_numpy()
    out = (values.to_numpy() < before)
    if not out.any():
        return
    label = problems.name(schema.column(column))
    shown = values.to_numpy()[out]
    patients = frame[key].to_numpy()[out]
    problems.add_rows(
        f"{label}: visits out of time order {problems.at(rows[out], shown.tolist())}; expected "
        f"each patient's rows in increasing '{column}'. Sort the rows by '{key}' and "
        f"'{column}', or correct the {column}", rows[out], label,
        [f"{column} {number_text(v)} after {column} {number_text(b)} in an earlier row of "
         f"patient {p}" for v, b, p in zip(shown, before[out], patients)],
        f"each patient's visits in time order (sort the rows by '{key}' and '{column}', or "
        "correct this value)")


def validate_columns(raw: dict[str, np.ndarray], n_rows: int, schema: Schema, rows: np.ndarray,
                     problems: Problems, *, decimal_comma: bool = False) -> pd.DataFrame:
    """Check every column of ``raw`` (schema column -> raw cells) and build the typed frame.

    Cells with a problem are NaN in the frame; int and binary columns are float64 here
    (:func:`finish_types` makes them int64 where complete).
    """
    present = set(raw)
    out = {}
    for column in schema.columns:
        if column.name in present:
            out[column.name] = check_column(column, np.asarray(raw[column.name], dtype=object),
                                            rows, problems, decimal_comma)
        elif column.kind == "id":
            out[column.name] = np.array([str(r) for r in rows], dtype=object)
        else:
            out[column.name] = (np.full(n_rows, np.nan, dtype=object) if column.kind == "category"
                                else np.full(n_rows, np.nan))
    frame = pd.DataFrame(out, columns=schema.column_names)
    check_unique(schema, frame, present, rows, problems)
    check_per_patient(schema, frame, present, rows, problems)
    check_order(schema, frame, present, rows, problems)
    return frame


def finish_types(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """int and binary columns as int64 where no value is missing (float64 with NaN otherwise)."""
    for column in schema.columns:
        if column.kind in ("int", "binary") and frame[column.name].notna().all():
            frame[column.name] = frame[column.name].astype(np.int64)
    return frame
