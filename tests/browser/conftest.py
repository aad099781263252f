"""Fixtures for the browser tests: a running dashboard, Debian's Chromium, one page, screenshots.

The server and browser launchers live in :mod:`bench.browser` (shared with the browser figures,
``python -m bench.browser_figures``). Screenshots go to ``$MEDCORE_SCREENSHOT_DIR`` (default
``tests/browser/screenshots/``, git-ignored); with ``MEDCORE_UPDATE_DOCS_SCREENSHOTS=1`` they are
also copied to ``docs/screenshots/`` for the README.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench import browser as launcher

HERE = Path(__file__).resolve().parent
DOCS_SCREENSHOTS = launcher.ROOT / "docs" / "screenshots"
#: Tallest screenshot taken (pixels), so a very long page stays a readable image.
MAX_SHOT_HEIGHT = 2400


def screenshot_dir() -> Path:
    """Where this run's screenshots go (created on demand)."""
    folder = Path(os.environ.get("MEDCORE_SCREENSHOT_DIR") or HERE / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, or skip with the reason it is missing."""
    reason = launcher.chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launcher.launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def dashboard(chromium) -> Iterator[launcher.DashboardServer]:
    """``streamlit run dashboard.py`` on a free localhost port, stopped whatever happened."""
    with launcher.running_dashboard() as server:
        yield server


@pytest.fixture(scope="module")
def page(chromium, dashboard) -> Iterator[object]:
    """One browser tab for the whole module, so a journey keeps its Streamlit session."""
    tab = launcher.new_tab(chromium)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture(scope="session")
def shoot() -> Callable[[object, str], Path]:
    """``shoot(page, name)`` saves a full-page screenshot and prints its path."""
    folder = screenshot_dir()
    for stale in folder.glob("FAILED_*.png"):  # from an earlier run
        stale.unlink()
    copy_to_docs = os.environ.get("MEDCORE_UPDATE_DOCS_SCREENSHOTS") == "1"

    def save(tab, name: str) -> Path:
        path = folder / f"{name}.png"
        tab.mouse.move(0, 0)  # no tooltip in the picture
        # Streamlit scrolls inside its main block, so a "full page" shot would stop at the
        # viewport: grow the viewport to the page's content for the shot, then restore it.
        height = tab.evaluate(
            "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body)"
            ".scrollHeight")
        tab.set_viewport_size({"width": launcher.VIEWPORT["width"],
                               "height": int(min(max(height, launcher.VIEWPORT["height"]),
                                                 MAX_SHOT_HEIGHT))})
        tab.wait_for_timeout(500)
        try:
            tab.screenshot(path=str(path))
        finally:
            tab.set_viewport_size(launcher.VIEWPORT)
        print(f"screenshot: {path}")
        if copy_to_docs:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
        return path

    return save


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request, shoot):
    """When a browser step fails, keep a picture of what the page showed."""
    yield
    if getattr(request.node, "browser_call_failed", False) and "page" in request.fixturenames:
        try:
            tab = request.getfixturevalue("page")
            shoot(tab, f"FAILED_{request.node.name}")
            errors = launcher.page_errors(tab)
            if errors:
                server = request.getfixturevalue("dashboard")
                print(f"Streamlit exception on the page: {errors}\n"
                      f"Server log:\n{server.log_tail(80)}")
        except Exception as exc:  # noqa: BLE001 - the failure itself is what the report shows
            print(f"no failure screenshot: {exc}")
