r"""``train_bigan``: the BiGAN / ALI game (notebook 09, §4).

    min_{G,E} max_D  V(D, E, G) = E_{x ~ p_data}[log D(x, E(x))] + E_{z ~ p(z)}[log(1 - D(G(z), z))]

One step: the discriminator takes a step on -V with E and G fixed (their outputs detached);
then E and G take a step on the non-saturating form of their objective: each pair is pushed
towards the *other* label, -log(1 - D(x, E(x))) - log D(G(z), z) (the trick of notebook 01, §5,
applied to both players).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import Batches
from ..objectives.gan import discriminator_loss
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam


def train_bigan(encoder, generator, discriminator, images: torch.Tensor, epochs: int,
                batch_size: int = 128, lr: float = 2e-4, betas=(0.5, 0.999), seed: int = 0,
                max_seconds: float | None = None, log_every: int = 20,
                desc: str = "BiGAN") -> History:
    """Train the three networks on ``images`` (``N x 1 x H x W`` in [0, 1]); return the History
    (``d_loss``, ``ge_loss``, and the mean D on real pairs ``d_real`` and generated ``d_fake``)."""
    require_positive("lr", lr)
    noise = torch.Generator().manual_seed(seed)
    batches = Batches(images, batch_size=batch_size, drop_last=True, generator=noise)
    opt_d = adam(discriminator.parameters(), lr=lr, betas=betas)
    opt_ge = adam([*encoder.parameters(), *generator.parameters()], lr=lr, betas=betas)
    for model in (encoder, generator, discriminator):
        model.train()
    with TrainingRun(models=[encoder, generator, discriminator], desc=desc,
                     max_seconds=max_seconds) as run:
        for step, (x,) in run.over(batches, epochs):
            z = torch.randn(len(x), generator.latent_dim, generator=noise)
            # 1) discriminator: real pairs (x, E(x)) labelled 1, generated pairs (G(z), z) labelled 0
            real_logits = discriminator(x, encoder(x).detach())
            fake_logits = discriminator(generator(z).detach(), z)
            d_loss = discriminator_loss(real_logits, fake_logits)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            # 2) encoder and generator: fool D about both pairs (non-saturating)
            real_logits = discriminator(x, encoder(x))
            fake_logits = discriminator(generator(z), z)
            ge_loss = -F.logsigmoid(-real_logits).mean() - F.logsigmoid(fake_logits).mean()
            opt_ge.zero_grad()
            ge_loss.backward()
            opt_ge.step()
            if not run.check_finite(d_loss=d_loss, ge_loss=ge_loss):
                break
            if step % log_every == 0:
                run.log(step, d_loss=d_loss, ge_loss=ge_loss,
                        d_real=torch.sigmoid(real_logits).mean(),
                        d_fake=torch.sigmoid(fake_logits).mean())
    for model in (encoder, generator, discriminator):
        model.eval()
    return run.history
