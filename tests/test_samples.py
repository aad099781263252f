"""The "Try a sample" scans: real DICOM files from pydicom(-data) and PneumoniaMNIST images."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.errors import DataUnavailableError
from medcore.samples import DICOM_SAMPLES, describe_sample, list_samples, load_sample


def test_dicom_samples_are_listed_and_load():
    names = list_samples(data=None)
    assert [n for n in names if n in DICOM_SAMPLES] == list(DICOM_SAMPLES)
    ct = load_sample("693_UNCR.dcm")
    assert ct.modality == "CT" and ct.pixels.shape == (1, 512, 512)
    assert "Head CT" in describe_sample("693_UNCR.dcm")


def test_chest_radiograph_sample_shows_bones_white():
    scan = load_sample("RG1_UNCR.dcm")
    assert scan.pixels.shape == (1, 1955, 1841) and scan.inverted
    image = scan.display()
    rows, columns = image.shape
    # The spine (centre column band) is brighter than the lung fields beside it.
    spine = image[rows // 3: rows // 2, columns // 2 - 40: columns // 2 + 40].mean()
    lung = image[rows // 3: rows // 2, columns // 4 - 40: columns // 4 + 40].mean()
    assert spine > lung + 20


def test_pneumoniamnist_samples(data_dir):
    names = [n for n in list_samples(data_dir) if n.startswith("PneumoniaMNIST")]
    assert names
    scan = load_sample(names[0], data_dir)
    assert scan.pixels.shape == (1, 28, 28) and scan.metadata["reference_label"] in (
        "normal", "pneumonia")


def test_without_the_data_folder_the_shipped_subset_gives_the_same_samples(data_dir,
                                                                           monkeypatch):
    """16 test images (8 per class) ship in assets/data: the samples need no data folder, and
    are the very images of the full file."""
    monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)
    names = [n for n in list_samples() if n.startswith("PneumoniaMNIST")]
    assert len(names) == 16
    labels = [load_sample(n).metadata["reference_label"] for n in names]
    assert labels.count("normal") == labels.count("pneumonia") == 8
    for name in names:
        np.testing.assert_array_equal(load_sample(name).pixels, load_sample(name, data_dir).pixels)


def test_a_multi_frame_sample_is_read_from_pydicom_data():
    if "emri_small.dcm" not in list_samples():
        pytest.skip("pydicom-data is not installed")
    scan = load_sample("emri_small.dcm")
    assert scan.n_frames == 10 and scan.modality == "MR"


def test_missing_data_file_and_unknown_name(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)
    with pytest.raises(DataUnavailableError, match="pneumoniamnist.npz was not found"):
        load_sample("PneumoniaMNIST test #0", tmp_path)
    with pytest.raises(DataUnavailableError, match="'nope.dcm' is not a sample; expected one of"):
        load_sample("nope.dcm")
    assert np.isfinite(load_sample("CT_small.dcm").pixels).all()


def test_a_dicom_sample_is_listed_only_when_its_package_is_installed(monkeypatch):
    """The list is read from the installed distributions, not by importing pydicom (0.4 s on a
    fresh server's first Diagnosis page); without pydicom-data only pydicom's own CT is left."""
    from medcore import samples

    monkeypatch.setattr(samples, "_installed", lambda distribution: distribution == "pydicom")
    assert [n for n in list_samples() if n in DICOM_SAMPLES] == ["CT_small.dcm"]
    assert set(samples.DICOM_SAMPLE_PACKAGES) == set(DICOM_SAMPLES)


def test_listing_the_samples_imports_no_pydicom():
    import subprocess
    import sys

    script = ("import sys; from medcore.samples import list_samples; names = list_samples(); "
              "print(len(names), 'pydicom' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=True)
    count, imported = result.stdout.split()
    assert int(count) >= 16 + 5 and imported == "False"
