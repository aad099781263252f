"""Real sample scans for "Try a sample": pydicom's test data and PneumoniaMNIST test images.

The DICOM samples come from the ``pydicom-data`` package (``RG1_UNCR.dcm``, ``693_UNCR.dcm``,
``MR2_UNCR.dcm``) and from pydicom itself (``CT_small.dcm``); nothing is downloaded. The
PneumoniaMNIST samples are test-split images of ``pneumoniamnist.npz`` (found with
:func:`medcore.datasets.resolve_data_file`), listed only when that file is there.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from medcore.datasets import resolve_data_file
from medcore.datasets.pneumoniamnist import CLASS_NAMES, FILENAME, HOW_TO_GET
from medcore.errors import DataUnavailableError
from medcore.imaging import Scan, load_scan, scan_from_array

#: DICOM samples: file name -> what it shows.
DICOM_SAMPLES: dict[str, str] = {
    "RG1_UNCR.dcm": "Chest radiograph (CR, 1955 x 1841, MONOCHROME1)",
    "693_UNCR.dcm": "Head CT slice (CT, 512 x 512)",
    "MR2_UNCR.dcm": "Shoulder MR (MR, 1024 x 1024)",
    "CT_small.dcm": "Small CT slice (CT, 128 x 128, pydicom)",
}

#: Test-split indices of the PneumoniaMNIST samples.
PNEUMONIAMNIST_INDICES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
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
    """
    names = [name for name in DICOM_SAMPLES if _dicom_path(name) is not None]
    if _pneumonia_file(data) is not None:
        names += [f"PneumoniaMNIST test #{index}" for index in PNEUMONIAMNIST_INDICES]
    return names


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
    """Test-split image ``index`` of PneumoniaMNIST as a :class:`Scan`.

    Raises
    ------
    DataUnavailableError
        ``pneumoniamnist.npz`` is not found, or ``index`` is outside the test split.
    """
    import numpy as np

    path = resolve_data_file(PNEUMONIAMNIST_FILE, data, how_to_get=HOW_TO_GET)
    with np.load(path) as archive:
        images, labels = archive["test_images"], archive["test_labels"]
        if not 0 <= index < len(images):
            raise DataUnavailableError(f"PneumoniaMNIST test image {index} requested; the test "
                                       f"split has images 0..{len(images) - 1}. Pick one of "
                                       "those.")
        image, label = images[index], int(labels[index].ravel()[0])
    return scan_from_array(image, modality="CR", metadata={
        "dataset": "PneumoniaMNIST (MedMNIST v2), test split", "body_part": "CHEST",
        "reference_label": _LABELS.get(label, str(label)), "file_format": "28 x 28 uint8 array"})
