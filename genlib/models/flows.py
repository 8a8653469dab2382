r"""Planar normalising flows for the approximate posterior (notebook 09, sections "Flows: densities
through invertible maps" and "Experiment: a Gaussian $q$ against an 8-layer planar flow").

Rezende and Mohamed (2015): push a sample of a simple density q_0 through K invertible maps
z_k = f_k(z_{k-1}) and track the density by the change of variables,

    log q_K(z_K) = log q_0(z_0) - sum_{k=1}^K log |det (d f_k / d z_{k-1})|.

A *planar* map bends space along one direction w:

    f(z) = z + u h(w^T z + b),   h = tanh,
    det (df/dz) = 1 + u^T psi(z),   psi(z) = h'(w^T z + b) w     (matrix determinant lemma),

and it is invertible when w^T u >= -1, which we enforce by using
u_hat = u + (m(w^T u) - w^T u) w / ||w||^2 with m(a) = -1 + softplus(a) (their appendix A).

Parameters may carry a batch shape: ``FlowPosterior(dim=2, n_layers=8, batch_shape=(20,))``
is twenty independent posteriors, one per observation, fitted together.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def planar_map(z: torch.Tensor, u: torch.Tensor, w: torch.Tensor,
               b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""f(z) = z + u tanh(w^T z + b) and log |1 + u^T psi(z)|, psi(z) = (1 - tanh^2(w^T z + b)) w,
    for z of shape ``(..., dim)`` (u should already satisfy w^T u >= -1)."""
    a = (w * z).sum(-1) + b                                 # w^T z + b
    h = torch.tanh(a)
    psi = (1 - h.pow(2)).unsqueeze(-1) * w                  # h'(a) w
    log_det = torch.log((1 + (u * psi).sum(-1)).abs() + 1e-9)
    return z + u * h.unsqueeze(-1), log_det


class PlanarFlow(nn.Module):
    """One planar map f(z) = z + u_hat tanh(w^T z + b), with log |det| (module docstring)."""

    def __init__(self, dim: int, batch_shape: tuple = (), init_scale: float = 0.1):
        super().__init__()
        self.u = nn.Parameter(init_scale * torch.randn(*batch_shape, dim))
        self.w = nn.Parameter(init_scale * torch.randn(*batch_shape, dim))
        self.b = nn.Parameter(torch.zeros(batch_shape))

    def u_hat(self) -> torch.Tensor:
        """u moved along w so that w^T u_hat >= -1: the map stays invertible."""
        wu = (self.w * self.u).sum(-1, keepdim=True)
        m = -1 + F.softplus(wu)
        return self.u + (m - wu) * self.w / self.w.pow(2).sum(-1, keepdim=True).clamp_min(1e-12)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(f(z), log |det df/dz|)`` for z of shape ``(..., *batch_shape, dim)``."""
        return planar_map(z, self.u_hat(), self.w, self.b)


class FlowPosterior(nn.Module):
    """q_K: a diagonal Gaussian q_0 = N(mu, diag(exp(logvar))) pushed through ``n_layers``
    planar maps. ``n_layers=0`` is the plain diagonal Gaussian q of a VAE."""

    def __init__(self, dim: int = 2, n_layers: int = 8, batch_shape: tuple = (),
                 init_scale: float = 0.1):
        super().__init__()
        self.mu = nn.Parameter(init_scale * torch.randn(*batch_shape, dim))
        self.logvar = nn.Parameter(torch.zeros(*batch_shape, dim))
        self.layers = nn.ModuleList(PlanarFlow(dim, batch_shape, init_scale)
                                    for _ in range(n_layers))

    def sample(self, n: int, rng: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_K, log q_K(z_K))`` for ``n`` reparameterised samples: shapes
        ``(n, *batch_shape, dim)`` and ``(n, *batch_shape)``."""
        std = torch.exp(0.5 * self.logvar)
        eps = torch.randn((n, *self.mu.shape), generator=rng, device=self.mu.device)
        z = self.mu + std * eps
        log_q = -0.5 * (eps.pow(2) + self.logvar + math.log(2 * math.pi)).sum(-1)
        for layer in self.layers:
            z, log_det = layer(z)
            log_q = log_q - log_det
        return z, log_q


def elbo_estimate(posterior: FlowPosterior, log_joint, n_samples: int) -> torch.Tensor:
    r"""ELBO = E_{q_K}[log p(x, z_K) - log q_K(z_K)], a Monte Carlo average over ``n_samples``
    (one value per batch entry). ``log_joint(z)`` returns log p(x, z) with x fixed."""
    z, log_q = posterior.sample(n_samples)
    return (log_joint(z) - log_q).mean(0)


class ProductLatentModel:
    r"""A latent-variable model whose posterior is far from Gaussian (notebook 09, section
    "How loose is the ELBO? Exactly $\mathrm{KL}(q\,\|\,p(z\mid x))$"):

        z ~ N(0, I_2),    x | z ~ N(z_1 z_2, sigma^2).

    For x > 0 the posterior p(z|x) lies along the two branches of the hyperbola z_1 z_2 = x,
    one in each of two opposite quadrants: bimodal and curved. Being 2-D, log p(x) is
    computed exactly enough on a grid, so the ELBO's gap is measured, not guessed.
    """

    def __init__(self, sigma: float = 0.25):
        self.sigma = sigma

    def log_joint(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(z) + log p(x|z); ``z`` is ``(..., dim=2)``, ``x`` broadcasts against z[..., 0]."""
        log_prior = -0.5 * z.pow(2).sum(-1) - math.log(2 * math.pi)
        mean = z[..., 0] * z[..., 1]
        log_lik = (-0.5 * ((x - mean) / self.sigma) ** 2
                   - math.log(self.sigma) - 0.5 * math.log(2 * math.pi))
        return log_prior + log_lik

    def posterior_grid(self, x: torch.Tensor, extent: float = 4.0, resolution: int = 401):
        """``(grid_axis, log p(x), log p(z|x) on the grid)``: the evidence by a Riemann sum over
        [-extent, extent]^2 (the prior mass outside [-4, 4]^2 is about 1.27e-4) and the posterior density."""
        axis = torch.linspace(-extent, extent, resolution, dtype=torch.float64)
        z = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1)   # R x R x 2
        x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, 1, 1)
        log_joint = self.log_joint(z.unsqueeze(0), x)                    # N x R x R
        cell = (axis[1] - axis[0]) ** 2
        log_evidence = torch.logsumexp(log_joint.flatten(1), dim=1) + torch.log(cell)
        return axis, log_evidence, log_joint - log_evidence.reshape(-1, 1, 1)
