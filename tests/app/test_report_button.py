"""AppTest: the Survival page offers "Download report" (PDF and HTML) for the patient on screen
once a prediction is shown, and nothing before; the PDF button is disabled, saying what to
install, exactly when no Chromium is found."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.report import pdf_unavailable_reason

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "survival.py")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not registry.is_available("breast_cancer_deepsurv"),
                                 reason="breast_cancer_deepsurv is not trained yet")]


def _report_buttons(at: AppTest) -> dict[str, object]:
    return {b.proto.label: b.proto for b in at.get("download_button")
            if b.proto.label.startswith("Download report")}


def test_report_buttons_follow_the_prediction():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    assert "rfs_report_pdf" not in str([b.proto.id for b in at.get("download_button")])
    at.button(key="rfs_submit").click()
    at.run()
    assert not at.exception
    buttons = _report_buttons(at)
    assert {"Download report (PDF)", "Download report (HTML)"} <= set(buttons)
    reason = pdf_unavailable_reason()
    assert buttons["Download report (PDF)"].disabled == (reason is not None)
    assert not buttons["Download report (HTML)"].disabled
