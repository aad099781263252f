"""The background warm-up after the Home page: imports the prediction pages' modules, once, and
never TensorFlow or scikit-learn."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys, time
import ui.warmup as warmup
assert warmup.start() and not warmup.start()       # once per process
for thread in __import__('threading').enumerate():
    if thread.name == 'medcore-warmup':
        thread.join(120)
print(sorted(m for m in warmup.MODULES if m not in sys.modules),
      sorted(m for m in ('tensorflow', 'sklearn', 'shap') if m in sys.modules))
"""


def test_warmup_imports_the_prediction_pages_once_and_no_tensorflow_nor_sklearn():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                            cwd=ROOT, timeout=180, env={**__import__("os").environ,
                                                        "MEDCORE_WARMUP": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[] []"


def test_warmup_can_be_turned_off(monkeypatch):
    import ui.warmup as warmup

    monkeypatch.setenv("MEDCORE_WARMUP", "0")
    monkeypatch.setattr(warmup, "_started", False)
    assert warmup.start() is False and warmup._started is False
