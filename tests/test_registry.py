"""The registry: one spec per model, the module protocol, checked loading, the serving call."""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect

import numpy as np
import pandas as pd
import pytest

from medcore import registry
from medcore.errors import ModelFileError
from medcore.models import ModelModule
from medcore.registry import ModelKind, ModelSpec, Section

SHIPPED = [s.name for s in registry.SPECS]


def test_every_shipped_model_is_declared_once_with_what_its_consumers_need():
    assert SHIPPED == ["pneumonia_cnn", "breast_cancer_fnn", "breast_cancer_deepsurv", "pbc_rnn"]
    assert {s.kind for s in registry.SPECS} == set(ModelKind)
    for spec in registry.SPECS:
        assert spec.title and spec.population and spec.explain_targets and spec.input_hint
        assert spec.module == f"medcore.models.{spec.name}"
        assert {s.page for s in spec.sections} >= {"Explanation"}
        assert (spec.schema is None) is (spec.kind is ModelKind.IMAGE_CLASSIFIER)
        for section in spec.sections:                  # a ui module with render(spec)
            assert importlib.util.find_spec(section.renderer) is not None


def test_pages_list_their_models_in_tab_order():
    assert [s.name for s in registry.specs(page="Diagnosis")] == ["pneumonia_cnn",
                                                                  "breast_cancer_fnn"]
    # The Explanation page opens on the tabs explained without TensorFlow (served models).
    assert [s.name for s in registry.specs(page="Explanation")] == [
        "breast_cancer_deepsurv", "pbc_rnn", "breast_cancer_fnn", "pneumonia_cnn"]
    assert registry.spec_for_schema("rotterdam").name == "breast_cancer_deepsurv"
    assert registry.spec_for_schema("nothing") is None


def test_unknown_names_and_targets_are_medcore_errors():
    with pytest.raises(ModelFileError, match="Unknown model 'x'. Expected one of: "
                                             "breast_cancer_deepsurv, breast_cancer_fnn"):
        registry.spec("x")
    with pytest.raises(ModelFileError, match="pbc_rnn has no explanation target 'logit'; "
                                             "expected one of survival_5y"):
        registry.spec("pbc_rnn").target("logit")


def test_register_adds_a_spec_and_a_models_folder_for_a_while(tmp_path, monkeypatch):
    monkeypatch.delenv(registry.MODELS_DIR_VARIABLE, raising=False)
    toy = ModelSpec(name="toy", title="A toy", kind=ModelKind.TABULAR_CLASSIFIER,
                    module="tests.test_registry", population="nobody",
                    sections=(Section("Explanation", "Toy", "ui.explanation"),))
    with registry.register(toy, models_dir=tmp_path):
        assert registry.spec("toy") is toy and "toy" in registry.names()
        assert registry.models_folder() == tmp_path
        assert registry.model_path("pbc_rnn") == tmp_path / "pbc_rnn.keras"
        assert not registry.is_available("pbc_rnn")
        with pytest.raises(ModelFileError, match="'toy' is registered already"):
            with registry.register(toy):
                pass
    assert "toy" not in registry.names() and registry.models_folder() == registry.MODELS_DIR


def test_a_changed_model_file_is_refused_with_the_fix(tmp_path):
    for suffix in (".json", ".keras"):
        source = registry.MODELS_DIR / f"breast_cancer_fnn{suffix}"
        (tmp_path / source.name).write_bytes(source.read_bytes())
    with open(tmp_path / "breast_cancer_fnn.keras", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelFileError, match="has sha256 .* but its card expects .* restore it "
                                             "from git or retrain"):
        registry.load_model("breast_cancer_fnn", tmp_path)


def _protocol_functions() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(ModelModule).items()
            if inspect.isfunction(member) and not name.startswith("_")}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_model_module_offers_the_same_calls(name):
    module = registry.model_module(name)
    assert isinstance(module, ModelModule)
    assert module.NAME == name and isinstance(module.FEATURE_NAMES, tuple)
    for call, expected in _protocol_functions().items():
        actual = inspect.signature(getattr(module, call))
        wanted = [p for p in expected.parameters.values() if p.name != "self"]
        params = list(actual.parameters.values())
        positional = [p for p in wanted if p.kind is p.POSITIONAL_ONLY]
        assert len(params) >= len(positional), (call, actual)
        assert all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in params[:len(positional)]), (call, actual)
        for keyword in (p for p in wanted if p.kind is not p.POSITIONAL_ONLY):
            assert keyword.name in actual.parameters, (call, keyword.name)
            assert actual.parameters[keyword.name].default is not inspect.Parameter.empty
        extra = params[len(positional):]
        assert all(p.default is not inspect.Parameter.empty or p.name in
                   {k.name for k in wanted} for p in extra), (call, actual)
    prediction = module.Prediction
    assert dataclasses.is_dataclass(prediction) and prediction.__dataclass_params__.frozen


class CallOnly:
    """A serving model that can only be called (and read its card): any other use fails."""

    def __init__(self, served):
        self._served, self.card, self.calls = served, served.card, 0

    def __call__(self, x):
        assert isinstance(x, np.ndarray) and x.dtype == np.float32
        self.calls += 1
        outputs = self._served(x)
        assert all(isinstance(v, np.ndarray) for v in outputs.values())
        return outputs


def _inputs(name):
    module = registry.model_module(name)
    if name == "pneumonia_cnn":
        images = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
        return images, pd.DataFrame({"image": list(images)})
    if name == "pbc_rnn":
        visits = module.demo_visits()
        return visits, visits
    frame = module.test_inputs()[0]
    frame = frame if isinstance(frame, pd.DataFrame) else \
        pd.DataFrame(frame, columns=list(module.FEATURE_NAMES))
    return frame.iloc[:4], frame.iloc[:4]


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_predictions_only_call_the_serving_model(name):
    pytest.importorskip("keras")
    module = registry.model_module(name)
    model = CallOnly(registry.serving_model(name))
    inputs, frame = _inputs(name)
    prediction = module.predict(model, inputs)
    scored = module.score_records(model, frame)
    assert model.calls == 2 and isinstance(prediction, module.Prediction)
    assert isinstance(scored, pd.DataFrame) and len(scored) == len(
        frame["id"].unique() if name == "pbc_rnn" else frame)
