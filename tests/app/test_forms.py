"""AppTest of ui.forms.schema_form: defaults, submit, validation error, training-range warning."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from medcore.schemas import WDBC
from tests.app.shown import shown


def _app(schema_name: str, ranges: dict | None = None, defaults: dict | None = None) -> AppTest:
    def script(schema_name, ranges, defaults):
        import streamlit as st

        from medcore.records import example_values
        from medcore.schemas import SCHEMAS
        from ui.forms import schema_form

        schema = SCHEMAS[schema_name]
        values = schema_form(schema, defaults=defaults or example_values(schema),
                             training_ranges=ranges, key_prefix="t")
        if values is not None:
            st.session_state["values"] = values

    return AppTest.from_function(script, args=(schema_name, ranges, defaults), default_timeout=30)


def test_wdbc_form_has_three_tabs_and_returns_defaults():
    at = _app("wdbc").run()
    assert not at.exception
    assert [t.label for t in at.tabs] == list(WDBC.groups)
    assert [t.label for t in at.tabs][0] == "Mean"
    assert len(at.number_input) == 30
    assert at.number_input(key="t_mean radius").label == "Radius (px)"       # the tab says mean
    assert at.number_input(key="t_worst smoothness").label == "Smoothness"
    assert "CSV column: `mean radius`." in at.number_input(key="t_mean radius").help
    at.button(key="t_submit").click().run()
    assert not at.exception
    values = at.session_state["values"]
    assert list(values) == WDBC.feature_names
    assert values["mean radius"] == 13.37


def test_rotterdam_form_flags_training_range_and_maps_types():
    at = _app("rotterdam", ranges={"age": (21, 80), "nodes": (1, 51)}).run()
    at.number_input(key="t_age").set_value(90.0)
    at.checkbox(key="t_hormon").check()
    at.button(key="t_submit").click().run()
    assert not at.exception and not at.error
    assert at.checkbox(key="t_hormon").label == "Hormone therapy"
    assert at.checkbox(key="t_meno").label == "Post-menopausal"
    assert at.number_input(key="t_pgr").label == "Progesterone receptor (fmol/l)"
    assert at.number_input(key="t_nodes").label == "Positive lymph nodes"
    assert at.selectbox(key="t_size").label == "Tumour size (mm)"
    assert any("Age at surgery (years) = 90 is above the training range 21 to 80" in shown(w.value)
               for w in at.warning)
    values = at.session_state["values"]
    assert values["hormon"] == 1 and values["size"] == "20-50" and values["age"] == 90.0


def test_missing_required_value_shows_error_and_returns_none():
    at = _app("pbc_visits", defaults={"bili": None}).run()
    assert not at.exception
    at.button(key="t_submit").click().run()
    assert not at.exception
    assert at.error and "Serum bilirubin (mg/dl): no value" in shown(at.error[0].value)
    assert "values" not in at.session_state
    # allow_missing binaries are selectboxes with "unknown"; edema offers its three levels only
    assert at.selectbox(key="t_edema").options == ["0.0", "0.5", "1.0"]


def test_card_style_ranges_in_help_and_warnings():
    ranges = {"age": {"min": 21.0, "max": 80.0, "median": 53.0}, "size": {"min": 0, "max": 2}}
    at = _app("rotterdam", ranges=ranges).run()
    assert "The model was trained on 21 to 80." in at.number_input(key="t_age").help
    at.number_input(key="t_age").set_value(19.0)
    at.button(key="t_submit").click().run()
    assert not at.exception and not at.error
    assert [shown(w.value) for w in at.warning] == [
        "Age at surgery (years) = 19 is below the training range 21 to 80: the model saw no "
        "such patients, so treat its output with extra caution"]


def test_impossible_default_starts_empty_instead_of_raising():
    at = _app("rotterdam", defaults={"age": 300.0, "nodes": "many"}).run()
    assert not at.exception
    assert at.number_input(key="t_age").value is None
    at.button(key="t_submit").click().run()
    assert not at.exception
    assert "Age at surgery (years): no value; expected one" in shown(at.error[0].value)


def test_explicit_groups_become_tabs_and_ungrouped_columns_go_to_other():
    def script():
        import streamlit as st

        from medcore.records import example_values
        from medcore.schemas import PBC_VISITS
        from ui.forms import schema_form

        values = schema_form(PBC_VISITS, defaults=example_values(PBC_VISITS), key_prefix="p",
                             groups={"labs": ("bili", "albumin", "protime")}, columns=2)
        if values is not None:
            st.session_state["values"] = values

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["labs", "Other"]
    assert at.number_input(key="p_bili").label == "Serum bilirubin (mg/dl)"
    assert at.number_input(key="p_ast").label == "Aspartate aminotransferase (U/ml)"
    at.selectbox(key="p_ascites").set_value("unknown")
    at.button(key="p_submit").click().run()
    values = at.session_state["values"]
    assert values["ascites"] is None and values["bili"] == 1.4 and values["sex"] == "f"
