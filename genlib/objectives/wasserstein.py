"""Wasserstein GAN objectives (notebook 04).

Kantorovich-Rubinstein duality: W1(p_data, p_g) = sup_{||f||_L <= 1} E_{p_data}[f(x)] - E_{p_g}[f(x)].
The critic f outputs an unbounded score (no sigmoid).
"""
from __future__ import annotations

import torch

from ..checks import require_nonempty, require_tensor


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    r"""E_{p_g}[f(x)] - E_{p_data}[f(x)]: minimising it pushes the critic towards the
    supremum in the dual form of W1 (notebook 04, section "Kantorovich-Rubinstein duality and the
    1-Lipschitz critic"). Each batch holds at least one score."""
    for name, scores in (("real_scores", real_scores), ("fake_scores", fake_scores)):
        require_tensor(name, scores, floating=True)
        require_nonempty(name, scores, "scores (an empty batch has no mean)")
    return fake_scores.mean() - real_scores.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor,
                     rng: torch.Generator | None = None,
                     one_sided: bool = False) -> torch.Tensor:
    r"""WGAN-GP's penalty (Gulrajani et al. 2017; notebook 04, section
    "Kantorovich-Rubinstein duality and the 1-Lipschitz critic")

        E_{x_hat}[(||grad_x f(x_hat)||_2 - 1)^2],   x_hat = eps x + (1 - eps) x~,  eps ~ U[0, 1],

    or with ``one_sided=True`` E_{x_hat}[max(0, ||grad_x f(x_hat)||_2 - 1)^2] (Petzka et al. 2018;
    notebook 04, same section: only slopes above 1 cost),

    with one eps per example, x real and x~ generated; ``rng`` (on the device of
    ``real``) draws eps. The graph is kept
    (``create_graph=True``) so the penalty can be back-propagated into the critic.
    For a linear critic f(x) = w.x the gradient is w everywhere, so the value is (||w|| - 1)^2.
    """
    require_tensor("real", real, floating=True)
    require_tensor("fake", fake, floating=True)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must be batches of the same shape, got "
                         f"{tuple(real.shape)} and {tuple(fake.shape)}")
    if real.dim() == 0 or real.shape[0] == 0:
        raise ValueError(f"real and fake must be batches of at least one example, got shape "
                         f"{tuple(real.shape)}")
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=rng, device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    if not isinstance(scores, torch.Tensor) or not scores.requires_grad:
        raise ValueError("critic's scores do not depend on its input (no gradient flows back "
                         "to x): the critic must compute its score from x, e.g. critic(x) = f(x)")
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True, allow_unused=True)
    if grad is None:
        raise ValueError("critic's scores do not depend on its input x (the gradient is "
                         "undefined): the critic must compute its score from x")
    norms = grad.flatten(1).norm(2, dim=1)
    if one_sided:
        return torch.relu(norms - 1).pow(2).mean()
    return ((norms - 1) ** 2).mean()
