"""Reading what an answer returned, and saying what is wrong with it, never what is right.

:func:`as_values` accepts what a right answer can return (a real tensor of any device and dtype,
with or without a graph; a Python or NumPy number; a numeric NumPy array) as float64 values on
the CPU, and names everything else in words: None, a string, a list, a dict, a Python generator, a
complex, sparse, quantized, nested or meta tensor, a NumPy array of objects or strings.
:func:`diagnose` compares those values with the expected ones: shape (a single number and a
vector of one value are different shapes), NaN or Inf, the wrong sign, one common factor or one
common offset, a result right to half precision only. No sentence holds a value, factor or
difference from which the expected result could be recovered.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

NONFINITE = ("the result contains NaN or Inf where the right one is finite: look for an operation "
             "outside its domain (a log of 0 or of a negative number, a division by 0, an arccos "
             "or a square root of a value out of range) or an exp that overflows or underflows")
COMPLEX = ("it returned complex numbers, and the result is real: is a square root or a log taken "
           "of a negative number, or a complex dtype used somewhere?")
HALF = (torch.float16, torch.bfloat16)


def tensor_problem(value: torch.Tensor) -> str | None:
    if value.is_meta or value.device.type == "meta":
        return "it returned a tensor on the meta device, which has a shape but holds no values"
    if value.is_nested:
        return "it returned a nested tensor; return an ordinary tensor"
    if value.layout != torch.strided:
        return (f"it returned a sparse tensor ({str(value.layout).replace('torch.', '')}); return "
                "an ordinary (dense) tensor")
    if value.is_quantized:
        return "it returned a quantized tensor; return an ordinary floating-point tensor"
    if value.is_complex():
        return COMPLEX
    return None


def as_values(value) -> tuple[torch.Tensor | None, str | None]:
    """``value`` as float64 values on the CPU and None, or None and why it cannot be read."""
    if value is None:
        return None, "it returned None - did you forget `return`?"
    if isinstance(value, torch.Tensor):
        problem = tensor_problem(value)
        if problem:
            return None, problem
        return value.detach().cpu().to(torch.float64), None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "O":
            return None, ("it returned a NumPy array of Python objects (dtype object), not of "
                          "numbers: return a tensor, or an array of floats")
        if value.dtype.kind == "c":
            return None, COMPLEX
        if value.dtype.kind not in "biuf":
            return None, f"it returned a NumPy array of {value.dtype.name} values, not of numbers"
        return torch.from_numpy(value.astype(np.float64)), None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Number):
        kind = type(value).__name__
        return None, f"it returned a {kind}, not a number or a tensor"
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        return None, COMPLEX
    return torch.tensor(float(value), dtype=torch.float64), None


def _shape_problem(got: torch.Tensor, want: torch.Tensor) -> str:
    if want.dim() == 0:
        return (f"the result has shape {tuple(got.shape)}, expected a single number of shape () "
                "(which dimensions should be summed or averaged over?)")
    if got.dim() == 0 and want.numel() == 1:
        return (f"the result is a single number, expected shape {tuple(want.shape)}: one value "
                "for each example, also for a batch of one")
    return (f"the result has shape {tuple(got.shape)}, expected {tuple(want.shape)} "
            "(which dimensions should be summed or averaged over?)")


def diagnose(got, want: torch.Tensor, atol: float, rtol: float) -> str | None:
    """What is wrong with the result ``got`` against the expected values ``want`` (None:
    nothing), in words that never reveal ``want``: no factor, no difference, only the kind of
    mistake."""
    got_t, problem = as_values(got)
    if problem:
        return problem
    want_t = want.detach().cpu().to(torch.float64)
    if got_t.shape != want_t.shape:
        return _shape_problem(got_t, want_t)
    if not torch.isfinite(got_t).all() and torch.isfinite(want_t).all():
        return NONFINITE
    if torch.allclose(got_t, want_t, atol=atol, rtol=rtol):
        return None
    if (isinstance(got, torch.Tensor) and got.dtype in HALF
            and torch.allclose(got_t, want_t, atol=max(atol, 1e-2), rtol=1e-2)):
        return (f"the values agree only to half precision: your result is {got.dtype}; compute "
                "in the precision of the inputs")
    if want_t.abs().max() > 10 * atol and torch.allclose(got_t, -want_t, atol=atol, rtol=rtol):
        return "the result has the wrong sign"
    if want_t.numel() > 1:
        diff = got_t - want_t
        if torch.allclose(diff, diff.mean().expand_as(diff), atol=atol * 10, rtol=0):
            return "every value is off by one common constant (a term missing, or a wrong one?)"
        nonzero = want_t.abs() > 1e-6
        ratio = got_t[nonzero] / want_t[nonzero]
        if (nonzero.sum() > 1 and (got_t[~nonzero].abs() < atol).all()
                and abs(ratio.mean().item() - 1) > 1e-2     # a factor, not large values nearly right
                and torch.allclose(ratio, ratio.mean().expand_as(ratio), rtol=1e-3)):
            return ("every value is off by one common factor (a missing constant such as 1/2, "
                    "or a mean where a sum belongs?)")
        return "the values differ from the right ones"
    direction = "too large" if got_t.item() > want_t.item() else "too small"
    return f"the value is not the right one: it is {direction}"
