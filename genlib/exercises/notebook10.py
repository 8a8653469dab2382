"""The exercises of notebook 10 (spot the bug): the broken training steps, checked by
:func:`genlib.pitfalls.check_fix`."""
from __future__ import annotations

from .framework import Exercise


def _fix_checker(task: str):
    def checker(answer, name, quiet=False):
        from ..pitfalls import check_fix
        return check_fix(answer, task, name=name, quiet=quiet)
    return checker


EXERCISES = [
    *(Exercise(f"10.{i}", "fix", f"bug {i}", f"step_{i}", _fix_checker(task))
      for i, task in enumerate(["gan"] * 5 + ["vae"], 1)),
]
