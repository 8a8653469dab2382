"""Run settings shared by every notebook: quick or full mode, seeds, device, folders.

Quick mode (``GENLIB_QUICK=1``, set by CI) shrinks every training run so that a
notebook executes in about a minute on two CPU cores. Full mode is the default
for people: it trains the models properly (once; see :mod:`genlib.zoo`).

Folders. ``GENLIB_CACHE`` is the writable cache (default ``<project>/data``): downloads, and
trained models in its ``checkpoints/``. ``GENLIB_SHARED_CACHE`` lists read-only caches laid
out the same way (one or more folders separated by ``os.pathsep``, ``:`` on Linux), e.g. the
one a teacher filled with ``make pretrain`` for a whole class. A recipe looks for its
checkpoint in this order and loads the first one that fits:

1. ``<each GENLIB_SHARED_CACHE folder>/checkpoints/``, in the order listed; loading from there
   never writes (no lock, no file), and a file there that is corrupt or does not fit is
   ignored with a message, never deleted;
2. ``<GENLIB_CACHE>/checkpoints/``, the user's own cache;
3. none found: the model is trained and saved in ``<GENLIB_CACHE>/checkpoints/`` only.

``retrain=True`` skips both searches and trains into ``GENLIB_CACHE``.

Paths in both variables may start with ``~`` (the home folder; an error names the variable when
the home folder is unknown). A relative path is taken relative to the project folder (the
checkout holding ``genlib/`` and ``notebooks/``), so ``make pretrain`` at the top and a kernel in
``notebooks/`` use one cache; without a checkout (genlib installed as a package), relative to
the home folder. A shared folder that does not exist or is a file is named once, in a warning.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import random
import warnings
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from .checks import require_seed

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is 1, true, yes or on, False when it is
    unset, empty, 0, false, no or off (any case, spaces ignored). Anything else raises
    ``ValueError`` naming the variable: ``GENLIB_QUICK=2`` is a mistake, not full mode."""
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        raise ValueError(f"{name}={os.environ[name]!r} is not a yes/no setting; use 1, true, "
                         f"yes or on to switch it on, 0, false, no, off or empty (or unset it) "
                         "to switch it off")
    return False


def is_quick() -> bool:
    """True when the environment asks for quick mode (``GENLIB_QUICK=1``; a value that is not
    yes/no, such as ``2``, raises ``ValueError``: see :func:`env_flag`)."""
    return env_flag("GENLIB_QUICK")


def mode() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


def choose(quick: T, full: T) -> T:
    """The value for the current mode: ``epochs = choose(quick=1, full=20)``."""
    return quick if is_quick() else full


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a ``torch.Generator`` seeded the same way.
    ``seed`` is a whole number from 0 to 2**63 - 1 (not a bool, a float or a string)."""
    seed = require_seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def derived_seed(seed: int, purpose: str) -> int:
    """A seed for one ``purpose`` of a run seeded with ``seed``: the first 63 bits of
    sha256(f"{seed}:{purpose}"), so that two purposes of one run (the data order and the
    step's noise, say) never draw the same numbers, and the same run always draws the same."""
    seed = require_seed("seed", seed)
    if not isinstance(purpose, str) or not purpose:
        raise TypeError(f"purpose must be a non-empty string such as 'data order', got {purpose!r}")
    digest = hashlib.sha256(f"{seed}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


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
    small batches gain nothing from a second thread. Full mode: ``GENLIB_THREADS`` if set (a
    whole number from 1 to 4 x the CPUs; anything else raises ``ValueError``), else every core
    torch found at start-up, so a laptop's cores all work on the full-size training runs.
    Use: ``torch.set_num_threads(config.training_threads())``.
    """
    if is_quick():
        return 1
    value = os.environ.get("GENLIB_THREADS", "").strip()
    if not value:
        return _STARTUP_THREADS
    cores = os.cpu_count() or _STARTUP_THREADS
    most = 4 * cores  # beyond the cores, threads only wait for each other
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= most:
        raise ValueError(f"GENLIB_THREADS must be a whole number from 1 to {most} (4 x the "
                         f"{cores} CPUs of this machine), got {value!r}; unset it to use every "
                         "core")
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


def _in_checkout() -> bool:
    return (project_root() / "pyproject.toml").is_file()


def _folder_setting(variable: str, value: str) -> Path:
    """The folder ``value`` of the environment variable ``variable`` names, as an absolute path:
    ``~`` expanded, a relative path taken from the project folder (from the home folder
    without a checkout). ``ValueError`` naming ``variable`` when the home folder is unknown."""
    try:
        path = Path(value).expanduser()
        base = project_root() if _in_checkout() or path.is_absolute() else Path.home()
    except RuntimeError:  # HOME unset and no entry for this user in the password file
        raise ValueError(f"{variable}={value!r} needs the home folder, but it is unknown here "
                         f"(HOME is not set and user {os.getuid()} has no home in the password "
                         f"file); set HOME, or set {variable} to an absolute folder") from None
    return base / path


def data_root() -> Path:
    """Where downloads and checkpoints are cached: ``GENLIB_CACHE``, else ``<project>/data`` in
    a checkout of the collection, else (genlib installed as a package, as on Colab) the user's
    cache folder ``$XDG_CACHE_HOME/genlib`` (``~/.cache/genlib``). ``ValueError`` naming
    ``GENLIB_CACHE`` when it names something that is not a folder."""
    env = os.environ.get("GENLIB_CACHE")
    if not env:
        if _in_checkout():
            return project_root() / "data"
        return _folder_setting("GENLIB_CACHE", os.environ.get("XDG_CACHE_HOME")
                               or "~/.cache") / "genlib"
    root = _folder_setting("GENLIB_CACHE", env)
    if root.exists() and not root.is_dir():
        raise ValueError(f"GENLIB_CACHE={env!r} is a file, not a folder; point it at a folder "
                         "(it is created if missing), or unset it to use <project>/data")
    return root


def checkpoint_dir() -> Path:
    """``<data root>/checkpoints``: trained models, keyed by their configuration. The only
    checkpoint folder genlib writes to."""
    return data_root() / "checkpoints"


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def shared_cache_roots() -> list[Path]:
    """The read-only caches of ``GENLIB_SHARED_CACHE`` (folders separated by ``os.pathsep``;
    empty entries are skipped), in the order listed; ``[]`` when it is unset. An entry that
    does not exist or is a file is named in a warning (once): nothing loads from it."""
    roots = []
    for entry in os.environ.get("GENLIB_SHARED_CACHE", "").split(os.pathsep):
        if not entry.strip():
            continue
        root = _folder_setting("GENLIB_SHARED_CACHE", entry.strip())
        problem = ("does not exist" if not root.exists() else
                   "is a file, not a folder" if not root.is_dir() else "")
        if problem:
            _warn_once(f"GENLIB_SHARED_CACHE lists {root}, which {problem} (a typo, or a volume "
                       "not mounted?): nothing loads from it, and a model found in no other "
                       "cache is trained in your own cache instead; fix or remove the entry")
        roots.append(root)
    return roots


def shared_checkpoint_dirs() -> list[Path]:
    """``<folder>/checkpoints`` of each shared cache, searched before :func:`checkpoint_dir`
    (which is left out if listed too, so a folder is never both shared and writable)."""
    own = checkpoint_dir().resolve()
    dirs = []
    for root in shared_cache_roots():
        folder = root / "checkpoints"
        if folder.resolve() != own and folder not in dirs:
            dirs.append(folder)
    return dirs


def describe() -> str:
    """One line per setting, for the environment check of ``00_start_here``."""
    from . import __version__   # the course release the notebook runs with
    threads = torch.get_num_threads()
    return "\n".join([
        f"genlib:  {__version__}",
        f"mode:    {mode()} " + ("(unset GENLIB_QUICK or set it to 0 for full mode)" if is_quick()
                                  else "(set GENLIB_QUICK=1 for quick mode)"),
        f"device:  {get_device()}",
        f"torch:   {torch.__version__} ({threads} CPU threads)",
        f"cache:   {shown_path(data_root())}",
    ] + [f"shared:  {shown_path(root)} (read only, searched first)" for root in shared_cache_roots()])


def shown_path(path: Path) -> str:
    """``path`` as its reader finds it from the working folder: ``../data`` from ``notebooks/``
    (so a notebook's output names no folder of the computer that ran it), ``~/...`` below the
    home folder, else in full."""
    path = Path(path).absolute()
    relative = os.path.relpath(path)
    if not relative.startswith(os.path.join("..", "..")):
        return relative
    home = Path.home()
    return f"~{os.sep}{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
