"""A small attributed subset of PneumoniaMNIST shipped in ``assets/data``, so the dashboard works
without the data folder.

``pneumoniamnist_subset.npz`` holds, from the MedMNIST v2 release of PneumoniaMNIST (CC BY 4.0;
Yang et al., Scientific Data 2023, and Kermany et al., Cell 2018; see ``LICENSE-pneumoniamnist.txt``
beside it):

* ``test_images`` / ``test_labels`` / ``test_indices``: :data:`SAMPLES_PER_CLASS` normal and as
  many pneumonia images of the official test split, the first of each class in the split's
  order (no hand-picking), offered as samples on the Diagnosis and Explanation pages;
* ``train_images`` / ``train_indices``: the SHAP background of the Explanation page, exactly
  the images ``pneumonia_cnn.training_background(BACKGROUND_SIZE, seed=0)`` draws from the
  full training split, so explanations are the same with or without the full file.

Figures that need the whole test split (``python -m medcore evaluate``, the bench, the
Explanation page's deletion curves over many images) still need the full file. Rebuild with
``python -m medcore.datasets.pneumoniamnist_subset --data FOLDER``.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from medcore.errors import DataUnavailableError

FILENAME = "pneumoniamnist_subset.npz"
LICENCE_FILE = "LICENSE-pneumoniamnist.txt"
_PACKAGE = Path(__file__).resolve().parent.parent
#: ``assets/data`` of a checkout; an installed wheel carries it as ``medcore/assets/data``.
DATA_DIR = (_PACKAGE / "assets" / "data" if (_PACKAGE / "assets" / "data").is_dir()
            else _PACKAGE.parent / "assets" / "data")
#: Test images per class offered as samples.
SAMPLES_PER_CLASS = 8
#: Training images kept: the image explainer's background (``explain.models.BACKGROUND_SIZE``).
BACKGROUND_SIZE = 50
BACKGROUND_SEED = 0


@dataclass(frozen=True)
class Subset:
    """The shipped subset: test images uint8 ``(16, 28, 28, 1)`` with labels and their indices
    in the official test split; background images ``(50, 28, 28, 1)`` with their indices in the
    training split and the seed that drew them."""

    test_images: np.ndarray
    test_labels: np.ndarray
    test_indices: np.ndarray
    train_images: np.ndarray
    train_indices: np.ndarray
    background_seed: int


@lru_cache(maxsize=1)
def load_subset(path: str | os.PathLike | None = None) -> Subset:
    """The shipped subset (read once).

    Raises
    ------
    DataUnavailableError
        The file is missing from ``assets/data`` (a damaged checkout).
    """
    file = Path(path) if path is not None else DATA_DIR / FILENAME
    if not file.is_file():
        raise DataUnavailableError(f"{file} was not found; expected the PneumoniaMNIST subset "
                                   "shipped with medcore. Restore it from git (assets/data).")
    with np.load(file) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for key in ("test_images", "train_images"):
        arrays[key].setflags(write=False)
    return Subset(arrays["test_images"], arrays["test_labels"], arrays["test_indices"],
                  arrays["train_images"], arrays["train_indices"],
                  int(arrays["background_seed"]))


def background_indices(n_train: int, n: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` of ``n_train`` training images drawn without replacement (the
    SHAP background's draw)."""
    chosen = np.random.default_rng(seed).choice(n_train, size=min(n, n_train), replace=False)
    return np.sort(chosen)


def make_subset(data: str | os.PathLike | None = None,
                out: str | os.PathLike | None = None) -> Path:
    """Write the subset from the full ``pneumoniamnist.npz`` (see the module docstring).

    Raises
    ------
    DataUnavailableError
        The full file is not found.
    """
    from medcore.datasets.pneumoniamnist import load_pneumoniamnist

    dataset = load_pneumoniamnist(data)
    labels = dataset.test.labels
    test = np.sort(np.concatenate([np.flatnonzero(labels == c)[:SAMPLES_PER_CLASS]
                                   for c in (0, 1)]))
    train = background_indices(len(dataset.train), BACKGROUND_SIZE, BACKGROUND_SEED)
    target = Path(out) if out is not None else DATA_DIR / FILENAME
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, test_images=dataset.test.images[test],
                        test_labels=labels[test].astype(np.uint8), test_indices=test,
                        train_images=dataset.train.images[train], train_indices=train,
                        background_seed=np.int64(BACKGROUND_SEED))
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=make_subset.__doc__.splitlines()[0])
    parser.add_argument("--data", help="pneumoniamnist.npz or its folder (default: "
                                       "$MEDCORE_DATA_DIR)")
    parser.add_argument("--out", help=f"output file (default: {DATA_DIR / FILENAME})")
    args = parser.parse_args(argv)
    print(make_subset(args.data, args.out))


if __name__ == "__main__":
    main()
