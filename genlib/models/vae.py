"""A multilayer-perceptron VAE for small images (notebooks 05-07).

Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))), prior p(z) = N(0, I), Bernoulli decoder
p(x|z) with pixel probabilities sigmoid(``decode(z)``); ``generate(z)`` gives those
probabilities, the decoded images in [0, 1]. The objective lives in
:mod:`genlib.objectives.elbo`, the update step in :mod:`genlib.steps.vae`.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..objectives.elbo import reparameterize
from .mlp import mlp


class MLPVAE(nn.Module):
    """x -> hidden layers -> (mu, logvar);  z -> hidden layers (reversed) -> pixel logits.

    ``MLPVAE(hidden=(400,), latent_dim=20)`` is the VAE of the pytorch/examples repository.
    """

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 20, hidden=(400,)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        pixels = math.prod(self.image_shape)
        self.encoder = mlp([pixels, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, *reversed(hidden), pixels])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z|x), each B x latent_dim."""
        mu, logvar = self.encoder(x.flatten(1)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits of p(x|z), B x C x H x W."""
        return self.decoder(z).view(-1, *self.image_shape)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """The decoded images in [0, 1]: sigmoid(decode(z)), the mean of p(x|z)."""
        return torch.sigmoid(self.decode(z))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits, mu, logvar)`` for one reparameterised sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar
