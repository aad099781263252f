"""Real sample scans for "Try a sample": PneumoniaMNIST test images and pydicom's test data.

The PneumoniaMNIST samples are the 16 test-split images of the subset shipped in
``assets/data`` (:mod:`medcore.datasets.pneumoniamnist_subset`: 8 normal, 8 pneumonia), read
from ``pneumoniamnist.npz`` when that file is found, else from the subset: they are there with
no data folder. The DICOM samples are read where the installed packages keep them, never
copied: ``pydicom-data`` (``RG1_UNCR.dcm``, ``693_UNCR.dcm``, ``MR2_UNCR.dcm`` and the
10-frame ``emri_small.dcm``, which shows the slice slider) and pydicom itself
(``CT_small.dcm``); nothing is downloaded.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from medcore.datasets import resolve_data_file
from medcore.datasets.pneumoniamnist import CLASS_NAMES, FILENAME, HOW_TO_GET
from medcore.datasets.pneumoniamnist_subset import load_subset
from medcore.errors import DataUnavailableError
from medcore.imaging import Scan, load_scan, scan_from_array

#: DICOM samples: file name -> what it shows.
DICOM_SAMPLES: dict[str, str] = {
    "RG1_UNCR.dcm": "Chest radiograph (CR, 1955 x 1841, MONOCHROME1)",
    "693_UNCR.dcm": "Head CT slice (CT, 512 x 512)",
    "MR2_UNCR.dcm": "Shoulder MR (MR, 1024 x 1024)",
    "CT_small.dcm": "Small CT slice (CT, 128 x 128, pydicom)",
    "emri_small.dcm": "Head MR, 10 frames (MR, 64 x 64, multi-frame)",
}

#: The distribution that installs each DICOM sample (pydicom's own test files, or pydicom-data).
DICOM_SAMPLE_PACKAGES: dict[str, str] = {
    "RG1_UNCR.dcm": "pydicom-data", "693_UNCR.dcm": "pydicom-data",
    "MR2_UNCR.dcm": "pydicom-data", "CT_small.dcm": "pydicom", "emri_small.dcm": "pydicom-data",
}

PNEUMONIAMNIST_FILE = FILENAME
_PNEUMONIA_NAME = re.compile(r"^PneumoniaMNIST test #(\d+)$")
_LABELS = dict(enumerate(CLASS_NAMES))


@lru_cache(maxsize=None)
def _dicom_path(name: str) -> Path | None:
    from pydicom.data import get_testdata_file

    try:
        path = get_testdata_file(name, download=False)
    except (OSError, ValueError, ImportError, RuntimeError):  # pydicom-data's index unreadable
        return None
    return Path(path) if path and Path(path).is_file() else None


@lru_cache(maxsize=None)
def _installed(distribution: str) -> bool:
    """Whether ``distribution`` is installed, read from its metadata (importing pydicom to ask
    it where its files are costs ~0.4 s, paid by the first Diagnosis page of a fresh server
    just to fill the list of samples)."""
    from importlib.metadata import PackageNotFoundError, distribution as installed

    try:
        installed(distribution)
    except PackageNotFoundError:
        return False
    return True


def _pneumonia_file(data: str | os.PathLike | None) -> Path | None:
    try:
        return resolve_data_file(PNEUMONIAMNIST_FILE, data, how_to_get=HOW_TO_GET)
    except DataUnavailableError:
        return None


def list_samples(data: str | os.PathLike | None = None) -> list[str]:
    """Names of the samples available on this machine, for :func:`load_sample`.

    Parameters
    ----------
    data : path, optional
        ``pneumoniamnist.npz`` or its folder (default ``$MEDCORE_DATA_DIR``).

    A DICOM sample is listed when the package that installs it is (its file is looked up when
    it is loaded: :func:`load_sample` says what to install if it is missing).
    """
    names = [f"PneumoniaMNIST test #{index}" for index in pneumoniamnist_indices()]
    return names + [name for name in DICOM_SAMPLES if _installed(DICOM_SAMPLE_PACKAGES[name])]


def pneumoniamnist_indices() -> tuple[int, ...]:
    """Test-split indices of the PneumoniaMNIST samples (those of the shipped subset)."""
    try:
        return tuple(int(i) for i in load_subset().test_indices)
    except DataUnavailableError:
        return ()


def describe_sample(name: str) -> str:
    """A one-line description of a sample, for a select box."""
    if name in DICOM_SAMPLES:
        return f"{DICOM_SAMPLES[name]} - {name}"
    return f"{name} (chest radiograph, 28 x 28)"


def load_sample(name: str, data: str | os.PathLike | None = None) -> Scan:
    """Load a sample scan by the name :func:`list_samples` gives.

    Returns
    -------
    Scan
        DICOM samples as :func:`~medcore.imaging.load_scan` reads them; PneumoniaMNIST images
        as 28 x 28 ``uint8`` arrays (modality "CR", default window showing the values
        unchanged), with the data set's label under ``metadata["reference_label"]``.

    Raises
    ------
    DataUnavailableError
        The sample's file is not on this machine, or ``name`` is not a sample.
    """
    if name in DICOM_SAMPLES:
        path = _dicom_path(name)
        if path is None:
            raise DataUnavailableError(f"the sample {name} was not found; expected it in the "
                                       "pydicom-data package. Install it: pip install pydicom-data")
        return load_scan(path)
    match = _PNEUMONIA_NAME.match(name)
    if not match:
        raise DataUnavailableError(f"{name!r} is not a sample; expected one of "
                                   f"{', '.join(DICOM_SAMPLES)} or 'PneumoniaMNIST test #N'. "
                                   "Pick one from the list of samples.")
    return pneumoniamnist_scan(int(match.group(1)), data)


def pneumoniamnist_scan(index: int, data: str | os.PathLike | None = None) -> Scan:
    """Test-split image ``index`` of PneumoniaMNIST as a :class:`Scan` (from the full file, else
    from the shipped subset when it holds that image).

    Raises
    ------
    DataUnavailableError
        ``index`` is outside the test split, or neither file holds it.
    """
    import numpy as np

    path = _pneumonia_file(data)
    if path is None:
        subset = load_subset()
        found = np.flatnonzero(subset.test_indices == index)
        if data is not None or not found.size:
            resolve_data_file(PNEUMONIAMNIST_FILE, data, how_to_get=HOW_TO_GET)   # raises
        image, label = subset.test_images[found[0], :, :, 0], int(subset.test_labels[found[0]])
        return _pneumonia_scan(image, label)
    with np.load(path) as archive:
        images, labels = archive["test_images"], archive["test_labels"]
        if not 0 <= index < len(images):
            raise DataUnavailableError(f"PneumoniaMNIST test image {index} requested; the test "
                                       f"split has images 0..{len(images) - 1}. Pick one of "
                                       "those.")
        image, label = images[index], int(labels[index].ravel()[0])
    return _pneumonia_scan(image, label)


def _pneumonia_scan(image, label: int) -> Scan:
    return scan_from_array(image, modality="CR", metadata={
        "dataset": "PneumoniaMNIST (MedMNIST v2), test split", "body_part": "CHEST",
        "reference_label": _LABELS.get(label, str(label)), "file_format": "28 x 28 uint8 array"})
