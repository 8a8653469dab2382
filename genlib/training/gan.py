"""``train_gan``: the alternating GAN updates, short and in plain sight (notebooks 02-04).

One *step* is ``d_steps`` updates of the discriminator (or critic) with the generator held
fixed, then one update of the generator with the discriminator held fixed (Goodfellow et
al. 2014, Algorithm 1). ``loss`` picks the objective:

* ``"non-saturating"``  D minimises -V(D, G); G minimises -E log D(G(z))   (notebook 01, §5)
* ``"saturating"``      D as above; G minimises E log(1 - D(G(z))), the minimax game itself
* ``"wgan-gp"``         critic f minimises E f(G(z)) - E f(x) + lambda GP; G minimises
                        -E f(G(z))   (Gulrajani et al. 2017; notebook 04, §3)
* ``"wgan-clip"``       the same critic loss without the penalty, every critic weight clipped
                        to [-clip, clip] after each update (Arjovsky et al. 2017; notebook 04)
"""
from __future__ import annotations

from typing import Callable

import contextlib

import torch
from torch import nn

from ..data.batching import Batches
from ..objectives.gan import discriminator_loss, generator_loss
from ..objectives.wasserstein import critic_loss, gradient_penalty
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam

GAN_LOSSES = ("non-saturating", "saturating", "wgan-gp", "wgan-clip")


def real_sampler(source, batch_size: int,
                 generator: torch.Generator | None = None) -> Callable[[], torch.Tensor]:
    """A function returning the next batch of real data, forever.

    ``source`` is a 2-D toy distribution (anything with ``.sample(n, generator)``: fresh
    samples every call) or a tensor of training examples (shuffled mini-batches of
    ``batch_size``, epoch after epoch, with the last incomplete batch dropped).
    """
    require_positive("batch_size", batch_size, integer=True)
    if hasattr(source, "sample"):
        return lambda: source.sample(batch_size, generator=generator)
    batches = Batches(torch.as_tensor(source), batch_size=batch_size, drop_last=True,
                      generator=generator)
    if len(batches) == 0:
        raise ValueError(f"batch_size={batch_size} is larger than the {len(source)} examples")

    def endless():
        while True:
            for (x,) in batches:
                yield x

    stream = endless()
    return lambda: next(stream)


def make_gan_optimizers(generator: nn.Module, discriminator: nn.Module, lr_g: float = 2e-4,
                        lr_d: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999)):
    """Adam for both players, beta1 = 0.5 as Radford et al. recommend: ``(opt_g, opt_d)``.
    Pass them to several ``train_gan`` calls to continue training with the same state."""
    require_positive("lr_g", lr_g)
    require_positive("lr_d", lr_d)
    return (adam(generator.parameters(), lr=lr_g, betas=betas),
            adam(discriminator.parameters(), lr=lr_d, betas=betas))


def train_gan(generator: nn.Module, discriminator: nn.Module,
              next_real: Callable[[], torch.Tensor], steps: int, *,
              loss: str = "non-saturating", d_steps: int = 1,
              optimizers: tuple | None = None, lr_g: float = 2e-4, lr_d: float = 2e-4,
              betas: tuple[float, float] = (0.5, 0.999), gp_weight: float = 10.0,
              clip: float = 0.01, decay_lr: bool = False, reuse_fakes: bool = False,
              bf16: bool = False, ema=None, noise: torch.Generator | None = None,
              log_every: int = 10, callback: Callable[[int], dict | None] | None = None,
              callback_every: int = 100, history: History | None = None,
              max_seconds: float | None = None, progress: bool = True,
              desc: str | None = None) -> History:
    """Train ``generator`` against ``discriminator`` for ``steps`` generator updates.

    Args:
        next_real: returns a batch of real data (see :func:`real_sampler`); its size is the
            batch size of both players.
        loss: one of :data:`GAN_LOSSES` (module docstring).
        d_steps: discriminator (critic) updates per generator update, the k of Algorithm 1.
        optimizers: ``(opt_g, opt_d)`` to continue with; else made by
            :func:`make_gan_optimizers` from ``lr_g``, ``lr_d``, ``betas``.
        decay_lr: decay both learning rates linearly to 0 over the ``steps`` (at the end the
            players take ever smaller steps, so the samples settle instead of jittering).
        reuse_fakes: the generator's update scores the fake batch the discriminator was just
            trained on (now with the gradient path through G kept), as pytorch/examples'
            dcgan/main.py does, instead of drawing new z: one generator forward pass per
            step instead of two. Needs ``d_steps=1``.
        bf16: run both networks under bfloat16 autocast (faster on CPUs with AMX/AVX512-BF16
            units and on recent GPUs); logits are cast back to float32 before the losses.
        ema: a :class:`~genlib.training.ema.WeightAverage` of the generator, updated after
            each generator step.
        noise: a ``torch.Generator`` for z (and the penalty's interpolation weights).
        log_every: steps between history entries (``d_loss``, ``g_loss``, and ``d_real`` /
            ``d_fake`` = mean D on real / fake, or ``wasserstein`` = E f(x) - E f(G(z)) and
            ``penalty`` for a critic).
        callback: called as ``callback(step)`` every ``callback_every`` steps and after the
            last; a returned dict is logged (e.g. modes covered so far).
        history, max_seconds, progress, desc: passed to :class:`TrainingRun`.

    Returns the History; the models keep their trained weights.
    """
    if loss not in GAN_LOSSES:
        raise ValueError(f"loss must be one of {GAN_LOSSES}, got {loss!r}")
    require_positive("steps", steps, integer=True)
    require_positive("d_steps", d_steps, integer=True)
    critic = loss.startswith("wgan")
    if reuse_fakes and d_steps != 1:
        raise ValueError("reuse_fakes=True reuses the one fake batch of the discriminator "
                         f"step; it needs d_steps=1, got d_steps={d_steps}")
    opt_g, opt_d = optimizers or make_gan_optimizers(generator, discriminator, lr_g, lr_d, betas)
    device = next(generator.parameters()).device
    latent_dim = generator.latent_dim
    schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / steps)
                 for opt in (opt_g, opt_d)] if decay_lr else []
    generator.train(); discriminator.train()
    start = history.steps["d_loss"][-1] + 1 if history is not None and "d_loss" in history else 0

    def sample_z(n: int) -> torch.Tensor:
        return torch.randn(n, latent_dim, generator=noise).to(device)

    def autocast():
        return (torch.autocast(device.type, dtype=torch.bfloat16) if bf16
                else contextlib.nullcontext())

    def scores(x: torch.Tensor) -> torch.Tensor:  # D's logits (f's values), in float32
        with autocast():
            return discriminator(x).float()

    with TrainingRun(total=steps, models=[generator, discriminator], desc=desc or f"GAN ({loss})",
                     max_seconds=max_seconds, history=history, progress=progress) as run:
        for i in run:
            step = start + i
            # 1) the discriminator (critic): d_steps updates with G fixed (fakes detached)
            for _ in range(d_steps):
                real = next_real().to(device)
                with autocast(), torch.set_grad_enabled(reuse_fakes):  # G's graph if reused
                    fake_graph = generator(sample_z(len(real)))
                fake = fake_graph.detach()
                real_out, fake_out = scores(real), scores(fake)
                if critic:
                    d_loss = critic_loss(real_out, fake_out)
                    penalty = (gradient_penalty(discriminator, real, fake, generator=noise)
                               if loss == "wgan-gp" else torch.zeros(()))
                    d_total = d_loss + gp_weight * penalty
                else:
                    d_loss = d_total = discriminator_loss(real_out, fake_out)
                opt_d.zero_grad(set_to_none=True)
                d_total.backward()
                opt_d.step()
                if loss == "wgan-clip":
                    with torch.no_grad():
                        for p in discriminator.parameters():
                            p.clamp_(-clip, clip)
            # 2) the generator: one update with D fixed (only G's optimizer steps)
            if not reuse_fakes:
                with autocast():
                    fake_graph = generator(sample_z(len(real)))
            g_loss = generator_loss(scores(fake_graph), kind="wasserstein" if critic else loss)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            if ema is not None:
                ema.update()
            for schedule in schedules:
                schedule.step()

            if not run.check_finite(d_loss=d_total, g_loss=g_loss):
                break
            if i % log_every == 0 or i == steps - 1:
                if critic:
                    run.log(step, d_loss=d_loss, g_loss=g_loss, wasserstein=-d_loss,
                            penalty=penalty)
                else:
                    run.log(step, d_loss=d_loss, g_loss=g_loss,
                            d_real=torch.sigmoid(real_out).mean(),
                            d_fake=torch.sigmoid(fake_out).mean())
            if callback is not None and ((i + 1) % callback_every == 0 or i == steps - 1):
                extra = callback(step)
                generator.train(); discriminator.train()
                if extra:
                    run.log(step, **extra)
    return run.history
