"""The checking framework of the exercises: test cases, verdicts and the comparison of an
answer's results with the right ones (the exercises themselves are in ``notebookNN.py``).

A verdict names the case that failed, in words, and the kind of mistake
(:mod:`genlib.exercise_results`), never a value from which the right result could be recovered;
an answer runs in an :func:`genlib.exercise_state.answer_session`, so what it changes in the
session is put back and named.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch

from ..exercise_expected import KnownMistake, expected, to_result, to_tensor
from ..exercise_results import diagnose
from ..exercise_state import Watched, answer_session, with_changes


class ExerciseNotDone(NotImplementedError):
    """Raised by exercise stubs: replace ``raise ExerciseNotDone`` with your code."""


@dataclass
class Verdict:
    """What a check found: ``passed`` (also the verdict's truth value) and the sentence printed."""
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed


@dataclass
class Case:
    """One test input: the answer's positional ``args`` and, in words, what the case tests."""
    args: tuple
    note: str = ""


@dataclass
class Mistake:
    """A frequent wrong answer and a sentence that names it without giving the answer away."""
    function: Callable
    message: str


NOT_DONE = "not done yet - write your code in place of `raise ExerciseNotDone`."


# ---------------------------------------------------------------- comparing results
def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _fresh(args: tuple) -> tuple:
    """Copies of the tensor arguments, so that an answer working in place changes nothing."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _library_object(answer) -> bool:
    target = inspect.unwrap(answer)
    while isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    target = inspect.unwrap(getattr(target, "__func__", target))
    module = getattr(target, "__module__", None) or ""
    return module.split(".")[0] in ("genlib", "instructor")


def refusal(answer, name: str, reference: Callable | None = None) -> str | None:
    """Why ``answer`` cannot be checked as the student's own (None: it can)."""
    answer = inspect.unwrap(answer) if callable(answer) else answer
    if not callable(answer):
        return (f"{name}: expected your function, got a {type(answer).__name__} - pass the "
                "function itself, without calling it")
    code = getattr(answer, "__code__", None)
    if answer is reference or (code is not None and code is getattr(reference, "__code__", object())):
        whose = "the check's own reference"
    elif _library_object(answer):
        whose = "genlib's own function"
    else:
        return None
    return f"{name}: this is {whose}, not an answer - write it yourself in the exercise's cell"


def announce(passed: bool, message: str, quiet: bool) -> Verdict:
    """The verdict, printed unless ``quiet``."""
    if not quiet:
        print(message)
    return Verdict(passed, message)


def _case_label(i: int, case: Case) -> str:
    return f"on test case {i} ({case.note})" if case.note else f"on test case {i}"


def judge(answer: Callable, cases: list[Case], results: Iterable[torch.Tensor], name: str,
          atol: float = 1e-5, rtol: float = 1e-4,
          mistakes: Iterable[KnownMistake] = ()) -> Verdict:
    """Compare ``answer(*case.args)`` with the right ``results``, case by case (nothing printed).

    The first case that disagrees is reported with its note and the kind of mistake, or the
    message of a known mistake whose results the answer reproduces on every case.
    """
    mistakes = list(mistakes)
    for i, (case, want) in enumerate(zip(cases, results, strict=True), 1):
        try:
            got = answer(*_fresh(case.args))
        except ExerciseNotDone:
            return Verdict(False, f"{name}: {NOT_DONE}")
        except Exception as exc:  # the student's bug, reported, not raised
            return Verdict(False, f"{name}: not yet - {_case_label(i, case)} it raised "
                                  f"{type(exc).__name__}: {first_line(exc)}")
        problem = diagnose(got, want, atol, rtol)
        if problem:
            problem = _known_mistake(answer, cases, mistakes, atol, rtol) or problem
            return Verdict(False, f"{name}: not yet - {_case_label(i, case)}, {problem}.")
    return Verdict(True, f"{name}: right!")


def _known_mistake(answer, cases: list[Case], mistakes: list[KnownMistake], atol: float,
                   rtol: float) -> str | None:
    """The message of the first mistake whose results the answer reproduces on every case
    where the answer is finite (a mistake may come with a NaN elsewhere, say 0 / 0)."""
    if not mistakes:
        return None
    try:
        answers = [answer(*_fresh(case.args)) for case in cases]
    except Exception:  # the answer fails somewhere: name no mistake
        return None
    finite = [i for i, got in enumerate(answers) if _all_finite(got)]
    for mistake in mistakes:
        if not finite or any(result is None for result in mistake.results):
            continue   # a mistake that does not apply to these cases
        if all(diagnose(answers[i], mistake.results[i], atol, rtol) is None for i in finite):
            return mistake.message
    return None


def _all_finite(result) -> bool:
    try:
        return bool(torch.isfinite(torch.as_tensor(result, dtype=torch.float64)).all())
    except Exception:  # not numbers: let diagnose name it
        return True


def _results(function: Callable, cases: list[Case]) -> tuple | None:
    try:
        return tuple(to_tensor(to_result(function(*_fresh(case.args)))) for case in cases)
    except Exception:  # a mistake that does not apply to these cases
        return None


def check_function(answer: Callable, reference: Callable, cases: Iterable, name: str = "your function",
                   atol: float = 1e-5, rtol: float = 1e-4, mistakes: Iterable[Mistake] = (),
                   quiet: bool = False) -> Verdict:
    """Compare ``answer(*case)`` with ``reference(*case)`` for every case; print a verdict.

    ``cases`` holds :class:`Case` objects (or plain argument tuples); a known ``mistake`` whose
    results the answer reproduces is named. Never prints the reference's values. (The
    notebooks' exercises use :func:`check`, whose right results are stored, not computed.)
    """
    problem = refusal(answer, name, reference)
    if problem:
        return announce(False, problem, quiet)
    cases = [case if isinstance(case, Case) else Case(tuple(case)) for case in cases]
    known = [KnownMistake(m.message, _results(m.function, cases) or (None,)) for m in mistakes]
    wants = _results(reference, cases)
    if wants is None:
        raise ValueError("reference raises on one of the cases: fix the reference or the cases")
    changes: list[str] = []
    with answer_session():
        verdict = judge(Watched(answer, changes), cases, wants, name, atol, rtol, known)
    return announce(verdict.passed, with_changes(verdict.message, changes), quiet)


# ---------------------------------------------------------------- an exercise
@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook.

    ``kind``: "code" (a function, checked by :func:`check`), "fix" (notebook 10: a broken
    training step to repair, checked by :func:`genlib.pitfalls.check_fix`) or "think" (answered
    in words). ``name``: the function the student writes. ``cases``: the test cases whose right
    results are stored (coded exercises), ``checker(answer, name, **context)``: the verdict.
    """
    key: str
    kind: str
    title: str
    name: str = ""
    checker: Callable | None = field(default=None, compare=False, repr=False)
    cases: Callable | None = field(default=None, compare=False, repr=False)


def build(cases: Callable[[], Iterable[Case]]) -> list[Case]:
    """The test cases ``cases()`` builds, drawn as every check draws them: with the global random
    number generator seeded with 0 inside a fork, so the notebook's own stream is left alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return list(cases())


def stored_check(key: str, cases: Callable[[], Iterable[Case]], atol: float = 1e-5,
                 rtol: float = 1e-4) -> Callable:
    """A checker comparing an answer with the stored right results of ``key``'s ``cases``."""
    def checker(answer, name, **context):
        if context:
            raise TypeError(f"check({key!r}) takes no notebook context, got "
                            f"{', '.join(sorted(context))}: call check({key!r}, your_function)")
        torch.manual_seed(0)   # the answer's own draws; check's session puts the stream back
        known = expected(key)
        return judge(answer, build(cases), known.results, name, atol, rtol, known.mistakes)
    return checker


def coded(key: str, title: str, name: str, cases: Callable[[], Iterable[Case]] | None,
          checker: Callable | None = None, atol: float = 1e-5, rtol: float = 1e-4) -> Exercise:
    """A coded exercise: the student writes the function ``name``; ``checker`` tests its
    behaviour, or else its results on ``cases`` are compared with the stored ones."""
    checker = checker or stored_check(key, cases, atol, rtol)
    return Exercise(key, "code", title, name, checker, cases)
