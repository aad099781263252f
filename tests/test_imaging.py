"""load_scan on real DICOM files (pydicom's test data), PNG and JPEG: pixels, HU, colour, frames."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut

from medcore.imaging import (WINDOW_PRESETS, Scan, apply_window, load_scan, model_view,
                             scan_from_array)

ROOT = Path(__file__).resolve().parent.parent


def dicom_file(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install pydicom-data)")
    return path


def reference(name: str) -> np.ndarray:
    """pydicom's own pixel_array + modality LUT, the ground truth for grey images."""
    ds = pydicom.dcmread(dicom_file(name))
    return apply_modality_lut(ds.pixel_array, ds)


def test_ct_slice_in_hounsfield_units_with_its_own_window():
    scan = load_scan(dicom_file("693_UNCR.dcm"))
    assert isinstance(scan, Scan) and scan.modality == "CT"
    assert scan.pixels.dtype == np.float32 and scan.pixels.shape == (1, 512, 512)
    np.testing.assert_array_equal(scan.pixels[0], reference("693_UNCR.dcm"))
    assert scan.pixels.min() == -3024 and scan.window == (40.0, 100.0)
    assert not scan.pixels.flags.writeable
    small = load_scan(dicom_file("CT_small.dcm"))
    air = small.pixels[0, :10, :10]
    assert -1100 < air.mean() < -700  # air around the body, in HU


def test_metadata_is_deidentified_and_says_what_was_hidden():
    scan = load_scan(dicom_file("CT_small.dcm"))
    assert scan.metadata["modality"] == "CT"
    assert scan.metadata["pixel_spacing_mm"] == "0.6615 x 0.6615"
    assert scan.metadata["slice_thickness_mm"] == "5"
    assert scan.metadata["transfer_syntax"] == "Explicit VR Little Endian"
    assert scan.metadata["manufacturer"] == "GE MEDICAL SYSTEMS"
    assert {"PatientName", "PatientID", "StudyDate"} <= set(scan.hidden_identifiers)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    shown = " ".join(str(v) for v in scan.metadata.values())
    for value in (str(ds.PatientName), str(ds.PatientID)):
        assert value not in shown and value not in repr(scan)
    labels = [label for label, _ in scan.metadata_rows()]
    assert labels[0] == "Modality" and "Pixel spacing (mm)" in labels


def test_monochrome1_is_inverted_so_bones_show_white():
    raw = pydicom.dcmread(dicom_file("RG1_UNCR.dcm"))
    assert raw.PhotometricInterpretation == "MONOCHROME1"
    scan = load_scan(dicom_file("RG1_UNCR.dcm"))
    assert scan.inverted and scan.photometric == "MONOCHROME2"
    assert "inverted for display" in scan.metadata["photometric_interpretation"]
    stored = raw.pixel_array.astype(np.float32)
    # Mirrored: the darkest stored value is now the brightest, and the window follows.
    total = stored.min() + stored.max()
    np.testing.assert_array_equal(scan.pixels[0], total - stored)
    assert scan.window == (total - 15000.0, 30000.0)
    # The DICOM window shows the same picture inverted: display(new) == 255 - display(old).
    before = apply_window(stored, 15000.0, 30000.0).astype(int)
    after = scan.display().astype(int)
    assert np.abs(after - (255 - before)).max() <= 1


def test_mr_and_modality_lut_sequence():
    mr = load_scan(dicom_file("MR2_UNCR.dcm"))
    assert mr.modality == "MR" and mr.pixels.shape == (1, 1024, 1024)
    np.testing.assert_allclose(mr.pixels[0], reference("MR2_UNCR.dcm"), rtol=1e-6)
    lut = load_scan(dicom_file("mlut_18.dcm"))  # a Modality LUT Sequence, not rescale
    np.testing.assert_array_equal(lut.pixels[0], reference("mlut_18.dcm"))


def test_multiframe_and_enhanced_ct():
    scan = load_scan(dicom_file("emri_small.dcm"))
    assert scan.pixels.shape == (10, 64, 64) and scan.n_frames == 10
    assert scan.metadata["frames"] == 10
    np.testing.assert_array_equal(scan.pixels, reference("emri_small.dcm"))
    enhanced = load_scan(dicom_file("eCT_Supplemental.dcm"))  # rescale in functional groups
    assert enhanced.pixels.shape == (2, 512, 512) and enhanced.pixels.min() == -1024
    assert enhanced.metadata["pixel_spacing_mm"] == "0.3887 x 0.3887"


@pytest.mark.parametrize("name", ["SC_rgb.dcm", "SC_rgb_2frame.dcm", "SC_rgb_16bit.dcm",
                                  "ExplVR_BigEnd.dcm"])
def test_rgb(name):
    scan = load_scan(dicom_file(name))
    ds = pydicom.dcmread(dicom_file(name))
    assert scan.photometric == "RGB" and scan.is_colour and scan.pixels.shape[-1] == 3
    np.testing.assert_array_equal(scan.pixels.reshape(ds.pixel_array.shape), ds.pixel_array)
    assert scan.display().dtype == np.uint8


@pytest.mark.parametrize("name", ["SC_ybr_full_uncompressed.dcm",
                                  "SC_ybr_full_422_uncompressed.dcm",
                                  "SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_jpeg_dcmtk.dcm"])
def test_ybr_converted_to_rgb(name):
    rgb = load_scan(dicom_file("SC_rgb.dcm")).pixels
    scan = load_scan(dicom_file(name))
    assert scan.photometric == "RGB" and scan.pixels.shape == rgb.shape
    # Same picture as the RGB original, up to colour conversion and lossy JPEG error.
    assert np.abs(scan.pixels - rgb).mean() < 6


def test_palette_colour():
    scan = load_scan(dicom_file("OBXXXX1A.dcm"))
    assert scan.photometric == "RGB" and scan.pixels.shape == (1, 600, 800, 3)
    assert len(np.unique(scan.pixels.reshape(-1, 3), axis=0)) > 10


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "MR_small_expb.dcm",
                                  "MR_small_implicit.dcm", "MR_small_RLE.dcm",
                                  "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                  "MR_small_padded.dcm"])
def test_lossless_encodings_give_the_same_pixels(name):
    expected = load_scan(dicom_file("MR_small.dcm")).pixels
    np.testing.assert_array_equal(load_scan(dicom_file(name)).pixels, expected)


@pytest.mark.parametrize("name,shape", [
    ("JPEG2000.dcm", (1, 1024, 256)),           # JPEG 2000 lossy, signed 16 bit
    ("693_J2KR.dcm", (1, 512, 512)),            # JPEG 2000 lossless CT
    ("JPGExtended.dcm", (1, 1024, 256)),        # JPEG extended, 12 bit
    ("JPEG-LL.dcm", (1, 1024, 256)),            # JPEG lossless
    ("SC_rgb_jpeg.dcm", (1, 256, 256, 3)),      # JPEG baseline colour
    ("JPEGLSNearLossless_16.dcm", (1, 50, 10)),  # JPEG-LS near-lossless
    ("emri_small_RLE.dcm", (10, 64, 64)),       # RLE multi-frame
    ("image_dfl.dcm", (1, 512, 512)),           # deflated
    ("liver_1frame.dcm", (1, 512, 512)),        # 1-bit
])
def test_compressed_transfer_syntaxes(name, shape):
    scan = load_scan(dicom_file(name))
    assert scan.pixels.shape == shape and np.isfinite(scan.pixels).all()


def test_lossless_jpeg2000_ct_matches_uncompressed():
    np.testing.assert_array_equal(load_scan(dicom_file("693_J2KR.dcm")).pixels,
                                  load_scan(dicom_file("693_UNCR.dcm")).pixels)


def test_dicom_without_preamble_is_detected_and_read():
    data = Path(dicom_file("CT_small.dcm")).read_bytes()
    stripped = data[132:]  # no 128-byte preamble, no 'DICM': starts with group 0002
    np.testing.assert_array_equal(load_scan(stripped, filename="x.dcm").pixels,
                                  load_scan(data).pixels)
    face = load_scan(dicom_file("OT-PAL-8-face.dcm"))  # starts with group 0008, palette colour
    assert face.pixels.shape == (1, 480, 640, 3)


def test_sources_path_bytes_and_file_objects():
    path = dicom_file("CT_small.dcm")
    data = Path(path).read_bytes()
    expected = load_scan(path).pixels
    with open(path, "rb") as handle:
        handle.read(10)  # a file object not at its start
        np.testing.assert_array_equal(load_scan(handle).pixels, expected)
    upload = io.BytesIO(data)
    upload.name = "upload.dcm"
    np.testing.assert_array_equal(load_scan(upload).pixels, expected)
    np.testing.assert_array_equal(load_scan(bytearray(data)).pixels, expected)
    np.testing.assert_array_equal(load_scan(Path(path)).pixels, expected)


def _encode(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def test_png_and_jpeg_grey_and_colour():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, size=(40, 50), dtype=np.uint8)
    scan = load_scan(_encode(grey, "PNG"), filename="xray.png")
    assert scan.source == "png" and scan.modality == "OT" and scan.pixels.shape == (1, 40, 50)
    np.testing.assert_array_equal(scan.pixels[0], grey)
    np.testing.assert_array_equal(scan.display(), grey)  # default window shows values as stored
    colour = rng.integers(0, 256, size=(30, 20, 3), dtype=np.uint8)
    scan = load_scan(_encode(colour, "PNG"))
    assert scan.photometric == "RGB" and scan.pixels.shape == (1, 30, 20, 3)
    np.testing.assert_array_equal(scan.pixels[0], colour)
    deep = (rng.integers(0, 4096, size=(16, 16))).astype(np.uint16)
    np.testing.assert_array_equal(load_scan(_encode(deep, "PNG")).pixels[0], deep)
    smooth = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))
    jpeg = load_scan(_encode(smooth, "JPEG"), filename="xray.jpg")
    assert jpeg.source == "jpeg" and jpeg.pixels.shape == (1, 64, 64)
    assert np.abs(jpeg.pixels[0] - smooth).mean() < 3
    jpeg_rgb = load_scan(_encode(np.stack([smooth] * 3, axis=-1), "JPEG"))
    assert jpeg_rgb.pixels.shape == (1, 64, 64, 3)
    assert model_view(jpeg_rgb).shape == (28, 28)


def test_window_presets_cover_ct_and_scan_from_array_defaults():
    assert set(WINDOW_PRESETS) == {"lung", "mediastinum", "abdomen", "bone", "brain"}
    assert WINDOW_PRESETS["lung"] == (-600.0, 1500.0)
    ct = load_scan(dicom_file("693_UNCR.dcm"))
    lung = ct.display(window=WINDOW_PRESETS["lung"])
    bone = ct.display(window=WINDOW_PRESETS["bone"])
    assert lung.mean() > bone.mean()  # a wide low window shows soft tissue bright
    scan = scan_from_array(np.linspace(-1000, 1000, 100, dtype=np.float32).reshape(10, 10))
    low, high = scan.window[0] - scan.window[1] / 2, scan.window[0] + scan.window[1] / 2
    assert -1000 <= low < -980 and 980 < high <= 1000
    with pytest.raises(ValueError, match="expected \\(rows, columns\\)"):
        scan_from_array(np.zeros((2, 2, 2, 2, 2)))


def test_importing_imaging_loads_neither_tensorflow_nor_streamlit():
    code = ("import sys, medcore.imaging, medcore.samples; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules, "
            "'streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False"]


def test_a_scan_is_named_by_series_description_modality_and_file():
    from medcore.imaging import scan_label

    scan = load_scan(get_testdata_file("CT_small.dcm"))
    assert scan_label(scan, "ct.dcm") == f"{scan.metadata['study_description']} - CT - ct.dcm"
    bare = scan_from_array(np.zeros((4, 4), np.uint8), modality="CR")
    assert scan_label(bare) == "CR"


@pytest.mark.parametrize("age, expected", [("064Y", 64), ("018M", 1), ("003W", 0),
                                           ("095Y", 90), ("", None), ("1Y", None)])
def test_the_patients_age_is_read_in_whole_years_and_capped(age, expected):
    import io

    import pydicom

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientAge = age
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    scan = load_scan(buffer.getvalue())
    assert scan.age_years == expected
    assert "064" not in repr(scan) and "age" not in scan.metadata
