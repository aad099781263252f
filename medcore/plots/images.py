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


def scan_figure(image: np.ndarray, *, title: str | None = None,
                overlay: np.ndarray | None = None, overlay_opacity: float = 0.45,
                overlay_label: str = "relevance", max_side: int = MAX_DISPLAY_SIDE,
                height: int | None = None):
    """A figure showing one display frame, sent to the browser as a compact PNG.

    Parameters
    ----------
    image : ndarray of uint8, shape (rows, columns) or (rows, columns, 3)
        A windowed frame, e.g. ``Scan.display(...)`` or ``model_view(...)``.
    title : str, optional
    overlay : ndarray, shape (h, w), optional
        A heat map (e.g. Grad-CAM, values 0..1) stretched over the whole image.
    overlay_opacity : float
        Opacity of the overlay, 0..1.
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
    if shown.ndim == 2:
        shown = np.stack([shown] * 3, axis=-1)  # an RGB PNG keeps greys exact in every browser
    figure = px.imshow(shown, binary_string=True)
    rows, columns = shown.shape[:2]
    if overlay is not None:
        heat = np.asarray(overlay, dtype=float)
        figure.add_trace(go.Heatmap(
            z=heat, x0=columns / heat.shape[1] / 2 - 0.5, dx=columns / heat.shape[1],
            y0=rows / heat.shape[0] / 2 - 0.5, dy=rows / heat.shape[0], colorscale="Inferno",
            opacity=overlay_opacity, zmin=0.0, zmax=max(float(np.nanmax(heat)), 1e-9),
            colorbar={"title": overlay_label}, hoverinfo="skip"))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    figure.update_layout(title=title, margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
                         height=height, dragmode="pan")
    figure.update_traces(hovertemplate=None, hoverinfo="skip", selector={"type": "image"})
    return figure
