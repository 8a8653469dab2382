"""BiGAN / ALI: a GAN that also learns an encoder (notebook 09, sections "A GAN on pairs"
to "Linear probes: whose features expose the classes?").

Donahue, Krähenbühl and Darrell (2016) and Dumoulin et al. (2016): a generator G maps z to x,
an encoder E maps x to z, and the discriminator sees *pairs*: (x, E(x)) with x from the data,
and (G(z), z) with z from the prior. At the optimum the two joint distributions agree, so E
inverts G. MLPs on flattened images; images in [0, 1] (the generator ends in a sigmoid). The
same networks with ``image_shape=(2,)`` and ``squash=False`` play the game on a 2-D toy
(notebook 09, section "On the ring: $E$ and $G$ become inverses").
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .mlp import mlp


def _leaky(dropout: float = 0.0):
    return lambda: nn.Sequential(nn.LeakyReLU(0.2), nn.Dropout(dropout))


class BiGANEncoder(nn.Module):
    """E: images (B x 1 x H x W) -> z (B x latent_dim), deterministic as in BiGAN."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(),
                                 mlp([math.prod(image_shape), hidden, hidden, latent_dim], _leaky()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BiGANGenerator(nn.Module):
    """G: z (B x latent_dim) -> images (B x 1 x H x W) in [0, 1], or with ``squash=False``
    unbounded points (the 2-D toys)."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512,
                 squash: bool = True):
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        self.net = nn.Sequential(mlp([latent_dim, hidden, hidden, math.prod(image_shape)],
                                     _leaky()), nn.Sigmoid() if squash else nn.Identity())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.image_shape)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (the same as calling the generator)."""
        return self(z)


class BiGANDiscriminator(nn.Module):
    """D: a pair (x, z) -> one logit. x and z are read by their own layer, then jointly."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512,
                 dropout: float = 0.2):
        super().__init__()
        self.read_x = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(image_shape), hidden),
                                    _leaky(dropout)())
        self.read_z = nn.Sequential(nn.Linear(latent_dim, hidden), _leaky(dropout)())
        self.joint = mlp([2 * hidden, hidden, 1], _leaky(dropout))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.joint(torch.cat([self.read_x(x), self.read_z(z)], dim=1)).squeeze(-1)
