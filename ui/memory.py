"""Give memory that Python has freed back to the system, after the runs that grew the server.

Loading TensorFlow, a Keras model or a SHAP explainer allocates hundreds of MB of temporaries.
Python frees them, but glibc's allocator keeps the freed pages in its heaps, so the server's
resident memory stays as high as its peak: measured after every Explanation tab had been opened
once, 1,393 MB resident, of which ``malloc_trim(0)`` gave back 388 MB in 49 ms (a full garbage
collection found only 93 objects: the memory was free, not garbage).

:func:`return_freed_memory` runs at the end of every page run (``dashboard.py``) and trims only
when the process has grown by :data:`GROWTH_BYTES` since it last did, so an ordinary run pays
one read of ``/proc/self/statm``. On a system without glibc it does nothing.
"""
from __future__ import annotations

import ctypes
import os
import threading

#: Growth of the resident set (bytes) since the last trim that makes the next run trim.
GROWTH_BYTES = 64 * 1024 * 1024

_LOCK = threading.Lock()


def _libc_malloc_trim():
    """glibc's ``malloc_trim``, or None where there is none (macOS, musl, Windows). Looked up
    among the symbols the process already has (``CDLL(None)``, 0.1 ms): ``find_library("c")``
    runs ``ldconfig``, 15 ms on the first page of a fresh server."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_MALLOC_TRIM = _libc_malloc_trim()


def resident_bytes() -> int:
    """This process's resident set size in bytes (0 where ``/proc`` is not there)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_last_rss = resident_bytes()


def return_freed_memory() -> bool:
    """Trim the allocator's heaps if the process grew by :data:`GROWTH_BYTES` since the last
    trim; returns whether it trimmed."""
    global _last_rss
    if _MALLOC_TRIM is None:
        return False
    if resident_bytes() < _last_rss + GROWTH_BYTES:
        return False
    with _LOCK:                                  # two sessions' runs may end together
        if resident_bytes() < _last_rss + GROWTH_BYTES:
            return False
        _MALLOC_TRIM(0)
        _last_rss = resident_bytes()
    return True
