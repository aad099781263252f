"""ui.memory gives freed heap memory back to the system after the runs that grew the server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ui import memory

ROOT = Path(__file__).resolve().parents[1]


def test_it_trims_only_after_the_process_grew(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_MALLOC_TRIM", lambda pad: calls.append(pad))
    resident = {"bytes": 500 * 2**20}
    monkeypatch.setattr(memory, "resident_bytes", lambda: resident["bytes"])
    monkeypatch.setattr(memory, "_last_rss", 500 * 2**20)
    assert not memory.return_freed_memory() and calls == []          # no growth
    resident["bytes"] += memory.GROWTH_BYTES - 1
    assert not memory.return_freed_memory() and calls == []          # below the threshold
    resident["bytes"] += 1
    assert memory.return_freed_memory() and calls == [0]             # grown: trimmed once
    assert not memory.return_freed_memory() and calls == [0]         # and not again


def test_without_glibc_it_does_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_MALLOC_TRIM", None)
    monkeypatch.setattr(memory, "_last_rss", 0)
    assert not memory.return_freed_memory()


TRIM_SCRIPT = """
import json
from ui import memory
before = memory.resident_bytes()
chunks = [bytes(1000) + bytes([i % 256]) for i in range(300_000)]   # ~300 MB of small blocks
peak = memory.resident_bytes()
del chunks[:200_000]     # the older two thirds freed: below the heap's top, so it cannot shrink
freed = memory.resident_bytes()
trimmed = memory.return_freed_memory()
print(json.dumps({"before": before, "peak": peak, "freed": freed, "trimmed": trimmed,
                  "after": memory.resident_bytes()}))
"""


@pytest.mark.skipif(memory._MALLOC_TRIM is None, reason="no glibc malloc_trim here")
def test_freed_small_blocks_leave_the_process_after_a_trim():
    result = subprocess.run([sys.executable, "-c", TRIM_SCRIPT], capture_output=True, text=True,
                            timeout=120, check=True, cwd=ROOT)
    import json

    got = json.loads(result.stdout.strip().splitlines()[-1])
    mb = {k: v / 2**20 for k, v in got.items() if k != "trimmed"}
    assert got["trimmed"], got
    # ~200 MB of ~300 MB was freed; without the trim the process keeps it (glibc), with it the
    # freed pages go back.
    assert mb["freed"] - mb["after"] > 100, mb
