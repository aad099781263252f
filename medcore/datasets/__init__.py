"""The real data sets the models are trained and tested on.

One module per data set. Paths to files that no package carries (PneumoniaMNIST) come from an
explicit ``data`` argument (the command line's ``--data``) or the ``MEDCORE_DATA_DIR`` variable.
"""
from __future__ import annotations

import os
from pathlib import Path

from medcore.errors import DataUnavailableError

DATA_DIR_VARIABLE = "MEDCORE_DATA_DIR"


def resolve_data_file(filename: str, data: str | os.PathLike | None = None, *,
                      how_to_get: str = "") -> Path:
    """Find ``filename`` from ``data`` (a file or a folder) or ``$MEDCORE_DATA_DIR``.

    Raises
    ------
    DataUnavailableError
        Neither names an existing file; the message says where it looked and how to get it.
    """
    candidates: list[Path] = []
    if data is not None:
        path = Path(data)
        candidates.append(path / filename if path.is_dir() else path)
    env = os.environ.get(DATA_DIR_VARIABLE)
    if env:
        candidates.append(Path(env) / filename)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates) or "nowhere (no --data and no $MEDCORE_DATA_DIR)"
    raise DataUnavailableError(
        f"{filename} was not found; looked in {looked}. Pass its path with --data or set "
        f"{DATA_DIR_VARIABLE} to the folder that holds it. {how_to_get}".strip()
    )
