"""Self-checks for the notebooks' exercises.

``check("05.2", my_beta_vae_loss)`` runs your answer to exercise 2 of notebook 05 on test cases
built here, compares its results with the right ones stored as numbers (``exercise_expected.json``,
written from independent references that are not part of the package: the library's objective
or metric, SciPy, a simulation, the layer itself) and prints a verdict:

* "right!" when every case agrees;
* otherwise the case that failed, described in words, and what kind of mistake it looks like:
  a shape, NaN or Inf, the wrong sign, a result that is not a real tensor or number, and for a
  tensor of several values one common factor or one common offset. Some frequent mistakes are
  named (the discriminator's loss where the generator's is asked for, a KL with the wrong sign),
  from their stored results. A verdict never holds a value, factor or difference from which the
  right result could be recovered.

Where one value cannot tell right from wrong, the check tests behaviour: the gradient
penalty's gradient must reach the critic's weights, at points between real and generated
examples with one random eps each (04.2); posterior samples are judged by their distribution,
whatever random number generator (rng) drew them (06.2); a fixed training step must still train
the model it fixes (notebook 10, :func:`genlib.pitfalls.check_fix`). genlib's own functions are
refused as answers.

A check runs in an :func:`genlib.exercise_state.answer_session`: whatever the answer changes in
the session (gradient mode, default dtype or device, threads, deterministic algorithms, the
global random number generator) is put back afterwards, and the verdict says what was changed.

Every exercise of the notebooks is registered in ``EXERCISES``: its key is the notebook's number
and the exercise's ("02.3"), matching the heading "### Exercise 3" of notebook 02 ("### Bug 3" in
notebook 10). The framework is :mod:`genlib.exercises.framework`; each notebook's exercises are in
``genlib/exercises/notebookNN.py``.
"""
from __future__ import annotations

from typing import Callable

from ..exercise_state import Watched, answer_session, with_changes
from . import (notebook00, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06,
               notebook07, notebook08, notebook09, notebook10, notebook11, notebook12)
from .framework import (NOT_DONE, Case, Exercise, ExerciseNotDone, Mistake, Verdict, _fresh,
                        announce, build, check_function, judge, refusal)

__all__ = ["EXERCISES", "Case", "Exercise", "ExerciseNotDone", "Mistake", "NOT_DONE", "Verdict",
           "build_cases", "check", "check_function", "judge", "refusal"]

_NOTEBOOKS = (notebook00, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06,
              notebook07, notebook08, notebook09, notebook10, notebook11, notebook12)

EXERCISES: dict[str, Exercise] = {
    e.key: e for e in sorted((e for module in _NOTEBOOKS for e in module.EXERCISES),
                             key=lambda e: (e.key[:2], int(e.key[3:])))}


def build_cases(key: str) -> list[Case]:
    """The test cases of exercise ``key`` whose right results are stored, built as the check
    builds them."""
    exercise = EXERCISES.get(key)
    if exercise is None or exercise.cases is None:
        stored = sorted(k for k, e in EXERCISES.items() if e.cases is not None)
        raise ValueError(f"key {key!r} has no stored test cases: the keys are {', '.join(stored)}")
    return build(exercise.cases)


def check(key: str, answer: Callable, quiet: bool = False, **context) -> Verdict:
    """Check ``answer`` to exercise ``key`` ("NN.k": notebook NN, exercise k) and print a
    verdict sentence; ``context`` passes what a check can use from the notebook (06.2: the
    notebook's trained ``vae`` and an image ``x``). What the answer changes in the session is
    put back, and the verdict says so."""
    exercise = EXERCISES.get(key)
    if exercise is None or exercise.checker is None:
        coded = sorted(k for k, e in EXERCISES.items() if e.checker is not None)
        raise ValueError(f"no checked exercise {key!r}: the keys are {', '.join(coded)}")
    if exercise.kind == "fix":   # check_fix runs its own session and prints its own verdict
        return exercise.checker(answer, exercise.name, quiet=quiet, **context)
    problem = refusal(answer, exercise.name)
    if problem:
        return announce(False, problem, quiet)
    with answer_session() as changes:
        verdict = exercise.checker(Watched(answer, changes), exercise.name, **context)
    return announce(verdict.passed, with_changes(verdict.message, changes), quiet)
