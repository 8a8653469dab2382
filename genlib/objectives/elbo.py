"""The evidence lower bound and its pieces (notebooks 05 and 06).

Notation of ``05_vae_elbo.ipynb``: prior p(z) = N(0, I), decoder p_theta(x|z), encoder
q_phi(z|x) = N(mu, diag(sigma^2)) with logvar = log sigma^2. All functions return one value
per example (sums over pixels and latent dimensions, never means: the two terms of the
ELBO must be on the same scale).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..checks import (require_nonempty, require_number, require_same_shape, require_tensor,
                      require_unit_interval)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL( N(mu, diag(exp(logvar))) || N(0, I) ) = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2)

    summed over the last dimension: one value per example (notebook 05, section "The KL term in
    closed form"). ``mu`` and ``logvar`` are tensors of the same shape (batch x latent dimensions).
    """
    require_tensor("mu", mu, floating=True)
    require_tensor("logvar", logvar, floating=True)
    require_same_shape("mu", mu, "logvar", logvar)
    return 0.5 * (logvar.exp() + mu.pow(2) - 1.0 - logvar).sum(-1)


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    r"""log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i),  p = sigmoid(logits):
    minus the binary cross-entropy, summed over all but the batch dimension (notebook 05,
    section "What the "reconstruction loss" is").
    For x in {0, 1} this is a true log-probability (<= 0); ``x`` and ``logits`` have one shape."""
    require_same_shape("x", x, "logits", logits)
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return -bce.flatten(1).sum(1)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    r"""log N(x; mean, sigma^2 I) = -1/2 sum_i (x_i - mean_i)^2 / sigma^2 - D/2 log(2 pi sigma^2).

    So a plain squared error is this log-likelihood up to a constant and a factor: it implies
    sigma^2 = 1/2 for sum-of-squares, and changing sigma re-weights it against the KL.
    ``sigma`` > 0; ``x`` and ``mean`` have one shape, a batch of at least one example."""
    require_number("sigma", sigma, positive=True)
    require_same_shape("x", x, "mean", mean)
    require_nonempty("x", x, "examples")
    d = x[0].numel()
    sq = (x - mean).pow(2).flatten(1).sum(1)
    return -0.5 * sq / sigma**2 - 0.5 * d * math.log(2 * math.pi * sigma**2)


def diagonal_gaussian_log_prob(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""log N(z; mu, diag(exp(logvar))), summed over the last dimension (used by the IWAE weights)."""
    return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                   rng: torch.Generator | None = None) -> torch.Tensor:
    r"""z = mu + sigma * eps with eps ~ N(0, I), sigma = exp(logvar / 2): a sample of
    q(z|x) that gradients flow through (notebook 05, section "The
    reparameterisation trick").
    ``rng`` (on the device of ``mu``) makes the draw reproducible; ``logvar`` has the
    shape of ``mu``."""
    require_same_shape("mu", mu, "logvar", logvar)
    eps = torch.randn(mu.shape, generator=rng, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


class ElboTerms(NamedTuple):
    """Per-example ELBO and its two terms: elbo = log_likelihood - beta * kl."""
    elbo: torch.Tensor
    log_likelihood: torch.Tensor
    kl: torch.Tensor


def elbo(x: torch.Tensor, decoder_output: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
         likelihood: str = "bernoulli", beta: float = 1.0, sigma: float = 1.0) -> ElboTerms:
    r"""One-sample estimate of the (beta-weighted) evidence lower bound (notebook 05, sections
    "The evidence lower bound, derived twice" to "What the "reconstruction loss" is"):

        ELBO(x) = E_{q(z|x)}[log p(x|z)] - beta KL(q(z|x) || p(z)),

    where ``decoder_output`` is the decoder applied to a reparameterised z = mu + sigma * eps
    (logits for ``"bernoulli"``, means for ``"gaussian"``), and the KL is in closed form.
    We *maximise* it (train on ``-elbo.mean()``); beta = 1 is the standard VAE.

    Checked: ``x`` a float batch of at least one example, of the shape of ``decoder_output``,
    in [0, 1] for ``"bernoulli"`` (binary, or grey levels as probabilities); ``mu`` and
    ``logvar`` of one shape with one row per example; ``beta`` >= 0; ``sigma`` > 0.
    """
    require_tensor("x", x, floating=True)
    require_tensor("decoder_output", decoder_output, floating=True)
    require_nonempty("x", x, "examples")
    require_same_shape("x", x, "decoder_output", decoder_output)
    require_tensor("mu", mu, floating=True)
    require_same_shape("mu", mu, "logvar", logvar)
    if mu.dim() == 0 or mu.shape[0] != x.shape[0]:
        raise ValueError(f"mu must have one row per example of x ({x.shape[0]}), got shape "
                         f"{tuple(mu.shape)}")
    require_number("beta", beta, minimum=0.0)
    if likelihood == "bernoulli":
        require_unit_interval("x", x)
        ll = bernoulli_log_likelihood(x, decoder_output)
    elif likelihood == "gaussian":
        ll = gaussian_log_likelihood(x, decoder_output, sigma)
    else:
        raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
    kl = gaussian_kl(mu, logvar)
    return ElboTerms(ll - beta * kl, ll, kl)


def iwae_bound(log_weights: torch.Tensor) -> torch.Tensor:
    r"""L_K = log (1/K) sum_k w_k,  w_k = p(x, z_k) / q(z_k|x),  z_k ~ q(z|x)
    (notebook 06, section "How good is the model? The importance-weighted bound").

    ``log_weights`` has the K samples on dimension 0; computed with logsumexp. K = 1 gives the
    one-sample ELBO estimate; L_K increases with K towards log p(x) (Burda et al. 2016).
    K must be at least 1.
    """
    require_tensor("log_weights", log_weights, floating=True)
    if log_weights.dim() == 0 or log_weights.shape[0] == 0:
        raise ValueError("log_weights must hold K >= 1 samples on dimension 0 (K x batch), got "
                         f"shape {tuple(log_weights.shape)}")
    k = log_weights.shape[0]
    return torch.logsumexp(log_weights, dim=0) - math.log(k)
