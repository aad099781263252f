"""Benchmark group ``report``: one patient report, warm (issue 16).

For each shipped model, a real input (a shipped PneumoniaMNIST test radiograph, a WDBC test
aspirate, a GBSG patient, a held-out PBC patient's visits) is made into a report with its
explanation; after one untimed warm-up (models, explainers and the kaleido browser loaded, as
in a server that has shown the page), the median of ``REPEATS`` builds is timed:

``report_pdf_s``: the slowest model's median seconds from input to PDF bytes (build + figures
drawn by kaleido + layout); ``report_html_s``: the same to the HTML text; ``report_pdf_s_NAME``
and ``report_html_s_NAME`` per model; ``report_max_bytes``: the largest report written (PDF or
HTML). Without a Chromium the PDF figures are skipped with the reason.
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from medcore import registry
from medcore.registry import ModelKind

REPEATS = 3


def _example(kind: ModelKind, name: str, data=None) -> Any:
    """A real input of the model, as its page would hold it."""
    module = registry.model_module(name)
    if kind is ModelKind.IMAGE_CLASSIFIER:
        from medcore.samples import load_sample, list_samples

        return load_sample(next(s for s in list_samples(data) if s.startswith("PneumoniaMNIST")),
                           data)
    if kind is ModelKind.TABULAR_CLASSIFIER:
        return module.test_inputs(data)[0].iloc[[0]]
    if kind is ModelKind.SURVIVAL:
        from medcore.datasets.rotterdam_gbsg import load_gbsg

        return load_gbsg(data).iloc[[0]].reset_index(drop=True)
    visits = module.demo_visits(data)
    return visits[visits["id"] == visits["id"].iloc[0]]


def _median_s(func: Callable[[], Any]) -> tuple[float, Any]:
    result = func()                                             # warm-up, untimed
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
        source = _example(spec.kind, spec.name, data)

        def build(spec=spec, served=served, source=source):
            return build_report(spec.name, source, served=served, origin="benchmark")

        html_s, html = _median_s(lambda: to_html(build()))
        figures[f"report_html_s_{spec.name}"] = html_s
        sizes.append(len(html.encode()))
        if unavailable is None:
            pdf_s, pdf = _median_s(lambda: to_pdf(build()))
            figures[f"report_pdf_s_{spec.name}"] = pdf_s
            sizes.append(len(pdf))
    if not sizes:
        return {"report_skipped": "no model is trained (python -m medcore train NAME)"}
    figures["report_html_s"] = max(v for k, v in figures.items() if k.startswith("report_html_s_"))
    if unavailable is None:
        figures["report_pdf_s"] = max(v for k, v in figures.items()
                                      if k.startswith("report_pdf_s_"))
    else:
        figures["report_pdf_skipped"] = unavailable
    figures["report_max_bytes"] = max(sizes)
    return figures
