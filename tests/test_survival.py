"""Tests for medcore.survival: Cox loss (Breslow ties), Breslow baseline, survival curves."""
from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from medcore.errors import DataValidationError
from medcore.networks.feedforward import build_feedforward
from medcore.survival import (BreslowBaseline, breslow_baseline, survival_curves,
                              survival_targets)
from medcore.survival.cox import Log1pColumns, cox_negative_log_likelihood


def _data(n=60, ties=False, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    time = rng.exponential(size=n) * np.exp(-x[:, 0])
    if ties:
        time = np.ceil(time * 4) / 4
    event = (rng.random(n) < 0.7).astype(int)
    return x, time, event


def _lifelines(x, time, event):
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["T"], frame["E"] = time, event
    return CoxPHFitter().fit(frame, "T", "E")


def test_loss_equals_lifelines_partial_likelihood_for_a_linear_network():
    x, time, event = _data()
    cox = _lifelines(x, time, event)
    network = build_feedforward(3, hidden_units=(), output_activation="linear",
                                output_use_bias=False)
    network.get_layer("output").set_weights([cox.params_.values.reshape(3, 1)])
    log_risk = network(x.astype("float32"))
    loss = float(cox_negative_log_likelihood(survival_targets(time, event), log_risk))
    # the loss is averaged over events; lifelines reports the summed log-likelihood
    assert loss * event.sum() == pytest.approx(-cox.log_likelihood_, rel=1e-5)


def _breslow_by_hand(eta, time, event):
    total = 0.0
    for i in np.flatnonzero(event):
        total += eta[i] - np.log(np.exp(eta[time >= time[i]]).sum())
    return -total / event.sum()


def test_loss_uses_breslow_ties():
    x, time, event = _data(ties=True)
    assert len(np.unique(time)) < len(time)
    eta = x @ np.array([0.5, -0.2, 0.1])
    loss = float(cox_negative_log_likelihood(survival_targets(time, event), eta[:, None]))
    assert loss == pytest.approx(_breslow_by_hand(eta, time, event), rel=1e-5)


def test_loss_does_not_depend_on_row_order():
    x, time, event = _data(ties=True)
    eta = (x @ np.array([0.5, -0.2, 0.1]))[:, None]
    order = np.random.default_rng(1).permutation(len(time))
    a = float(cox_negative_log_likelihood(survival_targets(time, event), eta))
    b = float(cox_negative_log_likelihood(survival_targets(time[order], event[order]), eta[order]))
    assert a == pytest.approx(b, rel=1e-6)


def test_breslow_baseline_equals_lifelines():
    x, time, event = _data(ties=True, seed=2)
    cox = _lifelines(x, time, event)
    eta = (x - x.mean(axis=0)) @ cox.params_.values       # lifelines centres the covariates
    ours = breslow_baseline(eta, time, event)
    theirs = cox.baseline_cumulative_hazard_
    np.testing.assert_allclose(ours.at(theirs.index.values), theirs.values.ravel(), rtol=1e-8)


def test_survival_curves_start_at_one_and_never_increase():
    x, time, event = _data()
    eta = x @ np.array([1.0, 0.0, 0.5])
    baseline = breslow_baseline(eta, time, event)
    grid = np.concatenate([[0.0], np.linspace(0, time.max() * 1.2, 50)])
    curves = survival_curves(eta, baseline, grid)
    assert curves.shape == (len(eta), len(grid))
    np.testing.assert_allclose(curves[:, 0], 1.0)
    assert (np.diff(curves, axis=1) <= 1e-12).all()
    assert (curves > 0).all() and (curves <= 1).all()


def test_baseline_round_trips_through_its_dict():
    x, time, event = _data()
    baseline = breslow_baseline(x[:, 0], time, event)
    again = BreslowBaseline.from_dict(baseline.to_dict(digits=12))
    np.testing.assert_allclose(again.at([0.1, 1.0, 5.0]), baseline.at([0.1, 1.0, 5.0]))


@pytest.mark.parametrize("time, event, message", [
    ([1.0, -2.0], [1, 0], "observed time contains values smaller zero"),
    ([1.0, 2.0], [1, 2], "event indicator must be binary"),
    ([1.0, 2.0], [1], "time has 2 values but event has 1"),
    ([1.0, np.nan], [1, 0], "NaN or infinite"),
])
def test_survival_targets_refuse_bad_data(time, event, message):
    with pytest.raises(DataValidationError, match=message):
        survival_targets(time, event)


def test_baseline_needs_an_event():
    with pytest.raises(DataValidationError, match="no events"):
        breslow_baseline([0.0, 1.0], [1.0, 2.0], [0, 0])


def test_log1p_columns_layer_round_trips(tmp_path):
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, Log1pColumns([1, 2])(inputs))
    x = np.array([[5.0, 0.0, 99.0], [-1.0, 3.0, 0.5]], dtype="float32")
    expected = np.array([[5.0, 0.0, np.log(100.0)], [-1.0, np.log(4.0), np.log(1.5)]])
    np.testing.assert_allclose(model(x), expected, rtol=1e-6)
    path = tmp_path / "log1p.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(again(x), expected, rtol=1e-6)


def test_the_card_module_registers_every_custom_layer_of_the_shipped_file():
    """The shipped .keras names its layers by registered name (``medcore>Log1pColumns``); the
    card's ``custom_objects_module`` must register each under that name (not retrained)."""
    import importlib
    import json
    import zipfile

    from medcore import registry

    name = "breast_cancer_deepsurv"
    with zipfile.ZipFile(registry.model_path(name)) as archive:
        config = json.loads(archive.read("config.json"))
    found, stack = set(), [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if str(item.get("registered_name", "")).startswith("medcore>"):
                found.add(item["registered_name"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    assert found == {"medcore>Log1pColumns"}
    module = importlib.import_module(registry.load_card(name).model_details.custom_objects_module)
    assert module.__name__ == "medcore.survival.cox"
    assert all(keras.saving.get_registered_object(n) is not None for n in found)
    assert keras.saving.get_registered_name(Log1pColumns) == "medcore>Log1pColumns"
