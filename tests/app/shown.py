"""What a reader sees of an element's Markdown: the pages escape text from uploads
(``medcore.safe_text``), so AppTest values hold backslashes the browser does not show."""
from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """``markdown`` with its backslash escapes resolved (``junk\\.dcm`` -> ``junk.dcm``)."""
    return _ESCAPE.sub(r"\1", markdown)
