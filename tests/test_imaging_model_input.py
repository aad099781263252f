"""From a Scan to the pneumonia CNN's input: shapes, ranges, and the PneumoniaMNIST identity."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.imaging import apply_window, model_view, scan_from_array, to_model_input
from tests.conftest import pneumoniamnist_file


def test_uint8_28x28_image_comes_out_identical():
    image = np.random.default_rng(0).integers(0, 256, size=(28, 28), dtype=np.uint8)
    image[0, 0], image[0, 1] = 0, 255
    x = to_model_input(scan_from_array(image))
    assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :, :, 0], image.astype(np.float32))


def test_pneumoniamnist_test_images_come_out_identical(data_dir):
    from medcore.samples import load_sample, list_samples

    with np.load(pneumoniamnist_file(data_dir)) as archive:
        images = archive["test_images"]
    for index, image in enumerate(images[:50]):
        np.testing.assert_array_equal(to_model_input(scan_from_array(image))[0, :, :, 0], image)
    name = [n for n in list_samples() if n.startswith("PneumoniaMNIST")][0]
    index = int(name.rsplit("#", 1)[1])
    np.testing.assert_array_equal(to_model_input(load_sample(name))[0, :, :, 0], images[index])


def test_large_colour_volume_is_windowed_cropped_and_resized():
    rng = np.random.default_rng(1)
    volume = rng.uniform(-1000, 1000, size=(3, 60, 80, 3)).astype(np.float32)
    scan = scan_from_array(volume, modality="CT", window=(0.0, 2000.0))
    view = model_view(scan, frame=2, size=28)
    assert view.shape == (28, 28) and view.dtype == np.uint8
    x = to_model_input(scan, size=32)
    assert x.shape == (1, 32, 32, 1) and 0 <= x.min() and x.max() <= 255


def test_window_override_and_bad_arguments():
    image = np.linspace(0, 1000, 28 * 28, dtype=np.float32).reshape(28, 28)
    scan = scan_from_array(image, window=(500.0, 1000.0))
    narrow = model_view(scan, window=(500.0, 10.0))
    assert set(np.unique(narrow)) <= {0, 255} | set(range(256))
    assert (narrow == 255).sum() > (model_view(scan) == 255).sum()
    with pytest.raises(ValueError, match="positive side length"):
        model_view(scan, size=0)
    with pytest.raises(IndexError, match="frames 0..0"):
        model_view(scan, frame=3)


def test_apply_window_maps_edges_and_validates_width():
    values = np.array([-1100.0, -1000.0, 0.0, 1000.0, 2000.0], dtype=np.float32)
    np.testing.assert_array_equal(apply_window(values, 0.0, 2000.0), [0, 0, 128, 255, 255])
    with pytest.raises(ValueError, match="width greater than 0"):
        apply_window(values, 0.0, 0.0)


def test_scans_are_immutable_and_survive_pickling():
    import pickle

    scan = scan_from_array(np.zeros((4, 4), np.uint8), metadata={"body_part": "CHEST"})
    with pytest.raises(ValueError, match="read-only"):
        scan.pixels[0, 0, 0] = 1
    with pytest.raises(TypeError, match="Scan.metadata is read-only"):
        scan.metadata["body_part"] = "HEAD"
    copy = pickle.loads(pickle.dumps(scan))
    assert copy.metadata == scan.metadata and copy.window == scan.window
    np.testing.assert_array_equal(copy.pixels, scan.pixels)
