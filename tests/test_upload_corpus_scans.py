"""Scan uploads as hospitals produce them: a corpus built here, each case with its outcome.

Built at test time from pydicom's bundled files (CT_small, a real DICOMDIR, a structured report,
an RT plan) and bytes made here; nothing is committed. Each case states what ``load_series``
must load (frames per series, in order), which files it must list as skipped (with a phrase of
the reason), which it must skip silently, or the error an upload with no usable image gets.
"""
from __future__ import annotations

import copy
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from medcore.errors import InvalidUploadError
from medcore.imaging import MAX_UPLOAD_BYTES, load_scan, load_series
from tests.test_imaging_series import zipped

UID = "1.2.826.0.1.3680043.8.498.1"


def bundled(name: str) -> bytes:
    return Path(get_testdata_file(name)).read_bytes()


def ct(z: float, *, uid: str = UID, size: int | None = None, description: str = "axial",
       marker: int = 0) -> bytes:
    """CT_small as a slice of series ``uid`` at height ``z`` (optionally ``size`` x ``size``)."""
    ds = pydicom.dcmread(io.BytesIO(bundled("CT_small.dcm")))
    ds = copy.deepcopy(ds)
    if size is not None:
        ds.Rows = ds.Columns = size
        ds.PixelData = np.full((size, size), marker, np.int16).tobytes()
    ds.SeriesInstanceUID, ds.SOPInstanceUID = uid, generate_uid()
    ds.SeriesDescription = description
    ds.ImagePositionPatient = [0.0, 0.0, z]
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Case:
    """An upload and what must come of it."""

    files: list[tuple[str, bytes]]
    frames: list[int] = field(default_factory=list)     # per series, in order
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> phrase of the reason
    ignored: list[str] = field(default_factory=list)
    error: str | None = None                            # regex of the message, when nothing loads


def corpus() -> dict[str, Case]:
    one, two, three = ct(0.0), ct(5.0), ct(10.0)
    return {
        # The zip of the issue: one slice, a note, a macOS resource fork.
        "zip with notes.txt and __MACOSX": Case(
            [("x.zip", zipped({"1.dcm": one, "notes.txt": b"scanned on CT2\n",
                               "__MACOSX/._1.dcm": b"\x00\x05\x16\x07 resource fork"}))],
            frames=[1], skipped={"x.zip/notes.txt": "holds a text file, not a DICOM image"},
            ignored=["x.zip/__MACOSX/._1.dcm"]),
        # A PACS CD export: DICOMDIR index, README, viewer, thumbnail, two slices.
        "PACS CD export": Case(
            [("cd.zip", zipped({"DICOMDIR": bundled("DICOMDIR"), "README.TXT": b"Viewer inside",
                                "VIEWER/viewer.exe": b"MZ\x90\x00" + bytes(200),
                                "IMAGES/thumb.jpg": jpeg(), "IMAGES/IM2": two,
                                "IMAGES/IM1": one, ".DS_Store": b"\x00\x00\x00\x01Bud1"}))],
            frames=[2],
            skipped={"cd.zip/README.TXT": "holds a text file",
                     "cd.zip/VIEWER/viewer.exe": "holds a Windows program (a viewer on a CD)",
                     "cd.zip/IMAGES/thumb.jpg": "JPEG image, not a DICOM image (exports often"},
            ignored=["cd.zip/DICOMDIR", "cd.zip/.DS_Store"]),
        # The wrong file first, the right one added to the same uploader.
        "bad file then good file": Case(
            [("junk.dcm", bytes(range(256)) * 4), ("ct.dcm", one)], frames=[1],
            skipped={"junk.dcm": "holds bytes of no recognised image format, not a scan"}),
        "empty file beside a series": Case(
            [("a.dcm", one), ("b.dcm", two), ("empty.dcm", b"")], frames=[2],
            skipped={"empty.dcm": "is empty (0 bytes): its export or upload was interrupted"}),
        "truncated slice in a series": Case(
            [("a.dcm", one), ("b.dcm", two), ("c.dcm", three[:len(three) // 2])], frames=[2],
            skipped={"c.dcm": "truncated"}),
        "slices of another size form their own series": Case(
            [("a.dcm", one), ("b.dcm", two), ("scout.dcm", ct(2.0, size=64))], frames=[2, 1]),
        "the same file uploaded twice": Case(
            [("a.dcm", one), ("copy of a.dcm", one), ("b.dcm", two)], frames=[2],
            skipped={"copy of a.dcm": "the same image as a.dcm"}),
        "a report and a plan beside the images": Case(
            [("sr.dcm", bundled("test-SR.dcm")), ("plan.dcm", bundled("rtplan.dcm")),
             ("a.dcm", one)], frames=[1],
            skipped={"sr.dcm": "no pixel data", "plan.dcm": "no pixel data"}),
        "DICOMDIR and dot-files uploaded beside the images": Case(
            [("DICOMDIR", bundled("DICOMDIR")), (".DS_Store", b"Bud1"), ("IM1", one)],
            frames=[1], ignored=["DICOMDIR", ".DS_Store"]),
        "a damaged zip beside a good file": Case(
            [("bad.zip", b"PK\x03\x04" + bytes(100)), ("a.dcm", one)], frames=[1],
            skipped={"bad.zip": "is a damaged zip archive"}),
        "a zip inside the zip": Case(
            [("outer.zip", zipped({"inner.zip": zipped({"1.dcm": one}), "2.dcm": two}))],
            frames=[1], skipped={"outer.zip/inner.zip": "holds a zip archive"}),
        "radiograph PNG beside a CT slice": Case(
            [("a.dcm", one), ("chest.png", png())], frames=[1, 1]),
        "two series in one zip": Case(
            [("study.zip", zipped({"1.dcm": one, "2.dcm": two,
                                   "3.dcm": ct(0.0, uid=UID + ".2", description="bone")}))],
            frames=[2, 1]),
        # Nothing usable: errors, each saying what was received and expected.
        "only a DICOMDIR": Case(
            [("DICOMDIR", bundled("DICOMDIR"))],
            error="holds only system files and indexes .*A DICOMDIR is the index"),
        "a zip of notes only": Case(
            [("notes.zip", zipped({"notes.txt": b"x", "__MACOSX/._notes.txt": b"x"}))],
            error=r"^notes.zip holds no usable image \(notes.zip/notes.txt: holds a text "
                  r"file\). Expected a DICOM file"),
        "one junk file": Case([("junk.dcm", b"not a scan " * 50)],
                              error="^junk.dcm holds a text file; expected a DICOM file"),
        "one empty file": Case([("empty.dcm", b"")], error=r"^empty.dcm is empty \(0 bytes\)"),
        "two bad files": Case(
            [("a.pdf", b"%PDF-1.4"), ("b.txt", b"hello")],
            error=r"^The upload \(2 files\) holds no usable image \(a.pdf: holds a PDF document; "
                  r"b.txt: holds a text file\). Expected a DICOM file"),
    }


CASES = corpus()


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(name):
    case = CASES[name]
    names, data = [n for n, _ in case.files], [d for _, d in case.files]
    if case.error:
        with pytest.raises(InvalidUploadError, match=case.error):
            load_series(data, filenames=names)
        return
    loaded = load_series(data, filenames=names)
    assert [scan.n_frames for scan in loaded.series.values()] == case.frames
    assert [s.name for s in loaded.skipped] == list(case.skipped)
    for skipped in loaded.skipped:
        assert case.skipped[skipped.name] in skipped.reason, skipped
        assert not skipped.reason.startswith(skipped.name)           # the name is not repeated
    assert list(loaded.ignored) == case.ignored


def test_file_objects_work_like_bytes():
    case = CASES["PACS CD export"]
    files = [io.BytesIO(data) for _, data in case.files]
    for handle, (name, _) in zip(files, case.files):
        handle.name = name
    loaded = load_series(files)
    assert [s.name for s in loaded.skipped] == list(case.skipped)


def test_a_zip_with_a_readme_still_loads_as_one_scan():
    data = zipped({"1.dcm": ct(0.0), "README.TXT": b"hello"})
    assert load_scan(data, filename="x.zip").n_frames == 1


def test_loaded_series_is_read_only():
    loaded = load_series([ct(0.0)], filenames=["a.dcm"])
    with pytest.raises(TypeError):
        loaded.series["other"] = None
    with pytest.raises(AttributeError):
        loaded.skipped = ()


class SpyFile(io.FileIO):
    """A file object that records whether any byte was read."""

    reads = 0

    def read(self, *args):
        SpyFile.reads += 1
        return super().read(*args)

    def readinto(self, buffer):
        SpyFile.reads += 1
        return super().readinto(buffer)


def test_a_200_mb_upload_is_refused_with_the_limit_before_it_is_read(tmp_path):
    big = tmp_path / "big.zip"
    with open(big, "wb") as handle:                 # sparse: no 200 MB written to the disk
        handle.truncate(200 * 1024 * 1024)
    with SpyFile(big) as handle:
        with pytest.raises(InvalidUploadError,
                           match=r"big.zip is 200 MB; expected at most 150 MB per upload"):
            load_series([handle], max_bytes=MAX_UPLOAD_BYTES)
    assert SpyFile.reads == 0
    with pytest.raises(InvalidUploadError, match="is 200 MB; expected at most 150 MB"):
        load_series(big, max_bytes=MAX_UPLOAD_BYTES)
    small = [("a.dcm", ct(0.0)), ("b.dcm", ct(5.0))]
    limit = sum(len(d) for _, d in small) - 1
    with pytest.raises(InvalidUploadError, match=r"The upload \(2 files\) is 0 MB together"):
        load_series([d for _, d in small], filenames=[n for n, _ in small], max_bytes=limit)
    assert os.path.getsize(big) == 200 * 1024 * 1024


def test_no_files_and_no_file_object_are_clear_errors():
    with pytest.raises(InvalidUploadError, match="received no files; expected a DICOM file"):
        load_series([])
    with pytest.raises(InvalidUploadError, match="received a int; expected a path, bytes"):
        load_series(3)
