"""After the Home page has been drawn: import, in a background thread, what the prediction pages
import, so a clinician's first click on Upload, Diagnosis or Survival does not wait for numpy,
pandas, pydicom, plotly and the model modules (a few seconds on a fresh server).

Once per server process; never TensorFlow or scikit-learn (the Explanation page and the breast
tab's test-set curves load those on first use). ``MEDCORE_WARMUP=0`` turns it off. An import that
fails here is left for the page to report when it is opened.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading

#: What the Upload, Diagnosis (chest tab) and Survival pages import, heaviest first.
MODULES = ("pandas", "plotly.graph_objects", "pydicom", "ui.image_diagnosis",
           "ui.survival_static", "ui.survival_dynamic", "ui.scan_upload", "ui.records_upload")

_LOGGER = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False


def start() -> bool:
    """Start the warm-up thread unless it has run in this process or is turned off; True when
    started now."""
    global _started
    if os.environ.get("MEDCORE_WARMUP", "1") == "0":
        return False
    with _lock:
        if _started:
            return False
        _started = True
    threading.Thread(target=_warm, name="medcore-warmup", daemon=True).start()
    return True


def _warm() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:   # noqa: BLE001 - the page reports it when it is opened
            _LOGGER.warning("warm-up import of %s failed: %s", name, type(exc).__name__)
    try:
        from medcore import samples

        samples.list_samples()                  # pydicom's search of its data folders
    except Exception as exc:   # noqa: BLE001
        _LOGGER.warning("warm-up listing of samples failed: %s", type(exc).__name__)
