"""A multilayer-perceptron VAE for small images (notebooks 05-07).

Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))), prior p(z) = N(0, I), decoder p(x|z) with
``logits = decode(z)``: Bernoulli(sigmoid(logits)) per pixel (the default, for binarised
images), or, with ``likelihood="gaussian"``, N(sigmoid(logits), sigma^2 I).
The objective lives in :mod:`genlib.objectives.elbo`; the loop in :mod:`genlib.training.vae`.
"""
from __future__ import annotations

import math

import torch
from torch import nn

LIKELIHOODS = ("bernoulli", "gaussian")


def check_likelihood(likelihood: str, sigma: float) -> None:
    """Raise ``ValueError`` for an unknown likelihood or a non-positive Gaussian sigma."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""z = mu + sigma * eps with eps ~ N(0, I): a sample of q(z|x) that gradients flow
    through (the reparameterisation trick, notebook 05 §4)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of the given widths with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPVAE(nn.Module):
    """x -> hidden layers -> (mu, logvar);  z -> hidden layers (reversed) -> pixel logits.

    ``MLPVAE(hidden=(400,), latent_dim=20)`` is the VAE of the pytorch/examples repository.
    """

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 20, hidden=(400,),
                 likelihood: str = "bernoulli", sigma: float = 0.1):
        super().__init__()
        check_likelihood(likelihood, sigma)
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        self.likelihood, self.sigma = likelihood, float(sigma)
        pixels = math.prod(self.image_shape)
        self.encoder = mlp([pixels, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim, *reversed(hidden), pixels])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z|x), each B x latent_dim."""
        mu, logvar = self.encoder(x.flatten(1)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits, B x C x H x W (images: ``torch.sigmoid(decode(z))``)."""
        return self.decoder(z).view(-1, *self.image_shape)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits, mu, logvar)`` for one reparameterised sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar
