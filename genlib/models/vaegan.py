"""VAE-GAN (Larsen et al. 2016), simplified: a VAE whose decoder is also a GAN's generator
(notebook 08, section "The VAE-GAN").

* encoder  q(z|x) = N(mu(x), diag(exp(logvar(x)))): two stride-2 convolutions, a linear layer;
* decoder  = a DCGAN generator (:class:`~genlib.models.dcgan.DCGANGenerator`), images in [0, 1];
* discriminator = a DCGAN discriminator; its last hidden layer, ``features``, is the feature
  space in which reconstructions are compared (Larsen et al.'s "learned similarity", the
  Dis_l of their §2.1).

Simplifications: 28x28 images and two-layer convolutional networks rather than their 64x64
faces and deeper ones. The update step is :func:`genlib.steps.vaegan.vaegan_step`.
"""
from __future__ import annotations

import torch
from torch import nn


class VAEGANEncoder(nn.Module):
    """x (B x 1 x 28 x 28, in [0, 1]) -> (mu, logvar), each B x latent_dim."""

    def __init__(self, latent_dim: int = 16, width: int = 32, hidden: int = 256):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),              # 28 -> 14
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),      # 14 -> 7
            nn.Flatten(), nn.Linear(2 * width * 49, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 2 * latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(2 * x - 1).chunk(2, dim=-1)   # read as 2 x - 1, like the discriminator
        return mu, logvar

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z|x) (the same as calling the encoder)."""
        return self(x)
