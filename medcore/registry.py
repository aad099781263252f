"""Model names -> files in ``assets/models``; model cards; checked loading.

Every shipped model is two files: ``NAME.keras`` (weights and preprocessing) and ``NAME.json``
(the model card). The card records the sha256 of the ``.keras`` file; :func:`load_model` refuses a
file whose checksum differs, so a half-copied or hand-edited model never gives a prediction.

Reading a card needs no TensorFlow; :func:`load_model` imports Keras on first use.
"""
from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

from medcore.errors import ModelFileError

_PACKAGE = Path(__file__).resolve().parent
#: Where the shipped models live: ``assets/models`` at the root of a source checkout (the one copy
#: in git), carried by an installed wheel as ``medcore/assets/models`` (see ``setup.py``).
MODELS_DIR = (_PACKAGE / "assets" / "models" if (_PACKAGE / "assets" / "models").is_dir()
              else _PACKAGE.parent / "assets" / "models")

#: Every model the dashboard knows, with the module that trains and evaluates it.
MODEL_MODULES: dict[str, str] = {
    "pneumonia_cnn": "medcore.models.pneumonia_cnn",
    "breast_cancer_fnn": "medcore.models.breast_cancer_fnn",
    "breast_cancer_deepsurv": "medcore.models.breast_cancer_deepsurv",
    "pbc_rnn": "medcore.models.pbc_rnn",
}


def _check_name(name: str) -> None:
    if name not in MODEL_MODULES:
        raise ModelFileError(
            f"Unknown model {name!r}. Expected one of: {', '.join(sorted(MODEL_MODULES))}."
        )


def model_module(name: str) -> Any:
    """The ``medcore.models.NAME`` module that trains, evaluates and serves model ``name``.

    Raises
    ------
    ModelFileError
        ``name`` is not a known model.
    """
    _check_name(name)
    return importlib.import_module(MODEL_MODULES[name])


def model_path(name: str, models_dir: Path | None = None) -> Path:
    """Path of ``NAME.keras``."""
    _check_name(name)
    return Path(models_dir or MODELS_DIR) / f"{name}.keras"


def card_path(name: str, models_dir: Path | None = None) -> Path:
    """Path of the model card ``NAME.json``."""
    _check_name(name)
    return Path(models_dir or MODELS_DIR) / f"{name}.json"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_available(name: str, models_dir: Path | None = None) -> bool:
    """True when both the model file and its card are present."""
    return model_path(name, models_dir).is_file() and card_path(name, models_dir).is_file()


def load_card(name: str, models_dir: Path | None = None) -> dict[str, Any]:
    """Read a model card.

    Raises
    ------
    ModelFileError
        The card is missing or is not valid JSON.
    """
    path = card_path(name, models_dir)
    if not path.is_file():
        raise ModelFileError(
            f"The model card {path.name} was not found in {path.parent}. Expected the file that "
            f"`python -m medcore train {name}` writes; run that command to create it."
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"The model card {path} is not valid JSON ({exc}). Restore it from git or retrain "
            f"with `python -m medcore train {name}`."
        ) from exc


def write_card(name: str, card: dict[str, Any], models_dir: Path | None = None) -> Path:
    """Write a model card as indented, key-sorted JSON (stable diffs)."""
    path = card_path(name, models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card, indent=2, sort_keys=True, default=_jsonable) + "\n",
                    encoding="utf-8")
    return path


def update_card(name: str, models_dir: Path | None = None, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into an existing card and write it back."""
    card = load_card(name, models_dir)
    card.update(fields)
    write_card(name, card, models_dir)
    return card


def save_model(model: Any, name: str, card: dict[str, Any],
               models_dir: Path | None = None) -> dict[str, Any]:
    """Save ``model`` as ``NAME.keras`` and its card with the file's sha256.

    ``card`` may name ``"custom_objects_module"``: the module whose import registers the custom
    layers the model needs (``keras.saving.register_keras_serializable``).
    """
    path = model_path(name, models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    card = dict(card, name=name, file=path.name, sha256=sha256_of(path))
    write_card(name, card, models_dir)
    return card


def load_model(name: str, models_dir: Path | None = None) -> Any:
    """Load a shipped Keras model after checking its sha256 against the card.

    Loads with ``safe_mode=True`` and ``compile=False``: the model is for inference.

    Raises
    ------
    ModelFileError
        The file or card is missing, the checksum differs, or Keras cannot read the file.
    """
    card = load_card(name, models_dir)
    path = model_path(name, models_dir)
    if not path.is_file():
        raise ModelFileError(
            f"The model file {path.name} was not found in {path.parent}. Expected the file that "
            f"`python -m medcore train {name}` writes; run that command to create it."
        )
    actual = sha256_of(path)
    expected = card.get("sha256")
    if actual != expected:
        raise ModelFileError(
            f"The model file {path.name} has sha256 {actual[:12]}..., but its card expects "
            f"{str(expected)[:12]}.... The file was changed or only partly copied: restore it "
            f"from git or retrain with `python -m medcore train {name}`."
        )
    module = card.get("custom_objects_module")
    if module:
        importlib.import_module(module)
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a corrupt archive
        raise ModelFileError(
            f"Keras could not read {path.name} ({type(exc).__name__}: {exc}). Restore it from "
            f"git or retrain with `python -m medcore train {name}`."
        ) from exc


def _jsonable(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
