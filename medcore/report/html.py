"""The report as one self-contained HTML file: it opens offline, loads nothing.

The figures are plotly figures (interactive, as on the pages), drawn by plotly's JavaScript
inlined in the file. plotly.js is 4.8 MB, more than the 3 MB a report may weigh, so it is
inlined gzip-compressed (1.5 MB, base64) and unpacked by the browser's own
``DecompressionStream`` (Chrome/Edge 80+, Firefox 113+, Safari 16.4+); a browser without it shows
the text and says the figures need a newer browser (the PDF has them too). No ``http(s)://``
URL is written (plotly's config ``mathjax`` and ``topojson`` are switched off); upload-derived
text is HTML-escaped.
"""
from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import re

from medcore.report.document import Report

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")

_STYLE = """
body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;
margin-top:2rem}.meta{color:#555}.disclaimer{border:2px solid #D55E00;padding:.6rem;margin:1rem 0;
font-weight:bold}.warning{background:#fff4e5;border-left:4px solid #D55E00;padding:.4rem .6rem;
margin:.4rem 0}table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
figure{margin:1rem 0;page-break-inside:avoid}figcaption{color:#444;font-size:.9rem}
.notice{color:#555;font-style:italic}
"""

#: Unpacks plotly.js (gzip, base64) in the browser, then draws every figure.
_LOADER = """
(async () => {
  const notice = document.getElementById('figures-notice');
  if (typeof DecompressionStream === 'undefined') {
    notice.textContent = 'This browser cannot unpack the figures (it lacks DecompressionStream);'
      + ' open the report in a recent browser, or use the PDF report.';
    return;
  }
  const packed = document.getElementById('plotlyjs-gz').textContent.trim();
  const bytes = Uint8Array.from(atob(packed), c => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  (0, eval)(await new Response(stream).text());
  for (const node of document.querySelectorAll('div.report-figure')) {
    const spec = JSON.parse(document.getElementById(node.dataset.spec).textContent);
    await Plotly.newPlot(node, spec.data, spec.layout,
                         {displaylogo: false, responsive: true, staticPlot: false});
  }
  notice.remove();
  document.body.dataset.figuresDrawn = 'true';
})();
"""


@functools.lru_cache(maxsize=1)
def packed_plotlyjs() -> str:
    """plotly.js (the version plotly.py ships), gzip-compressed and base64-encoded (once per
    process)."""
    from plotly.offline import get_plotlyjs

    return base64.b64encode(gzip.compress(get_plotlyjs().encode(), compresslevel=6,
                                          mtime=0)).decode("ascii")


def _text(value: str) -> str:
    """Escaped text, with the pages' Markdown bold (``**x**``) and code (`` `x` ``) kept."""
    escaped = html.escape(value, quote=True)
    return _CODE.sub(r"<code>\1</code>", _BOLD.sub(r"<strong>\1</strong>", escaped))


def _figure_json(figure) -> str:
    """The figure's JSON, safe inside ``<script type="application/json">``."""
    spec = json.loads(figure.to_json())
    spec.get("layout", {}).pop("template", None)        # plotly's default, 10 kB each
    return json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")


def to_html(report: Report) -> str:
    """The report as one HTML document (UTF-8 text): title block, disclaimer, sections."""
    parts = [f"<h1>{_text(report.title)}</h1>",
             f"<p class='meta'>Patient report generated {_text(report.generated_text)}"
             + (f" from the {_text(report.source)}" if report.source else "") + ".</p>",
             f"<p class='disclaimer'>{_text(report.disclaimer)}</p>",
             "<p id='figures-notice' class='notice'>Drawing the figures...</p>"]
    scripts, count = [], 0
    for section in report.sections:
        parts.append(f"<h2>{_text(section.heading)}</h2>")
        parts += [f"<p>{_text(p)}</p>" for p in section.paragraphs]
        parts += [f"<p class='warning'>{_text(w)}</p>" for w in section.warnings]
        if section.items:
            parts.append("<table>" + "".join(
                f"<tr><th>{_text(i.label)}</th><td>{_text(i.value)}</td></tr>"
                for i in section.items) + "</table>")
        if section.table:
            header, *rows = section.table
            parts.append("<table><tr>" + "".join(f"<th>{_text(h)}</th>" for h in header)
                         + "</tr>" + "".join("<tr>" + "".join(f"<td>{_text(v)}</td>" for v in row)
                                             + "</tr>" for row in rows) + "</table>")
        for figure in section.figures:
            count += 1
            spec_id = f"figure-spec-{count}"
            scripts.append(f"<script type='application/json' id='{spec_id}'>"
                           f"{_figure_json(figure.figure)}</script>")
            parts.append(f"<figure><strong>{_text(figure.title)}</strong>"
                         f"<div class='report-figure' data-spec='{spec_id}' "
                         f"style='width:100%;max-width:{figure.width}px;"
                         f"height:{figure.height}px'></div>"
                         + (f"<figcaption>{_text(figure.caption)}</figcaption>"
                            if figure.caption else "") + "</figure>")
    parts.append(f"<p class='disclaimer'>{_text(report.disclaimer)}</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_text(report.title)} - patient report</title>"
            f"<style>{_STYLE}</style></head><body>" + "\n".join(parts) + "\n".join(scripts)
            + f"<script type='text/plain' id='plotlyjs-gz'>{packed_plotlyjs()}</script>"
            + f"<script>{_LOADER}</script></body></html>")
