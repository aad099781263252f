"""The keys under which pages share data through ``st.session_state``.

Write a key only after validation succeeded, so a bad upload leaves the last good value in place.
"""
from __future__ import annotations

from medcore.registry import ModelKind, ModelSpec

#: The last good scan: a ``medcore.imaging.Scan``.
SCAN = "scan"
#: The file name(s) of the last good scan, for display only (never logged).
SCAN_NAME = "scan_name"
#: The last good records per schema: ``dict[schema_name, pandas.DataFrame]``.
RECORDS = "records"


def input_key(spec: ModelSpec) -> str:
    """Where a page keeps the last valid input of a model for the Explanation page.

    An image model's input is the current scan (:data:`SCAN`); any other model's is
    ``"input_NAME"``, holding what its module's ``model_input`` takes (a one-row records frame,
    one patient's visits).
    """
    return SCAN if spec.kind is ModelKind.IMAGE_CLASSIFIER else f"input_{spec.name}"
