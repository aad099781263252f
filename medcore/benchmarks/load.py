"""Load figures: ten clinicians at once against one ``streamlit run`` (issue 17).

The measurement drives Chromium through Playwright, which the library never imports: it is
``python -m bench.load`` in the repository's ``bench/`` folder, run here in a child process from
the checkout that holds this ``medcore``. Figures (see ``bench/load.py``): ``load_sessions``,
``load_rounds``, ``load_p50_s`` / ``load_p95_s`` per step, ``load_errors``,
``load_server_rss_mb``. Not part of the default run (it takes minutes and a browser):
``python -m medcore bench --only load --json``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from medcore.benchmarks import _ROOT

#: Generous: ten clinicians x two journeys on a busy 2-core machine take several minutes.
TIMEOUT_S = 3600


def run(*, data: Path | None = None) -> dict[str, Any]:
    """The figures of ``python -m bench.load --json``, or ``{"load_skipped": reason}``."""
    if not (_ROOT / "bench" / "load.py").is_file():
        return {"load_skipped": "needs the repository checkout (bench/load.py), Playwright and "
                                "Chromium; an installed medcore has no browser bench"}
    env = dict(os.environ)
    if data is not None:
        env["MEDCORE_DATA_DIR"] = str(data)
    done = subprocess.run([sys.executable, "-m", "bench.load", "--json"], cwd=_ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"load_skipped": f"bench.load exited {done.returncode} without figures: "
                                + " | ".join(tail)}
    return json.loads(lines[-1])
