r"""Class coverage of generated images, judged by the metrics' classifier (notebook 08,
section "Class coverage and memorisation").

A generator that drops modes makes some classes rare; one that draws ambiguous blobs makes the
classifier unsure. With a classifier trained on the data:

* ``class_histogram``: the share of samples predicted as each class, \hat p_gen(y);
* ``class_coverage_kl``: KL(\hat p_gen || p_data(y)) = sum_y \hat p_gen(y) log(\hat p_gen(y) / p_data(y)),
  0 when the classes come in the data's proportions, log K when every sample falls in one of K
  equally common classes (a dropped class counts as 0 log 0 = 0 and raises the other shares);
* ``min_class_share``: min_y \hat p_gen(y) / p_data(y), the share of the rarest class among the
  samples relative to its share in the data: 1 when the classes come in the data's proportions,
  0 when a class is missing. It sees a dropped class that the KL barely registers: one class of
  ten missing (the others equally common) gives a KL of only log(10/9) = 0.105 nats;
* ``confident_share``: the fraction of samples whose top class probability is at least a
  threshold (sharp, recognisable images score high).
"""
from __future__ import annotations

import torch

from ..checks import require_finite, require_int, require_number
from .features import classifier_probabilities


def confident_share(probs: torch.Tensor, threshold: float = 0.9) -> float:
    """Fraction of rows of an ``N x K`` probability matrix with max_y p(y|x) >= ``threshold``
    (in [0, 1]). Each row must be a probability vector (softmax of logits, not the logits)."""
    probs = torch.as_tensor(probs)
    if probs.dim() != 2 or probs.shape[0] == 0 or probs.shape[1] == 0:
        raise ValueError(f"probs must be N x K probabilities with N, K >= 1, got shape "
                         f"{tuple(probs.shape)}")
    _check_probabilities("probs", probs)
    threshold = require_number("threshold", threshold, minimum=0.0)
    if threshold > 1:
        raise ValueError(f"threshold must be a probability in [0, 1], got {threshold}")
    return float((probs.max(dim=1).values >= threshold).double().mean())


def class_histogram(probs_or_labels: torch.Tensor, n_classes: int | None = None) -> torch.Tensor:
    """Share of samples in each class (a float64 vector summing to 1).

    Takes integer labels (``N``) or class probabilities (``N x K``, counted by their argmax:
    the *predicted* class). ``n_classes`` defaults to K, or to max label + 1 for labels.
    """
    values = torch.as_tensor(probs_or_labels)
    if n_classes is not None:
        n_classes = require_int("n_classes", n_classes, minimum=1)
    if values.dim() == 2:
        if values.shape[1] == 0:
            raise ValueError("probs_or_labels holds N x 0 probabilities: no classes")
        _check_probabilities("probs_or_labels", values)
        n_classes = n_classes or values.shape[1]
        values = values.argmax(dim=1)
    elif values.dim() != 1 or values.is_floating_point() or values.dtype == torch.bool:
        raise ValueError("probs_or_labels must be N integer labels or N x K probabilities, got "
                         f"{values.dtype} of shape {tuple(values.shape)}")
    if values.numel() == 0:
        raise ValueError("probs_or_labels is empty: class_histogram needs at least one sample")
    if int(values.min()) < 0:
        raise ValueError(f"probs_or_labels holds a negative label ({int(values.min())}); "
                         "classes are 0, 1, ..., n_classes - 1")
    n_classes = n_classes or int(values.max()) + 1
    if int(values.max()) >= n_classes:
        raise ValueError(f"probs_or_labels holds class {int(values.max())}, but n_classes is "
                         f"{n_classes} (classes 0..{n_classes - 1}); pass a larger n_classes")
    counts = torch.bincount(values.long(), minlength=n_classes).double()
    return counts / counts.sum()


def class_coverage_kl(generated: torch.Tensor, data: torch.Tensor,
                      n_classes: int | None = None) -> float:
    r"""KL(\hat p_gen(y) || p_data(y)) in nats, between the histogram of the generated samples'
    predicted classes and the data's class distribution.

    Each argument is labels, probabilities (see :func:`class_histogram`) or already a histogram
    (a float vector summing to 1). Infinite if the generator produces a class the data lacks.
    Without ``n_classes`` the classes are those of either argument (labels 0..max).
    """
    p, q = _paired_histograms(generated, data, n_classes)
    return float((torch.xlogy(p, p) - torch.xlogy(p, q)).sum())


def min_class_share(generated: torch.Tensor, data: torch.Tensor,
                    n_classes: int | None = None) -> float:
    r"""The rarest class's share among the generated samples relative to its share in the data,

        min_y \hat p_gen(y) / p_data(y)   over the classes y with p_data(y) > 0,

    1 when every class comes in the data's proportions, 0 when a class of the data is missing
    (where KL(\hat p_gen || p_data) can stay as small as log(K / (K - 1)), 0.105 nats for K = 10).
    Arguments as for :func:`class_coverage_kl`.
    """
    p, q = _paired_histograms(generated, data, n_classes)
    present = q > 0
    return float((p[present] / q[present]).min())


def _paired_histograms(generated, data, n_classes: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The histograms ``(p_gen, p_data)`` of ``generated`` and ``data`` over the same classes."""
    if n_classes is None:
        n_classes = max(_n_classes(generated), _n_classes(data))
    q = _as_histogram(data, n_classes, "data")
    p = _as_histogram(generated, n_classes, "generated")
    if p.shape != q.shape:
        raise ValueError(f"generated and data are histograms over {len(p)} and {len(q)} "
                         "classes; give both over the same classes")
    return p, q


def _n_classes(values) -> int:
    """The number of classes that labels, probabilities or a histogram speak of."""
    values = torch.as_tensor(values)
    if values.dim() == 1 and not values.is_floating_point() and values.numel():
        return int(values.max()) + 1
    return values.shape[-1] if values.dim() else 0


def _as_histogram(values, n_classes, name):
    values = torch.as_tensor(values)
    if values.dim() == 1 and values.is_floating_point():
        if (not bool(torch.isfinite(values).all()) or abs(float(values.sum()) - 1.0) > 1e-4
                or bool((values < 0).any())):
            raise ValueError(f"{name} must be a histogram if it is a float vector (non-negative, "
                             "summing to 1); pass labels or N x K probabilities otherwise")
        return values.double()
    try:
        return class_histogram(values, n_classes)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _check_probabilities(name: str, probs: torch.Tensor) -> None:
    """Rows of class probabilities: finite, in [0, 1], summing to 1 (not logits)."""
    require_finite(name, probs)
    sums = probs.sum(1)
    if bool((probs < 0).any()) or bool(((sums - 1).abs() > 1e-3).any()):
        raise ValueError(f"{name} must hold class probabilities (each row non-negative and "
                         f"summing to 1; rows sum to {float(sums.min()):.4g} to "
                         f"{float(sums.max()):.4g}); for logits use logits.softmax(-1)")
