"""A clinician's journey through the dashboard in a real Chromium, one step per test.

The steps share one browser tab (and so one Streamlit session) and run in file order. Each step
saves a screenshot (see ``conftest.py``) and checks that no page shows a Streamlit exception.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench import browser as launcher
from medcore.schemas import ROTTERDAM

pytestmark = pytest.mark.browser

#: The chest radiograph sample (the PneumoniaMNIST subset in assets/data) explained on the
#: Explanation page.
CHEST_CR = "PneumoniaMNIST test #1"
#: Generous: the first model page imports TensorFlow (10-20 s on a busy 2-core machine).
SLOW_MS = 90_000


def assert_no_exception(page, server: launcher.DashboardServer) -> None:
    """No Streamlit exception box and no traceback on the page (else: the server's log)."""
    launcher.wait_for_app_idle(page, SLOW_MS)
    errors = launcher.page_errors(page)
    body = page.locator("body").inner_text()
    assert not errors and "Traceback (most recent call last)" not in body, (
        f"Streamlit exception on the page: {errors}\nServer log:\n{server.log_tail(80)}")


def test_home_page_lists_the_pages_without_loading_tensorflow(page, dashboard, shoot):
    page.goto(dashboard.url)
    page.get_by_role("heading", name="medcore", exact=True).wait_for()
    for title in ("Upload", "Diagnosis", "Survival", "Explanation"):
        page.get_by_role("heading", name=title, exact=True).first.wait_for()
    assert_no_exception(page, dashboard)
    assert not launcher.tensorflow_loaded(dashboard.process.pid), \
        "the home page must not load TensorFlow"
    shoot(page, "01_home")


def ct_slice() -> Path:
    """A real CT slice: the 512 x 512 ``693_UNCR.dcm`` (pydicom-data), else pydicom's own."""
    from pydicom.data import get_testdata_file

    try:
        path = get_testdata_file("693_UNCR.dcm", download=False)
    except Exception:  # noqa: BLE001 - pydicom-data absent or its index unreadable
        path = None
    return Path(path or get_testdata_file("CT_small.dcm"))


def current_scan_heading(page, name: str):
    """The Upload page's heading naming the scan (series description - modality - file)."""
    return page.get_by_role("heading", name=re.compile(rf"^Current scan: .*{re.escape(name)}$"))


def test_upload_shows_a_ct_and_changes_its_window(page, dashboard, shoot):
    ct = ct_slice()
    launcher.open_page(page, "Upload")
    launcher.upload_files(page, "DICOM files", str(ct))
    current_scan_heading(page, ct.name).wait_for(timeout=SLOW_MS)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    assert_no_exception(page, dashboard)
    shoot(page, "02_upload_ct")

    center = page.locator('[data-testid="stSlider"]').filter(has_text="Window center")
    before = center.locator('[data-testid="stSliderThumbValue"]').inner_text()
    launcher.choose_option(page, "Window preset", "Lung")
    expect(center.locator('[data-testid="stSliderThumbValue"]')).to_have_text(
        re.compile(r"^-600(\.0+)?$"), timeout=SLOW_MS)
    assert before != "-600"
    expect(page.get_by_role("combobox", name="Window preset", exact=True)).to_have_value("Lung")
    assert_no_exception(page, dashboard)
    shoot(page, "03_upload_ct_lung_window")


def test_junk_upload_shows_an_error_and_keeps_the_ct(page, dashboard, shoot):
    ct = ct_slice()
    # Added beside the CT, the junk is skipped and listed; the CT stays the current scan.
    launcher.act_and_wait(page, lambda: launcher.upload_files(page, "DICOM files", [
        {"name": "junk.dcm", "mimeType": "application/dicom", "buffer": b"not a scan " * 50}]),
        SLOW_MS)
    expect(page.get_by_text("Skipped 1 file", exact=True)).to_be_visible(timeout=SLOW_MS)
    expect(current_scan_heading(page, ct.name)).to_be_visible()
    # The CT taken out of the uploader: nothing usable is left, an error, and the CT stays.
    chip = page.locator('[data-testid="stFileChip"]').filter(has_text=ct.name)
    launcher.act_and_wait(page, chip.locator('[data-testid="stFileChipDeleteBtn"]').click,
                          SLOW_MS)
    error = page.locator('[data-testid="stAlertContainer"]').filter(has_text="junk.dcm")
    expect(error).to_contain_text("expected a DICOM file", timeout=SLOW_MS)
    expect(current_scan_heading(page, ct.name)).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    assert_no_exception(page, dashboard)
    shoot(page, "04_upload_junk_error")
    assert not launcher.tensorflow_loaded(dashboard.process.pid), \
        "the Upload page must not load TensorFlow"


def test_diagnosis_reads_a_probability_for_a_sample_radiograph(page, dashboard, shoot):
    result = launcher.diagnose_sample(page, launcher.diagnosis_samples()[0], SLOW_MS)
    shown = result.probability
    match = re.fullmatch(r"[<>]?(\d{1,3})%", shown)
    assert match and 0 <= int(match.group(1)) <= 100, f"not a probability: {shown!r}"
    page.get_by_text("Operating threshold").first.wait_for()
    assert_no_exception(page, dashboard)
    print(f"first diagnosis (in the journey): {result.total_s:.1f} s, P(pneumonia) = {shown}")
    shoot(page, "05_diagnosis_radiograph")


def open_tab(page, name: str):
    """Click a Streamlit tab and return its (now visible) panel, its section run."""
    panel = launcher.open_model_tab(page, name, SLOW_MS)
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
    return panel


def test_survival_form_gives_a_curve_and_the_5_year_figure(page, dashboard, shoot):
    launcher.open_page(page, "Survival", SLOW_MS)
    panel = open_tab(page, "Breast cancer: recurrence-free survival")
    for column, value in (("age", "62"), ("nodes", "6")):
        label = ROTTERDAM.column(column).display_label  # what the form shows
        panel.get_by_role("spinbutton", name=label, exact=True).fill(value)
    submit = panel.get_by_role("button", name="Predict survival")
    launcher.act_and_wait(page, submit.click, SLOW_MS)
    five_years = launcher.metric_value(page, "Recurrence-free at 5 years", SLOW_MS)
    assert re.fullmatch(r"[<>]?\d{1,3}%", five_years), f"not a percentage: {five_years!r}"
    curve = panel.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".scatterlayer .trace")).first
    expect(curve).to_be_visible(timeout=SLOW_MS)
    assert_no_exception(page, dashboard)
    print(f"recurrence-free at 5 years: {five_years}")
    shoot(page, "06_survival_curve")


def test_explanation_shows_a_waterfall(page, dashboard, shoot):
    launcher.open_page(page, "Explanation", SLOW_MS)
    panel = open_tab(page, "Breast aspirate (FNN)")
    expect(panel.locator(".waterfalllayer .point").first).to_be_visible(timeout=SLOW_MS)
    assert_no_exception(page, dashboard)
    shoot(page, "07_explanation_waterfall")


def test_explanation_shows_an_image_overlay(page, dashboard, shoot):
    # A clinician explains a chest radiograph: make a PneumoniaMNIST sample (shipped in
    # assets/data) the current scan first. (The adult film RG1_UNCR.dcm is not assessable.)
    launcher.open_page(page, "Upload")
    scan_source = page.locator('[data-testid="stRadio"]').filter(has_text="Scan source")
    launcher.act_and_wait(page, scan_source.get_by_text("Try a sample", exact=True).click)
    launcher.act_and_wait(page, lambda: launcher.choose_option(page, "Sample scan", CHEST_CR),
                          SLOW_MS)
    current_scan_heading(page, CHEST_CR).wait_for(timeout=SLOW_MS)
    launcher.open_page(page, "Explanation", SLOW_MS)
    panel = open_tab(page, "Chest X-ray (CNN)")
    expect(panel.get_by_text("Explaining the input from the Upload page")).to_be_visible()
    chart = panel.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".heatmaplayer")).first
    expect(chart).to_be_visible(timeout=SLOW_MS)
    # The film itself (an image) and the attribution map on top of the square the model read.
    expect(chart.locator(".heatmaplayer .hm")).to_have_count(1, timeout=SLOW_MS)
    expect(panel.get_by_text("SHAP on the film")).to_be_visible()
    assert_no_exception(page, dashboard)
    shoot(page, "08_explanation_image_overlay")
