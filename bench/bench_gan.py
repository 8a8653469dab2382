"""Acceptance benchmark of the GAN track (notebooks 02-04): mode coverage on the ring of 8
Gaussians, and a classifier's read-out of the DCGAN's samples.

Run from the repository root (``--quick`` is a smoke run of the same code, figures meaningless)::

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_gan.py [--quick] [--retrain]

The models are the zoo recipes the notebooks use (``gan_ring8``, ``wgan_gp_ring8``, ``dcgan``,
``classifier``), loaded from ``data/checkpoints/`` or trained there first; ``--retrain``
trains them again. Training times are those recorded in each model's history when it was
trained (wall clock on this machine, shared with whatever else ran then).

* **Ring** (``ring8``: 8 Gaussians, std 0.05, radius 2): 10 000 samples from fresh noise;
  a mode is covered when at least 1% of the samples lie within 3 std of it, and the
  high-quality share is the fraction within 3 std of their nearest mode (real data: 0.989).
  Target: 8/8 modes and >= 80% high quality for the non-saturating GAN or WGAN-GP (the
  weight-clipping WGAN, same budget, is listed for comparison).
* **DCGAN** on the ``"auto"`` data set (Fashion-MNIST here): 10 000 samples and the 10 000 test
  images through the ``classifier`` recipe's network. Targets: the share of samples classified
  with confidence >= 0.9 is at least 0.85 times that share among real test images, every class
  gets at least 5% of the samples, and training took at most 10 minutes.

Prints a markdown report; in full mode also writes it to ``bench/bench_gan.md``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from genlib import config, zoo  # noqa: E402
from genlib.data import load_images, toy2d  # noqa: E402
from genlib.metrics.classifier_scores import class_histogram, confident_share  # noqa: E402
from genlib.metrics.features import classifier_probabilities  # noqa: E402
from genlib.metrics.toy2d import mode_coverage  # noqa: E402

N_SAMPLES = 10_000
CONFIDENCE = 0.9


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ring_section(retrain: bool) -> tuple[str, bool]:
    rows, any_met = [], False
    for name in ("gan_ring8", "wgan_gp_ring8", "wgan_clip_ring8"):
        models, history = zoo.pretrained(name, retrain=retrain)
        cfg = zoo.recipe_config(name)
        data = toy2d.get(cfg["data"])
        z = torch.randn(N_SAMPLES, cfg["latent_dim"], generator=torch.Generator().manual_seed(99))
        with torch.no_grad():
            samples = models["generator"](z)
        result = mode_coverage(samples, data.modes, data.std)
        met = result.modes_covered == result.n_modes and result.high_quality >= 0.8
        if name != "wgan_clip_ring8":  # the target is for the GAN or WGAN-GP; clipping: context
            any_met |= met
        rows.append([name, cfg["loss"], cfg["steps"], cfg["d_steps"], f"{history.seconds:.0f}",
                     f"{result.modes_covered}/{result.n_modes}", f"{result.high_quality:.1%}",
                     " ".join(str(c) for c in result.counts.tolist()), verdict(met)])
    text = table(["recipe", "loss", "G steps", "D steps per G step", "training s",
                  "modes covered", "high quality", "high-quality samples per mode",
                  "8/8 and >= 80%"], rows)
    return text, any_met


def dcgan_readout(generator: torch.nn.Module, latent_dim: int, dataset: str,
                  classifier: torch.nn.Module) -> dict:
    """The classifier's read-out of 10 000 samples of ``generator`` (fixed noise, seed 99)
    against the first 10 000 test images: confident shares, their ratio, class histograms,
    and the samples themselves (images in [0, 1])."""
    z = torch.randn(N_SAMPLES, latent_dim, generator=torch.Generator().manual_seed(99))
    generator.eval()
    with torch.no_grad():
        fakes = torch.cat([(generator(part) + 1) / 2 for part in z.split(500)])
    test_images, _ = load_images(dataset, "test")
    probs_fake = classifier_probabilities(classifier, fakes)
    probs_real = classifier_probabilities(classifier, test_images[:N_SAMPLES])
    share_fake = confident_share(probs_fake, CONFIDENCE)
    share_real = confident_share(probs_real, CONFIDENCE)
    return {"share_fake": share_fake, "share_real": share_real,
            "ratio": share_fake / share_real, "hist_fake": class_histogram(probs_fake, 10),
            "hist_real": class_histogram(probs_real, 10), "fakes": fakes,
            "real": test_images[:N_SAMPLES]}


def dcgan_section(retrain: bool) -> tuple[str, bool]:
    cfg = zoo.recipe_config("dcgan")
    models, history = zoo.pretrained("dcgan", retrain=retrain)
    classifier_models, classifier_history = zoo.pretrained("classifier", dataset=cfg["dataset"])
    r = dcgan_readout(models["generator"], cfg["latent_dim"], cfg["dataset"],
                      classifier_models["classifier"])
    share_fake, share_real, ratio = r["share_fake"], r["share_real"], r["ratio"]
    hist_fake, hist_real = r["hist_fake"], r["hist_real"]
    minutes = history.seconds / 60
    # the recipe's 10-minute budget stops training before a new step; the step in progress ends
    checks = [ratio >= 0.85, float(hist_fake.min()) >= 0.05, history.seconds <= 605]
    accuracy = (f"{classifier_history.last('test_accuracy'):.1%}"
                if classifier_history and "test_accuracy" in classifier_history else "n/a")
    text = "\n\n".join([
        f"Data set `{cfg['dataset']}`; DCGAN width {cfg['width']}, latent {cfg['latent_dim']}, "
        f"batch {cfg['batch_size']}, at most {cfg['epochs']} epochs or {cfg['max_seconds']} s: "
        f"trained {history.steps['d_loss'][-1] + 1} steps ({int(models['samples'].epochs_done)} "
        f"complete epochs) in {history.seconds:.0f} s; classifier test accuracy {accuracy}.",
        table(["figure", "measured", "target", "verdict"], [
            [f"confident share (p >= {CONFIDENCE}), generated", f"{share_fake:.3f}", "", ""],
            [f"confident share (p >= {CONFIDENCE}), real test images", f"{share_real:.3f}", "", ""],
            ["ratio generated / real", f"{ratio:.3f}", ">= 0.85", verdict(checks[0])],
            ["smallest class share, generated", f"{hist_fake.min():.3f}", ">= 0.05",
             verdict(checks[1])],
            ["training time", f"{minutes:.1f} min", "<= 10 min", verdict(checks[2])],
        ]),
        table(["class"] + [str(k) for k in range(10)], [
            ["generated"] + [f"{v:.3f}" for v in hist_fake.tolist()],
            ["real test"] + [f"{v:.3f}" for v in hist_real.tolist()]]),
    ])
    return text, all(checks)


def main() -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run in quick mode")
    parser.add_argument("--retrain", action="store_true", help="ignore cached models")
    args = parser.parse_args()
    if args.quick:
        os.environ["GENLIB_QUICK"] = "1"
    with contextlib.redirect_stdout(sys.stderr):  # the zoo's messages: not part of the report
        ring, ring_ok = ring_section(args.retrain)
        dcgan, dcgan_ok = dcgan_section(args.retrain)
    report = "\n\n".join([
        f"### GAN track acceptance ({config.mode()} mode, {torch.get_num_threads()} threads)",
        "#### Ring of 8 Gaussians: modes covered and high-quality share", ring,
        f"Target (non-saturating GAN or WGAN-GP): {verdict(ring_ok)}.",
        "#### DCGAN: classifier read-out", dcgan,
        f"Targets: {verdict(dcgan_ok)}."])
    print(report)
    if not args.quick:
        (ROOT / "bench" / "bench_gan.md").write_text(report + "\n")
    return report


if __name__ == "__main__":
    main()
