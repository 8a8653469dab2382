"""The independent references and the known mistakes of the coded exercises (instructor-only:
this folder is not part of the installed package).

``REFERENCES[key]`` computes the right result of exercise ``key`` on one of its test cases (the
cases are built by :mod:`genlib.exercises`): the library's objective or metric, SciPy, a
simulation, the layer itself, or the formula written another way than the worked answer.
``MISTAKES[key]`` lists frequent wrong answers with the sentence that names each without giving
the answer away. None of this ships: ``python -m instructor.expected`` runs them on every case
and writes the results, as numbers, to ``genlib/exercise_expected.json``, which the students'
self-checks compare with.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from genlib.exercises import Mistake


def _log_likelihoods(model, x, z):
    return model.log_likelihood(x.unsqueeze(0), z.unsqueeze(1))


_MISTAKES_00_1 = [Mistake(lambda m, x, z: _log_likelihoods(m, x, z).mean(0),
                          "this is the average of the log-likelihoods, which by Jensen's "
                          "inequality lies below the log of the average likelihood"),
                  Mistake(lambda m, x, z: torch.logsumexp(_log_likelihoods(m, x, z), dim=0)
                          - math.log(len(x)),
                          "the term you subtract is log N, from the number of points x; the "
                          "average is over the K prior samples z_k")]


_MISTAKES_01_1 = [Mistake(lambda p, q: q / (p + q),
                          "this is the probability that a point is generated, 1 - D*; D* is the "
                          "probability that it is real")]


def _jsd_unnormalised_mixture(p, q):
    m = p + q
    return 0.5 * ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
                  + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1))


_MISTAKES_01_2 = [Mistake(_jsd_unnormalised_mixture,
                          "your mixture m does not sum to 1: it should be the average of p and q")]


_MISTAKES_01_3 = [
    Mistake(lambda r, f: F.logsigmoid(r).mean() + F.logsigmoid(f).mean(),
            "the generated samples' term should be log(1 - D(G(z))), the log-probability the "
            "discriminator gives to 'generated'"),
    Mistake(lambda r, f: torch.cat([F.logsigmoid(r).flatten(), F.logsigmoid(-f).flatten()]).mean(),
            "you average both terms over the two batches together; V is a mean over the real "
            "batch plus a mean over the generated batch"),
]


def _gan_value(r, f):
    from genlib.objectives.gan import gan_value
    return gan_value(r, f)


def _optimal_discriminator(p, q):
    from genlib.objectives.gan import optimal_discriminator
    return optimal_discriminator(p, q)


def _js_divergence(p, q):
    from genlib.objectives.gan import js_divergence
    return js_divergence(p, q)


def _high_quality(samples, modes, std):
    from genlib.metrics.toy2d import mode_coverage
    return mode_coverage(samples, modes, std).high_quality


_MISTAKES_02_1 = [Mistake(lambda s, modes, std: _high_quality(s, modes, std) * len(s),
                          "this is the number of high-quality samples, a count; the exercise asks "
                          "for their share of all the samples")]


def _simultaneous_game(eta, steps):
    """The bilinear game min_x max_y xy, played with simultaneous gradient steps from (1, 0)."""
    x, y = 1.0, 0.0
    for _ in range(steps):
        x, y = x - eta * y, y + eta * x
    return math.hypot(x, y)


def _modes_covered(samples, modes, std, min_share=0.01):
    from genlib.metrics.toy2d import mode_coverage
    return mode_coverage(samples, modes, std, min_share=min_share).modes_covered


def _slerp(z0, z1, t):
    from genlib.widgets.interpolation import slerp
    return slerp(z0, z1, t)


_MISTAKES_03_1 = [
    Mistake(lambda z0, z1, t: (1 - t) * z0 + t * z1,
            "this is the straight line between the codes (lerp); slerp follows the arc"),
    Mistake(lambda z0, z1, t: _slerp(z1, z0, t), "t = 0 should give z0 and t = 1 give z1"),
]


def _transposed_size(n, kernel, stride, padding):
    with torch.no_grad():
        layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding)
        return layer(torch.zeros(1, 1, n, n)).shape[-1]


def _scipy_w1(x, y):
    from scipy.stats import wasserstein_distance
    return wasserstein_distance(x.numpy(), y.numpy())


def _gaussian_kl(mu, logvar):
    from genlib.objectives.elbo import gaussian_kl
    return gaussian_kl(mu, logvar)


def _bce_per_example(x, logits):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def _beta_vae_loss(x, logits, mu, logvar, beta):
    from genlib.objectives.elbo import elbo
    return -elbo(x, logits, mu, logvar, beta=beta).elbo


_MISTAKES_05_2 = [
    Mistake(lambda x, l, mu, lv, beta: _bce_per_example(x, l) - beta * _gaussian_kl(mu, lv),
            "the KL term has the wrong sign (notebook 05, section \"The $\\beta$-weighted objective, "
            "with its sign\": which sign does it take in the loss you minimise?)"),
    Mistake(lambda x, l, mu, lv, beta: (F.binary_cross_entropy_with_logits(l, x, reduction="none")
                                        .flatten(1).mean(1) + beta * _gaussian_kl(mu, lv)),
            "the reconstruction term is averaged over the pixels; log p(x|z) is a sum over them"),
]


_MISTAKES_05_3 = [Mistake(lambda D, weight: D / 2, "your answer does not change with the weight")]


def _iwae_bound(log_w):
    from genlib.objectives.elbo import iwae_bound
    return iwae_bound(log_w)


_MISTAKES_06_1 = [Mistake(lambda log_w: log_w.mean(0),
                          "this is the average log-weight, the ELBO (the bound with K = 1), not "
                          "the log of the average weight")]


def _active_units(mu, threshold=0.01):
    return int((mu.var(0) > threshold).sum())


def _free_bits(mu, logvar, lam):
    kl_per_dim = _gaussian_kl(mu.unsqueeze(-1), logvar.unsqueeze(-1))   # B x d
    return kl_per_dim.mean(0).clamp(min=lam).sum()


def _kl_terms(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar)


_MISTAKES_07_2 = [
    Mistake(lambda mu, lv, lam: _kl_terms(mu, lv).clamp(min=lam).mean(0).sum(),
            "you clamp the KL of each example; free bits clamps each dimension's KL after "
            "averaging it over the batch"),
    Mistake(lambda mu, lv, lam: _kl_terms(mu, lv).sum(1).mean().clamp(min=lam),
            "you clamp the total KL; the allowance lam is per latent dimension"),
]


def _diagonal_frechet(mu_a, var_a, mu_b, var_b):
    from genlib.metrics.frechet import gaussian_frechet_distance
    return gaussian_frechet_distance(mu_a, torch.diag(var_a), mu_b, torch.diag(var_b))


def _precision(real, radii, fake):
    from genlib.metrics.precision_recall import manifold_membership
    return manifold_membership(fake, real, radii).double().mean()


_MISTAKES_08_2 = [Mistake(lambda real, radii, fake: (torch.cdist(real, fake) <= radii[:, None])
                          .any(1).double().mean(),
                          "this is the share of real points near a generated one (the idea of "
                          "recall, not of precision)")]


def _planar_log_det(z, u, w, b):
    from genlib.models.flows import planar_map
    return planar_map(z, u, w, b)[1]


def _discriminator_loss(real, fake):
    from genlib.objectives.gan import discriminator_loss
    return discriminator_loss(real, fake)


_MISTAKES_09_2 = [
    Mistake(lambda r, f: _discriminator_loss(r, f),
            "this is the discriminator's own loss; the encoder and the generator want each kind "
            "of pair to get the other label"),
    Mistake(lambda r, f: -_discriminator_loss(r, f),
            "this is the discriminator's loss with its sign flipped (the saturating form), whose "
            "gradient vanishes when the discriminator is confident; push each kind of pair "
            "towards the other label instead"),
]


def _posterior_mean(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    # Bayes' rule in precision form: q(x_t | x_{t-1}) q(x_{t-1} | x_0), a product of Gaussians in x_{t-1}
    alpha_t = 1 - beta_t
    precision = alpha_t / beta_t + 1 / (1 - alpha_bar_prev)
    return (math.sqrt(alpha_t) / beta_t * x_t + math.sqrt(alpha_bar_prev) / (1 - alpha_bar_prev) * x0) / precision


_MISTAKES_11_1 = [
    Mistake(lambda x0, xt, beta, abar, abar_prev:
            math.sqrt(abar_prev) * beta / (1 - abar) * xt
            + math.sqrt(1 - beta) * (1 - abar_prev) / (1 - abar) * x0,
            "the two weights are swapped: which point does the weight with beta_t belong to?"),
    Mistake(lambda x0, xt, beta, abar, abar_prev:
            math.sqrt(abar_prev) * beta / (1 - abar) * x0
            + math.sqrt(abar) * (1 - abar_prev) / (1 - abar) * xt,
            "the noisy point's weight uses abar_t where one step's alpha_t = 1 - beta_t belongs"),
]


def _tweedie_x0(x_t, score, alpha_bar_t):
    # the noise-prediction form: eps = -sqrt(1 - abar) score, x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar)
    eps = -math.sqrt(1 - alpha_bar_t) * score
    return (x_t - math.sqrt(1 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)


_MISTAKES_11_2 = [
    Mistake(lambda xt, score, abar: (xt - (1 - abar) * score) / math.sqrt(abar),
            "the score term has the wrong sign: the score points towards more probable x, and "
            "the denoised point lies that way"),
    Mistake(lambda xt, score, abar: xt + (1 - abar) * score,
            "this is the denoised point of x_t's own scale; x_t = sqrt(abar_t) x_0 + ..., so "
            "undo that factor too"),
]


def _ddim_step(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    # expanded: x_s = sqrt(abar_s / abar_t) x_t + (sqrt(1 - abar_s) - sqrt(abar_s (1 - abar_t) / abar_t)) eps
    ratio = math.sqrt(alpha_bar_s / alpha_bar_t)
    return ratio * x_t + (math.sqrt(1 - alpha_bar_s) - ratio * math.sqrt(1 - alpha_bar_t)) * eps_hat


_MISTAKES_11_3 = [
    Mistake(lambda xt, eps, abar_t, abar_s:
            math.sqrt(abar_s) * (xt - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t),
            "you keep only the predicted x_0 (scaled): DDIM puts the predicted noise back, with "
            "the noise level of the step it jumps to"),
    Mistake(lambda xt, eps, abar_t, abar_s:
            math.sqrt(abar_s) * (xt - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
            + math.sqrt(1 - abar_t) * eps,
            "the noise goes back in with the noise level of the step you start from; use the "
            "one of the step you jump to"),
]


def _flow_target(x_t, x0, t):
    # through the noise: eps = (x_t - (1 - t) x_0) / t, target eps - x_0
    eps = (x_t - (1 - t) * x0) / t
    return eps - x0


_MISTAKES_12_1 = [
    Mistake(lambda xt, x0, t: (x0 - xt) / t,
            "the velocity points the wrong way: the path runs from the data at t = 0 to the noise at t = 1"),
    Mistake(lambda xt, x0, t: xt - x0,
            "this is t times the velocity: the noise enters x_t with the factor t"),
]


def _euler_step(velocity, x, t, h):
    # x(t - h) = x(t) + integral of dx/dt from t to t - h, the slope held at its value at t
    return x + (-h) * velocity(x, t)


_MISTAKES_12_2 = [
    Mistake(lambda velocity, x, t, h: x + h * velocity(x, t),
            "this step moves forward in time, towards the noise; sampling goes from t = 1 to t = 0"),
    Mistake(lambda velocity, x, t, h: x - h * velocity(x, t - h),
            "the slope is taken at the time you step to; Euler's step uses the one where it starts"),
]


def _guided_velocity(v_cond, v_uncond, w):
    # the unconditional velocity plus (1 + w) times the class's direction
    return v_uncond + (1 + w) * (v_cond - v_uncond)


_MISTAKES_12_3 = [
    Mistake(lambda vc, vu, w: vu + w * (vc - vu),
            "at w = 0 this is the unconditional velocity; in this notebook w = 0 means the conditional one"),
    Mistake(lambda vc, vu, w: (1 + w) * vc + w * vu,
            "the unconditional velocity is subtracted, not added"),
]


def _score_from_noise(eps_hat, alpha_bar_t):
    # grad log q(x_t | x_0) = -(x_t - sqrt(abar) x_0) / (1 - abar) = -eps / sqrt(1 - abar)
    return -eps_hat * math.sqrt(1 - alpha_bar_t) / (1 - alpha_bar_t)


_MISTAKES_12_4 = [
    Mistake(lambda eps, abar: eps / math.sqrt(1 - abar),
            "the score has the wrong sign: it points back towards the data, against the noise"),
    Mistake(lambda eps, abar: -eps / (1 - abar),
            "the noise is divided by the variance; it enters x_t with its standard deviation"),
]


def _discriminator_loss_swapped(real, fake):
    return _discriminator_loss(fake, real)   # the discriminator's loss with the roles swapped



def _gradient_penalty(critic, real, fake):
    from genlib.objectives.wasserstein import gradient_penalty
    return gradient_penalty(critic, real, fake)


REFERENCES = {
    "00.1": lambda m, x, z: m.naive_log_marginal(x, z),
    "01.1": _optimal_discriminator,
    "01.2": _js_divergence,
    "01.3": _gan_value,
    "02.1": _high_quality,
    "02.2": _simultaneous_game,
    "02.3": _modes_covered,
    "03.1": _slerp,
    "03.2": _transposed_size,
    "04.1": _scipy_w1,
    "04.2": _gradient_penalty,   # on the cases whose value does not depend on the random eps
    "05.1": _gaussian_kl,
    "05.2": _beta_vae_loss,
    "05.3": lambda D, weight: D / (2 * weight),
    "06.1": _iwae_bound,
    "07.1": _active_units,
    "07.2": _free_bits,
    "08.1": _diagonal_frechet,
    "08.2": _precision,
    "09.1": _planar_log_det,
    "09.2": _discriminator_loss_swapped,
    "11.1": _posterior_mean,
    "11.2": _tweedie_x0,
    "11.3": _ddim_step,
    "12.1": _flow_target,
    "12.2": _euler_step,
    "12.3": _guided_velocity,
    "12.4": _score_from_noise,
}

MISTAKES = {
    "00.1": _MISTAKES_00_1, "01.1": _MISTAKES_01_1, "01.2": _MISTAKES_01_2, "01.3": _MISTAKES_01_3,
    "02.1": _MISTAKES_02_1, "03.1": _MISTAKES_03_1, "05.2": _MISTAKES_05_2, "05.3": _MISTAKES_05_3,
    "06.1": _MISTAKES_06_1, "07.2": _MISTAKES_07_2, "08.2": _MISTAKES_08_2, "09.2": _MISTAKES_09_2,
    "11.1": _MISTAKES_11_1, "11.2": _MISTAKES_11_2, "11.3": _MISTAKES_11_3, "12.1": _MISTAKES_12_1,
    "12.2": _MISTAKES_12_2, "12.3": _MISTAKES_12_3, "12.4": _MISTAKES_12_4,
}
