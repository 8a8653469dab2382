"""Pilot runs for the DCGAN recipe (issue 4's target: confident-share ratio >= 0.85).

Trains the ``dcgan`` recipe's networks with genlib's ``train_gan`` for ``--seconds`` of
wall-clock time (no epoch cap), keeps the generator and an exponential moving average of its
weights, and reads both out with the classifier at the time marks. Settings can be varied
from the command line; the table goes to stdout. Used to choose the recipe, not part of
``make bench``::

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/pilot_dcgan.py --seconds 600 --ema 0.999
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GENLIB_QUICK", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.bench_gan import dcgan_readout  # noqa: E402
from genlib import config, zoo  # noqa: E402
from genlib.data import load_images  # noqa: E402
from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from genlib.training.gan import make_gan_optimizers, real_sampler, train_gan  # noqa: E402
from genlib.training.ema import WeightAverage  # noqa: E402


def spectrally_normalise(discriminator: torch.nn.Module) -> None:
    """Spectral norm on every convolution of ``discriminator`` (one power iteration per
    forward pass), its batch-norm layers replaced by identities, in place."""
    from torch.nn.utils.parametrizations import spectral_norm

    for name, module in list(discriminator.net.named_children()):
        if isinstance(module, torch.nn.Conv2d):
            spectral_norm(module)
        elif isinstance(module, torch.nn.BatchNorm2d):
            discriminator.net[int(name)] = torch.nn.Identity()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--marks", type=float, nargs="*", default=[120, 300, 450, 600])
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr-g", type=float, default=None)
    p.add_argument("--lr-d", type=float, default=None)
    p.add_argument("--decay", action="store_true", help="decay both lrs linearly over the run")
    p.add_argument("--decay-steps", type=int, default=None,
                   help="with --decay: the steps the decay spans (the run also stops there); "
                        "default 20 per second of --seconds")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--reuse", action="store_true", help="train_gan(reuse_fakes=True)")
    p.add_argument("--spectral-norm", action="store_true",
                   help="the discriminator's convolutions spectrally normalised (Miyato et al. "
                        "2018) and its batch norm removed")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = zoo.recipe_config("dcgan")
    for key, value in [("width", args.width), ("batch_size", args.batch),
                       ("lr_g", args.lr_g), ("lr_d", args.lr_d)]:
        if value is not None:
            cfg[key] = value
    print(cfg, vars(args), f"threads={torch.get_num_threads()}", flush=True)
    config.seed_everything(cfg["seed"])
    generator = DCGANGenerator(cfg["latent_dim"], cfg["width"])
    discriminator = DCGANDiscriminator(cfg["width"])
    if args.spectral_norm:
        spectrally_normalise(discriminator)
    average = WeightAverage(generator, args.ema)
    images, _ = load_images(cfg["dataset"], "train")
    noise = torch.Generator().manual_seed(cfg["seed"])
    marks = sorted(args.marks)
    kept: list[tuple[float, int, dict, dict]] = []
    start = time.perf_counter()

    def callback(step: int) -> None:
        while len(kept) < len(marks) and time.perf_counter() - start >= marks[len(kept)]:
            kept.append((time.perf_counter() - start, step + 1,
                         copy.deepcopy(generator.state_dict()),
                         copy.deepcopy(average.model.state_dict())))

    steps = int(1e9 if not args.decay else args.decay_steps or args.seconds * 20)
    train_gan(generator, discriminator, real_sampler(images * 2 - 1, cfg["batch_size"], noise),
              steps, loss="non-saturating", decay_lr=args.decay, ema=average,
              bf16=args.bf16, reuse_fakes=args.reuse,
              optimizers=make_gan_optimizers(generator, discriminator, cfg["lr_g"], cfg["lr_d"],
                                             tuple(cfg["betas"])),
              noise=noise, callback=callback, callback_every=1, max_seconds=args.seconds,
              progress=False)
    while len(kept) < len(marks):
        kept.append((time.perf_counter() - start, -1, copy.deepcopy(generator.state_dict()),
                     copy.deepcopy(average.model.state_dict())))
    classifier = zoo.pretrained("classifier", dataset=cfg["dataset"])[0]["classifier"]
    epoch = len(images) // cfg["batch_size"]
    print("| s | steps | epochs | raw ratio | raw min class | ema ratio | ema min class |")
    print("|---|---|---|---|---|---|---|")
    for seconds, step, raw, ema in kept:
        row = [f"{seconds:.0f}", str(step), f"{step / epoch:.2f}"]
        for state in (raw, ema):
            g = DCGANGenerator(cfg["latent_dim"], cfg["width"])
            g.load_state_dict(state)
            r = dcgan_readout(g, cfg["latent_dim"], cfg["dataset"], classifier)
            row += [f"{r['ratio']:.3f}", f"{r['hist_fake'].min():.3f}"]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
