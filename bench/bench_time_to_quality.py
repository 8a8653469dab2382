"""Time to quality (benchmark item 3): the conv VAE and the DCGAN after 1, 2, 5 and 10 minutes.

Run from the repository root (about 25 minutes; ``--quick`` is a smoke run of under a minute)::

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_time_to_quality.py [--quick] [--only vae dcgan]

Each model is trained **once** for 10 minutes of wall-clock time by genlib's own loop with
the settings of its zoo recipe in full mode (``conv_vae``: :func:`genlib.training.vae.train_vae`;
``dcgan``: :func:`genlib.training.gan.train_gan`), on Fashion-MNIST, using all of torch's
threads, one model after the other. When the training clock passes 1, 2, 5 and 10 minutes a copy
of the weights is kept; the copies are evaluated after training, so evaluation costs no
training time.

* **conv VAE** (Bernoulli likelihood on dynamically binarised training images): the test set
  is binarised once with seed 1234 (:func:`genlib.metrics.likelihood.fixed_binarization`);
  the test negative ELBO (K = 1) on all 10 000 test images and the IWAE estimate of the test
  NLL, -L_K, on the first ``--iwae-images`` test images, in nats per image. The recipe decays
  its learning rate along a cosine; here the cosine spans the 10-minute run, so the earlier
  copies are taken at a higher learning rate than a run budgeted for 1 minute would end with.
* **DCGAN**: 10 000 samples from fixed noise against the first 10 000 test images, in the
  ``classifier`` recipe's network: the classifier-feature Frechet distance (penultimate-layer
  features, :func:`genlib.metrics.frechet.classifier_frechet_distance`; not Inception's FID),
  the share of samples classified with confidence >= 0.9 as a ratio of that share among the
  real test images (target of the GAN track: >= 0.85), and the smallest class's share of the
  samples (target >= 5%). The recipe also stops after 5 epochs; if that comes first, the later
  copies are the final weights (the table says when each was taken).

Prints markdown; in full mode also writes ``bench/bench_time_to_quality.md``.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "--quick" in sys.argv:
    os.environ["GENLIB_QUICK"] = "1"
else:
    os.environ.setdefault("GENLIB_QUICK", "0")

import torch  # noqa: E402

from bench.bench_gan import dcgan_readout, table  # noqa: E402
from genlib import config, zoo  # noqa: E402
from genlib.data import load_images  # noqa: E402
from genlib.metrics.frechet import classifier_frechet_distance  # noqa: E402
from genlib.metrics.likelihood import fixed_binarization, iwae_estimate  # noqa: E402
from genlib.models.conv_vae import ConvVAE  # noqa: E402
from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from genlib.training.gan import make_gan_optimizers, real_sampler, train_gan  # noqa: E402
from genlib.training.vae import train_vae  # noqa: E402


class Snapshots:
    """A training callback keeping a copy of ``model``'s weights when the clock passes each
    of ``marks`` (seconds since it was made); :meth:`finish` gives the remaining marks the
    final weights."""

    def __init__(self, model: torch.nn.Module, marks: list[float]):
        self.model, self.marks = model, sorted(marks)
        self.taken: list[dict] = []  # {"mark", "seconds", "steps", "state"}
        self.start = time.perf_counter()

    def take(self, step: int) -> None:
        self.taken.append({"mark": self.marks[len(self.taken)], "steps": step + 1,
                           "seconds": time.perf_counter() - self.start,
                           "state": copy.deepcopy(self.model.state_dict())})

    def __call__(self, step: int) -> None:
        while (len(self.taken) < len(self.marks)
               and time.perf_counter() - self.start >= self.marks[len(self.taken)]):
            self.take(step)

    def finish(self, steps: int) -> list[dict]:
        while len(self.taken) < len(self.marks):
            self.take(steps - 1)
        return self.taken


def conv_vae_over_time(marks: list[float], k: int, iwae_images: int) -> list[dict]:
    cfg = zoo.recipe_config("conv_vae")
    config.seed_everything(cfg["seed"])
    make = lambda: ConvVAE(28, 1, cfg["latent_dim"], cfg["width"], cfg["hidden"])  # noqa: E731
    model = make()
    images, _ = load_images(cfg["dataset"], "train")
    if cfg["train_images"]:
        images = images[:cfg["train_images"]]
    snapshots = Snapshots(model, marks)
    history = train_vae(model, images, epochs=10_000, batch_size=cfg["batch_size"], lr=cfg["lr"],
                        cosine_lr=cfg["cosine_lr"], beta=cfg["beta"], seed=cfg["seed"],
                        max_seconds=marks[-1], callback=snapshots, desc="conv VAE",
                        progress=False)
    steps = history.steps["elbo"][-1] + 1 if "elbo" in history else 0
    test_images, _ = load_images(cfg["dataset"], "test")
    test = fixed_binarization(test_images)
    rows = []
    for snap in snapshots.finish(steps):
        model = make()
        model.load_state_dict(snap["state"])
        model.eval()
        with torch.no_grad():
            elbo = iwae_estimate(model, test, k=1, seed=1)
            bound = iwae_estimate(model, test[:iwae_images], k=k, seed=1)
        rows.append({**snap, "neg_elbo": -elbo.mean().item(), "nll": -bound.mean().item(),
                     "nll_se": bound.std().item() / len(bound) ** 0.5,
                     "epochs": snap["steps"] * cfg["batch_size"] / len(images)})
    return rows


def dcgan_over_time(marks: list[float]) -> tuple[list[dict], dict]:
    cfg = zoo.recipe_config("dcgan")
    config.seed_everything(cfg["seed"])
    make = lambda: DCGANGenerator(cfg["latent_dim"], cfg["width"])  # noqa: E731
    generator, discriminator = make(), DCGANDiscriminator(cfg["width"])
    images, _ = load_images(cfg["dataset"], "train")
    if cfg["train_images"]:
        images = images[:cfg["train_images"]]
    noise = torch.Generator().manual_seed(cfg["seed"])
    steps_per_epoch = len(images) // cfg["batch_size"]
    snapshots = Snapshots(generator, marks)
    history = train_gan(generator, discriminator,  # as the dcgan recipe trains it
                        real_sampler(images * 2 - 1, cfg["batch_size"], noise),
                        steps_per_epoch * cfg["epochs"], loss="non-saturating",
                        optimizers=make_gan_optimizers(generator, discriminator, cfg["lr_g"],
                                                       cfg["lr_d"], tuple(cfg["betas"])),
                        noise=noise, callback=snapshots, callback_every=1,
                        max_seconds=marks[-1], progress=False, desc="DCGAN")
    steps = history.steps["d_loss"][-1] + 1
    classifier = zoo.pretrained("classifier", dataset=cfg["dataset"])[0]["classifier"]
    rows = []
    for snap in snapshots.finish(steps):
        generator = make()
        generator.load_state_dict(snap["state"])
        r = dcgan_readout(generator, cfg["latent_dim"], cfg["dataset"], classifier)
        rows.append({**snap, **r, "frechet": classifier_frechet_distance(r["fakes"], r["real"],
                                                                         classifier),
                     "epochs": snap["steps"] / steps_per_epoch})
    return rows, cfg


def minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (seconds, quick mode)")
    parser.add_argument("--only", nargs="+", choices=("vae", "dcgan"), default=["vae", "dcgan"])
    parser.add_argument("--k", type=int, default=None, help="IWAE samples (200; 10 quick)")
    parser.add_argument("--iwae-images", type=int, default=None,
                        help="test images for the IWAE bound (500; 50 quick)")
    args = parser.parse_args(argv)
    marks = [1.0, 2.0, 3.0, 4.0] if args.quick else [60.0, 120.0, 300.0, 600.0]
    k = args.k or (10 if args.quick else 200)
    iwae_images = args.iwae_images or (50 if args.quick else 500)
    parts = [f"### Time to quality ({config.mode()} mode, {torch.get_num_threads()} threads, "
             f"budgets {', '.join(minutes(m) for m in marks)})"]
    if args.quick:
        parts.append("*Smoke run (`--quick`): seconds of training on a few images, figures not "
                     "meaningful.*")
    if "vae" in args.only:
        rows = conv_vae_over_time(marks, k, iwae_images)
        parts += ["#### Conv VAE (`conv_vae` recipe), Bernoulli likelihood, binarised "
                  "Fashion-MNIST", table(
                      ["budget", "taken at", "steps", "epochs", "test -ELBO (10 000 images)",
                       f"test NLL, IWAE K = {k} ({iwae_images} images)"],
                      [[minutes(r["mark"]), f"{r['seconds']:.0f} s", f"{r['steps']:,}",
                        f"{r['epochs']:.1f}", f"{r['neg_elbo']:.2f}",
                        f"{r['nll']:.2f} ± {r['nll_se']:.2f}"] for r in rows])]
    if "dcgan" in args.only:
        rows, cfg = dcgan_over_time(marks)
        parts += [f"#### DCGAN (`dcgan` recipe: width {cfg['width']}, batch {cfg['batch_size']}, "
                  f"at most {cfg['epochs']} epochs)", table(
                      ["budget", "taken at", "G steps", "epochs",
                       "classifier-feature Frechet distance", "confident share (p >= 0.9)",
                       "ratio to real (target >= 0.85)", "smallest class (target >= 0.05)"],
                      [[minutes(r["mark"]), f"{r['seconds']:.0f} s", f"{r['steps']:,}",
                        f"{r['epochs']:.2f}", f"{r['frechet']:.1f}", f"{r['share_fake']:.3f}",
                        f"{r['ratio']:.3f}", f"{r['hist_fake'].min():.3f}"] for r in rows]),
                  f"Real test images: confident share {rows[0]['share_real']:.3f}."]
    text = "\n\n".join(parts)
    print(text)
    if not args.quick:
        (ROOT / "bench" / "bench_time_to_quality.md").write_text(text + "\n")
    return text


if __name__ == "__main__":
    main()
