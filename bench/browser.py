"""The dashboard in a real browser: server launcher, Chromium launcher, page helpers.

One place starts ``streamlit run dashboard.py`` on a free localhost port and Debian's Chromium
through Playwright; the end-to-end tests (``tests/browser/``) and the browser figures
(:mod:`bench.browser_figures`, ``python -m bench.browser_figures --json``) both use it. Tooling,
not product: it lives outside the ``medcore`` package, which never imports Playwright.

Playwright's own browser download does not work on this machine; Chromium comes from Debian
(``apt-get install chromium``) at :data:`CHROMIUM_PATH`.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The repository root (where ``dashboard.py`` lives).
ROOT = Path(__file__).resolve().parents[1]

#: Debian's Chromium; Playwright drives it instead of its own download.
CHROMIUM_PATH = Path("/usr/bin/chromium")

#: Flags for a headless Chromium in a container without a GPU or network beyond localhost.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

#: Viewport of every page the launcher opens (wide enough for the dashboard's wide layout).
VIEWPORT = {"width": 1366, "height": 900}

#: Selector of a Streamlit app whose script has finished its run.
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

#: Selector of an uncaught exception rendered by Streamlit.
EXCEPTION = '[data-testid="stException"]'


def chromium_missing_reason() -> str | None:
    """Why the browser figures and tests cannot run here, or None when they can.

    Returns
    -------
    str or None
        A one-line reason (Chromium or Playwright absent), or None.
    """
    if not (CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)):
        return (f"{CHROMIUM_PATH} is absent: install Debian's Chromium with "
                "`apt-get install chromium` (.ci/run does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -r requirements.txt"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class DashboardServer:
    """A running ``streamlit run dashboard.py`` process.

    Attributes
    ----------
    process : subprocess.Popen
        The server process (its own session, so its children can be found and stopped).
    port : int
        The localhost port it listens on.
    started_at : float
        ``time.perf_counter()`` just before the process was started.
    log_path : Path
        File receiving the server's stdout and stderr.
    """

    process: subprocess.Popen
    port: int
    started_at: float
    log_path: Path

    @property
    def url(self) -> str:
        """The home page's address."""
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server printed (for failure messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_dashboard(*, port: int | None = None, env: dict[str, str] | None = None,
                    root: Path = ROOT, script: str = "dashboard.py") -> DashboardServer:
    """Start the dashboard server without waiting for it (see :func:`wait_until_healthy`).

    Parameters
    ----------
    port : int, optional
        Port to listen on (default: a free one).
    env : dict, optional
        Extra environment variables for the server (``MEDCORE_DATA_DIR`` is passed on anyway).
    root : Path
        Folder holding ``dashboard.py`` (the server's working folder: its
        ``.streamlit/config.toml`` applies).
    script : str
        The app to run, relative to ``root`` (``bench/load_floor_app.py`` for the load bench's
        floor).

    Returns
    -------
    DashboardServer
    """
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="medcore-streamlit-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "streamlit", "run", script,
               "--server.headless", "true", "--server.address", "127.0.0.1",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    started_at = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                               start_new_session=True)
    log.close()
    return DashboardServer(process=process, port=port, started_at=started_at,
                           log_path=Path(log.name))


def wait_until_healthy(server: DashboardServer, timeout: float = 60.0) -> float:
    """Poll ``/_stcore/health`` until the server answers ``ok``.

    Returns
    -------
    float
        Seconds since the server was started.

    Raises
    ------
    RuntimeError
        When the server exits or does not answer within ``timeout`` seconds; the message holds
        the end of its log.
    """
    deadline = time.perf_counter() + timeout
    health = f"{server.url}_stcore/health"
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"The dashboard server exited with code {server.process.returncode} "
                               f"before answering. Its log:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - server.started_at
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"The dashboard server did not answer {health} within {timeout:.0f} s. "
                       f"Its log:\n{server.log_tail()}")


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate ``process``, then kill it if it has not exited within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def stop_dashboard(server: DashboardServer, timeout: float = 10.0) -> None:
    """Stop the server: terminate, then kill it if it has not exited within ``timeout``."""
    stop_process(server.process, timeout)
    if os.environ.get("MEDCORE_KEEP_SERVER_LOG") != "1":
        try:
            server.log_path.unlink()
        except OSError:
            pass
    else:
        print(f"dashboard server log: {server.log_path}")


@contextmanager
def running_dashboard(*, env: dict[str, str] | None = None, timeout: float = 60.0,
                      script: str = "dashboard.py") -> Iterator[DashboardServer]:
    """Start the dashboard (or ``script``, see :func:`start_dashboard`), wait until it answers,
    and stop it afterwards whatever happened."""
    server = start_dashboard(env=env, script=script)
    try:
        wait_until_healthy(server, timeout=timeout)
        yield server
    finally:
        stop_dashboard(server)


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium headless through a started ``sync_playwright()`` object."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM_PATH),
                                      args=list(CHROMIUM_ARGS))


def wait_for_app_idle(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until the Streamlit script of ``page`` has finished its current run."""
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)


def page_errors(page: Any) -> list[str]:
    """Texts of the Streamlit exceptions shown on ``page`` (empty when there are none)."""
    return [box.inner_text() for box in page.locator(EXCEPTION).all()]


#: Streamlit's ``ForwardMsg`` protobuf (streamlit/proto/ForwardMsg.proto): field 6 is
#: ``script_finished`` (an enum); its value 2 is ``FINISHED_EARLY_FOR_RERUN`` (an interrupted run).
_SCRIPT_FINISHED_FIELD = 6
_FINISHED_EARLY_FOR_RERUN = 2


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def script_finished_status(payload: bytes) -> int | None:
    """The ``script_finished`` status of one ``ForwardMsg`` frame, or None for other messages.

    Reads the protobuf wire format of the top level only, so medcore need not import streamlit.
    """
    position = 0
    try:
        while position < len(payload):
            tag, position = _varint(payload, position)
            field, wire_type = tag >> 3, tag & 7
            if wire_type == 0:
                value, position = _varint(payload, position)
                if field == _SCRIPT_FINISHED_FIELD:
                    return value
            elif wire_type == 2:
                length, position = _varint(payload, position)
                position += length
            elif wire_type in (1, 5):
                position += 8 if wire_type == 1 else 4
            else:
                return None
    except IndexError:
        return None
    return None


class ScriptRuns:
    """Counts the script runs a browser tab's Streamlit session has finished.

    Listens to the session's websocket and reads Streamlit's ``ForwardMsg`` frames, so even a
    run too quick to show in the page (React may never render the "running" state) is counted.
    Attach it before the tab opens the dashboard (see :func:`new_tab`).
    """

    def __init__(self, page: Any) -> None:
        self.finished = 0
        page.on("websocket", self._attach)

    def _attach(self, websocket: Any) -> None:
        websocket.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        if isinstance(payload, str):
            return
        status = script_finished_status(payload)
        if status is not None and status != _FINISHED_EARLY_FOR_RERUN:
            self.finished += 1


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


#: The timing script every tab of :func:`new_tab` carries: clicks, key presses, script runs ended
#: and painted, elements shown, on the page's own clock (:func:`page_timings`).
PAGE_TIMING_JS = Path(__file__).with_name("page_timing.js")


def new_tab(browser: Any, timeout_ms: float = 60_000) -> Any:
    """A tab (Playwright page) in a fresh browser context at :data:`VIEWPORT`, whose script runs
    are counted for :func:`act_and_wait` and timed in the page (:data:`PAGE_TIMING_JS`). Close
    it with ``page.context.close()``."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(path=str(PAGE_TIMING_JS))
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    _RUNS[page] = ScriptRuns(page)
    return page


def act_and_wait(page: Any, action: Any, timeout_ms: float = 60_000) -> None:
    """Do ``action()`` (a click, an upload...) and wait until the script run it caused ends.

    Waiting for the idle state alone races with the start of the run: a page may still show the
    previous run's output for a moment.

    Raises
    ------
    ValueError
        When ``page`` was not opened with :func:`new_tab` (its runs are not counted).
    TimeoutError
        When no run finishes within ``timeout_ms``.
    """
    runs = _RUNS.get(page)
    if runs is None:
        raise ValueError("This page's script runs are not counted: open it with "
                         "bench.browser.new_tab(browser or context).")
    before = runs.finished
    action()
    deadline = time.perf_counter() + timeout_ms / 1000.0
    while runs.finished <= before:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"No Streamlit script run finished within {timeout_ms / 1000:.0f} s "
                               "of the action.")
        # Lets Playwright deliver the websocket frames. Waits are timed in the page
        # (timed_action): a shorter poll would not make them more exact, and ten clinicians'
        # threads polling at 50 Hz cost the shared cores (bench.load).
        page.wait_for_timeout(50)


#: JavaScript: the page's timing events since the last read (and forgets them).
READ_TIMINGS_JS = "window.__medcoreTimings ? window.__medcoreTimings.splice(0) : []"
#: JavaScript ``([testid, text]) => ...``: watch for an element to be shown.
WATCH_JS = "([testid, text]) => window.__medcoreWatch(testid, text)"


def page_timings(page: Any) -> list[dict[str, Any]]:
    """The timing events the page recorded since the last call (and forgets them): dicts with
    ``event`` ("input", "finished", "painted" or "shown") and ``t`` (milliseconds, the page's
    ``performance.now()``); see :data:`PAGE_TIMING_JS`."""
    return page.evaluate(READ_TIMINGS_JS)


def watch_shown(page: Any, testid: str, text: str) -> None:
    """Record a "shown" event when an element ``[data-testid=testid]`` containing ``text`` first
    appears in the page and has been painted."""
    page.evaluate(WATCH_JS, [testid, text])


def _timings_until(page: Any, done: Any, timeout_ms: float) -> list[dict[str, Any]]:
    """Page timing events, gathered until ``done(events)`` holds."""
    events: list[dict[str, Any]] = []
    deadline = time.perf_counter() + timeout_ms / 1000.0
    while True:
        events += page_timings(page)
        if done(events):
            return events
        if time.perf_counter() > deadline:
            raise TimeoutError(f"The page did not record what was awaited within "
                               f"{timeout_ms / 1000:.0f} s: {events[-5:]}")
        # The page keeps the times: polling often would not make them more exact, only cost
        # the page's main thread (each read runs JavaScript there) and the driver.
        page.wait_for_timeout(100)


def input_to_painted_ms(events: list[dict[str, Any]]) -> float:
    """Milliseconds from the first input among ``events`` to the painting of the first script
    run that ended after it.

    Raises
    ------
    StopIteration
        The events hold no such input, run end or painting (yet).
    """
    start = next(e["t"] for e in events if e["event"] == "input")
    finished = next(e["t"] for e in events if e["event"] == "finished" and e["t"] > start)
    painted = next(e["t"] for e in events if e["event"] == "painted" and e["t"] >= finished)
    return painted - start


def painted_after_input(events: list[dict[str, Any]]) -> bool:
    """Whether ``events`` hold an input and the painting of a run that ended after it."""
    try:
        input_to_painted_ms(events)
    except StopIteration:
        return False
    return True


def pick_to_shown_ms(events: list[dict[str, Any]]) -> float:
    """Milliseconds from the last input before the first "shown" event to that event."""
    shown = next(e["t"] for e in events if e["event"] == "shown")
    return shown - max(e["t"] for e in events if e["event"] == "input" and e["t"] < shown)


def shown_recorded(events: list[dict[str, Any]]) -> bool:
    """Whether ``events`` hold a "shown" event."""
    return any(e["event"] == "shown" for e in events)


def timed_action(page: Any, action: Any, timeout_ms: float = 60_000) -> float:
    """Do ``action()`` (a click or key press that causes a script run) and return the seconds,
    on the page's clock, from its pointerdown or keydown to the browser having painted what the
    run sent: what the clinician waits, without Playwright's own steps."""
    page_timings(page)                              # forget what came before
    act_and_wait(page, action, timeout_ms)
    return input_to_painted_ms(_timings_until(page, painted_after_input, timeout_ms)) / 1000.0


# Locators are built without waiting in Playwright's sync and async APIs alike: these serve
# both this module and bench.load's async clinicians.
def sidebar_link(page: Any, title: str) -> Any:
    """The sidebar's link to the dashboard page ``title``."""
    return page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True)


def metric_value_locator(page: Any, label: str) -> Any:
    """The shown value of the ``st.metric`` labelled ``label``."""
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first.locator(
        '[data-testid="stMetricValue"]')


def open_page(page: Any, title: str, timeout_ms: float = 60_000, *,
              heading: str | None = None) -> None:
    """Open a dashboard page by its sidebar link (keeps the session and its uploads).

    Waits until the page's script has run and its heading (default: ``title``) is shown.
    """
    act_and_wait(page, sidebar_link(page, title).click, timeout_ms)
    page.get_by_role("heading", name=heading or title, exact=True).first.wait_for(
        timeout=timeout_ms)


def open_model_tab(page: Any, name: str, timeout_ms: float = 60_000) -> Any:
    """Click the page's tab ``name`` and return its panel once the tab's section has run.

    The pages run only the open tab's section (``ui.sections``), so choosing another tab is a
    script run: wait for it, or the panel would still be empty (or a stale element would be used).
    """
    tab = page.get_by_role("tab", name=name, exact=True)
    tab.wait_for(timeout=timeout_ms)
    if tab.get_attribute("aria-selected") != "true":
        act_and_wait(page, tab.click, timeout_ms)
    return page.locator('[data-testid="stTabPanel"]:visible').last


def choose_option(page: Any, label: str, option: str) -> None:
    """Pick ``option`` (a substring of its shown text) in the select box labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)  # filters the list, whatever was selected before
    page.get_by_role("option", name=option).first.click()


def metric_value(page: Any, label: str, timeout_ms: float = 60_000) -> str:
    """The shown value of the ``st.metric`` labelled ``label`` (waits until it is there)."""
    value = metric_value_locator(page, label)
    value.wait_for(timeout=timeout_ms)
    return value.inner_text().strip()


def upload_files(page: Any, label: str, files: Any) -> None:
    """Give ``files`` (paths, or Playwright ``{"name", "mimeType", "buffer"}`` payloads) to the
    file uploader labelled ``label``."""
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=label).first
    uploader.locator('input[type="file"]').set_input_files(files)


#: The sample radiographs the Diagnosis figures use (a second one for the warm figure): test
#: images of the PneumoniaMNIST subset shipped in assets/data, there with or without a data
#: folder, both within the model's intended use.
DIAGNOSIS_SAMPLES: tuple[str, str] = ("PneumoniaMNIST test #0", "PneumoniaMNIST test #1")


def diagnosis_samples(data: Path | None = None) -> tuple[str, str]:
    """The two samples of :data:`DIAGNOSIS_SAMPLES` (``data`` is accepted for callers that
    name a data folder; the samples do not need one)."""
    return DIAGNOSIS_SAMPLES


#: Label of the Diagnosis page's image select box and of its probability.
DIAGNOSIS_SOURCE_LABEL = "Image to assess"
DIAGNOSIS_METRIC_LABEL = "P(pneumonia)"


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis in the browser: timings (seconds) and the probability as shown.

    ``waited_s`` is what the clinician waits, on the page's clock: from the click on the
    Diagnosis link to the page painted (``page_wait_s``), plus from the click on the sample in
    the list to the probability painted (``result_wait_s``). The ``*_s`` wall-clock figures are
    Playwright's, and include its own steps (finding elements, opening the list, typing the
    sample's name into it, polling).
    """

    total_s: float
    page_open_s: float
    probability: str
    probability_s: float = float("nan")
    page_wait_s: float = float("nan")
    result_wait_s: float = float("nan")

    @property
    def waited_s(self) -> float:
        return self.page_wait_s + self.result_wait_s


def diagnose_sample(page: Any, sample: str, timeout_ms: float = 120_000) -> Diagnosis:
    """Open Diagnosis, pick ``sample`` and wait for the probability, then for the page's run
    to finish (the Grad-CAM map follows the probability).

    Returns
    -------
    Diagnosis
        ``probability_s`` from the click on the Diagnosis link to the probability on screen;
        ``total_s`` to the page's run with the sample finished (the map drawn too);
        ``page_open_s`` the part before the sample was picked; the probability as shown
        (e.g. ``"87%"``); and the waits on the page's clock (``page_wait_s``,
        ``result_wait_s``), for a session with no uploaded scan (the page then opens without
        a probability).
    """
    page_timings(page)                              # forget what came before
    start = time.perf_counter()
    open_page(page, "Diagnosis", timeout_ms)
    opened = time.perf_counter()
    page_wait_ms = input_to_painted_ms(_timings_until(page, painted_after_input, timeout_ms))
    watch_shown(page, "stMetric", DIAGNOSIS_METRIC_LABEL)
    shown: list[float] = []

    def pick_and_see_the_probability() -> None:
        choose_option(page, DIAGNOSIS_SOURCE_LABEL, sample)
        metric_value(page, DIAGNOSIS_METRIC_LABEL, timeout_ms)
        shown.append(time.perf_counter())

    act_and_wait(page, pick_and_see_the_probability, timeout_ms)
    value = metric_value(page, DIAGNOSIS_METRIC_LABEL, timeout_ms)
    end = time.perf_counter()
    events = _timings_until(page, shown_recorded, timeout_ms)
    return Diagnosis(total_s=end - start, page_open_s=opened - start, probability=value,
                     probability_s=shown[0] - start, page_wait_s=page_wait_ms / 1000.0,
                     result_wait_s=pick_to_shown_ms(events) / 1000.0)


#: What the Diagnosis page shows instead of a probability for a scan the model cannot judge.
NOT_ASSESSABLE_HEADING = "Not assessable by this model"


def diagnosis_shown(page: Any, timeout_ms: float = 120_000) -> str:
    """Wait until the Diagnosis page has assessed its image: the probability it shows, or
    "Not assessable by this model" for a scan outside the model's intended use."""
    answer = page.locator('[data-testid="stMetric"]').filter(
        has_text=DIAGNOSIS_METRIC_LABEL).or_(
        page.get_by_role("heading", name=NOT_ASSESSABLE_HEADING)).first
    answer.wait_for(timeout=timeout_ms)
    if page.get_by_role("heading", name=NOT_ASSESSABLE_HEADING).count():
        return NOT_ASSESSABLE_HEADING
    return metric_value(page, DIAGNOSIS_METRIC_LABEL, timeout_ms)


def process_tree(pid: int) -> list[int]:
    """``pid`` and the ids of all its living descendants, from one reading of ``/proc`` (one
    pass over every process, not one per member of the tree: Chromium runs about twenty)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after the parenthesised command, which may hold spaces) is the parent id.
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, ()))
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process and all its descendants, in MB.

    Raises
    ------
    ProcessLookupError
        When ``pid`` does not exist.
    """
    if not Path(f"/proc/{pid}").exists():
        raise ProcessLookupError(f"No process {pid}.")
    total_kb = 0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024.0, 1)


def tensorflow_loaded(pid: int) -> bool:
    """True when process ``pid`` has mapped TensorFlow's shared library (it imported TF)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "libtensorflow" in maps or "_pywrap_tensorflow" in maps


#: The folders of the dashboard's own modules, compiled by the README's install line.
OWN_PACKAGES = ("medcore", "ui", "app_pages")


def bytecode_compiled(root: Path = ROOT) -> bool:
    """True when every module of :data:`OWN_PACKAGES` has bytecode that Python will use (the
    README's ``python -m compileall``: the source's time and size in the ``.pyc`` header match,
    or its hash when ``SOURCE_DATE_EPOCH`` made compileall write hash-based files):
    otherwise a fresh server under ``PYTHONDONTWRITEBYTECODE`` compiles each one as it imports
    it, which its first pages wait for."""
    import importlib.util

    for package in OWN_PACKAGES:
        for source in (root / package).rglob("*.py"):
            try:
                header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:16]
            except OSError:
                return False
            if int.from_bytes(header[4:8], "little") & 1:     # hash-based (SOURCE_DATE_EPOCH)
                if header[8:16] != importlib.util.source_hash(source.read_bytes()):
                    return False
                continue
            stat = source.stat()
            if (int.from_bytes(header[8:12], "little") != int(stat.st_mtime) & 0xFFFFFFFF
                    or int.from_bytes(header[12:16], "little") != stat.st_size & 0xFFFFFFFF):
                return False
    return True
