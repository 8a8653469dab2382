"""The linear-Gaussian latent-variable model (probabilistic PCA): everything is exact.

    z ~ p(z) = N(0, I_d),        x | z ~ p(x|z) = N(W z + b, sigma^2 I_D).

Marginal:  p(x) = N(b, W W^T + sigma^2 I_D).
Posterior: p(z|x) = N(m, S),  S = (I_d + W^T W / sigma^2)^{-1},  m = S W^T (x - b) / sigma^2.

Notebook 00 uses it to show why log p(x) is hard to estimate by naive Monte Carlo;
notebook 05 uses it to check the ELBO identity log p(x) = ELBO(q) + KL(q || p(z|x)).
"""
from __future__ import annotations

import math

import torch
from torch import nn


class LinearGaussian(nn.Module):
    def __init__(self, W: torch.Tensor, b: torch.Tensor | None = None, sigma: float = 1.0):
        super().__init__()
        self.register_buffer("W", torch.as_tensor(W, dtype=torch.float64))
        D = self.W.shape[0]
        self.register_buffer("b", torch.zeros(D, dtype=torch.float64) if b is None
                             else torch.as_tensor(b, dtype=torch.float64))
        self.sigma = float(sigma)

    @classmethod
    def random(cls, data_dim: int, latent_dim: int, sigma: float = 0.5,
               rng: torch.Generator | None = None) -> "LinearGaussian":
        """W with N(0, 1/d) entries, so the signal variance per pixel stays ~1 for any d."""
        W = torch.randn(data_dim, latent_dim, generator=rng, dtype=torch.float64)
        return cls(W / math.sqrt(latent_dim), sigma=sigma)

    @property
    def latent_dim(self) -> int:
        return self.W.shape[1]

    def sample(self, n: int, rng: torch.Generator | None = None):
        """Ancestral sampling: z ~ p(z), then x ~ p(x|z). Returns ``(x, z)``."""
        z = torch.randn(n, self.latent_dim, generator=rng, dtype=torch.float64)
        noise = torch.randn(n, self.W.shape[0], generator=rng, dtype=torch.float64)
        return z @ self.W.T + self.b + self.sigma * noise, z

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) = log N(x; W z + b, sigma^2 I), broadcasting over leading dimensions."""
        mean = z @ self.W.T + self.b
        D = self.W.shape[0]
        return (-0.5 * ((x - mean) ** 2).sum(-1) / self.sigma**2
                - 0.5 * D * math.log(2 * math.pi * self.sigma**2))

    def marginal(self) -> torch.distributions.MultivariateNormal:
        """p(x) = N(b, W W^T + sigma^2 I)."""
        cov = self.W @ self.W.T + self.sigma**2 * torch.eye(self.W.shape[0], dtype=torch.float64)
        return torch.distributions.MultivariateNormal(self.b, covariance_matrix=cov)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x)."""
        return self.marginal().log_prob(x)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``m`` (one row per x) and covariance ``S`` (shared) of p(z|x)."""
        d = self.latent_dim
        S = torch.linalg.inv(torch.eye(d, dtype=torch.float64) + self.W.T @ self.W / self.sigma**2)
        m = (x - self.b) @ self.W @ S / self.sigma**2  # S is symmetric
        return m, S

    def naive_log_marginal(self, x: torch.Tensor, z_samples: torch.Tensor) -> torch.Tensor:
        """log (1/K) sum_k p(x | z_k) with z_k ~ p(z) (K on dimension 0 of ``z_samples``):
        an unbiased estimate of p(x), but a poor one when the posterior is narrow."""
        log_p = self.log_likelihood(x.unsqueeze(0), z_samples.unsqueeze(1))  # K x N
        return torch.logsumexp(log_p, dim=0) - math.log(z_samples.shape[0])
