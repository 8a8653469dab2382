"""The self-checks' stored right results are what the instructor's references compute.

genlib/exercise_expected.json is written by `python -m instructor.expected` from
instructor/references.py; a changed case, reference or mistake without a rewrite fails here.
"""
from __future__ import annotations

import json
import math

from genlib.exercise_expected import PATH, expected
from genlib.exercises import EXERCISES, build_cases
from instructor.expected import table
from instructor.references import MISTAKES, REFERENCES


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a["shape"] == b["shape"] and all(
        math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a["values"], b["values"], strict=True))


def test_the_stored_results_are_the_references_results_recomputed():
    stored, fresh = json.loads(PATH.read_text()), table()
    assert sorted(stored) == sorted(fresh)
    for key in fresh:
        assert len(stored[key]["cases"]) == len(fresh[key]["cases"]), key
        for i, (a, b) in enumerate(zip(stored[key]["cases"], fresh[key]["cases"]), 1):
            assert _same(a, b), f"{key} case {i}: run `python -m instructor.expected`"
        assert [m["message"] for m in stored[key]["mistakes"]] == \
            [m["message"] for m in fresh[key]["mistakes"]], key
        for m, n in zip(stored[key]["mistakes"], fresh[key]["mistakes"]):
            assert all(_same(a, b) for a, b in zip(m["results"], n["results"], strict=True)), key


def test_every_exercise_with_stored_cases_has_a_reference_and_every_mistake_applies():
    stored = {k for k, e in EXERCISES.items() if e.cases is not None}
    assert stored == set(REFERENCES)
    for key, mistakes in MISTAKES.items():
        assert len(expected(key).mistakes) == len(mistakes)
        for mistake in expected(key).mistakes:
            assert all(r is not None for r in mistake.results), f"{key}: {mistake.message}"
            assert len(mistake.results) == len(build_cases(key))
