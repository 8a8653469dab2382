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

from ..config import torch_threads
from ..plots.images import image_grid, png_bytes

Decoder = Callable[[torch.Tensor], torch.Tensor]


class Redraw:
    """Call ``draw()`` once per change, or once per batch of changes made inside ``hold()``.

    An instance is a traitlets observer: ``slider.observe(redraw, "value")``. ``count`` is
    the number of redraws done, for tests and benchmarks.
    """

    def __init__(self, draw: Callable[[], None]):
        self._draw = draw
        self._depth = 0
        self._stale = False
        self.count = 0

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
    B x C x H x W images (C = 1 or 3) in [0, 1]."""
    owner = getattr(decoder, "__self__", None)   # a bound generate: z goes to its model's device
    if isinstance(owner, torch.nn.Module):
        z = z.to(next(owner.parameters()).device)
    with torch.inference_mode():
        images = decoder(z)
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError("a decoder must map B x d latents to B x 1 x H x W images in [0, 1] "
                         f"(e.g. vae.generate or G.generate); got {shape}")
    return images.detach().float().cpu()


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
    """A latent given as ``d`` or ``1 x d`` values, as a float tensor of shape ``(d,)``."""
    z = torch.as_tensor(z).detach()
    if z.dim() == 2 and z.shape[0] == 1:
        z = z[0]
    if z.dim() != 1:
        raise ValueError(f"{name} must be one latent vector (d or 1 x d values), "
                         f"got shape {tuple(z.shape)}")
    return z.float().clone()


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
