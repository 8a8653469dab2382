r"""The diffusion model's fixed encoder and its ELBO (notebook 11).

The forward process adds Gaussian noise in ``T`` steps with variances ``beta_t``
(notebook 11, section "The forward process: an encoder that only adds noise"):

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),      alpha_t = 1 - beta_t
    q(x_t | x_0)     = N(sqrt(abar_t) x_0, (1 - abar_t) I),        abar_t = prod_{s<=t} alpha_s

Its posterior given the data point (notebook 11, section "The posterior $q(x_{t-1}\mid x_t, x_0)$")
is Gaussian too:

    q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I),
    mu~_t   = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x_0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t
    beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t

The ELBO of the reverse model p(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I) is a sum of
KL terms (notebook 11, section "The ELBO as a sum of KL terms"), and with the noise
parameterisation x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) each is a weighted squared
error of the predicted noise (Ho et al. 2020; notebook 11, section "Predicting the noise is the
ELBO, reweighted"):

    L_{t-1} = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)) E ||eps - eps_theta(x_t, t)||^2

Arrays of :class:`NoiseSchedule` have ``T + 1`` entries, index ``t`` for step ``t``, with
``t = 0`` the data (``beta_0 = 0``, ``abar_0 = 1``).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn

from ..checks import require_int, require_number, require_tensor


def linear_betas(T: int, beta_1: float = 1e-4, beta_T: float = 0.02) -> torch.Tensor:
    """``beta_1 .. beta_T`` evenly spaced from ``beta_1`` to ``beta_T`` (Ho et al. 2020), float64."""
    require_int("T", T, minimum=1)
    require_number("beta_1", beta_1, positive=True)
    require_number("beta_T", beta_T, positive=True)
    if not beta_1 <= beta_T < 1:
        raise ValueError(f"beta_T must be at least beta_1 and below 1, got beta_1={beta_1}, "
                         f"beta_T={beta_T}")
    return torch.linspace(beta_1, beta_T, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """``beta_t = 1 - abar_t / abar_{t-1}`` with ``abar_t = cos^2((t/T + s) / (1 + s) pi/2)``
    normalised to ``abar_0 = 1`` (Nichol & Dhariwal 2021), capped at ``max_beta``; float64."""
    require_int("T", T, minimum=1)
    require_number("s", s, positive=True)
    if not 0 < require_number("max_beta", max_beta) < 1:
        raise ValueError(f"max_beta must lie in (0, 1), got {max_beta}")
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    return (1 - abar[1:] / abar[:-1]).clamp(max=max_beta)


class NoiseSchedule(nn.Module):
    """``betas``, ``alphas = 1 - betas``, ``alpha_bar`` (the running product) and the posterior
    variances ``posterior_var`` (beta~_t), as buffers of ``T + 1`` entries indexed by ``t``
    (entry 0: the data, beta_0 = 0, abar_0 = 1). A module, so it is saved with the denoiser,
    moves to the training device with it, and is handed to the step by name. ``dtype``:
    float32 for training, float64 for the exact checks."""

    def __init__(self, betas: torch.Tensor, dtype: torch.dtype = torch.float32):
        super().__init__()
        betas = require_tensor("betas", betas, floating=True).detach().to(torch.float64).flatten()
        if len(betas) == 0 or not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(f"betas must hold T >= 1 noise variances in (0, 1), got "
                             f"{len(betas)} values from {float(betas.min()) if len(betas) else 0:.3g}")
        betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas])
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        posterior_var = torch.zeros_like(betas)
        posterior_var[1:] = (1 - alpha_bar[:-1]) / (1 - alpha_bar[1:]) * betas[1:]
        self.T = len(betas) - 1
        for name, value in (("betas", betas), ("alphas", alphas), ("alpha_bar", alpha_bar),
                            ("posterior_var", posterior_var)):
            self.register_buffer(name, value.to(_precise(dtype, "dtype")))
        _check_alpha_bar(self.alpha_bar)

    def at(self, name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """The buffer ``name`` at steps ``t`` (one per example), shaped to broadcast over ``like``."""
        values = getattr(self, name)[t]
        _precise(values.dtype, "the schedule")  # .half() or .to(dtype) may have cast it
        return values.reshape(len(values), *([1] * (like.dim() - 1))).to(like.dtype)

    def extra_repr(self) -> str:
        return f"T={self.T}, alpha_bar_T={float(self.alpha_bar[-1]):.2e}"


def _precise(dtype: torch.dtype, name: str) -> torch.dtype:
    """``dtype`` if float32 or float64. In float16 or bfloat16, 1 - alpha_bar_1 rounds to 0 for
    the usual betas (a division by 0 in the posterior); integers hold no betas at all."""
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be float32 or float64, got {dtype}: in half precision "
                        "1 - alpha_bar rounds to 0 at small t, and integers hold no betas. Keep "
                        "the schedule in float32 (schedule.float()); data of another dtype are "
                        "fine")
    return dtype


def _check_alpha_bar(alpha_bar: torch.Tensor) -> None:
    """``ValueError`` unless 0 < alpha_bar_t < 1 for t = 1..T in the schedule's dtype (the
    posterior divides by 1 - alpha_bar_t, x_0's prediction by sqrt(alpha_bar_t))."""
    inside = (alpha_bar[1:] > 0) & (alpha_bar[1:] < 1)
    if not bool(inside.all()):
        t = int((~inside).nonzero()[0]) + 1
        raise ValueError(f"betas make alpha_bar_{t} = {float(alpha_bar[t]):.3g} in "
                         f"{alpha_bar.dtype}, where 0 < alpha_bar_t < 1 is needed: use fewer "
                         "steps T, smaller betas, or (near 1) larger ones, or float64")


def _steps(t, schedule: NoiseSchedule, n: int, device) -> torch.Tensor:
    """``t`` as a long tensor of ``n`` steps in 1..T (an integer, NumPy's too, is repeated)."""
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}; make "
                        "one from betas with NoiseSchedule(linear_betas(T))")
    T = schedule.T
    if isinstance(t, numbers.Integral) and not isinstance(t, (bool, np.bool_)):
        t = torch.full((n,), int(t), dtype=torch.long, device=device)
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be an int or a 1-D integer tensor of steps, got "
                        f"{type(t).__name__}; convert it with torch.as_tensor(t, dtype=torch.long)")
    if t.dim() == 0 and not t.is_floating_point():
        t = t.expand(n)
    if t.is_floating_point() or t.dtype == torch.bool or t.dim() != 1 or len(t) != n:
        raise ValueError(f"t must be an int or a 1-D integer tensor with one step per example "
                         f"({n}), got {tuple(t.shape)} {t.dtype}")
    if len(t) and not bool(((t >= 1) & (t <= T)).all()):
        raise ValueError(f"t must hold steps from 1 to T = {T}, got values from "
                         f"{int(t.min())} to {int(t.max())}")
    return t


def _noise_like(noise: torch.Tensor, name: str, x: torch.Tensor) -> torch.Tensor:
    """``noise``, checked to be a floating tensor of the shape of ``x`` (called ``name``)."""
    require_tensor(name, x, floating=True)
    require_tensor("noise", noise, floating=True)
    if noise.shape != x.shape:
        raise ValueError(f"noise must have the shape of {name} {tuple(x.shape)}, got "
                         f"{tuple(noise.shape)}")
    return noise


def q_sample(x0: torch.Tensor, t, schedule: NoiseSchedule, noise: torch.Tensor) -> torch.Tensor:
    r"""A draw of q(x_t | x_0) in closed form
    (notebook 11, section "The forward process: an encoder that only adds noise"):
    ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise`` with ``noise ~ N(0, I)`` given (so the
    caller's rng draws it). ``t``: an int or one step in 1..T per example."""
    _noise_like(noise, "x0", x0)
    t = _steps(t, schedule, len(x0), x0.device)
    abar = schedule.at("alpha_bar", t, x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def q_step(x_prev: torch.Tensor, t, schedule: NoiseSchedule, noise: torch.Tensor) -> torch.Tensor:
    r"""One forward step q(x_t | x_{t-1}): ``sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) noise``
    (notebook 11, section "The forward process: an encoder that only adds noise")."""
    _noise_like(noise, "x_prev", x_prev)
    t = _steps(t, schedule, len(x_prev), x_prev.device)
    beta = schedule.at("betas", t, x_prev)
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * noise


def q_posterior(x0: torch.Tensor, x_t: torch.Tensor, t, schedule: NoiseSchedule):
    r"""``(mean, variance)`` of q(x_{t-1} | x_t, x_0)
    (notebook 11, section "The posterior $q(x_{t-1}\mid x_t, x_0)$"):
    ``mean = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x_0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t``,
    ``variance = beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t`` (broadcast over ``x0``)."""
    require_tensor("x0", x0, floating=True)
    require_tensor("x_t", x_t, floating=True)
    if x0.shape != x_t.shape:
        raise ValueError(f"x0 and x_t must have the same shape, got {tuple(x0.shape)} and "
                         f"{tuple(x_t.shape)}")
    t = _steps(t, schedule, len(x0), x0.device)
    abar, abar_prev = schedule.at("alpha_bar", t, x0), schedule.at("alpha_bar", t - 1, x0)
    beta, alpha = schedule.at("betas", t, x0), schedule.at("alphas", t, x0)
    mean = (abar_prev.sqrt() * beta / (1 - abar)) * x0 + (alpha.sqrt() * (1 - abar_prev) / (1 - abar)) * x_t
    return mean, schedule.at("posterior_var", t, x0).expand_as(x0)


def predict_x0(x_t: torch.Tensor, t, schedule: NoiseSchedule, eps: torch.Tensor) -> torch.Tensor:
    r"""The data point the noise ``eps`` implies,
    ``x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)``
    (notebook 11, section "Predicting the noise is the ELBO, reweighted")."""
    require_tensor("x_t", x_t, floating=True)
    require_tensor("eps", eps, floating=True)
    if eps.shape != x_t.shape:
        raise ValueError(f"eps must have the shape of x_t {tuple(x_t.shape)}, got {tuple(eps.shape)}")
    t = _steps(t, schedule, len(x_t), x_t.device)
    abar = schedule.at("alpha_bar", t, x_t)
    return (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()


def normal_kl(mean_q, var_q, mean_p, var_p) -> torch.Tensor:
    r"""KL(N(mean_q, var_q) || N(mean_p, var_p)) per element
    (notebook 11, section "The ELBO as a sum of KL terms"):
    ``1/2 [log(var_p / var_q) + (var_q + (mean_q - mean_p)^2) / var_p - 1]``."""
    tensors = torch.broadcast_tensors(*(torch.as_tensor(v) for v in (mean_q, var_q, mean_p, var_p)))
    mean_q, var_q, mean_p, var_p = tensors
    if bool((var_q <= 0).any()) or bool((var_p <= 0).any()):
        raise ValueError("var_q and var_p must be positive variances")
    return 0.5 * (torch.log(var_p / var_q) + (var_q + (mean_q - mean_p) ** 2) / var_p - 1)


def elbo_weights(schedule: NoiseSchedule, sigma2: torch.Tensor | None = None) -> torch.Tensor:
    r"""``w_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t))`` for t = 1..T
    (notebook 11, section "Predicting the noise is the ELBO, reweighted"): the factor that
    turns ``||eps - eps_theta||^2`` into the KL term ``L_{t-1}``; ``sigma2`` defaults to beta~_t
    (at t = 1, where beta~_1 = 0, to beta_1)."""
    _precise(schedule.betas.dtype, "the schedule")
    betas, alphas, abar = (getattr(schedule, n)[1:].double() for n in ("betas", "alphas", "alpha_bar"))
    if sigma2 is None:
        sigma2 = schedule.posterior_var[1:].double().clone()
        sigma2[0] = betas[0]
    return betas ** 2 / (2 * sigma2 * alphas * (1 - abar))
