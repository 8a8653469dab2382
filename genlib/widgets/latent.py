"""Latent sliders: one slider per latent dimension (or per direction), the decoded image beside.

The latent shown is ``z = base + sum_i a_i v_i`` where ``a_i`` is slider i's value and ``v_i``
its axis: with ``dims``, ``v_i`` is the unit vector of dimension ``dims[i]`` and the slider
holds that coordinate itself; with ``directions`` (a k x d tensor, e.g. principal directions
or an attribute vector), the slider is the offset along ``v_i``, starting at 0.
How redraws stay fast and never stale: :mod:`genlib.widgets._render`.
"""
from __future__ import annotations

import operator

import ipywidgets as widgets
import torch

from ..checks import require_number, require_seed
from ._render import (Decoder, Redraw, as_latent, check_range, check_scale, decode, float_slider,
                      image_png, image_widget)

MAX_DEFAULT_SLIDERS = 10  # dims=None shows the first this-many dimensions


class LatentSliders(widgets.VBox):
    """The widget returned by :func:`latent_sliders`.

    Public: ``sliders`` (list of ``FloatSlider``), ``image`` (the ``ipywidgets.Image``),
    ``reset()``, ``randomize()``, ``z`` (the current latent, in the shape it was given),
    ``redraws`` (number of redraws so far).
    """

    def __init__(self, decoder: Decoder, z, dims=None, directions=None,
                 value_range=(-3.0, 3.0), scale: int = 4, labels=None, seed: int = 0,
                 step: float = 0.05):
        self._decoder = decoder
        self._z0 = as_latent(z)
        self._shape = torch.as_tensor(z).shape
        self._scale = check_scale(scale)
        self._rng = torch.Generator().manual_seed(require_seed("seed", seed))
        step = require_number("step", step, positive=True)
        low, high = check_range("value_range", value_range)
        self._axes, start = self._slider_axes(dims, directions)
        self._base0 = self._z0 - start @ self._axes  # z0 = base0 + sum_i start_i v_i
        self._base = self._base0.clone()
        self._start = start
        if labels is not None and len(labels) != len(start):
            raise ValueError(f"labels has {len(labels)} entries for {len(start)} sliders")
        if labels is None:
            labels = ([f"z[{d}]" for d in self._dims] if self._dims is not None
                      else [f"direction {i}" for i in range(len(start))])
        self.sliders = [
            float_slider(str(label), a, min(low, a), max(high, a), step)
            for a, label in zip(start.tolist(), labels)]
        self.image = image_widget()
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           layout=widgets.Layout(width="100px"))
        self.randomize_button = widgets.Button(description="randomise", icon="random",
                                               layout=widgets.Layout(width="110px"))
        self.reset_button.on_click(lambda _: self.reset())
        self.randomize_button.on_click(lambda _: self.randomize())
        self._redraw = Redraw(self._draw)
        for slider in self.sliders:
            slider.observe(self._redraw, names="value")
        super().__init__(children=self._layout())
        self._redraw()

    # -- construction -----------------------------------------------------
    def _slider_axes(self, dims, directions) -> tuple[torch.Tensor, torch.Tensor]:
        """The k x d axes v_i and the sliders' starting values."""
        d = self._z0.numel()
        if dims is not None and directions is not None:
            raise ValueError("give dims or directions, not both")
        if directions is not None:
            axes = torch.as_tensor(directions).detach().float().to(self._z0.device)
            if axes.dim() == 1:
                axes = axes[None]
            if axes.dim() != 2 or axes.shape[1] != d or axes.shape[0] == 0:
                raise ValueError(f"directions must be k x {d} (one latent-space direction per "
                                 f"row, k >= 1), got shape {tuple(axes.shape)}")
            if not bool(torch.isfinite(axes).all()):
                raise ValueError("directions hold NaN or infinite values")
            self._dims = None
            return axes, torch.zeros(axes.shape[0], device=axes.device)
        dims = list(range(min(d, MAX_DEFAULT_SLIDERS))) if dims is None else _indices(dims)
        bad = [i for i in dims if not 0 <= i < d]
        if bad or not dims:
            raise ValueError(f"dims must be indices in 0..{d - 1}, got {dims}")
        self._dims = dims
        axes = torch.zeros(len(dims), d, device=self._z0.device)
        axes[torch.arange(len(dims)), torch.tensor(dims)] = 1.0
        return axes, self._z0[dims].clone()

    def _layout(self) -> list[widgets.Widget]:
        buttons = widgets.HBox([self.reset_button, self.randomize_button])
        return [widgets.HBox([widgets.VBox([*self.sliders, buttons]), self.image],
                             layout=widgets.Layout(align_items="center"))]

    # -- state ----------------------------------------------------------------
    def _latent(self) -> torch.Tensor:
        """The current latent, 1 x d, read from every slider (latest wins)."""
        values = torch.tensor([s.value for s in self.sliders], device=self._base.device)
        return (self._base + values @ self._axes)[None]

    @property
    def z(self) -> torch.Tensor:
        """The latent on display, in the shape the starting latent was given."""
        return self._latent().reshape(self._shape)

    @property
    def redraws(self) -> int:
        return self._redraw.count

    def _draw(self) -> None:
        self.image.value = image_png(decode(self._decoder, self._latent())[0], self._scale)

    def _set_sliders(self, values: torch.Tensor) -> None:
        for slider, value in zip(self.sliders, values.tolist()):
            slider.value = value

    # -- actions ------------------------------------------------------------
    def reset(self) -> None:
        """Back to the starting latent (one redraw)."""
        with self._redraw.hold():
            self._base = self._base0.clone()
            self._set_sliders(self._start)
            self._redraw()

    def randomize(self) -> None:
        """A new latent from the prior N(0, I) (one redraw). With ``dims`` the sliders move to
        its coordinates; with ``directions`` they return to 0 around it."""
        fresh = torch.randn(self._z0.numel(), generator=self._rng).to(self._z0.device)
        with self._redraw.hold():
            if self._dims is None:
                self._base = fresh
                self._set_sliders(torch.zeros(len(self.sliders)))
            else:
                self._base = fresh.clone()
                self._base[self._dims] = 0.0
                self._set_sliders(fresh[self._dims])
            self._redraw()


def _indices(dims) -> list[int]:
    """``dims`` as a list of ints: each a whole number (1.7, True or a string is refused)."""
    if isinstance(dims, (str, bytes)) or not hasattr(dims, "__iter__"):
        raise TypeError(f"dims must be a list of latent dimensions (whole numbers), got "
                        f"{dims!r}")
    out = []
    for i in (dims.tolist() if isinstance(dims, torch.Tensor) else dims):
        if isinstance(i, bool):
            raise TypeError(f"dims must hold whole numbers, got {i!r} in {dims!r}")
        try:
            out.append(operator.index(i))
        except TypeError:
            raise TypeError(f"dims must hold whole numbers (indices), got {i!r} in "
                            f"{dims!r}") from None
    return out


def latent_sliders(decoder: Decoder, z, dims=None, directions=None, value_range=(-3, 3),
                   scale: int = 4, labels=None, **options) -> LatentSliders:
    """Sliders on a latent vector and the image ``decoder`` makes of it, updated as they move.

    Args:
        decoder: maps a B x d latent tensor to B x 1 x H x W images in [0, 1], e.g.
            ``vae.generate`` or ``G.generate`` (models in eval mode). It runs under ``torch.inference_mode()``.
        z: the starting latent, d or 1 x d values.
        dims: the latent dimensions to put on sliders (default: the first 10).
        directions: instead of ``dims``, a k x d tensor: slider i moves z along row i.
        value_range: the sliders' range (widened to include the starting values).
        scale: pixel enlargement of the image (28 x 28 at scale 4 is 112 x 112 pixels).
        labels: the sliders' descriptions.
        options: ``seed`` (of the randomise button), ``step`` (slider resolution).

    Returns:
        a :class:`LatentSliders` container with ``.sliders``, ``.image``, ``.reset()``,
        ``.randomize()`` and ``.z``.
    """
    return LatentSliders(decoder, z, dims=dims, directions=directions, value_range=value_range,
                         scale=scale, labels=labels, **options)
