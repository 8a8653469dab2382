"""A map of a 2-D latent space: the encoded data coloured by class (the colour-blind-safe class
colours of :mod:`genlib.plots.palette`), and a black cursor whose position is decoded.

The scatter is drawn with matplotlib once; moving the cursor only paints a cross-hair into a
copy of those pixels (the axes' data-to-pixel transform is kept), so a move costs one decode
and two small PNG encodings, not a matplotlib redraw.
"""
from __future__ import annotations

import math
import numbers

import ipywidgets as widgets
import numpy as np
import torch

from ..plots.palette import CLASS_COLOURS, class_colour
from ._render import (Decoder, Redraw, check_range, check_scale, decode, float_slider, image_png,
                      image_widget, rgb_png)

CURSOR_RGB = np.array([0, 0, 0], dtype=np.uint8)  # black: apart from every class colour


def _extent(codes: torch.Tensor, grid_extent) -> list[tuple[float, float]]:
    """``[(x_low, x_high), (y_low, y_high)]`` from ``grid_extent`` (a number e for [-e, e],
    a pair for both axes, or a pair of pairs), or from the codes' 0.5-99.5 % range padded."""
    if grid_extent is None:
        low = torch.quantile(codes, 0.005, dim=0)
        high = torch.quantile(codes, 0.995, dim=0)
        pad = 0.05 * (high - low).clamp_min(1e-3)
        return [(float(a), float(b)) for a, b in zip(low - pad, high + pad)]
    usage = "e > 0 (for [-e, e]^2), (low, high) or ((x_low, x_high), (y_low, y_high))"
    if isinstance(grid_extent, numbers.Real) and not isinstance(grid_extent, bool):
        if not (math.isfinite(grid_extent) and grid_extent > 0):
            raise ValueError(f"grid_extent must be {usage}, got {grid_extent!r}")
        return [(-float(grid_extent), float(grid_extent))] * 2
    if isinstance(grid_extent, (str, bytes)) or not hasattr(grid_extent, "__len__") \
            or len(grid_extent) != 2:
        raise TypeError(f"grid_extent must be {usage}, got {grid_extent!r}")
    pairs = ([grid_extent, grid_extent] if isinstance(grid_extent[0], numbers.Real)
             else grid_extent)
    return [check_range("grid_extent", pair) for pair in pairs]


class ScatterPixels:
    """A scatter plot rendered once to RGB pixels (``uint8``), with the map from data to pixel
    coordinates."""

    def __init__(self, codes: np.ndarray, labels: np.ndarray | None, extent, class_names=None,
                 figsize=(3.8, 2.9), dpi: int = 80):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0.13, 0.14, 0.6, 0.74))
        if labels is None:
            ax.scatter(codes[:, 0], codes[:, 1], s=3, alpha=0.5, linewidths=0,
                       color=CLASS_COLOURS[0])
        else:
            for k in np.unique(labels):
                name = class_names[k] if class_names is not None else str(k)
                ax.scatter(*codes[labels == k].T, s=3, alpha=0.5, linewidths=0,
                           color=class_colour(int(k)), label=name)
            ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7, markerscale=3,
                      frameon=False)
        (x0, x1), (y0, y1) = extent
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("$z_1$", fontsize=8)
        ax.set_ylabel("$z_2$", fontsize=8)
        ax.set_title("codes" + (" by class" if labels is not None else ""), fontsize=8)
        ax.tick_params(labelsize=7)
        canvas.draw()
        self.pixels = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])  # uint8
        self._transform = ax.transData
        self._box = ax.get_window_extent()  # axes area in display pixels (origin bottom-left)
        self.figure = fig  # the scatter's figure, e.g. to check its title and labels

    def to_pixel(self, x: float, y: float) -> tuple[int, int]:
        """(row, column) of data point (x, y) in ``pixels``."""
        px, py = self._transform.transform((x, y))
        return int(round(self.pixels.shape[0] - py)), int(round(px))

    def with_cursor(self, x: float, y: float) -> np.ndarray:
        """A copy of the pixels with a cross-hair at data point (x, y)."""
        image = self.pixels.copy()
        row, col = self.to_pixel(x, y)
        height = image.shape[0]
        top, bottom = int(height - self._box.y1), int(height - self._box.y0)
        left, right = int(self._box.x0), int(self._box.x1)
        r0, r1 = max(top, row - 4), min(bottom, row + 5)  # a 9 x 9 pixel box around the point
        c0, c1 = max(left, col - 4), min(right, col + 5)
        image[r0:r1, c0:c1] = CURSOR_RGB
        image[r0 + 2:r1 - 2, c0 + 2:c1 - 2] = self.pixels[r0 + 2:r1 - 2, c0 + 2:c1 - 2]
        if top <= row < bottom:  # and one-pixel lines across the axes through it
            image[row, left:right] = CURSOR_RGB
        if left <= col < right:
            image[top:bottom, col] = CURSOR_RGB
        return image


class LatentMap(widgets.VBox):
    """The widget returned by :func:`latent_map`.

    Public: ``x_slider``, ``y_slider`` (the cursor), ``image`` (the decoded cursor),
    ``map_image`` (the scatter with the cursor), ``z`` (the cursor as a 1 x 2 latent),
    ``redraws``.
    """

    def __init__(self, decoder: Decoder, codes, labels=None, grid_extent=None, scale: int = 4,
                 class_names=None):
        codes = torch.as_tensor(codes).detach().float().cpu()
        if codes.dim() != 2 or codes.shape[1] != 2:
            raise ValueError(f"codes must be N x 2: latent_map needs 2-D latents, got shape "
                             f"{tuple(codes.shape)}; for more dimensions use latent_sliders")
        if len(codes) == 0:
            raise ValueError("codes is empty: latent_map needs at least one N x 2 code to show")
        if not bool(torch.isfinite(codes).all()):
            raise ValueError("codes hold NaN or infinite values; every code must be finite")
        if labels is not None:
            labels = torch.as_tensor(labels).detach().cpu()
            if labels.is_floating_point() and not bool((labels == labels.round()).all()):
                raise ValueError("labels must be whole class numbers, got fractional values")
            labels = labels.long().numpy()
            if labels.shape != (codes.shape[0],):
                raise ValueError(f"labels must hold one class per code ({codes.shape[0]}), "
                                 f"got shape {labels.shape}")
            if labels.min() < 0:
                raise ValueError(f"labels must be classes 0, 1, ..., got {labels.min()}")
            if labels.max() >= len(CLASS_COLOURS):
                raise ValueError(f"labels must be at most {len(CLASS_COLOURS)} classes (0 to "
                                 f"{len(CLASS_COLOURS) - 1}), one colour each, got class "
                                 f"{labels.max()}; group the classes")
            if class_names is not None and labels.max() >= len(class_names):
                raise ValueError(f"class_names has {len(class_names)} names, but labels go up "
                                 f"to class {labels.max()}; give one name per class")
        self._decoder = decoder
        self._scale = check_scale(scale)
        (x0, x1), (y0, y1) = extent = _extent(codes, grid_extent)
        self._scatter = ScatterPixels(codes.numpy(), labels, extent, class_names,
                                      dpi=20 * self._scale)  # the map grows with the image
        step = max(x1 - x0, y1 - y0) / 200
        self.x_slider = float_slider("z1", float(np.clip(0.0, x0, x1)), x0, x1, step)
        self.y_slider = float_slider("z2", float(np.clip(0.0, y0, y1)), y0, y1, step)
        self.image = image_widget()
        self.map_image = image_widget()
        self._redraw = Redraw(self._draw, self.x_slider, self.y_slider)
        super().__init__(children=[
            widgets.HBox([self.map_image,
                          widgets.VBox([self.image], layout=widgets.Layout(justify_content="center"))],
                         layout=widgets.Layout(align_items="center")),
            self.x_slider, self.y_slider])
        self._redraw()

    @property
    def z(self) -> torch.Tensor:
        """The cursor as a 1 x 2 latent."""
        return torch.tensor([[self.x_slider.value, self.y_slider.value]])

    @property
    def redraws(self) -> int:
        return self._redraw.count

    def move_to(self, x: float, y: float) -> None:
        """Move the cursor to (x, y): one redraw."""
        with self._redraw.hold():
            self.x_slider.value, self.y_slider.value = float(x), float(y)

    def _draw(self) -> None:
        x, y = self.x_slider.value, self.y_slider.value
        self.image.value = image_png(decode(self._decoder, self.z)[0], self._scale)
        self.map_image.value = rgb_png(self._scatter.with_cursor(x, y))


def latent_map(decoder: Decoder, codes, labels, grid_extent=None, scale: int = 4,
               class_names=None) -> LatentMap:
    """For 2-D latents: the codes (e.g. encoder means of test images) coloured by ``labels``,
    and a cursor (sliders ``.x_slider``, ``.y_slider``) whose decoded image is ``.image``.

    ``grid_extent``: the region shown, as e (for [-e, e]^2), (low, high), or
    ((x_low, x_high), (y_low, y_high)); default: where the codes lie. ``labels`` may be None;
    ``class_names`` label the legend. ``scale`` enlarges the decoded image (pixel repetition)
    and the map with it (drawn at 20 x scale dpi: 304 x 232 pixels at scale 4).
    """
    return LatentMap(decoder, codes, labels, grid_extent=grid_extent, scale=scale,
                     class_names=class_names)
