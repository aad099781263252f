"""Open a model's tab in an AppTest: the pages run only the open tab (ui.sections), so a test of
another model's section chooses that tab first, as the clinician's click does."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from medcore import registry


def open_tab(at: AppTest, page: str, model: str) -> AppTest:
    """Select ``model``'s tab on ``page`` for the next run (before the first run or between runs);
    returns ``at`` so calls chain: ``open_tab(AppTest.from_file(PAGE), "Diagnosis", NAME).run()``."""
    at.session_state[f"{page}_tab"] = registry.spec(model).section(page).tab
    return at
