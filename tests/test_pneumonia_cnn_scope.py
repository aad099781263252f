"""Intended use gates the pneumonia model's verdict: one test per rule
(medcore.models.pneumonia_cnn_scope)."""
from __future__ import annotations

import copy
import io

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from medcore import registry
from medcore.imaging import load_scan, scan_from_array, to_model_input
from medcore.models.pneumonia_cnn_scope import assess

REFERENCE = {"mean_grey": [90.0, 188.0], "contrast_sd": [15.0, 60.0]}


class _Card:
    """The two card fields the rules read (a real card is tested below)."""

    def __init__(self, ages=(1.0, 5.0)):
        from medcore.cards import Factors, Range

        self.parameters = {"input_reference": REFERENCE}
        self.factors = Factors("children", Range(*ages) if ages else None)


def _ordinary_input() -> np.ndarray:
    """A model input inside REFERENCE: mean ~128, standard deviation ~30."""
    values = np.tile(np.linspace(76, 180, 28, dtype=np.float32), (28, 1))
    return values[None, :, :, None]


def _dicom(name: str, **changes) -> bytes:
    ds = pydicom.dcmread(get_testdata_file(name))
    for keyword, value in changes.items():
        if value is None and keyword in ds:
            delattr(ds, keyword)
        elif value is not None:
            setattr(ds, keyword, value)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_a_ct_is_not_assessable_by_its_modality():
    scan = load_scan(get_testdata_file("CT_small.dcm"))
    result = assess(scan, model_input=to_model_input(scan), card=_Card())
    assert not result.assessable
    assert result.reasons[0].startswith("The file's modality is CT (computed tomography), not "
                                        "a radiograph (CR or DX)")


def test_pydicom_datas_head_ct_and_shoulder_mr_are_not_assessable():
    for name, modality in (("693_UNCR.dcm", "CT"), ("MR2_UNCR.dcm", "MR")):
        path = get_testdata_file(name, download=False)
        if path is None:
            pytest.skip(f"{name} is not installed (pip install pydicom-data)")
        scan = load_scan(path)
        result = assess(scan, model_input=to_model_input(scan), card=_Card())
        assert not result.assessable and f"modality is {modality}" in result.reasons[0]


def test_a_radiograph_of_another_body_part_is_not_assessable():
    scan = load_scan(_dicom("CT_small.dcm", Modality="CR", BodyPartExamined="HAND"))
    result = assess(scan, model_input=_ordinary_input(), card=_Card())
    assert result.reasons == ("The file's body part is HAND, not the chest: the model reads "
                              "only chest radiographs.",)
    chest = load_scan(_dicom("CT_small.dcm", Modality="DX", BodyPartExamined="CHEST",
                             PatientAge="004Y"))
    assert assess(chest, model_input=_ordinary_input(), card=_Card()).assessable


def test_a_colour_photograph_is_not_assessable_but_grey_stored_as_rgb_is():
    rng = np.random.default_rng(0)
    photo = scan_from_array(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), modality="CR")
    result = assess(photo, model_input=_ordinary_input(), card=_Card())
    assert not result.assessable and "colour image" in result.reasons[0]
    grey = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    as_rgb = scan_from_array(np.stack([grey] * 3, axis=-1), modality="CR")
    assert assess(as_rgb, model_input=_ordinary_input(), card=_Card()).assessable


def test_a_blank_frame_is_not_assessable():
    blank = np.full((1, 28, 28, 1), 128.0, np.float32)
    scan = scan_from_array(np.full((28, 28), 128, np.uint8), modality="CR")
    result = assess(scan, model_input=blank, card=_Card())
    assert result.reasons == ("The frame given to the model is blank (one uniform grey level): "
                              "there is nothing in it for the model to read.",)


def test_outside_the_cards_out_of_distribution_rule_is_not_assessable():
    bright = np.full((1, 28, 28, 1), 230.0, np.float32)
    bright[0, :14] = 170.0
    scan = scan_from_array(np.full((28, 28), 140, np.uint8), modality="CR")
    result = assess(scan, model_input=bright, card=_Card())
    assert not result.assessable
    assert result.reasons[0].startswith("The image the model reads is brighter than 98% of its "
                                        "training radiographs (mean grey level 200; training "
                                        "1st-99th percentile 90-188)")
    assert assess(scan, model_input=_ordinary_input(), card=_Card()).assessable


def test_cautions_keep_the_verdict():
    volume = scan_from_array(np.zeros((5, 32, 32), np.float32), modality="CR")
    result = assess(volume, model_input=_ordinary_input(), card=_Card())
    assert result.assessable and "frame 3 of 5" in " ".join(result.cautions)
    png = scan_from_array(np.zeros((32, 32), np.uint8), source="png")
    assert "carries no modality" in " ".join(assess(png, card=_Card()).cautions)


@pytest.mark.parametrize("changes, expected", [
    ({"PatientAge": "064Y"}, "This patient is an adult"),
    ({"PatientAge": None, "PatientBirthDate": "19400305", "StudyDate": "20040826"},
     "This patient is an adult"),
    ({"PatientAge": "009Y"}, "an age above 5 years"),
    ({"PatientAge": "006M"}, "an age under 1 year"),
    ({"PatientAge": None, "PatientBirthDate": None}, "The file gives no patient age"),
])
def test_a_patient_outside_the_training_ages_is_flagged(changes, expected):
    scan = load_scan(_dicom("CT_small.dcm", Modality="DX", **changes))
    result = assess(scan, model_input=_ordinary_input(), card=_Card())
    assert result.assessable and expected in " ".join(result.cautions)
    assert not assess(load_scan(_dicom("CT_small.dcm", Modality="DX", PatientAge="003Y")),
                      model_input=_ordinary_input(), card=_Card()).cautions


def test_pydicom_datas_adult_radiograph_gets_the_adult_warning():
    path = get_testdata_file("RG1_UNCR.dcm", download=False)
    if path is None or not registry.is_available("pneumonia_cnn"):
        pytest.skip("RG1_UNCR.dcm (pydicom-data) or the pneumonia model's card is missing")
    scan = load_scan(path)
    result = assess(scan, model_input=to_model_input(scan),
                    card=registry.load_card("pneumonia_cnn"))
    assert any(c.startswith("This patient is an adult") for c in result.cautions)
    assert "children aged 1 to 5 years" in " ".join(result.cautions)


def test_the_shipped_card_names_the_population_and_its_ages():
    if not registry.is_available("pneumonia_cnn"):
        pytest.skip("the pneumonia model is not shipped")
    factors = registry.load_card("pneumonia_cnn").factors
    assert (factors.age_years.min, factors.age_years.max) == (1.0, 5.0)
    assert "Guangzhou" in factors.population and "Kermany" in factors.source
    assert "aged one to five years" in factors.source
