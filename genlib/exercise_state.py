"""The global state of a session that a student's answer can change, and putting it back.

An answer runs in the student's own kernel, so ``torch.set_grad_enabled(False)``,
``torch.set_default_dtype(torch.float64)`` or ``torch.set_num_threads(1)`` left in it would stay for
every later cell of the notebook, and could make the check itself fail. A self-check therefore
runs in an :func:`answer_session`: the check starts from a known state (gradients on, float32
by default, tensors made on the CPU), every call of the answer goes through :class:`Watched`,
which puts back whatever the call changed and notes it in words, and at the end the session's
state, random number generator included, is exactly what it was before the check.

Drawing random numbers is what several answers must do, so the global random number generator
is restored but not reported.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from typing import Callable, Iterator

import torch


@dataclass(frozen=True)
class SessionState:
    """The settings of torch that an answer could change for the rest of a session."""
    grad_enabled: bool
    default_dtype: torch.dtype
    default_device: str
    threads: int
    deterministic: bool
    deterministic_warn_only: bool
    anomaly_detection: bool


def current() -> SessionState:
    """The session's state now."""
    return SessionState(
        grad_enabled=torch.is_grad_enabled(),
        default_dtype=torch.get_default_dtype(),
        default_device=str(torch.get_default_device()),
        threads=torch.get_num_threads(),
        deterministic=torch.are_deterministic_algorithms_enabled(),
        deterministic_warn_only=torch.is_deterministic_algorithms_warn_only_enabled(),
        anomaly_detection=torch.is_anomaly_enabled(),
    )


def restore(state: SessionState) -> None:
    """Set every setting of ``state`` (only those that differ, so that nothing else moves)."""
    now = current()
    if now.grad_enabled != state.grad_enabled:
        torch.set_grad_enabled(state.grad_enabled)
    if now.default_dtype != state.default_dtype:
        torch.set_default_dtype(state.default_dtype)
    if now.default_device != state.default_device:
        torch.set_default_device(state.default_device)
    if now.threads != state.threads:
        torch.set_num_threads(state.threads)
    if (now.deterministic, now.deterministic_warn_only) != (state.deterministic,
                                                            state.deterministic_warn_only):
        torch.use_deterministic_algorithms(state.deterministic,
                                           warn_only=state.deterministic_warn_only)
    if now.anomaly_detection != state.anomaly_detection:
        torch.set_anomaly_enabled(state.anomaly_detection)


_WHAT = {
    "grad_enabled": lambda before, after: ("turned gradient tracking off (torch.set_grad_enabled)"
                                           if before else "turned gradient tracking on"),
    "default_dtype": lambda before, after: f"changed the default dtype from {before} to {after}",
    "default_device": lambda before, after: f"changed the default device from {before} to {after}",
    "threads": lambda before, after: "changed the number of threads torch uses (torch.set_num_threads)",
    "deterministic": lambda before, after: "switched deterministic algorithms "
                                           f"{'on' if after else 'off'}",
    "deterministic_warn_only": lambda before, after: "changed whether non-deterministic "
                                                     "operations only warn",
    "anomaly_detection": lambda before, after: "switched autograd's anomaly detection "
                                               f"{'on' if after else 'off'}",
}


def describe(before: SessionState, after: SessionState) -> list[str]:
    """What changed from ``before`` to ``after``, one phrase per setting."""
    return [_WHAT[f.name](getattr(before, f.name), getattr(after, f.name)) for f in fields(before)
            if getattr(before, f.name) != getattr(after, f.name)]


class Watched:
    """``answer``, called so that whatever a call changes in the session is put back and noted
    in ``changes`` (phrases, each once). ``__wrapped__`` is the answer itself."""

    def __init__(self, answer: Callable, changes: list[str]):
        self.__wrapped__ = answer
        self.changes = changes

    def __call__(self, *args, **kwargs):
        before = current()
        try:
            return self.__wrapped__(*args, **kwargs)
        finally:
            after = current()
            if after != before:
                self.changes.extend(p for p in describe(before, after) if p not in self.changes)
                restore(before)


KNOWN = dict(grad_enabled=True, default_dtype=torch.float32, default_device="cpu")


@contextlib.contextmanager
def answer_session() -> Iterator[list[str]]:
    """Run a check from a known state and leave the session as it was; yields the list that
    :class:`Watched` fills with what the answer changed."""
    outer = current()
    changes: list[str] = []
    try:
        with torch.random.fork_rng(devices=[]):   # the notebook's random numbers stay its own
            restore(SessionState(**{**outer.__dict__, **KNOWN}))
            yield changes
    finally:
        restore(outer)


def with_changes(message: str, changes: list[str]) -> str:
    """``message``, followed by what the answer changed in the session, if anything."""
    if not changes:
        return message
    return (f"{message} Note: your function {'; '.join(changes)}. The check put this back; "
            "in a notebook such a change would stay for every later cell, so undo it inside "
            "your function (or use a `with` block).")
