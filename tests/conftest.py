"""Shared fixtures. Keras is seeded for every test that imports it."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_finish(session):
    """Move what collection imported (TensorFlow, pandas, Streamlit: millions of long-lived
    objects) out of the garbage collector's sight: its full collections otherwise rescan them
    again and again while the tests run (every AppTest run allocates enough to trigger one),
    which tripled the fast lane's time once TensorFlow was imported. ``gc.collect()`` first, so
    nothing frozen is garbage. The young generation is also collected less often (every 50,000
    allocations instead of 700): a Streamlit script run allocates hundreds of thousands of
    short-lived objects (about 5% off the fast lane)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@pytest.fixture(autouse=True)
def _seed_keras():
    """Seed Keras, NumPy and Python when Keras is already imported (never import it here)."""
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(0)
    yield


@pytest.fixture(autouse=True, scope="session")
def _one_streamlit_component_discovery():
    """Every new ``AppTest`` discovers the installed Streamlit components by scanning every
    installed distribution (about 0.5 s of CPU and 1.2 s here, where TensorFlow and friends are
    installed): one discovery serves the whole session instead (the dashboard has no custom
    component, so each discovery finds the same nothing)."""
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1.app_test import AppTest

    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    original = AppTest.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._bidi_component_manager = manager

    AppTest.__init__ = init
    yield
    AppTest.__init__ = original


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``$MEDCORE_DATA_DIR``, or skip: tests on PneumoniaMNIST need the data file."""
    value = os.environ.get("MEDCORE_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("MEDCORE_DATA_DIR is not set to a folder holding pneumoniamnist.npz "
                    "(get it from the MedMNIST project)")
    return Path(value)


def pneumoniamnist_file(data_dir: Path) -> Path:
    path = data_dir / "pneumoniamnist.npz"
    if not path.is_file():
        pytest.skip(f"{path} is absent (get it from the MedMNIST project)")
    return path


def minimal_card(**sections) -> dict:
    """A complete card (JSON form, as ``registry.save_model`` takes it) for a model built in a
    test: every required section present, with placeholder words; ``sections`` replace some."""
    card = {
        "model_details": {"summary": "a model built in a test", "seed": 0,
                          "training_time_s": 0.0, "custom_objects_module": None},
        "intended_use": {"primary_uses": "tests", "out_of_scope_uses": "everything else"},
        "factors": {"population": "synthetic rows made by the test"},
        "metrics": {"measures": [], "intervals": "none"},
        "evaluation_data": {"description": "none"},
        "training_data": {"description": "synthetic"},
        "quantitative_analyses": {},
        "caveats": "test only",
        "input_contract": {"description": "test input", "output": "test output"},
    }
    for name, value in sections.items():
        card[name] = ({**card[name], **value} if isinstance(card.get(name), dict)
                      and isinstance(value, dict) and name != "quantitative_analyses" else value)
    return card
