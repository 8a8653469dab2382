"""A live training view: play, pause and step a training loop and watch its plots change.

Play and pause are ipywidgets' standard ``Play`` control: a timer in the browser that ticks
every ``interval`` ms. Each tick that reaches the kernel runs ``steps_per_tick`` training
steps and redraws. The front end's message throttle (see :mod:`genlib.widgets._render`)
merges ticks that arrive while the kernel is still busy, so a slow step never builds up a
backlog: pausing takes effect after at most the tick in progress. The figure is a matplotlib
``Figure`` that is never shown itself: after each tick it is rendered to PNG bytes and swapped
into an ``ipywidgets.Image``, which updates in place without flicker.
"""
from __future__ import annotations

import io
import math
from typing import Callable

import ipywidgets as widgets

from ..checks import require_int
from ._render import image_widget

MAX_TICKS = 10**9  # the Play control counts ticks up to this


def figure_png(fig) -> bytes:
    """The figure rendered to PNG bytes at its own dpi."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class LiveTraining(widgets.VBox):
    """The widget returned by :func:`live_training`.

    Public: ``play`` (the Play/Pause control), ``step_button``, ``lr_slider`` (None without
    ``lr``), ``figure`` (the matplotlib Figure that ``draw_fn`` draws into), ``image``,
    ``status``, ``steps_done``, and ``step(n)``.
    """

    def __init__(self, step_fn: Callable[[int], object], draw_fn: Callable[[object], object],
                 steps_per_tick: int = 10, lr: float | None = None,
                 on_lr: Callable[[float], object] | None = None, figsize=(8, 3), dpi: int = 80,
                 interval_ms: int = 150):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        require_int("steps_per_tick", steps_per_tick, minimum=1)
        require_int("interval_ms", interval_ms, minimum=1)
        require_int("dpi", dpi, minimum=1)
        for name, fn in (("step_fn", step_fn), ("draw_fn", draw_fn)):
            if not callable(fn):
                raise TypeError(f"{name} must be a function, got {type(fn).__name__}")
        if (lr is None) != (on_lr is None):
            raise ValueError("give lr (the starting learning rate) and on_lr (called with each "
                             "new value) together, or neither")
        self._step_fn, self._draw_fn = step_fn, draw_fn
        self.steps_per_tick = int(steps_per_tick)
        self.steps_done = 0
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.image = image_widget()
        self.play = widgets.Play(value=0, min=0, max=MAX_TICKS, step=1, interval=interval_ms,
                                 show_repeat=False, description="play")
        self.step_button = widgets.Button(description=f"step x{self.steps_per_tick}",
                                          icon="step-forward")
        self.status = widgets.Label()
        self.lr_slider = None
        controls = [self.play, self.step_button]
        if lr is not None:
            if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr)
                                            and lr > 0):
                raise ValueError(f"lr must be a positive number, got {lr!r}")
            exponent = math.log10(lr)
            self.lr_slider = widgets.FloatLogSlider(
                value=lr, base=10, min=exponent - 2, max=exponent + 1, step=0.1,
                description="learning rate", readout_format=".1e", continuous_update=False,
                style={"description_width": "90px"}, layout=widgets.Layout(width="360px"))
            self.lr_slider.observe(lambda change: on_lr(change["new"]), names="value")
            controls.append(self.lr_slider)
        self.play.observe(self._on_tick, names="value")
        self.step_button.on_click(lambda _: self.step())
        super().__init__(children=[widgets.HBox(controls + [self.status]), self.image])
        self._redraw()

    def _on_tick(self, change) -> None:
        if change["new"] <= change["old"]:  # the stop button rewinds the counter: no step
            return
        try:
            self.step()
        except Exception:
            self.play.playing = False
            self.status.value = f"stopped: the training step raised an error at step {self.steps_done}"
            raise

    def step(self, n: int | None = None) -> None:
        """Run ``n`` training steps (default ``steps_per_tick``) and redraw."""
        n = self.steps_per_tick if n is None else require_int("n", n, minimum=1)
        self._step_fn(n)
        self.steps_done += n
        self._redraw()

    def _redraw(self) -> None:
        self._draw_fn(self.figure)
        self.image.value = figure_png(self.figure)
        self.status.value = f"step {self.steps_done}"


def live_training(step_fn: Callable[[int], object], draw_fn: Callable[[object], object],
                  steps_per_tick: int = 10, lr: float | None = None,
                  on_lr: Callable[[float], object] | None = None, **options) -> LiveTraining:
    """Play / pause / step a training loop and watch its figure update in place.

    Args:
        step_fn: ``step_fn(n)`` performs n training steps.
        draw_fn: ``draw_fn(fig)`` redraws the matplotlib figure ``fig`` (clear it and draw
            again, or update artists kept from the first call); called once at the start.
        steps_per_tick: steps per Play tick and per press of the Step button.
        lr, on_lr: a starting learning rate for a log-scale slider, and the function called
            with each new value (e.g. to set ``param_group["lr"]`` of the optimisers).
        options: ``figsize``, ``dpi``, ``interval_ms`` (the Play control's tick).

    ``.step(n)`` runs n steps and redraws from Python (for tests and static rendering).
    """
    return LiveTraining(step_fn, draw_fn, steps_per_tick=steps_per_tick, lr=lr, on_lr=on_lr,
                        **options)
