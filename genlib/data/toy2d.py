"""2-D toy distributions for watching a GAN learn (or collapse onto a few modes).

===========  ===========================================================  ============
name         definition                                                   ``log_prob``
===========  ===========================================================  ============
``ring8``    8 Gaussians, equal weights, centres on a circle of radius 2,  exact
             std 0.05 (the "ring" of Metz et al., 2017, unrolled GANs)
``grid25``   25 Gaussians, equal weights, centres on the 5x5 grid          exact
             {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN / PacGAN)
``moons``    two interleaved half circles of radius 1 (as in scikit-learn) not available
             plus Gaussian noise, std 0.05
``spiral``   r = t / (2 pi), t uniform in [pi, 4 pi], plus noise std 0.05  not available
===========  ===========================================================  ============

The mixtures have an exact density, a logsumexp over their components; the curves smoothed
by noise have none in closed form, so their ``log_prob`` raises ``NotImplementedError``.
Every distribution has ``.sample(n, rng=None)`` (an ``n x 2`` float32 tensor),
``.modes`` (the centres, or ``None`` for the curves) and ``.std``.
"""
from __future__ import annotations

import math

import torch

from .idx import UnknownDatasetError


class Toy2D:
    """Base class: a distribution on the plane that can be sampled."""

    name = "toy"
    modes: torch.Tensor | None = None

    def __init__(self, std: float) -> None:
        if not std > 0:
            raise ValueError(f"std must be positive, got {std}")
        self.std = float(std)

    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        """``n`` independent samples as an ``n x 2`` float32 tensor."""
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Log-density at each row of ``x`` (``... x 2``)."""
        raise NotImplementedError(f"{self.name} has no closed-form density (a curve smoothed "
                                  "by Gaussian noise); use ring8 or grid25 for exact log_prob")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, std={self.std})"


class GaussianMixture2D(Toy2D):
    """Equal-weight mixture of isotropic Gaussians ``N(modes[k], std^2 I)``."""

    def __init__(self, modes: torch.Tensor, std: float, name: str = "mixture") -> None:
        super().__init__(std)
        self.modes = torch.as_tensor(modes, dtype=torch.float32).reshape(-1, 2)
        self.name = name

    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        k = torch.randint(len(self.modes), (n,), generator=rng)
        return self.modes[k] + self.std * torch.randn(n, 2, generator=rng)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact: ``log(1/K sum_k N(x; mu_k, std^2 I))``, computed with logsumexp."""
        x = torch.as_tensor(x)
        modes = self.modes.to(x)
        sq = ((x.unsqueeze(-2) - modes) ** 2).sum(-1)  # ... x K squared distances
        log_norm = math.log(2 * math.pi * self.std ** 2) + math.log(len(modes))
        return torch.logsumexp(-0.5 * sq / self.std ** 2, dim=-1) - log_norm

    def mean(self) -> torch.Tensor:
        """Exact mean: the average of the centres."""
        return self.modes.mean(0)

    def covariance(self) -> torch.Tensor:
        """Exact covariance: spread of the centres plus ``std^2 I``."""
        centred = self.modes - self.mean()
        return centred.T @ centred / len(self.modes) + self.std ** 2 * torch.eye(2)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """``n_modes`` Gaussians evenly spaced on a circle (the first one at angle 0)."""
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    modes = radius * torch.stack([angles.cos(), angles.sin()], 1)
    return GaussianMixture2D(modes, std, name=f"ring{n_modes}")


def grid(size: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """``size x size`` Gaussians on a square grid centred at the origin."""
    ticks = (torch.arange(size, dtype=torch.float64) - (size - 1) / 2) * spacing
    modes = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture2D(modes, std, name=f"grid{size * size}")


class Moons(Toy2D):
    """Two interleaved half circles (upper one centred at (0, 0), lower at (1, 0.5))."""

    name = "moons"

    def __init__(self, std: float = 0.05) -> None:
        super().__init__(std)

    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        t = math.pi * torch.rand(n, generator=rng)
        lower = torch.rand(n, generator=rng) < 0.5
        x = torch.where(lower, 1 - t.cos(), t.cos())
        y = torch.where(lower, 0.5 - t.sin(), t.sin())
        return torch.stack([x, y], 1) + self.std * torch.randn(n, 2, generator=rng)


class Spiral(Toy2D):
    """One arm of an Archimedean spiral: ``r = t / (2 pi)``, ``t ~ U(pi, 4 pi)``."""

    name = "spiral"

    def __init__(self, std: float = 0.05) -> None:
        super().__init__(std)

    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        t = math.pi * (1 + 3 * torch.rand(n, generator=rng))
        points = (t / (2 * math.pi)).unsqueeze(1) * torch.stack([t.cos(), t.sin()], 1)
        return points + self.std * torch.randn(n, 2, generator=rng)


_FACTORIES = {"ring8": ring, "grid25": grid, "moons": Moons, "spiral": Spiral}
NAMES = tuple(_FACTORIES)


def get(name: str, **kwargs) -> Toy2D:
    """A toy distribution by name (``ring8``, ``grid25``, ``moons``, ``spiral``); keyword
    arguments (e.g. ``std=0.1``) go to its constructor."""
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise UnknownDatasetError(f"unknown 2-D toy distribution {name!r}; known: "
                                  f"{', '.join(NAMES)}") from None
    return factory(**kwargs)
