"""Text from uploaded files is shown as text: the browser fetches nothing it names.

A records CSV whose cell is a Markdown image, DICOM files whose Series Description holds Markdown
and HTML, and files named with Markdown are uploaded in a real Chromium. Every request the page
makes is recorded (Playwright's request listener), and a local HTTP server stands where the
Markdown points: nothing may reach it, and no request may leave the dashboard's own host. The
steps share one tab and run in file order.
"""
from __future__ import annotations

import re

import copy
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file

from bench import browser as launcher

pytestmark = pytest.mark.browser

SLOW_MS = 90_000


class _Bait(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        _Bait.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bait():
    """A local server where the uploaded Markdown points; ``.hits`` lists what reached it."""
    server = ThreadingHTTPServer(("127.0.0.1", launcher.free_port()), _Bait)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def requests(page):
    """Every URL the tab requests from now on."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def bait_url(bait, path: str) -> str:
    return f"http://127.0.0.1:{bait.server_address[1]}/{path}"


def markdown_name(bait, extension: str) -> str:
    """A file name holding a Markdown image (no '/' in a file name: ``http:HOST:PORT`` is read
    by browsers as ``http://HOST:PORT/``)."""
    return f"![x](http:127.0.0.1:{bait.server_address[1]}){extension}"


def dicom(description: str, series_uid: str) -> bytes:
    ds = copy.deepcopy(pydicom.dcmread(get_testdata_file("CT_small.dcm")))
    ds.SeriesDescription = description
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def assert_nothing_left_the_dashboard(requests, bait, dashboard) -> None:
    own = urlsplit(dashboard.url).netloc
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc != own]
    assert not outside, f"requests left the dashboard's host {own}: {outside}"
    assert not _Bait.hits, f"the page fetched what an upload named: {_Bait.hits}"


def payload(name: str, data: bytes, mime: str = "application/octet-stream") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_a_records_cell_and_file_name_holding_markdown_show_as_text(page, dashboard, bait,
                                                                    requests, shoot):
    page.goto(dashboard.url)
    launcher.open_page(page, "Upload", SLOW_MS)
    page.get_by_role("tab", name="Patient records", exact=True).click()
    launcher.act_and_wait(page, lambda: launcher.choose_option(
        page, "Records schema", "(rotterdam)"), SLOW_MS)
    cell = f"![x]({bait_url(bait, 'cell.png')})"
    data = ("patient_id,hormon,age,meno,size,grade,nodes,pgr,er\n"
            f"p1,0,{cell},1,20-50,3,4,38,65\n").encode()
    name = markdown_name(bait, ".csv")
    launcher.act_and_wait(page, lambda: launcher.upload_files(
        page, "Records", [payload(name, data, "text/csv")]), SLOW_MS)
    error = page.locator('[data-testid="stAlertContainer"]').filter(has_text="received")
    expect(error).to_contain_text(f"(received '{cell}')", timeout=SLOW_MS)
    # A second file, partly good: the warning names the file; the problems table quotes the cell.
    data += b"p2,0,56,1,20-50,3,4,38,65\n"
    launcher.act_and_wait(page, lambda: launcher.upload_files(
        page, "Records", [payload(name, data, "text/csv")]), SLOW_MS)
    warning = page.locator('[data-testid="stAlertContainer"]').filter(has_text="have problems")
    expect(warning).to_contain_text(f"1 of 2 records in {name} have problems", timeout=SLOW_MS)
    page.wait_for_timeout(1500)                  # give any stray image request time to start
    shoot(page, "i18_01_records_markdown_as_text")
    assert_nothing_left_the_dashboard(requests, bait, dashboard)


def test_dicom_fields_and_file_names_holding_markdown_show_as_text(page, dashboard, bait,
                                                                   requests, shoot):
    page.get_by_role("tab", name="Scans", exact=True).click()
    first = dicom(f"![x]({bait_url(bait, 'series.png')})", "1.2.3.4.1")
    # A file named with Markdown: its name is the current scan's heading.
    launcher.act_and_wait(page, lambda: launcher.upload_files(
        page, "DICOM files", [payload(markdown_name(bait, ".dcm"), first)]), SLOW_MS)
    heading = page.get_by_role("heading", name=re.compile(
        rf"^Current scan: .*{re.escape(markdown_name(bait, '.dcm'))}$"))
    expect(heading).to_be_visible(timeout=SLOW_MS)
    # Added to the same uploader: a second series and a note named with Markdown.
    second = dicom(f"**bold** <img src={bait_url(bait, 'img.png')}> :red[x]", "1.2.3.4.2")
    files = [payload("b.dcm", second),
             payload(markdown_name(bait, " notes.txt"), b"exported by the PACS viewer\n")]
    launcher.act_and_wait(page, lambda: launcher.upload_files(page, "DICOM files", files),
                          SLOW_MS)
    page.get_by_text("This upload holds 2 series").wait_for(timeout=SLOW_MS)
    page.get_by_text("Skipped 1 file", exact=True).click()
    expect(page.get_by_text(f"{markdown_name(bait, ' notes.txt')}:")).to_be_visible()
    picker = page.get_by_role("combobox", name="This upload holds 2 series: pick one")
    picker.click()                               # the options show both descriptions
    expect(page.get_by_role("option").filter(has_text="**bold**")).to_be_visible()
    page.keyboard.press("Escape")
    page.wait_for_timeout(1500)                  # give any stray image request time to start
    shoot(page, "i18_02_scans_markdown_as_text")
    assert_nothing_left_the_dashboard(requests, bait, dashboard)
    assert not launcher.page_errors(page)
