"""From a Scan to the pneumonia CNN's input: shapes, ranges, and the PneumoniaMNIST identity."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.imaging import (FULL_8BIT_WINDOW, apply_window, model_view, model_window,
                             scan_from_array, to_model_input)
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


def _ramp(low: float, high: float) -> np.ndarray:
    return np.linspace(low, high, 64 * 64, dtype=np.float32).reshape(64, 64)


def test_model_window_keeps_8bit_images_as_stored():
    chosen = model_window(scan_from_array(np.zeros((28, 28), np.uint8)))
    assert chosen.rule == "as stored" and chosen.window == FULL_8BIT_WINDOW
    assert "as stored" in chosen.description


def test_model_window_uses_a_full_contrast_scan_window_and_replaces_a_placeholder():
    # 12-bit values 1000..3000: a window over them renders full contrast, the 16-bit placeholder
    # leaves them in a grey band (2% .. 5% of the grey scale).
    fitted = scan_from_array(_ramp(1000, 3000), modality="DX", window=(2000.0, 1800.0))
    chosen = model_window(fitted)
    assert chosen.rule == "scan window" and chosen.window == (2000.0, 1800.0)
    placeholder = scan_from_array(_ramp(1000, 3000), modality="CR", window=(32768.0, 65536.0))
    chosen = model_window(placeholder)
    assert chosen.rule == "percentile"
    assert chosen.center == pytest.approx(2000.0, abs=1)
    assert chosen.width == pytest.approx(1980.0, abs=2)
    assert "width 65536), used for display, was not used for the model" in chosen.description
    view = model_view(placeholder)
    assert view.min() <= 5 and view.max() >= 250
    # The display keeps the scan's own window; only the model input changes.
    assert placeholder.window == (32768.0, 65536.0)
    assert placeholder.display().max() <= 13


def test_model_window_replaces_a_window_that_misses_the_values():
    shifted = scan_from_array(_ramp(0, 100), modality="DX", window=(400.0, 200.0))
    assert (shifted.display() == 0).all()
    chosen = model_window(shifted)
    assert chosen.rule == "percentile" and "grey 0 and 0 of 255" in chosen.description
    with pytest.raises(IndexError, match="frames 0..0"):
        model_window(shifted, frame=1)


def test_rg1_chest_radiograph_input_is_full_contrast_not_washed_out():
    """pydicom-data's adult CR carries a 15000/30000 window over its 15-bit range: shown as is,
    the model input was a flat grey band. The model window is its 0.5-99.5th percentiles instead;
    the display keeps the file's window."""
    from pydicom.data import get_testdata_file

    from medcore import registry
    from medcore.imaging import load_scan

    path = get_testdata_file("RG1_UNCR.dcm", download=False)
    if path is None:
        pytest.skip("RG1_UNCR.dcm is not installed (pip install pydicom-data)")
    if not registry.is_available("pneumonia_cnn"):
        pytest.skip("pneumonia_cnn's card (input_reference) is not shipped")
    reference = registry.load_card("pneumonia_cnn").parameters["input_reference"]
    scan = load_scan(path)
    own = scan.window
    assert own == pytest.approx((26479 + 874 - 15000, 30000))  # MONOCHROME1, mirrored
    chosen = model_window(scan)
    assert chosen.rule == "percentile"
    x = to_model_input(scan)
    washed = to_model_input(scan, window=own)
    np.testing.assert_array_equal(x, to_model_input(scan, window=chosen.window))
    # Full contrast, like a JPEG export: air near black, dense areas near white.
    assert x.min() <= 0.1 * 255 and x.max() >= 0.9 * 255
    assert washed.min() > 0.1 * 255
    low, high = reference["contrast_sd"]
    assert low <= x.std() <= high and x.std() > washed.std() + 10
    # Darker than through the file's window. It stays near the card's 99th percentile of the
    # training images' mean grey (an unprocessed adult film), so the page's warning remains.
    assert x.mean() < washed.mean() and x.mean() <= reference["mean_grey"][1] + 5
