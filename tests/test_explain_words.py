"""describe_in_words: wording, units, signs, for each output kind (no TensorFlow needed)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from medcore import registry
from medcore.explain import Explanation, describe_in_words, describe_value
from medcore.explain.core import residual_of

ROTTERDAM_NAMES = ("hormon", "age", "meno", "size", "grade", "nodes", "pgr", "er")


def _tabular(attributions, values, unit, output_name, base=0.0, names=ROTTERDAM_NAMES):
    attributions = np.asarray(attributions, dtype=float)
    output = base + attributions.sum()
    return Explanation(attributions=attributions, base_value=base, output=output,
                       feature_names=names, values=np.asarray(values, dtype=float),
                       method="test", kind="tabular", output_name=output_name,
                       output_unit=unit, residual=residual_of(output, base, attributions))


def test_log_risk_sentence_names_nodes_receptor_and_hormone_therapy():
    e = _tabular([-0.15, 0.02, 0.0, 0.05, 0.03, 0.41, 0.22, 0.01],
                 [1, 52, 1, 1, 2, 12, 3, 40], "log-risk", "log-risk")
    text = describe_in_words(e, top=3)
    assert text.startswith("The predicted log-risk is 0.59, compared with 0.00 for the average "
                           "training patient. Hormone therapy lowers the estimate by 0.15; 12 "
                           "positive lymph nodes raise the estimate by 0.41 and progesterone "
                           "receptor 3 fmol/l by 0.22.")
    assert "log hazard ratio" in text and "not causes" in text


def test_survival_sentence_is_in_percentage_points_and_signs_follow_survival():
    # Negative SHAP on survival = lower survival: nodes push the survival down.
    e = _tabular([0.03, 0.0, 0.0, -0.01, -0.02, -0.09, -0.04, 0.0],
                 [1, 52, 1, 2, 3, 12, 3, 40], "survival probability",
                 "5-year recurrence-free survival", base=0.72)
    text = describe_in_words(e, top=3)
    assert text.startswith("The predicted 5-year recurrence-free survival is 59%, compared with "
                           "72% for the average training patient. 12 positive lymph nodes "
                           "lower the estimate by 9.0 pp and progesterone receptor 3 fmol/l by "
                           "4.0 pp; hormone therapy raises the estimate by 3.0 pp.")
    assert "percentage points" in text


def test_probability_sentence_for_wisconsin_features():
    names = ("worst area", "mean texture", "worst concave points")
    e = _tabular([0.30, -0.05, 0.20], [1800, 14.2, 0.21], "probability",
                 "probability of malignancy", base=0.37, names=names)
    text = describe_in_words(e, top=3)
    assert "probability of malignancy is 82%, compared with 37% for the average" in text
    assert "worst area 1,800 px² raises the estimate by 30 pp" in text
    assert "Mean texture 14.2 grey levels lowers the estimate by 5.0 pp" in text


def test_lower_than_average_and_top_limits_the_names():
    names = ("bili", "albumin", "protime", "ast")
    e = _tabular([-0.2, -0.1, 0.05, -0.01], [0.8, 4.1, 10.2, 60], "log-risk", "log-risk",
                 names=names)
    text = describe_in_words(e, top=2)
    assert "Serum bilirubin 0.8 mg/dl lowers the estimate by 0.20" in text
    assert "aspartate" not in text                 # top 2, and the largest one the other way
    assert "prothrombin time 10.2 s raises the estimate by 0.05" in text
    with pytest.raises(ValueError, match="top must be at least 1"):
        describe_in_words(e, top=0)


def test_describe_value_units_and_binaries():
    assert describe_value("hormon", 0) == "no hormone therapy"
    assert describe_value("nodes", 3) == "3 positive lymph nodes"
    assert describe_value("size", 2) == "tumour size >50 mm"
    assert describe_value("age", 61.0) == "age at surgery 61 years"
    assert describe_value("mean smoothness", 0.1) == "mean smoothness 0.1"
    assert describe_value("unknown feature", 2.5) == "unknown feature 2.5"


def test_shap_sequence_sentence_sums_over_visits_and_the_check_reports_it():
    """SHAP over visits x biomarkers (not what the page shows any more): the sum over visits of
    a bilirubin that rose is credited with a higher survival; the direction check reports it."""
    from medcore.explain.directions import contradictions
    from medcore.explain.words import explain_target, named_claims

    names = ("bili", "albumin")
    attributions = np.array([[0.05, 0.0], [0.02, 0.01], [-0.20, 0.01], [0.0, 0.0]])
    values = np.array([[0.3, 3.5], [0.9, 3.5], [5.4, 3.4], [0.0, 0.0]])
    output = 0.5 + attributions.sum()
    e = Explanation(attributions=attributions, base_value=0.5, output=output,
                    feature_names=names, values=values, method="test", kind="sequence",
                    output_name="probability of being alive 5 years after the last visit",
                    output_unit="survival probability",
                    residual=residual_of(output, 0.5, attributions),
                    extras={"visit_mask": np.array([True, True, True, False]),
                            "visit_years": np.array([0.0, 1.0, 2.5, 0.0])})
    text = describe_in_words(e, top=2)
    assert "Serum bilirubin from 0.3 to 5.4 mg/dl lowers the estimate by 13 pp" in text
    assert "Of the 3 visits, visit 3 of 3 (at 2.5 years) weighed most (-19 pp)" in text
    rising = replace(e, attributions=np.array([[0.15, 0.0], [0.05, 0.01], [-0.06, 0.01],
                                               [0.0, 0.0]]), model_name="pbc_rnn")
    found = contradictions(registry.spec("pbc_rnn"), explain_target(rising),
                           named_claims(rising))
    assert [c.claim.text for c in found] == ["serum bilirubin from 0.3 to 5.4 mg/dl",
                                             "serum albumin from 3.5 to 3.4 g/dl"]
    assert "against what is known" in describe_in_words(rising)


def test_clinical_titles_never_raw_column_names():
    assert describe_value("alk.phos", 1072) == "alkaline phosphatase 1,072 U/l"
    assert describe_value("ast", 107) == "aspartate aminotransferase 107 U/ml"
    assert describe_value("radius error", 0.3) == "radius SE 0.3 px"
    pbc_rnn = registry.spec("pbc_rnn")                  # its own coding and derived inputs
    assert describe_value("sex", 1, spec=pbc_rnn) == "male sex"
    assert describe_value("years_since_first_visit", 5.2, first=0.0, spec=pbc_rnn) == (
        "time since the first visit from 0 to 5.2 years")


def test_pbc_age_is_age_at_first_visit_not_at_surgery():
    names = ("years_since_first_visit", "age", "bili")
    e = _tabular([0.3, 0.2, 0.1], [1.0, 61.0, 2.0], "log-risk", "log-risk", names=names)
    text = describe_in_words(e, top=3)
    assert "age at first visit 61 years by 0.20" in text and "surgery" not in text
    assert describe_value("age", 61.0) == "age at surgery 61 years"      # Rotterdam by default


def test_feature_label():
    from medcore.explain.words import feature_label, schema_for
    from medcore.schemas import PBC_VISITS

    assert feature_label("pgr") == "Progesterone receptor (fmol/l)"
    assert feature_label("nodes") == "Positive lymph nodes"
    assert feature_label("age", schema_for(("age", "bili"))) == "Age at first visit (years)"
    assert schema_for(("age", "bili")) is PBC_VISITS
    assert feature_label("pixel_r0_c0") == "pixel_r0_c0"


def test_with_titles_relabels_for_plots_only():
    from medcore.explain.words import with_titles

    e = _tabular([0.1] * 8, [1, 52, 1, 1, 2, 12, 3, 40], "log-risk", "log-risk")
    titled = with_titles(e)
    assert titled.feature_names[0] == "Hormone therapy"
    assert titled.feature_names[6] == "Progesterone receptor (fmol/l)"
    assert e.feature_names == ROTTERDAM_NAMES and np.array_equal(titled.values, e.values)
