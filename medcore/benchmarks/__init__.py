"""Benchmarks behind ``python -m medcore bench``: the library's own figures (imaging, records,
models, explanations).

Each group is one module in this package with ``run(*, data=None) -> dict[str, float]``; the
figures of all groups are merged into one JSON object. A group whose prerequisites are missing
(a data file) returns ``{"GROUP_skipped": "reason"}`` instead of failing the run. The dashboard's
figures in a real browser need Chromium and Playwright, which the library never imports: they are
``python -m bench.browser_figures`` in the repository's ``bench/`` folder, which the group
``dashboard`` runs as a subprocess from a checkout.
"""
from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

#: The folder holding the ``medcore`` package (a checkout's root, or site-packages when
#: installed): imports in fresh interpreters run from here, so they time this copy of medcore.
_ROOT = Path(__file__).resolve().parents[2]

#: Benchmark groups, in the order they run.
GROUPS: tuple[str, ...] = ("imaging", "records", "cnn", "fnn", "survival", "rnn", "serving",
                           "explain", "report")
#: Groups run only when named in ``--only``: they take minutes (load, dashboard: a browser;
#: score: a million records and 10,000 scans).
OPT_IN: tuple[str, ...] = ("load", "dashboard", "score")


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def run_all(only: list[str] | None = None, data: Path | None = None) -> dict[str, Any]:
    """Run the selected groups (default: all) and merge their figures."""
    figures: dict[str, Any] = {"machine": machine()}
    for group in only or GROUPS:
        if group not in GROUPS + OPT_IN:
            raise ValueError(f"Unknown benchmark group {group!r}; "
                             f"expected one of {GROUPS + OPT_IN}.")
        try:
            module = importlib.import_module(f"medcore.benchmarks.{group}")
        except ModuleNotFoundError as exc:
            if exc.name != f"medcore.benchmarks.{group}":
                raise
            figures[f"{group}_skipped"] = "benchmark not written yet"
            continue
        figures.update(module.run(data=data))
    return figures


def checkout_bench(group: str, module: str, *, args: tuple[str, ...] = (),
                   env: dict[str, str] | None = None, timeout_s: float) -> dict[str, Any]:
    """The figures ``python -m bench.MODULE --json ARGS`` prints, run in a child process from the
    checkout that holds this ``medcore`` (the browser harness lives in ``bench/``, outside the
    library, which never imports Playwright); else ``{"GROUP_skipped": reason}``: no ``bench/``
    folder (an installed wheel), a run over ``timeout_s``, or one that printed no JSON object.
    A run that exits non-zero after printing its figures (``bench.load`` on errors) keeps them."""
    if not (_ROOT / "bench" / f"{module}.py").is_file():
        return {f"{group}_skipped": f"needs the repository checkout (bench/{module}.py beside the "
                                    f"medcore package in {_ROOT}), Playwright and Chromium"}
    try:
        done = subprocess.run([sys.executable, "-m", f"bench.{module}", "--json", *args],
                              cwd=_ROOT, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                              check=False)
    except subprocess.TimeoutExpired:
        return {f"{group}_skipped": f"python -m bench.{module} took over {timeout_s} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:] or ["no message"]
        return {f"{group}_skipped": f"python -m bench.{module} exited {done.returncode} without "
                                    f"figures: " + " | ".join(tail)[:300]}
    figures = json.loads(lines[-1])
    figures.pop("machine", None)
    return figures


def shipped(kind: Any) -> Any:
    """The first registered model of ``kind`` (a :class:`medcore.registry.ModelKind`) whose files
    are present, or ``None``: the model a per-kind group (``cnn``, ``fnn``, ...) measures."""
    from medcore import registry

    return next((s for s in registry.specs(kind=kind) if registry.is_available(s.name)), None)


def median_ms(func, repeats: int = 30, warmup: int = 3, *, cpu: bool = False) -> float:
    """Median wall time of ``func()`` in milliseconds, after ``warmup`` untimed calls; with
    ``cpu``, the CPU time of this process instead (what a busy shared machine distorts least)."""
    import statistics
    import time

    clock = time.process_time if cpu else time.perf_counter
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeats):
        start = clock()
        func()
        times.append((clock() - start) * 1000.0)
    return round(statistics.median(times), 3)


def per_second(func, items: int, rounds: int = 5) -> float:
    """Throughput of ``func()`` processing ``items`` items per call: one untimed warm-up call,
    then ``rounds`` timed calls; items per second, rounded to 0.1."""
    import time

    func()
    start = time.perf_counter()
    for _ in range(rounds):
        func()
    return round(rounds * items / (time.perf_counter() - start), 1)


def import_ms(module: str, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU time (ms) of ``import module`` inside fresh interpreters.

    On a loaded machine the wall time includes waiting for a core; the CPU time does not.
    """
    code = ("import time; wall, cpu = time.perf_counter(), time.process_time(); import "
            + module + "; print((time.perf_counter() - wall) * 1000.0, "
            "(time.process_time() - cpu) * 1000.0)")
    walls, cpus = [], []
    for _ in range(repeats):
        result = subprocess.run([sys.executable, "-c", code], check=True, cwd=_ROOT,
                                capture_output=True, text=True)
        wall, cpu = result.stdout.strip().splitlines()[-1].split()
        walls.append(float(wall))
        cpus.append(float(cpu))
    return round(statistics.median(walls), 1), round(statistics.median(cpus), 1)
