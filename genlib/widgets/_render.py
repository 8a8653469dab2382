"""Fast image bytes for the widgets, and how a burst of slider events is coalesced.

**Speed.** A redraw decodes one latent under ``torch.inference_mode()``, PNG-encodes the
picture with PIL (:func:`genlib.plots.images.png_bytes`) and assigns
the bytes to an ``ipywidgets.Image``. No matplotlib figure is drawn per slider event (a
matplotlib redraw costs several times a PNG encoding); only the live training view, whose plots change anyway,
renders a figure, once per tick. Redraws run on one CPU thread: one small image is too little
work to share, and on a busy machine waiting for a second thread is what makes a redraw slow
(``bench/bench_widgets.py`` measures the latency).

**Bursts of slider events** (``continuous_update=True``: dragging a slider fires many
changes) never queue up stale redraws, for three reasons, one per layer:

1. *Front end.* ipywidgets' own message throttle (``WidgetModel`` in @jupyter-widgets/base,
   used by JupyterLab, Notebook 7, VS Code and Colab alike) keeps at most one update message
   per widget in flight to the kernel. Changes made meanwhile are merged into one buffered
   message in which the newest value replaces the older ones, sent when the kernel reports
   idle for the previous one. So the kernel receives as many updates as it can draw, each
   carrying the newest value: the redraw rate adapts to the kernel's speed, and a slow
   decoder drops intermediate positions instead of lagging behind the mouse.
2. *Kernel, latest wins.* A redraw never uses the value carried by the event that triggered
   it: it reads the current value of every control. Whatever order messages arrive in, a
   redraw shows the newest state.
3. *Kernel, batches.* Changes made together in Python (reset, randomise, new endpoints,
   several sliders at once) go through :meth:`Redraw.hold`: the observers only mark the view
   as stale, and one redraw happens when the batch ends.

Programmatic changes (``slider.value = 1.5`` in a cell or a test) redraw synchronously, so
the new bytes are in ``image.value`` as soon as the assignment returns.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Callable, Iterator

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image

from ..checks import require_int, require_number
from ..config import torch_threads
from ..plots.images import image_grid, png_bytes

Decoder = Callable[[torch.Tensor], torch.Tensor]


class Redraw:
    """Call ``draw()`` once per change, or once per batch of changes made inside ``hold()``.

    An instance is a traitlets observer: ``Redraw(draw, slider)`` observes each control's
    value, as ``slider.observe(redraw, "value")`` would. ``count`` is the number of redraws
    done, for tests and benchmarks.
    """

    def __init__(self, draw: Callable[[], None], *controls):
        self._draw = draw
        self._depth = 0
        self._stale = False
        self.count = 0
        for control in controls:
            control.observe(self, names="value")

    def __call__(self, change=None) -> None:
        if self._depth:
            self._stale = True
            return
        with torch_threads(1):
            self._draw()
        self.count += 1

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Within this block changes only mark the view stale; it is redrawn once at the end."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self._stale:
            self._stale = False
            self()


def decode(decoder: Decoder, z: torch.Tensor) -> torch.Tensor:
    """``decoder(z)`` under ``torch.inference_mode()``, checked and moved to the CPU:
    B x C x H x W images (C = 1 or 3) in [0, 1], one per latent. Images outside [0, 1] (a
    tanh output in [-1, 1], 0..255 grey levels, NaN) are refused, not clamped."""
    if not callable(decoder):
        raise TypeError(f"decoder must be a function of the latents such as vae.generate, got "
                        f"{type(decoder).__name__}")
    owner = getattr(decoder, "__self__", None)   # a bound generate: z goes to its model's device
    if isinstance(owner, torch.nn.Module):
        if owner.training and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                                  for m in owner.modules()):
            raise ValueError(f"decoder's model ({type(owner).__name__}) is in train mode and has "
                             "BatchNorm, which cannot decode one latent at a time; call "
                             "model.eval() first")
        z = z.to(next(owner.parameters()).device)
    try:
        with torch.inference_mode():
            images = decoder(z)
    except ValueError as exc:
        if "Expected more than 1 value per channel" not in str(exc):
            raise
        raise ValueError("decoder's model is in train mode and has BatchNorm, which cannot "
                         "decode one latent at a time; call model.eval() first") from exc
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError("a decoder must map B x d latents to B x 1 x H x W images in [0, 1] "
                         f"(e.g. vae.generate or G.generate); got {shape}")
    if images.shape[0] != z.shape[0]:
        raise ValueError(f"decoder must return one image per latent: {z.shape[0]} latents gave "
                         f"{images.shape[0]} images")
    images = images.detach().float().cpu()
    inside = (images >= -1e-4) & (images <= 1 + 1e-4)
    if not bool(inside.all()):
        finite = images[torch.isfinite(images)]
        span = ([f"values from {float(finite.min()):.3g} to {float(finite.max()):.3g}"]
                if finite.numel() else []) + (["NaN"] if bool(torch.isnan(images).any()) else [])
        got = " and ".join(span) or "infinite values"
        raise ValueError(f"decoder must make images in [0, 1] (its generate method, not forward "
                         f"or raw logits), got {got}"
                         + "; map [-1, 1] outputs with (x + 1) / 2, 0..255 with x / 255")
    return images


def image_png(image: torch.Tensor, scale: int) -> bytes:
    """PNG bytes of one C x H x W image in [0, 1], enlarged ``scale`` times."""
    return png_bytes(image[0] if image.shape[0] == 1 else image.permute(1, 2, 0), scale=scale)


def rgb_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an H x W x 3 ``uint8`` array (no conversion: for the larger pictures)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def row_png(images: torch.Tensor, scale: int, max_width: int = 640) -> bytes:
    """PNG bytes of B images side by side; the scale shrinks so the row fits ``max_width``."""
    width = images.shape[0] * (images.shape[-1] + 1) + 1
    return png_bytes(image_grid(images, nrow=images.shape[0]),
                     scale=max(1, min(scale, max_width // width)))


def as_latent(z, name: str = "z") -> torch.Tensor:
    """A latent given as ``d`` or ``1 x d`` finite numbers (d >= 1), as a float tensor of
    shape ``(d,)``."""
    if isinstance(z, (str, bytes)):
        raise TypeError(f"{name} must be a latent vector of numbers (a tensor), got a string")
    try:
        z = torch.as_tensor(z).detach()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a latent vector of numbers (a tensor), got "
                        f"{type(z).__name__}") from exc
    if z.dtype == torch.bool or z.is_complex():
        raise TypeError(f"{name} must be a latent vector of real numbers, got {z.dtype}")
    if z.dim() == 2 and z.shape[0] == 1:
        z = z[0]
    if z.dim() != 1 or z.numel() == 0:
        raise ValueError(f"{name} must be one latent vector (d or 1 x d values, d >= 1), "
                         f"got shape {tuple(z.shape)}")
    z = z.float().clone()
    if not bool(torch.isfinite(z).all()):
        raise ValueError(f"{name} holds NaN or infinite values; a latent must be finite")
    return z


def check_scale(scale) -> int:
    """The pixel enlargement of a widget's image: a whole number >= 1."""
    return require_int("scale", scale, minimum=1)


def check_range(name: str, value_range) -> tuple[float, float]:
    """``(low, high)`` from a pair of finite numbers with low < high."""
    try:
        low, high = value_range
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) of numbers, "
                        f"got {value_range!r}") from None
    low, high = require_number(f"{name}[0]", low), require_number(f"{name}[1]", high)
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high, got {value_range!r}")
    return low, high


def float_slider(description: str, value: float, low: float, high: float,
                 step: float) -> widgets.FloatSlider:
    """A slider that reports while it is dragged (``continuous_update``; see the burst
    handling above), two decimals shown."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=description, continuous_update=True,
                               readout_format=".2f", style={"description_width": "70px"},
                               layout=widgets.Layout(width="330px"))


def image_widget() -> widgets.Image:
    """An empty PNG image widget."""
    return widgets.Image(format="png")
