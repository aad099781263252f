"""Export to LiteRT: the fixed-length recurrent formulation, named outputs, the train hook, CLI."""
from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from medcore import registry
from medcore.__main__ import main
from medcore.errors import ModelFileError
from medcore.export import fixed_length, serving_graph, write_tflite
from medcore.networks.recurrent import build_rnn
from medcore.registry import load_serving
from tests.conftest import minimal_card

F = 4


def tiny_rnn(members: int = 2) -> keras.Model:
    return build_rnn(F, num_intervals=3, units=3, members=members,
                     fill_values=[1.0, 2.0, 3.0, 4.0], log_features=[False, True, False, False],
                     mean=[0.5] * F, variance=[2.0] * F)


def histories(lengths, steps: int, seed: int = 0) -> np.ndarray:
    """Sequences of the given lengths, zero-padded to ``steps``, with a never-measured value."""
    rng = np.random.default_rng(seed)
    x = np.zeros((len(lengths), steps, F), dtype="float32")
    for i, length in enumerate(lengths):
        x[i, :length] = rng.uniform(0.5, 2.0, (length, F))
    x[0, 0, 1] = np.nan
    return x


def test_fixed_length_model_answers_as_the_variable_length_one():
    model = tiny_rnn()
    x = histories([3, 1, 5, 2], steps=5)
    unrolled = fixed_length(model, 9)
    padded = np.zeros((4, 9, F), dtype="float32")
    padded[:, :5] = x
    assert unrolled.input_shape == (None, 9, F)
    assert [layer.unroll for layer in unrolled.layers if isinstance(layer, keras.layers.RNN)] \
        == [True, True]
    np.testing.assert_allclose(unrolled(padded).numpy(), model(x).numpy(), atol=1e-6)
    shared = {layer.name for layer in unrolled.layers if layer is model.get_layer(layer.name)}
    assert {"padding_mask", "impute_and_log", "normalise", "hazard_logits_1"} <= shared


def test_fixed_length_refuses_what_it_cannot_unroll():
    with pytest.raises(ValueError, match="max_steps=0; expected a positive number"):
        fixed_length(tiny_rnn(), 0)
    flat = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"expected one sequence input of shape \(n, T, F\)"):
        fixed_length(flat, 4)


def test_only_a_recurrent_graph_is_unrolled():
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert serving_graph(dense, max_steps=7) == (dense, {})
    graph, details = serving_graph(tiny_rnn(), max_steps=7)
    assert details == {"max_visits": 7} and graph.input_shape == (None, 7, F)
    reference, none = serving_graph(tiny_rnn(), unroll=False)
    assert none == {} and reference.input_shape == (None, None, F)


@pytest.mark.slow
def test_training_writes_a_tflite_that_answers_as_keras(tmp_path):
    """registry.save_model (what ``train`` calls) exports too; a recurrent model is unrolled."""
    model = tiny_rnn(members=1)  # converting 32 unrolled steps takes tens of seconds
    card = registry.save_model(model, "pbc_rnn", minimal_card(
        model_details={"custom_objects_module": "medcore.networks.recurrent"}), tmp_path)
    serving = card.serving
    assert serving.file == "pbc_rnn.tflite" and serving.runtime == "ai-edge-litert"
    assert serving.sha256 == registry.sha256_of(tmp_path / "pbc_rnn.tflite")
    assert serving.details["max_visits"] == 32
    assert serving.details["source_sha256"] == card.sha256
    assert serving.details["converter"].startswith("tensorflow 2.")
    assert list(serving.details["outputs"]) == ["survival"]
    served = load_serving("pbc_rnn", tmp_path)
    x = histories([3, 1, 5, 2], steps=5)
    np.testing.assert_allclose(served(x)["survival"], model(x).numpy(), atol=1e-6)
    assert registry.load_card("pbc_rnn", tmp_path).serving == card.serving


@pytest.mark.slow
def test_export_command_reproduces_the_shipped_file(tmp_path, capsys):
    name = "breast_cancer_fnn"
    if not registry.model_path(name).with_suffix(".tflite").is_file():
        pytest.skip(f"{name}.tflite is not exported")
    for suffix in (".keras", ".json"):
        shutil.copy(registry.model_path(name).with_suffix(suffix), tmp_path)
    card = json.loads((tmp_path / f"{name}.json").read_text())
    card["serving"] = None
    (tmp_path / f"{name}.json").write_text(json.dumps(card))
    assert main(["export", name, "--models-dir", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed[name] == registry.load_card(name).to_dict()["serving"]
    assert (tmp_path / f"{name}.keras").read_bytes() == registry.model_path(name).read_bytes()


def test_export_command_needs_one_name_or_all(capsys):
    assert main(["export"]) == 2
    assert "Name one model to export, or --all; got neither" in capsys.readouterr().err
    assert main(["export", "pbc_rnn", "--all"]) == 2
    assert "got both" in capsys.readouterr().err
    assert main(["export", "pbc_rnn", "--max-visits", "0"]) == 2
    assert "--max-visits 0; expected a positive number of visits" in capsys.readouterr().err


def test_a_failed_conversion_writes_nothing(tmp_path, monkeypatch):
    from medcore import export

    def refuse(graph):
        raise ModelFileError("TensorFlow could not convert 'toy'.")

    monkeypatch.setattr(export, "convert", refuse)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])  # no recurrent layer
    with pytest.raises(ModelFileError, match=r"could not convert 'toy'\. toy.keras and its card are "
                                             r"unchanged; once fixed, run `python -m medcore "
                                             r"export toy`"):
        write_tflite(model, tmp_path / "toy.tflite", name="toy", keras_sha256=None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a conversion: ~14 s on the loaded machine
def test_a_network_trained_in_a_fold_is_scored_by_litert_as_by_keras():
    """pbc_rnn's evaluate(engine="litert") scores each fold's network this way."""
    from medcore.export import litert_model
    from medcore.models.pbc_rnn import serving_graph as pbc_serving_graph
    from medcore.serving import KerasServing

    graph = pbc_serving_graph(tiny_rnn(members=1))
    served = litert_model(graph, name="fold", max_steps=6)
    assert type(served).__name__ == "LiteRTServing" and served.max_steps == 6
    x = histories([3, 1, 5, 2], steps=5)
    np.testing.assert_allclose(served(x)["survival"], KerasServing(graph)(x)["survival"],
                               atol=1e-6)
