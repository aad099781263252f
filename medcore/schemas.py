"""Record schemas, declared once as data: one per model input.

A :class:`Column` says a column's name, kind, unit, plausible range and whether it is required.
"Plausible" is a hard limit (a value outside it is refused as impossible, e.g. age 300); the
narrower *training* range, outside which a value is only flagged, belongs to each model's card.

:mod:`medcore.records` validates CSVs against these schemas; the forms on the pages are built
from them; the models take their feature order from them. No TensorFlow, no pandas import here.
"""
from __future__ import annotations

from dataclasses import dataclass, field


#: Units left out of :attr:`Column.display_label` (the title already says what is counted).
_UNSHOWN_UNITS = frozenset({"count", "ratio"})


@dataclass(frozen=True)
class Column:
    """One column of a records schema.

    kind : ``"float"``, ``"int"``, ``"binary"`` (0/1), ``"category"`` (one of ``categories``)
        or ``"id"`` (free text identifier, never a model input).
    minimum, maximum : plausible (hard) limits for numeric kinds, inclusive; ``None`` = unbounded.
    required : the column must be present.
    allow_missing : empty cells are allowed (the model imputes them).
    levels : for numeric kinds, the only values allowed (e.g. oedema 0 / 0.5 / 1); empty = any.
    bins : for ``"category"`` columns, upper edges (inclusive) of every category but the last, so
        that a number is accepted and mapped to its category (tumour size 25 mm -> ``"20-50"``).
    example : a typical value (the training-data median or mode), used by the template CSV and as
        a form default; ``None`` for identifiers.
    title : what a clinician calls the column (``"Progesterone receptor"`` for ``pgr``); shown
        by forms, tables, warnings and explanations through :attr:`display_label`. CSV headers
        stay ``name`` (the file format); a header equal to the title is accepted too.
    short_title : a shorter title where the context says the rest (a form tab "mean" holding
        ``"Radius"``); defaults to ``title``.
    """

    name: str
    kind: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True
    allow_missing: bool = False
    categories: tuple[str, ...] = ()
    description: str = ""
    levels: tuple[float, ...] = ()
    bins: tuple[float, ...] = ()
    example: float | str | None = None
    title: str = ""
    short_title: str = ""

    @property
    def label(self) -> str:
        """Machine name with unit (``"pgr (fmol/l)"``): also accepted as a CSV header."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def shown_unit(self) -> str:
        """The unit as shown to a reader: empty for ``count`` and ``ratio`` (the title says it)."""
        return "" if self.unit in _UNSHOWN_UNITS else self.unit

    @property
    def display_label(self) -> str:
        """Title with unit, for clinicians: ``"Progesterone receptor (fmol/l)"``,
        ``"Positive lymph nodes"``; the name when the column has no title."""
        title = self.title or self.name
        return f"{title} ({self.shown_unit})" if self.shown_unit else title

    @property
    def short_label(self) -> str:
        """:attr:`display_label` with the short title (``"Radius (px)"`` in a "mean" group)."""
        title = self.short_title or self.title or self.name
        return f"{title} ({self.shown_unit})" if self.shown_unit else title


@dataclass(frozen=True)
class Schema:
    """A records schema: its columns and which columns identify a row."""

    name: str
    title: str
    columns: tuple[Column, ...]
    #: Columns whose combination must be unique (e.g. patient id and visit day).
    unique: tuple[str, ...] = ()
    description: str = ""
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Columns that hold one value per patient (the first ``unique`` column), e.g. sex.
    per_patient: tuple[str, ...] = ()
    #: A column in which each patient's rows (the first ``unique`` column) must increase, in
    #: file order (the visit day): a row out of that order is reported.
    ordered_by: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """Columns that are model inputs (every column but identifiers), in model order."""
        return [c.name for c in self.columns if c.kind != "id"]

    @property
    def display_labels(self) -> dict[str, str]:
        """Column name -> :attr:`Column.display_label`, e.g. for ``st.column_config``."""
        return {c.name: c.display_label for c in self.columns}

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# --- Wisconsin diagnostic breast cancer (fine-needle aspirate, digitised image) -------------------
# Ten measurements of the cell nuclei, each as mean, standard error and worst (mean of the three
# largest), in the order of sklearn.datasets.load_breast_cancer().feature_names. Lengths are in the
# pixel units of the digitised image, as in the original data set (Street, Wolberg, Mangasarian 1993).
_WDBC_MEASUREMENTS: tuple[tuple[str, str, float, str, str], ...] = (
    # name, unit, plausible maximum of the mean, description, title
    ("radius", "px", 60.0, "mean distance from centre to points on the perimeter", "Radius"),
    ("texture", "grey levels", 100.0, "standard deviation of grey-scale values", "Texture"),
    ("perimeter", "px", 400.0, "nucleus perimeter", "Perimeter"),
    ("area", "px²", 8000.0, "nucleus area", "Area"),
    ("smoothness", "ratio", 0.5, "local variation in radius lengths", "Smoothness"),
    ("compactness", "ratio", 3.0, "perimeter² / area - 1.0", "Compactness"),
    ("concavity", "ratio", 3.0, "severity of concave portions of the contour", "Concavity"),
    ("concave points", "ratio", 1.0, "number of concave portions of the contour",
     "Concave points"),
    ("symmetry", "ratio", 1.5, "symmetry of the nucleus", "Symmetry"),
    ("fractal dimension", "ratio", 0.5, "coastline approximation - 1", "Fractal dimension"),
)


# Medians of sklearn.datasets.load_breast_cancer() (checked by tests/test_records.py).
_WDBC_MEDIANS: dict[str, float] = {
    "mean radius": 13.37, "mean texture": 18.84, "mean perimeter": 86.24, "mean area": 551.1,
    "mean smoothness": 0.09587, "mean compactness": 0.09263, "mean concavity": 0.06154,
    "mean concave points": 0.0335, "mean symmetry": 0.1792, "mean fractal dimension": 0.06154,
    "radius error": 0.3242, "texture error": 1.108, "perimeter error": 2.287,
    "area error": 24.53, "smoothness error": 0.00638, "compactness error": 0.02045,
    "concavity error": 0.02589, "concave points error": 0.01093, "symmetry error": 0.01873,
    "fractal dimension error": 0.003187, "worst radius": 14.97, "worst texture": 25.41,
    "worst perimeter": 97.66, "worst area": 686.5, "worst smoothness": 0.1313,
    "worst compactness": 0.2119, "worst concavity": 0.2267, "worst concave points": 0.09993,
    "worst symmetry": 0.2822, "worst fractal dimension": 0.08004,
}


def _wdbc_columns() -> tuple[Column, ...]:
    columns = []
    titles = {"mean": "Mean {}", "standard error": "{} SE", "worst": "Worst {}"}
    for prefix, suffix, scale, statistic in (("mean ", "", 1.0, "mean"),
                                              ("", " error", 0.25, "standard error"),
                                              ("worst ", "", 1.5, "worst")):
        for measurement, unit, maximum, description, title in _WDBC_MEASUREMENTS:
            full = titles[statistic].format(title if statistic == "standard error"
                                            else title.lower())
            columns.append(Column(
                name=f"{prefix}{measurement}{suffix}", kind="float", unit=unit, minimum=0.0,
                maximum=maximum * scale, description=f"{statistic} of the {description}",
                example=_WDBC_MEDIANS[f"{prefix}{measurement}{suffix}"],
                title=full, short_title=title,
            ))
    return tuple(columns)


WDBC = Schema(
    name="wdbc",
    title="Breast fine-needle aspirate (Wisconsin diagnostic)",
    columns=(Column("patient_id", "id", required=False,
                    description="optional identifier, kept in the output",
                    title="Patient ID"),) + _wdbc_columns(),
    unique=("patient_id",),
    description="30 nuclear features of a breast fine-needle aspirate -> P(malignant).",
    # Group titles are the form's tab labels: they say what the short field labels leave out.
    groups={"Mean": tuple(f"mean {m[0]}" for m in _WDBC_MEASUREMENTS),
            "Standard error (SE)": tuple(f"{m[0]} error" for m in _WDBC_MEASUREMENTS),
            "Worst (mean of the 3 largest)": tuple(f"worst {m[0]}" for m in _WDBC_MEASUREMENTS)},
)

# --- Rotterdam / GBSG breast cancer (recurrence-free survival) ------------------------------------
ROTTERDAM_SIZE_CATEGORIES = ("<=20", "20-50", ">50")

ROTTERDAM = Schema(
    name="rotterdam",
    title="Breast cancer after surgery (Rotterdam / GBSG covariates)",
    columns=(
        Column("patient_id", "id", required=False, description="optional identifier",
               title="Patient ID"),
        Column("hormon", "binary", description="hormone therapy (1 = yes)", example=0,
               title="Hormone therapy"),
        Column("age", "float", "years", 18, 100, description="age at surgery", example=56.0,
               title="Age at surgery"),
        Column("meno", "binary", description="menopausal status (1 = post-menopausal)", example=1,
               title="Post-menopausal"),
        Column("size", "category", "mm", categories=ROTTERDAM_SIZE_CATEGORIES,
               description="tumour size category (a size in mm is accepted too)",
               bins=(20.0, 50.0), example="20-50", title="Tumour size"),
        Column("grade", "int", "", 1, 3, description="tumour grade", example=3,
               title="Tumour grade"),
        Column("nodes", "int", "count", 0, 60, description="positive lymph nodes", example=4,
               title="Positive lymph nodes"),
        Column("pgr", "float", "fmol/l", 0, 10000, description="progesterone receptor",
               example=38.0, title="Progesterone receptor"),
        Column("er", "float", "fmol/l", 0, 10000, description="oestrogen receptor", example=65.0,
               title="Oestrogen receptor"),
    ),
    unique=("patient_id",),
    # Examples: medians / modes of the 1,546 node-positive Rotterdam patients (training data).
    description="Tumour and treatment data -> recurrence-free survival over the next years.",
)

# --- PBC sequential visits (Mayo Clinic primary biliary cirrhosis) --------------------------------
PBC_VISITS = Schema(
    name="pbc_visits",
    title="Liver follow-up visits (PBC sequential)",
    columns=(
        Column("id", "id", description="patient identifier", title="Patient ID"),
        Column("day", "float", "days since first visit", 0, 20000,
               description="time of the visit", example=750.0, title="Visit day"),
        Column("age", "float", "years", 18, 100, description="age at first visit", example=48.9,
               title="Age at first visit"),
        Column("sex", "category", categories=("f", "m"), description="sex", example="f",
               title="Sex"),
        Column("trt", "binary", description="D-penicillamine (1) or placebo (0)", example=1,
               title="D-penicillamine treatment"),
        Column("bili", "float", "mg/dl", 0.0, 100.0, description="serum bilirubin", example=1.4,
               title="Serum bilirubin"),
        Column("albumin", "float", "g/dl", 0.5, 10.0, description="serum albumin", example=3.44,
               title="Serum albumin"),
        Column("protime", "float", "s", 5.0, 60.0, description="prothrombin time", example=10.8,
               title="Prothrombin time"),
        Column("alk.phos", "float", "U/l", 0.0, 30000.0, allow_missing=True,
               description="alkaline phosphatase", example=1072.0,
               title="Alkaline phosphatase"),
        Column("ast", "float", "U/ml", 0.0, 3000.0, description="aspartate aminotransferase",
               example=107.0, title="Aspartate aminotransferase"),
        Column("platelet", "float", "10³/µl", 0.0, 2000.0, allow_missing=True,
               description="platelet count", example=228.0,
               title="Platelet count"),
        Column("chol", "float", "mg/dl", 0.0, 3000.0, required=False, allow_missing=True,
               description="serum cholesterol", example=281.0,
               title="Serum cholesterol"),
        Column("ascites", "binary", allow_missing=True, description="ascites present", example=0,
               title="Ascites"),
        Column("hepato", "binary", allow_missing=True, description="hepatomegaly present",
               example=0, title="Hepatomegaly"),
        Column("spiders", "binary", allow_missing=True, description="spider angiomas present",
               example=0, title="Spider angiomas"),
        Column("edema", "float", "0 / 0.5 / 1", 0.0, 1.0,
               description="oedema: 0 none, 0.5 untreated or resolved, 1 despite diuretics",
               levels=(0.0, 0.5, 1.0), example=0.0, title="Oedema"),
        Column("stage", "int", "", 1, 4, allow_missing=True, description="histologic stage",
               example=3, title="Histologic stage"),
    ),
    unique=("id", "day"),
    per_patient=("age", "sex", "trt"),
    ordered_by="day",
    # Examples: medians / modes of survival::pbcseq (1,945 visits).
    description="One row per visit; rows of one patient share an id.",
)

SCHEMAS: dict[str, Schema] = {s.name: s for s in (WDBC, ROTTERDAM, PBC_VISITS)}
