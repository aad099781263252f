"""ui.audit_trail's input fingerprint: pandas is looked up, never imported, and a pandas that
another thread is still importing (partly initialised, no DataFrame yet) does not break it."""
from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd

from ui import audit_trail


def test_frames_and_arrays_give_stable_distinct_fingerprints():
    frame = pd.DataFrame({"age": [48.0], "nodes": [11]})
    same = audit_trail._fingerprint(("prediction", frame.copy()))
    assert audit_trail._fingerprint(("prediction", frame)) == same
    assert audit_trail._fingerprint(("prediction", frame.assign(nodes=[12]))) != same
    image = np.zeros((1, 28, 28, 1), np.float32)
    assert (audit_trail._fingerprint(("prediction", image))
            != audit_trail._fingerprint(("prediction", image + 1)))


def test_a_pandas_being_imported_by_another_thread_is_not_touched(monkeypatch):
    # What a report built on click (a download) does while the page records a prediction:
    # sys.modules holds pandas before its __init__ has defined DataFrame.
    monkeypatch.setitem(sys.modules, "pandas", types.ModuleType("pandas"))
    image = np.ones((1, 28, 28, 1), np.float32)
    assert len(audit_trail._fingerprint(("prediction", "pneumonia_cnn", image))) == 64
