"""Training throughput: images per second, genlib's way vs the pytorch/examples way.

For each model of the collection (MLP VAE, conv VAE, DCGAN, WGAN-GP) we build the model
with the sizes of its zoo recipe in full mode, and train it

* **ours**: with genlib's own loop (:func:`genlib.training.vae.train_vae`,
  :func:`genlib.training.gan.train_gan`) and its settings (batch size, learning rate,
  whatever speed levers the loop uses), the data set held as one float tensor and batched
  by :class:`genlib.data.Batches`;
* **reference**: with :mod:`bench.reference`: the same layers and optimiser, fed by a
  ``DataLoader`` over a per-item uint8 ``Dataset``, batch 128.

Protocol: warm-up steps for each (they also size the chunks to about ``chunk_seconds``),
then 5 rounds, each with one timed chunk of ours and of the reference (and of each "lever":
ours with a speed-up genlib's loop offers but the recipe does not use), in an order that
rotates from round to round so that all see the same machine load; the figure is the
median images/s of the 5 chunks and the ratio is median(ours) / median(reference).
Images are training images consumed: a VAE step uses one batch, a DCGAN step one real
batch, a WGAN-GP step ``d_steps`` real batches (the critic steps) plus the generator step.
Target: ratio >= 2 for every model.
"""
from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from genlib import config, zoo
from genlib.data import load_images
from genlib.models.conv_vae import ConvVAE
from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator
from genlib.models.vae import MLPVAE
from genlib.training.gan import make_gan_optimizers, real_sampler, train_gan
from genlib.training.vae import train_vae

from . import Section, TargetCheck, fmt, markdown_table
from . import reference as ref

THROUGHPUT_TARGET_RATIO = 2.0
REPEATS = 5


@contextlib.contextmanager
def full_mode():
    """Read recipe configurations as full mode has them (the models students train)."""
    before = os.environ.get("GENLIB_QUICK")
    os.environ["GENLIB_QUICK"] = "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["GENLIB_QUICK"]
        else:
            os.environ["GENLIB_QUICK"] = before


@dataclass
class Workload:
    """One model, trainable both ways, ``steps`` at a time.

    ``ours(steps)`` and ``reference.train_steps(steps)`` each train for ``steps`` steps and
    return the number of training images they consumed; so does each of ``levers``: ours
    with a speed-up genlib's loop already offers but the recipe does not use.
    """

    name: str
    recipe: str  # the zoo recipe whose full-mode settings are used
    settings: dict
    models: dict[str, torch.nn.Module]  # ours
    ours: Callable[[int], int]
    reference: object  # a bench.reference.Reference*Training
    parameters: int
    data: dict = field(default_factory=dict)  # what the step profile needs
    notes: str = ""
    levers: dict[str, Callable[[int], int]] = field(default_factory=dict)


def _data(dataset: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Float images (N x 1 x 28 x 28 in [0, 1]), labels, and the same images as uint8."""
    images, labels = load_images(dataset, "train")
    if images.shape[-1] != 28:
        raise RuntimeError(f"the throughput benchmark needs 28x28 images; {dataset!r} is not")
    uint8 = (images[:, 0] * 255).round().to(torch.uint8).numpy()  # the file's bytes again
    return images, labels, uint8


def images_per_step(w: Workload, side: str) -> int:
    """Training images one step of ``side`` (``"ours"`` or ``"reference"``) consumes."""
    if side == "ours":
        return w.settings["batch_size"] * w.settings.get("d_steps", 1)
    return w.reference.batch_size * getattr(w.reference, "critic_steps", 1)


def vae_workload(name: str, recipe: str, images, labels, uint8, device) -> Workload:
    with full_mode():
        cfg = zoo.recipe_config(recipe)
    if recipe == "conv_vae":
        model = ConvVAE(28, 1, cfg["latent_dim"], cfg["width"], cfg["hidden"])
        twin = ref.ReferenceConvVAE(28, 1, cfg["latent_dim"], cfg["width"], cfg["hidden"])
    else:
        model = MLPVAE((1, 28, 28), cfg["latent_dim"], tuple(cfg["hidden"]))
        twin = ref.ReferenceMLPVAE(784, tuple(cfg["hidden"]), cfg["latent_dim"])
    parameters = ref.check_same_architecture(model, twin)

    def ours_with(batch_size: int, bf16: bool = False) -> Callable[[int], int]:
        per_epoch = len(images) // batch_size

        def train(steps: int) -> int:
            # train_vae as the zoo recipe calls it, on a subset of whole batches
            epochs = math.ceil(steps / per_epoch)
            subset = images[:batch_size * math.ceil(steps / epochs)]
            train_vae(model, subset, epochs=epochs, batch_size=batch_size, lr=cfg["lr"],
                      beta=cfg["beta"], warmup_steps=cfg["warmup_steps"],
                      free_bits=cfg["free_bits"], cosine_lr=cfg.get("cosine_lr", False),
                      seed=cfg["seed"], log_every=20, bf16=bf16, device=device, progress=False)
            return epochs * len(subset)
        return train

    reference = ref.ReferenceVAETraining(twin, ref.UInt8ImageDataset(uint8, labels.numpy()),
                                         lr=cfg["lr"], device=device)
    levers = {"batch 512": ours_with(512),
              "`bf16=True`": ours_with(cfg["batch_size"], bf16=True),
              "`bf16=True`, batch 512": ours_with(512, bf16=True)}
    notes = ("the reference trains on grey levels as vae/main.py does; ours binarises every "
             "batch afresh (dynamic binarisation, counted in its data time).")
    return Workload(name, recipe, cfg, {"vae": model}, ours_with(cfg["batch_size"]), reference,
                    parameters, {"images": images}, notes, levers)


def gan_workload(name: str, images, labels, uint8, device, critic: bool) -> Workload:
    """The ``dcgan`` recipe's DCGAN; with ``critic``, the same networks trained as WGAN-GP
    with the critic settings of the ``wgan_gp_ring8`` recipe (the zoo has no WGAN-GP on
    images: notebook 04 trains it on the 2-D ring)."""
    with full_mode():
        cfg = zoo.recipe_config("dcgan")
        if critic:
            wgan = zoo.recipe_config("wgan_gp_ring8")
            cfg.update(loss="wgan-gp", d_steps=wgan["d_steps"], betas=wgan["betas"],
                       gp_weight=wgan["gp_weight"])
        else:
            cfg.update(loss="non-saturating", d_steps=1, gp_weight=0.0)
    torch.manual_seed(cfg["seed"])
    generator = DCGANGenerator(cfg["latent_dim"], cfg["width"]).to(device)
    discriminator = DCGANDiscriminator(cfg["width"]).to(device)
    twin_g = ref.ReferenceGenerator(cfg["latent_dim"], cfg["width"])
    twin_d = ref.ReferenceDiscriminator(cfg["width"])
    twin_g.apply(ref.weights_init), twin_d.apply(ref.weights_init)
    parameters = (ref.check_same_architecture(generator, twin_g)
                  + ref.check_same_architecture(discriminator, twin_d))
    betas = tuple(cfg["betas"])
    lr_g, lr_d = cfg.get("lr_g", cfg.get("lr")), cfg.get("lr_d", cfg.get("lr"))
    optimizers = make_gan_optimizers(generator, discriminator, lr_g, lr_d, betas)
    noise = torch.Generator().manual_seed(cfg["seed"])
    gan_images = images * 2 - 1  # [0, 1] -> [-1, 1], once, as the recipe does

    def ours_with(batch_size: int, bf16: bool = False,
                  reuse_fakes: bool = False) -> Callable[[int], int]:
        next_real = real_sampler(gan_images, batch_size, noise)

        def train(steps: int) -> int:
            train_gan(generator, discriminator, next_real, steps, loss=cfg["loss"],
                      d_steps=cfg["d_steps"], optimizers=optimizers,
                      gp_weight=cfg["gp_weight"], noise=noise, log_every=20, progress=False,
                      bf16=bf16, reuse_fakes=reuse_fakes)
            return steps * batch_size * cfg["d_steps"]
        train.next_real = next_real
        return train

    ours = ours_with(cfg["batch_size"])

    dataset = ref.UInt8ImageDataset(uint8, labels.numpy(), normalize=True)
    reference = ref.ReferenceGANTraining(
        twin_g, twin_d, dataset, lr_g=lr_g, lr_d=lr_d, betas=betas,
        gradient_penalty=critic, critic_steps=cfg["d_steps"], gp_weight=cfg["gp_weight"],
        device=device)
    levers = {f"batch {ref.BATCH_SIZE}": ours_with(ref.BATCH_SIZE),
              f"`bf16=True`, batch {ref.BATCH_SIZE}": ours_with(ref.BATCH_SIZE, bf16=True)}
    if not critic:
        levers[f"`reuse_fakes=True`, `bf16=True`, batch {ref.BATCH_SIZE}"] = ours_with(
            ref.BATCH_SIZE, bf16=True, reuse_fakes=True)
    notes = ("DCGAN networks of the `dcgan` recipe as critic and generator, 5 critic steps "
             "per generator step, Adam betas (0.5, 0.9), penalty weight 10 (`wgan_gp_ring8`); "
             "the reference is the usual PyTorch port of WGAN-GP." if critic else
             "the reference is dcgan/main.py's loop, which reuses the discriminator's fake batch "
             "for the generator update; `train_gan` draws a new one.")
    return Workload(name, "dcgan", cfg, {"generator": generator, "discriminator": discriminator},
                    ours, reference, parameters,
                    {"next_real": ours.next_real, "noise": noise, "optimizers": optimizers},
                    notes, levers=levers)


def build_workloads() -> list[Workload]:
    """Every model with its two ways of training, data loaded once."""
    device = config.get_device()
    with full_mode():
        dataset = zoo.recipe_config("conv_vae")["dataset"]
    images, labels, uint8 = _data(dataset)
    return [
        vae_workload("MLP VAE", "mlp_vae", images, labels, uint8, device),
        vae_workload("conv VAE", "conv_vae", images, labels, uint8, device),
        gan_workload("DCGAN", images, labels, uint8, device, critic=False),
        gan_workload("WGAN-GP", images, labels, uint8, device, critic=True),
    ]


# ----------------------------------------------------------------------------- timing
def time_chunk(train: Callable[[int], int], steps: int) -> tuple[int, float]:
    """``(images consumed, seconds)`` of one chunk of ``steps`` training steps."""
    start = time.perf_counter()
    n_images = train(steps)
    return n_images, time.perf_counter() - start


@dataclass
class Throughput:
    workload: str
    rates: dict[str, list[float]]  # images/s of each timed chunk: ours, reference, levers
    steps: dict[str, int]  # steps per chunk

    def median(self, key: str) -> float:
        return statistics.median(self.rates[key])

    def ratio(self, key: str = "ours") -> float:
        """median(key) / median(reference)."""
        return self.median(key) / self.median("reference")


def measure_workload(w: Workload, chunk_seconds: float, repeats: int = REPEATS,
                     min_steps: int = 3, quick: bool = False) -> Throughput:
    """Warm-up (which also sizes the chunks), then ``repeats`` rounds of one timed chunk of
    each runner, the order rotating from round to round. ``quick`` (the smoke run) leaves
    out the levers and the warm-up before the sizing probe."""
    runners = {"ours": w.ours, "reference": w.reference.train_steps,
               **({} if quick else w.levers)}
    steps = {}
    for key, train in runners.items():
        if not quick:
            time_chunk(train, min_steps)  # first steps: allocation, lazy initialisation, caches
        probe = min_steps
        while True:  # more warm-up: double the probe until it takes a third of a chunk
            _, seconds = time_chunk(train, probe)
            if seconds >= chunk_seconds / 3:
                break
            probe *= 2
        steps[key] = max(min_steps, round(probe / seconds * chunk_seconds))
    rates = {key: [] for key in runners}
    keys = list(runners)
    for i in range(repeats):
        for key in keys[i % len(keys):] + keys[:i % len(keys)]:
            n_images, seconds = time_chunk(runners[key], steps[key])
            rates[key].append(n_images / seconds)
    return Throughput(w.name, rates, steps)


def measure(workloads: list[Workload], quick: bool) -> tuple[Section, list[Throughput]]:
    """The throughput section (one target check per model, in order) and the raw figures."""
    chunk_seconds, repeats, min_steps = (0.3, 2, 1) if quick else (3.0, REPEATS, 3)
    results = [measure_workload(w, chunk_seconds, repeats, min_steps, quick)
               for w in workloads]
    rows, lever_rows, checks = [], [], []
    for w, r in zip(workloads, results):
        per_round = [o / f for o, f in zip(r.rates["ours"], r.rates["reference"])]
        rows.append([w.name, f"`{w.recipe}`", f"{w.parameters:,}",
                     f"{w.settings['batch_size']} / {w.reference.batch_size}",
                     _rates(r.rates["ours"]), _rates(r.rates["reference"]),
                     f"**{r.ratio():.2f}** ({min(per_round):.2f}-{max(per_round):.2f})"])
        checks.append(TargetCheck(f"training throughput, {w.name}, ours / reference",
                                  r.ratio(), THROUGHPUT_TARGET_RATIO, "x",
                                  higher_is_better=True))
        lever_rows += [[w.name, lever, _rates(r.rates[lever]), f"{r.ratio(lever):.2f}",
                        f"{r.median(lever) / r.median('ours'):.2f}"]
                       for lever in w.levers if lever in r.rates]
    text = [
        f"Median of {repeats} timed chunks of about {chunk_seconds:g} s each after a warm-up, "
        "every runner once per round, in rotating order; in brackets the range over the "
        "chunks (for the ratio: the range of the per-round ratios). Models built with the "
        "full-mode sizes of their zoo recipe; the reference has the same layers and optimiser "
        "(`bench.reference.check_same_architecture`): Adam, which genlib's loops run as "
        "PyTorch's fused implementation (`genlib.training.adam`) where the reference keeps "
        "the default; on the CPU genlib's loops also hold convolution weights in the "
        "channels-last layout while training (`genlib.training.TrainingRun`). "
        f"Device: {config.get_device()}, "
        f"{torch.get_num_threads()} threads. Target: ours / reference >= "
        f"{THROUGHPUT_TARGET_RATIO:g}.", "",
        markdown_table(["model", "recipe", "parameters", "batch (ours / ref)",
                        "ours, images/s", "reference, images/s", "ratio"], rows)]
    text += [""] + [f"* {w.name}: {w.notes}" for w in workloads if w.notes]
    if lever_rows:  # not in the smoke run
        text += ["", "Speed levers genlib's loops already offer but the recipes do not use, "
                 "measured in the same rounds (`bf16=True` of `train_vae` and `train_gan`: "
                 "bfloat16 autocast, which this CPU runs on AMX/AVX512-BF16 units if it has "
                 "them; `train_gan(reuse_fakes=True)`: one generator pass per step, as "
                 "dcgan/main.py; a larger batch changes the optimisation, so a recipe adopting "
                 "one should re-tune its learning rate). Images per second are not model "
                 "quality per minute: in pilots the DCGAN's samples did not improve faster "
                 "with these levers (`bench/pilot_dcgan.md`), and the MLP VAE recipes at "
                 "batch 512 reached a lower test ELBO than at batch 128 in the same training "
                 "time (`bench/pilot_vae_batch.md`), so the recipes keep their batch sizes "
                 "in float32:", "",
                 markdown_table(["model", "ours with", "images/s", "ratio to reference",
                                 "ratio to ours"], lever_rows)]
    return Section("Training throughput (ours vs reference)", "\n".join(text), checks), results


def _rates(values: list[float]) -> str:
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"
