r"""The diffusion step: gradient descent on the noise-prediction loss (notebook 11).

For a batch x_0 (images mapped to 2 x - 1 with ``rescale``), one step t ~ U{1..T} and one noise
eps ~ N(0, I) per example:

    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps                      (notebook 11, §1)
    L_simple = E ||eps - eps_theta(x_t, t)||^2                         (§4, Ho et al. 2020)

the ELBO's KL terms without their weights beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)).
Notebook 11 is the source of this function.
"""
import torch

from ..objectives.diffusion import q_sample


def ddpm_step(denoiser, schedule, opt, x, rng, rescale=False):
    """One Adam step on Ho et al.'s simplified loss for the batch ``x``."""
    x0 = 2 * x - 1 if rescale else x                                 # images: [0, 1] -> [-1, 1]
    t = torch.randint(1, schedule.T + 1, (len(x0),), generator=rng, device=x0.device)  # t ~ U{1..T}
    eps = torch.randn(x0.shape, generator=rng, device=x0.device)     # eps ~ N(0, I)
    x_t = q_sample(x0, t, schedule, eps)                             # sqrt(abar_t) x0 + sqrt(1 - abar_t) eps
    eps_hat = denoiser(x_t, t)                                       # eps_theta(x_t, t)
    loss = (eps - eps_hat).pow(2).flatten(1).sum(1).mean()           # L_simple = E ||eps - eps_theta||^2
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}
