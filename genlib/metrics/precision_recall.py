r"""Precision and recall of a generative model with k-NN manifolds (Kynkäänniemi et al. 2019).

Approximate the support of a set of feature vectors Phi by the union of balls around each
point, of radius its distance to its k-th nearest neighbour in the set:

    manifold(Phi) = union_{phi in Phi} B(phi, NN_k(phi, Phi)),
    precision = (1/|Phi_g|) sum_{phi_g}  1[phi_g in manifold(Phi_r)]   (are the samples realistic?)
    recall    = (1/|Phi_r|) sum_{phi_r}  1[phi_r in manifold(Phi_g)]   (is the data covered?)

with Phi_r real and Phi_g generated features (notebook 08, section "Precision and recall with k-NN
manifolds"). A mode-dropping generator keeps high precision and loses recall; a blurry one loses
precision. Every point lies in its own ball, so precision and recall of a set against itself are 1.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..checks import require_positive
from .nearest import flatten_points, nearest_neighbours


class PrecisionRecall(NamedTuple):
    precision: float
    recall: float


def knn_radii(points, k: int = 3, chunk: int = 1024) -> torch.Tensor:
    """Distance of each point to its k-th nearest *other* point of the same set."""
    distances, _ = nearest_neighbours(points, points, k=k, exclude_self=True, chunk=chunk)
    return distances[:, -1]


def manifold_membership(queries, points, radii: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """Boolean per query: inside at least one ball B(points_i, radii_i)."""
    q, p = flatten_points(queries, "queries"), flatten_points(points, "points")
    radii = torch.as_tensor(radii)
    if radii.shape != (len(p),):
        raise ValueError(f"radii must hold one radius per point ({len(p)}), got shape "
                         f"{tuple(radii.shape)}")
    if q.shape[1] != p.shape[1]:
        raise ValueError(f"queries and points must be of one dimension, got {q.shape[1]} and "
                         f"{p.shape[1]}")
    inside = []
    for start in range(0, len(q), chunk):
        d = torch.cdist(q[start:start + chunk], p)
        inside.append((d <= radii.unsqueeze(0)).any(dim=1))
    return torch.cat(inside)


def precision_recall(real_features, generated_features, k: int = 3,
                     chunk: int = 1024) -> PrecisionRecall:
    """Improved precision and recall of Kynkäänniemi et al. (2019) with k-NN radii (k = 3 as
    in the paper). Use equally many real and generated points: the radii depend on N."""
    require_positive("k", k, integer=True)
    real = flatten_points(real_features, "real_features")
    fake = flatten_points(generated_features, "generated_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and generated_features must have the same number of "
                         f"features per row, got {real.shape[1]} and {fake.shape[1]}")
    for name, points in (("real_features", real), ("generated_features", fake)):
        if len(points) <= k:
            raise ValueError(f"{name} holds {len(points)} points; k={k} radii need more than k "
                             "(use equally many real and generated points, hundreds or more)")
    precision = manifold_membership(fake, real, knn_radii(real, k, chunk), chunk)
    recall = manifold_membership(real, fake, knn_radii(fake, k, chunk), chunk)
    return PrecisionRecall(float(precision.float().mean()), float(recall.float().mean()))
