"""Text from uploads, shown as text: escaping for Markdown and for chart titles.

Streamlit renders ``st.error``, ``st.warning``, ``st.markdown``, ``st.caption``, subheaders and
widget labels as GitHub-flavoured Markdown with its own additions (``:red[...]``, ``$LaTeX$``).
A cell value, file name, column name or DICOM field shown there as it is could become a link, a
heading, or an image the clinician's browser fetches from anywhere (``![x](http://host/p.png)``).
:func:`escape_markdown` backslash-escapes every ASCII punctuation character (CommonMark lets any
of them be escaped, and shows it as itself), so such text renders letter for letter;
:func:`markdown_message` does the same for a whole medcore message while keeping its line
breaks and ``- `` bullet lines. Plotly titles read a subset of HTML: :func:`escape_html`.
No Streamlit here: the pages call these.
"""
from __future__ import annotations

import html
import re

#: ASCII punctuation: every character CommonMark allows to be backslash-escaped.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: object) -> str:
    """``text`` with every Markdown-active character escaped: renders exactly as written.

    >>> escape_markdown("![x](http://h/p.png)")
    '\\\\!\\\\[x\\\\]\\\\(http\\\\:\\\\/\\\\/h\\\\/p\\\\.png\\\\)'
    """
    return _PUNCTUATION.sub(r"\\\1", str(text))


def markdown_message(text: object) -> str:
    """A plain-text message (medcore's errors and warnings) as Markdown that shows it verbatim.

    Everything is escaped, except the structure medcore's messages use: line breaks, blank
    lines between paragraphs, and lines starting with ``"- "`` (a list of problems).
    """
    lines = []
    for line in str(text).split("\n"):
        if line.startswith("- "):
            lines.append("- " + escape_markdown(line[2:]))
        else:
            lines.append(escape_markdown(line))
    return "\n".join(lines)


def escape_html(text: object) -> str:
    """``text`` for a plotly title or label (which read ``<b>``, ``<a href>``, ``<br>``...)."""
    return html.escape(str(text), quote=True)
