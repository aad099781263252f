"""Page section for the `breast_cancer_deepsurv` model."""
from __future__ import annotations

from ui import common


def render() -> None:
    if common.model_unavailable("breast_cancer_deepsurv"):
        return
