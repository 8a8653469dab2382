"""BiGAN / ALI: a GAN that also learns an encoder (notebook 09, §4-§6).

Donahue, Krähenbühl and Darrell (2016) and Dumoulin et al. (2016): a generator G maps z to x,
an encoder E maps x to z, and the discriminator sees *pairs*: (x, E(x)) with x from the data,
and (G(z), z) with z from the prior. At the optimum the two joint distributions agree, so E
inverts G. MLPs on flattened images; images in [0, 1] (the generator ends in a sigmoid).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def _mlp(sizes: list[int], dropout: float = 0.0) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return layers


class BiGANEncoder(nn.Module):
    """E: images (B x 1 x H x W) -> z (B x latent_dim), deterministic as in BiGAN."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), *_mlp([math.prod(image_shape), hidden, hidden]),
                                 nn.Linear(hidden, latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BiGANGenerator(nn.Module):
    """G: z (B x latent_dim) -> images (B x 1 x H x W) in [0, 1]."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512):
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        self.net = nn.Sequential(*_mlp([latent_dim, hidden, hidden]),
                                 nn.Linear(hidden, math.prod(image_shape)), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.image_shape)


class BiGANDiscriminator(nn.Module):
    """D: a pair (x, z) -> one logit. x and z are read by their own layer, then jointly."""

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden: int = 512,
                 dropout: float = 0.2):
        super().__init__()
        self.read_x = nn.Sequential(nn.Flatten(), *_mlp([math.prod(image_shape), hidden], dropout))
        self.read_z = nn.Sequential(*_mlp([latent_dim, hidden], dropout))
        self.joint = nn.Sequential(*_mlp([2 * hidden, hidden], dropout), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.joint(torch.cat([self.read_x(x), self.read_z(z)], dim=1)).squeeze(-1)
