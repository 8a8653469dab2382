r"""The Frechet distance between two sets of features (notebook 08,
section "Frechet distance").

Fit a Gaussian to each set, N(mu_a, Sigma_a) and N(mu_b, Sigma_b); the squared 2-Wasserstein
(Frechet) distance between them has the closed form

    d^2 = ||mu_a - mu_b||^2 + tr(Sigma_a) + tr(Sigma_b) - 2 tr( (Sigma_a^{1/2} Sigma_b Sigma_a^{1/2})^{1/2} ).

Heusel et al. (2017) compute it in the features of an ImageNet Inception network and call it
FID. Here the features come from our small classifier trained on the data set itself, so the
numbers are *classifier-feature Frechet distances*: comparable with each other, not with
published FIDs.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from ..checks import require_finite


def _symmetric_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """The PSD square root of a symmetric matrix by eigendecomposition (negative eigenvalues,
    round-off of a PSD matrix, are set to 0)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def gaussian_frechet_distance(mu_a: torch.Tensor, cov_a: torch.Tensor,
                              mu_b: torch.Tensor, cov_b: torch.Tensor) -> float:
    r"""d^2 between N(mu_a, cov_a) and N(mu_b, cov_b), the formula of the module docstring.

    The trace of the matrix square root is taken as the sum of the square roots of the
    eigenvalues of the *symmetric* PSD matrix Sigma_a^{1/2} Sigma_b Sigma_a^{1/2} (it has the
    same eigenvalues as Sigma_a Sigma_b): ``eigh``, no complex round-off, no SciPy.
    """
    mu_a, mu_b, cov_a, cov_b = (torch.as_tensor(t, dtype=torch.float64)
                                for t in (mu_a, mu_b, cov_a, cov_b))
    _check_gaussian("mu_a", mu_a, "cov_a", cov_a)
    _check_gaussian("mu_b", mu_b, "cov_b", cov_b)
    if mu_a.shape != mu_b.shape:
        raise ValueError(f"mu_a and mu_b must be in the same space, got dimensions "
                         f"{mu_a.numel()} and {mu_b.numel()}")
    root_a = _symmetric_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    middle = (middle + middle.T) / 2
    trace_root = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    value = (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * trace_root
    return max(float(value), 0.0)


def _check_gaussian(mu_name: str, mu: torch.Tensor, cov_name: str, cov: torch.Tensor) -> None:
    """A finite mean vector of d values and a d x d symmetric positive semi-definite covariance."""
    if mu.dim() != 1 or mu.numel() == 0:
        raise ValueError(f"{mu_name} must be a mean vector of d >= 1 values, got shape "
                         f"{tuple(mu.shape)}")
    d = mu.numel()
    if cov.shape != (d, d):
        raise ValueError(f"{cov_name} must be the {d} x {d} covariance of {mu_name}, got shape "
                         f"{tuple(cov.shape)}")
    for name, t in ((mu_name, mu), (cov_name, cov)):
        require_finite(name, t)
    scale = float(cov.abs().max()) or 1.0
    if not torch.allclose(cov, cov.T, rtol=1e-6, atol=1e-9 * scale):
        raise ValueError(f"{cov_name} must be symmetric (a covariance), but differs from its "
                         f"transpose by up to {float((cov - cov.T).abs().max()):.3g}")
    lowest = float(torch.linalg.eigvalsh(cov).min())
    if lowest < -1e-6 * scale:
        raise ValueError(f"{cov_name} must be positive semi-definite (a covariance), but has an "
                         f"eigenvalue {lowest:.4g} < 0 (a negative variance)")


def mean_and_covariance(features, name: str = "features") -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mean and unbiased covariance (float64) of an ``N x d`` array or tensor
    (N >= 2, finite); ``name`` is the argument named in an error."""
    x = torch.as_tensor(np.asarray(features) if not torch.is_tensor(features) else features,
                        dtype=torch.float64)
    if x.dim() != 2 or len(x) < 2 or x.shape[1] == 0:
        raise ValueError(f"{name} must be N x d features with N >= 2 and d >= 1, got shape "
                         f"{tuple(x.shape)}")
    require_finite(name, x)
    centred = x - x.mean(0)
    return x.mean(0), centred.T @ centred / (len(x) - 1)


def frechet_distance(feats_a, feats_b) -> float:
    """Frechet distance d^2 between Gaussians fitted to two ``N x d`` feature sets (tensors or
    arrays, the N may differ, the d may not). 0 for a set and itself."""
    mu_a, cov_a = mean_and_covariance(feats_a, "feats_a")
    mu_b, cov_b = mean_and_covariance(feats_b, "feats_b")
    if mu_a.shape != mu_b.shape:
        raise ValueError(f"feats_a and feats_b must have the same number of features per row, "
                         f"got {mu_a.numel()} and {mu_b.numel()}")
    _warn_if_few(len(feats_a), len(feats_b), mu_a.numel())
    return gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b)


def _warn_if_few(n_a: int, n_b: int, d: int) -> None:
    """Warn when a set has no more samples than features: its covariance (rank <= N - 1 < d)
    is singular and the distance mostly measures the sample size, not the model."""
    if min(n_a, n_b) <= d:
        warnings.warn(f"frechet_distance from {n_a} and {n_b} samples of {d} features: with no "
                      f"more samples than features the fitted covariances are singular, so the "
                      "number mostly reflects how few samples there are, not how far apart the "
                      "sets are. Use many more samples than features (thousands), and compare "
                      "distances only at one sample size.", UserWarning, stacklevel=3)
