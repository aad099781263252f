"""The patient report in a real Chromium: "Download report (PDF)" on the Diagnosis page gives
a PDF stating the probability the page shows; the HTML report draws its figures offline."""
from __future__ import annotations

import io
import re

import pytest

from bench import browser as launcher
from medcore import RESEARCH_USE_DISCLAIMER

pytestmark = pytest.mark.browser

SLOW_MS = 180_000


@pytest.fixture()
def tab(chromium, dashboard):
    page = launcher.new_tab(chromium, SLOW_MS)
    try:
        yield page
    finally:
        page.context.close()


def test_diagnosis_download_report_gives_a_pdf(tab, dashboard, shoot):
    from pypdf import PdfReader

    sample = launcher.diagnosis_samples()[0]
    tab.goto(dashboard.url)
    tab.get_by_role("heading", name="medcore", exact=True).wait_for()
    shown = launcher.diagnose_sample(tab, sample, SLOW_MS).probability
    launcher.wait_for_app_idle(tab, SLOW_MS)
    button = tab.get_by_role("button", name=re.compile("Download report \\(PDF\\)"))
    button.scroll_into_view_if_needed()
    shoot(tab, "report_download_diagnosis")
    with tab.expect_download(timeout=SLOW_MS) as started:
        button.click()
    download = started.value
    assert download.suggested_filename.endswith(".pdf")
    data = open(download.path(), "rb").read()
    assert data.startswith(b"%PDF"), data[:200]
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
                    .split())
    assert " ".join(RESEARCH_USE_DISCLAIMER.split()) in text
    assert f"P(pneumonia) {shown}" in text, (shown, text[:1500])
    assert not launcher.page_errors(tab)


def test_html_report_draws_its_figures_offline(chromium, tmp_path, shoot):
    from medcore.datasets.rotterdam_gbsg import load_gbsg
    from medcore.report import build_report, write_report

    report = build_report("breast_cancer_deepsurv", load_gbsg().iloc[[7]], explain=False)
    path = write_report(report, tmp_path / "report.html")
    context = chromium.new_context(offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-figures-drawn='true']", timeout=60_000)
        assert page.locator("div.report-figure .main-svg").count() >= len(report.figures)
        shoot(page, "report_html_offline")
    finally:
        context.close()
    assert all(url.startswith(("file:", "data:", "blob:")) for url in requests), requests
