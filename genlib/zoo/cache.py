"""``cached``: train a recipe's models once, then load them (every recipe of :mod:`genlib.zoo`).

The file is ``data/checkpoints/<name>-<hash>.pt``, where the hash covers the recipe's
configuration in the current mode (quick-mode models never masquerade as full-mode ones), the
settings passed to the update step, and the *source* of the step: a student who edits the
step in a notebook gets a model trained by the edit, and the unchanged step loads the model
``make pretrain`` trained with genlib's identical copy.
"""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import textwrap
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # Windows: no inter-process lock, concurrent callers may both train
    fcntl = None

import torch

from ..training.checkpoints import checkpoint_path, load_checkpoint, save_checkpoint
from ..training.history import History


def step_source(step: Callable) -> str:
    """The source of ``step`` as written (dedented, trailing spaces dropped): what the cache
    key and the single-source test compare. Works for functions defined in notebook cells."""
    try:
        source = inspect.getsource(step)
    except (OSError, TypeError) as exc:
        raise ValueError(f"cannot read the source of step {step!r}; define it with `def` in a "
                         "notebook cell or a module") from exc
    return "\n".join(line.rstrip() for line in textwrap.dedent(source).strip().splitlines())


def step_fingerprint(step: Callable) -> str:
    """``<name>:<12 hex digits of the source's sha256>``."""
    digest = hashlib.sha256(step_source(step).encode()).hexdigest()[:12]
    return f"{step.__name__}:{digest}"


def configure(defaults: dict, step: Callable, step_defaults: dict,
              overrides: dict) -> tuple[dict, dict]:
    """Split ``overrides`` into the recipe's configuration and the step's settings.

    The settings are every keyword argument of the step: its defaults, then the recipe's
    ``step_defaults``, then any override the step takes as a parameter (``beta=4.0`` for
    ``vae_step``). Any other override must be a key of ``defaults``. A number given as an int
    where the default is a float becomes a float, so ``beta=4`` and ``beta=4.0`` are one model.
    """
    params = inspect.signature(step).parameters
    settings = {name: p.default for name, p in params.items()
                if p.default is not inspect.Parameter.empty and name != "t"}
    settings.update({k: v for k, v in step_defaults.items() if k in params})
    cfg = dict(defaults)
    for key, value in overrides.items():
        target = settings if key in params else cfg
        if key not in target:
            raise KeyError(f"no setting {key!r}: the recipe has {sorted(cfg)} and "
                           f"{step.__name__} takes {sorted(settings)}")
        default = target[key]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif isinstance(default, (int, float)) and not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a number like its default {default!r}, got {value!r}")
        target[key] = value
    return cfg, settings


def cached(name: str, cfg: dict, step: Callable, settings: dict,
           build: Callable[[], dict[str, torch.nn.Module]],
           fit: Callable[[dict[str, torch.nn.Module]], History],
           retrain: bool = False) -> tuple[dict[str, torch.nn.Module], History]:
    """``(models, history)``: ``build()`` the models, then load their checkpoint, or train them
    with ``fit(models)`` and save it. Models come back on the CPU in eval mode; the history's
    ``config`` is the configuration the models were made with."""
    key = {"recipe": name, **cfg, "step": step_fingerprint(step), "settings": settings}
    models = build()
    path = checkpoint_path(name, key)
    if path.exists() and not retrain:   # loading takes no lock: a read-only cache works
        history = _load(name, path, models, key)
    else:
        with _locked(path):
            if path.exists() and not retrain:  # another process trained it meanwhile
                history = _load(name, path, models, key)
            else:
                history = fit(models)
                if history.finished and len(history):
                    save_checkpoint(path, models, key, history)
    for model in models.values():
        model.to("cpu").eval()
    history.config = {**cfg, **settings}
    return models, history


def _load(name: str, path: Path, models: dict, key: dict) -> History:
    history, _ = load_checkpoint(path, models, expected_config=key)
    print(f"{name}: loaded from {path.relative_to(path.parents[1])}")
    return history or History(name, from_cache=True)


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``<path>.lock`` while training; other processes wait for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    with open(f"{path}.lock", "a") as lock:  # closing the file releases the lock
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{path.stem}: another process is training it; waiting for its checkpoint")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
