"""A conditional VAE (notebook 07): the class label is an input of encoder and decoder.

q(z|x, y) = N(mu(x, y), diag(exp(logvar(x, y)))), p(z) = N(0, I), p(x|z, y) Bernoulli with
``logits = decode(z, y)``; ``generate(z, y)`` gives the decoded images in [0, 1]. Because the decoder is told the class, z is free
to carry the *style* (slant, thickness, ...): the same z decoded with every label draws the
same style across all classes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..objectives.elbo import reparameterize
from .mlp import mlp


class ConditionalVAE(nn.Module):
    def __init__(self, image_shape=(1, 28, 28), num_classes: int = 10, latent_dim: int = 8,
                 hidden=(512, 256)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.num_classes, self.latent_dim = num_classes, latent_dim
        pixels = math.prod(self.image_shape)
        self.encoder = mlp([pixels + num_classes, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + num_classes, *reversed(hidden), pixels])

    def one_hot(self, labels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """The labels as one-hot rows, with the dtype and device of ``like``."""
        return F.one_hot(labels.long(), self.num_classes).to(like)

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z|x, y), each B x latent_dim."""
        h = torch.cat([x.flatten(1), self.one_hot(labels, x)], dim=1)
        mu, logvar = self.encoder(h).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Pixel logits of p(x|z, y), B x C x H x W."""
        h = torch.cat([z, self.one_hot(labels, z)], dim=1)
        return self.decoder(h).view(-1, *self.image_shape)

    def generate(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The decoded images of class ``labels`` in [0, 1]: sigmoid(decode(z, y))."""
        return torch.sigmoid(self.decode(z, labels))

    def forward(self, x: torch.Tensor, labels: torch.Tensor):
        """``(logits, mu, logvar)`` for one reparameterised sample z ~ q(z|x, y)."""
        mu, logvar = self.encode(x, labels)
        return self.decode(reparameterize(mu, logvar), labels), mu, logvar
