"""What every training loop needs besides its update step.

``TrainingRun`` wraps a plain ``for`` loop with

* a ``tqdm`` progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal),
* a guard against NaN/Inf losses that restores the last good weights and stops,
* Ctrl-C (or the notebook's stop button) ending training cleanly with the partial history,
* an optional wall-clock budget,
* a :class:`~genlib.training.history.History` of everything logged, and
* on the CPU, convolution weights in the channels-last (NHWC) memory layout while training,
  the layout oneDNN's fastest convolution kernels use: 1.1-1.2x more images per second for
  the conv VAE and the DCGAN on a 2-core CPU (measured against the contiguous layout in the
  same run), the same maths. They go back to the usual layout at the end, so a trained model computes exactly
  what the same weights loaded from a checkpoint compute.

The update step itself stays in the caller's loop, in plain sight::

    with TrainingRun(total=1000, models=[model], desc="VAE") as run:
        for step in run:
            loss = ...; opt.zero_grad(); loss.backward(); opt.step()
            if not run.check_finite(loss=loss):
                break
            run.log(step, loss=loss)
    history = run.history
"""
from __future__ import annotations

import math
import time
from typing import Iterable, Iterator

import torch
from tqdm.auto import tqdm

from .history import History


def _as_float(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def require_positive(name: str, value, integer: bool = False):
    """Raise ``ValueError`` unless ``value`` is a positive number (an int if ``integer``)."""
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind}, got {value!r}; "
                         f"for example {name}={'128' if integer else '1e-3'}")
    return value


class TrainingRun:
    """Progress bar, NaN guard, interrupt handling and history around a training loop.

    While the run lasts, the ``models`` that live on the CPU hold their 4-D (convolution)
    weights in the channels-last layout (``TrainingRun.channels_last = False`` turns this
    off); the parameters stay the same objects, so optimizers built before keep working.

    Args:
        total: number of steps the loop will take (for the bar; ``over`` sets it).
        models: modules whose weights are snapshotted and restored on a non-finite loss.
        desc: label of the progress bar and title of the history.
        snapshot_every: steps between snapshots of the last good weights.
        max_seconds: stop (cleanly, as finished) once this much wall-clock time has passed.
        history: continue an existing history instead of starting a new one.
    """

    channels_last = True  # on the CPU: convolution weights in NHWC layout while training

    def __init__(self, total: int | None = None, models: Iterable[torch.nn.Module] = (),
                 desc: str = "training", snapshot_every: int = 50,
                 max_seconds: float | None = None, history: History | None = None,
                 progress: bool = True):
        self.total = total
        self.models = list(models)
        self.desc = desc
        self.snapshot_every = max(1, int(snapshot_every))
        self.max_seconds = max_seconds
        self.history = history if history is not None else History(desc)
        self.progress = progress
        self.step = 0
        self._snapshot: list[dict] | None = None
        self._snapshot_step = 0
        self._bar = None
        self._start = 0.0

    # -- context manager -------------------------------------------------
    def __enter__(self) -> "TrainingRun":
        self._start = time.perf_counter()
        self._layout(torch.channels_last)
        self._bar = tqdm(total=self.total, desc=self.desc, leave=False, disable=not self.progress,
                         dynamic_ncols=True)
        self._take_snapshot()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.history.seconds += time.perf_counter() - self._start
        self._layout(torch.contiguous_format)
        if self._bar is not None:
            self._bar.close()
        if exc_type is KeyboardInterrupt:
            self.history.stop_reason = f"interrupted at step {self.step}"
            print(f"{self.desc}: interrupted at step {self.step}; the model keeps the weights "
                  "it has and the history so far is returned.")
            return True  # swallow the interrupt: the caller gets its partial history
        return False

    def _layout(self, memory_format: torch.memory_format) -> None:
        if self.channels_last:
            for model in self.models:
                if all(p.device.type == "cpu" for p in model.parameters()):
                    model.to(memory_format=memory_format)  # only 4-D tensors change

    # -- iteration -------------------------------------------------------
    def __iter__(self) -> Iterator[int]:
        """Yield step numbers ``0 .. total-1`` (stops early on the time budget)."""
        if self.total is None:
            raise ValueError("TrainingRun(total=...) is needed to iterate over steps")
        for step in range(self.total):
            if self._out_of_time():
                break
            self.step = step
            yield step
            self._after_step()

    def over(self, batches, epochs: int) -> Iterator[tuple[int, object]]:
        """Yield ``(step, batch)`` for ``epochs`` passes over ``batches`` (e.g. ``Batches``)."""
        require_positive("epochs", epochs, integer=True)
        self.total = epochs * len(batches)
        if self._bar is not None:
            self._bar.reset(total=self.total)
        step = 0
        for epoch in range(epochs):
            self.epoch = epoch
            for batch in batches:
                if self._out_of_time():
                    return
                self.step = step
                yield step, batch
                self._after_step()
                step += 1

    def _out_of_time(self) -> bool:
        if self.max_seconds is None:
            return False
        return time.perf_counter() - self._start >= self.max_seconds

    def _after_step(self) -> None:
        if self._bar is not None:
            self._bar.update(1)
        if (self.step + 1) % self.snapshot_every == 0:
            self._take_snapshot()

    # -- guard and logging ----------------------------------------------------
    def _take_snapshot(self) -> None:
        self._snapshot = [{k: v.detach().clone() for k, v in m.state_dict().items()}
                          for m in self.models]
        self._snapshot_step = self.step

    def check_finite(self, **losses) -> bool:
        """True if every loss is finite. Otherwise restore the last good weights, record why
        in ``history.stop_reason``, print a message, and return False (the caller breaks)."""
        for name, value in losses.items():
            value = _as_float(value)
            if not math.isfinite(value):
                for model, state in zip(self.models, self._snapshot or []):
                    model.load_state_dict(state)
                reason = (f"{name} became {value} at step {self.step}; restored the weights "
                          f"of step {self._snapshot_step}")
                self.history.stop_reason = reason
                print(f"{self.desc}: training stopped, {reason}. "
                      "Try a smaller learning rate, or check the loss for log(0).")
                return False
        return True

    def log(self, step: int, **values) -> None:
        """Add ``values`` to the history (and show them on the progress bar)."""
        values = {k: _as_float(v) for k, v in values.items()}
        self.history.log(step, **values)
        if self._bar is not None and not self._bar.disable:
            self._bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)
