"""The keys under which pages share data through ``st.session_state``.

Write a key only after validation succeeded, so a bad upload leaves the last good value in place.
"""
from __future__ import annotations

#: The last good scan: a ``medcore.imaging.Scan``.
SCAN = "scan"
#: The file name(s) of the last good scan, for display only (never logged).
SCAN_NAME = "scan_name"
#: The last good records per schema: ``dict[schema_name, pandas.DataFrame]``.
RECORDS = "records"
#: The last breast-aspirate patient scored on the Diagnosis page: a one-row ``DataFrame``
#: with the WDBC feature columns.
WDBC_PATIENT = "wdbc_patient"
#: The last breast-cancer survival patient on the Survival page: a one-row ``DataFrame``
#: with the Rotterdam covariates.
SURVIVAL_PATIENT = "survival_patient"
#: The PBC visit history shown on the Survival page: a ``DataFrame`` of one patient's visits.
PBC_HISTORY = "pbc_history"
