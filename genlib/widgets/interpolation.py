"""Walking between two latents: a slider along the path, the image at that point, and a strip
of evenly spaced frames.

Two paths from z0 (t = 0) to z1 (t = 1):

* linear:  z(t) = (1 - t) z0 + t z1.
* slerp (spherical linear interpolation, as White 2016, arXiv 1609.04468, proposes for
  generative models): with the angle omega between z0 and z1, cos(omega) = z0.z1 / (|z0| |z1|),
  z(t) = sin((1 - t) omega) / sin(omega) z0 + sin(t omega) / sin(omega) z1.
  For equal norms it keeps |z(t)| = |z0|. Under a N(0, I) prior in many dimensions samples
  lie near the sphere of radius sqrt(d), while the midpoint of the straight line is shorter
  (about sqrt(d / 2) for independent endpoints), a region the decoder rarely saw in training.
"""
from __future__ import annotations

import ipywidgets as widgets
import torch

from ..checks import require_int
from ._render import (Decoder, Redraw, as_latent, check_scale, decode, float_slider, image_png,
                      image_widget, row_png)

METHODS = ("slerp", "linear")


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Points ``(1 - t) z0 + t z1`` on the straight line; ``t`` a number or a 1-D tensor
    (then one row per t)."""
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    t = t[:, None] if t.dim() == 1 else t
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation ``sin((1-t) w)/sin(w) z0 + sin(t w)/sin(w) z1`` with ``w`` the
    angle between ``z0`` and ``z1``; ``t`` a number or a 1-D tensor (one row per t).

    Falls back to :func:`lerp` when the endpoints are (anti)parallel (sin w ~ 0), where the
    great circle is not defined by the two points alone.
    """
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if torch.sin(omega).abs() < eps:
        return lerp(z0, z1, t)
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    t = t[:, None] if t.dim() == 1 else t
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


PATHS = {"slerp": slerp, "linear": lerp}


class Interpolation(widgets.VBox):
    """The widget returned by :func:`interpolation`.

    Public: ``slider`` (t in [0, 1]), ``image`` (the decoded z(t)), ``strip`` (an Image of
    the frames), ``method`` (ToggleButtons: slerp / linear), ``z`` (the current latent),
    ``set_endpoints(z0, z1)``, ``redraws``.
    """

    def __init__(self, decoder: Decoder, z0, z1, method: str = "slerp", frames: int = 8,
                 scale: int = 4):
        if method not in PATHS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if require_int("frames", frames) < 2:
            raise ValueError(f"frames must be at least 2 (the two endpoints), got {frames}")
        self._decoder = decoder
        self._frames = int(frames)
        self._scale = check_scale(scale)
        self._set_latents(z0, z1)
        self.slider = float_slider("t", 0.0, 0.0, 1.0, step=0.01)
        self.method = widgets.ToggleButtons(options=list(METHODS), value=method,
                                            style={"button_width": "70px"})
        self.image = image_widget()
        self.strip = image_widget()
        self._redraw = Redraw(self._draw_image, self.slider)
        self.method.observe(self._on_method, names="value")
        super().__init__(children=[
            widgets.HBox([widgets.VBox([self.method, self.slider]), self.image],
                         layout=widgets.Layout(align_items="center")),
            widgets.Label(f"{self._frames} frames from t = 0 to t = 1:"), self.strip])
        self._draw_strip()
        self._redraw()

    def _set_latents(self, z0, z1) -> None:
        self._z0, self._z1 = as_latent(z0, "z0"), as_latent(z1, "z1")
        if self._z0.shape != self._z1.shape:
            raise ValueError(f"z0 and z1 differ in size: {self._z0.numel()} vs {self._z1.numel()}")

    def path(self, t) -> torch.Tensor:
        """Points of the current path at ``t`` (a number: 1 x d; a 1-D tensor: one row per t)."""
        points = PATHS[self.method.value](self._z0, self._z1, t)
        return points.reshape(-1, self._z0.numel())

    @property
    def z(self) -> torch.Tensor:
        """The latent z(t) on display, 1 x d."""
        return self.path(self.slider.value)

    @property
    def redraws(self) -> int:
        return self._redraw.count

    def _draw_image(self) -> None:
        self.image.value = image_png(decode(self._decoder, self.z)[0], self._scale)

    def _draw_strip(self) -> None:
        t = torch.linspace(0, 1, self._frames)
        self.strip.value = row_png(decode(self._decoder, self.path(t)), self._scale)

    def _on_method(self, change=None) -> None:
        self._draw_strip()
        self._redraw()

    def set_endpoints(self, z0, z1) -> None:
        """New endpoints (e.g. two other encoded test images): one redraw of image and strip."""
        self._set_latents(z0, z1)
        self._on_method()


def interpolation(decoder: Decoder, z0, z1, method: str = "slerp", frames: int = 8,
                  scale: int = 4) -> Interpolation:
    """A slider walking from latent ``z0`` (t = 0) to ``z1`` (t = 1), linearly or along the
    great circle (``method="slerp"``), with the decoded image and a strip of ``frames``.

    ``decoder`` maps B x d latents to B x 1 x H x W images in [0, 1]; the endpoints are prior
    samples or encoded test images (d or 1 x d values).
    """
    return Interpolation(decoder, z0, z1, method=method, frames=frames, scale=scale)
