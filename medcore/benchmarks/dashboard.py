"""Benchmark group ``dashboard`` (opt-in: ``python -m medcore bench --only dashboard --json``):
the dashboard's figures from a real ``streamlit run`` in Debian's Chromium.

The figures (``first_diagnosis_cold_s``, ``server_rss_mb_predictions``, ``server_rss_mb``,
``cold_start_s``...; see :mod:`bench.browser_figures`) come from ``python -m bench.browser_figures
--json``, run here as a subprocess from the checkout: the browser harness lives in the
repository's ``bench/`` folder, outside the library, because ``medcore`` never imports
Playwright. Without the checkout's ``bench/`` folder (an installed wheel), or without Chromium,
the group says so in ``dashboard_skipped``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from medcore.benchmarks import _ROOT

#: Longest a browser run may take (a fresh server, two diagnoses, every page) on a loaded machine.
TIMEOUT_S = 900


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --only dashboard --json``."""
    if not (_ROOT / "bench" / "browser_figures.py").is_file():
        return {"dashboard_skipped": f"no bench/ folder beside the medcore package in {_ROOT} "
                                     "(run from a source checkout)"}
    command = [sys.executable, "-m", "bench.browser_figures", "--json"]
    if data is not None:
        command += ["--data", str(data)]
    try:
        result = subprocess.run(command, cwd=_ROOT, capture_output=True, text=True,
                                timeout=TIMEOUT_S, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    except subprocess.TimeoutExpired:
        return {"dashboard_skipped": f"python -m bench.browser_figures took over {TIMEOUT_S} s"}
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ["no message"]
        return {"dashboard_skipped": f"python -m bench.browser_figures failed "
                                     f"(exit {result.returncode}): {tail[0][:300]}"}
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures.pop("machine", None)
    if "browser_skipped" in figures:
        return {"dashboard_skipped": figures["browser_skipped"]}
    return figures
