"""Ten clinicians at once: ``python -m bench.load --json`` (run from the repository root).

One ``streamlit run dashboard.py`` with sign-in (a local ``oidc-provider-mock``, see
:mod:`bench.oidc`; ``--no-sign-in`` for the local demo), one headless Chromium, and N browser
contexts (N clinicians, each signed in as a different user) driven at the same time by one
Playwright driver attached to it (asyncio: one task per clinician; a driver per clinician, as
before, each attached over CDP, took 97 s of CPU in a 117 s run, three times the server and
Chromium together, and slowed the pages it measured). Every clinician, ``--rounds`` times:
open Diagnosis, pick a sample radiograph (a different one per clinician and round), read the
probability; open Survival, press "Predict survival", read the 5-year figure.

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
  ``load_p95_wall_s``: the same steps on the harness's clock, which also counts its own steps
  (finding elements, typing into lists, polling), on the same two cores.
- ``load_p95_by_round_s``: the same p95 per round (journey 1, 2, ...): the first round is
  every clinician's first visit at the same moment.
- ``load_errors``: steps that failed or never ran (timeout, an exception box on the page, a
  failed sign-in); must be 0.
- ``load_server_rss_mb``: the server process tree's peak resident memory, sampled every 0.5 s
  during the run (target <= 1,500 MB).
- ``load_wall_s``, ``load_server_cpu_s`` / ``load_browser_cpu_s`` / ``load_driver_cpu_s``:
  seconds of the journeys (from the moment every clinician is signed in), and the CPU seconds
  the server, Chromium and the bench itself (this process and its Playwright driver) used in
  them, to tell a slow server from a busy client on the same cores.

``--floor``: the same clinicians and steps on ``bench/load_floor_app.py``, the smallest
Streamlit app that has them (no models, sign-in, charts or pictures): the least these figures can
be for any Streamlit dashboard on this machine, with these browsers on the same cores.

Bounded: at most :data:`MAX_SESSIONS` sessions and :data:`MAX_ROUNDS` rounds, each step times
out after ``--step-timeout`` seconds, and the whole run stops at ``--deadline`` seconds (steps
not started by then count as errors). Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import asyncio
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

    The bench's one Playwright driver attaches to it (``connect_over_cdp``): one browser
    process holds every clinician's context.
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


async def _until(page: Any, done: Any, timeout_ms: float) -> list[dict[str, Any]]:
    """The page's timing events (:data:`bench.browser.PAGE_TIMING_JS`), gathered until
    ``done(events)`` holds; polled every 0.1 s (the page keeps the times)."""
    events: list[dict[str, Any]] = []
    deadline = time.perf_counter() + timeout_ms / 1000.0
    while True:
        events += await page.evaluate(launcher.READ_TIMINGS_JS)
        if done(events):
            return events
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the page did not record what was awaited within "
                               f"{timeout_ms / 1000:.0f} s: {events[-5:]}")
        await asyncio.sleep(0.1)


async def _timed(page: Any, action: Any, timeout_ms: float) -> float:
    """``await action()`` (a click), then seconds from its pointerdown to its run painted, on
    the page's clock (:func:`bench.browser.timed_action`, for this event loop)."""
    await page.evaluate(launcher.READ_TIMINGS_JS)           # forget what came before
    await action()
    events = await _until(page, launcher.painted_after_input, timeout_ms)
    return launcher.input_to_painted_ms(events) / 1000.0


async def _open(page: Any, title: str, timeout_ms: float) -> float:
    """Open a page by its sidebar link; seconds waited (click to painted)."""
    waited = await _timed(page, launcher.sidebar_link(page, title).click, timeout_ms)
    await page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=timeout_ms)
    return waited


async def _metric(page: Any, label: str, timeout_ms: float) -> str:
    value = launcher.metric_value_locator(page, label)
    await value.wait_for(timeout=timeout_ms)
    return (await value.inner_text()).strip()


async def diagnosis_step(page: Any, sample: str, timeout_ms: float) -> float:
    """Open Diagnosis, pick ``sample``, read the probability. Returns the seconds waited: the
    link's click to the page painted, plus the sample's click to the probability painted
    (:class:`bench.browser.Diagnosis`'s ``waited_s``)."""
    waited = await _open(page, "Diagnosis", timeout_ms)
    await page.evaluate(launcher.WATCH_JS, ["stMetric", launcher.DIAGNOSIS_METRIC_LABEL])
    box = page.get_by_role("combobox", name=launcher.DIAGNOSIS_SOURCE_LABEL, exact=True)
    await box.click()
    await box.fill(sample)
    await page.get_by_role("option", name=sample).first.click()
    events = await _until(page, launcher.shown_recorded, timeout_ms)
    await _metric(page, launcher.DIAGNOSIS_METRIC_LABEL, timeout_ms)
    return waited + launcher.pick_to_shown_ms(events) / 1000.0


async def survival_step(page: Any, timeout_ms: float) -> float:
    """Open Survival, press "Predict survival" (the form's defaults), read the 5-year figure.
    Returns the seconds waited: the link's click to the page painted, plus the button's click
    to its run painted."""
    waited = await _open(page, "Survival", timeout_ms)
    panel = page.locator('[data-testid="stTabPanel"]:visible').first
    submit = panel.get_by_role("button", name=SURVIVAL_SUBMIT)
    await submit.wait_for(timeout=timeout_ms)
    waited += await _timed(page, submit.click, timeout_ms)
    await _metric(page, SURVIVAL_FIGURE, timeout_ms)
    return waited


async def journey(page: Any, sample: str, timeout_ms: float) -> dict[str, float]:
    """One clinician's journey; seconds per step, waited (the page's clock) and wall (this
    loop's clock, the harness's own steps included). Raises on a failed step."""
    timings: dict[str, float] = {}
    for step, run_step in (("diagnosis", lambda: diagnosis_step(page, sample, timeout_ms)),
                           ("survival", lambda: survival_step(page, timeout_ms))):
        start = time.perf_counter()
        timings[step] = await run_step()
        timings[f"{step}_wall"] = time.perf_counter() - start
        errors = [await box.inner_text() for box in await page.locator(launcher.EXCEPTION).all()]
        if errors:
            raise RuntimeError(f"{step}: Streamlit exception on the page: {errors[0][:200]}")
    return timings


async def _sign_in(page: Any, server: launcher.DashboardServer, user: oidc.Clinician | None,
                   timeout_ms: float) -> None:
    """:func:`bench.oidc.sign_in` (or, without sign-in, the home page), for this event loop."""
    await page.goto(server.url)
    if user is not None:
        await page.get_by_role("button", name=oidc.SIGN_IN_BUTTON, exact=True).click(
            timeout=timeout_ms)
        await page.get_by_role("button", name=user.sub, exact=True).click(timeout=timeout_ms)
        await page.locator('[data-testid="stSidebar"]').get_by_text(
            f"{oidc.SIGNED_IN_AS} {user.name}").wait_for(timeout=timeout_ms)
    await page.locator(launcher.APP_IDLE).wait_for(timeout=timeout_ms)


async def _signed_in_page(browser: Any, server: launcher.DashboardServer,
                          user: oidc.Clinician | None, result: Clinician,
                          timeout_ms: float) -> Any:
    """A clinician's tab: a context of the one browser, signed in; None (and the failure in
    ``result.errors``) if that failed."""
    try:
        context = await browser.new_context(viewport=launcher.VIEWPORT)
        context.set_default_timeout(timeout_ms)
        await context.add_init_script(path=str(launcher.PAGE_TIMING_JS))
        page = await context.new_page()
        await _sign_in(page, server, user, timeout_ms)
        return page
    except Exception as exc:  # noqa: BLE001 - counted and reported, the others go on
        result.errors.append(f"setup: {type(exc).__name__}: {exc}"[:300])
        return None


async def _journeys(page: Any, result: Clinician, samples: list[str], rounds: int,
                    timeout_ms: float, deadline: float) -> None:
    """``rounds`` journeys of one clinician; failures land in ``result.errors`` (a step that
    never ran counts as an error in :func:`run`)."""
    for round_ in range(rounds if page is not None else 0):
        if time.perf_counter() > deadline:
            result.errors.append(f"deadline reached before round {round_}")
            break
        sample = samples[(result.index + round_) % len(samples)]
        try:
            for step, seconds in (await journey(page, sample, timeout_ms)).items():
                result.timings[step].append(seconds)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the round goes on
            result.errors.append(f"round {round_}: {type(exc).__name__}: {exc}"[:300])


async def _drive(endpoint: str, server: launcher.DashboardServer, users: list,
                 samples: list[str], rounds: int, timeout_ms: float, deadline_s: float,
                 warm: Clinician, results: list[Clinician], mark: Any) -> None:
    """One Playwright driver attached to the one Chromium: the warm-up journey,
    ``mark("warm")``, every clinician signed in, ``mark("start")``, every clinician's journeys
    at once, ``mark("end")``."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(endpoint)
        try:
            deadline = time.perf_counter() + deadline_s
            page = await _signed_in_page(browser, server, users[-1], warm, timeout_ms)
            await _journeys(page, warm, samples, 1, timeout_ms, deadline)
            mark("warm")
            pages = await asyncio.gather(*(_signed_in_page(browser, server, users[i], result,
                                                           timeout_ms)
                                           for i, result in enumerate(results)))
            mark("start")
            deadline = time.perf_counter() + deadline_s
            await asyncio.gather(*(_journeys(page, result, samples, rounds, timeout_ms,
                                             deadline)
                                   for page, result in zip(pages, results)))
            mark("end")
        finally:
            await browser.close()


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 2)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its living descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for current in launcher.process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks   # utime, stime (fields 14, 15)
    return total


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


#: The floor's app (``--floor``): the same steps on the smallest Streamlit app that has them.
FLOOR_APP = "bench/load_floor_app.py"


def run(*, sessions: int = 10, rounds: int = 2, sign_in: bool = True,
        step_timeout_s: float = 120.0, deadline_s: float = 900.0,
        floor: bool = False) -> dict[str, Any]:
    """N clinicians at once against one server; the figures named in the module docstring.

    ``floor=True`` runs the same clinicians, steps and timing against :data:`FLOOR_APP`
    instead of the dashboard (no sign-in, models, charts or pictures): what Streamlit's
    frontend, the browsers and the harness cost by themselves on this machine, the least any
    Streamlit dashboard's ``load_p95_s`` can be here.

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
    sign_in = sign_in and not floor
    users = oidc.CLINICIANS[:sessions + 1] if sign_in else [None] * (sessions + 1)
    figures: dict[str, Any] = {"load_sessions": sessions, "load_rounds": rounds,
                               "load_sign_in": sign_in, "load_floor": floor,
                               "load_loadavg_start": round(os.getloadavg()[0], 2)}
    with ExitStack() as stack:
        with tempfile.TemporaryDirectory(prefix="medcore-load-audit-") as folder:
            env = {"MEDCORE_AUDIT_LOG": os.path.join(folder, "audit.jsonl")}
            if floor:
                env["MEDCORE_FLOOR_SAMPLES"] = "\n".join(samples)
                server = stack.enter_context(launcher.running_dashboard(env=env,
                                                                        script=FLOOR_APP))
            else:
                server = stack.enter_context(oidc.dashboard_with_sign_in(env=env) if sign_in
                                             else launcher.running_dashboard(env=env))
            endpoint, browser_pid = stack.enter_context(shared_chromium())
            warm = Clinician(index=0)
            results = [Clinician(index=i) for i in range(sessions)]
            pids = {"server": server.process.pid, "browser": browser_pid,
                    "all": os.getpid()}   # this process: the one Playwright driver, children
            cpu: dict[str, dict[str, float]] = {}
            began = time.perf_counter()

            def mark(moment: str) -> None:  # "warm", "start" (all signed in), "end"
                cpu[moment] = {name: tree_cpu_s(pid) for name, pid in pids.items()}
                cpu[moment]["wall"] = time.perf_counter()

            with PeakMemory(server.process.pid) as memory:
                asyncio.run(_drive(endpoint, server, users, samples, rounds, timeout_ms,
                                   deadline_s, warm, results, mark))
            if warm.errors:
                figures["load_warmup_errors"] = warm.errors
            if "warm" in cpu:
                figures["load_warmup_s"] = round(cpu["warm"]["wall"] - began, 2)
            if "end" in cpu:
                used = {name: cpu["end"][name] - cpu["start"][name] for name in cpu["end"]}
                figures["load_wall_s"] = round(used["wall"], 2)
                figures["load_server_cpu_s"] = round(used["server"], 1)
                figures["load_browser_cpu_s"] = round(used["browser"], 1)
                # the harness: this process and its Playwright driver (the clinicians' hands)
                figures["load_driver_cpu_s"] = round(used["all"] - used["server"]
                                                     - used["browser"], 1)
            if not floor:
                with open(env["MEDCORE_AUDIT_LOG"]) as audit:
                    figures["load_audit_lines"] = sum(1 for _ in audit)
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
        # the first round is a herd (every clinician opens Diagnosis at once, each in a fresh
        # context that loads the frontend's code for each element type the first time)
        "load_p95_by_round_s": {step: [_percentile([r.timings[step][i] for r in results
                                                    if len(r.timings[step]) > i], 95)
                                       for i in range(rounds)] for step in STEPS},
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
    parser.add_argument("--floor", action="store_true",
                        help="the same steps on bench/load_floor_app.py, the smallest Streamlit "
                             "app that has them: the least load_p95_s can be on this machine")
    parser.add_argument("--step-timeout", type=float, default=120.0, help="seconds per step")
    parser.add_argument("--deadline", type=float, default=900.0,
                        help="seconds after which no new journey starts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = run(sessions=args.sessions, rounds=args.rounds, sign_in=not args.no_sign_in,
                  step_timeout_s=args.step_timeout, deadline_s=args.deadline, floor=args.floor)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 1 if figures.get("load_errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
