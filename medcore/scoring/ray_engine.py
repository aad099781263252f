"""The Ray engine of :func:`medcore.scoring.score` (``--engine ray``): the same chunks, scored by
Ray Data workers.

The chunks of the plan (:mod:`medcore.scoring.plan`: byte ranges of a CSV, Parquet row groups,
lists of image files) become a Ray Dataset, one row per chunk (``ray.data.from_items``).
``map_batches`` runs :class:`_Worker`, a callable class: Ray starts ``workers`` actors, each
loads the model once through the pages' serving path (``registry.serving_model``: LiteRT, no
TensorFlow), then reads and scores the chunks it is given with the local engine's
:class:`~medcore.scoring.chunks.ChunkScorer`. Each actor takes one CPU and runs one interpreter
thread (OMP/TF thread variables set to 1). The results stream back in the plan's order
(``preserve_order``) and the driver writes them, as the local engine does.

Ray's own readers (``ray.data.read_csv``/``read_parquet``) are not used for records: they type
the columns themselves and drop the row numbers, while the Upload page's checks need the cells
as text and the spreadsheet row of every record; a chunk descriptor lets each worker read its
own slice of the file with those checks. On a cluster the input must therefore be at the same
path on every node (a shared file system), and each worker needs ``medcore`` and its models
installed (``pip install .[cluster]``): see the README.

Ray is an optional extra (``requirements-cluster.txt``); this module imports it only when run.
"""
from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from medcore.errors import MedcoreError
from medcore.scoring.plan import Plan

#: Threads of every numerical library inside a worker: one interpreter thread per CPU Ray gives.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
#: Object store of a local Ray (Ray's default is 30% of the memory): a few chunks' results in
#: flight, ~10 MB each for 50,000 records; more spills to disk.
LOCAL_OBJECT_STORE_BYTES = 300 * 1024 * 1024
#: The extra that installs Ray, for the message when it is missing.
INSTALL = "pip install -r requirements-cluster.txt (or pip install .[cluster])"


class _Worker:
    """One Ray actor: the model loaded once, then ``{"chunk": [pickled Chunk]}`` ->
    ``{"n", "scored", "errors"}`` (the two tables pickled)."""

    def __init__(self, name: str, models_dir: str | None) -> None:
        from medcore.scoring.chunks import ChunkScorer

        self.scorer = ChunkScorer(name, models_dir)

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"n": [], "scored": [], "errors": []}
        for payload in batch["chunk"]:
            chunk = pickle.loads(payload)
            scored, errors = self.scorer(chunk)
            out["n"].append(chunk.n)
            out["scored"].append(pickle.dumps(scored))
            out["errors"].append(pickle.dumps(errors))
        return {key: np.array(values, dtype=object) for key, values in out.items()}


def run_ray(name: str, plan: Plan, *, address: str | None = None, workers: int = 2,
            models_dir: str | os.PathLike | None = None
            ) -> Iterator[tuple[int, pd.DataFrame, pd.DataFrame]]:
    """``(records in the chunk, scored, errors)`` of each chunk of ``plan``, in order, scored by
    Ray workers; a local Ray (``workers`` CPUs, no dashboard) is started and shut down unless
    ``address`` names a running cluster.

    Raises
    ------
    MedcoreError
        Ray is not installed, or the cluster at ``address`` cannot be reached.
    """
    try:
        import ray
    except ImportError:
        raise MedcoreError(f"--engine ray needs Ray, which is not installed: {INSTALL}. The "
                           "local engine (the default) needs nothing more.") from None
    if workers < 1:
        raise MedcoreError(f"--workers {workers}; expected 1 or more Ray workers.")
    threads = {variable: "1" for variable in THREAD_VARIABLES}
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**threads, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if address is None:          # a local Ray: its workers import this checkout of medcore
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    started = not ray.is_initialized()
    if started:
        try:
            if address is None:
                # "local": a new Ray of our own, never a cluster found on this machine
                ray.init(address="local", num_cpus=workers, include_dashboard=False,
                         log_to_driver=False,
                         configure_logging=False, runtime_env={"env_vars": env},
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES)
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False,
                         runtime_env={"env_vars": env})
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise MedcoreError(f"Could not start or reach Ray{f' at {address}' if address else ''}"
                               f" ({type(exc).__name__}: {exc}); expected a running cluster "
                               "(`ray start --head` on the head node) or no --address for a "
                               "local Ray.") from None
    import ray.data               # configures its loggers on import: quieten them after

    logging.getLogger("ray.data").setLevel(logging.WARNING)    # not INFO lines on every run
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False          # the command draws its own
        items = [{"chunk": pickle.dumps(chunk)} for chunk in plan.chunks]
        if not items:
            return
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        scored = dataset.map_batches(
            _Worker, fn_constructor_kwargs={"name": name,
                                            "models_dir": None if models_dir is None
                                            else str(models_dir)},
            batch_size=1, compute=ray.data.ActorPoolStrategy(size=min(workers, len(items))),
            num_cpus=1, batch_format="numpy")
        for batch in scored.iter_batches(batch_size=1, batch_format="numpy",
                                         prefetch_batches=1):
            for n, table, errors in zip(batch["n"], batch["scored"], batch["errors"]):
                yield int(n), pickle.loads(table), pickle.loads(errors)
    finally:
        if started:
            ray.shutdown()
