"""What a patient report holds, independent of how it is printed (HTML or PDF).

A :class:`Report` is a list of :class:`Section` (heading, sentences, a two-column table of
:class:`Item`, warnings, figures) after the title block: the title in words, the time it was
generated (UTC and the server's local time) and the research-use disclaimer. The builders
(:mod:`medcore.report.diagnosis`, :mod:`medcore.report.survival`) fill it with what the pages
state, through the same functions; the renderers (:mod:`medcore.report.html`,
:mod:`medcore.report.pdf`) only lay it out. No identifier of the patient ever enters a report:
the builders take the scan's de-identified metadata and the records' model inputs only.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from medcore import RESEARCH_USE_DISCLAIMER


@dataclass(frozen=True)
class Item:
    """One labelled value: ``"Bilirubin (mg/dl)"``, ``"1.4"``."""

    label: str
    value: str


@dataclass(frozen=True)
class Figure:
    """A plotly figure with its title and caption; ``width`` x ``height`` in CSS pixels is the
    size it is exported at (the PDF scales it to the page width)."""

    title: str
    figure: Any
    caption: str = ""
    width: int = 900
    height: int = 420


@dataclass(frozen=True)
class Section:
    """A heading, then sentences, a table of items, warnings and figures, in that order."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    #: A table after the items: the header row first (e.g. one row per visit).
    table: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Report:
    """One patient's report.

    Attributes
    ----------
    title : the report's title in words ("Pneumonia on a chest radiograph").
    model_name : the registry name (file names, audit; never shown as the title).
    generated : when the report was built (timezone-aware, UTC).
    sections : the body, in reading order.
    disclaimer : the research-use disclaimer, printed on the first page.
    assessable : False when the model withheld its verdict ("Not assessable").
    """

    title: str
    model_name: str
    generated: _dt.datetime
    sections: tuple[Section, ...]
    disclaimer: str = RESEARCH_USE_DISCLAIMER
    assessable: bool = True
    #: Where the report was made ("Diagnosis page", "command line"), for the title block.
    source: str = ""

    @property
    def generated_text(self) -> str:
        """``"2026-12-02 06:41 UTC (local time 07:41 CET)"``."""
        utc = self.generated.astimezone(_dt.timezone.utc)
        local = self.generated.astimezone()
        text = utc.strftime("%Y-%m-%d %H:%M UTC")
        if local.utcoffset() != _dt.timedelta(0):
            text += f" (local time {local.strftime('%Y-%m-%d %H:%M %Z')})"
        return text

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure of the report, in reading order."""
        return tuple(f for section in self.sections for f in section.figures)

    def text(self) -> str:
        """All the words of the report (titles, sentences, items, warnings, captions), one per
        line: what a reader of either format reads, for tests and search."""
        lines = [self.title, self.generated_text, self.disclaimer]
        for section in self.sections:
            lines += [section.heading, *section.paragraphs,
                      *(f"{i.label} {i.value}" for i in section.items),
                      *(" | ".join(row) for row in section.table), *section.warnings]
            lines += [part for f in section.figures for part in (f.title, f.caption) if part]
        return "\n".join(lines)


def now_utc() -> _dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return _dt.datetime.now(_dt.timezone.utc)
