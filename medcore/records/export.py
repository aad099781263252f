"""CSV downloads that a spreadsheet opens as data, never as formulas (CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``), so a patient id
or a note copied from an upload could run one on the clinician's machine. As OWASP recommends
(https://owasp.org/www-community/attacks/CSV_Injection), such a TEXT cell is written with a
leading apostrophe (``'=1+1``), which spreadsheets show as text. Numbers are left alone: numeric
columns are written as numbers, so a negative value stays ``-0.5``; a text cell that is a plain
number (``-12.5``, ``+3``) is left alone too, as no spreadsheet reads it as a formula.
"""
from __future__ import annotations

import re

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value: object) -> object:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot become formulas.

    Only object and string columns are touched; numeric columns are returned as they are.
    """
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(escape_cell)
    out.columns = [escape_cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(escape_cell)
    return out


def safe_csv(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """UTF-8 CSV bytes of ``frame`` for a download, text cells escaped (see the module doc)."""
    return escape_formulas(frame).to_csv(index=index).encode("utf-8")
