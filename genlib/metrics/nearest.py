"""Nearest neighbours between two sets of points (rows; images are flattened), in chunks.

Used for the k-NN radii of precision/recall and to ask "does the model copy its training set?":
a generated image's distance to its nearest training image, compared with the distance of a
*test* image to its nearest training image
(notebook 08, section "Class coverage and memorisation").
"""
from __future__ import annotations

import torch

from ..checks import require_positive


def flatten_points(x, name: str = "points") -> torch.Tensor:
    """Rows of an array/tensor as float64 points (``N x 1 x H x W`` images -> ``N x HW``).
    float64: ``cdist``'s fast |a|^2 + |b|^2 - 2ab form loses the small distances in float32.
    At least one finite point of at least one coordinate; ``name`` is named in an error."""
    x = torch.as_tensor(x)
    if x.dim() == 0 or len(x) == 0 or x[0].numel() == 0:
        raise ValueError(f"{name} must hold at least one point (rows), got shape "
                         f"{tuple(x.shape)}")
    points = x.reshape(len(x), -1).double()
    if not bool(torch.isfinite(points).all()):
        raise ValueError(f"{name} holds NaN or infinite values; every point must be finite")
    return points


def nearest_neighbours(queries, reference, k: int = 1, exclude_self: bool = False,
                       chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean distances and indices of the ``k`` nearest rows of ``reference`` for every row of
    ``queries``: two ``N x k`` tensors, nearest first.

    ``exclude_self`` (for ``queries is reference``) skips each point's own index, so the
    first neighbour of a point is another point. Memory is ``chunk x len(reference)``.
    """
    q, r = flatten_points(queries, "queries"), flatten_points(reference, "reference")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and reference must be points of one dimension, got "
                         f"{q.shape[1]} and {r.shape[1]}")
    require_positive("k", k, integer=True)
    require_positive("chunk", chunk, integer=True)
    if k + exclude_self > len(r):
        raise ValueError(f"k={k} neighbours asked of {len(r)} reference points"
                         + (" (itself excluded)" if exclude_self else "")
                         + "; use a smaller k or more reference points")
    distances, indices = [], []
    for start in range(0, len(q), chunk):
        d = torch.cdist(q[start:start + chunk], r)
        if exclude_self:
            rows = torch.arange(len(d))
            d[rows, rows + start] = float("inf")
        values, index = d.topk(k, dim=1, largest=False)
        distances.append(values)
        indices.append(index)
    return torch.cat(distances), torch.cat(indices)


def nearest_training_distance(samples, training, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For each sample, the distance to its nearest training point and that point's index
    (two tensors of length N). Pixel space if given images, feature space if given features."""
    distances, indices = nearest_neighbours(samples, training, k=1, chunk=chunk)
    return distances[:, 0], indices[:, 0]
