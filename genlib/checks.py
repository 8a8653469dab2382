"""Argument checks shared by genlib's public functions: each raises an error that names the
argument, says what was expected and what was given.

``ValueError`` for a value outside its domain (a count of 0, a negative sigma, pixels outside
[0, 1], probabilities that do not sum to 1, NaN, an empty batch, shapes that do not match),
``TypeError`` for a value of the wrong kind (a float or a bool where a count is expected, a
NumPy array or a list where a tensor is, integer pixels). The checks on a tensor's *shape* cost
nothing; the ones on its *values* read the tensor once (a device sync on a GPU), so the
functions that run every training step only check shapes.
"""
from __future__ import annotations

import math
import numbers

import torch


def _kind(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return f"{value!r} ({type(value).__name__})"


def require_positive(name: str, value, integer: bool = False):
    """``value`` itself if it is a positive number (a whole number if ``integer``).

    ``TypeError`` for the wrong kind: a bool, a string, None, or a float where a whole number
    is expected (``batch_size=6.4``); ``ValueError`` for the wrong value: 0, a negative
    number, NaN or infinity."""
    kind = "a positive integer" if integer else "a positive number"
    example = f"for example {name}={'128' if integer else '1e-3'}"
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok_type:
        raise TypeError(f"{name} must be {kind}, got {_kind(value)}; {example}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be {kind}, got {value!r}; {example}")
    return value


def require_int(name: str, value, minimum: int | None = None) -> int:
    """``value`` as an int: a whole number (not a bool, not a float such as 2.5), at least
    ``minimum`` if given. ``TypeError`` for the wrong kind, ``ValueError`` below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (an int), got {_kind(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


SEED_LIMIT = 2**63  # torch seeds a generator from 64 bits; a margin for seed + step offsets


def require_seed(name: str, value) -> int:
    """``value`` as a seed torch accepts: a whole number from 0 to 2**63 - 1."""
    value = require_int(name, value)
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be a whole number from 0 to 2**63 - 1 (what torch can "
                         f"seed a generator with), got {value}")
    return value


def require_number(name: str, value, minimum: float | None = None,
                   positive: bool = False) -> float:
    """``value`` as a finite float (not a bool, not a string), at least ``minimum`` (or above
    0 with ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_kind(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def require_tensor(name: str, value, floating: bool = False) -> torch.Tensor:
    """``value`` itself if it is a tensor (of a floating-point dtype with ``floating``);
    ``TypeError`` otherwise, saying how to convert it."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; convert it "
                        f"with torch.as_tensor({name}, dtype=torch.float32)")
    if floating and not value.is_floating_point():
        pixels = " (and divide 0..255 pixels by 255)" if name in ("x", "images") else ""
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}; use "
                        f"{name}.float(){pixels}")
    return value


def require_nonempty(name: str, value: torch.Tensor, what: str = "values") -> torch.Tensor:
    """``ValueError`` for a tensor with no elements (an empty batch)."""
    if value.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)}); it needs at least one "
                         f"of its {what}")
    return value


def require_same_shape(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """``ValueError`` unless ``a`` and ``b`` have the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")


def require_finite(name: str, value: torch.Tensor) -> torch.Tensor:
    """``ValueError`` if the tensor holds NaN or an infinity (reads the values)."""
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); every value must be "
                         "finite")
    return value


def require_unit_interval(name: str, value: torch.Tensor,
                          what: str = "pixel values") -> torch.Tensor:
    """``ValueError`` unless every value lies in [0, 1] (NaN included in the failures)."""
    inside = (value >= 0) & (value <= 1)
    if value.numel() and not bool(inside.all()):
        finite = value[torch.isfinite(value)] if value.is_floating_point() else value
        nan = int(torch.isnan(value).sum()) if value.is_floating_point() else 0
        span = ([f"values from {float(finite.min()):.4g} to {float(finite.max()):.4g}"]
                if finite.numel() else []) + ([f"{nan} NaN"] if nan else [])
        got = " and ".join(span) or "infinite values"
        raise ValueError(f"{name} must hold {what} in [0, 1], got {got}"
                         + "; divide 0..255 pixels by 255, map [-1, 1] with (x + 1) / 2")
    return value


def require_distribution(name: str, value: torch.Tensor, atol: float = 1e-2) -> torch.Tensor:
    """``ValueError`` unless ``value`` holds probability vectors over its last dimension:
    finite, non-negative, at least one entry, each summing to 1 within ``atol`` (so a Riemann
    sum of a density on a grid that cuts off a little of its tails passes)."""
    if value.dim() == 0 or value.shape[-1] == 0:
        raise ValueError(f"{name} must hold probability vectors over its last dimension, got "
                         f"shape {tuple(value.shape)}")
    require_finite(name, value)
    if bool((value < 0).any()):
        raise ValueError(f"{name} must be non-negative (probabilities), got a minimum of "
                         f"{float(value.min()):.4g}")
    sums = value.sum(-1)
    worst = float((sums - 1).abs().max())
    if worst > atol:
        raise ValueError(f"{name} must sum to 1 over its last dimension (probabilities), got "
                         f"sums from {float(sums.min()):.4g} to {float(sums.max()):.4g}; "
                         f"normalise it with {name} / {name}.sum(-1, keepdim=True)")
    return value
