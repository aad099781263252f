"""medcore.plots.images.scan_image: the Diagnosis page's pictures, the film with the signed map
blended in on the palette (the picture scan_figure draws, without plotly)."""
from __future__ import annotations

import numpy as np
import pytest

from medcore.plots import palette
from medcore.plots.images import SHARP_MIN_SIDE, direction_colours, scan_image


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array(palette.rgb(hex_colour), dtype=float)


def test_a_small_frame_is_enlarged_with_sharp_pixels_and_a_large_one_reduced():
    film = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    picture = scan_image(film)
    factor = -(-SHARP_MIN_SIDE // 28)
    assert picture.shape == (28 * factor, 28 * factor, 3) and picture.dtype == np.uint8
    # each film pixel is a whole square of one grey, in all three channels
    np.testing.assert_array_equal(picture[::factor, ::factor, 0], film)
    np.testing.assert_array_equal(picture[factor - 1::factor, factor - 1::factor, 2], film)
    large = scan_image(np.zeros((2000, 1000), dtype=np.uint8), max_side=1024)
    assert large.shape == (1024, 512, 3)


def test_the_map_colours_follow_the_palette_and_the_opacity():
    film = np.full((2, 2), 100, dtype=np.uint8)
    signed = np.array([[1.0, -1.0], [0.0, np.nan]])          # peak 1: full worse, full better
    opaque = scan_image(film, overlay=signed, overlay_opacity=1.0, min_side=2)
    np.testing.assert_allclose(opaque[0, 0], _rgb(palette.WORSE), atol=1)
    np.testing.assert_allclose(opaque[0, 1], _rgb(palette.BETTER), atol=1)
    np.testing.assert_array_equal(opaque[1, 0], [100, 100, 100])      # zero: transparent
    np.testing.assert_array_equal(opaque[1, 1], [100, 100, 100])      # NaN: transparent
    half = scan_image(film, overlay=signed, overlay_opacity=0.5, min_side=2)
    np.testing.assert_allclose(half[0, 0], 0.5 * 100 + 0.5 * _rgb(palette.WORSE), atol=1)


def test_the_map_covers_only_the_square_the_model_read():
    film = np.full((10, 20), 50, dtype=np.uint8)
    picture = scan_image(film, overlay=np.ones((2, 2)), overlay_opacity=1.0,
                         overlay_box=(0, 5, 10), min_side=1)
    changed = np.any(picture != 50, axis=-1)
    assert changed[:, 5:15].all() and not changed[:, :5].any() and not changed[:, 15:].any()


def test_colours_match_the_plotly_colour_scale_at_its_stops():
    from medcore.plots.images import direction_colourscale

    stops = direction_colourscale()
    values = np.array([2 * position - 1 for position, _ in stops])   # -1..1, peak 1
    rgba = direction_colours(values)
    for (position, colour), got in zip(stops, rgba):
        red, green, blue, alpha = (float(v) for v in colour[5:-1].split(","))
        np.testing.assert_allclose(got, [red / 255, green / 255, blue / 255, alpha], atol=1e-6)


def test_a_float_frame_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="window it first"):
        scan_image(np.zeros((4, 4), dtype=float))


def test_the_callers_frame_is_left_as_it_was():
    film = np.full((4, 4, 3), 100, dtype=np.uint8)
    scan_image(film, overlay=np.ones((2, 2)), overlay_opacity=1.0, min_side=1)
    assert (film == 100).all()
