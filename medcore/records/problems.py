"""Records problems: collected per row and column, reported in one message or one per row.

:class:`Problems` gathers what :mod:`medcore.records.checks` finds. Each problem is kept twice:
as one line per column for the all-or-nothing message (:meth:`Problems.raise_if_any`), and as
one :class:`RecordProblem` per row for a page that continues with the good rows. Here too the
small functions that word rows, columns and values the same way in every message.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from medcore.errors import DataValidationError
from medcore.records.text import normalise
from medcore.schemas import Column, Schema

#: How messages number rows.
ROW_CONVENTION = ("rows are numbered as in a spreadsheet: the header is row 1, the first record "
                  "row 2")
_FIX = ("Correct these cells, or download the template CSV for this schema and copy your data "
        "into it.")


@dataclass(frozen=True)
class RecordProblem:
    """One problem in one row (and column) of a records file.

    Attributes
    ----------
    row : int
        Spreadsheet row number (the header is row 1, the first record row 2).
    column : str
        The column as the file names it, with its meaning (``"'age' (Age at surgery,
        years)"``); ``""`` for a problem of the whole row (a ragged row, a copied row).
    found : str
        What the cell (or row) holds, quoted where it is text (``"'12 mm'"``).
    expected : str
        What the schema expects there, and how to fix it.
    """

    row: int
    column: str
    found: str
    expected: str

    @property
    def message(self) -> str:
        """``"Row 5, 'age' (Age at surgery, years): found '12 mm'; expected a number ..."``."""
        where = f"Row {self.row}, {self.column}" if self.column else f"Row {self.row}"
        return f"{where}: found {self.found}; expected {self.expected}."

    @property
    def detail(self) -> str:
        """The message without the row: ``"'age' (...): found '12 mm'; expected ..."``."""
        what = f"{self.column}: found" if self.column else "found"
        return f"{what} {self.found}; expected {self.expected}"

    def __str__(self) -> str:
        return self.message


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


def value_text(value: Any) -> str:
    """A cell as a message quotes it: text in quotes, numbers bare, empty as 'an empty cell'."""
    if isinstance(value, str):
        return repr(value) if value else "an empty cell"
    return number_text(value)


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
    actually found in the file. ``add`` records a problem of the whole file (no row can be
    used); ``add_rows`` one that concerns some rows, kept per row as well.
    """

    def __init__(self, schema: Schema, single: bool = False):
        self.schema, self.single, self.lines = schema, single, []
        self.headers: dict[str, str] = {}
        self.file_level = False
        self._rows: list[tuple[np.ndarray, str, list[str], list[str]]] = []

    def name(self, column: Column) -> str:
        """The column as this message's reader knows it: form label or file header."""
        if self.single:
            return column.display_label
        return column_text(column, self.headers.get(column.name))

    def add(self, text: str) -> None:
        """A problem of the whole file (or form): no row can be used."""
        self.lines.append(text)
        self.file_level = True

    def add_rows(self, text: str, rows: np.ndarray, column: str, found: Sequence[str],
                 expected: str | Sequence[str]) -> None:
        """A problem of some rows: one line of the message, one :class:`RecordProblem` per row.

        ``found``: one text per row (what the cell or row holds, as :func:`value_text` quotes
        it); ``expected``: one text for all rows, or one per row; ``column``: how the file
        names the column ("" for the whole row).
        """
        self.lines.append(text)
        rows = np.asarray(rows)
        expected = [expected] * len(rows) if isinstance(expected, str) else list(expected)
        self._rows.append((rows, column, list(found), expected))

    def at(self, rows: Sequence[int], values: Sequence[Any] = ()) -> str:
        """``"in rows 3, 7 (received 'abc', 'x')"``; for one record (a form) only the value."""
        shown = ", ".join(repr(v) if isinstance(v, str) else number_text(v)
                          for v in list(values)[:6])
        if self.single:
            return f"(received {shown})" if shown else "in this record"
        more = ", ..." if len(values) > 6 else ""
        return "in " + rows_text(rows) + (f" (received {shown}{more})" if shown else "")

    def bad_rows(self) -> np.ndarray:
        """Spreadsheet rows with at least one problem, sorted."""
        if not self._rows:
            return np.array([], dtype=np.int64)
        return np.unique(np.concatenate([rows for rows, *_ in self._rows]).astype(np.int64))

    def records(self) -> list[RecordProblem]:
        """Every row problem, by row, then in the order found (column order)."""
        problems = [RecordProblem(int(row), column, found_text, wanted)
                    for rows, column, found, expected in self._rows
                    for row, found_text, wanted in zip(rows.tolist(), found, expected)]
        return sorted(problems, key=lambda p: p.row)       # stable: column order within a row

    def message(self, received: str) -> str:
        """The all-or-nothing message: every problem, one line per column ("" when none)."""
        if not self.lines:
            return ""
        limit = 40
        lines = self.lines[:limit]
        if len(self.lines) > limit:
            lines.append(f"... and {len(self.lines) - limit} more problems")
        count = f"{len(self.lines)} problem{'s' if len(self.lines) > 1 else ''}"
        where = "" if self.single else f" ({ROW_CONVENTION})"
        return (f"{received} does not match the '{self.schema.name}' schema "
                f"[{self.schema.title}]: {count}{where}:\n"
                + "\n".join(f"- {line}" for line in lines)
                + "\n\n" + ("Correct these values and submit again." if self.single else _FIX))

    def raise_if_any(self, received: str) -> None:
        if self.lines:
            raise DataValidationError(self.message(received))
