"""Worked answers to the notebooks' coded exercises: one function per exercise, named like the
exercise's stub, written the way a student would write it in the notebook. Instructor-only: this
folder is not part of the installed package.

This file is the one source of every coded answer: ``make instructor`` shows each function's
source, as text, in the folded "Answer" block under its exercise (the prose around it is in
``instructor/answer_blocks.md``), ``make nbgrader`` puts it in the exercise's solution region, and
``python -m instructor.expected`` does not use these (it runs the independent references of
``instructor/references.py``). ``tests/test_exercises.py`` runs every answer through its
self-check; the checks refuse these functions when they are passed in as an answer.

Notebook 10's exercises are broken training steps (``genlib.broken_steps``, collected from the
notebook); ``step_1`` ... ``step_6`` are their fixes, each written as the lines it changes.
"""
from __future__ import annotations

import inspect
import linecache
import math

import torch
import torch.nn.functional as F
from torch import nn

from genlib import broken_steps
from genlib.objectives.elbo import gaussian_kl


# ---------------------------------------------------------------- 00 start here
def my_naive_log_marginal(model, x, z_samples):
    log_p = model.log_likelihood(x.unsqueeze(0), z_samples.unsqueeze(1))   # K x N: log p(x_n | z_k)
    return torch.logsumexp(log_p, dim=0) - math.log(len(z_samples))        # log of the mean over k


# ---------------------------------------------------------------- 01 the value function
def my_optimal_discriminator(p_data_values, p_g_values):
    return p_data_values / (p_data_values + p_g_values)


def my_js_divergence(p, q):
    m = (p + q) / 2
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)   # sum_i p_i log(p_i / m_i), 0 log 0 = 0
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1)
    return (kl_pm + kl_qm) / 2


def my_gan_value(real_logits, fake_logits):
    # log D(x) = logsigmoid(l) and log(1 - D(G(z))) = logsigmoid(-l): finite even at l = -200
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


# ---------------------------------------------------------------- 02 training dynamics
def my_high_quality_share(samples, modes, std):
    nearest = torch.cdist(samples, modes).min(dim=1).values    # distance to the nearest centre
    return (nearest <= 3 * std).float().mean()


def my_simultaneous_radius(eta, steps):
    return (1 + eta**2) ** (steps / 2)    # every step multiplies the distance by sqrt(1 + eta^2)


def my_modes_covered(samples, modes, std, min_share=0.01):
    distance, nearest = torch.cdist(samples, modes).min(dim=1)
    good = distance <= 3 * std                                     # the high-quality samples
    counts = torch.bincount(nearest[good], minlength=len(modes))   # how many sit at each mode
    return int((counts >= min_share * len(samples)).sum())         # a share of *all* samples


# ---------------------------------------------------------------- 03 DCGAN
def my_slerp(z0, z1, t):
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    omega = torch.arccos(cos.clamp(-1, 1))    # rounding can put cos a hair outside [-1, 1]
    if torch.sin(omega) < 1e-6:               # codes pointing the same way: 0 / 0, the line
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def my_transposed_size(n, kernel, stride, padding):
    return (n - 1) * stride - 2 * padding + kernel


# ---------------------------------------------------------------- 04 Wasserstein GAN
def my_w1_samples(x, y):
    return (torch.sort(x).values - torch.sort(y).values).abs().mean()


def my_gradient_penalty(critic, real, fake):
    shape = (len(real),) + (1,) * (real.dim() - 1)                  # B x 1, or B x 1 x 1 x 1
    eps = torch.rand(shape, device=real.device, dtype=real.dtype)   # one eps per example
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)       # one norm per example, over all its pixels
    return ((norms - 1) ** 2).mean()          # create_graph above: this trains the critic


# ---------------------------------------------------------------- 05 the ELBO
def my_gaussian_kl(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar).sum(-1)


def my_beta_vae_loss(x, logits, mu, logvar, beta):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    reconstruction = bce.flatten(1).sum(1)                  # -log p(x|z): summed over the pixels
    return reconstruction + beta * gaussian_kl(mu, logvar)  # -(log p(x|z) - beta KL)


def implied_variance(D, weight=1.0):
    # weight * sum_i (x_i - x_hat_i)^2 / D  =  sum_i (x_i - x_hat_i)^2 / (2 sigma^2)
    return D / (2 * weight)


# ---------------------------------------------------------------- 06 VAEs on images
def my_iwae_bound(log_w):
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


def posterior_samples(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)                                  # 1 x d each
        mu, logvar = mu.expand(n, -1), logvar.expand(n, -1)         # n copies of q(z|x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)     # a new eps for every sample
        return torch.sigmoid(vae.decode(z))


# ---------------------------------------------------------------- 07 beta-VAE
def my_active_units(mu, threshold=0.01):
    return int((mu.var(dim=0) > threshold).sum())     # the variance over the examples


def my_free_bits_penalty(mu, logvar, lam):
    kl = 0.5 * (logvar.exp() + mu**2 - 1 - logvar)     # B x d: KL of each example and dimension
    return kl.mean(dim=0).clamp(min=lam).sum()         # average over the batch first, then clamp


# ---------------------------------------------------------------- 08 GAN vs VAE
def diagonal_frechet(mu_a, var_a, mu_b, var_b):
    return ((mu_a - mu_b) ** 2).sum() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()


def my_precision(real, radii, fake):
    inside = torch.cdist(fake, real) <= radii    # M x N: generated j inside the ball of real i
    return inside.any(dim=1).float().mean()


# ---------------------------------------------------------------- 09 flows and BiGAN
def planar_log_det(z, u, w, b):
    a = z @ w + b                                  # w^T z + b, one number per point
    psi = (1 - torch.tanh(a) ** 2)[:, None] * w    # h'(a) w, one row per point
    return torch.log((1 + psi @ u).abs())


def encoder_generator_loss(real_pair_logits, fake_pair_logits):
    # real pairs pushed towards "generated": log(1 - D) = logsigmoid(-l); generated towards "real"
    return -F.logsigmoid(-real_pair_logits).mean() - F.logsigmoid(fake_pair_logits).mean()


# ---------------------------------------------------------------- 10 spot the bug: the fixes
def _fix(broken, *edits: tuple[str, str]):
    """The broken step ``broken`` (genlib.broken_steps, as notebook 10 gives it) with each
    ``(line as given, fixed line)`` of ``edits`` made: the fix is written as what changes, and
    the Answer block shows the whole fixed function, whose source this registers."""
    source = inspect.getsource(broken)
    for given, fixed in edits:
        if source.count(given) != 1:
            raise ValueError(f"{broken.__name__}: {given!r} is not one line of the broken step")
        source = source.replace(given, fixed)
    filename = f"<instructor.answers {broken.__name__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": __name__, "torch": torch, "nn": nn, "F": F}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[broken.__name__]


step_1 = _fix(broken_steps.step_1, (
    "g_loss = bce(D(x), ones)",
    "g_loss = bce(D(fake), ones)    # fixed: the generated batch, not the real one"))
step_2 = _fix(broken_steps.step_2, (
    "generator=rng)).detach()  # computed once for both players",
    "generator=rng))    # fixed: detach for D only"), (
    "bce(D(fake), zeros)", "bce(D(fake.detach()), zeros)"))
step_3 = _fix(broken_steps.step_3, (
    "d_loss = bce(D(x), zeros) + bce(D(fake.detach()), ones)",
    "d_loss = bce(D(x), ones) + bce(D(fake.detach()), zeros)    # fixed: real is 1, generated 0"))
step_4 = _fix(broken_steps.step_4, (
    "bce = nn.BCELoss()", "bce = nn.BCEWithLogitsLoss()    # fixed: D returns logits"))
step_5 = _fix(broken_steps.step_5, (
    "    d_loss.backward(); opt_D.step()",
    "    opt_D.zero_grad(); d_loss.backward(); opt_D.step()    # fixed: clear the old .grad"), (
    "    g_loss.backward(); opt_G.step()",
    "    opt_G.zero_grad(); g_loss.backward(); opt_G.step()    # fixed"))
step_6 = _fix(broken_steps.step_6, (
    "loss = reconstruction - kl", "loss = reconstruction + kl    # fixed: -ELBO = reconstruction loss + KL"))


# ---------------------------------------------------------------- 11 from the VAE to diffusion
def my_posterior_mean(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    alpha_t = 1 - beta_t
    coef_x0 = math.sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t)        # weight of the data point
    coef_xt = math.sqrt(alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t)  # weight of the noisy point
    return coef_x0 * x0 + coef_xt * x_t


def my_tweedie_x0(x_t, score, alpha_bar_t):
    return (x_t + (1 - alpha_bar_t) * score) / math.sqrt(alpha_bar_t)   # E[x_0 | x_t]


def my_ddim_step(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    x0_hat = (x_t - math.sqrt(1 - alpha_bar_t) * eps_hat) / math.sqrt(alpha_bar_t)   # the predicted x_0
    return math.sqrt(alpha_bar_s) * x0_hat + math.sqrt(1 - alpha_bar_s) * eps_hat     # the same noise, less of it


# ---------------------------------------------------------------- 12 score and flow matching
def my_flow_target(x_t, x0, t):
    return (x_t - x0) / t          # eps - x0, with eps = (x_t - (1 - t) x0) / t


def my_euler_step(velocity, x, t, h):
    return x - h * velocity(x, t)  # backwards in time, the slope taken at t


def my_guided_velocity(v_cond, v_uncond, w):
    return (1 + w) * v_cond - w * v_uncond


def my_score_from_noise(eps_hat, alpha_bar_t):
    return -eps_hat / math.sqrt(1 - alpha_bar_t)
