"""Write the coded exercises' right results, and their known mistakes' results, as numbers:

    python -m instructor.expected [--out genlib/exercise_expected.json]

Runs every reference of ``instructor/references.py`` on its exercise's test cases (built by
``genlib.exercises.build_cases``, as the self-check builds them) and stores the results in the
package, so that the students' checks judge answers without a reference they could copy.
Run it after changing a case, a reference or a mistake; ``tests/test_exercise_expected.py``
fails while the stored file and a fresh computation differ.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from genlib.exercise_expected import PATH, to_result
from genlib.exercises import _fresh, build_cases

from .references import MISTAKES, REFERENCES


def _results(function, cases) -> list | None:
    try:
        return [to_result(function(*_fresh(case.args))) for case in cases]
    except Exception:  # a mistake that does not apply to every case is never named
        return None


def table() -> dict:
    """Every stored exercise's results, as written to the JSON file."""
    out = {}
    with torch.random.fork_rng(devices=[]):
        for key in sorted(REFERENCES):
            torch.manual_seed(0)
            cases = build_cases(key)
            results = _results(REFERENCES[key], cases)
            if results is None:
                raise RuntimeError(f"the reference of {key} raises on one of its cases")
            mistakes = []
            for mistake in MISTAKES.get(key, []):
                found = _results(mistake.function, cases)
                mistakes.append({"message": mistake.message,
                                 "results": found if found is not None else [None] * len(cases)})
            out[key] = {"cases": results, "mistakes": mistakes}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PATH, help=f"the JSON file (default: {PATH})")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(table(), indent=1) + "\n")
    print(f"right results of {len(REFERENCES)} exercises written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
