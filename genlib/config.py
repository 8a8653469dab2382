"""Run settings shared by every notebook: quick or full mode, seeds, device, folders.

Quick mode (``GENLIB_QUICK=1``, set by CI) shrinks every training run so that a
notebook executes in about a minute on two CPU cores. Full mode is the default
for people: it trains the models properly (once; see :mod:`genlib.zoo`).
"""
from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is 1, true, yes or on (any case)."""
    return os.environ.get(name, "").strip().lower() in _TRUE


def is_quick() -> bool:
    """True when the environment asks for quick mode (``GENLIB_QUICK=1``)."""
    return env_flag("GENLIB_QUICK")


def mode() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


def choose(quick: T, full: T) -> T:
    """The value for the current mode: ``epochs = choose(quick=1, full=20)``."""
    return quick if is_quick() else full


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a ``torch.Generator`` seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


DEVICE_TYPES = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def get_device(prefer: str | None = None) -> torch.device:
    """The device to train on: ``prefer`` or ``GENLIB_DEVICE`` if given (any case, spaces
    ignored: ``cpu``, ``cuda``, ``cuda:1``, ``mps``), else cuda, then mps, then cpu.

    Raises ``ValueError`` naming the setting when it is not one of those, or names a device
    this machine does not have."""
    source = "prefer" if prefer else "GENLIB_DEVICE"
    name = (prefer or os.environ.get("GENLIB_DEVICE") or "").strip().lower()
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in DEVICE_TYPES:
        raise ValueError(f"{source}={name!r} is not a device genlib trains on; use one of "
                         f"{', '.join(DEVICE_TYPES)} (or cuda:N), or unset {source} to choose "
                         "automatically")
    if device.type == "cuda" and not (torch.cuda.is_available()
                                      and (device.index or 0) < torch.cuda.device_count()):
        raise ValueError(f"{source}={name!r}, but torch sees no such CUDA device here "
                         f"({torch.cuda.device_count()} found; torch {torch.__version__}); "
                         "unset it, or use cpu")
    if device.type == "mps" and not _mps_available():
        raise ValueError(f"{source}={name!r}, but Apple's MPS is not available here; unset it, "
                         "or use cpu")
    return device


# torch's own choice at start-up (one thread per physical core), before anything changes it
_STARTUP_THREADS = torch.get_num_threads()


def training_threads() -> int:
    """How many intra-op CPU threads the notebooks train image models with.

    Quick mode: 1, because the test suite runs two notebooks at once (one per core) and its
    small batches gain nothing from a second thread. Full mode: ``GENLIB_THREADS`` if set,
    else every core torch found at start-up, so a laptop's cores all work on the full-size
    training runs. Use: ``torch.set_num_threads(config.training_threads())``.
    """
    if is_quick():
        return 1
    value = os.environ.get("GENLIB_THREADS", "").strip()
    if not value:
        return _STARTUP_THREADS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"GENLIB_THREADS must be a whole number >= 1, got {value!r}; "
                         "unset it to use every core")
    return int(value)


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` intra-op CPU threads, then restore the previous number.

    For tiny models (a 1-D toy GAN, a 2-D posterior) every operation is so small that a second
    thread only adds synchronisation; on a busy machine it can make them ten times slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def project_root() -> Path:
    """The repository's top folder (the one holding ``genlib/`` and ``notebooks/``)."""
    return Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """Where downloads and checkpoints are cached: ``GENLIB_CACHE`` or ``<project>/data``."""
    env = os.environ.get("GENLIB_CACHE")
    return Path(env).expanduser() if env else project_root() / "data"


def checkpoint_dir() -> Path:
    """``<data root>/checkpoints``: trained models, keyed by their configuration."""
    return data_root() / "checkpoints"


def describe() -> str:
    """One line per setting, for the environment check of ``00_start_here``."""
    threads = torch.get_num_threads()
    return "\n".join([
        f"mode:    {mode()} (set GENLIB_QUICK=1 for quick mode)",
        f"device:  {get_device()}",
        f"torch:   {torch.__version__} ({threads} CPU threads)",
        f"cache:   {data_root()}",
    ])
