"""The GAN value function and what follows from it (notebook 01).

Notation of ``01_gan_value_function.ipynb``: data x ~ p_data, noise z ~ p_z (the prior the
generator takes as *input*), generated samples G(z) ~ p_g. The discriminator outputs a
probability D(x) = sigmoid(logit(x)); the functions below take the *logits*, so that
log D = logsigmoid(logit) and log(1 - D) = logsigmoid(-logit) never evaluate log(0).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import require_distribution, require_finite, require_nonempty, require_tensor


def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    r"""D*(x) = p_data(x) / (p_data(x) + p_g(x))
    (notebook 01, section "The optimal discriminator").

    Elementwise, from maximising a log y + b log(1 - y) over y in (0, 1) at each x,
    with a = p_data(x), b = p_g(x). Where both densities are 0, D* is undefined (any
    value is optimal); we return 1/2 there. Densities are finite and non-negative.
    """
    p_data, p_model = torch.as_tensor(p_data), torch.as_tensor(p_model)
    for name, density in (("p_data", p_data), ("p_model", p_model)):
        require_finite(name, density)
        if bool((density < 0).any()):
            raise ValueError(f"{name} must hold densities (>= 0), got a minimum of "
                             f"{float(density.min()):.4g}")
    try:
        torch.broadcast_shapes(p_data.shape, p_model.shape)
    except RuntimeError:
        raise ValueError(f"p_data and p_model must have one shape (the densities at the same "
                         f"points), got {tuple(p_data.shape)} and {tuple(p_model.shape)}") from None
    total = p_data + p_model
    return torch.where(total > 0, p_data / torch.where(total > 0, total, 1), 0.5)


def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m),  m = (p + q)/2,  in nats
    (notebook 01, section "Substituting $D^*$: the generator minimises a Jensen-Shannon divergence").

    ``p`` and ``q`` are probability vectors over the last dimension (each sums to 1).
    Terms with p_i = 0 contribute exactly 0 (0 log 0 = 0), so disjoint supports give log 2.
    Checked: non-negative, finite, each vector summing to 1 within 0.01 (a density times the
    grid step, summed over a grid that cuts off a little of its tails, passes), and the same
    length of the last dimension (leading dimensions broadcast).
    """
    p, q = torch.as_tensor(p, dtype=torch.float64), torch.as_tensor(q, dtype=torch.float64)
    require_distribution("p", p)
    require_distribution("q", q)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q must be distributions over the same {p.shape[-1]} outcomes, "
                         f"got last dimensions {p.shape[-1]} and {q.shape[-1]}")
    m = 0.5 * (p + q)
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1)
    return 0.5 * kl_pm + 0.5 * kl_qm


def gan_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""Monte Carlo estimate of the value function
    (notebook 01, section "From a classifier's loss to $V(D, G)$")

        V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))],

    from the discriminator's logits on a real batch and on a generated batch.
    D maximises V; G minimises it. Each batch holds at least one floating-point logit.
    """
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""-V(D, G): the binary cross-entropy of a classifier with label 1 for real, 0 for fake.
    Minimising it maximises V over D
    (notebook 01, section "From a classifier's loss to $V(D, G)$")."""
    return -gan_value(real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    r"""The generator's loss on a generated batch (notebook 01, section "Saturating
    versus non-saturating generator loss"; notebook 04 for "wasserstein").

    * ``"saturating"``:      E_z[log(1 - D(G(z)))], the minimax term itself. Its gradient
      vanishes when D confidently rejects the fakes (D(G(z)) -> 0), early in training.
    * ``"non-saturating"``:  -E_z[log D(G(z))], Goodfellow et al.'s fix: same fixed point,
      strong gradients exactly when the generator is poor.
    * ``"wasserstein"``:     -E_z[f(G(z))] for a critic f (logits are critic scores).
    """
    _check_logits("fake_logits", fake_logits)
    if kind == "saturating":
        return F.logsigmoid(-fake_logits).mean()
    if kind == "non-saturating":
        return -F.logsigmoid(fake_logits).mean()
    if kind == "wasserstein":
        return -fake_logits.mean()
    raise ValueError(f"generator_loss kind must be 'non-saturating', 'saturating' or "
                     f"'wasserstein', got {kind!r}")


def _check_logits(name: str, logits) -> None:
    """A non-empty floating-point tensor (shape checks only: no reading of the values)."""
    require_tensor(name, logits, floating=True)
    require_nonempty(name, logits, "logits (an empty batch has no mean)")
