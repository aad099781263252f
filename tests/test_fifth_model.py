"""A fifth model takes one module, one registry entry and one page section, no other file.

The toy model (``tests/toy_model.py``: the module and its spec; its page section is the
Explanation page's) is registered for these tests, trained through the command line into a
temporary models folder, and found on the Home page, in the command line's list and on the
Explanation page, which explains it. The shipped models, absent from that folder, show as not
built.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from medcore import registry
from medcore.__main__ import main
from tests import toy_model
from tests.app.tabs import open_tab

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("models")
    with registry.register(toy_model.SPEC, models_dir=folder):
        assert main(["train", toy_model.NAME, "--json"]) == 0
        yield folder


def test_the_command_line_lists_trains_and_evaluates_it(toy, capsys):
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    rows = {row["model"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[toy_model.NAME] == {"model": "toy_fnn", "title": "Toy outcome from three markers",
                                    "kind": "tabular classifier", "built": True}
    assert rows["pbc_rnn"]["built"] is False              # not in the toy's models folder
    assert main(["evaluate", toy_model.NAME, "--json"]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert evaluation["n_test"] == 20 and evaluation["test"]["auc"] > 0.8
    assert registry.load_card(toy_model.NAME).evaluation == evaluation      # stored in the card


def test_the_home_page_lists_it(toy):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "- Toy outcome from three markers." in text          # on the Explanation page
    assert "Liver (PBC) prognosis updated with every visit: not available yet" in text
    assert "toy_fnn" not in text                       # code names stay in the model cards


@pytest.mark.slow       # builds a SHAP explainer
def test_the_explanation_page_offers_and_explains_it(toy):
    at = AppTest.from_file(str(ROOT / "app_pages" / "explanation.py"), default_timeout=240)
    open_tab(at, "Explanation", toy_model.NAME).run()
    assert not at.exception, at.exception
    assert "Toy markers (FNN)" in [t.label for t in at.tabs]
    assert "example_toy_fnn" in [n.key for n in at.number_input]
    text = " ".join(m.value for m in at.markdown)
    assert "The predicted probability of the toy outcome" in text
    open_tab(at, "Explanation", "pbc_rnn").run()        # only the open tab runs
    infos = " ".join(i.value for i in at.info)
    assert "The `pbc_rnn` model is not built yet" in infos
