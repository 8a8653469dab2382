"""Saving and loading trained models, keyed by what produced them.

A checkpoint's file name carries a hash of its *configuration* (model class and
hyper-parameters, data set, epochs, seed, ...), so a changed recipe never loads a
stale model. Files are written to a temporary name and renamed when complete,
and loaded with ``torch.load(..., weights_only=True)``: no pickled code runs.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from .. import config
from .history import History


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into; ``reason`` says why, without
    the advice on what to do that the message adds."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


def _is_shared(path: Path) -> bool:
    """True for a file in a ``GENLIB_SHARED_CACHE`` folder, or in a folder this user cannot
    change: a file that is not theirs to delete."""
    folder = path.parent
    if not os.access(folder, os.W_OK):
        return True
    try:
        where = folder.resolve()
        return any(where == shared.resolve() for shared in config.shared_checkpoint_dirs())
    except OSError:
        return True


def _advice(path: Path) -> str:
    """What to do about a checkpoint that cannot be loaded: delete it only where it is the
    user's own; a shared one is left alone (the recipes skip it)."""
    if _is_shared(path):
        return ("it is in a shared or read-only cache, not yours to change: leave it there; "
                "genlib's recipes skip it and train the model in your own cache "
                f"({config.checkpoint_dir()}); tell whoever keeps that folder")
    return "delete it and run again to retrain"


def config_key(cfg: dict) -> str:
    """A short, stable hash of a JSON-able configuration."""
    text = json.dumps(cfg, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def checkpoint_path(name: str, cfg: dict, folder: Path | None = None) -> Path:
    """``<data>/checkpoints/<name>-<hash of cfg>.pt``."""
    folder = Path(folder) if folder is not None else config.checkpoint_dir()
    return folder / f"{name}-{config_key(cfg)}.pt"


def save_checkpoint(path: Path, models: dict[str, torch.nn.Module], cfg: dict,
                    history: History | None = None, extra: dict | None = None) -> Path:
    """Atomically write the models' weights, the configuration and the history to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": json.loads(json.dumps(cfg, default=str)),
        "models": {name: m.state_dict() for name, m in models.items()},
        "history": history.state_dict() if history is not None else None,
        "extra": extra or {},
    }
    _remove_stale_temporaries(path)
    buffer = io.BytesIO()  # serialised in memory, so a full disk raises a plain OSError
    torch.save(payload, buffer)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(buffer.getbuffer())
            file.flush()
            os.fsync(file.fileno())               # on disk before the rename makes it visible
        os.chmod(tmp, 0o666 & ~_umask())          # readable by others, as the umask allows
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


STALE_TMP_S = 3600.0  # a temporary file this old was left by a killed process


def _remove_stale_temporaries(path: Path) -> None:
    """Remove ``<name>*.tmp`` files next to ``path`` that a killed save left (an hour old)."""
    now = time.time()
    for tmp in path.parent.glob(f"{path.name}*.tmp"):
        try:
            if now - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_checkpoint(path: Path, models: dict[str, torch.nn.Module], map_location="cpu",
                    expected_config: dict | None = None) -> tuple[History | None, dict]:
    """Load weights into ``models`` (same keys as saved); return ``(history, extra)``.
    Reading needs no write access to the file or its folder.

    Raises :class:`CheckpointMismatchError` when the file holds other models, tensors of
    other shapes, or (given ``expected_config``) another configuration, with the file's name
    and what to do: delete it if it is the user's own, leave it if it is in a shared or
    read-only folder (see :mod:`genlib.config` for the search order).
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated or foreign file
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = ("it cannot be read, or is not a complete checkpoint "
                  f"({type(exc).__name__}: {lines[-1][:160] if lines else 'no details'})")
        raise CheckpointMismatchError(f"cannot read checkpoint {path}: {reason}; "
                                      f"{_advice(path)}", reason) from exc
    saved = payload.get("models", {}) if isinstance(payload, dict) else {}
    if expected_config is not None:
        wanted = json.loads(json.dumps(expected_config, default=str))
        if payload.get("config") != wanted:
            differ = sorted(k for k in set(wanted) | set(payload.get("config") or {})
                            if (payload.get("config") or {}).get(k) != wanted.get(k))
            raise CheckpointMismatchError(
                f"checkpoint {path} was saved for another configuration (differs in {differ}); "
                "it is not loaded. Train anew with retrain=True",
                f"it was saved for another configuration (differs in {differ})")
    if set(saved) != set(models):
        raise CheckpointMismatchError(
            f"checkpoint {path} holds models {sorted(saved)}, expected {sorted(models)}; "
            f"{_advice(path)}", f"it holds models {sorted(saved)}, expected {sorted(models)}")
    for name in models:   # a file genlib did not write, or weights that diverged
        state = saved[name]
        if not isinstance(state, dict) or not all(
                isinstance(t, torch.Tensor) and (not t.is_floating_point()
                                                 or bool(torch.isfinite(t).all()))
                for t in state.values()):
            raise CheckpointMismatchError(
                f"checkpoint {path} holds NaN, infinite or malformed weights for '{name}'; it "
                f"is not loaded: {_advice(path)}", f"its weights for '{name}' are not finite")
    history = payload.get("history")
    if history is not None and not (isinstance(history, dict) and all(
            isinstance(history.get(key, {}), dict) for key in ("metrics", "steps"))):
        raise CheckpointMismatchError(
            f"checkpoint {path} holds a history genlib does not write "
            f"({type(history).__name__}); it is not loaded: {_advice(path)}",
            "its history is malformed")
    for name, model in models.items():
        try:
            model.load_state_dict(saved[name])
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            advice = _advice(path)
            raise CheckpointMismatchError(
                f"checkpoint {path} does not fit {type(model).__name__} '{name}' "
                f"({first}); it was saved from another architecture. "
                f"{advice[0].upper()}{advice[1:]}",
                f"it does not fit {type(model).__name__} '{name}' (another architecture)") from exc
    return (History.from_state_dict(history) if history else None), payload.get("extra", {})
