"""Bad uploads: each gets InvalidUploadError saying what was received, expected and the fix."""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file, get_testdata_files
from pydicom.encaps import encapsulate
from pydicom.uid import UID

from medcore.errors import InvalidUploadError, MedcoreError
from medcore.imaging import Scan, load_scan


def dicom_bytes(name: str) -> bytes:
    return Path(get_testdata_file(name, download=False)).read_bytes()


#: 120 colour frames of JPEG baseline YBR: ~10 s to decode and convert; tested on its own (slow).
SLOW_FILES = {"color3d_jpeg_baseline.dcm"}


def test_every_pydicom_test_file_loads_or_raises_invalid_upload():
    outcomes = {"loaded": 0, "refused": 0}
    for path in get_testdata_files():
        if os.path.basename(path) in SLOW_FILES:
            continue
        try:
            scan = load_scan(path)
        except InvalidUploadError as error:
            message = str(error)
            assert "expected" in message and len(message) > 40, (path, message)
            outcomes["refused"] += 1
        else:
            assert isinstance(scan, Scan) and scan.pixels.dtype == np.float32, path
            assert np.isfinite(scan.pixels).all(), path
            outcomes["loaded"] += 1
    assert outcomes["loaded"] > 120 and outcomes["refused"] > 20


@pytest.mark.slow
def test_big_colour_multiframe_jpeg():
    scan = load_scan(get_testdata_file("color3d_jpeg_baseline.dcm"))
    assert scan.pixels.shape == (120, 480, 640, 3) and scan.photometric == "RGB"


def test_zero_byte_file():
    with pytest.raises(InvalidUploadError, match=r"empty \(0 bytes\); expected a DICOM file"):
        load_scan(b"", filename="scan.dcm")


def test_junk_named_dcm():
    with pytest.raises(InvalidUploadError,
                       match="junk.dcm holds bytes of no recognised image format; expected"):
        load_scan(bytes(range(256)) * 8, filename="junk.dcm")
    with pytest.raises(InvalidUploadError, match="holds a text file; expected a DICOM file"):
        load_scan(b"Patient notes, not an image.\n" * 20, filename="notes.dcm")


def test_png_that_is_really_a_pdf():
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
    with pytest.raises(InvalidUploadError,
                       match="scan.png holds a PDF document; expected .* not a report"):
        load_scan(pdf, filename="scan.png")


def test_truncated_dicom_pixel_data_and_header():
    data = dicom_bytes("CT_small.dcm")
    with pytest.raises(InvalidUploadError,
                       match="half.dcm: the pixel data could not be decoded .* truncated"):
        load_scan(data[: len(data) // 2], filename="half.dcm")
    with pytest.raises(InvalidUploadError,
                       match="head.dcm is a DICOM image file whose pixel data is missing .* "
                             "truncated"):
        load_scan(data[:400], filename="head.dcm")


def test_truncated_png():
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), np.uint8)).save(
        buffer, format="PNG")
    with pytest.raises(InvalidUploadError, match="cut.png looks like a PNG file but could not "
                                                 "be decoded.*export it again"):
        load_scan(buffer.getvalue()[:200], filename="cut.png")


def test_dicom_without_pixel_data():
    with pytest.raises(InvalidUploadError,
                       match=r"report.dcm is a DICOM file with no pixel data \(it is a "
                             r"Comprehensive SR Storage object\); expected a DICOM image"):
        load_scan(get_testdata_file("test-SR.dcm"), filename="report.dcm")


def test_unsupported_transfer_syntax():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.100")  # MPEG2 video
    ds.PixelData = encapsulate([ds.PixelData])
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(InvalidUploadError,
                       match=r"uses the transfer syntax MPEG2 .* cannot decode; expected "
                             r"uncompressed .* Re-export it uncompressed"):
        load_scan(buffer.getvalue(), filename="video.dcm")


def test_folder_missing_path_and_wrong_type(tmp_path):
    with pytest.raises(InvalidUploadError, match="is a folder; expected"):
        load_scan(tmp_path)
    with pytest.raises(InvalidUploadError, match=r"could not be read \(No such file"):
        load_scan(tmp_path / "missing.dcm")
    with pytest.raises(InvalidUploadError, match="received a int; expected a path, bytes"):
        load_scan(42)
    with pytest.raises(InvalidUploadError, match="opened in text mode"):
        load_scan(io.StringIO("text"))


def test_decoder_failures_are_wrapped(monkeypatch):
    import medcore.imaging.dicom as dicom

    def broken(ds, name):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(dicom, "decode_pixels", broken)
    with pytest.raises(InvalidUploadError, match=r"damaged or inconsistent header \("
                                                 r"RuntimeError: decoder exploded\)"):
        load_scan(dicom_bytes("CT_small.dcm"), filename="x.dcm")
    assert issubclass(InvalidUploadError, MedcoreError)


def test_identifiers_never_reach_logs_warnings_or_messages(caplog, recwarn):
    import logging

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN-0042"
    ds.PatientBirthDate = "19O1-13-45"  # invalid: pydicom would warn with the value if parsed
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    caplog.clear()  # pydicom warned (with the value) when the test itself set the bad date
    recwarn.clear()
    caplog.set_level(logging.DEBUG)
    scan = load_scan(data, filename="scan.dcm")
    with pytest.raises(InvalidUploadError) as refused:
        load_scan(data[: len(data) // 2], filename="scan.dcm")
    emitted = " ".join([r.getMessage() for r in caplog.records] +
                       [str(w.message) for w in recwarn.list] +
                       [str(refused.value), repr(scan), str(scan.metadata)])
    for secret in ("Doe", "Jane", "MRN-0042", "19O1"):
        assert secret not in emitted
    assert {"PatientName", "PatientID", "PatientBirthDate"} <= set(scan.hidden_identifiers)
