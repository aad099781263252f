"""The report as a PDF, laid out with ``fpdf2`` (pure Python, no system library), its figures
drawn as PNGs by kaleido (:mod:`medcore.report.images`): the same plotly figures as the HTML
report and the pages.

Text is set in DejaVu Sans (Debian's ``fonts-dejavu-core``, or the copy matplotlib ships) so
units such as "10³/µl" print as written; without it, the PDF core font Helvetica is used and
characters outside Latin-1 become "?". Every page's footer repeats the research-use notice.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from medcore.report.document import Report
from medcore.report.images import to_png

#: Where DejaVu Sans is looked for, in order.
FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"),)
#: Widest a figure is printed (mm): the text width of A4 with 15 mm margins.
TEXT_WIDTH_MM = 180.0
#: Millimetres per CSS pixel of a figure (900 px -> 180 mm).
MM_PER_PX = 0.2
_CODE = re.compile(r"`([^`]+)`")
#: fpdf2's Markdown markers other than bold, escaped wherever they occur in the text (a
#: command's ``--only``, a file's ``__name__``): only the pages' own ``**bold**`` is markup.
_MARKERS = ("\\", "__", "~~", "--")


def _font_folder() -> Path | None:
    folders = list(FONT_FOLDERS)
    try:
        import matplotlib

        folders.append(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf")
    except ImportError:
        pass
    return next((f for f in folders if (f / "DejaVuSans.ttf").is_file()
                 and (f / "DejaVuSans-Bold.ttf").is_file()), None)


def _document(footer: str):
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.body_font, "", 7)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"{footer}   Page {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = _Pdf(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    folder = _font_folder()
    if folder is not None:
        pdf.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
        pdf.body_font = "DejaVu"
    else:
        pdf.body_font = "Helvetica"
    pdf.unicode = folder is not None
    return pdf


def _clean(pdf, text: str) -> str:
    """Text as this PDF can print it: Markdown code marks dropped; without a Unicode font,
    characters outside Latin-1 replaced."""
    text = _CODE.sub(r"\1", text)
    return text if pdf.unicode else text.encode("latin-1", "replace").decode("latin-1")


def _markdown(pdf, text: str) -> str:
    """:func:`_clean` text for ``multi_cell(markdown=True)``: the pages' ``**bold**`` kept,
    every other marker escaped, and ``[text](url)`` broken apart so that no text (an upload's
    cell, a file's header quoted in a warning) becomes a link."""
    parts = _clean(pdf, text).split("**")
    for index, part in enumerate(parts):
        for marker in _MARKERS:
            part = part.replace(marker, "\\" + marker if marker != "\\" else "\\\\")
        parts[index] = part.replace("](", "] (")
    if len(parts) % 2 == 0:                       # an odd number of ** : the last one is text
        parts[-2:] = [parts[-2] + "\\**" + parts[-1]]
    return "**".join(parts)


def _paragraph(pdf, text: str, size: float = 10, style: str = "", height: float = 5) -> None:
    pdf.set_font(pdf.body_font, style, size)
    pdf.multi_cell(0, height, _markdown(pdf, text), markdown=True, align="L", new_x="LMARGIN",
                   new_y="NEXT")


def _warning(pdf, text: str) -> None:
    pdf.set_fill_color(255, 244, 229)
    pdf.set_font(pdf.body_font, "", 9.5)
    pdf.multi_cell(0, 5, _clean(pdf, f"Warning: {text}"), fill=True, align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(pdf, rows: list[tuple[str, ...]], *, header: bool, widths=None, size: float = 8.5
           ) -> None:
    pdf.set_font(pdf.body_font, "", size)
    with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=header,
                   line_height=1.25 * size * 0.3528 + 1, padding=0.8) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(_clean(pdf, value))
    pdf.ln(2)


def to_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4).

    Raises
    ------
    ChromiumNotFoundError
        No Chromium to draw the figures (the message says what to install).
    """
    figures = report.figures
    pngs = dict(zip((id(f) for f in figures),
                    to_png([(f.figure, f.width, f.height) for f in figures])))
    pdf = _document("Research use only: not a medical device, not validated for clinical "
                    "decisions.")
    pdf.set_title(f"{report.title} - patient report")
    pdf.set_creator("medcore")
    pdf.add_page()
    _paragraph(pdf, report.title, size=17, style="B", height=8)
    _paragraph(pdf, f"Patient report generated {report.generated_text}"
               + (f" from the {report.source}" if report.source else "") + ".", size=9)
    pdf.ln(2)
    pdf.set_draw_color(213, 94, 0)
    pdf.set_line_width(0.6)
    pdf.set_font(pdf.body_font, "B", 10)
    pdf.multi_cell(0, 5.5, _clean(pdf, report.disclaimer), border=1, padding=2, align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    for section in report.sections:
        pdf.ln(3)
        _paragraph(pdf, section.heading, size=13, style="B", height=7)
        for text in section.paragraphs:
            _paragraph(pdf, text)
            pdf.ln(1)
        for text in section.warnings:
            _warning(pdf, text)
        if section.items:
            _table(pdf, [(i.label, i.value) for i in section.items], header=False,
                   widths=(65, 115))
        if section.table:
            _table(pdf, list(section.table), header=True, size=6)
        for figure in section.figures:
            width = min(TEXT_WIDTH_MM, figure.width * MM_PER_PX)
            height = width * figure.height / figure.width
            if pdf.get_y() + height + 12 > pdf.h - pdf.b_margin:
                pdf.add_page()
            _paragraph(pdf, figure.title, size=10, style="B")
            pdf.image(io.BytesIO(pngs[id(figure)]), w=width, h=height)
            if figure.caption:
                _paragraph(pdf, figure.caption, size=8, height=4)
            pdf.ln(2)
    return bytes(pdf.output())
