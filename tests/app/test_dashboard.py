"""AppTest of the entry point: the home page renders, says what a clinician can do on each
page and names every model in words."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from medcore import registry

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


def test_home_page_lists_pages_and_models():
    at = AppTest.from_file(DASHBOARD, default_timeout=30).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for spec in registry.specs():           # in words; code names stay in the model cards
        assert spec.title in text and spec.name not in text
    assert "**Have a child's chest X-ray, or a breast aspirate's measurements?**" in text
    assert [s.value for s in at.subheader] == ["Upload", "Diagnosis", "Survival", "Explanation"]


def _last_line_of_a_fresh_interpreter(code: str) -> str:
    """Run ``code`` in a new Python (this one may have imported anything already) from the
    checkout's root; its last printed line."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(DASHBOARD).parent, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_home_page_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({DASHBOARD!r}, default_timeout=30).run()\n"
        "assert not at.exception, at.exception\n"
        "print('tensorflow' in sys.modules)\n"
    )
    assert _last_line_of_a_fresh_interpreter(code) == "False"


def test_home_page_modules_import_neither_numpy_nor_pandas():
    # Streamlit 1.67 imports neither by itself, so a module on the Home page's path that does
    # (ui.audit_trail did, through ui.auth) adds seconds to a fresh server's first page.
    code = (
        "import sys\n"
        "import streamlit\n"
        "import ui.auth, ui.home, medcore.registry\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules))\n"
    )
    assert _last_line_of_a_fresh_interpreter(code) == "[]"
