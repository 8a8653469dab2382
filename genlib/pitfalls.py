r"""Spot the bug: broken training steps of the kind found in tutorials, and a self-check that
runs a (fixed) step for a few iterations and says whether it now learns (notebook 10, §5).

Two small tasks keep every check to a second or two:

* ``"gan"``: real data x ~ N(3, 0.5^2) on the line; a generator G(z) = MLP(z), z ~ N(0, 1),
  starting near 0; an MLP discriminator giving *logits*. A step is
  ``gan_step(generator, discriminator, opt_g, opt_d, real, z)``: one discriminator update,
  then one generator update. It *learns* if, checked every 25 steps over the second half of
  400 steps, the generated mean stays within 0.8 of 3, and the samples have not collapsed
  to a point (final standard deviation above 0.08). Staying there matters: a broken step
  can pass through 3 on its way elsewhere.
* ``"vae"``: 8x8 digit scans (binarised), a small MLP VAE with a 2-D latent. A step is
  ``vae_step(model, optimizer, x)``: one update on a batch. It *learns* if the true ELBO
  (computed here, not by the step) on held-out digits rises by at least 5 nats per image.

Every broken step below fails its check and a correct fix passes (tests/test_pitfalls.py).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .config import torch_threads
from .data import binarize, load_images
from .models.mlp_gan import MLPDiscriminator, MLPGenerator
from .models.vae import MLPVAE
from .objectives.elbo import elbo

REAL_MEAN, REAL_STD = 3.0, 0.5
GAN_MEAN_TOLERANCE = 0.8  # |generated mean - 3| at every check of the second half
GAN_MIN_SPREAD = 0.08     # the final generated standard deviation (a point mass fails)
VAE_MIN_GAIN = 5.0        # nats per image the held-out ELBO must rise
UNCHANGED_AFTER = 20      # GAN task: stop when no step has moved the generator by then


# ---------------------------------------------------------------- the broken steps (tutorial code)
def gan_step_generator_not_in_loss(generator, discriminator, opt_g, opt_d, real, z):
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    # discriminator
    fake = generator(z)
    d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # generator
    g_loss = bce(discriminator(real), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def gan_step_fake_detached(generator, discriminator, opt_g, opt_d, real, z):
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    fake = generator(z).detach()  # computed once for both players
    # discriminator
    d_loss = bce(discriminator(real), ones) + bce(discriminator(fake), zeros)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # generator
    g_loss = bce(discriminator(fake), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def gan_step_labels_swapped(generator, discriminator, opt_g, opt_d, real, z):
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    # discriminator
    fake = generator(z)
    d_loss = bce(discriminator(real), zeros) + bce(discriminator(fake.detach()), ones)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # generator
    g_loss = bce(discriminator(fake), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def gan_step_bce_on_logits(generator, discriminator, opt_g, opt_d, real, z):
    bce = nn.BCELoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    # discriminator
    fake = generator(z)
    d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # generator
    g_loss = bce(discriminator(fake), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def gan_step_gradients_not_zeroed(generator, discriminator, opt_g, opt_d, real, z):
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    # discriminator
    fake = generator(z)
    d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
    d_loss.backward()
    opt_d.step()
    # generator
    g_loss = bce(discriminator(fake), ones)
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def vae_step_kl_sign(model, optimizer, x):
    logits, mu, logvar = model(x)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum() / len(x)
    loss = reconstruction - kl
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


@dataclass
class Pitfall:
    name: str
    task: str            # "gan" or "vae"
    step: Callable
    symptom: str         # what a learner sees
    hint: str            # where to look

    def source(self) -> str:
        return inspect.getsource(self.step)


PITFALLS = {p.name: p for p in [
    Pitfall("generator not in its loss", "gan", gan_step_generator_not_in_loss,
            "the generated samples never move",
            "Which network's output does g_loss depend on?"),
    Pitfall("fake batch detached", "gan", gan_step_fake_detached,
            "the generated samples never move, yet both losses change",
            "Can a gradient of g_loss reach the generator's weights?"),
    Pitfall("labels swapped", "gan", gan_step_labels_swapped,
            "the samples run away from the data",
            "What does the discriminator learn to call real?"),
    Pitfall("BCE on logits", "gan", gan_step_bce_on_logits,
            "an error about values between 0 and 1 (in TensorFlow: silent, a double sigmoid)",
            "What does the discriminator return, and what does nn.BCELoss expect?"),
    Pitfall("gradients never zeroed", "gan", gan_step_gradients_not_zeroed,
            "training oscillates or drifts; losses look erratic",
            "What does .backward() do to a .grad that already holds a value?"),
    Pitfall("KL with the wrong sign", "vae", vae_step_kl_sign,
            "reconstructions look fine while the KL term explodes; samples from the prior "
            "are garbage",
            "Is the ELBO maximised or minimised, and which sign does the KL take in it?"),
]}


# ---------------------------------------------------------------- the self-check
@dataclass
class CheckResult:
    learns: bool
    message: str

    def __bool__(self) -> bool:
        return self.learns


def _gan_task(step_fn, steps: int, seed: int) -> CheckResult:
    torch.manual_seed(seed)
    generator = MLPGenerator(latent_dim=1, hidden=16, depth=2, data_dim=1)
    discriminator = MLPDiscriminator(data_dim=1, hidden=32, depth=2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    before = [p.detach().clone() for p in generator.parameters()]
    noise = torch.Generator().manual_seed(seed)
    z_eval = torch.randn(2000, 1, generator=torch.Generator().manual_seed(seed + 1))
    means, stds = [], []  # of the generated samples, every 25 steps in the second half
    for i in range(steps):
        real = REAL_MEAN + REAL_STD * torch.randn(128, 1, generator=noise)
        z = torch.randn(128, 1, generator=noise)
        step_fn(generator, discriminator, opt_g, opt_d, real, z)
        if i + 1 == UNCHANGED_AFTER and _unchanged(before, generator):
            break  # a generator that no step has moved yet never will: stop early
        if i >= steps // 2 and (i + 1) % 25 == 0:
            with torch.no_grad():
                fake = generator(z_eval)
            means.append(fake.mean().item())
            stds.append(fake.std().item())
    if not all(torch.isfinite(p).all() for p in generator.parameters()):
        return CheckResult(False, "the generator's weights became NaN or Inf")
    if _unchanged(before, generator):
        return CheckResult(False, "the generator's weights never changed: no gradient reaches "
                                  "them, or its optimiser never steps")
    worst = max(means, key=lambda m: abs(m - REAL_MEAN))
    summary = (f"over the last {steps - steps // 2} steps the generated mean stayed between "
               f"{min(means):.2f} and {max(means):.2f} (data {REAL_MEAN}); final spread "
               f"{stds[-1]:.2f} (data {REAL_STD})")
    ok = abs(worst - REAL_MEAN) < GAN_MEAN_TOLERANCE and stds[-1] > GAN_MIN_SPREAD
    return CheckResult(ok, summary)


def _unchanged(before: list[torch.Tensor], model: nn.Module) -> bool:
    return all(torch.equal(b, p) for b, p in zip(before, model.parameters()))


_DIGITS: dict = {}


def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    if not _DIGITS:
        images, _ = load_images("digits", "train")
        binary = binarize(images, generator=torch.Generator().manual_seed(0))
        _DIGITS["train"], _DIGITS["held_out"] = binary[:1200], binary[1200:]
    return _DIGITS["train"], _DIGITS["held_out"]


def _true_elbo(model, x: torch.Tensor) -> float:
    torch.manual_seed(1)
    with torch.no_grad():
        logits, mu, logvar = model(x)
        return elbo(x, logits, mu, logvar).elbo.mean().item()


def _vae_task(step_fn, steps: int, seed: int) -> CheckResult:
    torch.manual_seed(seed)
    train, held_out = _digits()
    model = MLPVAE((1, 8, 8), latent_dim=2, hidden=(64,))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = _true_elbo(model, held_out)
    order = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = train[torch.randint(len(train), (64,), generator=order)]
        model.train()
        step_fn(model, optimizer, x)
    model.eval()
    end = _true_elbo(model, held_out)
    summary = f"held-out ELBO went from {start:.1f} to {end:.1f} nats per image"
    if end != end:  # NaN
        return CheckResult(False, "the held-out ELBO became NaN")
    return CheckResult(end > start + VAE_MIN_GAIN, summary)


TASKS = {"gan": (_gan_task, 400), "vae": (_vae_task, 300)}


def check_fix(step_fn: Callable, task: str = "gan", steps: int | None = None, seed: int = 0,
              name: str | None = None, quiet: bool = False) -> CheckResult:
    """Run ``step_fn`` on ``task`` ("gan" or "vae", see the module docstring) for ``steps``
    iterations and report whether it now learns. Returns a truthy/falsy ``CheckResult``.

    Errors raised by the step are reported, not raised: a crash counts as "does not learn".
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    run, default_steps = TASKS[task]
    label = name or getattr(step_fn, "__name__", "your step")
    try:
        with torch_threads(1):  # tiny networks: one thread is fastest
            result = run(step_fn, steps or default_steps, seed)
    except Exception as exc:  # the student's bug, reported
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        result = CheckResult(False, f"raised {type(exc).__name__}: {first}")
    if not quiet:
        verdict = "learns" if result.learns else "does NOT learn"
        print(f"{label}: {verdict} - {result.message}")
    return result
