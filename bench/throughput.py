"""Training throughput of every family, this checkout against an earlier commit (``--before REV``,
checked out into a temporary git worktree): ``bench/throughput_worker.py`` run alternately against
each, in fresh processes; each figure is a median of images per second, the ratio after / before."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import ROOT, Section, TargetCheck, markdown_table

BEFORE = "d7a1edc"  # the last commit with train_gan, train_vae & co.
RATIO_TARGET = 0.9


def worker(genlib_root: Path, steps: int, timeout_s: float = 900) -> dict:
    env = dict(os.environ, PYTHONPATH=str(genlib_root), OMP_WAIT_POLICY="PASSIVE")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "throughput_worker.py"),
                           str(steps)], env=env, capture_output=True, text=True,
                          timeout=timeout_s, check=True)
    rates = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(rates.pop("genlib")).resolve().parents[1] == genlib_root.resolve()
    return rates


def measure(before: str = BEFORE, repeats: int = 5, steps: int = 40) -> Section:
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), before],
                       cwd=ROOT, check=True)
        try:
            runs = {"before": [], "after": []}
            for _ in range(repeats):      # interleaved: before, after, before, after, ...
                runs["before"].append(worker(tree, steps))
                runs["after"].append(worker(ROOT, steps))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    rows, checks = [], []
    for family in runs["after"][0]:
        old = statistics.median(r[family] for r in runs["before"])
        new = statistics.median(r[family] for r in runs["after"])
        rows.append([family, f"{old:,.0f}", f"{new:,.0f}", f"**{new / old:.2f}**"])
        checks.append(TargetCheck(f"throughput {family}, after / before", new / old,
                                  RATIO_TARGET, "x", higher_is_better=True))
    text = (f"Images per second through each family's whole training loop (recipe-sized models "
            f"and batches, random images), median of {repeats} runs of {steps} steps each, "
            f"before (`{before}`: `train_gan`, `train_vae`, ...) and after (`genlib.training."
            f"train` with the notebooks' steps), interleaved in fresh processes; "
            f"`OMP_WAIT_POLICY=PASSIVE`.\n\n"
            + markdown_table(["family", f"before ({before})", "after", "after / before"], rows))
    return Section("Training throughput before and after the one-loop rewrite", text, checks)
