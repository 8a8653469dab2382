"""Notebook 08's table: a DCGAN, a convolutional VAE and a VAE-GAN on Fashion-MNIST, trained for
the same wall-clock budget and measured with the same classifier.

Run from the repository root (full mode: about 35 minutes on 2 CPU cores the first time,
including the three trainings of 10 minutes and the classifier; the models are cached by
``genlib.zoo`` and shared with notebook 08, so a second run, or the notebook after this
script, only evaluates)::

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_compare.py [--quick]

``--quick`` runs the same code in quick mode (models trained for a few seconds: a smoke run,
numbers meaningless) and writes nothing unless ``--output`` is given. Otherwise the markdown
goes to stdout and to ``bench/bench_compare.md``, the table with its provenance to
``bench/bench_compare.json`` (read by notebook 10), and the figures to
``bench/bench_compare_samples.png`` and ``bench/bench_compare_interpolations.png``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run in quick mode")
    parser.add_argument("--output", type=Path, default=None,
                        help="markdown file (default bench/bench_compare.md; none with --quick)")
    args = parser.parse_args()
    os.environ["GENLIB_QUICK"] = "1" if args.quick else "0"
    os.environ.setdefault("GENLIB_DATASET", "fashion-mnist")

    import matplotlib
    matplotlib.use("Agg")  # a script writing PNG files: no display
    import torch

    from genlib import config, zoo
    from genlib.data import load_images
    from genlib.metrics.compare import comparison_rows, format_table
    from genlib.plots.comparison import draw_interpolations, draw_sample_grids
    from genlib.zoo.hybrid import (same_budget_contenders, same_budget_overrides,
                                   same_budget_settings)

    start = time.perf_counter()
    load_start = os.getloadavg()
    config.seed_everything(0)
    settings = same_budget_settings()
    classifier_models, classifier_history = zoo.pretrained("classifier")
    contenders = same_budget_contenders(iwae_samples=config.choose(quick=5, full=50))
    dataset = settings["dataset"]
    test_images, test_labels = load_images(dataset, "test")
    train_images, _ = load_images(dataset, "train")
    n_samples = config.choose(quick=400, full=2000)
    nll_images = config.choose(quick=50, full=500)
    neighbours = config.choose(quick=2000, full=10000)
    rows = comparison_rows(contenders, classifier_models["classifier"], test_images, test_labels,
                           train_images[:neighbours], n_samples=n_samples, nll_images=nll_images)
    table = format_table(rows)
    seconds = time.perf_counter() - start

    command = ("OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_compare.py"
               + (" --quick" if args.quick else ""))
    provenance = (f"{config.mode()} mode, {dataset}, budget {settings['max_seconds']} s per model, "
                  f"{n_samples} samples; {datetime.date.today().isoformat()}, "
                  f"{platform.processor() or platform.machine()} x{os.cpu_count()}, "
                  f"torch {torch.__version__} ({torch.get_num_threads()} threads); "
                  f"command: `{command}`")
    steps = {m.name: None for m in contenders}
    for name, recipe, key, overrides in [("DCGAN", "dcgan", "d_loss", same_budget_overrides()),
                                         ("conv VAE", "conv_vae_same_budget", "elbo", {}),
                                         ("VAE-GAN", "vaegan", "d_loss", {})]:
        history = zoo.pretrained(recipe, **overrides)[1]
        steps[name] = history.steps[key][-1] + 1 if key in history else 0
    text = "\n".join([
        "# GAN versus VAE on the same budget (notebook 08)",
        "",
        f"Produced by `{command}` in {seconds / 60:.1f} min (load average at start "
        f"{load_start[0]:.1f}); models already in the checkpoint cache are loaded, not retrained: "
        "each model's own training time is in the table's last column.",
        "",
        f"* data: {dataset}; every model trained for {settings['max_seconds']} s of wall-clock time "
        "(on a shared machine, possibly at different times and loads: the steps done show what "
        "each got) "
        f"on the {'first ' + str(settings['train_images']) if settings['train_images'] else 'full'} "
        "training split, seed 0; steps done (the last logged step, within 20): "
        + ", ".join(f"{name} {count}" for name, count in steps.items()) + ";",
        f"* metrics in the features of the `classifier` recipe (test accuracy "
        f"{classifier_history.last('test_accuracy'):.1%}); {n_samples} samples against the first "
        f"{n_samples} test images; \"real test images\" compares test images "
        f"{n_samples}-{2 * n_samples - 1} with the first {n_samples} (the noise floor);",
        f"* nearest-neighbour distances to the first {neighbours} training images, in pixels "
        "(L2, images in [0, 1]);",
        f"* test NLL: -L_K, K = {config.choose(quick=5, full=50)} (IWAE bound) on the first "
        f"{nll_images} test images, fixed binarisation, nats per image.",
        "",
        table,
        "",
        f"*{provenance}*",
    ])
    print(text)
    output = args.output or (None if args.quick else ROOT / "bench" / "bench_compare.md")
    if output is not None:
        output.write_text(text + "\n")
        figures = output.with_suffix("")
        draw_sample_grids(contenders, test_images, n=16).savefig(f"{figures}_samples.png", dpi=100)
        draw_interpolations(contenders, test_images[0:1], test_images[2:3]).savefig(
            f"{figures}_interpolations.png", dpi=100)
        payload = {"table": table, "provenance": provenance, "rows": rows,
                   "steps": steps, "seconds": seconds}
        output.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
