"""Cohort scoring: the Ray engine gives the local engine's rows (issue 19). Slow: a local Ray
with 2 workers starts once for the module (~15-60 s on 2 shared cores) and is shut down after.

Skipped when Ray is not installed (it is the optional ``cluster`` extra:
``pip install -r requirements-cluster.txt``; CI installs it, see ``.ci/run``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medcore.scoring import errors_path, score

ray = pytest.importorskip("ray", reason="Ray is the optional cluster extra: "
                                        "pip install -r requirements-cluster.txt")

pytestmark = pytest.mark.slow

from tests.test_scoring import records_folder, scans  # noqa: E402,F401 - the same fixtures


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of 2 CPUs, no dashboard, little object store: the machine is shared."""
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=200 * 1024 * 1024,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
                 p for p in (root, os.environ.get("PYTHONPATH", "")) if p),
                 "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}})
    yield
    ray.shutdown()


def _same(local: pd.DataFrame, distributed: pd.DataFrame) -> None:
    """Identical rows, in the same order; numbers equal to float tolerance."""
    assert list(local.columns) == list(distributed.columns)
    assert len(local) == len(distributed)
    for column in local.columns:
        if pd.api.types.is_float_dtype(local[column]):
            np.testing.assert_allclose(local[column], distributed[column], rtol=1e-6,
                                       equal_nan=True)
        else:
            assert local[column].tolist() == distributed[column].tolist(), column


def test_records_folder_in_chunks_ray_equals_local(local_ray, records_folder, tmp_path):
    runs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.parquet"
        runs[engine] = score("breast_cancer_deepsurv", records_folder, out, engine=engine,
                             chunk_rows=4, progress=False)
        runs[engine] = (pd.read_parquet(out), pd.read_csv(errors_path(out)))
    _same(runs["local"][0], runs["ray"][0])
    _same(runs["local"][1], runs["ray"][1])
    assert len(runs["ray"][0]) == 28 and len(runs["ray"][1]) == 3


def test_scans_ray_equals_local(local_ray, scans, tmp_path):
    runs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.csv"
        score("pneumonia_cnn", scans, out, engine=engine, chunk_files=3, progress=False)
        runs[engine] = (pd.read_csv(out), pd.read_csv(errors_path(out)))
    _same(runs["local"][0], runs["ray"][0])
    _same(runs["local"][1], runs["ray"][1])
    assert len(runs["ray"][0]) == 7
