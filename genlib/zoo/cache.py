"""``cached``: train a recipe's models once, then load them (every recipe of :mod:`genlib.zoo`).

The file is ``data/checkpoints/<name>-<hash>.pt``, where the hash covers the recipe's
configuration in the current mode (quick-mode models never masquerade as full-mode ones), the
settings passed to the update step, and the step's code (:mod:`genlib.zoo.fingerprint`): its
source and every function and value of the notebook that it calls or reads. A student who
edits the step, a helper it calls or a constant it reads gets a model trained by the edit; the
unchanged step loads the model ``make pretrain`` trained with genlib's identical copy.

Where a checkpoint is looked for (see :mod:`genlib.config`): first in each read-only shared
cache of ``GENLIB_SHARED_CACHE`` (``<folder>/checkpoints/``, in the order listed), then in the
user's own ``GENLIB_CACHE``; the first file that loads is used. A load takes no lock and writes
nothing, so a class can share one folder that only the teacher may write. A shared file that
cannot be read or does not fit (another configuration, architecture or models) is ignored
with a message, never deleted. Only a miss trains, and it saves to ``GENLIB_CACHE`` alone,
holding ``<file>.lock`` there so that concurrent callers train once.

Trust. A checkpoint of the user's own cache loads only if no one else could have put it
there: the file and the cache's folders must belong to the user (or to root), and neither the
file nor the folders may be writable by everyone (a folder may be, with the sticky bit of
``/tmp``, which keeps others from replacing its files). Anything else is refused with an
:class:`UntrustedCheckpointError` saying why and what to do. Shared caches are someone else's
by design: they keep loading as described above.

Waiting. A caller that finds the lock held waits for the other process's checkpoint, saying
which process holds it and how long it has waited; it stops waiting and trains on its own
once that process has been paused (stopped) for ``PAUSED_WAIT_S`` seconds, or after
``LOCK_WAIT_S`` seconds in any case. Weights that are not finite after training are never
saved.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import stat
import time
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # Windows: no inter-process lock, concurrent callers may both train
    fcntl = None

import torch

from .. import config
from ..training.checkpoints import (CheckpointMismatchError, checkpoint_path, load_checkpoint,
                                    save_checkpoint)
from ..training.history import History
from .fingerprint import code_fingerprint, source_of


def step_source(step: Callable) -> str:
    """The source of ``step`` as written (dedented, trailing spaces dropped): what the
    single-source test compares (:func:`genlib.zoo.fingerprint.source_of`)."""
    return source_of(step)


def step_fingerprint(step: Callable) -> str:
    """``<name>:<12 hex digits>`` of the step's source and of every function and value of its
    notebook or module that it calls or reads (:func:`genlib.zoo.fingerprint.code_fingerprint`)."""
    return code_fingerprint(step)


def cached(name: str, cfg: dict, step: Callable, settings: dict,
           build: Callable[[], dict[str, torch.nn.Module]],
           fit: Callable[[dict[str, torch.nn.Module]], History],
           retrain: bool = False) -> tuple[dict[str, torch.nn.Module], History]:
    """``(models, history)``: ``build()`` the models, then load their checkpoint (from a shared
    cache, else the user's own), or train them with ``fit(models)`` and save it in the user's
    cache. Models come back on the CPU in eval mode; the history's ``config`` is the
    configuration the models were made with. ``build`` and ``fit`` may seed the global RNG and
    change grad mode or the default dtype: the caller finds all three as they were."""
    if not isinstance(retrain, bool):
        raise TypeError(f"retrain must be True or False, got {retrain!r}")
    key = {"recipe": name, **cfg, "step": step_fingerprint(step), "settings": settings}
    path = checkpoint_path(name, key)
    with _state_kept():
        models = build()
        history = None if retrain else _load_shared(name, path.name, models, key, path.parent)
        if history is None and path.exists() and not retrain:   # loading takes no lock
            history = _load(name, _trusted(name, path), models, key)
        elif history is None:
            with _locked(path):
                if path.exists() and not retrain:  # another process trained it meanwhile
                    history = _load(name, _trusted(name, path), models, key)
                else:
                    history = fit(models)
                    if history.finished and len(history) and _all_finite(name, models, history):
                        _save(name, path, models, key, history)
    for model in models.values():
        model.to("cpu").eval()
    history.config = {**cfg, **settings}
    return models, history


@contextlib.contextmanager
def _state_kept():
    """The global RNG (CPU and CUDA), grad mode and default dtype as they were, afterwards."""
    dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
    try:
        with torch.random.fork_rng():
            yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)


class UntrustedCheckpointError(PermissionError):
    """A checkpoint in the user's own cache that another user could have written."""


def _trusted(name: str, path: Path) -> Path:
    """``path``, a checkpoint of the user's own cache, once its cache folder, its
    ``checkpoints/`` folder and the file itself pass the trust rule of the module docstring."""
    me = os.geteuid() if hasattr(os, "geteuid") else None
    if me is None:  # no owners to compare (Windows)
        return path
    for item in (path.parents[1], path.parent, path):
        info = item.stat()
        is_folder = stat.S_ISDIR(info.st_mode)
        if info.st_uid not in (me, 0):
            why = f"{item} belongs to user {info.st_uid}, not to you (user {me})"
        elif info.st_mode & stat.S_IWOTH and not (is_folder and info.st_mode & stat.S_ISVTX):
            why = f"{item} can be written by every user (mode {stat.filemode(info.st_mode)})"
        else:
            continue
        fix = (f"delete it (rm '{path}') and run again to train your own" if not is_folder else
               f"make the folder yours alone (chmod o-w '{item}'), and delete the checkpoints "
               "in it that you did not train")
        raise UntrustedCheckpointError(
            f"{name}: refused {path} in your own cache: {why}, so someone else could have "
            f"written it. It is not loaded. To go on, {fix}; or set GENLIB_CACHE to a folder "
            "only you can write (e.g. ~/.cache/genlib). A class's models belong in "
            "GENLIB_SHARED_CACHE, which is meant to be someone else's.")
    return path


def _all_finite(name: str, models: dict, history: History) -> bool:
    """True if every model's floating-point weights are finite; otherwise record and say that
    the last update broke them, so the model is not saved."""
    broken = [key for key, model in models.items()
              if not all(bool(torch.isfinite(t).all()) for t in model.state_dict().values()
                         if t.is_floating_point())]
    if broken:
        history.stop_reason = (f"the weights of {broken} became NaN or infinite in an update "
                               "after the last logged loss")
        print(f"{name}: not saved: {history.stop_reason}. Try a smaller learning rate, or check "
              "the step's update for a division by 0 or a log of 0.")
    return not broken


def _load(name: str, path: Path, models: dict, key: dict, where: str = "") -> History:
    history, _ = load_checkpoint(path, models, expected_config=key)
    print(f"{name}: loaded from {where or path.relative_to(path.parents[1])}")
    return history or History(name, from_cache=True)


def _load_shared(name: str, filename: str, models: dict, key: dict,
                 own: Path) -> History | None:
    """The history of the first shared cache's ``filename`` that loads into ``models``, or
    None. Reads only; a file that fails is reported as ignored and left where it is."""
    for folder in config.shared_checkpoint_dirs():
        path, before = folder / filename, None
        try:
            if not path.is_file():
                continue
            before = {k: {n: t.clone() for n, t in m.state_dict().items()}
                      for k, m in models.items()}
            return _load(name, path, models, key, where=f"the shared cache {path}")
        except (CheckpointMismatchError, OSError) as exc:
            reason = getattr(exc, "reason", None) or f"it cannot be read ({exc})"
            print(f"{name}: ignored {path} in the shared cache: {reason}. It is left as it "
                  f"is; the model comes from your own cache {own} instead (trained and saved "
                  "there if it is not there yet)")
            if before is not None:  # a partly loaded file must not leak into the training
                for k, m in models.items():
                    m.load_state_dict(before[k])
    return None


def _save(name: str, path: Path, models: dict, key: dict, history: History) -> None:
    """Save the trained models; where that fails (a full disk, a read-only cache), say so and
    go on: the models just trained are still returned."""
    try:
        save_checkpoint(path, models, key, history)
    except OSError as exc:
        print(f"{name}: trained, but not saved to {path.parent} ({exc.strerror or exc}): the "
              "model is used now and trained again next time. Free some disk space, or set "
              "GENLIB_CACHE to a writable folder with room for it.")


LOCK_WAIT_S = 3600.0   # the longest wait for another process's training, then train here
PAUSED_WAIT_S = 30.0   # the longest wait while that process is paused (stopped)
REPORT_EVERY_S = 30.0  # how often a wait is reported


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``<path>.lock`` (which holds the holder's pid) while training;
    other processes wait for it (:func:`_wait_for`). Where the lock file cannot be made (a full
    disk, a read-only cache), or the wait is given up, train without it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(f"{path}.lock", "a") if fcntl is not None else None
    except OSError as exc:
        print(f"{path.stem}: no lock file in {path.parent} ({exc.strerror or exc}); training "
              "without one")
        lock = None
    if lock is None:
        yield
        return
    with lock:  # closing the file releases the lock
        if _wait_for(lock, path):
            os.ftruncate(lock.fileno(), 0)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
        yield


def _wait_for(lock, path: Path) -> bool:
    """True once this process holds ``lock``; False when it gave up waiting (the holder paused
    for ``PAUSED_WAIT_S``, or ``LOCK_WAIT_S`` passed), having said so."""
    start, paused_since, report = time.monotonic(), None, 0.0
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        now = time.monotonic()
        holder = _holder(Path(lock.name))
        who = f"process {holder}" if holder else "another process"
        paused = holder is not None and _is_paused(holder)
        paused_since = (paused_since or now) if paused else None
        if paused_since is not None and now - paused_since >= PAUSED_WAIT_S or \
                now - start >= LOCK_WAIT_S:
            why = (f"{who} is paused (stopped) and has not moved for {now - paused_since:.0f} s"
                   if paused_since is not None else f"{who} still holds it")
            print(f"{path.stem}: gave up waiting after {now - start:.0f} s: {why}; training it "
                  "here instead (whichever finishes last saves the same model)")
            return False
        if now - start >= report:
            print(f"{path.stem}: {who}{' (paused)' if paused else ''} is training it; waited "
                  f"{now - start:.0f} s for its checkpoint (at most {LOCK_WAIT_S:.0f} s, "
                  f"{PAUSED_WAIT_S:.0f} s while it is paused)")
            report += REPORT_EVERY_S
        time.sleep(0.2)


def _holder(lock_path: Path) -> int | None:
    """The pid written in a lock file, or None (unreadable, or written by an older genlib)."""
    try:
        text = lock_path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _is_paused(pid: int) -> bool:
    """True if process ``pid`` is stopped (SIGSTOP, Ctrl-Z, a debugger): Linux's /proc."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("T", "t")
