"""Wasserstein GAN objectives (notebook 04).

Kantorovich-Rubinstein duality: W1(p_data, p_g) = sup_{||f||_L <= 1} E_{p_data}[f(x)] - E_{p_g}[f(x)].
The critic f outputs an unbounded score (no sigmoid).
"""
from __future__ import annotations

import torch


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    r"""E_{p_g}[f(x)] - E_{p_data}[f(x)]: minimising it pushes the critic towards the
    supremum in the dual form of W1 (notebook 04, §2)."""
    return fake_scores.mean() - real_scores.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    r"""WGAN-GP's penalty (Gulrajani et al. 2017; notebook 04, §3)

        E_{x_hat}[(||grad_x f(x_hat)||_2 - 1)^2],   x_hat = eps x + (1 - eps) x~,  eps ~ U[0, 1],

    with one eps per example, x real and x~ generated; ``generator`` (on the device of
    ``real``) draws eps. The graph is kept
    (``create_graph=True``) so the penalty can be back-propagated into the critic.
    For a linear critic f(x) = w.x the gradient is w everywhere, so the value is (||w|| - 1)^2.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches differ in shape: {tuple(real.shape)} "
                         f"vs {tuple(fake.shape)}")
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()
