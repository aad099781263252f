"""The model registry: one :class:`ModelSpec` per model, its files, its card, checked loading.

A model is declared once, here: :data:`SPECS` says for each model its code name, its title in
words, its kind, the module that trains and serves it (``medcore.models.NAME``, see
:class:`medcore.models.ModelModule`), its records schema, what the Explanation page explains and
in which units, the page sections that show it and the population it learnt from. The pages, the
explanations, the benchmarks and the command line read the spec; none keeps its own table of
model names. A fifth model is one module under ``medcore/models/``, one entry in :data:`SPECS`
(or :func:`register`) and one page section (a ``ui`` module with ``render(spec)``).

Every shipped model is two files in :func:`models_dir` (``assets/models``, or
``$MEDCORE_MODELS_DIR``): ``NAME.keras`` (weights and preprocessing) and ``NAME.json`` (the typed
model card, :class:`medcore.cards.ModelCard`). The card records the sha256 of the ``.keras``
file; :func:`load_model` refuses a file whose checksum differs, so a half-copied or hand-edited
model never gives a prediction.

Predictions go through :func:`serving_model`: the LiteRT export ``NAME.tflite`` (its sha256 in
the card's ``serving`` section, checked like the ``.keras`` file), run without TensorFlow.
Reading a spec or a card and predicting need no TensorFlow; :func:`load_model` (training,
gradients: SHAP, Grad-CAM) imports Keras on first use.
"""
from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import importlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcore.cards import ModelCard, Serving
from medcore.errors import MedcoreError, ModelFileError
from medcore.schemas import PBC_VISITS, ROTTERDAM, WDBC, Column, Schema

_PACKAGE = Path(__file__).resolve().parent
#: Where the shipped models live: ``assets/models`` at the root of a source checkout (the one copy
#: in git), carried by an installed wheel as ``medcore/assets/models`` (see ``setup.py``).
MODELS_DIR = (_PACKAGE / "assets" / "models" if (_PACKAGE / "assets" / "models").is_dir()
              else _PACKAGE.parent / "assets" / "models")
#: Environment variable naming another models folder (a test's, a deployment's).
MODELS_DIR_VARIABLE = "MEDCORE_MODELS_DIR"
#: What Keras raises for a damaged ``.keras`` archive (a zip of config, weights and metadata).
_UNREADABLE = (zipfile.BadZipFile, OSError, ValueError, TypeError, KeyError, AttributeError,
               ImportError)


class ModelKind(str, enum.Enum):
    """What a model does; decides which explainer reads its input and which figures it has."""

    IMAGE_CLASSIFIER = "image classifier"
    TABULAR_CLASSIFIER = "tabular classifier"
    SURVIVAL = "survival"
    SEQUENCE_SURVIVAL = "sequence survival"

    @property
    def input_kind(self) -> str:
        """``"image"``, ``"tabular"`` or ``"sequence"``: the shape of one model input."""
        if self is ModelKind.IMAGE_CLASSIFIER:
            return "image"
        return "sequence" if self is ModelKind.SEQUENCE_SURVIVAL else "tabular"


@dataclass(frozen=True)
class ExplainTarget:
    """One output the Explanation page can explain.

    ``name`` (``"log_risk"``) is what the model module's ``explained_model`` builds; ``label``
    is the page's choice; ``output_name`` and ``output_unit`` label every explanation
    ("5-year recurrence-free survival", "survival probability").
    """

    name: str
    label: str
    output_name: str
    output_unit: str
    #: Whether a higher output is the better outcome for the patient (survival: yes; a risk, a
    #: probability of disease: no); decides the colour of every attribution (the palette).
    higher_is_better: bool = False


@dataclass(frozen=True)
class KnownDirection:
    """A direction of an input that every clinician knows, kept with the model's spec: the
    explanation is checked against it (:mod:`medcore.explain.directions`), and where the model
    learnt the opposite the page says so.

    ``feature`` is a model input name; ``higher_is_worse`` says which way is worse (for a
    present/absent sign, 1 = present is "higher"); ``reason`` names what is known, in words.
    """

    feature: str
    higher_is_worse: bool
    reason: str


@dataclass(frozen=True)
class Section:
    """A page section that shows the model: a tab of ``page`` titled ``tab``, drawn by
    ``renderer`` (a ``ui`` module with ``render(spec)``). ``position`` orders the page's tabs
    (ties keep the registry's order)."""

    page: str
    tab: str
    renderer: str
    position: int = 0


@dataclass(frozen=True)
class ModelSpec:
    """Everything the rest of the code knows about one model.

    Attributes
    ----------
    name : the code name (files, CLI, cards): ``"pneumonia_cnn"``.
    title : what the model does, in words for clinicians.
    kind : :class:`ModelKind`.
    module : the module that trains, evaluates and serves it (a :class:`~medcore.models.ModelModule`).
    population : the patients and setting it learnt from, in words.
    population_ages : the ages (years, ``(youngest, oldest)``) it learnt from, where the data's
        source states them; inputs of patients outside are flagged.
    population_source : who collected the training data (the citation that states the
        population).
    sections : the page sections that show it.
    schema : the records schema its inputs follow (``None`` for images).
    explain_targets : the outputs the Explanation page explains; the first is the default.
    explainer_options : extra keyword arguments of its explainer (e.g. the time channel).
    input_hint : how a clinician makes the model's input ("enter a patient"), for the
        Explanation page; ``input_page`` the page where that is done (see :meth:`input_where`).
    input_phrases : binary inputs whose coding is the model's own: name -> (words for 1, for 0).
    derived_inputs : model inputs computed from the schema's columns (not columns themselves).
    known_directions : the directions of inputs every clinician knows (:class:`KnownDirection`);
        only what is well established for this population and outcome.
    """

    name: str
    title: str
    kind: ModelKind
    module: str
    population: str
    population_ages: tuple[float, float] | None = None
    population_source: str = ""
    sections: tuple[Section, ...] = ()
    schema: Schema | None = None
    explain_targets: tuple[ExplainTarget, ...] = ()
    explainer_options: Mapping[str, Any] = field(default_factory=dict)
    input_hint: str = ""
    input_page: str = ""
    input_phrases: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    derived_inputs: tuple[Column, ...] = ()
    known_directions: tuple[KnownDirection, ...] = ()

    def factors(self) -> dict[str, Any]:
        """The model card's ``factors`` section (:class:`medcore.cards.Factors`) as JSON."""
        ages = self.population_ages
        return {"population": self.population,
                "age_years": None if ages is None else {"min": ages[0], "max": ages[1],
                                                        "median": None},
                "source": self.population_source}

    def section(self, page: str) -> Section | None:
        """The section of ``page`` that shows this model (``None`` when it is not there)."""
        return next((s for s in self.sections if s.page == page), None)

    def where(self, page: str) -> str:
        """A reference to this model's section on ``page`` in the words the page shows:
        ``'the Diagnosis page ("Breast aspirate: malignancy" tab)'`` (``'the Diagnosis page'``
        when the model has no tab there)."""
        section = self.section(page)
        return (f'the {page} page ("{section.tab}" tab)' if section is not None
                else f"the {page} page")

    def input_where(self) -> str:
        """How and where a clinician makes this model's input, with the page's own tab name:
        ``'score a patient on the Diagnosis page ("Breast aspirate: malignancy" tab)'``."""
        return (f"{self.input_hint} on {self.where(self.input_page)}" if self.input_page
                else self.input_hint)

    def known_direction(self, feature: str) -> KnownDirection | None:
        """The known direction of input ``feature`` (``None`` when none is listed)."""
        return next((d for d in self.known_directions if d.feature == feature), None)

    def target(self, name: str | None = None) -> ExplainTarget:
        """The explain target ``name`` (default: the first).

        Raises
        ------
        ModelFileError
            The model has no such target (or none at all).
        """
        if not self.explain_targets:
            raise ModelFileError(f"The model {self.title.lower()!r} ({self.name}) has no "
                                 "explanation; expected a spec with explain_targets.")
        if name is None:
            return self.explain_targets[0]
        for target in self.explain_targets:
            if target.name == name:
                return target
        raise ModelFileError(f"{self.name} has no explanation target {name!r}; expected one of "
                             f"{', '.join(t.name for t in self.explain_targets)}.")


_PROBABILITY = "probability"
_SURVIVAL = "survival probability"

#: The shipped models, in the order pages list them.
SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="pneumonia_cnn", title="Pneumonia on a chest radiograph",
        kind=ModelKind.IMAGE_CLASSIFIER, module="medcore.models.pneumonia_cnn",
        population=("Children aged 1 to 5 years at one centre (Guangzhou Women and Children's "
                    "Medical Center): frontal chest radiographs, reduced to 28 x 28 pixels "
                    "(PneumoniaMNIST)."),
        population_ages=(1.0, 5.0),
        population_source=("Kermany D.S. et al., Cell 172(5), 1122-1131 (2018): paediatric "
                           "frontal chest radiographs from Guangzhou Women and Children's "
                           "Medical Center, patients aged one to five years."),
        sections=(Section("Diagnosis", "Chest radiograph: pneumonia", "ui.image_diagnosis"),
                  Section("Explanation", "Chest X-ray (CNN)", "ui.explanation", position=2)),
        explain_targets=(ExplainTarget("probability", "probability", "probability of pneumonia",
                                       _PROBABILITY),),
        input_hint="upload a scan", input_page="Upload"),
    ModelSpec(
        name="breast_cancer_fnn", title="Malignancy of a breast fine-needle aspirate",
        kind=ModelKind.TABULAR_CLASSIFIER, module="medcore.models.breast_cancer_fnn",
        population=("569 women at the University of Wisconsin Hospitals, Madison (1990s): "
                    "nuclear features of a digitised fine-needle aspirate of a breast mass."),
        sections=(Section("Diagnosis", "Breast aspirate: malignancy", "ui.tabular_diagnosis"),
                  Section("Explanation", "Breast aspirate (FNN)", "ui.explanation",
                          position=1)),
        schema=WDBC,
        explain_targets=(
            ExplainTarget("probability", "probability", "probability of malignancy",
                          _PROBABILITY),
            ExplainTarget("logit", "log-odds", "log-odds of malignancy", "log-odds")),
        input_hint="score a patient", input_page="Diagnosis",
        known_directions=(
            KnownDirection("worst radius", True, "larger nuclei are more often malignant"),
            KnownDirection("worst area", True, "larger nuclei are more often malignant"),
            KnownDirection("worst concave points", True,
                           "more indented nuclear contours are more often malignant"),
            KnownDirection("mean concave points", True,
                           "more indented nuclear contours are more often malignant"))),
    ModelSpec(
        name="breast_cancer_deepsurv",
        title="Recurrence-free survival after breast-cancer surgery",
        kind=ModelKind.SURVIVAL, module="medcore.models.breast_cancer_deepsurv",
        population=("Women with node-positive breast cancer operated on in Rotterdam "
                    "(1978-1993, Rotterdam tumour bank); tested on the German Breast Cancer "
                    "Study Group 2 trial."),
        sections=(Section("Survival", "Breast cancer: recurrence-free survival",
                          "ui.survival_static"),
                  Section("Explanation", "Breast cancer survival (DeepSurv)", "ui.explanation")),
        schema=ROTTERDAM,
        explain_targets=(
            ExplainTarget("survival_5y", "5-year survival", "5-year recurrence-free survival",
                          _SURVIVAL, higher_is_better=True),
            ExplainTarget("log_risk", "log-risk (relative hazard)",
                          "log-risk of recurrence or death", "log-risk")),
        input_hint="enter a patient", input_page="Survival",
        known_directions=(
            KnownDirection("nodes", True, "more positive lymph nodes mean a worse prognosis"),
            KnownDirection("grade", True, "a higher tumour grade means a worse prognosis"),
            KnownDirection("size", True, "a larger tumour means a worse prognosis"),
            KnownDirection("pgr", False, "progesterone-receptor-positive tumours have a "
                                         "better prognosis"),
            KnownDirection("er", False, "oestrogen-receptor-positive tumours have a "
                                        "better prognosis"))),
    ModelSpec(
        name="pbc_rnn", title="Liver (PBC) prognosis updated with every visit",
        kind=ModelKind.SEQUENCE_SURVIVAL, module="medcore.models.pbc_rnn",
        population=("Patients with primary biliary cholangitis in the Mayo Clinic trial of "
                    "D-penicillamine versus placebo (1974-1984), followed with repeated visits."),
        sections=(Section("Survival", "Liver (PBC): prognosis by visit", "ui.survival_dynamic"),
                  Section("Explanation", "Liver visits (RNN)", "ui.explanation")),
        schema=PBC_VISITS,
        explain_targets=(ExplainTarget(
            "survival_5y", "5-year survival",
            "probability of being alive 5 years after the last visit", _SURVIVAL,
            higher_is_better=True),),
        explainer_options={"time_features": ("years_since_first_visit",
                                             "years_since_previous_visit"),
                           "static_features": ("age", "sex", "trt")},
        input_hint="choose a patient's visit history", input_page="Survival",
        known_directions=(      # the Mayo PBC model's and the clinical signs of decompensation
            KnownDirection("bili", True, "higher serum bilirubin means a worse prognosis"),
            KnownDirection("albumin", False, "lower serum albumin means a worse prognosis"),
            KnownDirection("protime", True, "a longer prothrombin time means a worse "
                                            "prognosis"),
            KnownDirection("edema", True, "oedema means a worse prognosis"),
            KnownDirection("age", True, "older age means a worse prognosis"),
            KnownDirection("ascites", True, "ascites means decompensated liver disease"),
            KnownDirection("hepato", True, "hepatomegaly means a worse prognosis"),
            KnownDirection("spiders", True, "spider angiomas mean a worse prognosis"),
            KnownDirection("stage", True, "a higher histologic stage (cirrhosis) means a "
                                          "worse prognosis")),
        input_phrases={"sex": ("male sex", "female sex")},          # the model codes 1 = male
        derived_inputs=(
            Column("years_since_first_visit", "float", "years",
                   title="Time since the first visit"),
            Column("years_since_previous_visit", "float", "years",
                   title="Time since the previous visit"))),
)

#: Specs added by :func:`register` (in this process), after :data:`SPECS`.
_REGISTERED: list[ModelSpec] = []


def specs(*, page: str | None = None, kind: ModelKind | None = None) -> tuple[ModelSpec, ...]:
    """The registered specs, optionally those with a section on ``page`` (in the page's tab
    order) or of one ``kind``."""
    found = [s for s in (*SPECS, *_REGISTERED) if kind is None or s.kind is kind]
    if page is None:
        return tuple(found)
    shown = [s for s in found if s.section(page) is not None]
    return tuple(sorted(shown, key=lambda s: s.section(page).position))


def names() -> tuple[str, ...]:
    """The code names of every registered model."""
    return tuple(s.name for s in specs())


def spec(name: str) -> ModelSpec:
    """The spec of model ``name``.

    Raises
    ------
    ModelFileError
        ``name`` is not a registered model.
    """
    for candidate in specs():
        if candidate.name == name:
            return candidate
    raise ModelFileError(f"Unknown model {name!r}. Expected one of: {', '.join(sorted(names()))}.")


def spec_for_schema(schema_name: str) -> ModelSpec | None:
    """The first model whose inputs follow the records schema ``schema_name`` (or ``None``)."""
    return next((s for s in specs() if s.schema is not None and s.schema.name == schema_name),
                None)


@contextlib.contextmanager
def register(new: ModelSpec, *, models_dir: str | os.PathLike | None = None) -> Iterator[ModelSpec]:
    """Add ``new`` to the registry for the duration of a ``with`` block (a plug-in model, a
    test's toy model); with ``models_dir``, read every model's files from that folder meanwhile.

    Raises
    ------
    ModelFileError
        A model of that name is registered already.
    """
    if new.name in names():
        raise ModelFileError(f"A model named {new.name!r} is registered already; pick another "
                             "name.")
    previous = os.environ.get(MODELS_DIR_VARIABLE)
    _REGISTERED.append(new)
    if models_dir is not None:
        os.environ[MODELS_DIR_VARIABLE] = str(models_dir)
    try:
        yield new
    finally:
        _REGISTERED.remove(new)
        if models_dir is not None:
            if previous is None:
                os.environ.pop(MODELS_DIR_VARIABLE, None)
            else:
                os.environ[MODELS_DIR_VARIABLE] = previous


def models_folder(override: str | os.PathLike | None = None) -> Path:
    """The models folder: ``override``, else ``$MEDCORE_MODELS_DIR``, else ``assets/models``."""
    return Path(override or os.environ.get(MODELS_DIR_VARIABLE) or MODELS_DIR)


def model_module(name: str) -> Any:
    """The module that trains, evaluates and serves model ``name`` (a ``ModelModule``).

    Raises
    ------
    ModelFileError
        ``name`` is not a known model.
    """
    return importlib.import_module(spec(name).module)


def model_path(name: str, models_dir: Path | None = None) -> Path:
    """Path of ``NAME.keras``."""
    spec(name)
    return models_folder(models_dir) / f"{name}.keras"


def card_path(name: str, models_dir: Path | None = None) -> Path:
    """Path of the model card ``NAME.json``."""
    spec(name)
    return models_folder(models_dir) / f"{name}.json"


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


def load_card(name: str, models_dir: Path | None = None) -> ModelCard:
    """Read and validate a model card (cached until the file changes).

    Raises
    ------
    ModelFileError
        The card is missing, is not valid JSON, or a field is missing or of the wrong type (the
        message names the field).
    """
    path = card_path(name, models_dir)
    if not path.is_file():
        raise ModelFileError(
            f"The model card {path.name} was not found in {path.parent}. Expected the file that "
            f"`python -m medcore train {name}` writes; run that command to create it.")
    stat = path.stat()
    card = _read_card(str(path), stat.st_mtime_ns, stat.st_size)
    if card.name != name:
        raise ModelFileError(f"The model card {path.name} describes {card.name!r} (field "
                             f"model_details.name), not {name!r}. Restore it from git or "
                             f"retrain with `python -m medcore train {name}`.")
    return card


@functools.lru_cache(maxsize=32)
def _read_card(path: str, mtime_ns: int, size: int) -> ModelCard:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"The model card {file} is not valid JSON ({exc}). Restore it from git or retrain "
            f"with `python -m medcore train {file.stem}`.") from exc
    return ModelCard.from_dict(data, source=f"The model card {file.name}")


def write_card(name: str, card: ModelCard, models_dir: Path | None = None) -> Path:
    """Write a model card as indented, key-sorted JSON (stable diffs)."""
    path = card_path(name, models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card.to_dict(), indent=2, sort_keys=True, default=_jsonable)
                    + "\n", encoding="utf-8")
    return path


def update_card(name: str, models_dir: Path | None = None, **sections: Any) -> ModelCard:
    """Replace whole sections of an existing card (e.g. ``evaluation=``) and write it back.

    Raises
    ------
    ModelFileError
        The card is missing or damaged, or a new section does not fit the card's shape.
    """
    card = load_card(name, models_dir).replace(**_plain(sections))
    write_card(name, card, models_dir)
    return card


def save_model(model: Any, name: str, card: Mapping[str, Any],
               models_dir: Path | None = None) -> ModelCard:
    """Save ``model`` as ``NAME.keras`` and its card, with the file's sha256 as the version,
    then its LiteRT export ``NAME.tflite`` (the card's ``serving`` section).

    ``card`` is the card's JSON form without ``card_format`` and without ``name``, ``version``
    and ``file`` in ``model_details`` (filled in here). ``model_details.custom_objects_module``
    names the module whose import registers the custom layers the model needs. The export
    (:func:`medcore.export.write_tflite`) converts the model module's ``serving_graph``; should
    it fail, ``NAME.keras`` and its card are saved already (with ``serving`` null).

    Raises
    ------
    ModelFileError
        The card does not have the typed card's shape (the message names the field), or the
        LiteRT conversion failed.
    """
    from medcore.cards import CARD_FORMAT

    path = model_path(name, models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    data = _plain(dict(card))
    data["card_format"] = CARD_FORMAT
    data["model_details"] = {**data.get("model_details", {}), "name": name, "file": path.name,
                             "version": sha256_of(path)}
    data["serving"] = None
    typed = ModelCard.from_dict(data, source=f"The card of {name}")
    write_card(name, typed, models_dir)
    return update_card(name, models_dir,
                       serving=_write_tflite(model, name, models_dir, typed.sha256))


def export_serving(name: str, models_dir: Path | None = None, *,
                   max_steps: int | None = None) -> Serving:
    """Convert the shipped ``NAME.keras`` to ``NAME.tflite`` (no retraining, the ``.keras`` file
    unchanged) and record it in the card; ``python -m medcore export NAME``.

    Returns
    -------
    Serving
        The card's new ``serving`` section (:func:`medcore.export.write_tflite`).

    Raises
    ------
    ModelFileError
        Unknown model, missing or damaged ``.keras`` file or card, or a failed conversion.
    """
    model = load_model(name, models_dir)
    serving = _write_tflite(model, name, models_dir, load_card(name, models_dir).sha256,
                            max_steps)
    return update_card(name, models_dir, serving=serving).serving


def _write_tflite(model: Any, name: str, models_dir: Path | None, keras_sha256: str,
                  max_steps: int | None = None) -> dict[str, Any]:
    """``NAME.tflite``, and the files the model module's optional
    ``serving_extras(model, keras_path, keras_sha256) -> dict`` exports beside it, recorded in
    ``serving.details`` (``pneumonia_cnn``: its gradient x difference map, so the Diagnosis page
    draws the map without TensorFlow)."""
    from medcore.export import write_tflite

    path = model_path(name, models_dir)
    serving = write_tflite(model_module(name).serving_graph(model), path.with_suffix(".tflite"),
                           name=name, keras_sha256=keras_sha256, max_steps=max_steps)
    extras = getattr(model_module(name), "serving_extras", None)
    if extras is not None:
        serving["details"].update(extras(model, path, keras_sha256))
    return serving


def load_gradient_map(name: str, models_dir: Path | None = None) -> Any:
    """An image model's gradient x difference map run by LiteRT
    (:class:`medcore.litert.GradientMap`: ``images -> (n, rows, columns)``), checked against the
    card. Imports no TensorFlow.

    Raises
    ------
    ModelFileError
        The card records no map, or its file is missing, damaged or stale.
    """
    from medcore.litert import open_gradient_map

    card = load_card(name, models_dir)
    return open_gradient_map(card_path(name, models_dir).parent, card.serving, name=name,
                             keras_sha256=card.sha256)


def load_serving(name: str, models_dir: Path | None = None, *,
                 num_threads: int | None = None) -> Any:
    """The LiteRT model that answers predictions: ``model(x) -> {output name: ndarray}``
    (a :class:`medcore.litert.LiteRTServing`, with its card), after checking ``NAME.tflite``
    against the card.

    Imports no TensorFlow and no Keras.

    Raises
    ------
    ModelFileError
        The card has no ``serving`` section, or the file is missing, damaged or was exported
        from another ``NAME.keras``.
    """
    from medcore.litert import DEFAULT_THREADS, open_tflite

    card = load_card(name, models_dir)
    return open_tflite(card_path(name, models_dir).parent, card.serving, name=name,
                       keras_sha256=card.sha256, card=card,
                       num_threads=num_threads or DEFAULT_THREADS)


def load_model(name: str, models_dir: Path | None = None) -> Any:
    """Load a shipped Keras model after checking its sha256 against the card.

    This is the model for training and for gradients (SHAP, Grad-CAM); predictions go through
    :func:`serving_model`. Loads with ``safe_mode=True`` and ``compile=False``.

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
            f"`python -m medcore train {name}` writes; run that command to create it.")
    actual = sha256_of(path)
    if actual != card.sha256:
        raise ModelFileError(
            f"The model file {path.name} has sha256 {actual[:12]}..., but its card expects "
            f"{card.sha256[:12]}.... The file was changed or only partly copied: restore it "
            f"from git or retrain with `python -m medcore train {name}`.")
    if card.model_details.custom_objects_module:
        importlib.import_module(card.model_details.custom_objects_module)
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except _UNREADABLE as exc:
        raise ModelFileError(
            f"Keras could not read {path.name} ({type(exc).__name__}: {exc}). Restore it from "
            f"git or retrain with `python -m medcore train {name}`.") from exc


#: The runtimes that can answer predictions: LiteRT (the default, no TensorFlow) and Keras.
ENGINES: tuple[str, ...] = ("litert", "keras")


def check_engine(engine: str) -> str:
    """``engine`` when it is one of :data:`ENGINES`.

    Raises
    ------
    MedcoreError
        Any other value (the message names the engines).
    """
    if engine not in ENGINES:
        raise MedcoreError(f"Unknown serving engine {engine!r}; expected one of "
                           f"{', '.join(ENGINES)}.")
    return engine


def serving_model(name: str, models_dir: Path | None = None, *, engine: str = "litert",
                  keras_model: Any = None) -> Any:
    """The model that answers predictions: ``model(x) -> {output name: ndarray}`` with its
    card (a :class:`medcore.serving.ServingModel`).

    Parameters
    ----------
    engine : ``"litert"`` or ``"keras"``
        ``"litert"`` (default, what pages, batch scoring and ``evaluate`` use): ``NAME.tflite``
        run by LiteRT (:func:`load_serving`), checked against the card; imports no TensorFlow.
        ``"keras"``: the module's ``serving_graph`` of ``NAME.keras``, traced by TensorFlow
        (:class:`medcore.serving.KerasServing`), the reference LiteRT is compared with
        (``python -m medcore evaluate NAME --engine keras``).
    keras_model : keras.Model, optional
        With ``engine="keras"``: the model :func:`load_model` returned, when the caller holds it
        already (one load).

    Raises
    ------
    ModelFileError
        The file or card is missing or damaged.
    MedcoreError
        ``engine`` is not one of :data:`ENGINES`.
    """
    check_engine(engine)
    if engine == "litert":
        if keras_model is not None:
            raise MedcoreError("keras_model= is the Keras engine's; pass engine='keras' with "
                               "it, or leave it out for LiteRT.")
        return load_serving(name, models_dir)
    from medcore.serving import KerasServing

    card = load_card(name, models_dir)
    model = keras_model if keras_model is not None else load_model(name, models_dir)
    return KerasServing(model_module(name).serving_graph(model), card=card)


def _plain(value: Any) -> Any:
    """Card sections as plain JSON values (typed sections and numpy values included)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return json.loads(json.dumps(value, default=_jsonable))


def _jsonable(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
