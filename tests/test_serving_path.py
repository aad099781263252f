"""The serving path imports no TensorFlow and no Keras: every prediction goes through LiteRT.

A fresh interpreter imports the registry and the four model modules, loads each serving model
with ``registry.serving_model`` and predicts and scores real records (a noise image for the
CNN, whose real images need the data file) with the modules' own calls, as the pages do, and
draws the CNN's gradient x difference map as the Diagnosis page does; then
``sys.modules`` must hold no ``tensorflow``, ``keras`` or ``tf_keras`` module.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from medcore import registry

NAMES = [spec.name for spec in registry.SPECS]

SCRIPT = """
import json, sys
import numpy as np, pandas as pd

def heavy():
    return sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))

from medcore import registry
from medcore.datasets.rotterdam_gbsg import load_gbsg
from medcore.models import breast_cancer_fnn, pbc_rnn
after_import = heavy()
images = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
inputs = {
    "pneumonia_cnn": (images, pd.DataFrame({"image": list(images)})),
    "breast_cancer_fnn": (breast_cancer_fnn.test_inputs()[0].iloc[:4],) * 2,
    "breast_cancer_deepsurv": (load_gbsg().iloc[:4],) * 2,
    "pbc_rnn": (pbc_rnn.demo_visits(),) * 2,
}
served = {}
for name, (x, frame) in inputs.items():
    model = registry.serving_model(name)
    module = registry.model_module(name)
    prediction = module.predict(model, x)
    scored = module.score_records(model, frame)
    served[name] = [type(model).__name__, type(prediction).__name__, len(scored)]
maps = registry.load_gradient_map("pneumonia_cnn")(images[..., None])   # the Diagnosis page's map
print(json.dumps({"after_import": after_import, "after_predicting": heavy(), "served": served,
                  "map_shape": list(maps.shape)}))
"""


@pytest.mark.skipif(not all(registry.model_path(n).with_suffix(".tflite").is_file()
                            for n in NAMES), reason="the .tflite files are not exported")
def test_predicting_with_every_model_imports_no_tensorflow_nor_keras():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            cwd=registry.MODELS_DIR.parents[1], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["after_import"] == [] and report["after_predicting"] == [], report
    assert sorted(report["served"]) == sorted(NAMES)
    assert report["map_shape"] == [3, 28, 28]
    for name, (runtime, prediction, rows) in report["served"].items():
        assert runtime == "LiteRTServing" and prediction == "Prediction" and rows > 0, name


def test_an_unknown_engine_is_refused_naming_the_engines():
    from medcore.errors import MedcoreError

    with pytest.raises(MedcoreError, match=r"Unknown serving engine 'onnx'; expected one of "
                                           r"litert, keras"):
        registry.serving_model("breast_cancer_fnn", engine="onnx")
