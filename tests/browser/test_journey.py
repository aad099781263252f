"""A clinician's journey through the dashboard in a real Chromium, one step per test.

The steps share one browser tab (and so one Streamlit session) and run in file order. Each step
saves a screenshot (see ``conftest.py``) and checks that no page shows a Streamlit exception.
"""
from __future__ import annotations

import pytest

from medcore.benchmarks import browser as launcher

pytestmark = pytest.mark.browser

#: Generous: the first model page imports TensorFlow (10-20 s on a busy 2-core machine).
SLOW_MS = 90_000


def assert_no_exception(page) -> None:
    launcher.wait_for_app_idle(page, SLOW_MS)
    errors = launcher.page_errors(page)
    assert not errors, f"Streamlit exception on the page: {errors}"
    body = page.locator("body").inner_text()
    assert "Traceback (most recent call last)" not in body


def test_home_page_lists_the_pages_without_loading_tensorflow(page, dashboard, shoot):
    page.goto(dashboard.url)
    page.get_by_role("heading", name="medcore", exact=True).wait_for()
    for title in ("Upload", "Diagnosis", "Survival", "Explanation"):
        page.get_by_role("heading", name=title, exact=True).first.wait_for()
    assert_no_exception(page)
    assert not launcher.tensorflow_loaded(dashboard.process.pid), \
        "the home page must not load TensorFlow"
    shoot(page, "01_home")
