"""Benchmark group ``report``: one patient report, warm (issue 16).

For each shipped model, two real inputs (shipped PneumoniaMNIST test radiographs, WDBC test
aspirates, GBSG patients, held-out PBC patients' visits) are made into reports with their
explanation. The first input warms the server up, untimed (models, explainers and the kaleido
browser loaded, as in a server that has shown a page). Then, for the second input:

``report_pdf_new_input_s_NAME``: its first PDF (the explanation computed: the cost of the first
click for a new patient); ``report_pdf_s_NAME`` / ``report_html_s_NAME``: the median of
``REPEATS`` further reports of it (the patient on screen, clicked again or in the other format:
the explanation is kept, every other step is redone: prediction, sentences, figures drawn by
kaleido, layout). ``report_pdf_s``, ``report_html_s``, ``report_pdf_new_input_s``: the slowest
model's; ``report_max_bytes``: the largest report written (PDF or HTML). Without a Chromium the
PDF figures are skipped with the reason.
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from medcore import registry
from medcore.registry import ModelKind

REPEATS = 3


def _example(kind: ModelKind, name: str, index: int, data=None) -> Any:
    """Real input number ``index`` of the model, as its page would hold it."""
    module = registry.model_module(name)
    if kind is ModelKind.IMAGE_CLASSIFIER:
        from medcore.samples import list_samples, load_sample

        names = [s for s in list_samples(data) if s.startswith("PneumoniaMNIST")]
        return load_sample(names[index], data)
    if kind is ModelKind.TABULAR_CLASSIFIER:
        return module.test_inputs(data)[0].iloc[[index]]
    if kind is ModelKind.SURVIVAL:
        from medcore.datasets.rotterdam_gbsg import load_gbsg

        return load_gbsg(data).iloc[[index]].reset_index(drop=True)
    visits = module.demo_visits(data)
    return visits[visits["id"] == visits["id"].unique()[index]]


def _seconds(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return round(time.perf_counter() - start, 3), result


def _median_s(func: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3), result


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --json``."""
    from medcore.report import build_report, pdf_unavailable_reason, to_html, to_pdf

    figures: dict[str, Any] = {}
    unavailable = pdf_unavailable_reason()
    sizes = []
    for spec in registry.specs():
        if not registry.is_available(spec.name):
            continue
        served = registry.serving_model(spec.name)
        inputs = [_example(spec.kind, spec.name, index, data) for index in (0, 1)]

        def build(index, spec=spec, served=served, inputs=inputs):
            return build_report(spec.name, inputs[index], served=served, origin="benchmark")

        report = build(0)                                       # warm-up, untimed
        to_html(report)
        if unavailable is None:
            to_pdf(report)
            first_s, _ = _seconds(lambda: to_pdf(build(1)))
            figures[f"report_pdf_new_input_s_{spec.name}"] = first_s
        html_s, html = _median_s(lambda: to_html(build(1)))
        figures[f"report_html_s_{spec.name}"] = html_s
        sizes.append(len(html.encode()))
        if unavailable is None:
            pdf_s, pdf = _median_s(lambda: to_pdf(build(1)))
            figures[f"report_pdf_s_{spec.name}"] = pdf_s
            sizes.append(len(pdf))
    if not sizes:
        return {"report_skipped": "no model is trained (python -m medcore train NAME)"}
    figures["report_html_s"] = max(v for k, v in figures.items() if k.startswith("report_html_s_"))
    if unavailable is None:
        for figure in ("report_pdf_s", "report_pdf_new_input_s"):
            figures[figure] = max(v for k, v in figures.items() if k.startswith(f"{figure}_"))
    else:
        figures["report_pdf_skipped"] = unavailable
    figures["report_max_bytes"] = max(sizes)
    return figures
