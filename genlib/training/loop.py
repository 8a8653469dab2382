"""The one training loop of genlib, and what every loop needs besides its update step.

:func:`train` calls one update per iteration, ``update(batch, rng, t)``; the caller writes
which network each argument of the family's update step (:mod:`genlib.steps`, written in the
notebook that teaches it) is::

    history = train(lambda x, rng, t: gan_step(G, D, opt_G, opt_D, x, rng), images,
                    models=[G, D], optimizers=[opt_G, opt_D], steps=2000, batch_size=64)

:class:`TrainingRun` is the scaffold around any loop, :func:`train`'s or one written out in a
notebook cell: a ``tqdm`` progress bar, a guard that stops on a NaN/Inf loss and restores the
last finite weights and optimiser state, Ctrl-C (or the notebook's stop button) ending the loop
and the cell (the ``KeyboardInterrupt`` goes on, so a cell that trains several models stops at
the first; the partial history is kept on the run and on the exception as ``exc.history``), and
a :class:`~genlib.training.history.History` of what was logged.
"""
from __future__ import annotations

import copy
import math
import time
from typing import Callable, Iterable, Iterator, Sequence

import torch
from tqdm.auto import tqdm

from .. import config
from ..checks import require_positive, require_seed, require_unit_interval
from ..data.batching import Batches
from .history import History


def _as_float(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _finite(module: torch.nn.Module) -> bool:
    return all(torch.isfinite(t).all() for t in module.state_dict().values()
               if t.is_floating_point())


class TrainingRun:
    """Progress bar, NaN guard, interrupt handling and history around a training loop::

        with TrainingRun(total=1000, models=[model], optimizers=[opt], desc="VAE") as run:
            for step in run:
                loss = ...; opt.zero_grad(); loss.backward(); opt.step()
                if not run.check_finite(loss=loss):
                    break
                run.log(step, loss=loss)
        history = run.history

    Args:
        total: number of steps the loop will take.
        models, optimizers: what is snapshotted every ``snapshot_every`` steps (only while
            every weight is finite) and restored when a loss stops being finite.
        desc: label of the progress bar and title of the history.
        history: continue an existing history instead of starting a new one.

    Ctrl-C (``KeyboardInterrupt``) inside the block records "interrupted at step s" as the
    history's ``stop_reason`` and is raised on, so the cell stops; ``run.history`` keeps what
    was logged.
    """

    def __init__(self, total: int, models: Iterable[torch.nn.Module] = (),
                 optimizers: Iterable[torch.optim.Optimizer] = (), desc: str = "training",
                 snapshot_every: int = 50, history: History | None = None,
                 progress: bool = True):
        self.total = require_positive("total", total, integer=True)
        self.models, self.optimizers = list(models), list(optimizers)
        for label, items, kind in (("models", self.models, torch.nn.Module),
                                   ("optimizers", self.optimizers, torch.optim.Optimizer)):
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    raise TypeError(f"{label} must hold {kind.__module__}.{kind.__name__} "
                                    f"objects, but {label}[{i}] is {type(item).__name__}")
        self.desc = desc
        self.snapshot_every = require_positive("snapshot_every", snapshot_every, integer=True)
        self.history = history if history is not None else History(desc)
        self.progress = progress
        self.step = 0
        self._snapshot: tuple[list, list] | None = None
        self._snapshot_steps = 0
        self._bar = None
        self._start = 0.0

    def __enter__(self) -> "TrainingRun":
        self._start = time.perf_counter()
        self._bar = tqdm(total=self.total, desc=self.desc, leave=False, disable=not self.progress,
                         dynamic_ncols=True)
        self._take_snapshot()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.history.seconds += time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.close()
        if exc_type is KeyboardInterrupt:
            self.history.stop_reason = f"interrupted at step {self.step}"
            if exc is not None:
                exc.history = self.history  # what was logged, for whoever catches it
            print(f"{self.desc}: interrupted at step {self.step}; the cell stops, the model "
                  "keeps the weights it has (a zoo recipe saves nothing) and the history holds "
                  "what was logged.")
        return False  # never swallow an interrupt: one Ctrl-C stops the whole cell

    def __iter__(self) -> Iterator[int]:
        """Yield step numbers ``0 .. total-1``."""
        for step in range(self.total):
            self.step = step
            yield step
            if self._bar is not None:
                self._bar.update(1)
            if (step + 1) % self.snapshot_every == 0:
                self._take_snapshot(steps_done=step + 1)

    def _take_snapshot(self, steps_done: int = 0) -> None:
        if all(_finite(m) for m in self.models):  # never keep NaN weights as "good"
            self._snapshot = ([copy.deepcopy(m.state_dict()) for m in self.models],
                              [copy.deepcopy(o.state_dict()) for o in self.optimizers])
            self._snapshot_steps = steps_done

    def check_finite(self, **losses) -> bool:
        """True if every loss is finite. Otherwise restore the last finite weights and
        optimiser state, record why in ``history.stop_reason``, say so, and return False."""
        for name, value in losses.items():
            value = _as_float(value)
            if not math.isfinite(value):
                self._stop(f"{name} became {value} at step {self.step}")
                return False
        return True

    def check_weights(self) -> bool:
        """True if every model's weights are finite (a loss computed before the update cannot
        tell); otherwise stop as :meth:`check_finite` does and return False."""
        if all(_finite(m) for m in self.models):
            return True
        self._stop(f"the weights became NaN or infinite at step {self.step}")
        return False

    def _stop(self, what: str) -> None:
        """Restore the last finite weights and optimiser state; record and say why."""
        if self._snapshot is None:
            restored = "no finite weights were ever seen, so none were restored"
        else:
            for model, state in zip(self.models, self._snapshot[0]):
                model.load_state_dict(state)
            for optimizer, state in zip(self.optimizers, self._snapshot[1]):
                optimizer.load_state_dict(state)
            restored = (f"restored the weights and optimiser state as they were after "
                        f"{self._snapshot_steps} steps")
        self.history.stop_reason = f"{what}; {restored}"
        print(f"{self.desc}: training stopped, {self.history.stop_reason}. "
              "Try a smaller learning rate, or check the loss for log(0).")

    def log(self, step: int, **values) -> None:
        """Add ``values`` to the history (and show them on the progress bar)."""
        values = _logged_scalars(repr(self.desc), values)
        self.history.log(step, **values)
        if self._bar is not None and not self._bar.disable:
            self._bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)


def batch_stream(data, batch_size: int, rng: torch.Generator,
                 device: torch.device) -> Iterator:
    """Endless mini-batches on ``device`` from ``data``: a tensor (each batch a tensor) or a
    pair (images, labels) (each batch a pair), shuffled epoch after epoch with the last
    incomplete batch dropped; or a distribution with ``.sample(n, rng)`` (a fresh batch every
    time). ``rng`` orders (or draws) the data."""
    require_positive("batch_size", batch_size, integer=True)
    if hasattr(data, "sample"):
        while True:
            yield data.sample(batch_size, rng).to(device)
    tensors = (data,) if isinstance(data, torch.Tensor) else tuple(data)
    batches = Batches(*tensors, batch_size=batch_size, drop_last=True, rng=rng, device=device)
    if len(batches) == 0:
        raise ValueError(f"batch_size={batch_size} is larger than the {batches.n} examples "
                         "in data; use a smaller batch_size")
    while True:
        for batch in batches:
            yield batch[0] if len(tensors) == 1 else tuple(batch)


def train(update: Callable[[object, torch.Generator, int], dict], data=None, *,
          models: Sequence[torch.nn.Module], optimizers: Sequence[torch.optim.Optimizer] = (),
          steps: int, batch_size: int | None = None, seed: int = 0, log_every: int = 20,
          callback: Callable[[int], dict | None] | None = None,
          callback_every: int | None = None, schedulers: Iterable = (),
          desc: str | None = None, history: History | None = None,
          progress: bool = True) -> History:
    """Call ``update(batch, rng, t)`` for ``t`` in ``0 .. steps-1`` and return the
    :class:`History` of the dicts it returns (every family, 02-11).

    Args:
        update: one training iteration; it returns a dict of numbers to log. A recipe or a
            notebook writes which network each of the step's arguments is, e.g.
            ``lambda x, rng, t: gan_step(G, D, opt_G, opt_D, x, rng)``.
        data: ``None`` (``batch`` is None), a tensor of examples (``batch`` is a mini-batch
            ``x``), a pair ``(images, labels)`` (``batch`` is a pair ``(x, y)``), or a
            distribution with ``.sample(n, rng)`` such as the 2-D toys (a fresh ``x`` each time).
        models, optimizers: what the update trains: the models are moved to the device, put in
            train mode (eval mode at the end), and with the optimisers restored to their last
            finite state if a logged value stops being finite.
        steps: number of iterations; ``batch_size``: examples per iteration.
        seed: seeds ``rng``, a ``torch.Generator`` on the device from which the update draws
            every latent and noise sample; the data order has its own generator, seeded with
            ``config.derived_seed(seed, "data order")``, so that the two never draw the same
            numbers. With a ``history`` to continue, ``t`` goes on from its last step ``s`` and
            ``seed + s + 1`` takes the place of ``seed``, so a continuation draws new numbers.
        log_every: iterations averaged into each history entry.
        callback: ``callback(t)`` every ``callback_every`` iterations and after the last;
            a returned dict is logged (e.g. modes covered).
        schedulers: learning-rate schedulers (``torch.optim.lr_scheduler``), stepped after
            every iteration.

    Everything runs on :func:`genlib.config.get_device`. Ctrl-C stops the loop and is raised
    on, so the cell stops (and a caller such as a zoo recipe saves nothing); the exception's
    ``history`` attribute holds what was logged.
    """
    if not callable(update):
        raise TypeError(f"update must be a function update(batch, rng, t), got "
                        f"{type(update).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function of the step number, got "
                        f"{type(callback).__name__}")
    require_positive("steps", steps, integer=True)
    require_positive("log_every", log_every, integer=True)
    if callback_every is not None:
        require_positive("callback_every", callback_every, integer=True)
    start = history.last_step() + 1 if history is not None else 0
    seed = require_seed("seed", seed) + start   # a continued history draws new numbers
    run = TrainingRun(steps, models, optimizers, desc=desc or "training", history=history,
                      progress=progress)   # checks models and optimizers
    device = config.get_device()
    if data is None:
        batches = iter(lambda: None, 0)   # None, forever
    else:
        if not hasattr(data, "sample"):
            _check_data(data, run.models)
        order = torch.Generator().manual_seed(config.derived_seed(seed, "data order"))
        batches = batch_stream(data, require_positive("batch_size", batch_size, integer=True),
                               order, device)
    rng = torch.Generator(device=device).manual_seed(seed)
    for model in run.models:
        model.to(device).train()
    try:
        with run:
            _loop(run, update, batches, rng, start, log_every, callback, callback_every,
                  schedulers)
    finally:  # also after Ctrl-C, which goes on to stop the cell
        for model in run.models:
            model.eval()
    return run.history


def _loop(run, update, batches, rng, start, log_every, callback, callback_every,
          schedulers) -> None:
    """:func:`train`'s iterations inside its :class:`TrainingRun`."""
    sums, count, last = {}, 0, run.total - 1
    for t in run:
        out = update(next(batches), rng, start + t)
        if not isinstance(out, dict):
            raise TypeError(f"update must return a dict of scalars to log, e.g. "
                            f"{{'loss': loss}}, got {type(out).__name__}")
        values = _logged_scalars("update", out)
        if not run.check_finite(**values) or t == last and not run.check_weights():
            break
        for scheduler in schedulers:
            scheduler.step()
        for key, value in values.items():
            sums[key] = sums.get(key, 0.0) + value
        count += 1
        if count == log_every or t == last:
            run.log(start + t, **{k: v / count for k, v in sums.items()})
            sums, count = {}, 0
        if callback is not None and (t == last or (
                callback_every and (t + 1) % callback_every == 0)):
            extra = callback(start + t)
            for model in run.models:
                model.train()
            if extra:
                run.log(start + t, **extra)


def _logged_scalars(who: str, out: dict) -> dict[str, float]:
    """What ``who`` (a step, a loop) logged, as floats; ``TypeError``/``ValueError`` naming the
    key that is not one number (a string, a per-example tensor that was not averaged)."""
    values = {}
    for key, value in out.items():
        size = value.numel() if isinstance(value, torch.Tensor) else getattr(value, "size", 1)
        if isinstance(value, (str, bytes)) or value is None or not (
                isinstance(value, torch.Tensor) or hasattr(value, "__float__")):
            raise TypeError(f"{who} logged {key!r} as {value!r}; log numbers only, e.g. "
                            f"{{{key!r}: loss.item()}}")
        if size != 1:
            shape = tuple(getattr(value, "shape", ()))
            raise ValueError(f"{who} logged {key!r} as {size} values (shape {shape}); log one "
                             f"number, e.g. {key}.mean() over the batch")
        values[key] = _as_float(value)
    return values


def _check_data(data, models: list) -> None:
    """Tensors of examples (and labels) that the models can take: floating-point examples of
    the models' dtype, finite, images in [0, 1]."""
    tensors = (data,) if isinstance(data, torch.Tensor) else data
    if not isinstance(tensors, (tuple, list)) or not 1 <= len(tensors) <= 2 or not all(
            isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError("data must be None, a tensor of examples, a pair (images, labels) of "
                        "tensors or a distribution with .sample(n, generator); got "
                        f"{type(data).__name__}")
    if any(t.dim() == 0 for t in tensors) or len(tensors[0]) == 0:
        raise ValueError(f"data holds no examples (shape {tuple(tensors[0].shape)}); give at "
                         "least batch_size of them")
    if len({len(t) for t in tensors}) != 1:
        raise ValueError(f"data's images and labels differ in number: "
                         f"{[len(t) for t in tensors]}; give one label per image")
    for t in tensors:
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"data holds {int((~torch.isfinite(t)).sum())} NaN or infinite "
                             "value(s); every example must be finite")
    x = tensors[0]
    if not x.is_floating_point():
        raise TypeError(f"data must hold floating-point examples, got {x.dtype}; use "
                        "data.float() (and divide 0..255 pixels by 255)")
    dtypes = {p.dtype for m in models for p in m.parameters() if p.is_floating_point()}
    if dtypes and x.dtype not in dtypes:
        raise TypeError(f"data are {x.dtype} but the models' weights are "
                        f"{', '.join(sorted(map(str, dtypes)))}; convert one to the other, "
                        f"e.g. data.to({sorted(map(str, dtypes))[0]})")
    if x.dim() >= 3:  # images (N x C x H x W, N x H x W) are in [0, 1] like every genlib image
        require_unit_interval("data", x, "pixel values (images)")
