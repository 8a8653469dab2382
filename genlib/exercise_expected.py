"""The expected results of the coded exercises' test cases, stored as numbers.

The self-checks ship no reference implementation from which an answer could be copied: for each
exercise ``exercise_expected.json`` holds the right result of every test case, and the results
of its known mistakes with the sentence that names each. The instructor's tool
``python -m instructor.expected`` computes them from independent references that are not part
of the package; ``tests/test_exercise_expected.py`` recomputes them and compares.

Format: ``{key: {"cases": [RESULT, ...], "mistakes": [{"message": str, "results": [RESULT or
null, ...]}]}}`` with ``RESULT = {"shape": [...], "values": [float, ...]}`` (values flattened in
row-major order; null: the mistake raises on that case).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import torch

PATH = Path(__file__).with_name("exercise_expected.json")


@dataclass(frozen=True)
class KnownMistake:
    """A frequent wrong answer's results on the cases (None where it raises) and its sentence."""
    message: str
    results: tuple


@dataclass(frozen=True)
class Expected:
    """What a right answer returns on each case, and the known mistakes."""
    results: tuple
    mistakes: tuple


def to_tensor(result: dict) -> torch.Tensor:
    """A stored RESULT as a float64 tensor of its shape."""
    return torch.tensor(result["values"], dtype=torch.float64).reshape(result["shape"])


def to_result(value) -> dict:
    """A tensor or number as a RESULT (float64 values, row-major)."""
    tensor = torch.as_tensor(value.detach() if isinstance(value, torch.Tensor) else value)
    tensor = tensor.to(torch.float64).cpu()
    return {"shape": list(tensor.shape), "values": tensor.flatten().tolist()}


@functools.lru_cache(maxsize=1)
def _table(path: Path = PATH) -> dict:
    return json.loads(path.read_text())


def expected(key: str) -> Expected:
    """The stored results of exercise ``key`` ("05.1")."""
    table = _table()
    if key not in table:
        raise ValueError(f"key {key!r} has no stored results in {PATH.name}: run "
                         "`python -m instructor.expected` to write them")
    entry = table[key]
    mistakes = tuple(KnownMistake(m["message"], tuple(None if r is None else to_tensor(r)
                                                      for r in m["results"]))
                     for m in entry["mistakes"])
    return Expected(tuple(to_tensor(r) for r in entry["cases"]), mistakes)
