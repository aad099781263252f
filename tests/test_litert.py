"""LiteRT serving: no TensorFlow, checked loading, shapes, padding, concurrency (no TF here)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from medcore import litert, registry
from medcore.errors import DataValidationError, ModelFileError
from medcore.registry import load_serving


def tflite_path(name: str):
    return registry.model_path(name).with_suffix(".tflite")


NAMES = [spec.name for spec in registry.SPECS]
shipped = pytest.mark.skipif(
    not all(tflite_path(n).is_file() for n in NAMES),
    reason="the .tflite files are not exported (python -m medcore export --all)")
#: One batch of inputs of each model's shape (values in plausible raw units; only the
#: mechanics are tested here, tests/test_serving_equality.py compares real records with Keras).
RNG = np.random.default_rng(0)
INPUTS = {
    "pneumonia_cnn": RNG.uniform(0, 255, (3, 28, 28, 1)).astype("float32"),
    "breast_cancer_fnn": RNG.uniform(0.1, 100.0, (3, 30)).astype("float32"),
    "breast_cancer_deepsurv": RNG.uniform(0.5, 2.0, (3, 8)).astype("float32"),
    "pbc_rnn": RNG.uniform(0.5, 60.0, (3, 5, 17)).astype("float32"),
}
OUTPUTS = {"pneumonia_cnn": {"probability": (3, 1), "member_probabilities": (3, 4)},
           "breast_cancer_fnn": {"probability": (3, 1)},
           "breast_cancer_deepsurv": {"log_risk": (3, 5)},
           "pbc_rnn": {"survival": (3, 20)}}

NO_TENSORFLOW = """
import sys, numpy as np
def heavy():
    return sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))
import medcore.litert
from medcore import registry
after_import = heavy()
shapes = {}
for name, shape in %s.items():
    outputs = registry.load_serving(name)(np.ones(shape, dtype='float32'))
    shapes[name] = {k: list(v.shape) for k, v in outputs.items()}
print(after_import, heavy(), shapes)
"""


@shipped
def test_serving_imports_no_tensorflow_nor_keras_even_after_predicting():
    shapes = {name: list(x.shape) for name, x in INPUTS.items()}
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW % shapes], check=True,
                            capture_output=True, text=True, cwd=registry.MODELS_DIR.parents[1])
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("[] [] "), f"TensorFlow/Keras modules imported: {line}"
    assert "'survival': [3, 20]" in line and "'member_probabilities': [3, 4]" in line


@shipped
@pytest.mark.parametrize("name", NAMES)
def test_outputs_by_name_with_the_card_shapes(name):
    model = load_serving(name)
    outputs = model(INPUTS[name])
    assert {k: v.shape for k, v in outputs.items()} == OUTPUTS[name]
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in outputs.values())
    details = registry.load_card(name).serving.details
    assert sorted(details["outputs"]) == list(model.output_names)
    assert details["input"]["name"] == model.input_name
    assert model.card == registry.load_card(name)
    empty = model(INPUTS[name][:0])
    assert {k: v.shape[0] for k, v in empty.items()} == {k: 0 for k in OUTPUTS[name]}


@shipped
def test_a_batch_answers_as_each_row_alone_and_in_chunks(monkeypatch):
    model = load_serving("pneumonia_cnn")
    together = model(INPUTS["pneumonia_cnn"])["probability"]
    alone = np.concatenate([model(x[None])["probability"] for x in INPUTS["pneumonia_cnn"]])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    monkeypatch.setattr(litert, "CHUNK_VALUES", 2 * 28 * 28)  # two images per call
    np.testing.assert_allclose(model(INPUTS["pneumonia_cnn"])["probability"], together, atol=1e-6)


@shipped
def test_short_histories_are_padded_with_masked_rows_and_long_ones_refused():
    model = load_serving("pbc_rnn")
    assert model.max_steps == registry.load_card("pbc_rnn").serving.details["max_visits"]
    assert model.max_steps == 32
    x = INPUTS["pbc_rnn"]
    padded = np.zeros((3, 11, 17), dtype="float32")
    padded[:, :5] = x
    np.testing.assert_array_equal(model(x)["survival"], model(padded)["survival"])
    shorter = model(x[:, :2])["survival"]
    assert np.abs(shorter - model(x)["survival"]).max() > 1e-4  # the visits count
    with pytest.raises(DataValidationError,
                       match=r"history of 33 visits; its serving model reads at most 32.*"
                             r"python -m medcore export pbc_rnn --max-visits 33"):
        model(np.ones((1, 33, 17), dtype="float32"))


@shipped
def test_wrong_shapes_are_refused_with_the_expected_shape():
    with pytest.raises(DataValidationError,
                       match=r"breast_cancer_fnn received an input of shape \(2, 29\); "
                             r"expected \(n, 30\)"):
        load_serving("breast_cancer_fnn")(np.zeros((2, 29)))
    with pytest.raises(DataValidationError, match=r"shape \(28, 28\); expected \(n, 28, 28, 1\)"):
        load_serving("pneumonia_cnn")(np.zeros((28, 28)))
    with pytest.raises(DataValidationError, match=r"expected \(n, T, 17\) with T <= 32 visits"):
        load_serving("pbc_rnn")(np.zeros((1, 3, 16)))


@shipped
def test_one_model_shared_by_threads_answers_each_as_alone():
    model = load_serving("breast_cancer_deepsurv")
    batches = [RNG.uniform(0.5, 2.0, (n, 8)).astype("float32") for n in (1, 7, 2, 30, 5, 64)]
    expected = [model(b)["log_risk"] for b in batches]
    failures = []

    def work(offset: int) -> None:
        for step in range(60):
            k = (offset + step) % len(batches)
            try:
                same = np.array_equal(model(batches[k])["log_risk"], expected[k])
            except Exception as exc:  # an unguarded interpreter raises or answers wrongly
                failures.append(repr(exc))
                continue
            if not same:
                failures.append(f"thread {offset} step {step}: another batch's answer")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible between the call's steps
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []


@pytest.fixture()
def copied(tmp_path):
    """The shipped pneumonia_cnn card and files in a temporary models folder."""
    if not tflite_path("pneumonia_cnn").is_file():
        pytest.skip("pneumonia_cnn.tflite is not exported")
    for suffix in (".json", ".tflite"):
        shutil.copy(tflite_path("pneumonia_cnn").with_suffix(suffix), tmp_path)
    return tmp_path


def _edit_card(folder, **details):
    path = folder / "pneumonia_cnn.json"
    card = json.loads(path.read_text())
    card["serving"]["details"].update(details)
    path.write_text(json.dumps(card))


def test_a_changed_file_is_refused(copied):
    path = copied / "pneumonia_cnn.tflite"
    content = bytearray(path.read_bytes())
    content[-100] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ModelFileError,
                       match=r"pneumonia_cnn.tflite has sha256 \w+\.\.\., but its card expects "
                             r".*restore it from git or run `python -m medcore export "
                             r"pneumonia_cnn`"):
        load_serving("pneumonia_cnn", copied)


def test_a_missing_file_or_serving_section_is_refused(copied):
    (copied / "pneumonia_cnn.tflite").unlink()
    with pytest.raises(ModelFileError, match=r"pneumonia_cnn.tflite was not found"):
        load_serving("pneumonia_cnn", copied)
    path = copied / "pneumonia_cnn.json"
    card = json.loads(path.read_text())
    card["serving"] = None
    path.write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match=r"no 'serving' section with a file and its sha256.*python -m medcore export"):
        load_serving("pneumonia_cnn", copied)


def test_a_file_exported_from_another_keras_is_refused(copied):
    _edit_card(copied, source_sha256="0" * 64)
    with pytest.raises(ModelFileError, match=r"exported from a pneumonia_cnn.keras with sha256 "
                                             r"000000000000\.\.\., but the card now describes"):
        load_serving("pneumonia_cnn", copied)


def test_bytes_that_are_not_a_model_are_refused():
    with pytest.raises(ModelFileError, match=r"LiteRT could not read the serving model of toy"):
        litert.LiteRTServing(b"not a flatbuffer" * 10, name="toy")


@shipped
@pytest.mark.slow  # ~10 s: loads the PBC and Rotterdam data and times 1,500 calls
def test_the_benchmark_times_litert_in_a_process_without_tensorflow():
    from medcore.benchmarks.serving import _in_fresh_process

    figures = _in_fresh_process(None)  # the CNN on noise of its shape when the data are absent
    assert figures["serving_process_imported_tensorflow"] is False
    assert figures["serving_pbc_rnn_history_visits"] >= 4
    assert all(figures[f"serving_{name}_litert_ms"] > 0 for name in NAMES)


def test_the_gradient_map_file_gets_the_same_checks(copied):
    from medcore.registry import load_gradient_map

    shutil.copy(tflite_path("pneumonia_cnn").with_suffix(".map.tflite"), copied)
    path = copied / "pneumonia_cnn.map.tflite"
    content = bytearray(path.read_bytes())
    content[-100] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ModelFileError, match=r"map model pneumonia_cnn.map.tflite has sha256 "
                                             r"\w+\.\.\., but its card expects"):
        load_gradient_map("pneumonia_cnn", copied)
    path.unlink()
    with pytest.raises(ModelFileError, match=r"map model pneumonia_cnn.map.tflite was not found"):
        load_gradient_map("pneumonia_cnn", copied)
