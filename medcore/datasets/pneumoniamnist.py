"""PneumoniaMNIST (MedMNIST v2): 28 x 28 pediatric chest radiographs, normal vs pneumonia.

The file is ``pneumoniamnist.npz`` from the MedMNIST project (keys ``train_images`` uint8
``(n, 28, 28)``, ``train_labels`` uint8 ``(n, 1)``, likewise ``val_*`` and ``test_*``). It is
not in the repository (licence CC BY 4.0, cite MedMNIST v2 and Kermany et al. 2018); its path
comes from ``--data`` or ``$MEDCORE_DATA_DIR``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from medcore.datasets import resolve_data_file
from medcore.errors import DataValidationError

FILENAME = "pneumoniamnist.npz"
SPLITS: tuple[str, ...] = ("train", "val", "test")
#: Label meaning: index -> name.
CLASS_NAMES: tuple[str, ...] = ("normal", "pneumonia")
HOW_TO_GET = ("Get it from the MedMNIST project: `pip install medmnist` and "
              "`medmnist.PneumoniaMNIST(split='train', download=True)`, or its Zenodo record.")
SOURCE = {
    "source": "PneumoniaMNIST, MedMNIST v2 (28 x 28 resize of the Kermany et al. pediatric "
              "chest X-ray set, Guangzhou Women and Children's Medical Center)",
    "licence": "CC BY 4.0",
    "citation": [
        "Yang J. et al. MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D "
        "biomedical image classification. Scientific Data 10, 41 (2023).",
        "Kermany D.S. et al. Identifying medical diagnoses and treatable diseases by "
        "image-based deep learning. Cell 172(5), 1122-1131 (2018).",
    ],
}


@dataclass(frozen=True)
class ImageSplit:
    """One split: ``images`` uint8 ``(n, 28, 28, 1)``, ``labels`` int ``(n,)`` (1 = pneumonia)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class PneumoniaMNIST:
    """The three official splits."""

    train: ImageSplit
    val: ImageSplit
    test: ImageSplit


def load_pneumoniamnist(data: str | os.PathLike | None = None) -> PneumoniaMNIST:
    """Load the official train / val / test splits.

    Parameters
    ----------
    data : path, optional
        The ``.npz`` file or the folder holding it; default ``$MEDCORE_DATA_DIR``.

    Returns
    -------
    PneumoniaMNIST
        Images uint8 shape ``(n, 28, 28, 1)``, labels int shape ``(n,)``.

    Raises
    ------
    DataUnavailableError
        The file is not found.
    DataValidationError
        The file lacks a split or has images that are not ``(n, 28, 28)`` uint8.
    """
    path = resolve_data_file(FILENAME, data, how_to_get=HOW_TO_GET)
    with np.load(path) as archive:
        splits = {}
        for split in SPLITS:
            keys = (f"{split}_images", f"{split}_labels")
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise DataValidationError(
                    f"{path.name} has no {', '.join(missing)} (found {', '.join(archive.files)}); "
                    f"expected the MedMNIST release keys. {HOW_TO_GET}"
                )
            images, labels = archive[keys[0]], archive[keys[1]].reshape(-1)
            if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
                raise DataValidationError(
                    f"{keys[0]} in {path.name} is {images.dtype} {images.shape}; expected uint8 "
                    f"(n, 28, 28) (the 28-pixel MedMNIST release). {HOW_TO_GET}"
                )
            if labels.shape[0] != images.shape[0] or not np.isin(labels, (0, 1)).all():
                raise DataValidationError(
                    f"{keys[1]} in {path.name} must hold one 0/1 label per image; "
                    f"got {labels.shape[0]} labels for {images.shape[0]} images."
                )
            splits[split] = ImageSplit(images[..., None], labels.astype(np.int64))
    return PneumoniaMNIST(**splits)
