"""Browser figures of the dashboard in Debian's Chromium: ``python -m bench.browser_figures``.

Run from the repository root (``python -m medcore bench`` gives the model and explanation
figures; these need a browser, so they live here with the harness, :mod:`bench.browser`).

- ``cold_start_s``: seconds from starting the server process to the home page rendered in the
  browser (target <= 4 s); ``cold_start_tensorflow_loaded`` says whether the server had loaded
  TensorFlow by then (it must not: no page before a model page needs it).
Waits are measured where the clinician waits, on the page's own clock (``bench/page_timing.js``):
from the click or key press to the browser having painted the result. Playwright's wall clock
also counts its own steps (finding an element, opening a list and typing into it, polling for
websocket frames); it is reported beside them as ``*_wall_s``.

- ``bytecode_compiled``: whether the dashboard's modules were compiled as the README's install
  line does (``python -m compileall``); without it, under ``PYTHONDONTWRITEBYTECODE``, a fresh
  server compiles them as it imports them (about 0.2 s of ``first_diagnosis_cold_s``).
- ``first_diagnosis_cold_s`` / ``first_diagnosis_warm_s``: opening Diagnosis (right after Home
  rendered) and picking a sample radiograph, the first time in a fresh server (LiteRT model
  load included, no TensorFlow: target <= 1.5 s) and again once the model is cached (target
  <= 0.5 s): the click on the Diagnosis link to the page painted (``*_page_wait_s``) plus the
  click on the sample in the list to the probability painted (``*_result_wait_s``).
  ``*_wall_s``: Playwright's clock from the link's click to the probability on screen, the
  picking included; ``*_run_s``: to the end of the page's run, the map drawn.
- ``threshold_change_s``: median seconds from a key press on the breast-aspirate tab's threshold
  slider to the run it causes painted (an ``st.fragment``: the slider's section reruns, not
  the page), over :data:`THRESHOLD_PRESSES` presses (target <= 0.3 s); ``threshold_change_max_s``
  the slowest.
- ``explanation_first_visit_s``: seconds (wall clock) from clicking Explanation in the sidebar
  to the end of the page's run (its first tab's sentence and chart drawn), in a server where
  Diagnosis and Survival have run (models warm, explainers cold; target <= 3 s).
  ``explanation_tabs_first_s``: the first opening of each other tab (its explainer built).
  ``explanation_tab_switch_s``: the median seconds from a tab click to its run painted, over
  :data:`TAB_SWITCH_ROUNDS` rounds of every tab once each was opened (target <= 1 s; only the
  open tab computes).
- ``server_rss_mb_predictions``: resident memory of the server's process tree after Home,
  Upload, Diagnosis (two radiographs, with their maps) and Survival were opened, and
  Explanation not (target <= 400 MB); ``server_rss_mb``: after every page, and so every model,
  has been used (target <= 1.2 GB).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench.browser import (bytecode_compiled, chromium_missing_reason, diagnose_sample,
                           diagnosis_samples, launch_chromium, new_tab, open_model_tab, open_page,
                           running_dashboard, tensorflow_loaded, timed_action, tree_rss_mb)


def run(*, data: Path | None = None) -> dict[str, Any]:
    """Browser figures: cold start, first diagnosis cold and warm, server memory (after the
    prediction pages, then after every page).

    Parameters
    ----------
    data : Path, optional
        Data folder passed to the server as ``MEDCORE_DATA_DIR`` (default: the environment's).

    Returns
    -------
    dict
        The figures named in the module docstring, or ``{"browser_skipped": reason}``.
    """
    reason = chromium_missing_reason()
    if reason:
        return {"browser_skipped": reason}
    from playwright.sync_api import sync_playwright

    env = {"MEDCORE_DATA_DIR": str(data)} if data else None
    figures: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = new_tab(browser)
            with running_dashboard(env=env) as server:
                page.goto(server.url)
                page.get_by_role("heading", name="medcore", exact=True).wait_for(timeout=60_000)
                figures["cold_start_s"] = round(time.perf_counter() - server.started_at, 2)
                figures["cold_start_tensorflow_loaded"] = tensorflow_loaded(server.process.pid)
                figures["bytecode_compiled"] = bytecode_compiled()
                figures.update(_diagnosis_figures(page, data))
                figures.update(_threshold_change(page))
                for title in ("Upload", "Survival"):
                    open_page(page, title, 180_000)
                figures["server_rss_mb_predictions"] = tree_rss_mb(server.process.pid)
                open_page(page, "Diagnosis", 180_000)
                figures.update(_explanation_figures(page))
                figures["server_rss_mb"] = tree_rss_mb(server.process.pid)
        finally:
            browser.close()
    return figures


def _diagnosis_figures(page: Any, data: Path | None) -> dict[str, Any]:
    """First diagnosis in a fresh server (cold), then on another sample, model cached (warm)."""
    first, second = diagnosis_samples(data)
    cold = diagnose_sample(page, first)
    open_page(page, "Home", heading="medcore")
    warm = diagnose_sample(page, second)
    figures: dict[str, Any] = {"first_diagnosis_sample": first}
    for name, diagnosis in (("cold", cold), ("warm", warm)):
        figures |= {f"first_diagnosis_{name}_s": round(diagnosis.waited_s, 2),
                    f"first_diagnosis_{name}_page_wait_s": round(diagnosis.page_wait_s, 2),
                    f"first_diagnosis_{name}_result_wait_s": round(diagnosis.result_wait_s, 2),
                    f"first_diagnosis_{name}_wall_s": round(diagnosis.probability_s, 2),
                    f"first_diagnosis_{name}_run_s": round(diagnosis.total_s, 2)}
    return figures


#: Key presses on the threshold slider whose median is reported.
THRESHOLD_PRESSES = 7
THRESHOLD_SLIDER = "Threshold: P(malignant)"


def _threshold_change(page: Any) -> dict[str, float]:
    """Median seconds from a key press on the focused threshold slider to the fragment's run
    painted, on the page's clock (and Playwright's wall clock to the run's end)."""
    import statistics

    open_model_tab(page, "Breast aspirate: malignancy", 180_000)   # a run: only open tabs run
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=THRESHOLD_SLIDER).first \
        .get_by_role("slider")
    thumb.wait_for(timeout=180_000)
    thumb.focus()
    waits, walls = [], []
    for _ in range(THRESHOLD_PRESSES):
        start = time.perf_counter()
        waits.append(timed_action(page, lambda: page.keyboard.press("ArrowRight"), 60_000))
        walls.append(time.perf_counter() - start)
    return {"threshold_change_s": round(statistics.median(waits), 3),
            "threshold_change_max_s": round(max(waits), 3),
            "threshold_change_wall_s": round(statistics.median(walls), 3)}


#: Rounds over every Explanation tab whose switch times give the median.
TAB_SWITCH_ROUNDS = 2


def _explanation_figures(page: Any) -> dict[str, Any]:
    """First visit of the Explanation page, first opening of each other tab, then tab switches
    with every tab computed once (the page computes only the open tab)."""
    import statistics

    from medcore import registry

    start = time.perf_counter()
    open_page(page, "Explanation", 180_000)
    figures: dict[str, Any] = {"explanation_first_visit_s": round(time.perf_counter() - start,
                                                                   2)}
    tabs = [spec.section("Explanation").tab for spec in registry.specs(page="Explanation")]
    first = {label: _open_tab(page, label) for label in tabs[1:]}
    switches = [_open_tab(page, label) for _ in range(TAB_SWITCH_ROUNDS)
                for label in tabs[1:] + tabs[:1]]
    figures["explanation_tabs_first_s"] = {label: wait for label, (wait, _) in first.items()}
    figures["explanation_tab_switch_s"] = round(statistics.median(w for w, _ in switches), 3)
    figures["explanation_tab_switch_max_s"] = round(max(w for w, _ in switches), 3)
    figures["explanation_tab_switch_wall_s"] = round(statistics.median(w for _, w in switches),
                                                     3)
    return figures


def _open_tab(page: Any, label: str) -> tuple[float, float]:
    """Seconds from the click on the Explanation tab ``label`` to the run it causes painted,
    on the page's clock; and Playwright's wall clock from the click to the run's end."""
    tab = page.get_by_role("tab", name=label, exact=True)
    tab.wait_for(timeout=180_000)
    start = time.perf_counter()
    wait = timed_action(page, tab.click, 180_000)
    return round(wait, 3), round(time.perf_counter() - start, 3)


def main(argv: list[str] | None = None) -> int:
    """Print the machine and the browser figures as one JSON object."""
    from medcore.benchmarks import machine

    parser = argparse.ArgumentParser(prog="python -m bench.browser_figures",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None,
                        help="data folder for the server (default: $MEDCORE_DATA_DIR)")
    parser.add_argument("--json", action="store_true", help="print compact JSON")
    args = parser.parse_args(argv)
    figures = {"machine": machine(), **run(data=args.data)}
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
