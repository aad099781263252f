"""Plotly figures of scans: a windowed frame, optionally with a heat-map overlay (Grad-CAM)."""
from __future__ import annotations

import numpy as np

#: Frames are shown at most this many pixels on their longer side (the browser gets a PNG).
MAX_DISPLAY_SIDE = 1024


def _fit(image: np.ndarray, max_side: int) -> np.ndarray:
    rows, columns = image.shape[:2]
    scale = max_side / max(rows, columns)
    if scale >= 1.0:
        return image
    from PIL import Image

    size = (max(1, round(columns * scale)), max(1, round(rows * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def _direction_stops() -> list[tuple[float, str, float]]:
    """(position on -peak..peak scaled to 0..1, colour, opacity) of a signed map's colours."""
    from medcore.plots.palette import BETTER, WORSE

    return [(0.0, BETTER, 1.0), (0.35, BETTER, 0.6), (0.5, BETTER, 0.0), (0.65, WORSE, 0.6),
            (1.0, WORSE, 1.0)]


def direction_colourscale() -> list[list]:
    """A signed map's colours from the one palette: :data:`~medcore.plots.palette.WORSE` where
    it raised the probability of disease, :data:`~medcore.plots.palette.BETTER` where it lowered
    it, transparent at zero."""
    from medcore.plots.palette import rgba

    return [[position, rgba(colour, alpha)] for position, colour, alpha in _direction_stops()]


def direction_colours(signed_map: np.ndarray) -> np.ndarray:
    """RGBA (floats in 0..1, shape ``(*map.shape, 4)``) of a signed map on
    :func:`direction_colourscale`, symmetric around 0 (as plotly draws it: linear between the
    stops, opacity included); NaN is transparent."""
    heat = np.asarray(signed_map, dtype=float)
    peak = max(float(np.nanmax(np.abs(heat))) if np.isfinite(heat).any() else 0.0, 1e-9)
    position = np.clip((np.nan_to_num(heat) + peak) / (2 * peak), 0.0, 1.0)
    from medcore.plots.palette import rgb

    stops = _direction_stops()
    where = [p for p, _, _ in stops]
    values = np.array([[*rgb(colour), 255.0 * alpha] for _, colour, alpha in stops]) / 255.0
    rgba = np.stack([np.interp(position, where, values[:, channel]) for channel in range(4)],
                    axis=-1)
    rgba[~np.isfinite(heat), 3] = 0.0
    return rgba


#: Frames smaller than this (pixels on their longer side, e.g. a 28 x 28 model input) are
#: enlarged by a whole factor, each pixel a sharp square, by :func:`scan_image`.
SHARP_MIN_SIDE = 560


def scan_image(image: np.ndarray, *, overlay: np.ndarray | None = None,
               overlay_opacity: float = 0.45, overlay_box: tuple[int, int, int] | None = None,
               max_side: int = MAX_DISPLAY_SIDE, min_side: int = SHARP_MIN_SIDE) -> np.ndarray:
    """:func:`scan_figure`'s picture as an RGB array to show as an image (``st.image``, a PNG),
    with no plotly: the signed map, if any, blended over the frame on
    :func:`direction_colourscale`. Each map cell covers its square of the frame (no smoothing),
    as in the figure.

    A plotly figure costs the browser a chart library of megabytes and a redraw per change; a
    page that only shows pictures (the Diagnosis page's film, model input and map) needs
    neither.

    Parameters
    ----------
    image : ndarray of uint8, shape (rows, columns) or (rows, columns, 3)
        A windowed frame.
    overlay : ndarray, shape (h, w), optional
        A signed map, over the whole frame or over ``overlay_box`` (top, left, side).
    overlay_opacity : float
        Opacity of the map, 0..1 (times the colour scale's own).
    max_side, min_side : int
        Larger frames are downsampled (Lanczos) to ``max_side`` pixels on their longer side;
        smaller ones are enlarged by a whole factor (nearest) to at least ``min_side``.

    Returns
    -------
    ndarray of uint8, shape (rows', columns', 3)

    Raises
    ------
    ValueError
        ``image`` is not a uint8 grey or RGB frame.
    """
    shown, scale = _fitted_rgb(image, max_side)
    picture = shown.copy()                   # shown may be the caller's own array
    if overlay is not None:
        _blend(picture, scale, overlay, overlay_opacity, overlay_box)
    factor = max(1, -(-min_side // max(shown.shape[:2])))           # ceiling division
    # enlarged after blending: the map's cells fall on the frame's pixels (a 28 x 28 map over
    # a 28 x 28 film: one each), and blending 28 x 28 pixels is 400 times less work
    return picture.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else picture


def _blend(picture: np.ndarray, scale: float, overlay: np.ndarray, overlay_opacity: float,
           overlay_box: tuple[int, int, int] | None) -> np.ndarray:
    """The signed map blended into ``picture`` (RGB uint8, modified in place and returned),
    over ``overlay_box`` of the original frame scaled by ``scale``, each cell over its pixels."""
    heat = np.asarray(overlay, dtype=float)
    rows, columns = picture.shape[:2]
    top, left, height, width = 0.0, 0.0, float(rows), float(columns)
    if overlay_box is not None:
        top, left = overlay_box[0] * scale, overlay_box[1] * scale
        height = width = overlay_box[2] * scale
    row_edges = np.round(top + np.arange(heat.shape[0] + 1) * height / heat.shape[0]).astype(int)
    column_edges = np.round(left + np.arange(heat.shape[1] + 1) * width
                            / heat.shape[1]).astype(int)
    r0, r1 = max(row_edges[0], 0), min(row_edges[-1], rows)
    c0, c1 = max(column_edges[0], 0), min(column_edges[-1], columns)
    if r0 >= r1 or c0 >= c1:
        return picture
    cell_rows = np.searchsorted(row_edges, np.arange(r0, r1), side="right") - 1
    cell_columns = np.searchsorted(column_edges, np.arange(c0, c1), side="right") - 1
    colours = direction_colours(heat).astype(np.float32)          # per cell, then per pixel
    alpha = colours[..., 3:] * np.float32(np.clip(overlay_opacity, 0.0, 1.0))
    added = (colours[..., :3] * np.float32(255.0) * alpha)[cell_rows][:, cell_columns]
    kept = (1 - alpha)[cell_rows][:, cell_columns]
    blended = picture[r0:r1, c0:c1].astype(np.float32) * kept + added
    picture[r0:r1, c0:c1] = np.clip(blended + np.float32(0.5), 0, 255).astype(np.uint8)
    return picture


def _fitted_rgb(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The frame as RGB, at most ``max_side`` pixels on its longer side, and its scale."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and
                                                           image.shape[-1] == 3)):
        raise ValueError(f"an image of dtype {image.dtype} and shape {image.shape} was given; "
                         "expected uint8 (rows, columns) or (rows, columns, 3); window it first "
                         "with medcore.imaging.apply_window.")
    shown = _fit(image, max_side)
    if shown.ndim == 2:
        shown = np.stack([shown] * 3, axis=-1)  # an RGB PNG keeps greys exact in every browser
    return shown, shown.shape[0] / image.shape[0]


def scan_figure(image: np.ndarray, *, title: str | None = None,
                overlay: np.ndarray | None = None, overlay_opacity: float = 0.45,
                overlay_label: str = "relevance", max_side: int = MAX_DISPLAY_SIDE,
                height: int | None = None, overlay_box: tuple[int, int, int] | None = None,
                overlay_signed: bool = False, show_scale: bool = True):
    """A figure showing one display frame, sent to the browser as a compact PNG.

    Parameters
    ----------
    image : ndarray of uint8, shape (rows, columns) or (rows, columns, 3)
        A windowed frame, e.g. ``Scan.display(...)`` or ``model_view(...)``.
    title : str, optional
    overlay : ndarray, shape (h, w), optional
        A heat map (e.g. Grad-CAM, values 0..1) stretched over the whole image, or over
        ``overlay_box``.
    overlay_opacity : float
        Opacity of the overlay, 0..1.
    overlay_box : (top, left, side), optional
        The square of ``image`` (its own pixels) the map covers: the square a model read.
    overlay_signed : bool
        A signed map on :func:`direction_colourscale`, symmetric around 0 (else a 0..max heat
        scale).
    show_scale : bool
        Draw the overlay's colour bar (off keeps panels side by side the same size).
    max_side : int
        Larger images are downsampled (Lanczos) to this many pixels on their longer side.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    ValueError
        ``image`` is not a uint8 grey or RGB frame.
    """
    import plotly.graph_objects as go
    from plotly.utils import image_array_to_data_uri

    shown, scale = _fitted_rgb(image, max_side)
    # The PNG trace that plotly.express.imshow(binary_string=True) builds, without its figure
    # factory: px re-applies the template (a deep copy) and lays out subplots, ~40 ms a figure,
    # three figures per diagnosis.
    figure = go.Figure(go.Image(source=image_array_to_data_uri(shown, backend="auto",
                                                               compression=4, ext="png")))
    rows, columns = shown.shape[:2]
    if overlay is not None:
        heat = np.asarray(overlay, dtype=float)
        top, left, height_px, width_px = 0.0, 0.0, float(rows), float(columns)
        if overlay_box is not None:
            top, left = overlay_box[0] * scale, overlay_box[1] * scale
            height_px = width_px = overlay_box[2] * scale
        peak = max(float(np.nanmax(np.abs(heat))), 1e-9)
        dy, dx = height_px / heat.shape[0], width_px / heat.shape[1]
        figure.add_trace(go.Heatmap(
            z=heat, x0=left + dx / 2 - 0.5, dx=dx, y0=top + dy / 2 - 0.5, dy=dy,
            colorscale=direction_colourscale() if overlay_signed else "Inferno",
            opacity=overlay_opacity, zmin=-peak if overlay_signed else 0.0, zmax=peak,
            showscale=show_scale, colorbar={"title": overlay_label}, hoverinfo="skip"))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    figure.update_layout(title=title, margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
                         height=height, dragmode="pan")
    figure.update_traces(hovertemplate=None, hoverinfo="skip", selector={"type": "image"})
    return figure
