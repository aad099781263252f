"""The Explanation page computes only the open tab (fast: the sections are replaced by a
recorder, so no model is loaded)."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from medcore import registry
from tests.app.tabs import open_tab

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "explanation.py")


def test_only_the_open_tab_computes(monkeypatch):
    import ui.explanation

    drawn = []
    monkeypatch.setattr(ui.explanation, "render", lambda spec: drawn.append(spec.name))
    specs = registry.specs(page="Explanation")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == [s.section("Explanation").tab for s in specs]
    assert drawn == [specs[0].name]                         # the first tab, nothing else
    for spec in specs[1:]:
        drawn.clear()
        open_tab(at, "Explanation", spec.name).run()
        assert not at.exception, at.exception
        assert drawn == [spec.name]


def test_references_to_other_pages_name_their_real_tabs():
    fnn = registry.spec("breast_cancer_fnn")
    assert fnn.input_where() == ('score a patient on the Diagnosis page ("Breast aspirate: '
                                 'malignancy" tab)')
    assert registry.spec("pneumonia_cnn").input_where() == "upload a scan on the Upload page"
    for spec in registry.specs(page="Explanation"):
        if spec.input_page and spec.section(spec.input_page) is not None:
            assert spec.section(spec.input_page).tab in spec.input_where()
