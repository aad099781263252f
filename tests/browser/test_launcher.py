"""Fast checks of the browser launcher's helpers (no browser, no server)."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import browser as launcher
from bench import browser_figures


@pytest.mark.parametrize("status", [ForwardMsg.FINISHED_SUCCESSFULLY,
                                    ForwardMsg.FINISHED_EARLY_FOR_RERUN,
                                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY])
def test_script_finished_status_matches_streamlits_protobuf(status):
    message = ForwardMsg(hash="abc")
    message.metadata.delta_path.extend([0, 1])
    message.script_finished = status
    assert launcher.script_finished_status(message.SerializeToString()) == status


def test_other_messages_are_not_a_finished_run():
    message = ForwardMsg()
    message.delta.new_element.markdown.body = "x" * 300
    assert launcher.script_finished_status(message.SerializeToString()) is None
    assert launcher.script_finished_status(b"\xff") is None  # truncated frame


def test_free_port_can_be_bound():
    port = launcher.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_tree_rss_counts_this_process():
    assert launcher.tree_rss_mb(os.getpid()) > 10
    with pytest.raises(ProcessLookupError, match="No process"):
        launcher.tree_rss_mb(2**22 + 12345)


def test_run_reports_why_it_skips_without_chromium(monkeypatch):
    monkeypatch.setattr(launcher, "CHROMIUM_PATH", Path("/nonexistent/chromium"))
    figures = browser_figures.run()
    assert list(figures) == ["browser_skipped"]
    assert "apt-get install chromium" in figures["browser_skipped"]


def test_bytecode_compiled_follows_compileall_and_edits(tmp_path):
    """``bytecode_compiled`` says whether Python would use the ``.pyc`` files (source time and
    size in their header), as the cold-start figures depend on it."""
    import compileall
    import time

    for package in launcher.OWN_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "module.py").write_text("VALUE = 1\n")
    assert not launcher.bytecode_compiled(tmp_path)
    assert compileall.compile_dir(str(tmp_path), quiet=1)
    assert launcher.bytecode_compiled(tmp_path)
    edited = tmp_path / launcher.OWN_PACKAGES[0] / "module.py"
    edited.write_text("VALUE = 22\n")
    os.utime(edited, (time.time() + 5, time.time() + 5))
    assert not launcher.bytecode_compiled(tmp_path)


def test_bytecode_compiled_reads_hash_based_pyc_files_too(tmp_path):
    """compileall writes hash-based ``.pyc`` files when ``SOURCE_DATE_EPOCH`` is set."""
    import compileall
    import py_compile

    for package in launcher.OWN_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "module.py").write_text("VALUE = 1\n")
    assert compileall.compile_dir(str(tmp_path), quiet=1,
                                  invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    assert launcher.bytecode_compiled(tmp_path)
    (tmp_path / launcher.OWN_PACKAGES[-1] / "module.py").write_text("VALUE = 2\n")
    assert not launcher.bytecode_compiled(tmp_path)


def test_process_tree_holds_the_process_and_its_children():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tree = launcher.process_tree(os.getpid())
        assert tree[0] == os.getpid() and child.pid in tree
        assert launcher.process_tree(child.pid) == [child.pid]
    finally:
        child.kill()
        child.wait()
