"""AppTest of the Upload page's scan half: good uploads, junk, a series zip, samples."""
from __future__ import annotations

import copy
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid
from streamlit.testing.v1 import AppTest
from tests.app.shown import shown

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages/upload.py")


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def dicom(name: str) -> bytes:
    return Path(get_testdata_file(name, download=False)).read_bytes()


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="scan_upload").set_value(
        [(name, data, "application/octet-stream") for name, data in files])
    return at.run()


def widget(elements, label: str):
    matches = [e for e in elements if e.label.startswith(label)]
    assert matches, f"no widget labelled {label!r}"
    return matches[0]


def series_zip() -> bytes:
    """Two series of CT_small copies (2 slices and 1 slice) in one zip."""
    base = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (uid, description, z) in enumerate(
                [("1.2.3.1", "lung", 0.0), ("1.2.3.1", "lung", 5.0), ("1.2.3.2", "bone", 0.0)]):
            ds = copy.deepcopy(base)
            ds.SeriesInstanceUID, ds.SeriesDescription = uid, description
            ds.SOPInstanceUID = generate_uid()
            ds.ImagePositionPatient = [0.0, 0.0, z]
            part = io.BytesIO()
            ds.save_as(part, enforce_file_format=True)
            archive.writestr(f"study/{index}.dcm", part.getvalue())
    return buffer.getvalue()


def test_empty_page_invites_an_upload():
    at = page()
    assert not at.exception
    assert any("No scan yet" in info.value for info in at.info)
    assert "scan" not in at.session_state


def test_good_dicom_upload_shows_image_window_controls_and_metadata():
    at = upload(page(), ("head_ct.dcm", dicom("693_UNCR.dcm")))
    assert not at.exception and not at.error
    scan = at.session_state["scan"]
    assert scan.modality == "CT" and scan.pixels.shape == (1, 512, 512)
    assert at.session_state["scan_name"] == "head_ct.dcm"
    assert len(at.get("plotly_chart")) == 1
    assert any("identifying fields" in c.value for c in at.caption)
    preset = widget(at.selectbox, "Window preset")
    assert preset.value == "File default" and "Lung" in preset.options
    assert [widget(at.slider, s).value for s in ("Window center", "Window width")] == [40.0,
                                                                                     100.0]
    preset.set_value("Bone")
    at.run()
    assert not at.exception
    assert [widget(at.slider, s).value for s in ("Window center", "Window width")] == [400.0,
                                                                                     1800.0]
    widget(at.slider, "Window width").set_value(500.0)
    at.run()
    assert widget(at.selectbox, "Window preset").value == "Custom"


def test_junk_upload_shows_error_and_keeps_the_earlier_scan():
    at = upload(page(), ("good.dcm", dicom("CT_small.dcm")))
    good = at.session_state["scan"]
    at = upload(at, ("junk.dcm", bytes(range(256)) * 4))
    assert not at.exception
    assert any("junk.dcm holds bytes of no recognised image format" in shown(e.value)
               for e in at.error)
    assert at.session_state["scan"] is good and at.session_state["scan_name"] == "good.dcm"
    assert len(at.get("plotly_chart")) == 1  # the earlier scan is still shown


def test_pdf_named_png_and_empty_file_show_errors():
    at = upload(page(), ("scan.png", b"%PDF-1.4 report"))
    assert not at.exception and "PDF document" in shown(at.error[0].value)
    at = upload(at, ("empty.dcm", b""))
    assert not at.exception and "empty (0 bytes)" in shown(at.error[0].value)
    assert "scan" not in at.session_state


def test_series_zip_lets_the_user_pick_a_series():
    at = upload(page(), ("study.zip", series_zip()))
    assert not at.exception and not at.error
    picker = widget(at.selectbox, "This upload holds 2 series")
    assert picker.options == [
        "lung #1 - CT, 2 slices, 128 x 128", "bone #1 - CT, 1 slice, 128 x 128"]
    assert at.session_state["scan"].n_frames == 2
    assert widget(at.slider, "Slice (of 2)").value == 2
    picker.set_value("1.2.3.2")  # the Series Instance UID of "bone"
    at.run()
    assert not at.exception and at.session_state["scan"].n_frames == 1


def test_multiframe_file_gets_a_frame_slider():
    at = upload(page(), ("mr.dcm", dicom("emri_small.dcm")))
    frame = widget(at.slider, "Frame (of 10)")
    frame.set_value(3)
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1


def test_sample_chest_radiograph():
    at = page()
    at.radio(key="scan_source").set_value("Try a sample")
    at.run()
    at.selectbox(key="scan_sample").set_value("RG1_UNCR.dcm")
    at.run()
    assert not at.exception and not at.error
    scan = at.session_state["scan"]
    assert scan.modality == "CR" and scan.inverted
    assert at.session_state["scan_name"] == "RG1_UNCR.dcm"


def test_upload_page_does_not_import_tensorflow():
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({PAGE!r}, default_timeout=60).run()\n"
            "assert not at.exception, at.exception\n"
            "print('tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_an_upload_is_decoded_once_not_on_every_slider_move(monkeypatch):
    import medcore.imaging

    calls = []
    original = medcore.imaging.load_series

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(medcore.imaging, "load_series", counting)
    at = upload(page(), ("ct.dcm", dicom("CT_small.dcm")))
    widget(at.slider, "Window width").set_value(300.0)
    at.run()
    widget(at.selectbox, "Window preset").set_value("Lung")
    at.run()
    assert not at.exception and len(calls) == 1
    at = upload(at, ("other.dcm", dicom("MR_small.dcm")))
    assert len(calls) == 2 and at.session_state["scan"].modality == "MR"
