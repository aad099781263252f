"""VisitHistoryExplainer: latest value vs history per biomarker against one fixed reference
(toy functions of a history; no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.explain.visits import VisitHistoryExplainer

NAMES = ("years", "gap", "age", "bili", "albumin")


def _history(bili, albumin, years, age=50.0):
    years = np.asarray(years, dtype=float)
    gap = np.diff(years, prepend=years[0])
    return np.column_stack([years, gap, np.full(len(years), age), bili, albumin])


def _padded(histories, length=6):
    out = np.zeros((len(histories), length, len(NAMES)), dtype=np.float32)
    for i, h in enumerate(histories):
        out[i, :len(h)] = h
    return out


def _last(x):
    """Index of each history's latest visit."""
    return np.any(x != 0, axis=-1).sum(axis=1) - 1


def _latest_bili_and_first_albumin(x):
    rows = np.arange(len(x))
    return 0.9 - 0.05 * x[rows, _last(x), 3] + 0.1 * x[:, 0, 4]


def _reference():
    rng = np.random.default_rng(0)
    return _padded([_history(rng.uniform(0.3, 3, k), rng.uniform(2.5, 4, k),
                             np.cumsum(rng.uniform(0.5, 1.5, k)) - 0.5, rng.uniform(30, 70))
                    for k in rng.integers(2, 6, 40)])


def _explainer(predict):
    return VisitHistoryExplainer(predict, feature_names=NAMES, time_features=("years", "gap"),
                                 static_features=("age",), output_name="survival",
                                 output_unit="survival probability",
                                 reference_name="40 toy patients").fit(_reference())


def test_values_add_up_to_the_output_from_one_fixed_reference():
    explainer = _explainer(_latest_bili_and_first_albumin)
    patient = _history([0.3, 0.9, 5.4], [3.5, 3.4, 3.0], [0.0, 1.0, 2.5])
    e = explainer.explain(patient)
    other = explainer.explain(_history([1.0, 1.2], [3.9, 3.8], [0.0, 0.7], age=70))
    assert e.base_value == other.base_value == pytest.approx(
        _latest_bili_and_first_albumin(_reference()).mean())
    assert e.output == pytest.approx(_latest_bili_and_first_albumin(_padded([patient]))[0])
    assert abs(e.residual) < 1e-9 and e.attributions.shape == (2, len(NAMES))
    assert e.extras["parts"] == ("history", "now")
    bili, albumin = NAMES.index("bili"), NAMES.index("albumin")
    # the output reads bilirubin at the latest visit only, albumin at the first visit only
    assert e.attributions[1, bili] < 0 and e.attributions[0, bili] == pytest.approx(0)
    assert e.attributions[1, albumin] == pytest.approx(0)
    np.testing.assert_array_equal(e.attributions, explainer.explain(patient).attributions)


def test_all_players_from_the_patient_give_the_patient_back():
    explainer = _explainer(_latest_bili_and_first_albumin)
    patient = _history([0.3, 0.9, 5.4, 6.0], [3.5, 3.4, 3.0, 2.9], [0.0, 1.0, 2.5, 3.0])
    rows, other = patient.astype(np.float32), explainer.reference_[3]
    other = other[np.any(other != 0, axis=1)]
    everything = np.ones((1, explainer.players_.count), dtype=bool)
    for own in (True,):
        mixed = explainer._mixed(rows, other, own, everything, 6)[0]
        np.testing.assert_array_equal(mixed[:4], rows)
    nothing = np.zeros((1, explainer.players_.count), dtype=bool)
    mixed = explainer._mixed(rows, other, False, nothing, 6)[0]
    np.testing.assert_array_equal(mixed[:len(other)], other)


def test_errors_say_what_was_expected():
    explainer = _explainer(_latest_bili_and_first_albumin)
    with pytest.raises(ValueError, match="inputs per visit"):
        explainer.explain(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="no visit"):
        explainer.explain(np.zeros((3, len(NAMES))))
    with pytest.raises(ValueError, match="Unknown input"):
        VisitHistoryExplainer(_latest_bili_and_first_albumin, feature_names=NAMES,
                              time_features=("when",), static_features=()).fit(_reference())


def test_latest_and_history_figure_and_words():
    from medcore.explain import describe_in_words
    from medcore.plots import palette
    from medcore.plots.explanation import latest_and_history, waterfall

    explainer = _explainer(_latest_bili_and_first_albumin)
    e = explainer.explain(_history([0.3, 0.9, 5.4], [3.5, 3.4, 3.0], [0.0, 1.0, 2.5]))
    text = describe_in_words(e)
    assert "compared with" in text and "for the average of 40 toy patients" in text
    assert ("Serum bilirubin now 5.4 mg/dl (was 0.3 mg/dl at the first visit) lowers the "
            "estimate by") in text
    figure = latest_and_history(e)
    assert figure.layout.xaxis.title.text == "change in the survival (percentage points)"
    now = figure.data[1]
    assert now.name == "latest visit (now)"
    bili = [i for i, label in enumerate(now.y) if "bilirubin" in label][0]
    assert now.marker.color[bili] == palette.WORSE                          # lowers survival
    assert waterfall(e).data[0].increasing.marker.color == palette.BETTER
    g = explainer.explain_global(_reference()[:3])
    assert g.attributions.shape == (3, len(g.feature_names))
    assert "bili (latest visit)" in g.feature_names
    np.testing.assert_allclose(g.attributions.sum(axis=1), g.outputs - g.base_value, atol=1e-9)
