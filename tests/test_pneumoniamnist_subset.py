"""The PneumoniaMNIST subset shipped in assets/data: what it holds, that it is the full file's
images, and that the pages' figures use it only where the full file is absent."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.datasets import pneumoniamnist_subset as subset_module
from medcore.datasets.pneumoniamnist_subset import load_subset, make_subset
from medcore.errors import DataUnavailableError
from medcore.explain.models import BACKGROUND_SIZE
from medcore.models import pneumonia_cnn


def test_the_subset_is_small_balanced_attributed_and_the_explainers_background():
    subset = load_subset()
    assert subset.test_images.shape == (16, 28, 28, 1) and subset.test_images.dtype == np.uint8
    assert np.bincount(subset.test_labels).tolist() == [8, 8]
    assert len(subset.train_indices) == BACKGROUND_SIZE["image"] <= 100
    licence = (subset_module.DATA_DIR / subset_module.LICENCE_FILE).read_text()
    for needed in ("CC BY 4.0", "Yang J.", "Scientific Data 10, 41", "Kermany D.S.",
                   "Cell 172(5)"):
        assert needed in licence


def test_the_subset_is_made_again_from_the_full_file(data_dir, tmp_path):
    shipped = load_subset()
    rebuilt = load_subset.__wrapped__(make_subset(data_dir, tmp_path / "subset.npz"))
    for field in ("test_images", "test_labels", "test_indices", "train_images", "train_indices"):
        np.testing.assert_array_equal(getattr(rebuilt, field), getattr(shipped, field))
    np.testing.assert_array_equal(
        shipped.train_images, pneumonia_cnn.training_background(BACKGROUND_SIZE["image"], 0,
                                                                data=data_dir))


def test_without_the_full_file_only_examples_and_the_background_come_from_the_subset(
        monkeypatch, tmp_path):
    monkeypatch.delenv("MEDCORE_DATA_DIR", raising=False)
    background = pneumonia_cnn.training_background(BACKGROUND_SIZE["image"], 0)
    np.testing.assert_array_equal(background, load_subset().train_images)
    images, labels = pneumonia_cnn.example_inputs()
    assert images.shape == (16, 28, 28, 1) and labels.sum() == 8
    with pytest.raises(DataUnavailableError):          # evaluate needs the whole test split
        pneumonia_cnn.test_inputs()
    with pytest.raises(DataUnavailableError):          # another draw is not in the subset
        pneumonia_cnn.training_background(100, 0)
    with pytest.raises(DataUnavailableError):          # an explicit folder is not replaced
        pneumonia_cnn.example_inputs(tmp_path)
