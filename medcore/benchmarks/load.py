"""Load figures: ten clinicians at once against one ``streamlit run`` (issue 17).

The measurement drives Chromium through Playwright, which the library never imports: it is
``python -m bench.load`` in the repository's ``bench/`` folder, run here in a child process from
the checkout that holds this ``medcore`` (:func:`medcore.benchmarks.checkout_bench`). Figures (see
``bench/load.py``): ``load_sessions``, ``load_rounds``, ``load_p50_s`` / ``load_p95_s`` per step,
``load_errors``, ``load_server_rss_mb``. Not part of the default run (it takes minutes and a
browser): ``python -m medcore bench --only load --json``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from medcore.benchmarks import checkout_bench

#: Generous: ten clinicians x two journeys on a busy 2-core machine take several minutes.
TIMEOUT_S = 3600


def run(*, data: Path | None = None) -> dict[str, Any]:
    """The figures of ``python -m bench.load --json``, or ``{"load_skipped": reason}``."""
    env = {"MEDCORE_DATA_DIR": str(data)} if data is not None else None
    return checkout_bench("load", "load", env=env, timeout_s=TIMEOUT_S)
