"""Train once, reuse everywhere: named recipes for every model the collection trains.

A recipe is a function ``build(cfg) -> (models, train)``: it builds the modules
and returns a zero-argument ``train()`` that trains them and returns a History.
``pretrained(name)`` looks for ``data/checkpoints/<name>-<hash>.pt`` first, where
the hash covers the recipe's configuration *in the current mode* (quick-mode
models never masquerade as full-mode ones), and trains and saves on a miss::

    models, history = zoo.pretrained("dcgan")
    generator = models["generator"]

``python -m genlib.zoo`` (``make pretrain``) trains every full-mode recipe once, with the
variants (settings overridden) that the notebooks ask for.
"""
from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # Windows: no inter-process lock, concurrent callers may both train
    fcntl = None

import torch

from .. import config
from ..training.checkpoints import checkpoint_path, load_checkpoint, save_checkpoint
from ..training.history import History

_RECIPES: dict[str, "Recipe"] = {}
# modules that register recipes when imported (each track adds its own file)
_RECIPE_MODULES = ["gan", "vae", "classifier", "hybrid"]


@dataclass
class Recipe:
    name: str
    build: Callable[[dict], tuple[dict[str, torch.nn.Module], Callable[[], History]]]
    config: Callable[[], dict]  # the configuration in the current mode
    description: str = ""
    # the overrides the notebooks use besides the default, e.g. [{"beta": 4.0}] (current mode)
    variants: Callable[[], list[dict]] | None = None


def register(name: str, config_fn: Callable[[], dict], description: str = "",
             variants: Callable[[], list[dict]] | None = None):
    """Decorator: ``@register("dcgan", lambda: {...})`` over a ``build(cfg)`` function.
    ``variants()`` lists the overrides that notebooks pass to ``pretrained(name, ...)``, so
    that :func:`pretrain_all` trains those too."""
    def wrap(build):
        _RECIPES[name] = Recipe(name, build, config_fn, description, variants)
        return build
    return wrap


def _load_all() -> None:
    for module in _RECIPE_MODULES:
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module}":
                raise


def names() -> list[str]:
    """Every registered recipe."""
    _load_all()
    return sorted(_RECIPES)


def recipe_config(name: str, **overrides) -> dict:
    """The configuration ``pretrained(name, **overrides)`` would use."""
    _load_all()
    if name not in _RECIPES:
        raise KeyError(f"unknown recipe {name!r}; known recipes: {', '.join(sorted(_RECIPES))}")
    cfg = dict(_RECIPES[name].config())
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise KeyError(f"recipe {name!r} has no settings {sorted(unknown)}; it has {sorted(cfg)}")
    cfg.update(overrides)
    cfg["recipe"] = name
    return cfg


def pretrained(name: str, retrain: bool = False, **overrides):
    """``(models, history)`` for recipe ``name``: loaded from the cache, or trained and saved.

    ``overrides`` change the recipe's settings (and so the cache key). ``retrain=True``
    ignores a cached file. Models come back on the CPU in eval mode.
    Two processes asking for the same recipe at once do not both train: the second
    waits for the first (a lock file next to the checkpoint) and then loads its result.
    """
    cfg = recipe_config(name, **overrides)
    models, train = _RECIPES[name].build(cfg)
    path = checkpoint_path(name, cfg)
    with _locked(path):
        if path.exists() and not retrain:
            history, _ = load_checkpoint(path, models)
            print(f"{name}: loaded from {path.relative_to(path.parents[1])}")
        else:
            history = train()
            if history.finished:
                save_checkpoint(path, models, cfg, history)
    for model in models.values():
        model.to("cpu").eval()
    return models, history


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``<path>.lock`` while the block runs; others wait for it."""
    if fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:  # closing the file releases the lock
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{path.stem}: another process is training it; waiting for its checkpoint")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def pretrain_plan(only: list[str] | None = None) -> list[tuple[str, dict]]:
    """``(name, overrides)`` of every model :func:`pretrain_all` trains: each recipe's
    default configuration and its variants."""
    _load_all()
    plan, seen = [], set()
    for name in only or names():
        if name not in _RECIPES:
            raise KeyError(f"unknown recipe {name!r}; known recipes: {', '.join(names())}")
        variants = _RECIPES[name].variants
        for overrides in [{}] + (variants() if variants else []):
            path = checkpoint_path(name, recipe_config(name, **overrides))
            if path not in seen:  # a variant equal to the default is trained once
                seen.add(path)
                plan.append((name, overrides))
    return plan


def pretrain_all(only: list[str] | None = None) -> None:
    """Train (or confirm cached) every recipe in the current mode, with its variants."""
    for name, overrides in pretrain_plan(only):
        settings = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        print(f"== {name}{f' ({settings})' if settings else ''} ({config.mode()} mode)")
        pretrained(name, **overrides)
