"""Wisconsin diagnostic breast cancer (WDBC): 569 fine-needle aspirates, 30 nuclear features.

The data ship with scikit-learn (``sklearn.datasets.load_breast_cancer``), so no file or
``--data`` path is needed. scikit-learn codes the target as 0 = malignant, 1 = benign; here the
label is flipped so that **1 = malignant**, the positive class of every medcore metric.

The held-out test split is fixed (stratified, 20%, its own seed independent of the training seed)
and identified by the sha256 of its sorted row indices, which the model card records.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from medcore.schemas import WDBC

__all__ = ["WdbcData", "WdbcSplit", "load_wdbc", "fixed_split", "indices_sha256",
           "SPLIT_SEED", "TEST_FRACTION", "SOURCE"]

#: Seed of the held-out split. Never changes with the training seed.
SPLIT_SEED = 20_231_114
#: Share of the rows held out for the final test.
TEST_FRACTION = 0.2

#: Provenance for the model card.
SOURCE = {
    "name": "Breast Cancer Wisconsin (Diagnostic)",
    "source": "UCI Machine Learning Repository, https://doi.org/10.24432/C5DW2B; "
              "loaded via sklearn.datasets.load_breast_cancer",
    "licence": "CC BY 4.0",
    "citation": "W. N. Street, W. H. Wolberg, O. L. Mangasarian. Nuclear feature extraction for "
                "breast tumor diagnosis. IS&T/SPIE 1993 International Symposium on Electronic "
                "Imaging: Science and Technology, vol. 1905, pp. 861-870.",
    "population": "569 patients, University of Wisconsin Hospitals, Madison (1990s); 212 "
                  "malignant, 357 benign; features computed from a digitised image of a "
                  "fine-needle aspirate of a breast mass.",
}


@dataclass(frozen=True)
class WdbcData:
    """All 569 rows.

    Attributes
    ----------
    features : DataFrame, shape (569, 30)
        Raw units, columns in ``medcore.schemas.WDBC.feature_names`` order.
    labels : ndarray of int, shape (569,)
        1 = malignant, 0 = benign.
    """

    features: pd.DataFrame
    labels: np.ndarray


@dataclass(frozen=True)
class WdbcSplit:
    """Row indices (into :class:`WdbcData`) of the development and held-out test parts."""

    train_index: np.ndarray
    test_index: np.ndarray

    @property
    def test_sha256(self) -> str:
        return indices_sha256(self.test_index)


def load_wdbc() -> WdbcData:
    """Load WDBC with malignant coded 1 and columns in the schema's feature order.

    Raises
    ------
    RuntimeError
        If scikit-learn's feature names ever stop matching ``WDBC.feature_names`` (a bug, not a
        user error).
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    names = list(bunch.feature_names)
    if names != WDBC.feature_names:
        raise RuntimeError(
            "scikit-learn's breast-cancer feature names differ from medcore.schemas.WDBC: "
            f"{names} vs {WDBC.feature_names}. Update the schema before training.")
    features = pd.DataFrame(np.asarray(bunch.data, dtype="float64"), columns=names)
    labels = (np.asarray(bunch.target) == 0).astype(int)  # sklearn: 0 = malignant
    return WdbcData(features=features, labels=labels)


def fixed_split(labels: np.ndarray, *, test_fraction: float = TEST_FRACTION,
                seed: int = SPLIT_SEED) -> WdbcSplit:
    """The fixed stratified held-out split.

    Parameters
    ----------
    labels : ndarray, shape (n_samples,)
    test_fraction, seed : the split's share and seed (defaults are the shipped model's).

    Returns
    -------
    WdbcSplit
        Sorted indices of both parts.
    """
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    train_index, test_index = train_test_split(index, test_size=test_fraction,
                                               stratify=labels, random_state=seed)
    return WdbcSplit(np.sort(train_index), np.sort(test_index))


def indices_sha256(index: np.ndarray) -> str:
    """sha256 of sorted row indices written as comma-separated decimals (``"3,17,..."``)."""
    text = ",".join(str(int(i)) for i in np.sort(np.asarray(index)))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
