"""Fast checks of the sign-in and load harness (no browser, no server)."""
from __future__ import annotations

import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from bench import load, oidc
from ui import auth


def test_percentiles_of_the_step_timings():
    assert load._percentile([], 95) is None
    assert load._percentile([2.0], 95) == 2.0
    values = [float(v) for v in range(1, 101)]
    assert load._percentile(values, 50) == pytest.approx(50.5, abs=0.01)
    assert load._percentile(values, 95) == pytest.approx(95.05, abs=0.01)


@pytest.mark.parametrize("sessions, rounds, message", [
    (0, 1, "sessions=0; expected 1 to 20"), (21, 1, "sessions=21; expected 1 to 20"),
    (10, 6, "rounds=6; expected 1 to 5")])
def test_the_load_run_is_bounded(sessions, rounds, message):
    with pytest.raises(ValueError, match=message):
        load.run(sessions=sessions, rounds=rounds)


def test_enough_distinct_clinicians_for_the_largest_run_and_its_warm_up():
    assert len({c.sub for c in oidc.CLINICIANS}) >= load.MAX_SESSIONS + 1
    assert all(" " not in c.sub for c in oidc.CLINICIANS)  # an OIDC subject, as audited


def test_the_test_secrets_are_streamlits_single_provider_form(tmp_path):
    provider = oidc.Provider(process=subprocess.Popen(["true"]), url="http://127.0.0.1:9",
                             log_path=Path("/dev/null"))
    path = oidc.write_secrets(tmp_path, provider=provider, dashboard_port=8765)
    section = tomllib.loads(path.read_text())["auth"]
    assert sorted(section) == sorted(auth.AUTH_KEYS)
    assert section["redirect_uri"] == "http://127.0.0.1:8765/oauth2callback"
    assert section["server_metadata_url"].startswith("http://127.0.0.1:9/.well-known/")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_journey_sample_is_one_the_model_assesses():
    """A sample the model refuses ("Not assessable") shows no probability: a journey on it would
    wait for one until its timeout and count as an error."""
    from medcore import registry, samples
    from medcore.imaging import model_window, to_model_input
    from medcore.models.pneumonia_cnn_scope import assess

    card = registry.load_card("pneumonia_cnn")
    chosen = load.assessable_samples()
    assert len(chosen) >= 8
    refused = []
    for name in samples.list_samples():
        scan = samples.load_sample(name)
        x = to_model_input(scan, frame=0, window=model_window(scan, 0).window)
        if name.startswith("PneumoniaMNIST") and not assess(scan, 0, model_input=x,
                                                            card=card).assessable:
            refused.append(name)
    assert refused and not set(refused) & set(chosen)


def test_the_floor_app_has_every_label_the_clinicians_steps_look_for(monkeypatch):
    """``--floor`` runs the same steps on ``bench/load_floor_app.py``: its pages, widgets and
    metrics carry the dashboard's titles and labels, so the harness finds them there too."""
    from streamlit.testing.v1 import AppTest

    from bench import browser as launcher

    bench = Path(load.__file__).resolve().parent
    assert (bench.parent / load.FLOOR_APP).is_file()
    monkeypatch.setenv("MEDCORE_FLOOR_SAMPLES", "PneumoniaMNIST test #0\nPneumoniaMNIST test #1")

    def page(name: str) -> AppTest:
        return AppTest.from_string(f"import sys; sys.path.insert(0, {str(bench)!r})\n"
                                   f"import load_floor_app\nload_floor_app.{name}()").run()

    diagnosis = page("diagnosis")
    assert diagnosis.title[0].value == "Diagnosis" and not diagnosis.metric
    box = diagnosis.selectbox[0]
    assert box.label == launcher.DIAGNOSIS_SOURCE_LABEL
    box.select("PneumoniaMNIST test #1").run()
    assert [m.label for m in diagnosis.metric] == [launcher.DIAGNOSIS_METRIC_LABEL]
    survival = page("survival")
    assert survival.title[0].value == "Survival" and len(survival.tabs) == 1
    button = survival.button[0]
    assert button.label == load.SURVIVAL_SUBMIT
    button.click().run()
    assert [m.label for m in survival.metric] == [load.SURVIVAL_FIGURE]
    assert page("home").title[0].value == "medcore"
