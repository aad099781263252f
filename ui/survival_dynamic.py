"""Page section for the `pbc_rnn` model."""
from __future__ import annotations

from ui import common


def render() -> None:
    if common.model_unavailable("pbc_rnn"):
        return
