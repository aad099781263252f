"""The README's first command alone, in a real Chromium: no data folder, no request leaves the
machine.

The dashboard runs without ``MEDCORE_DATA_DIR`` (the PneumoniaMNIST subset shipped in
``assets/data`` gives the samples and the SHAP background). Every request the browser makes is
recorded; the test fails on any host other than the dashboard's (a hospital network without
internet must not see fonts or icons fail to load).
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from bench import browser as launcher

pytestmark = pytest.mark.browser

SLOW_MS = 120_000
#: A PneumoniaMNIST test image of the shipped subset (no data folder needed).
SAMPLE = "PneumoniaMNIST test #0"


@pytest.fixture(scope="module")
def offline_dashboard(chromium) -> Iterator[launcher.DashboardServer]:
    """The dashboard with no data folder (an empty MEDCORE_DATA_DIR is none)."""
    with launcher.running_dashboard(env={"MEDCORE_DATA_DIR": ""}) as server:
        yield server


def test_every_page_works_without_a_data_folder_and_asks_only_the_dashboard(
        chromium, offline_dashboard, shoot):
    tab = launcher.new_tab(chromium)
    requests: list[str] = []
    tab.context.on("request", lambda request: requests.append(request.url))
    try:
        tab.goto(offline_dashboard.url)
        tab.get_by_role("heading", name="medcore", exact=True).wait_for(timeout=SLOW_MS)
        launcher.wait_for_app_idle(tab, SLOW_MS)
        shoot(tab, "offline_01_home")

        result = launcher.diagnose_sample(tab, SAMPLE, SLOW_MS)
        assert result.probability.endswith("%")
        expect(tab.get_by_text("networks range").first).to_be_visible()
        shoot(tab, "offline_02_diagnosis")

        launcher.open_page(tab, "Explanation", SLOW_MS)
        panel = launcher.open_model_tab(tab, "Chest X-ray (CNN)", SLOW_MS)
        chart = panel.locator('[data-testid="stPlotlyChart"]').filter(
            has=tab.locator(".heatmaplayer")).first
        expect(chart).to_be_visible(timeout=SLOW_MS)
        assert not panel.locator('[data-testid="stAlertContainer"]').filter(
            has_text="was not found").count()
        shoot(tab, "offline_03_explanation_chest")

        launcher.open_page(tab, "Upload", SLOW_MS)
        launcher.wait_for_app_idle(tab, SLOW_MS)
        assert not launcher.page_errors(tab)
    finally:
        tab.context.close()
    own = urlsplit(offline_dashboard.url).netloc
    elsewhere = sorted({url for url in requests
                        if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                        and urlsplit(url).netloc != own})
    assert requests and not elsewhere, f"requests to other hosts: {elsewhere}"
