"""Self-checks for the notebooks' exercises.

A check runs the student's function on test inputs, compares with the reference
*without printing the reference's values*, and says "right" or what is wrong
(shape, a sign, a factor, NaN) so the student can look again::

    check_function(my_kl, gaussian_kl, cases=[(mu, logvar)], name="KL")
"""
from __future__ import annotations

from typing import Callable, Iterable

import torch


class ExerciseNotDone(NotImplementedError):
    """Raised by exercise stubs: replace ``...`` with your code."""


def _diagnose(got: torch.Tensor, want: torch.Tensor, atol: float, rtol: float) -> str | None:
    if got.shape != want.shape:
        return f"the result has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    if not torch.isfinite(got).all():
        return "the result contains NaN or Inf (a log of 0, or a division by 0?)"
    if torch.allclose(got, want, atol=atol, rtol=rtol):
        return None
    if torch.allclose(got, -want, atol=atol, rtol=rtol):
        return "the result has the wrong sign"
    ratio = (got / want)[want.abs() > 1e-6]
    if ratio.numel() and torch.allclose(ratio, ratio.mean().expand_as(ratio), rtol=1e-3):
        return f"the result is off by a constant factor of {ratio.mean().item():.3g}"
    diff = (got - want)
    if torch.allclose(diff, diff.mean().expand_as(diff), atol=atol * 10):
        return "the result is off by a constant (a missing term?)"
    return "the values differ from the correct ones"


def check_function(student: Callable, reference: Callable, cases: Iterable[tuple],
                   name: str = "your function", atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Compare ``student(*case)`` with ``reference(*case)`` for every case; print a verdict.

    Returns True when every case agrees. Never prints the reference's values.
    """
    for i, case in enumerate(cases):
        try:
            got = student(*case)
        except ExerciseNotDone:
            print(f"{name}: not done yet - write your code in place of `raise ExerciseNotDone`.")
            return False
        except Exception as exc:  # the student's bug, reported, not raised
            print(f"{name}: raised {type(exc).__name__}: {exc}")
            return False
        want = torch.as_tensor(reference(*case), dtype=torch.float64)
        got = torch.as_tensor(got, dtype=torch.float64) if got is not None else None
        if got is None:
            print(f"{name}: returned None - did you forget `return`?")
            return False
        problem = _diagnose(got, want, atol, rtol)
        if problem:
            print(f"{name}: not yet - on test case {i + 1}, {problem}.")
            return False
    print(f"{name}: right!")
    return True
