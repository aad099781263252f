"""AppTest of the Diagnosis page's image half (app_pages/diagnosis.py, first tab)."""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from medcore import RESEARCH_USE_DISCLAIMER, registry, samples
from medcore.metrics.predictive import predictive_values
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


def _verdicts(at: AppTest) -> list[str]:
    calls = [e.value for e in at.error] + [e.value for e in at.success]
    return [c for c in calls if "Pneumonia suspected" in c or "No pneumonia found" in c]


@pytest.fixture
def no_data_folder(monkeypatch):
    """The README's first command: no MEDCORE_DATA_DIR (the shipped subset gives the samples)."""
    monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)


@needs_model
@pytest.mark.slow
def test_a_sample_radiograph_gets_a_probability_with_its_range_on_one_scale(no_data_folder):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="image_dx_source").select("PneumoniaMNIST test #0").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["P(pneumonia)"].endswith("%") and metrics["Networks range"].endswith("%")
    text = _text(at)
    percent = r"(>99|<1|\d{1,2})%"
    assert re.search(rf"Probability of pneumonia {percent} \((networks range {percent} to "
                     rf"{percent}|every network {percent})\): the 4 networks", text)
    assert "±" not in text + " ".join(metrics.values())
    assert len(_verdicts(at)) == 1
    assert "**Assessing:** CHEST - CR - PneumoniaMNIST test #0" in text
    # Who the model learnt from, in words, from the card.
    assert "**Learnt from:** Children aged 1 to 5 years" in text and "Kermany" in text
    # PPV/NPV at the test set's prevalence, then at the clinician's.
    card = registry.load_card("pneumonia_cnn")
    assert at.slider(key="image_dx_prevalence").value == round(100 * 390 / 624)
    assert "Of 100 children flagged in a setting where 62% have pneumonia, about" in text
    at.slider(key="image_dx_prevalence").set_value(20).run()
    ppv, _ = predictive_values(card.evaluation["test"]["sensitivity"],
                               card.evaluation["test"]["specificity"], 0.20)
    assert (f"Of 100 children flagged in a setting where 20% have pneumonia, about "
            f"{round(100 * ppv)} have it") in _text(at)
    assert "expected calibration error" in _text(at)
    reliability = [e for e in at.expander if e.label.startswith("Calibration on the test images")]
    assert reliability and not reliability[0].caption       # collapsed: not built until opened
    at.session_state["image_dx_reliability_open"] = True    # the clinician opens it
    at.run()
    reliability = [e for e in at.expander if e.label.startswith("Calibration on the test images")]
    assert "overstated pneumonia" in reliability[0].caption[0].value
    assert [c for c in reliability[0].get("plotly_chart")]
    # The map named, drawn on the film with an opacity control.
    assert "Map: gradient x difference from the average training radiograph" in _text(at)
    assert at.slider(key="image_dx_opacity").value == 0.6
    at.slider(key="image_dx_opacity").set_value(0.3).run()
    assert not at.exception
    # The research-use disclaimer once, from the page, not again inside the image tab.
    def disclaimers(captions) -> int:
        return sum(RESEARCH_USE_DISCLAIMER in c.value for c in captions)

    assert disclaimers(at.tabs[0].caption) == 0
    assert disclaimers(at.caption) - sum(disclaimers(t.caption) for t in at.tabs[1:]) == 1


def _assert_not_assessable(at: AppTest, reason: str) -> None:
    assert not at.exception
    assert "Not assessable by this model" in [s.value for s in at.subheader]
    assert reason in _text(at)
    assert not _verdicts(at), "a verdict beside 'Not assessable'"
    assert not [m for m in at.metric if m.label in ("P(pneumonia)", "Networks range")]
    details = [e for e in at.expander if "meaningless" in e.label]
    assert details and "says nothing about pneumonia" in shown(
        " ".join(c.value for c in details[0].caption))
    assert "Map: gradient x difference" not in _text(at)            # no map of a meaningless output


@needs_model
@pytest.mark.slow
@pytest.mark.parametrize("name, reason", [
    ("CT_small.dcm", "The file's modality is CT (computed tomography), not a radiograph"),
    ("693_UNCR.dcm", "The file's modality is CT (computed tomography), not a radiograph"),
    ("MR2_UNCR.dcm", "The file's modality is MR (magnetic resonance), not a radiograph"),
])
def test_an_uploaded_ct_or_mr_is_not_assessable(name, reason):
    if name not in _sample_names():
        pytest.skip(f"{name} is not installed (pip install pydicom-data)")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.SCAN] = samples.load_sample(name)
    at.session_state[state.SCAN_NAME] = name
    at.run()
    _assert_not_assessable(at, reason)
    assert f"**Assessing:** " in _text(at) and name in _text(at)


@needs_model
@pytest.mark.slow
def test_a_colour_png_is_not_assessable():
    from PIL import Image

    from medcore.imaging import load_scan

    gradient = np.zeros((64, 64, 3), np.uint8)
    gradient[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
    gradient[..., 2] = np.linspace(255, 0, 64, dtype=np.uint8)[:, None]
    buffer = io.BytesIO()
    Image.fromarray(gradient).save(buffer, format="PNG")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.SCAN] = load_scan(buffer.getvalue(), filename="photo.png")
    at.session_state[state.SCAN_NAME] = "photo.png"
    at.run()
    _assert_not_assessable(at, "This is a colour image (a photograph or a colour-coded "
                               "picture), not a grey-scale radiograph")


@needs_model
@pytest.mark.slow
def test_the_adult_radiograph_gets_the_adult_warning():
    if "RG1_UNCR.dcm" not in _sample_names():
        pytest.skip("pydicom-data's RG1_UNCR.dcm is not installed")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="image_dx_source").select("RG1_UNCR.dcm").run()
    assert not at.exception
    text = _text(at)
    assert "This patient is an adult (the file's age fields give 18 years or more): the model " \
           "learnt only from children aged 1 to 5 years" in text
    # The model input's window is named: the file's 15000/30000 is kept for display only.
    assert "Model-input window: The 0.5-99.5th percentiles" in text
    assert "width 30000), used for display, was not used for the model" in text


@needs_model
@pytest.mark.slow
def test_the_multi_frame_sample_shows_the_slice_slider():
    if "emri_small.dcm" not in _sample_names():
        pytest.skip("pydicom-data's emri_small.dcm is not installed")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="image_dx_source").select("emri_small.dcm").run()
    assert not at.exception
    sliders = [s for s in at.slider if s.label.endswith("(of 10)")]
    assert len(sliders) == 1 and sliders[0].value == 6             # the middle frame, 1-based
    sliders[0].set_value(2).run()
    assert not at.exception and "frame 2 of 10" in _text(at)
    _assert_not_assessable(at, "The file's modality is MR (magnetic resonance)")


FIRST_PROBABILITY_SCRIPT = """
import json, sys
from streamlit.testing.v1 import AppTest
import ui.image_diagnosis as page

seen = []
show_result = page._result
def recording(*args, **kwargs):
    seen.append(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))
    return show_result(*args, **kwargs)
page._result = recording

at = AppTest.from_file(%r, default_timeout=300).run()
at.selectbox(key="image_dx_source").select(%r).run()
print(json.dumps({"tensorflow_when_shown": seen, "exception": bool(at.exception),
                  "tensorflow_at_the_end": "tensorflow" in sys.modules,
                  "sklearn_at_the_end": "sklearn" in sys.modules,
                  "pandas_at_the_end": "pandas" in sys.modules,
                  "pydicom_at_the_end": "pydicom" in sys.modules,
                  "probability": [m.value for m in at.metric if m.label == "P(pneumonia)"],
                  "map": "Map: gradient x difference" in " ".join(c.value for c in at.caption)}))
"""


@needs_model
def test_the_diagnosis_page_never_imports_tensorflow():
    """In a fresh server process the probability and the map are both drawn by LiteRT
    (``pneumonia_cnn.tflite``, ``pneumonia_cnn.map.tflite``): TensorFlow is imported neither
    when the probability is shown nor by the end of the run, map included."""
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FIRST_PROBABILITY_SCRIPT % (
                                PAGE, "PneumoniaMNIST test #0")],
                            capture_output=True, text=True, timeout=600,
                            cwd=Path(PAGE).parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tensorflow_when_shown"] == [False], report
    assert not report["tensorflow_at_the_end"] and report["map"], report
    # nor scikit-learn (seconds of imports), which only the breast tab's curves need, nor
    # pandas (0.6 s) or pydicom (0.4 s, the list of samples once asked it): a radiograph
    # sample needs neither, and the first diagnosis of a fresh server waited for both
    assert not report["sklearn_at_the_end"], report
    assert not report["pandas_at_the_end"] and not report["pydicom_at_the_end"], report
    assert not report["exception"] and report["probability"][0].endswith("%")


@pytest.mark.parametrize("shape", [(28, 28), (2000, 1000), (300, 500, 3)])
def test_each_panel_is_a_png_at_its_shown_size_that_streamlit_passes_on(monkeypatch, shape):
    """``st.image`` resizes a picture wider than its ``width`` (bilinear) and re-encodes it as a
    JPEG; the panels are drawn at their own size so that the PNG reaches the browser as made:
    lossless, ``PANEL_HEIGHT`` high, a small frame's pixels as sharp squares."""
    import io

    from PIL import Image
    from streamlit.elements.lib.image_utils import _ensure_image_size_and_format
    from streamlit.elements.lib.layout_utils import LayoutConfig

    import ui.image_diagnosis as page

    shown = []
    monkeypatch.setattr(page.st, "image", lambda data, **kwargs: shown.append((data, kwargs)))
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, size=shape, dtype=np.uint8)
    page._picture(frame, overlay=rng.normal(size=(28, 28)), overlay_opacity=0.5)
    (data, kwargs), = shown
    picture = Image.open(io.BytesIO(data))
    width = round(page.PANEL_HEIGHT * shape[1] / shape[0])
    assert picture.format == "PNG" and picture.size == (width, page.PANEL_HEIGHT)
    assert kwargs == {"width": width, "output_format": "PNG"}
    assert _ensure_image_size_and_format(data, LayoutConfig(width=width), "PNG") is data
    if shape == (28, 28):                       # each of the 28 x 28 pixels: one flat square
        pixels = np.asarray(picture)
        cell = pixels[:page.PANEL_HEIGHT // 28, :page.PANEL_HEIGHT // 28]
        assert (cell == cell[0, 0]).all()
