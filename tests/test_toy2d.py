"""2-D toy distributions: exact densities integrate to one, samples match the moments."""
from __future__ import annotations

import math

import pytest
import torch

from genlib.data import UnknownDatasetError, toy2d


def grid_integral(dist, half_width: float, step: float) -> float:
    """Riemann sum of exp(log_prob) over [-half_width, half_width]^2 (float64)."""
    ticks = torch.arange(-half_width, half_width + step / 2, step, dtype=torch.float64)
    points = torch.cartesian_prod(ticks, ticks)
    total = sum(dist.log_prob(chunk).exp().sum() for chunk in points.split(250_000))
    return float(total) * step ** 2


@pytest.mark.parametrize("name, half_width", [("ring8", 2.5), ("grid25", 4.5)])
def test_log_prob_integrates_to_one(name, half_width):
    dist = toy2d.get(name)
    assert dist.std == 0.05
    # step = 0.4 std: a Riemann sum of a Gaussian is already accurate to ~1e-30 there
    assert abs(grid_integral(dist, half_width, step=0.02) - 1) < 1e-3


def test_ring_and_grid_geometry():
    ring = toy2d.get("ring8")
    assert ring.modes.shape == (8, 2)
    assert torch.allclose(ring.modes.norm(dim=1), torch.full((8,), 2.0))
    grid = toy2d.get("grid25")
    assert grid.modes.shape == (25, 2)
    assert sorted(set(grid.modes[:, 0].tolist())) == [-4, -2, 0, 2, 4]


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_sample_moments(name):
    dist = toy2d.get(name)
    x = dist.sample(200_000, rng=torch.Generator().manual_seed(0))
    assert x.shape == (200_000, 2) and x.dtype == torch.float32
    scale = dist.covariance().diagonal().sqrt().max().item()
    # (torch.allclose, not torch.testing.assert_close, whose first call takes a second)
    assert torch.allclose(x.mean(0), dist.mean(), atol=0.02 * scale, rtol=0)
    assert torch.allclose(torch.cov(x.T), dist.covariance(), atol=0.03 * scale ** 2, rtol=0)


def test_samples_cluster_at_modes():
    dist = toy2d.get("ring8")
    x = dist.sample(4000, rng=torch.Generator().manual_seed(1))
    nearest = torch.cdist(x, dist.modes).min(dim=1).values
    assert nearest.max() < 6 * dist.std


def test_log_prob_of_one_gaussian_matches_torch():
    dist = toy2d.GaussianMixture2D(torch.tensor([[1.0, -2.0]]), std=0.3)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(2))
    reference = torch.distributions.MultivariateNormal(
        torch.tensor([1.0, -2.0]), 0.09 * torch.eye(2)).log_prob(x)
    assert torch.allclose(dist.log_prob(x), reference, atol=1e-5)


def test_log_prob_far_away_is_finite():
    value = toy2d.get("grid25").log_prob(torch.tensor([[100.0, 100.0]], dtype=torch.float64))
    assert torch.isfinite(value).all()  # logsumexp: no log(0)


def test_generator_makes_samples_reproducible():
    dist = toy2d.get("spiral")
    a = dist.sample(10, rng=torch.Generator().manual_seed(3))
    b = dist.sample(10, rng=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["moons", "spiral"])
def test_curves_sample_but_have_no_density(name):
    dist = toy2d.get(name)
    x = dist.sample(1000, rng=torch.Generator().manual_seed(4))
    assert x.shape == (1000, 2) and torch.isfinite(x).all()
    assert dist.modes is None and dist.std == 0.05
    with pytest.raises(NotImplementedError, match="no closed-form density"):
        dist.log_prob(x)


def test_spiral_radius_range():
    x = toy2d.get("spiral", std=1e-6).sample(1000, rng=torch.Generator().manual_seed(5))
    radius = x.norm(dim=1)
    assert radius.min() >= 0.5 - 1e-3 and radius.max() <= 2.0 + 1e-3


def test_moons_halves():
    x = toy2d.get("moons", std=1e-6).sample(1000, rng=torch.Generator().manual_seed(6))
    upper = (x - torch.tensor([0.0, 0.0])).norm(dim=1)
    lower = (x - torch.tensor([1.0, 0.5])).norm(dim=1)
    on_curve = torch.minimum((upper - 1).abs(), (lower - 1).abs())
    assert on_curve.max() < 1e-3


def test_get_with_options_and_unknown_name():
    assert toy2d.get("ring8", n_modes=6, std=0.1).modes.shape == (6, 2)
    with pytest.raises(UnknownDatasetError, match="ring8, grid25, moons, spiral"):
        toy2d.get("swissroll")
    with pytest.raises(ValueError, match="std must be positive"):
        toy2d.get("ring8", std=0)
    assert "ring8" in repr(toy2d.get("ring8"))
    assert math.isclose(toy2d.get("grid25").std, 0.05)
