"""Batch scoring, last step: the scored rows to Parquet or CSV, the errors to ``OUTPUT.errors.csv``.

Both files are written under a temporary name beside the output and renamed at the end, so an
interrupted or refused run leaves no partial file. CSV cells that a spreadsheet would read as a
formula are escaped as the pages' downloads escape them (:func:`medcore.records.escape_formulas`).
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from medcore.errors import MedcoreError

#: Output formats, by the output's suffix.
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
#: Integer columns of every output (identifiers and counts); with the schema's integer and 0/1
#: columns they are written as nullable integers, other numbers as float64, so that every chunk
#: has the same column types (a chunk whose integer column holds a missing value too).
INTEGER_COLUMNS = ("row", "visits")


def errors_path(output: str | os.PathLike) -> Path:
    """Where the errors of ``output`` go: ``scores.csv`` -> ``scores.errors.csv``."""
    path = Path(output)
    return path.with_name(f"{path.stem}.errors.csv")


def check_output(output: str | os.PathLike) -> Path:
    """The output path, when its suffix names a format and its folder exists.

    Raises
    ------
    MedcoreError
        Another suffix, or no such folder.
    """
    path = Path(output)
    if path.suffix.lower() not in SUFFIXES:
        raise MedcoreError(f"--output {output}: expected a file ending in .parquet or .csv (the "
                           "format is chosen by the suffix).")
    if not path.parent.is_dir():
        raise MedcoreError(f"--output {output}: the folder {path.parent} does not exist; create "
                           "it first.")
    return path


class TableWriter:
    """Appends frames to a Parquet or CSV file (by suffix), committed by :meth:`close`."""

    def __init__(self, path: str | os.PathLike, *, kind: str | None = None,
                 integers: tuple[str, ...] = (), columns: list[str] | None = None) -> None:
        self.path = Path(path)
        self.integers = INTEGER_COLUMNS + tuple(integers)
        self.kind = kind or SUFFIXES[self.path.suffix.lower()]
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.rows = 0
        self._parquet = None
        self._columns: list[str] | None = columns        # else those of the first frame

    def write(self, frame: pd.DataFrame) -> None:
        if frame is None or not len(frame.columns) or (self._columns is not None
                                                        and not len(frame)):
            return
        frame = _uniform(frame, self.integers)
        if self._columns is None:
            self._columns = list(frame.columns)
        frame = frame.reindex(columns=self._columns)
        if self.rows == 0 and self.kind == "csv" and self.partial.exists():
            self.partial.unlink()                     # a stale file of an interrupted run
        if self.kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            else:
                table = table.cast(self._parquet.schema)
            self._parquet.write_table(table)
        else:
            from medcore.records import escape_formulas

            escape_formulas(frame).to_csv(self.partial, mode="a", index=False,
                                          header=self.rows == 0)
        self.rows += len(frame)

    def close(self, *, commit: bool, empty_columns: list[str]) -> None:
        """Rename the file into place (``commit``), else delete it. With nothing written, the
        committed file holds the header ``empty_columns`` and no row."""
        if self._parquet is not None:
            self._parquet.close()
        if not commit:
            self.partial.unlink(missing_ok=True)
            return
        if self.rows == 0:                            # a header, no row
            columns = self._columns or empty_columns
            if self.kind == "parquet":
                pd.DataFrame({c: pd.Series(dtype=object) for c in columns}).to_parquet(
                    self.partial, index=False)
            else:
                pd.DataFrame(columns=columns).to_csv(self.partial, index=False)
        os.replace(self.partial, self.path)


def _uniform(frame: pd.DataFrame, integers: tuple[str, ...]) -> pd.DataFrame:
    """Same column types in every chunk: ``integers`` nullable integers, other numbers float64,
    text as text."""
    out = frame.copy()
    for name in out.columns:
        dtype = out[name].dtype
        if name in integers and (pd.api.types.is_numeric_dtype(dtype)
                                 or pd.api.types.is_bool_dtype(dtype)):
            out[name] = out[name].astype("Int64")
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            out[name] = out[name].astype("float64")
        elif dtype == object or pd.api.types.is_string_dtype(dtype):
            out[name] = out[name].astype(object).where(out[name].notna(), None).map(
                lambda v: v if v is None else str(v))
    return out
