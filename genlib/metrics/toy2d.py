"""Mode coverage on 2-D Gaussian mixtures (notebooks 02 and 04).

The measure of Metz et al. (2017) and Srivastava et al. (2017): a generated sample is of
*high quality* when it lies within 3 standard deviations of some mode's centre, and a mode
is *covered* when enough high-quality samples sit at it. For an isotropic 2-D Gaussian,
P(||x - mu|| <= 3 std) = 1 - exp(-9/2) = 0.989, so real data score 98.9% high quality.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..checks import require_finite, require_number


class ModeCoverage(NamedTuple):
    """``modes_covered`` of ``n_modes``; ``high_quality`` share of samples; samples per mode."""
    modes_covered: int
    n_modes: int
    high_quality: float
    counts: torch.Tensor


def nearest_mode(samples: torch.Tensor, modes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(index, distance)`` of the nearest centre for every sample (``N x 2`` and ``K x 2``)."""
    distances = torch.cdist(samples.detach().float(), torch.as_tensor(modes).float())
    distance, index = distances.min(dim=1)
    return index, distance


def mode_coverage(samples: torch.Tensor, modes: torch.Tensor, std: float,
                  radius_in_std: float = 3.0, min_share: float = 0.01) -> ModeCoverage:
    """How many ``modes`` the ``samples`` cover, and their share of high-quality samples.

    A sample is high quality when its distance to the nearest mode is at most
    ``radius_in_std * std``; a mode is covered when at least ``min_share`` of all samples
    are high-quality samples at it (1% by default: an eighth of that for a ring of 8 would
    still be a trickle, not a mode the generator has learned).
    """
    samples, modes = torch.as_tensor(samples), torch.as_tensor(modes)
    if samples.dim() != 2 or len(samples) == 0:
        raise ValueError(f"samples must be N x 2 points with N >= 1, got shape "
                         f"{tuple(samples.shape)}")
    if modes.dim() != 2 or len(modes) == 0 or modes.shape[1] != samples.shape[1]:
        raise ValueError(f"modes must be K x {samples.shape[1]} centres (K >= 1) in the space of "
                         f"the samples, got shape {tuple(modes.shape)}")
    require_finite("samples", samples)
    require_number("std", std, positive=True)
    require_number("radius_in_std", radius_in_std, positive=True)
    if not 0 <= require_number("min_share", min_share) <= 1:
        raise ValueError(f"min_share must be a share in [0, 1], got {min_share}")
    index, distance = nearest_mode(samples, modes)
    good = distance <= radius_in_std * std
    counts = torch.bincount(index[good], minlength=len(modes))
    covered = int((counts >= min_share * len(samples)).sum())
    return ModeCoverage(covered, len(modes), float(good.float().mean()), counts)


def same_mode_share(points: torch.Tensor, images: torch.Tensor, modes: torch.Tensor) -> float:
    """Share of the pairs ``(points[i], images[i])`` whose nearest modes are the same: how often a
    map (a BiGAN's x -> G(E(x)), notebook 09, section "On the ring: $E$ and $G$ become inverses")
    keeps a point's mode. A map that forgets the
    point scores the chance level sum_k p_k q_k, with p_k the points' and q_k the images' share of
    mode k (1/K when either is uniform over K modes)."""
    points, images = torch.as_tensor(points), torch.as_tensor(images)
    if points.dim() != 2 or len(points) == 0:
        raise ValueError(f"points must be N x 2 with N >= 1, got shape {tuple(points.shape)}")
    if images.shape != points.shape:
        raise ValueError(f"images must have the shape of points, {tuple(points.shape)}, "
                         f"got {tuple(images.shape)}")
    modes = torch.as_tensor(modes)
    if modes.dim() != 2 or len(modes) == 0 or modes.shape[1] != points.shape[1]:
        raise ValueError(f"modes must be K x {points.shape[1]} centres (K >= 1), got shape "
                         f"{tuple(modes.shape)}")
    require_finite("points", points)
    require_finite("images", images)
    return float((nearest_mode(points, modes)[0] == nearest_mode(images, modes)[0]).float().mean())


def coverage_tracker(generator: torch.nn.Module, distribution, n_samples: int = 2000,
                     seed: int = 1234):
    """A ``genlib.training.train`` callback: ``step -> {"modes_covered": ..., "high_quality": ...}`` for
    ``n_samples`` generated from one fixed batch of noise (its own seed, so tracking never
    changes the training's random numbers)."""
    z = torch.randn(n_samples, generator.latent_dim, generator=torch.Generator().manual_seed(seed))

    def measure(step: int) -> dict:
        with torch.no_grad():
            samples = generator(z.to(next(generator.parameters()).device)).cpu()
        result = mode_coverage(samples, distribution.modes, distribution.std)
        return {"modes_covered": result.modes_covered, "high_quality": result.high_quality}

    return measure
