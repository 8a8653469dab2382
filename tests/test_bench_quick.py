"""The benchmark harness's smoke run (``python -m bench --quick``), so that it cannot rot.

It runs every part of the harness on small chunks (throughput of every model against its
reference, the step profile with the matmul peak, the other ``bench/bench_*.py`` scripts
with ``--quick``, nbval and a kernel-memory run of a three-cell notebook) and checks that the
report holds a figure for each. The figures themselves are not checked: this is a test of
the harness, and timings on a shared machine are no test of anything.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("MLP VAE", "conv VAE", "DCGAN", "WGAN-GP")


def test_bench_quick_writes_every_section(tmp_path):
    output = tmp_path / "RESULTS.md"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", GENLIB_CACHE=str(tmp_path / "cache"))
    harness = subprocess.Popen([sys.executable, "-m", "bench", "--quick", "--output",
                                str(output)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _, err = harness.communicate(timeout=175)
    except subprocess.TimeoutExpired:
        harness.terminate()  # the harness stops the scripts and kernels it started
        _, err = harness.communicate(timeout=30)
        raise AssertionError(f"python -m bench --quick took over 175 s:\n{err[-3000:]}")
    assert harness.returncode == 0, err[-3000:]
    text = output.read_text()

    assert re.search(r"\| load average at start \(1, 5, 15 min\) \| [\d.]+, [\d.]+, [\d.]+ \|",
                     text)
    assert re.search(r"\| torch \| \d+\.\d+", text) and re.search(r"\d+ cores", text)
    # throughput: a positive rate for both pipelines of every model, and the ratio
    for model in MODELS:
        row = re.search(rf"^\| {model} \| `\w+` \| [\d,]+ \| \d+ / 128 \| ([\d.,]+) .*"
                        rf"\| ([\d.,]+) .*\| \*\*([\d.]+)\*\*", text, re.MULTILINE)
        assert row, f"no throughput row for {model}"
        assert all(float(v.replace(",", "")) > 0 for v in row.groups())
        for pipeline in ("ours", "reference"):
            assert re.search(rf"^\| {model} \| {pipeline} \| [\d.]+ \|", text, re.MULTILINE)
    assert re.search(r"matmul peak of this machine, measured in this run: \*\*[\d.]+ GFLOP/s",
                     text)
    # the notebook parts ran (on the smoke notebook) and produced times and a peak memory
    assert re.search(r"^\| 00_harness_smoke\.ipynb \| [\d.]+ s \| yes \| passed \|", text,
                     re.MULTILINE)
    assert re.search(r"^\| 00_harness_smoke\.ipynb \| [\d.]+ s \| .* \| [\d.]+ GB \|", text,
                     re.MULTILINE)
    # every other benchmark script ran (a timeout under load is tolerated, a crash is not)
    scripts = sorted(p.name for p in (ROOT / "bench").glob("bench_*.py"))
    for name in scripts:
        assert f"## From `bench/{name}` --quick" in text
    assert "**The script failed**" not in text, text[text.find("**The script failed**") - 2000:]
    assert "Targets at a glance" in text and "not measured" not in text.split("## ", 3)[2]


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


def test_cold_summary_reads_the_newest_run_of_each_notebook(tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.__main__ import cold_summary_section, newest_cold_runs

    table = ("| notebook | cold cache | warm cache | peak memory |\n| --- | --- | --- | --- |\n"
             "| 06_vae_images.ipynb | {} | not run | 1 GB |\n"
             "| 07_beta.ipynb | {} | not run | 1 GB |\n")
    old, new = tmp_path / "notebooks_cold.md", tmp_path / "notebooks_cold_06.md"
    old.write_text("*`python -m bench --long`, 2026-11-22 05:05 UTC, ...*\n\n"
                   + table.format("> 750 s (stopped after 750 s)", "> 288 s (stopped)"))
    new.write_text("*`python -m bench --long --notebooks 06`, 2026-12-02 01:22 UTC*\n\n"
                   + table.format("431 s", "not run (time budget spent)"))
    runs = newest_cold_runs([old, new])
    assert runs["06_vae_images.ipynb"] == ("431 s", "2026-12-02 01:22", new)
    assert runs["07_beta.ipynb"] == ("> 288 s (stopped)", "2026-11-22 05:05", old)
    rows = cold_summary_section([new, old]).markdown  # the order of the files does not matter
    assert "| 06_vae_images.ipynb | 431 s | <= 600 s | met |" in rows
    assert "| 07_beta.ipynb | > 288 s (stopped) | <= 600 s | not measured" in rows
    old.write_text(old.read_text().replace("> 288 s (stopped)", "> 750 s (stopped)"))
    assert "| 07_beta.ipynb | > 750 s (stopped) | <= 600 s | **missed** (at least) |" in \
        cold_summary_section([new, old]).markdown
