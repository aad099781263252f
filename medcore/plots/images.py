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


def direction_colourscale() -> list[list]:
    """A signed map's colours from the one palette: :data:`~medcore.plots.palette.WORSE` where
    it raised the probability of disease, :data:`~medcore.plots.palette.BETTER` where it lowered
    it, transparent at zero."""
    from medcore.plots.palette import BETTER, WORSE, rgba

    return [[0.0, rgba(BETTER, 1.0)], [0.35, rgba(BETTER, 0.6)], [0.5, rgba(BETTER, 0.0)],
            [0.65, rgba(WORSE, 0.6)], [1.0, rgba(WORSE, 1.0)]]


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
    import plotly.express as px
    import plotly.graph_objects as go

    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and
                                                           image.shape[-1] == 3)):
        raise ValueError(f"an image of dtype {image.dtype} and shape {image.shape} was given; "
                         "expected uint8 (rows, columns) or (rows, columns, 3); window it first "
                         "with medcore.imaging.apply_window.")
    shown = _fit(image, max_side)
    scale = shown.shape[0] / image.shape[0]
    if shown.ndim == 2:
        shown = np.stack([shown] * 3, axis=-1)  # an RGB PNG keeps greys exact in every browser
    figure = px.imshow(shown, binary_string=True)
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
