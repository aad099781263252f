"""Batch scoring: the records of one chunk, as text cells checked by the Upload page's checks."""
from __future__ import annotations

import math

from medcore.records import RecordsResult, check_rows, decode_text, read_records
from medcore.records.text import split_rows
from medcore.scoring.plan import Chunk


def read_chunk(chunk: Chunk, schema) -> RecordsResult | None:
    """The checked records of a records chunk (``None`` for a slice of blank lines only).

    Raises
    ------
    DataValidationError
        The slice cannot be read at all (not valid CSV, undecodable bytes).
    """
    if chunk.kind == "whole":
        return read_records(chunk.path, schema)
    if chunk.kind == "csv":
        with open(chunk.path, "rb") as handle:
            handle.seek(chunk.offset)
            data = handle.read(chunk.length)
        text, _ = decode_text(data)
        shift = chunk.first_line - 1
        body = [(row + shift, cells) for row, cells in split_rows(text, chunk.delimiter)]
        delimiter = chunk.delimiter
    elif chunk.kind == "parquet":
        body = _parquet_rows(chunk)
        delimiter = None
    else:
        raise ValueError(f"not a records chunk: {chunk.kind!r}")
    if not body:
        return None
    return check_rows(list(chunk.header), body, schema, delimiter=delimiter)


def _parquet_rows(chunk: Chunk) -> list[tuple[int, list[str]]]:
    """A row group's records as text cells, as they would be written in a CSV."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(chunk.path).read_row_group(chunk.row_group)
    columns = [[_cell(v) for v in table.column(i).to_pylist()]
               for i in range(table.num_columns)]
    first = chunk.first_row + 2                 # the header would be row 1
    return [(first + k, list(cells)) for k, cells in enumerate(zip(*columns))]


def _cell(value) -> str:
    """A typed Parquet value as CSV text: missing -> "", True -> "1", 2.5 -> "2.5"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value)
