r"""The reverse chain of a trained diffusion model: ancestral (DDPM) and DDIM sampling (notebook 11),
and the flow's ODE, Euler or Heun, with classifier-free guidance (:func:`flow_sample`, notebook 12).

Ancestral sampling (Ho et al. 2020; notebook 11, section "A DDPM on the ring of 8 Gaussians")
starts at ``x_T ~ N(0, I)`` and steps

    x_0^ = (x_t - sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(abar_t)       (clipped to [-1, 1] with ``clip``)
    x_{t-1} = mu~_t(x_t, x_0^) + sqrt(beta~_t) z,   z ~ N(0, I)   (no noise at t = 1)

DDIM (Song, Meng & Ermon 2021; notebook 11, section "Fewer steps: DDIM") jumps between the steps
``tau_1 > tau_2 > ...`` of a shorter sequence with the same trained network; with ``eta = 0`` it
is deterministic:

    x_s = sqrt(abar_s) x_0^ + sqrt(1 - abar_s - sigma^2) eps_theta(x_t, t) + sigma z,
    sigma = eta sqrt((1 - abar_s) / (1 - abar_t)) sqrt(1 - abar_t / abar_s)

With ``rescale`` the model works on ``2 x - 1`` and every returned image is ``(x + 1) / 2``,
clamped to [0, 1]: images in [0, 1] like every genlib image. The denoiser is a network or any
function ``eps(x_t, t)``; a chain that ends in NaN (a denoiser predicting NaN) raises
``FloatingPointError`` instead of returning it.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from .checks import require_finite, require_int, require_number, require_tensor
from .objectives.diffusion import NoiseSchedule, predict_x0, q_posterior


class ReverseChain(NamedTuple):
    """``samples`` (x_0); ``path[t] = (x_t, x0_hat)`` at every kept step (both in the output space)."""
    samples: torch.Tensor
    path: dict


def _start(denoiser, schedule, shape, rng, x_T):
    """``(x_T, device)``: the chain's start, drawn or given, on the denoiser's device."""
    if not callable(denoiser):
        raise TypeError(f"denoiser must be a network or function eps(x_t, t), got "
                        f"{type(denoiser).__name__}")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    tensors = [*denoiser.parameters(), *denoiser.buffers()] if isinstance(
        denoiser, torch.nn.Module) else []
    device = tensors[0].device if tensors else torch.device("cpu")
    if x_T is None:
        if isinstance(shape, int) or not all(isinstance(n, int) and n >= 1 for n in shape):
            raise ValueError(f"shape must be a tuple of positive sizes (examples first), got {shape!r}")
        if not isinstance(rng, torch.Generator):
            raise TypeError(f"rng must be a torch.Generator, got {type(rng).__name__}")
        x_T = torch.randn(tuple(shape), generator=rng, device=rng.device)
    require_finite("x_T", require_tensor("x_T", x_T, floating=True))
    wanted = getattr(denoiser, "sample_shape", None)
    if x_T.dim() == 0 or len(x_T) == 0 or wanted and tuple(x_T.shape[1:]) != tuple(wanted):
        raise ValueError(f"x_T must be a batch of N >= 1 samples of shape {wanted or '(...)'} "
                         f"for this denoiser, got {tuple(x_T.shape)}")
    return x_T.to(device), device


def _finite(x: torch.Tensor) -> torch.Tensor:
    """``x``, the chain's end, unless it holds NaN or infinite values."""
    if not bool(torch.isfinite(x).all()):
        raise FloatingPointError(
            f"the reverse chain ended with {int((~torch.isfinite(x)).sum())} NaN or infinite "
            "values: the denoiser predicted non-finite noise (are its weights finite? "
            "check torch.isfinite on each parameter), or its outputs overflow")
    return x


def _noise(x, rng):
    return torch.randn(x.shape, generator=rng, device=rng.device).to(x.device)


def _out(x, rescale):
    return ((x + 1) / 2).clamp(0, 1).cpu() if rescale else x.cpu()


@torch.no_grad()
def ddpm_sample(denoiser, schedule: NoiseSchedule, shape, rng: torch.Generator, *,
                rescale: bool = False, clip: bool = False, keep=(), x_T=None) -> ReverseChain:
    """``shape[0]`` samples by ancestral sampling over all T steps; ``keep``: the steps whose
    ``(x_t, x0_hat)`` go into ``path``."""
    x, device = _start(denoiser, schedule, shape, rng, x_T)
    if not isinstance(rng, torch.Generator):
        raise TypeError(f"rng must be a torch.Generator, got {type(rng).__name__}")
    schedule = schedule.to(device)
    keep, path = set(keep), {}
    for t in range(schedule.T, 0, -1):
        steps = torch.full((len(x),), t, dtype=torch.long, device=device)
        x0_hat = predict_x0(x, steps, schedule, denoiser(x, steps))
        if clip:
            x0_hat = x0_hat.clamp(-1, 1)
        if t in keep:
            path[t] = (_out(x, rescale), _out(x0_hat, rescale))
        mean, var = q_posterior(x0_hat, x, steps, schedule)
        x = mean + var.sqrt() * _noise(x, rng) if t > 1 else mean
    x = _finite(x)
    if 0 in keep:
        path[0] = (_out(x, rescale), _out(x, rescale))
    return ReverseChain(_out(x, rescale), path)


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` steps from T down to 1, evenly spaced (rounded): DDIM's sub-sequence tau."""
    require_int("T", T, minimum=1)
    require_int("steps", steps, minimum=1)
    if steps > T:
        raise ValueError(f"steps must be at most T = {T}, got {steps}")
    return sorted({round(T - i * (T - 1) / max(steps - 1, 1)) for i in range(steps)}, reverse=True)


@torch.no_grad()
def ddim_sample(denoiser, schedule: NoiseSchedule, shape, rng: torch.Generator | None, *,
                steps: int = 50, eta: float = 0.0, rescale: bool = False, clip: bool = False,
                x_T=None) -> torch.Tensor:
    """``shape[0]`` samples with DDIM over ``steps`` of the T steps (``eta = 0``: deterministic,
    a map from ``x_T`` to ``x_0``; give ``x_T`` to use it as a decoder)."""
    eta = require_number("eta", eta, minimum=0.0)
    x, device = _start(denoiser, schedule, shape, rng, x_T)
    if eta > 0 and not isinstance(rng, torch.Generator):
        raise TypeError(f"rng must be a torch.Generator when eta > 0, got {type(rng).__name__}")
    schedule = schedule.to(device)
    taus = ddim_timesteps(schedule.T, steps)
    for t, s in zip(taus, taus[1:] + [0]):
        t_steps = torch.full((len(x),), t, dtype=torch.long, device=device)
        eps = denoiser(x, t_steps)
        x0_hat = predict_x0(x, t_steps, schedule, eps)
        if clip:
            x0_hat = x0_hat.clamp(-1, 1)
            eps = (x - schedule.at("alpha_bar", t_steps, x).sqrt() * x0_hat) / \
                (1 - schedule.at("alpha_bar", t_steps, x)).sqrt()
        abar_t, abar_s = float(schedule.alpha_bar[t]), float(schedule.alpha_bar[s])
        sigma = eta * ((1 - abar_s) / (1 - abar_t) * (1 - abar_t / abar_s)) ** 0.5
        x = abar_s ** 0.5 * x0_hat + max(1 - abar_s - sigma ** 2, 0.0) ** 0.5 * eps
        if sigma > 0:
            x = x + sigma * _noise(x, rng)
    return _out(_finite(x), rescale)


@torch.no_grad()
def flow_sample(velocity, x_1: torch.Tensor, steps: int, method: str = "euler", y=None,
                guidance: float = 0.0, path: bool = False):
    r"""Integrate the flow's ODE dx/dt = v_theta(x, t) from the noise ``x_1`` at t = 1 back to
    t = 0 (notebook 12, "Flow matching"), with ``steps`` steps of size h = 1 / steps:

        Euler:  x_{t-h} = x_t - h v(x_t, t)
        Heun:   x~ = x_t - h v(x_t, t),   x_{t-h} = x_t - h/2 (v(x_t, t) + v(x~, t - h))

    With classes ``y`` the velocity is classifier-free guided (Ho & Salimans 2022; notebook 12,
    "Guidance"): v = (1 + w) v(x, t, y) - w v(x, t, no class), w = ``guidance`` (0: the
    conditional velocity). The network takes ``1000 t``. Returns x_0, or with ``path`` the list
    of states ``[x_1, ..., x_0]``; in the model's space (images: ``2 x - 1``)."""
    steps = require_int("steps", steps, minimum=1)
    if method not in ("euler", "heun"):
        raise ValueError(f"method must be 'euler' or 'heun', got {method!r}")
    require_finite("x_1", require_tensor("x_1", x_1, floating=True))
    guidance = require_number("guidance", guidance)
    if y is None and guidance != 0:
        raise ValueError("guidance needs classes y: guidance mixes the velocity given y with "
                         "the velocity given no class")

    def v(x, t):
        times = torch.full((len(x),), 1000 * t, device=x.device)
        if y is None:
            return velocity(x, times)
        given = velocity(x, times, y)
        if guidance == 0:
            return given
        free = velocity(x, times, torch.full_like(y, velocity.classes))   # class K: "no class"
        return (1 + guidance) * given - guidance * free                    # classifier-free guidance

    h, x, states = 1.0 / steps, x_1, [x_1]
    for k in range(steps, 0, -1):
        t = k * h
        slope = v(x, t)
        if method == "heun":
            x = x - h / 2 * (slope + v(x - h * slope, t - h))
        else:
            x = x - h * slope
        states.append(x)
    _finite(x)
    return states if path else x
