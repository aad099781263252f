"""AppTest of the Diagnosis page's image half (app_pages/diagnosis.py, first tab)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from medcore import RESEARCH_USE_DISCLAIMER, registry, samples
from ui import state
from tests.app.shown import shown

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "diagnosis.py")

needs_model = pytest.mark.skipif(not registry.is_available("pneumonia_cnn"),
                                 reason="pneumonia_cnn is not trained and shipped")


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.info]
    parts += [m.value for m in at.warning] + [m.value for m in at.caption]
    return shown(" ".join(parts))


@needs_model
@pytest.mark.slow       # the page's other tab (breast aspirate) loads its TensorFlow model
def test_without_a_scan_it_says_where_to_upload_one():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "Upload" in " ".join(i.value for i in at.info)
    assert not [m for m in at.metric if m.label == "P(pneumonia)"]


def _sample_names() -> list[str]:
    return samples.list_samples()


@needs_model
@pytest.mark.slow
def test_a_sample_radiograph_gets_a_probability():
    if "RG1_UNCR.dcm" not in _sample_names():
        pytest.skip("pydicom-data's RG1_UNCR.dcm is not installed")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="image_dx_source").select("RG1_UNCR.dcm").run()
    assert not at.exception
    assert not at.error or all("Pneumonia suspected" in e.value for e in at.error)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["P(pneumonia)"].endswith("%")
    assert "Ensemble spread (SD)" in metrics
    assert "Grad-CAM" in _text(at)
    # The model input's window is named: the file's 15000/30000 is kept for display only.
    assert "Model-input window: The 0.5-99.5th percentiles" in _text(at)
    assert "width 30000), used for display, was not used for the model" in _text(at)
    # The research-use disclaimer once, from the page, not again inside the image tab.
    def disclaimers(captions) -> int:
        return sum(RESEARCH_USE_DISCLAIMER in c.value for c in captions)

    assert disclaimers(at.tabs[0].caption) == 0
    assert disclaimers(at.caption) - sum(disclaimers(t.caption) for t in at.tabs[1:]) == 1


@needs_model
@pytest.mark.slow
def test_an_uploaded_ct_slice_is_flagged_as_outside_intended_use():
    if "CT_small.dcm" not in _sample_names():
        pytest.skip("pydicom's CT_small.dcm is not available")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.SCAN] = samples.load_sample("CT_small.dcm")
    at.session_state[state.SCAN_NAME] = "ct.dcm"
    at.run()
    assert not at.exception
    assert "not a chest radiograph" in " ".join(w.value for w in at.warning)
    assert "Model-input window: The scan's own window" in _text(at)
    assert any(m.label == "P(pneumonia)" for m in at.metric)


FIRST_PROBABILITY_SCRIPT = """
import json, sys
from streamlit.testing.v1 import AppTest
import ui.image_diagnosis as page

seen = []
show_result = page._show_result
def recording(*args, **kwargs):
    seen.append(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))
    return show_result(*args, **kwargs)
page._show_result = recording

at = AppTest.from_file(%r, default_timeout=300).run()
at.selectbox(key="image_dx_source").select(%r).run()
print(json.dumps({"tensorflow_when_shown": seen, "exception": bool(at.exception),
                  "tensorflow_at_the_end": "tensorflow" in sys.modules,
                  "probability": [m.value for m in at.metric if m.label == "P(pneumonia)"],
                  "grad_cam": "Grad-CAM" in " ".join(m.value for m in at.markdown)}))
"""


@needs_model
@pytest.mark.slow       # a fresh interpreter that imports TensorFlow for the map
def test_the_probability_is_drawn_before_tensorflow_is_imported():
    """In a fresh server process the probability (LiteRT) is rendered while TensorFlow is not
    imported yet; the Grad-CAM map, drawn after it, imports TensorFlow."""
    import json
    import subprocess
    import sys

    if "RG1_UNCR.dcm" not in _sample_names():
        pytest.skip("pydicom-data's RG1_UNCR.dcm is not installed")
    result = subprocess.run([sys.executable, "-c", FIRST_PROBABILITY_SCRIPT % (PAGE,
                                                                               "RG1_UNCR.dcm")],
                            capture_output=True, text=True, timeout=600,
                            cwd=Path(PAGE).parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tensorflow_when_shown"] == [False], report
    assert report["tensorflow_at_the_end"] and report["grad_cam"], report
    assert not report["exception"] and report["probability"][0].endswith("%")
