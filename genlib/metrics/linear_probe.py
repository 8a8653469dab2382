"""Linear probes: how much class information a representation exposes linearly (notebook 09).

Freeze an encoder, fit a multinomial logistic regression on its features of labelled training
images, report the accuracy on test images. A higher accuracy means the classes are closer to
linearly separable in that representation (Donahue et al. 2016 evaluate BiGAN features so).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import require_finite, require_number, require_positive
from ..config import torch_threads


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels,
                          weight_decay: float = 1e-3, max_iter: int = 100) -> float:
    r"""Test accuracy of a multinomial logistic regression on standardised features.

    Minimises the mean cross-entropy plus ``weight_decay`` * ||W||^2 / 2 (a convex problem)
    with full-batch L-BFGS, in float64, from zero weights: deterministic, a few seconds for
    10000 x 784, on one thread (many small steps). Features are ``N x d`` tensors or arrays;
    labels are integer classes.
    """
    require_positive("max_iter", max_iter, integer=True)
    require_number("weight_decay", weight_decay, minimum=0.0)
    x = torch.as_tensor(train_features).detach().flatten(1).double()
    x_test = torch.as_tensor(test_features).detach().flatten(1).double()
    y, y_test = torch.as_tensor(train_labels).long(), torch.as_tensor(test_labels).long()
    for name, features, labels in (("train", x, y), ("test", x_test, y_test)):
        if len(features) == 0 or labels.shape != (len(features),):
            raise ValueError(f"{name}_features and {name}_labels must hold N >= 1 examples, one "
                             f"label each, got shapes {tuple(features.shape)} and "
                             f"{tuple(labels.shape)}")
        require_finite(f"{name}_features", features)
    if x.shape[1] != x_test.shape[1]:
        raise ValueError(f"train_features and test_features must have the same number of "
                         f"features, got {x.shape[1]} and {x_test.shape[1]}")
    if int(min(y.min(), y_test.min())) < 0:
        raise ValueError("train_labels and test_labels must be classes 0, 1, ..., got a "
                         "negative label")
    mean, std = x.mean(0), x.std(0).clamp_min(1e-8)
    x, x_test = (x - mean) / std, (x_test - mean) / std
    n_classes = int(max(y.max(), y_test.max())) + 1
    weight = torch.zeros(x.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1, max_iter=max_iter,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-6)

    def objective():
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight + bias, y) + 0.5 * weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    with torch_threads(1):
        optimizer.step(objective)
    with torch.no_grad():
        predicted = (x_test @ weight + bias).argmax(1)
    return float((predicted == y_test).double().mean())
