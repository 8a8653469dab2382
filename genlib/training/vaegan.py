r"""``train_vaegan``: the three updates of Larsen et al. (2016), Algorithm 1 (notebook 08, §3).

With x a real batch (in [-1, 1]), z ~ q(z|x), x~ = Dec(z) (reconstruction), z_p ~ N(0, I),
x_p = Dec(z_p) (a sample), and Dis_l the discriminator's last hidden layer:

    L_prior = KL(q(z|x) || p(z))                                    (per example, summed over z)
    L_like  = 1/2 ||Dis_l(x~) - Dis_l(x)||^2 / n_l                  (a Gaussian in feature space)
    L_pixel = 1/2 ||x~ - x||^2 / n_pixels                           (our addition, see below)
    L_GAN   = log D(x) + log(1 - D(x~)) + log(1 - D(x_p))

    encoder       minimises  kl_weight L_prior + L_like + pixel_weight L_pixel
    decoder       minimises  gamma (L_like + pixel_weight L_pixel) - L_GAN
                             (non-saturating: -log D(x~) - log D(x_p) for the -L_GAN part)
    discriminator maximises  L_GAN

L_like and L_pixel are averaged over features and pixels, so gamma keeps its meaning when the
networks change width; ``kl_weight`` puts the summed KL on that per-unit scale.

One departure from Larsen et al.: they reconstruct in the discriminator's features only. With a
few minutes of CPU training the discriminator's features are still immature when the encoder
most needs a signal, so we add a plain pixel-wise term (``pixel_weight``; 0 gives their loss).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import Batches
from ..models.vae import reparameterize
from ..models.vaegan import discriminator_features
from ..objectives.elbo import gaussian_kl
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam


def train_vaegan(encoder, decoder, discriminator, images: torch.Tensor, epochs: int,
                 batch_size: int = 64, lr: float = 2e-4, gamma: float = 1.0,
                 kl_weight: float = 1e-3, pixel_weight: float = 1.0, betas=(0.5, 0.999),
                 seed: int = 0,
                 max_seconds: float | None = None, log_every: int = 20,
                 desc: str = "VAE-GAN") -> History:
    """Train on ``images`` (``N x 1 x 28 x 28`` in [0, 1], rescaled to [-1, 1] here)."""
    require_positive("lr", lr)
    require_positive("gamma", gamma)
    noise = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the reparameterisation noise
    batches = Batches(images, batch_size=batch_size, drop_last=True, generator=noise)
    opt_enc = adam(encoder.parameters(), lr=lr, betas=betas)
    opt_dec = adam(decoder.parameters(), lr=lr, betas=betas)
    opt_dis = adam(discriminator.parameters(), lr=lr, betas=betas)
    models = [encoder, decoder, discriminator]
    for model in models:
        model.train()
    with TrainingRun(models=models, desc=desc, max_seconds=max_seconds) as run:
        for step, (x,) in run.over(batches, epochs):
            x = 2 * x - 1
            mu, logvar = encoder(x)
            x_rec = decoder(reparameterize(mu, logvar))
            x_prior = decoder(torch.randn(len(x), mu.shape[1], generator=noise))
            l_prior = gaussian_kl(mu, logvar).mean()
            feats_real = discriminator_features(discriminator, x).detach()
            feats_rec = discriminator_features(discriminator, x_rec)
            l_like = 0.5 * (feats_rec - feats_real).pow(2).mean(1).mean()
            l_pixel = 0.5 * (x_rec - x).pow(2).flatten(1).mean(1).mean()
            reconstruction = l_like + pixel_weight * l_pixel
            # encoder: KL + reconstruction (only the encoder's optimiser steps on this gradient)
            opt_enc.zero_grad()
            (kl_weight * l_prior + reconstruction).backward(inputs=list(encoder.parameters()),
                                                            retain_graph=True)
            # decoder: gamma * reconstruction + non-saturating GAN loss on x~ and x_p
            g_gan = -F.logsigmoid(discriminator(x_rec)).mean() \
                - F.logsigmoid(discriminator(x_prior)).mean()
            opt_dec.zero_grad()
            (gamma * reconstruction + g_gan).backward(inputs=list(decoder.parameters()))
            opt_enc.step()
            opt_dec.step()
            # discriminator: real vs both kinds of fakes (detached: D's step only)
            d_real = discriminator(x)
            d_loss = -F.logsigmoid(d_real).mean() \
                - F.logsigmoid(-discriminator(x_rec.detach())).mean() \
                - F.logsigmoid(-discriminator(x_prior.detach())).mean()
            opt_dis.zero_grad()
            d_loss.backward()
            opt_dis.step()
            if not run.check_finite(d_loss=d_loss, g_gan=g_gan, l_like=l_like):
                break
            if step % log_every == 0:
                run.log(step, kl=l_prior, feature_error=l_like, pixel_error=l_pixel, g_gan=g_gan,
                        d_loss=d_loss,
                        d_real=torch.sigmoid(d_real).mean())
    for model in models:
        model.eval()
    return run.history
