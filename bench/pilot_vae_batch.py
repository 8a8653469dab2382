"""Pilot: does a larger batch make the MLP VAE recipes better per CPU-minute?

The throughput benchmark (``make bench``) shows the MLP VAE reaching 2x the reference's
images per second at batch 512 (float32), where the recipes train at batch 128. Images per
second are not the goal, though: a student waits for a *good model*. This pilot trains the
``mlp_vae`` and ``beta_vae`` recipes (full mode, every model from scratch in a temporary
cache, one after another on the same machine) at their own settings and at batch 512 with
a larger learning rate and as many or more epochs, and reports each model's test ELBO
(nats per image, fixed binarisation, the recipes' own read-out) with its training time.
Used to choose the recipes, not part of ``make bench``::

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/pilot_vae_batch.py   # about 11 minutes
"""
from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ["GENLIB_QUICK"] = "0"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from genlib import zoo  # noqa: E402

RUNS = [("mlp_vae", {}),
        ("mlp_vae", {"batch_size": 512, "lr": 2e-3}),
        ("mlp_vae", {"batch_size": 512, "lr": 2e-3, "epochs": 30}),
        ("beta_vae", {}),
        ("beta_vae", {"batch_size": 512, "lr": 2e-3}),
        ("beta_vae", {"batch_size": 512, "lr": 3e-3}),
        ("beta_vae", {"batch_size": 512, "lr": 2e-3, "epochs": 15})]


def main() -> None:
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GENLIB_CACHE"] = cache  # every model trained here, none loaded
        for name, overrides in RUNS:
            cfg = zoo.recipe_config(name, **overrides)
            _, history = zoo.pretrained(name, **overrides)
            rows.append([f"`{name}`", str(cfg["batch_size"]), f"{cfg['lr']:g}", str(cfg["epochs"]),
                         f"{history.seconds:.0f}", f"{history.last('test_elbo'):.2f}",
                         f"{history.last('test_log_likelihood'):.2f}",
                         f"{history.last('test_kl'):.2f}"])
            print(" | ".join(rows[-1]), flush=True)
    header = ["recipe", "batch", "lr", "epochs", "training s", "test ELBO", "log-likelihood",
              "KL"]
    lines = [f"*`python bench/pilot_vae_batch.py`, {started}, {torch.get_num_threads()} "
             f"threads, torch {torch.__version__}, load average at the end "
             f"{os.getloadavg()[0]:.2f}.*", "",
             "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
