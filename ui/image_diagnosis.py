"""Page section for the `pneumonia_cnn` model."""
from __future__ import annotations

from ui import common


def render() -> None:
    if common.model_unavailable("pneumonia_cnn"):
        return
