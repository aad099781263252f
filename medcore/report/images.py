"""PNG images of plotly figures for the PDF report, with ``kaleido`` 1.x.

kaleido drives a Chromium (Debian's ``/usr/bin/chromium``, found by ``choreographer`` on the
``PATH``, or the one ``BROWSER_PATH`` names). Starting that browser takes seconds; drawing one
figure in it a fraction of a second. So one kaleido instance is opened on first use and kept
for the life of the process, on its own event-loop thread; every caller (Streamlit sessions,
the command line, the benchmark) sends its figures there as one batch and waits for its PNGs.
MathJax is switched off (kaleido would fetch it from a CDN; the figures use no LaTeX).
"""
from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Sequence
from typing import Any

from medcore.errors import MedcoreError

#: The fix, in the words of a message.
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: `apt-get install chromium`) or name a "
                "Chromium-based browser in the BROWSER_PATH environment variable, then retry")
#: Pixel density of the PNGs (1 CSS pixel = SCALE image pixels): sharp when printed.
SCALE = 2.0
#: Seconds one figure may take before the batch fails.
TIMEOUT_S = 60.0


class ChromiumNotFoundError(MedcoreError):
    """No Chromium for kaleido: the PDF report cannot be made (the HTML report can)."""


def chromium_path() -> str | None:
    """The Chromium kaleido would drive (``BROWSER_PATH`` first), or None."""
    from choreographer.browsers.chromium import Chromium

    try:
        path = Chromium.find_browser(skip_local=False)
    except (OSError, RuntimeError, ValueError):
        return None
    return path if path and os.access(path, os.X_OK) else None   # BROWSER_PATH may be stale


def pdf_unavailable_reason() -> str | None:
    """Why PDF reports cannot be made here (None when they can)."""
    if chromium_path() is None:
        return f"The PDF report needs a Chromium browser to draw its figures: {INSTALL_HINT}."
    return None


class _Renderer:
    """One kaleido (one browser) on its own event loop, shared by every caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None

    def _start(self) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="medcore-kaleido", daemon=True).start()

        async def opened():
            instance = kaleido.Kaleido(n=1, timeout=TIMEOUT_S, mathjax=False)
            await instance.open()
            return instance

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(opened(), loop).result()
        except Exception as exc:                  # choreographer's own errors: no browser, crash
            loop.call_soon_threadsafe(loop.stop)
            raise ChromiumNotFoundError(
                f"Chromium could not be started to draw the report's figures ({exc}); "
                f"{INSTALL_HINT}.") from exc
        self._loop = loop
        atexit.register(self.close)

    def render(self, figures: Sequence[tuple[Any, int, int]]) -> list[bytes]:
        if chromium_path() is None:
            raise ChromiumNotFoundError(f"No Chromium was found to draw the report's figures: "
                                        f"{INSTALL_HINT}.")
        with self._lock:
            if self._kaleido is None:
                self._start()
            instance = self._kaleido

        async def batch():
            return [await instance.calc_fig(figure, opts={"format": "png", "width": width,
                                                          "height": height, "scale": SCALE})
                    for figure, width, height in figures]

        return asyncio.run_coroutine_threadsafe(batch(), self._loop).result()

    def close(self) -> None:
        with self._lock:
            if self._kaleido is None:
                return
            try:
                asyncio.run_coroutine_threadsafe(self._kaleido.close(), self._loop).result(10)
            except Exception:                     # at exit: the browser may be gone already
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._kaleido = self._loop = None


_RENDERER = _Renderer()


def to_png(figures: Sequence[tuple[Any, int, int]]) -> list[bytes]:
    """PNG bytes of each ``(plotly figure, width, height)``, in order (one batch, one browser
    kept between calls).

    Raises
    ------
    ChromiumNotFoundError
        No Chromium to draw with (the message says what to install).
    """
    return _RENDERER.render(figures) if figures else []
