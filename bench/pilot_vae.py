"""Pilot runs behind ``bench/bench_vae.py``'s choice: one VAE, one thread, a short budget.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/pilot_vae.py '{"ref": true}' 300
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/pilot_vae.py '{"made_hidden": 512}' 300

The first argument is ``{"ref": true}`` (the pytorch/examples VAE) or changes to
``bench_vae.GENLIB_CHOICE`` (``hidden``, ``latent_dim``, ``context``, ``made_hidden``,
``condition_on_z``, ``pixel_channels``, ``importance_samples``, ``batch_size``, ``lr``,
``bf16``...); the second the training seconds.
Prints one JSON line: CPU seconds, epochs, test -ELBO (10 000 images) and test NLL -L_200 on
the first 500 images, both on the fixed test binarisation. Run two at a time on 2 cores to
compare choices under the same conditions; the pilot figures are quoted in bench_vae.py.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import bench.bench_vae as bv  # noqa: E402
from bench.reference import ReferenceMLPVAE  # noqa: E402
from genlib.data import load_images  # noqa: E402
from genlib.metrics.likelihood import fixed_binarization, iwae_estimate  # noqa: E402


def main(choice: dict, seconds: float) -> dict:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    images, _ = load_images(bv.DATASET, "train")
    test = fixed_binarization(load_images(bv.DATASET, "test")[0])
    cpu = time.process_time()
    if choice.get("ref"):
        model = ReferenceMLPVAE(784, (400,), 20)
        info = bv.train_reference(model, images, seconds)
        model = bv.ReferenceAsLogits(model)
    else:
        bv.GENLIB_CHOICE = {**bv.GENLIB_CHOICE, **choice}
        bv.GENLIB_CHOICE["hidden"] = tuple(bv.GENLIB_CHOICE["hidden"])
        model = bv.genlib_model()
        info = bv.train_genlib(model, images, seconds)
    cpu = time.process_time() - cpu
    elbo = iwae_estimate(model, test, k=1, seed=1).mean().item()
    nll = -iwae_estimate(model, test[:500], k=200, seed=1).mean().item()
    return {"choice": choice, "cpu_s": round(cpu), "epochs": round(info["epochs"], 1),
            "test_neg_elbo": round(-elbo, 2), "test_nll_k200": round(nll, 2)}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(json.dumps(main(json.loads(sys.argv[1]), float(sys.argv[2]))), flush=True)
