"""Tests for medcore.plots.survival (plotly figure builders)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.plots.survival import calibration_figure, icon_array, survival_figure


def test_survival_figure_draws_curve_band_and_km_only_within_follow_up():
    times = np.linspace(0, 10, 11)
    curve = {"survival": np.linspace(1, 0.5, 11), "lower": np.linspace(1, 0.4, 11),
             "upper": np.linspace(1, 0.6, 11)}
    km = {"times": np.array([0.0, 2.0, 7.3]), "survival": np.array([1.0, 0.8, 0.6]),
          "lower": np.array([1.0, 0.7, 0.5]), "upper": np.array([1.0, 0.9, 0.7])}
    figure = survival_figure(times, {"patient": curve}, kaplan_meier=km, marks=(1, 3, 5))
    assert len(figure.data) == 6                     # band (2) + curve, KM band (2) + KM
    assert max(figure.data[-1].x) == pytest.approx(7.3)
    assert figure.data[-1].line.shape == "hv"        # Kaplan-Meier as a step function


def test_icon_array_has_count_and_rest():
    figure = icon_array(72, label="free", other_label="event")
    assert [len(t.x) for t in figure.data] == [72, 28]
    assert figure.data[0].name == "72 free" and figure.data[1].name == "28 event"
    with pytest.raises(ValueError, match="between 0 and 100"):
        icon_array(101)


def test_calibration_figure_has_error_bars():
    groups = [{"predicted": 0.3, "observed": 0.35, "observed_lower": 0.3, "observed_upper": 0.4}]
    figure = calibration_figure(groups, horizon=5)
    assert figure.data[1].error_y.array[0] == pytest.approx(0.05)


def test_treatment_icon_arrays_draw_three_groups_of_100_in_the_palette():
    from medcore.plots import palette
    from medcore.plots.survival import TREATMENT_GROUPS, treatment_icon_arrays

    figure = treatment_icon_arrays([("5 years", 62, 4), ("10 years", 45, 6)])
    for axis, expected in (("x", [62, 4, 34]), ("x2", [45, 6, 49])):
        traces = [t for t in figure.data if t.xaxis == axis]
        assert [len(t.x) for t in traces] == expected
        assert [t.marker.color for t in traces] == [palette.BETTER, palette.BENEFIT,
                                                    palette.WORSE]
    assert [t.name for t in figure.data if t.showlegend] == [g[0] for g in TREATMENT_GROUPS]
    with pytest.raises(ValueError, match="alive \\+ extra <= 100"):
        treatment_icon_arrays([("5 years", 90, 20)])


def test_guide_lines_carry_their_years():
    from medcore.plots.survival import survival_figure

    times = np.linspace(0, 10, 11)
    figure = survival_figure(times, {"a": {"survival": np.linspace(1, 0.5, 11)}},
                             marks=(1.0, 5.0))
    assert [a.text for a in figure.layout.annotations] == ["1 year", "5 years"]
