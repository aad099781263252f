"""Series: many files or a zip -> one volume per Series Instance UID, slices in patient order."""
from __future__ import annotations

import copy
import io
import zipfile

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from medcore.errors import InvalidUploadError
from medcore.imaging import load_scan, load_series
from medcore.imaging.series import slice_order

BASE = pydicom.dcmread(get_testdata_file("CT_small.dcm"))


def make_slice(marker: int, *, z: float | None, instance: int, series_uid: str,
               orientation=(1, 0, 0, 0, 1, 0), description: str = "axial") -> bytes:
    """CT_small with pixel (0, 0) set to ``marker`` and the given geometry, as file bytes."""
    ds = copy.deepcopy(BASE)
    pixels = ds.pixel_array.copy()
    pixels[0, 0] = marker
    ds.PixelData = pixels.tobytes()
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceNumber = instance
    ds.SeriesDescription = description
    ds.ImageOrientationPatient = list(orientation)
    if z is None:
        del ds.ImagePositionPatient
    else:
        ds.ImagePositionPatient = [-158.1, -179.0, z]
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def markers(scan) -> list[int]:
    return [int(v) for v in scan.pixels[:, 0, 0] + 1024]  # CT_small's intercept is -1024


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_slices_ordered_by_position_along_the_normal_not_by_upload_or_instance():
    uid = generate_uid()
    # Instance numbers deliberately disagree with the positions.
    files = [make_slice(3, z=-60.0, instance=1, series_uid=uid),
             make_slice(1, z=-80.0, instance=3, series_uid=uid),
             make_slice(2, z=-70.0, instance=2, series_uid=uid)]
    loaded = load_series(files, filenames=["a.dcm", "b.dcm", "c.dcm"])
    series = loaded.series
    assert list(series) == [uid] and loaded.skipped == () and loaded.ignored == ()
    volume = series[uid]
    assert volume.pixels.shape == (3, 128, 128) and markers(volume) == [1, 2, 3]
    assert volume.metadata["frames"] == 3 and volume.metadata["slice_spacing_mm"] == "10"
    assert volume.hidden_identifiers  # CT_small carries a patient name and ID


def test_oblique_orientation_uses_the_slice_normal():
    uid = generate_uid()
    # Rows along y, columns along z: the normal is x; z positions are irrelevant here.
    orientation = (0, 1, 0, 0, 0, 1)
    datasets = []
    for x, z in ((30.0, 0.0), (10.0, 50.0), (20.0, -50.0)):
        ds = pydicom.Dataset()
        ds.ImageOrientationPatient = list(orientation)
        ds.ImagePositionPatient = [x, 0.0, z]
        ds.InstanceNumber = 1
        datasets.append(ds)
    assert slice_order(datasets) == [1, 2, 0]


def test_falls_back_to_instance_number_without_positions():
    uid = generate_uid()
    files = [make_slice(marker, z=None, instance=instance, series_uid=uid)
             for marker, instance in ((2, 5), (1, 4), (3, 9))]
    assert markers(load_series(files).series[uid]) == [1, 2, 3]


def test_mixed_series_are_told_apart():
    first, second = generate_uid(), generate_uid()
    files = [make_slice(1, z=0.0, instance=1, series_uid=first, description="lung"),
             make_slice(5, z=0.0, instance=1, series_uid=second, description="bone"),
             make_slice(2, z=5.0, instance=2, series_uid=first, description="lung")]
    series = load_series(files).series
    assert set(series) == {first, second}
    assert series[first].n_frames == 2 and series[second].n_frames == 1
    assert series[second].metadata["series_description"] == "bone"
    with pytest.raises(InvalidUploadError, match="holds 2 series; expected one"):
        load_scan(zipped({f"{i}.dcm": f for i, f in enumerate(files)}), filename="mixed.zip")


def test_zip_of_a_series_with_folders_and_system_files():
    uid = generate_uid()
    files = {"study/s2.dcm": make_slice(2, z=10.0, instance=2, series_uid=uid),
             "study/s1.dcm": make_slice(1, z=0.0, instance=1, series_uid=uid),
             "__MACOSX/study/._s1.dcm": b"\x00\x05\x16\x07junk",
             "study/.DS_Store": b"junk"}
    data = zipped(files)
    loaded = load_series(data, filenames=["study.zip"])
    assert markers(loaded.series[uid]) == [1, 2] and loaded.skipped == ()
    assert loaded.ignored == ("study.zip/__MACOSX/study/._s1.dcm", "study.zip/study/.DS_Store")
    assert markers(load_scan(data, filename="study.zip")) == [1, 2]


def test_zip_with_a_non_dicom_member_loads_the_series_and_names_the_member():
    uid = generate_uid()
    data = zipped({"s1.dcm": make_slice(1, z=0.0, instance=1, series_uid=uid),
                   "report.pdf": b"%PDF-1.4 a report"})
    loaded = load_series(data, filenames=["study.zip"])
    assert list(loaded.series) == [uid]
    assert [s.name for s in loaded.skipped] == ["study.zip/report.pdf"]
    assert loaded.skipped[0].reason.startswith("holds a PDF document, not a DICOM image")
    assert load_scan(data, filename="study.zip").n_frames == 1


def test_zip_bomb_guard():
    bomb = zipped({"zeros.dcm": bytes(2_000_000)})  # compresses about 1000:1
    assert len(bomb) < 10_000
    with pytest.raises(InvalidUploadError, match="unpacks to 2 MB; expected at most 1 MB "
                                                 r"\(a guard against zip bombs\)"):
        load_series(bomb, filenames=["bomb.zip"], max_zip_bytes=1_000_000)
    many = zipped({f"{i}.dcm": b"x" for i in range(6)})
    with pytest.raises(InvalidUploadError, match="holds 6 files; expected at most 5"):
        load_series(many, filenames=["many.zip"], max_zip_members=5)
    # Beside a good file, the bomb is skipped with the same reason.
    good = make_slice(1, z=0.0, instance=1, series_uid=generate_uid())
    loaded = load_series([bomb, good], filenames=["bomb.zip", "ct.dcm"], max_zip_bytes=1_000_000)
    assert len(loaded.series) == 1 and loaded.skipped[0].name == "bomb.zip"
    assert loaded.skipped[0].reason.startswith("unpacks to 2 MB; expected at most 1 MB")


def test_damaged_and_empty_zips():
    with pytest.raises(InvalidUploadError, match="damaged zip archive"):
        load_series(b"PK\x03\x04" + bytes(100), filenames=["bad.zip"])
    with pytest.raises(InvalidUploadError, match="empty zip"):
        load_series(zipped({}), filenames=["empty.zip"])


def test_slices_of_different_sizes_in_one_series():
    uid = generate_uid()
    small = pydicom.dcmread(io.BytesIO(make_slice(1, z=0.0, instance=1, series_uid=uid)))
    small.Rows, small.Columns = 64, 64
    small.PixelData = bytes(64 * 64 * 2)
    buffer = io.BytesIO()
    small.save_as(buffer, enforce_file_format=True)
    files = [make_slice(1, z=5.0, instance=2, series_uid=uid), buffer.getvalue(),
             make_slice(3, z=10.0, instance=3, series_uid=uid)]
    loaded = load_series(files, filenames=["big.dcm", "small.dcm", "big2.dcm"])
    assert list(loaded.series) == [f"{uid}:128x128", f"{uid}:64x64"] and not loaded.skipped
    big, small = loaded.series.values()
    assert big.pixels.shape == (2, 128, 128) and markers(big) == [1, 3]
    assert small.pixels.shape == (1, 64, 64) and small.series_uid == uid


def test_images_next_to_dicom_become_their_own_entries():
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, format="PNG")
    uid = generate_uid()
    series = load_series([make_slice(1, z=0.0, instance=1, series_uid=uid), buffer.getvalue()],
                         filenames=["ct.dcm", "photo.png"]).series
    assert list(series) == [uid, "file:photo.png"]
    with pytest.raises(InvalidUploadError, match="holds a PDF document"):
        load_series([b"%PDF-1.4"], filenames=["x.png"])


def test_each_series_names_the_files_it_was_read_from():
    uid_a, uid_b = generate_uid(), generate_uid()
    files = [make_slice(1, z=2.0, instance=2, series_uid=uid_a),
             make_slice(2, z=1.0, instance=1, series_uid=uid_a),
             make_slice(3, z=1.0, instance=1, series_uid=uid_b)]
    loaded = load_series(files, filenames=["a2.dcm", "a1.dcm", "b1.dcm"])
    assert dict(loaded.file_names) == {uid_a: ("a1.dcm", "a2.dcm"), uid_b: ("b1.dcm",)}
