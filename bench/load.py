"""Ten clinicians at once: ``python -m bench.load --json`` (run from the repository root).

One ``streamlit run dashboard.py`` with sign-in (a local ``oidc-provider-mock``, see
:mod:`bench.oidc`; ``--no-sign-in`` for the local demo), one headless Chromium, and N browser
contexts (N clinicians, each signed in as a different user) driven at the same time, one thread
each. Every clinician, ``--rounds`` times: open Diagnosis, pick a sample radiograph (a different
one per clinician and round), read the probability; open Survival, press "Predict survival",
read the 5-year figure.

The server is warmed first by one clinician's journey (models loaded, as on a server that has
been running), so the figures are of concurrent use, not of the cold start that
``python -m bench.browser_figures`` measures.

Figures:

- ``load_sessions``, ``load_rounds``: clinicians and journeys per clinician.
- ``load_p50_s`` / ``load_p95_s``: per step, the seconds a clinician waits, on the page's own
  clock (``bench/page_timing.js``): ``diagnosis``, the click on the Diagnosis link to the page
  painted plus the click on the sample to the probability painted; ``survival``, the click on
  the Survival link to the page painted plus the click on "Predict survival" to its run
  painted. Target: p95 of ``diagnosis`` <= 3 s with 10 sessions (quiet 2 cores).
  ``load_p95_wall_s``: the same steps on Playwright's clock, which also counts its own steps
  (ten Playwright drivers finding elements and typing into lists, on the same two cores).
- ``load_errors``: steps that failed or never ran (timeout, an exception box on the page, a
  failed sign-in); must be 0.
- ``load_server_rss_mb``: the server process tree's peak resident memory, sampled every 0.5 s
  during the run (target <= 1,500 MB).
- ``load_wall_s``, ``load_server_cpu_s`` / ``load_browser_cpu_s`` / ``load_driver_cpu_s``:
  seconds of the journeys (from the moment every clinician is signed in), and the CPU seconds
  the server, Chromium and the bench itself (its threads and Playwright drivers) used in them,
  to tell a slow server from a busy client on the same cores.

Bounded: at most :data:`MAX_SESSIONS` sessions and :data:`MAX_ROUNDS` rounds, each step times
out after ``--step-timeout`` seconds, and the whole run stops at ``--deadline`` seconds (steps
not started by then count as errors). Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import oidc
from bench import browser as launcher

MAX_SESSIONS = 20
MAX_ROUNDS = 5
STEPS = ("diagnosis", "survival")
#: The Survival page's breast-cancer form (first tab) and the figure its prediction shows.
SURVIVAL_SUBMIT = "Predict survival"
SURVIVAL_FIGURE = "Recurrence-free at 5 years"


@dataclass
class Clinician:
    """One simulated clinician's results: step timings and errors."""

    index: int
    timings: dict[str, list[float]] = field(default_factory=lambda: {
        name: [] for step in STEPS for name in (step, f"{step}_wall")})
    errors: list[str] = field(default_factory=list)


@contextmanager
def shared_chromium() -> Iterator[tuple[str, int]]:
    """Debian's Chromium, headless, with a DevTools endpoint on a free 127.0.0.1 port:
    ``(endpoint URL, browser process id)``.

    Each clinician thread attaches its own Playwright to it (``connect_over_cdp``), so one
    browser process holds every context while the threads drive them at the same time.
    """
    port = launcher.free_port()
    with tempfile.TemporaryDirectory(prefix="medcore-load-chromium-") as profile:
        process = subprocess.Popen(
            [str(launcher.CHROMIUM_PATH), *launcher.CHROMIUM_ARGS,
             "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={port}",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            if not oidc.wait_for_url(f"{endpoint}/json/version", process, 30.0):
                raise RuntimeError(f"Chromium did not open its DevTools endpoint {endpoint} "
                                   "within 30 s.")
            yield endpoint, process.pid
        finally:
            launcher.stop_process(process)


def assessable_samples() -> tuple[str, ...]:
    """The PneumoniaMNIST samples the model assesses: each journey reads a probability, and a
    sample outside the model's intended use (one of the shipped test images is flatter than 98%
    of the training films) shows "Not assessable by this model" instead, which would time out."""
    from medcore import registry, samples
    from medcore.models import pneumonia_cnn

    card = registry.load_card(pneumonia_cnn.NAME)
    kept = [name for name in samples.list_samples() if name.startswith("PneumoniaMNIST")
            and pneumonia_cnn.assess_input(samples.load_sample(name), card).assessable]
    return tuple(kept)


def survival_step(tab: Any, timeout_ms: float) -> float:
    """Open Survival, press "Predict survival" (the form's defaults), wait for the 5-year figure.

    Returns the seconds the clinician waited, on the page's clock: the Survival link's click to
    the page painted, plus the button's click to its run painted."""
    link = tab.locator('[data-testid="stSidebarNav"]').get_by_text("Survival", exact=True)
    waited = launcher.timed_action(tab, link.click, timeout_ms)
    tab.get_by_role("heading", name="Survival", exact=True).first.wait_for(timeout=timeout_ms)
    panel = tab.locator('[data-testid="stTabPanel"]:visible').first
    submit = panel.get_by_role("button", name=SURVIVAL_SUBMIT)
    submit.wait_for(timeout=timeout_ms)
    waited += launcher.timed_action(tab, submit.click, timeout_ms)
    launcher.metric_value(tab, SURVIVAL_FIGURE, timeout_ms)
    return waited


def journey(tab: Any, sample: str, timeout_ms: float) -> dict[str, float]:
    """One clinician's journey; seconds per step, waited (the page's clock) and wall (Playwright's,
    its own steps included). Raises on a failed step."""
    diagnosis = launcher.diagnose_sample(tab, sample, timeout_ms)
    _raise_on_page_errors(tab, "diagnosis")
    start = time.perf_counter()
    survival = survival_step(tab, timeout_ms)
    survival_wall = time.perf_counter() - start
    _raise_on_page_errors(tab, "survival")
    return {"diagnosis": diagnosis.waited_s, "survival": survival,
            "diagnosis_wall": diagnosis.total_s, "survival_wall": survival_wall}


def _raise_on_page_errors(tab: Any, step: str) -> None:
    errors = launcher.page_errors(tab)
    if errors:
        raise RuntimeError(f"{step}: Streamlit exception on the page: {errors[0][:200]}")


def _clinician(endpoint: str, server: launcher.DashboardServer, user: oidc.Clinician | None,
               result: Clinician, samples: list[str], rounds: int, timeout_ms: float,
               start: threading.Barrier, deadline: float) -> None:
    """One thread: its own Playwright attached to the shared Chromium, one context, signed in,
    then (once every clinician is signed in) ``rounds`` journeys. Failures land in
    ``result.errors``; a step that never ran counts as an error in :func:`run`."""
    from playwright.sync_api import sync_playwright

    playwright = browser = None
    try:
        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.connect_over_cdp(endpoint)
            tab = launcher.new_tab(browser, timeout_ms)
            if user is not None:
                oidc.sign_in(tab, server, user, timeout_ms=timeout_ms)
            else:
                tab.goto(server.url)
                launcher.wait_for_app_idle(tab, timeout_ms)
        finally:
            start.wait(timeout=max(deadline - time.perf_counter(), 1.0))  # all start together
        for round_ in range(rounds):
            if time.perf_counter() > deadline:
                result.errors.append(f"deadline reached before round {round_}")
                break
            sample = samples[(result.index + round_) % len(samples)]
            try:
                for step, seconds in journey(tab, sample, timeout_ms).items():
                    result.timings[step].append(seconds)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the round goes on
                result.errors.append(f"round {round_}: {type(exc).__name__}: {exc}"[:300])
    except Exception as exc:  # noqa: BLE001 - counted and reported, the others go on
        result.errors.append(f"setup: {type(exc).__name__}: {exc}"[:300])
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 2)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its living descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks   # utime, stime (fields 14, 15)
        pending.extend(launcher.children(current))
    return total


def _own_cpu_s() -> float:
    """CPU seconds of this process (every clinician's thread) and of its children that have
    exited (the Playwright drivers, stopped at the end of each clinician's journeys: their
    whole life, sign-in included)."""
    import resource

    return sum(usage.ru_utime + usage.ru_stime for usage in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


class PeakMemory:
    """Samples the server tree's resident memory every 0.5 s in a thread; ``peak_mb``."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_mb = max(self.peak_mb, launcher.tree_rss_mb(self.pid))
            except ProcessLookupError:
                return
            self._stop.wait(0.5)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, launcher.tree_rss_mb(self.pid))


def run(*, sessions: int = 10, rounds: int = 2, sign_in: bool = True,
        step_timeout_s: float = 120.0, deadline_s: float = 900.0) -> dict[str, Any]:
    """N clinicians at once against one server; the figures named in the module docstring.

    Raises
    ------
    ValueError
        ``sessions`` or ``rounds`` outside 1..MAX_SESSIONS / 1..MAX_ROUNDS.
    """
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions={sessions}; expected 1 to {MAX_SESSIONS}.")
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds={rounds}; expected 1 to {MAX_ROUNDS}.")
    reason = launcher.chromium_missing_reason()
    if reason:
        return {"load_skipped": reason}
    timeout_ms = step_timeout_s * 1000.0
    samples = list(assessable_samples()) or list(launcher.diagnosis_samples())
    users = oidc.CLINICIANS[:sessions + 1] if sign_in else [None] * (sessions + 1)
    figures: dict[str, Any] = {"load_sessions": sessions, "load_rounds": rounds,
                               "load_sign_in": sign_in,
                               "load_loadavg_start": round(os.getloadavg()[0], 2)}
    with ExitStack() as stack:
        with tempfile.TemporaryDirectory(prefix="medcore-load-audit-") as folder:
            env = {"MEDCORE_AUDIT_LOG": os.path.join(folder, "audit.jsonl")}
            server = stack.enter_context(oidc.dashboard_with_sign_in(env=env) if sign_in
                                         else launcher.running_dashboard(env=env))
            endpoint, browser_pid = stack.enter_context(shared_chromium())
            warm = Clinician(index=0)
            started = time.perf_counter()
            _clinician(endpoint, server, users[-1], warm, samples, 1, timeout_ms,
                       threading.Barrier(1), time.perf_counter() + deadline_s)
            figures["load_warmup_s"] = round(time.perf_counter() - started, 2)
            if warm.errors:
                figures["load_warmup_errors"] = warm.errors
            results = [Clinician(index=i) for i in range(sessions)]
            pids = {"server": server.process.pid, "browser": browser_pid}
            at_start: dict[str, float] = {}

            def everyone_signed_in() -> None:  # the journeys start: wall clock and CPU from here
                at_start.update({name: tree_cpu_s(pid) for name, pid in pids.items()},
                                wall=time.perf_counter(), driver=_own_cpu_s())

            barrier = threading.Barrier(sessions, action=everyone_signed_in)
            deadline = time.perf_counter() + deadline_s
            with PeakMemory(server.process.pid) as memory:
                threads = [threading.Thread(target=_clinician, args=(
                    endpoint, server, users[i], results[i], samples, rounds, timeout_ms,
                    barrier, deadline)) for i in range(sessions)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            if at_start:  # else the clinicians never all signed in: every step is an error
                figures["load_wall_s"] = round(time.perf_counter() - at_start["wall"], 2)
                for name, pid in pids.items():
                    figures[f"load_{name}_cpu_s"] = round(tree_cpu_s(pid) - at_start[name], 1)
                # this process and its Playwright drivers: the clinicians' hands, not the product
                figures["load_driver_cpu_s"] = round(_own_cpu_s() - at_start["driver"], 1)
            figures["load_audit_lines"] = sum(1 for _ in open(env["MEDCORE_AUDIT_LOG"]))
    walls = {step: [t for r in results for t in r.timings[f"{step}_wall"]] for step in STEPS}
    timings = {step: [t for r in results for t in r.timings[step]] for step in STEPS}
    errors = [e for r in results for e in r.errors]
    missing = sessions * rounds * len(STEPS) - sum(len(t) for t in timings.values())
    figures.update({
        "load_p50_s": {step: _percentile(timings[step], 50) for step in STEPS},
        "load_p95_s": {step: _percentile(timings[step], 95) for step in STEPS},
        "load_p95_wall_s": {step: _percentile(walls[step], 95) for step in STEPS},
        "load_max_s": {step: round(max(timings[step]), 2) if timings[step] else None
                       for step in STEPS},
        "load_steps": {step: len(timings[step]) for step in STEPS},
        "load_errors": missing,
        "load_error_messages": errors[:5],
        "load_server_rss_mb": round(memory.peak_mb, 1),
        "load_loadavg_end": round(os.getloadavg()[0], 2),
        "load_samples": samples,
    })
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="clinicians at once (1-20)")
    parser.add_argument("--rounds", type=int, default=2, help="journeys per clinician (1-5)")
    parser.add_argument("--no-sign-in", action="store_true",
                        help="run the local demo (no [auth]) instead of signed-in sessions")
    parser.add_argument("--step-timeout", type=float, default=120.0, help="seconds per step")
    parser.add_argument("--deadline", type=float, default=900.0,
                        help="seconds after which no new journey starts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = run(sessions=args.sessions, rounds=args.rounds, sign_in=not args.no_sign_in,
                  step_timeout_s=args.step_timeout, deadline_s=args.deadline)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 1 if figures.get("load_errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
