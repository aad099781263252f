"""Medicine as a check (medcore.explain.directions): the known directions kept with each spec,
the check of a sentence's claims, and the partial-dependence sweep (no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore import registry
from medcore.explain.directions import (Claim, contradictions, learnt_directions,
                                        reference_bands, side_of, sweep_grid)

PBC = registry.spec("pbc_rnn")
SURVIVAL = PBC.target()


def test_every_tabular_and_sequence_model_lists_directions_of_its_own_inputs():
    for spec in registry.specs():
        if spec.kind.input_kind == "image":
            continue
        names = registry.model_module(spec.name).FEATURE_NAMES
        assert spec.known_directions, spec.name
        for known in spec.known_directions:
            assert known.feature in names and known.reason, (spec.name, known)
    assert PBC.known_direction("bili").higher_is_worse
    assert not PBC.known_direction("albumin").higher_is_worse
    assert not registry.spec("breast_cancer_deepsurv").known_direction("pgr").higher_is_worse
    assert PBC.known_direction("chol") is None                      # not well established


def test_the_check_reports_todays_patient_8_sentence():
    """The page's sentence for PBC patient 8 before this check: bilirubin summed over all
    visits, rising from 0.3 to 5.4 mg/dl, credited with a higher survival."""
    today = Claim("bili", "serum bilirubin from 0.3 to 5.4 mg/dl", +1, +0.14, "all visits")
    no_spiders = Claim("spiders", "no spider angiomas", -1, -0.03)
    found = contradictions(PBC, SURVIVAL, [today, no_spiders])
    assert [c.claim for c in found] == [today, no_spiders]
    assert "credited with a better outcome" in str(found[0])
    assert "credited with a worse outcome" in str(found[1])


def test_the_check_passes_what_agrees_and_skips_what_is_not_known():
    agrees = [Claim("bili", "serum bilirubin now 5.4 mg/dl", +1, -0.07, "now"),
              Claim("albumin", "serum albumin now 2.3 g/dl", -1, -0.06, "now"),
              Claim("ascites", "ascites now", +1, -0.02, "now"),
              Claim("chol", "serum cholesterol now 400 mg/dl", +1, +0.05, "now"),   # unknown
              Claim("bili", "serum bilirubin 1.1 mg/dl", 0, +0.01)]                # level
    assert contradictions(PBC, SURVIVAL, agrees) == []
    risk = registry.spec("breast_cancer_deepsurv").target("log_risk")      # higher = worse
    nodes = Claim("nodes", "12 positive lymph nodes", +1, -0.3)
    assert contradictions(registry.spec("breast_cancer_deepsurv"), risk, [nodes])


def test_reference_bands_are_the_typical_range_of_values_and_the_share_of_signs():
    values = np.array([[0.5, 0.0], [0.7, 1.0], [30.0, 0.0], [0.9, 0.0], [1.0, 0.0]])
    bands = reference_bands(values)
    np.testing.assert_allclose(bands, [[0.7, 0.2], [1.0, 0.2]])
    assert side_of(5.4, bands[:, 0]) == 1 and side_of(0.8, bands[:, 0]) == 0   # typical
    assert side_of(0.3, bands[:, 0]) == -1
    assert side_of(1.0, bands[:, 1]) == 1 and side_of(0.0, bands[:, 1]) == -1  # present, absent
    assert side_of(np.nan, bands[:, 0]) == 0


def test_sweep_grid_keeps_levels_and_spans_the_bulk():
    assert sweep_grid(np.array([0, 1, 1, 0, np.nan])).tolist() == [0.0, 1.0]
    grid = sweep_grid(np.arange(101.0))
    assert grid[0] == pytest.approx(5.0) and grid[-1] == pytest.approx(95.0) and len(grid) == 9


def test_partial_dependence_finds_a_model_that_learnt_the_wrong_direction():
    spec = registry.spec("breast_cancer_deepsurv")
    names = registry.model_module(spec.name).FEATURE_NAMES
    rng = np.random.default_rng(0)
    reference = np.column_stack([rng.integers(0, 2, 50), rng.normal(55, 10, 50),
                                 rng.integers(0, 2, 50), rng.integers(0, 3, 50),
                                 rng.integers(1, 4, 50), rng.integers(1, 20, 50),
                                 rng.exponential(100, 50), rng.exponential(100, 50)])
    nodes, pgr = names.index("nodes"), names.index("pgr")

    def survival(x):          # more nodes worse (right); more progesterone receptor worse (wrong)
        return 1 / (1 + np.exp(0.1 * x[:, nodes] + 0.005 * x[:, pgr] - 1))

    found = {d.feature: d for d in learnt_directions(spec, spec.target("survival_5y"),
                                                     survival, reference, names)}
    assert found["nodes"].verdict == "agrees" and found["nodes"].change < 0
    assert found["pgr"].verdict == "opposite"
    assert found["grade"].verdict == "flat"
    assert np.all(np.diff(found["nodes"].grid) > 0)
