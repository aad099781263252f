"""Records files in: CSV or .xlsx -> header and rows -> checked records, good rows apart.

:func:`read_records` keeps every row: the good ones typed in :attr:`RecordsResult.valid`, the
others in :attr:`RecordsResult.rejected` with one :class:`RecordProblem` per problem, so that a
page can continue with the good rows and list the rest. :func:`load_records` is the
all-or-nothing form: any problem raises one :class:`~medcore.errors.DataValidationError` listing
them all. A problem of the whole file (empty, binary, a header with no rows, a missing or
repeated column) leaves no row usable and raises in both.
"""
from __future__ import annotations

import contextlib
import difflib
import gc
import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Union

import numpy as np
import pandas as pd

from medcore.errors import DataValidationError
from medcore.records import excel
from medcore.records.checks import finish_types, validate_columns
from medcore.records.problems import (Problems, RecordProblem, column_text, names_text,
                                      rows_text)
from medcore.records.text import (DELIMITER_NAMES, MAX_BYTES, decode_text, normalise, read_bytes,
                                  sniff_delimiter, split_rows)
from medcore.schemas import SCHEMAS, Schema

#: Upper limit on records per file, so that a page stays responsive.
MAX_ROWS = 100_000

Source = Union[bytes, str, os.PathLike, BinaryIO]


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


@dataclass(frozen=True, eq=False)
class RecordsResult:
    """A records file read row by row: the good rows, and every other row with its problems.

    Attributes
    ----------
    valid : DataFrame, shape (n_good, len(schema.columns))
        The rows without any problem, typed as :func:`load_records` types its result;
        ``attrs``: ``"rows"`` (their spreadsheet row numbers), ``"notes"``, ``"schema"``,
        ``"headers"``.
    problems : tuple of RecordProblem
        One per problem, by row: the row, the column, what was found and what is expected.
    rejected : DataFrame
        The rows left out of ``valid``, indexed by spreadsheet row (``"row"``): a
        ``"problems"`` column, then the schema's columns under the file's headers, cells as
        the file holds them (text).
    n_records : int
        Rows under the header (blank lines not counted): ``len(valid) + len(rejected)``.
    message : str
        Every problem in one text, as :func:`load_records` raises it ("" when none).
    sheet : str or None
        The worksheet read, for an .xlsx; ``sheets`` all of its worksheets (() for a CSV).
    """

    valid: pd.DataFrame
    problems: tuple[RecordProblem, ...]
    rejected: pd.DataFrame
    n_records: int
    message: str = ""
    sheet: str | None = None
    sheets: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every row is good."""
        return not self.problems

    @property
    def rejected_rows(self) -> list[int]:
        """Spreadsheet row numbers of the rows left out."""
        return [int(r) for r in self.rejected.index]

    def error(self) -> DataValidationError | None:
        """The all-or-nothing error (None when every row is good)."""
        return DataValidationError(self.message) if self.message else None

    def raise_if_problems(self) -> None:
        """Raise :meth:`error` when any row has a problem."""
        if self.message:
            raise DataValidationError(self.message)


@dataclass
class _Table:
    header: list[str]
    body: list[tuple[int, list[str]]]
    notes: list[str]
    delimiter: str | None = None           # None: a worksheet (cells by column, never ragged)
    sheet: str | None = None
    sheets: tuple[str, ...] = ()


def read_records(source: Source, schema: Schema | str, *, delimiter: str | None = None,
                 sheet: str | None = None, max_bytes: int = MAX_BYTES) -> RecordsResult:
    """Read a CSV or .xlsx of patient records; check every row; keep the good ones apart.

    Parameters
    ----------
    source : bytes, str or path-like, or binary file object
        A CSV (encodings and delimiters as :func:`load_records`) or an Excel .xlsx workbook,
        told apart by content (a Streamlit ``UploadedFile`` works as is).
    schema : Schema or str
    delimiter : str, optional
        Force a CSV delimiter instead of detecting it.
    sheet : str, optional
        The worksheet of an .xlsx to read (default: the first).
    max_bytes : int
        Largest file accepted, checked from its stated size before it is read.

    Returns
    -------
    RecordsResult
        ``valid`` (good rows, typed), ``problems`` (one per row and column), ``rejected`` (the
        other rows as the file holds them), ``message`` (all problems in one text).

    Raises
    ------
    DataValidationError
        When no row can be used: an empty, binary or too large file, an .xls or encrypted
        workbook (with how to save it as .xlsx or CSV), a header with no rows, a wrong
        delimiter, missing or repeated columns, more than ``MAX_ROWS`` rows.
    """
    schema = get_schema(schema)
    with _collector_paused():
        table = _read_table(read_bytes(source, max_bytes), schema, delimiter, sheet)
        return _check(table, schema)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a file becomes millions of small strings
    and lists (none of them cyclic): its passes over them cost a quarter of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def records_sheet(data: bytes, schema: Schema | str) -> str | None:
    """The worksheet of an .xlsx most likely to hold ``schema``'s records: the first whose top
    row names the most of its required columns (None for a CSV, or when no sheet names any).

    A page offers it as the default of its sheet picker (a workbook often opens with a cover or
    notes sheet); :func:`read_records` itself reads the first sheet unless told otherwise.
    """
    schema = get_schema(schema)
    wanted = {normalise(c.name) for c in schema.columns if c.required}
    best, score = None, 0
    for name, header in excel.header_rows(data).items():
        found = len(wanted & {normalise(cell) for cell in header})
        if found > score:
            best, score = name, found
    return best


def load_records(source: Source, schema: Schema | str, *, delimiter: str | None = None,
                 sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or .xlsx of patient records and validate it against ``schema``: all or nothing.

    Parameters
    ----------
    source : bytes, str or path-like, or binary file object
        The CSV or .xlsx (a Streamlit ``UploadedFile`` works as is). CSV encodings: UTF-8 with
        or without BOM, UTF-16/32 with BOM, else Windows-1252 / latin-1. Delimiter: comma,
        semicolon, tab or ``|``, detected from the header unless ``delimiter`` is given. With
        ``;`` or tab, decimal commas (``12,5``) are read as decimal points. Column names match
        case-insensitively, with ``_`` and blanks alike. A workbook: its first sheet, or
        ``sheet``.
    schema : Schema or str
        One of :data:`medcore.schemas.SCHEMAS` or its name.
    delimiter : str, optional
        Force a delimiter instead of detecting it.
    sheet : str, optional
        The worksheet of an .xlsx (default: the first).

    Returns
    -------
    DataFrame, shape (n_records, len(schema.columns))
        The schema's columns in schema order: float columns float64; int and binary columns
        int64 (float64 with NaN where missing values are allowed and present); categories and
        identifiers as str (identifiers absent from the file are filled with the row number).
        ``frame.attrs``: ``"rows"`` (spreadsheet row numbers, list[int]), ``"notes"``
        (list[str]: dropped columns, encoding, delimiter, sheet), ``"schema"`` (name).

    Raises
    ------
    DataValidationError
        Listing every problem at once: empty or binary file, header only, wrong delimiter or
        encoding, missing required columns, text in numeric columns, empty cells where values are
        required, values outside the plausible range, unknown categories, non-binary values,
        duplicate patients or visits, visits out of time order, ragged rows. To keep the good
        rows of such a file, use :func:`read_records`.
    """
    result = read_records(source, schema, delimiter=delimiter, sheet=sheet)
    result.raise_if_problems()
    return result.valid


def _read_table(data: bytes, schema: Schema, delimiter: str | None,
                sheet: str | None) -> _Table:
    """Header and non-blank rows of a workbook sheet or a CSV text."""
    kind = excel.workbook_kind(data)
    if kind == "xlsx":
        read = excel.read_sheet(data, sheet)
        if not read.rows:
            others = [s for s in read.sheets if s != read.name]
            raise DataValidationError(
                f"sheet {read.name!r} of the workbook is empty; expected a header row and one "
                "row per record" + (f". The workbook's other sheets: "
                                    f"{', '.join(repr(s) for s in others)}: pick the one with "
                                    "the records" if others else
                                    ". Download the template CSV and fill it in") + ".")
        notes = [f"read from sheet {read.name!r} of the workbook"
                 + (f" ({len(read.sheets)} sheets)" if len(read.sheets) > 1 else "")]
        (_, header), body = read.rows[0], read.rows[1:]
        return _Table([c.strip() for c in header], body, notes, None, read.name, read.sheets)
    if kind is not None:
        raise excel.refuse(kind)
    text, encoding = decode_text(data)
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
    header = [c.strip() for c in lines[0][1]]
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
    return _Table(header, lines[1:], notes, delimiter)


def _check(table: _Table, schema: Schema) -> RecordsResult:
    header, body = table.header, table.body
    while header and not header[-1]:            # trailing empty header cells name nothing
        header = header[:-1]
    width = len(header)
    if len(body) > MAX_ROWS:
        raise DataValidationError(
            f"the records file has {len(body)} records; at most {MAX_ROWS} are accepted. "
            "Split it into smaller files.")
    problems = Problems(schema)
    received = f"The records file ({len(body)} record{'s' if len(body) > 1 else ''})"
    ragged = _ragged_rows(body, width, table.delimiter, problems)
    mapping, extra = _map_header(header, schema, problems)
    problems.headers = {target: header[i] for i, target in mapping.items()}
    if not body:
        raise DataValidationError(
            "the records file has a header but no records; expected at least one row under the "
            f"header with the '{schema.name}' columns"
            + (f" (also {problems.lines[-1]})" if problems.lines else "")
            + ". Add the records, or download the template CSV and fill it in.")
    notes = list(table.notes)
    if extra:
        notes.append(f"ignored {len(extra)} column{'s' if len(extra) > 1 else ''} not in the "
                     f"'{schema.name}' schema: {names_text(extra)}")
    kept = [(row, cells) for row, cells in body if row not in ragged]
    rows = np.array([row for row, _ in kept], dtype=np.int64)
    padded = [cells if len(cells) == width else (cells + [""] * (width - len(cells)))[:width]
              for _, cells in kept]
    columns = list(zip(*padded)) if padded else [()] * width
    raw = {target: np.array(columns[i], dtype=object) for i, target in mapping.items()}
    frame = validate_columns(raw, len(rows), schema, rows, problems,
                             decimal_comma=table.delimiter not in (",", None))
    if problems.file_level:                     # a missing or repeated column: no row is usable
        problems.raise_if_any(received)
    bad = problems.bad_rows()
    good = ~np.isin(rows, bad)
    valid = finish_types(frame[good].reset_index(drop=True), schema)
    listed = problems.records()
    if len(listed) and len(bad):
        notes.append(f"{len(bad)} of {len(body)} records left out for the problems listed "
                     f"({rows_text(bad.tolist())})")
    valid.attrs.update(rows=rows[good].tolist(), notes=notes, schema=schema.name,
                       headers=dict(problems.headers))
    return RecordsResult(valid=valid, problems=tuple(listed),
                         rejected=_rejected(body, set(bad.tolist()), header, mapping, listed),
                         n_records=len(body), message=problems.message(received),
                         sheet=table.sheet, sheets=table.sheets)


def check_rows(header: list[str], body: list[tuple[int, list[str]]], schema: Schema | str, *,
               delimiter: str | None = ",", notes: list[str] | None = None) -> RecordsResult:
    """Check rows of text cells already split from a file, as :func:`read_records` checks a
    whole file (the same problems, messages and row numbers): the batch scorer's entry for a
    file read in chunks (:mod:`medcore.scoring`).

    Parameters
    ----------
    header : list of str
        The file's header cells.
    body : list of (row, cells)
        Spreadsheet row number (the header is row 1) and the row's cells as text.
    delimiter : str or None
        The CSV delimiter (decimal commas are read with ``;`` and tabs); ``None`` for cells
        from a worksheet or a typed table (no ragged rows possible).

    Raises
    ------
    DataValidationError
        When no row can be used (a missing or repeated column, no rows, more than
        ``MAX_ROWS``), as :func:`read_records`.
    """
    with _collector_paused():
        return _check(_Table(list(header), body, list(notes or []), delimiter),
                      get_schema(schema))


def _ragged_rows(body: list[tuple[int, list[str]]], width: int, delimiter: str | None,
                 problems: Problems) -> set[int]:
    """Rows of a CSV whose cell count differs from the header's (trailing empty cells aside)."""
    if delimiter is None:                       # a worksheet: cells sit in their columns
        return set()
    more, fewer = [], []
    for row, cells in body:
        count = len(cells)
        while count > width and not cells[count - 1].strip():
            count -= 1
        if count > width:
            more.append((row, count))
        elif count < width:
            fewer.append((row, count))
    hint = (" (a decimal comma in a comma-separated file splits a number in two: use decimal "
            "points)" if delimiter == "," else "")
    for found, word, extra in ((more, "more", hint),
                               (fewer, "fewer", " (a missing cell shifts the later values into "
                                                "the wrong columns)")):
        if found:
            problems.add_rows(
                f"{word} cells than header columns ({width}) in "
                f"{rows_text([r for r, _ in found])}; expected one cell per column{extra}",
                np.array([r for r, _ in found]), "", [f"{n} cells" for _, n in found],
                f"{width} cells, one per header column{extra}")
    return {r for r, _ in more + fewer}


def _rejected(body: list[tuple[int, list[str]]], bad: set[int], header: list[str],
              mapping: dict[int, str], problems: list[RecordProblem]) -> pd.DataFrame:
    """The rows left out, as the file holds them, with their problems."""
    rows = [(row, cells) for row, cells in body if row in bad]
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(problem.detail)
    data = {"problems": ["; ".join(by_row.get(row, [])) for row, _ in rows]}
    for i in sorted(mapping):
        data[header[i]] = [cells[i] if i < len(cells) else "" for _, cells in rows]
    return pd.DataFrame(data, index=pd.Index([row for row, _ in rows], name="row"))


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
        first = {t: header[i] for i, t in mapping.items()}
        pairs = [f"{name!r} (same as {first[by_name[normalise(name)]]!r})" for name in repeated]
        problems.add(f"columns given twice: {', '.join(pairs[:8])}; expected each column once "
                     "(which one holds the right values cannot be told). Delete or rename the "
                     "repeated column")
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
