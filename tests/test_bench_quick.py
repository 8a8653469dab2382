"""The benchmark harness's smoke run (``python -m bench --quick``), so that it cannot rot.

It runs every part of the harness on small chunks (the before/after throughput of every
family, slider latency, nbval and a kernel-memory run of a three-cell notebook) and checks
that the report holds a figure for each. The figures themselves are not checked: this is a
test of the harness, and timings on a shared machine are no test of anything. It takes a few
minutes, so ``make unit`` leaves it out (marker ``bench``); ``make test`` runs it.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("toy GAN", "toy WGAN-GP", "DCGAN", "MLP VAE", "conv VAE", "VAE-GAN", "BiGAN")


@pytest.mark.bench
def test_bench_quick_writes_every_part(tmp_path):
    output = tmp_path / "RESULTS.md"
    output.write_text("<!-- part: archive-old -->\nkept as it was\n<!-- end of part -->\n")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", GENLIB_CACHE=str(tmp_path / "cache"))
    harness = subprocess.Popen([sys.executable, "-m", "bench", "--quick", "--output",
                                str(output)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _, err = harness.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        harness.terminate()  # the harness stops the scripts and kernels it started
        _, err = harness.communicate(timeout=30)
        raise AssertionError(f"python -m bench --quick took over 300 s:\n{err[-3000:]}")
    assert harness.returncode == 0, err[-3000:]
    text = output.read_text()
    assert "<!-- part: archive-old -->\nkept as it was\n<!-- end of part -->" in text
    for part in ("throughput", "widgets", "notebooks"):
        assert f"<!-- part: {part} -->" in text
    assert re.search(r"commit \w+", text) and re.search(r"\d+ cores", text)
    for family in FAMILIES:
        row = re.search(rf"^\| {family} \| ([\d,]+) \| ([\d,]+) \| \*\*([\d.]+)\*\* \|", text,
                        re.MULTILINE)
        assert row, f"no throughput row for {family}"
        assert all(float(v.replace(",", "")) > 0 for v in row.groups())
    assert re.search(r"^\| 00_harness_smoke\.ipynb \| [\d.]+ s \| yes \| passed \|", text,
                     re.MULTILINE)
    assert re.search(r"^\| 00_harness_smoke\.ipynb \| [\d.]+ s \| .* \| [\d.]+ GB \|", text,
                     re.MULTILINE)
    assert "median" in text.split("<!-- part: widgets -->")[1].split("<!-- end of part -->")[0]


def test_cold_runs_list_the_models_they_trained(tmp_path):
    """The cold-cache table names each recipe a run trained, with its training time, read
    back from the checkpoints the run wrote."""
    import torch

    from bench.notebooks import _trained_text, trained_recipes
    from genlib.training.checkpoints import save_checkpoint
    from genlib.training.history import History

    folder = tmp_path / "checkpoints"
    for name, seconds in (("vae2d", 12.4), ("conv_vae", 600.2)):
        history = History(name)
        history.seconds = seconds
        save_checkpoint(folder / f"{name}-0123456789ab.pt", {"m": torch.nn.Linear(1, 1)},
                        {"recipe": name}, history)
    (folder / "broken-0123456789ab.pt").write_bytes(b"not a checkpoint")
    found = trained_recipes(tmp_path)
    assert found[:2] == [("conv_vae", 600.2), ("vae2d", 12.4)]
    assert found[2][0] == "broken" and found[2][1] != found[2][1]  # NaN: unreadable
    assert _trained_text(found[:2]) == "conv_vae 600 s, vae2d 12 s (training 613 s in all)"
    assert _trained_text([]) == "none"
    assert trained_recipes(tmp_path / "empty") == []
