"""Cohort scoring: the Ray engine gives the local engine's rows (issue 19). Slow: a local Ray
with 2 workers starts once for the module (~15-60 s on 2 shared cores) and is shut down after.

``--address`` is checked against a cluster the test starts apart (``ray start --head``).

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


def test_address_connects_to_a_running_cluster(records_folder, tmp_path):
    """``--address``: a cluster started apart (``ray start --head``, with the token
    authentication Ray 2.60 uses) scores the file; the command leaves the cluster running. The
    head is this test's own process group, stopped at the end."""
    import os
    import secrets
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(root), "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    head = subprocess.Popen(
        [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
         f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--node-ip-address=127.0.0.1", "--object-store-memory=200000000"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out = tmp_path / "scores.csv"
        deadline = time.monotonic() + 120
        while True:                          # the head takes ~10-30 s to accept clients here
            done = subprocess.run(
                [sys.executable, "-m", "medcore", "score", "breast_cancer_deepsurv", "--input",
                 str(records_folder / "a.csv"), "--output", str(out), "--engine", "ray",
                 "--address", f"127.0.0.1:{port}", "--no-progress"],
                cwd=root, env=env, capture_output=True, text=True, check=False)
            if done.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(5)
        assert done.returncode == 0, done.stderr[-2000:]
        assert head.poll() is None                      # not shut down by the command
        assert "scored 18 records, skipped 2" in done.stderr and "(ray engine)" in done.stderr
        local = tmp_path / "local.csv"
        score("breast_cancer_deepsurv", records_folder / "a.csv", local, progress=False)
        _same(pd.read_csv(local), pd.read_csv(out))
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        # A stopped head leaves its address in Ray's bootstrap file, where a later plain
        # ray.init() would look for it: remove it when it is this head's.
        bootstrap = Path("/tmp/ray/ray_current_cluster")
        if bootstrap.is_file() and bootstrap.read_text().strip().endswith(f":{port}"):
            bootstrap.unlink()


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of 2 CPUs, no dashboard, little object store: the machine is shared."""
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
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
