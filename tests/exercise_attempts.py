"""Attempts at every coded exercise, right and wrong, as a student writes them (used by
tests/test_exercises.py).

``WRONG[key]``: plausible wrong answers, each with a fragment its verdict must contain (or
None: any "not yet"); those a student reported (shared review student.md) are marked.
``RIGHT[key]``: correct answers in another legitimate style than the worked one (an own
torch.Generator, an equivalent formula, batched input, a loop, NumPy).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genlib.objectives.elbo import gaussian_kl, reparameterize

WRONG: dict[str, list] = {}
RIGHT: dict[str, list] = {}


def wrong(key, expect=None, student=False):
    def register(fn):
        fn.student_reported = student
        WRONG.setdefault(key, []).append((fn, expect))
        return fn
    return register


def right(key):
    def register(fn):
        RIGHT.setdefault(key, []).append(fn)
        return fn
    return register


def _ll(model, x, z):
    return model.log_likelihood(x.unsqueeze(0), z.unsqueeze(1))   # K x N


# ---------------------------------------------------------------- 00.1
@wrong("00.1", "NaN or Inf", student=True)
def naive_exp_mean(model, x, z_samples):
    return torch.log(torch.exp(_ll(model, x, z_samples)).mean(0))


@wrong("00.1", "common constant", student=True)
def logsumexp_without_log_k(model, x, z_samples):
    return torch.logsumexp(_ll(model, x, z_samples), dim=0)


@wrong("00.1", "log N, from the number of points", student=True)
def minus_log_n(model, x, z_samples):
    return torch.logsumexp(_ll(model, x, z_samples), dim=0) - math.log(len(x))


@wrong("00.1", "Jensen")
def mean_of_logs(model, x, z_samples):
    return _ll(model, x, z_samples).mean(0)


@wrong("00.1", "shape")
def logsumexp_over_points(model, x, z_samples):
    return torch.logsumexp(_ll(model, x, z_samples), dim=1) - math.log(len(z_samples))


@wrong("00.1")
def divided_by_k(model, x, z_samples):
    return torch.logsumexp(_ll(model, x, z_samples), dim=0) / len(z_samples)


@right("00.1")
def points_first(model, x, z_samples):
    log_p = model.log_likelihood(x[:, None, :], z_samples[None, :, :])   # N x K
    return torch.logsumexp(log_p - math.log(z_samples.shape[0]), dim=1)


@right("00.1")
def max_shift_by_hand(model, x, z_samples):
    log_p = _ll(model, x, z_samples)
    top = log_p.max(dim=0).values
    return top + torch.log(torch.exp(log_p - top).mean(dim=0))


@right("00.1")
def loop_over_points(model, x, z_samples):
    return torch.stack([torch.logsumexp(model.log_likelihood(xi, z_samples), 0)
                        - math.log(len(z_samples)) for xi in x])


# ---------------------------------------------------------------- 01.1
@wrong("01.1", "1 - D*")
def generated_share(p, q):
    return q / (p + q)


@wrong("01.1")
def density_ratio(p, q):
    return p / q


@wrong("01.1", "common factor")
def half(p, q):
    return 0.5 * p / (p + q)


@wrong("01.1")
def difference(p, q):
    return p - q


@right("01.1")
def via_ratio(p, q):
    return 1 / (1 + q / p)


@right("01.1")
def via_log_odds(p, q):
    return torch.sigmoid(torch.log(p) - torch.log(q))


# ---------------------------------------------------------------- 01.2
@wrong("01.2", "does not sum to 1", student=True)
def mixture_not_halved(p, q):
    m = p + q
    return 0.5 * ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
                  + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1))


@wrong("01.2", "shape", student=True)
def summed_over_everything(p, q):
    m = (p + q) / 2
    return 0.5 * ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum()
                  + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum())


@wrong("01.2", "NaN or Inf")
def naive_logs(p, q):
    m = (p + q) / 2
    return 0.5 * (p * torch.log(p / m)).sum(-1) + 0.5 * (q * torch.log(q / m)).sum(-1)


@wrong("01.2")
def in_bits(p, q):
    m = (p + q) / 2
    return 0.5 * ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
                  + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1)) / math.log(2)


@wrong("01.2")
def no_half(p, q):
    m = (p + q) / 2
    return ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
            + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1))


@right("01.2")
def entropy_form(p, q):
    def entropy(r):
        return -torch.xlogy(r, r).sum(-1)
    return entropy((p + q) / 2) - (entropy(p) + entropy(q)) / 2


@right("01.2")
def where_form(p, q):
    m = (p + q) / 2

    def kl(a):
        return torch.where(a > 0, a * torch.log(a / m), torch.zeros_like(a)).sum(-1)
    return 0.5 * kl(p) + 0.5 * kl(q)


# ---------------------------------------------------------------- 01.3
@wrong("01.3", "log(1 - D(G(z)))", student=True)
def sign_inside_logsigmoid(real_logits, fake_logits):
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(fake_logits).mean()


@wrong("01.3", "NaN or Inf")
def naive_log_sigmoid(real_logits, fake_logits):
    return (torch.log(torch.sigmoid(real_logits)).mean()
            + torch.log(1 - torch.sigmoid(fake_logits)).mean())


@wrong("01.3", "wrong sign")
def discriminator_loss_instead(real_logits, fake_logits):
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


@wrong("01.3", "two batches together")
def pooled_mean(real_logits, fake_logits):
    return torch.cat([F.logsigmoid(real_logits).flatten(), F.logsigmoid(-fake_logits).flatten()]).mean()


@wrong("01.3")
def sums(real_logits, fake_logits):
    return F.logsigmoid(real_logits).sum() + F.logsigmoid(-fake_logits).sum()


@right("01.3")
def softplus_form(real_logits, fake_logits):
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


@right("01.3")
def bce_form(real_logits, fake_logits):
    return (-F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            - F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


# ---------------------------------------------------------------- 02.1
@wrong("02.1")
def first_mode_only(samples, modes, std):
    return ((samples - modes[0]).norm(dim=1) <= 3 * std).float().mean()


@wrong("02.1")
def three_not_three_std(samples, modes, std):
    return (torch.cdist(samples, modes).min(1).values <= 3).float().mean()


@wrong("02.1", "the number of high-quality samples, a count", student=True)
def a_count(samples, modes, std):
    return (torch.cdist(samples, modes).min(1).values <= 3 * std).sum()


@wrong("02.1")
def squared_distance(samples, modes, std):
    return ((torch.cdist(samples, modes) ** 2).min(1).values <= 3 * std).float().mean()


@right("02.1")
def broadcast(samples, modes, std):
    d = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(-1).sqrt()
    return (d.min(dim=1).values <= 3 * std).double().mean().item()


@right("02.1")
def loop_over_modes(samples, modes, std):
    nearest = torch.full((len(samples),), float("inf"))
    for mode in modes:
        nearest = torch.minimum(nearest, (samples - mode).norm(dim=1))
    return float((nearest <= 3 * std).sum()) / len(samples)


# ---------------------------------------------------------------- 02.2
@wrong("02.2", "not the right one", student=True)
def exponential_approximation(eta, steps):
    return math.exp(eta**2 * steps / 2)


@wrong("02.2")
def no_square_root(eta, steps):
    return (1 + eta**2) ** steps


@wrong("02.2")
def one_plus_eta(eta, steps):
    return (1 + eta) ** steps


@wrong("02.2")
def linear_growth(eta, steps):
    return 1 + math.sqrt(1 + eta**2) * steps


@right("02.2")
def complex_modulus(eta, steps):
    return abs(complex(1, eta) ** steps)


@right("02.2")
def hypot_power(eta, steps):
    return torch.tensor(math.hypot(1, eta), dtype=torch.float64) ** steps


# ---------------------------------------------------------------- 02.3
def _nearest(samples, modes):
    distance, index = torch.cdist(samples, modes).min(dim=1)
    return distance, index


@wrong("02.3", None, student=True)
def min_share_ignored(samples, modes, std, min_share=0.01):
    distance, index = _nearest(samples, modes)
    counts = torch.bincount(index[distance <= 3 * std], minlength=len(modes))
    return int((counts >= 0.01 * len(samples)).sum())


@wrong("02.3")
def any_sample_counts(samples, modes, std, min_share=0.01):
    distance, index = _nearest(samples, modes)
    return int(torch.bincount(index[distance <= 3 * std], minlength=len(modes)).gt(0).sum())


@wrong("02.3")
def quality_ignored(samples, modes, std, min_share=0.01):
    _, index = _nearest(samples, modes)
    return int((torch.bincount(index, minlength=len(modes)) >= min_share * len(samples)).sum())


@wrong("02.3")
def share_of_good_samples(samples, modes, std, min_share=0.01):
    distance, index = _nearest(samples, modes)
    good = distance <= 3 * std
    counts = torch.bincount(index[good], minlength=len(modes))
    return int((counts >= min_share * good.sum()).sum())


@wrong("02.3", None, student=True)
def strictly_more_than_the_share(samples, modes, std, min_share=0.01):
    distance, index = _nearest(samples, modes)
    counts = torch.bincount(index[distance <= 3 * std], minlength=len(modes))
    return int((counts > min_share * len(samples)).sum())     # "at least" is >=


@right("02.3")
def mode_by_mode(samples, modes, std, min_share=0.01):
    distance, index = _nearest(samples, modes)
    covered = 0
    for k in range(len(modes)):
        if ((index == k) & (distance <= 3 * std)).float().mean() >= min_share:
            covered += 1
    return covered


@right("02.3")
def numpy_version(samples, modes, std, min_share=0.01):
    s, m = samples.numpy(), modes.numpy()
    d = np.linalg.norm(s[:, None] - m[None], axis=-1)
    good = d.min(1) <= 3 * std
    counts = np.bincount(d.argmin(1)[good], minlength=len(m))
    return int((counts >= min_share * len(s)).sum())


# ---------------------------------------------------------------- 03.1
def _omega(z0, z1):
    return torch.arccos((z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1))


@wrong("03.1", "straight line")
def lerp_instead(z0, z1, t):
    return (1 - t) * z0 + t * z1


@wrong("03.1", "NaN or Inf", student=True)
def angle_not_normalised(z0, z1, t):
    omega = torch.arccos(torch.dot(z0, z1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


@wrong("03.1", "t = 0 should give z0")
def ends_swapped(z0, z1, t):
    omega = _omega(z0, z1)
    return (torch.sin(t * omega) * z0 + torch.sin((1 - t) * omega) * z1) / torch.sin(omega)


@wrong("03.1")
def on_the_unit_sphere(z0, z1, t):
    a, b = z0 / z0.norm(), z1 / z1.norm()
    omega = _omega(z0, z1)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


@wrong("03.1", "NaN or Inf", student=True)
def no_fallback_for_equal_codes(z0, z1, t):
    omega = _omega(z0, z1)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


@right("03.1")
def cosine_similarity_and_floats(z0, z1, t):
    omega = math.acos(max(-1.0, min(1.0, F.cosine_similarity(z0, z1, dim=0).item())))
    if math.sin(omega) < 1e-6:
        return torch.lerp(z0, z1, t)
    return (math.sin((1 - t) * omega) * z0 + math.sin(t * omega) * z1) / math.sin(omega)


# ---------------------------------------------------------------- 03.2
@wrong("03.2")
def convolution_formula(n, kernel, stride, padding):
    return (n + 2 * padding - kernel) // stride + 1


@wrong("03.2")
def times_stride(n, kernel, stride, padding):
    return n * stride


@wrong("03.2")
def padding_forgotten(n, kernel, stride, padding):
    return (n - 1) * stride + kernel


@wrong("03.2")
def padding_once(n, kernel, stride, padding):
    return (n - 1) * stride - padding + kernel


@right("03.2")
def with_dilation_and_output_padding(n, kernel, stride, padding, dilation=1, output_padding=0):
    return (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


# ---------------------------------------------------------------- 04.1
@wrong("04.1", "not the right one", student=True)
def unsorted(x, y):
    return (x - y).abs().mean()


@wrong("04.1")
def difference_of_means(x, y):
    return (x.mean() - y.mean()).abs()


@wrong("04.1")
def sorted_without_abs(x, y):
    return (x.sort().values - y.sort().values).mean()


@wrong("04.1")
def squared_gaps(x, y):
    return ((x.sort().values - y.sort().values) ** 2).mean().sqrt()


@wrong("04.1", None, student=True)
def a_guess(x, y):
    return 1.0


@right("04.1")
def numpy_sorted(x, y):
    return float(np.mean(np.abs(np.sort(x.numpy()) - np.sort(y.numpy()))))


@right("04.1")
def distribution_functions(x, y):
    points = torch.cat([x, y]).sort().values.double()
    xs, ys = x.sort().values.double(), y.sort().values.double()
    cdf_x = torch.searchsorted(xs, points[:-1], right=True) / len(x)
    cdf_y = torch.searchsorted(ys, points[:-1], right=True) / len(y)
    return ((cdf_x - cdf_y).abs() * points.diff()).sum()


# ---------------------------------------------------------------- 04.2
def _eps(real, rng=None):
    return torch.rand((len(real),) + (1,) * (real.dim() - 1), generator=rng)


@wrong("04.2", "create_graph", student=True)
def without_create_graph(critic, real, fake):
    eps = _eps(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@wrong("04.2", "same eps", student=True)
def one_eps_per_batch(critic, real, fake):
    eps = torch.rand(1).item()
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@wrong("04.2", "real examples only", student=True)
def at_real_points(critic, real, fake):
    x_hat = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@wrong("04.2", "norm below 1", student=True)
def one_sided(critic, real, fake):
    eps = _eps(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (F.relu(grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@wrong("04.2", "one eps for all the pixels")
def eps_per_pixel(critic, real, fake):
    eps = torch.rand_like(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@wrong("04.2", "images")
def norm_over_last_dimension(critic, real, fake):
    eps = _eps(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=-1) - 1) ** 2).mean()


@wrong("04.2", "norm above 1")
def summed(critic, real, fake):
    eps = _eps(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).sum()


@wrong("04.2", "do not look uniform")
def gaussian_eps(critic, real, fake):
    eps = (0.5 + 0.05 * torch.randn((len(real),) + (1,) * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@right("04.2")
def own_generator_and_grad_outputs(critic, real, fake):
    rng = torch.Generator().manual_seed(1234)
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=rng)
    x_hat = torch.lerp(fake, real, eps).detach()
    x_hat.requires_grad = True
    scores = critic(x_hat)
    grad = torch.autograd.grad(outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores),
                               create_graph=True, retain_graph=True)[0]
    norms = torch.sqrt((grad.view(len(grad), -1) ** 2).sum(dim=1))
    return torch.mean((norms - 1) ** 2)


@right("04.2")
def linalg_norm(critic, real, fake):
    eps = torch.empty(len(real), 1).uniform_(0, 1).view(-1, *[1] * (real.dim() - 1))
    x_hat = (fake + eps * (real - fake)).requires_grad_()
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (torch.linalg.vector_norm(grad.flatten(1), dim=1) - 1).pow(2).mean()


# ---------------------------------------------------------------- 05.1
@wrong("05.1", "common factor")
def no_half_kl(mu, logvar):
    return (logvar.exp() + mu**2 - 1 - logvar).sum(-1)


@wrong("05.1")
def log_term_sign(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 + logvar).sum(-1)


@wrong("05.1", "shape")
def summed_over_all(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar).sum()


@wrong("05.1")
def standard_deviation_for_variance(mu, logvar):
    return 0.5 * (torch.exp(0.5 * logvar) + mu**2 - 1 - logvar).sum(-1)


@wrong("05.1")
def mean_over_dimensions(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar).mean(-1)


@right("05.1")
def torch_distributions(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(dim=-1)


@right("05.1")
def textbook_form(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


# ---------------------------------------------------------------- 05.2
def _bce(x, logits):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


@wrong("05.2", "KL term has the wrong sign", student=True)
def kl_subtracted(x, logits, mu, logvar, beta):
    return _bce(x, logits) - beta * gaussian_kl(mu, logvar)


@wrong("05.2", "averaged over the pixels")
def mean_over_pixels(x, logits, mu, logvar, beta):
    return (F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).mean(1)
            + beta * gaussian_kl(mu, logvar))


@wrong("05.2", "beta = 4")
def beta_forgotten(x, logits, mu, logvar, beta):
    return _bce(x, logits) + gaussian_kl(mu, logvar)


@wrong("05.2", "wrong sign")
def the_elbo_itself(x, logits, mu, logvar, beta):
    return -_bce(x, logits) - beta * gaussian_kl(mu, logvar)


@wrong("05.2", "raised")
def last_dimension_only(x, logits, mu, logvar, beta):
    return (F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
            + beta * gaussian_kl(mu, logvar))


@right("05.2")
def softplus_by_hand(x, logits, mu, logvar, beta):
    bce = (F.softplus(logits) - x * logits).reshape(len(x), -1).sum(-1)
    kl = 0.5 * (logvar.exp() + mu**2 - 1 - logvar).sum(-1)
    return bce + beta * kl


@right("05.2")
def bernoulli_distribution(x, logits, mu, logvar, beta):
    log_px = torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    return -(log_px - beta * gaussian_kl(mu, logvar))


# ---------------------------------------------------------------- 05.3
@wrong("05.3", "does not change with the weight")
def weight_ignored(D, weight=1.0):
    return D / 2


@wrong("05.3")
def summed_squares_variance(D, weight=1.0):
    return 0.5


@wrong("05.3")
def precision_instead(D, weight=1.0):
    return 2 * weight / D


@wrong("05.3")
def standard_deviation(D, weight=1.0):
    return math.sqrt(D / (2 * weight))


@wrong("05.3", None, student=True)
def guess_one(D, weight=1.0):
    return 1.0


@right("05.3")
def as_a_tensor(D, weight=1.0):
    return torch.tensor(0.5 * D / weight)


# ---------------------------------------------------------------- 06.1
@wrong("06.1", "NaN or Inf")
def naive_mean_of_exp(log_w):
    return torch.log(torch.exp(log_w).mean(0))


@wrong("06.1", "common constant")
def log_k_forgotten(log_w):
    return torch.logsumexp(log_w, dim=0)


@wrong("06.1", "the ELBO")
def mean_log_weight(log_w):
    return log_w.mean(0)


@wrong("06.1", "values differ", student=True)     # never "a missing constant": there is none
def largest_weight_only(log_w):
    return log_w.max(0).values


@wrong("06.1", "shape")
def over_the_batch(log_w):
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


@right("06.1")
def shifted_by_hand(log_w):
    top = log_w.max(dim=0, keepdim=True).values
    return (top + torch.log(torch.exp(log_w - top).mean(dim=0, keepdim=True))).squeeze(0)


@right("06.1")
def log_k_inside(log_w):
    return torch.logsumexp(log_w - math.log(len(log_w)), 0)


# ---------------------------------------------------------------- 06.2
@wrong("06.2", "all your samples are the same")
def decode_the_mean(vae, x, n=8):
    with torch.no_grad():
        mu, _ = vae.encode(x)
        return torch.sigmoid(vae.decode(mu.expand(n, -1)))


@wrong("06.2", "spread")
def variance_as_standard_deviation(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        return torch.sigmoid(vae.decode(mu + logvar.exp() * torch.randn(n, mu.shape[1])))


@wrong("06.2", "centred")
def samples_of_the_prior(vae, x, n=8):
    with torch.no_grad():
        return torch.sigmoid(vae.decode(torch.randn(n, vae.latent_dim)))


@wrong("06.2", "sigmoid")
def logits_returned(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        return vae.decode(mu + torch.exp(0.5 * logvar) * torch.randn(n, mu.shape[1]))


@wrong("06.2", "all your samples are the same")
def one_eps_for_all(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        eps = torch.randn(1, mu.shape[1]).expand(n, -1)
        return torch.sigmoid(vae.decode(mu + torch.exp(0.5 * logvar) * eps))


@wrong("06.2", "independent")
def one_eps_per_sample(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        return torch.sigmoid(vae.decode(mu + torch.exp(0.5 * logvar) * torch.randn(n, 1)))


@wrong("06.2", "binary")
def binary_images(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        p = torch.sigmoid(vae.decode(mu + torch.exp(0.5 * logvar) * torch.randn(n, mu.shape[1])))
        return torch.bernoulli(p)


@right("06.2")
def own_generator_like_cell_13(vae, x, n=8):
    rng = torch.Generator().manual_seed(2024)
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(n, mu.shape[1], generator=rng)
        return vae.generate(z)


@right("06.2")
def library_reparameterize(vae, x, n=8):
    with torch.no_grad():
        mu, logvar = vae.encode(x.expand(n, *x.shape[1:]))
        return torch.sigmoid(vae.decode(reparameterize(mu, logvar)))


@right("06.2")
def normal_rsample_in_a_loop(vae, x, n=8):
    mu, logvar = vae.encode(x)
    q = torch.distributions.Normal(mu[0], torch.exp(0.5 * logvar[0]))
    return torch.cat([torch.sigmoid(vae.decode(q.sample()[None])) for _ in range(n)]).detach()


# ---------------------------------------------------------------- 07.1
@wrong("07.1")
def variance_over_dimensions(mu, threshold=0.01):
    return int((mu.var(dim=1) > threshold).sum())


@wrong("07.1")
def threshold_on_std(mu, threshold=0.01):
    return int((mu.std(dim=0) > threshold).sum())


@wrong("07.1", "threshold 0.1")
def threshold_fixed(mu, threshold=0.01):
    return int((mu.var(dim=0) > 0.01).sum())


@wrong("07.1")
def inactive_counted(mu, threshold=0.01):
    return int((mu.var(dim=0) <= threshold).sum())


@wrong("07.1", "large means")
def mean_size(mu, threshold=0.01):
    return int((mu.pow(2).mean(dim=0) > threshold).sum())


@right("07.1")
def numpy_population_variance(mu, threshold=0.01):
    return int(np.sum(np.var(mu.numpy(), axis=0) > threshold))


@right("07.1")
def count_nonzero(mu, threshold=0.01):
    return torch.count_nonzero(((mu - mu.mean(0)) ** 2).sum(0) / (len(mu) - 1) > threshold)


# ---------------------------------------------------------------- 07.2
def _kl_terms(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar)


@wrong("07.2", "each example", student=True)
def clamp_per_example(mu, logvar, lam):
    return _kl_terms(mu, logvar).clamp(min=lam).mean(0).sum()


@wrong("07.2", "total KL")
def clamp_the_total(mu, logvar, lam):
    return _kl_terms(mu, logvar).sum(1).mean().clamp(min=lam)


@wrong("07.2")
def clamp_from_above(mu, logvar, lam):
    return _kl_terms(mu, logvar).mean(0).clamp(max=lam).sum()


@wrong("07.2")
def summed_over_the_batch(mu, logvar, lam):
    return _kl_terms(mu, logvar).sum(0).clamp(min=lam).sum()


@wrong("07.2")
def mean_over_dimensions_fb(mu, logvar, lam):
    return _kl_terms(mu, logvar).mean(0).clamp(min=lam).mean()


@right("07.2")
def maximum_with_library_kl(mu, logvar, lam):
    kl_j = torch.stack([gaussian_kl(mu[:, j:j + 1], logvar[:, j:j + 1]).mean() for j in range(mu.shape[1])])
    return torch.maximum(kl_j, torch.tensor(float(lam))).sum()


@right("07.2")
def where_form_fb(mu, logvar, lam):
    kl_j = _kl_terms(mu, logvar).mean(0)
    return torch.where(kl_j > lam, kl_j, torch.full_like(kl_j, lam)).sum()


# ---------------------------------------------------------------- 08.1
@wrong("08.1", None, student=True)
def mean_term_forgotten(mu_a, var_a, mu_b, var_b):
    return ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()


@wrong("08.1")
def variances_not_rooted(mu_a, var_a, mu_b, var_b):
    return ((mu_a - mu_b) ** 2).sum() + ((var_a - var_b) ** 2).sum()


@wrong("08.1")
def norm_not_squared(mu_a, var_a, mu_b, var_b):
    return (mu_a - mu_b).norm() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()


@wrong("08.1")
def square_root_of_all(mu_a, var_a, mu_b, var_b):
    return (((mu_a - mu_b) ** 2).sum() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()).sqrt()


@right("08.1")
def trace_form(mu_a, var_a, mu_b, var_b):
    return torch.dist(mu_a, mu_b) ** 2 + (var_a + var_b - 2 * torch.sqrt(var_a * var_b)).sum()


# ---------------------------------------------------------------- 08.2
@wrong("08.2")
def nearest_ball_only(real, radii, fake):
    d = torch.cdist(fake, real)
    distance, index = d.min(dim=1)
    return (distance <= radii[index]).float().mean()


@wrong("08.2", "recall")
def share_of_real_points(real, radii, fake):
    return (torch.cdist(real, fake) <= radii[:, None]).any(1).float().mean()


@wrong("08.2")
def inside_every_ball(real, radii, fake):
    return (torch.cdist(fake, real) <= radii).all(1).float().mean()


@wrong("08.2")
def counting_balls(real, radii, fake):
    return (torch.cdist(fake, real) <= radii).float().mean()


@right("08.2")
def loop_over_generated(real, radii, fake):
    inside = [bool(((real - f).norm(dim=1) <= radii).any()) for f in fake]
    return sum(inside) / len(inside)


@right("08.2")
def margin_form(real, radii, fake):
    return ((torch.cdist(real, fake) - radii[:, None]).min(0).values <= 0).double().mean()


# ---------------------------------------------------------------- 09.1
@wrong("09.1")
def tanh_for_its_derivative(z, u, w, b):
    psi = torch.tanh(z @ w + b)[:, None] * w
    return torch.log((1 + psi @ u).abs())


@wrong("09.1")
def w_forgotten(z, u, w, b):
    h_prime = 1 - torch.tanh(z @ w + b) ** 2
    return torch.log((1 + h_prime * u.sum()).abs())


@wrong("09.1", "shape")
def no_dependence_on_z(z, u, w, b):
    return torch.log((1 + u @ w).abs())


@wrong("09.1")
def sech_not_squared(z, u, w, b):
    psi = (1 / torch.cosh(z @ w + b))[:, None] * w
    return torch.log((1 + psi @ u).abs())


@right("09.1")
def cosh_and_einsum(z, u, w, b):
    psi = torch.cosh(torch.einsum("bd,d->b", z, w) + b) ** -2
    return torch.log(torch.abs(1 + psi * torch.dot(u, w)))


@right("09.1")
def jacobian_determinant(z, u, w, b):
    def f(point):
        return point + u * torch.tanh(point @ w + b)
    return torch.stack([torch.linalg.slogdet(torch.autograd.functional.jacobian(f, p))[1] for p in z])


# ---------------------------------------------------------------- 09.2
@wrong("09.2", "discriminator's own loss", student=True)
def pairs_not_swapped(real_pair_logits, fake_pair_logits):
    return -F.logsigmoid(real_pair_logits).mean() - F.logsigmoid(-fake_pair_logits).mean()


@wrong("09.2", "saturating", student=True)
def saturating_form(real_pair_logits, fake_pair_logits):
    return F.logsigmoid(real_pair_logits).mean() + F.logsigmoid(-fake_pair_logits).mean()


@wrong("09.2", "NaN or Inf")
def naive_logs_bigan(real_pair_logits, fake_pair_logits):
    d_real, d_fake = torch.sigmoid(real_pair_logits), torch.sigmoid(fake_pair_logits)
    return -torch.log(1 - d_real).mean() - torch.log(d_fake).mean()


@wrong("09.2")
def pooled(real_pair_logits, fake_pair_logits):
    return torch.cat([F.softplus(real_pair_logits), F.softplus(-fake_pair_logits)]).mean()


@wrong("09.2")
def summed_pairs(real_pair_logits, fake_pair_logits):
    return F.softplus(real_pair_logits).sum() + F.softplus(-fake_pair_logits).sum()


@right("09.2")
def bce_with_swapped_labels(real_pair_logits, fake_pair_logits):
    return (F.binary_cross_entropy_with_logits(real_pair_logits, torch.zeros_like(real_pair_logits))
            + F.binary_cross_entropy_with_logits(fake_pair_logits, torch.ones_like(fake_pair_logits)))


@right("09.2")
def softplus_pairs(real_pair_logits, fake_pair_logits):
    return F.softplus(real_pair_logits).mean() + F.softplus(-fake_pair_logits).mean()


# ---------------------------------------------------------------- 10: fixes of the broken steps
def _gan_step(G, D, opt_G, opt_D, x, rng, *, g_term=None, d_labels=(1, 0), zero="before",
              bce=None, fake_of=None, detach=True, retain_graph=False):
    """A GAN step with one choice changed, for writing the wrong fixes below briefly:
    ``fake_of`` changes G's batch, ``detach=False`` hands it to D's loss undetached, ``zero``
    (one for both players, or a pair D, G) says where zero_grad() stands: see _update."""
    bce = bce or nn.BCEWithLogitsLoss()
    zero_D, zero_G = (zero, zero) if isinstance(zero, str) else zero
    label = {1: torch.ones(len(x)), 0: torch.zeros(len(x))}
    fake = G(torch.randn(len(x), G.latent_dim, generator=rng))
    fake = fake_of(fake) if fake_of else fake
    d_loss = (bce(D(x), label[d_labels[0]])
              + bce(D(fake.detach() if detach else fake), label[d_labels[1]]))
    _update(d_loss, opt_D, zero_D, retain_graph)
    g_loss = g_term(fake, x) if g_term else bce(D(fake), label[1])
    _update(g_loss, opt_G, zero_G)
    return {"d_loss": d_loss, "g_loss": g_loss}


def _update(loss, opt, zero, retain_graph=False):
    """backward() and step(), with zero_grad() "before", "between" or "after" them, or "never"."""
    if zero == "before":
        opt.zero_grad()
    loss.backward(retain_graph=retain_graph)
    if zero == "between":
        opt.zero_grad()
    opt.step()
    if zero == "after":
        opt.zero_grad()


def _noise(G, x, rng):
    return torch.randn(len(x), G.latent_dim, generator=rng)


@wrong("10.1", "does not depend on the discriminator", student=True)
def moment_matching(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng,
                     g_term=lambda fake, x: (fake.mean() - x.mean()) ** 2 + (fake.std() - x.std()) ** 2)


@wrong("10.1", "no gradient reaches the generator")
def fake_detached_in_g_loss(G, D, opt_G, opt_D, x, rng):
    bce = nn.BCEWithLogitsLoss()
    return _gan_step(G, D, opt_G, opt_D, x, rng,
                     g_term=lambda fake, x: bce(D(fake.detach()), torch.ones(len(fake))))


@wrong("10.1", "generated mean stayed")
def generator_wants_fake_label(G, D, opt_G, opt_D, x, rng):
    bce = nn.BCEWithLogitsLoss()
    return _gan_step(G, D, opt_G, opt_D, x, rng,
                     g_term=lambda fake, x: bce(D(fake), torch.zeros(len(fake))))


@wrong("10.1", "discriminator never learns")
def discriminator_not_trained(G, D, opt_G, opt_D, x, rng):
    bce = nn.BCEWithLogitsLoss()
    g_loss = bce(D(G(_noise(G, x, rng))), torch.ones(len(x)))
    opt_G.zero_grad(); g_loss.backward(); opt_G.step()
    return {"g_loss": g_loss}


@right("10.1")
def non_saturating_from_library(G, D, opt_G, opt_D, x, rng):
    from genlib.objectives.gan import discriminator_loss, generator_loss
    fake = G(_noise(G, x, rng))
    d_loss = discriminator_loss(D(x), D(fake.detach()))
    opt_D.zero_grad(); d_loss.backward(); opt_D.step()
    g_loss = generator_loss(D(fake))
    opt_G.zero_grad(); g_loss.backward(); opt_G.step()
    return {"d_loss": d_loss, "g_loss": g_loss}


@wrong("10.2", "raised RuntimeError")
def detach_removed_everywhere(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, detach=False)


@wrong("10.2", "no gradient reaches the generator")
def requires_grad_on_the_detached_batch(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng,
                     fake_of=lambda fake: fake.detach().requires_grad_(True), detach=False)


@wrong("10.2", "no gradient reaches the generator")
def detached_again_for_the_generator(G, D, opt_G, opt_D, x, rng):
    bce = nn.BCEWithLogitsLoss()
    return _gan_step(G, D, opt_G, opt_D, x, rng,
                     g_term=lambda fake, x: bce(D(G(_noise(G, x, rng)).detach()), torch.ones(len(x))))


@right("10.2")
def retain_graph_instead_of_detach(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, detach=False, retain_graph=True)


@wrong("10.3", "generated mean stayed")
def only_the_real_label_fixed(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, d_labels=(1, 1))


@wrong("10.3", "generated mean stayed")
def swap_moved_to_the_generator(G, D, opt_G, opt_D, x, rng):
    return generator_wants_fake_label(G, D, opt_G, opt_D, x, rng)  # the same wrong G term


@wrong("10.3", "discriminator never learns")
def discriminator_update_removed(G, D, opt_G, opt_D, x, rng):
    return discriminator_not_trained(G, D, opt_G, opt_D, x, rng)


@right("10.3")
def both_labels_flipped_consistently(G, D, opt_G, opt_D, x, rng):
    # D calls real 0 and generated 1; G then wants its samples called 0: the same game, relabelled
    bce = nn.BCEWithLogitsLoss()
    return _gan_step(G, D, opt_G, opt_D, x, rng, d_labels=(0, 1),
                     g_term=lambda fake, x: bce(D(fake), torch.zeros(len(x))))


class _ClampedBCE(nn.Module):
    def forward(self, logits, target):
        return F.binary_cross_entropy(logits.clamp(0, 1), target)


class _TanhBCE(nn.Module):
    def forward(self, logits, target):
        return F.binary_cross_entropy(torch.tanh(logits), target)


class _SigmoidBCE(nn.Module):
    def forward(self, logits, target):
        return F.binary_cross_entropy(torch.sigmoid(logits), target)


@wrong("10.4", "generated mean stayed")
def logits_clamped_into_range(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, bce=_ClampedBCE())


@wrong("10.4", "raised RuntimeError")
def tanh_instead_of_sigmoid(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, bce=_TanhBCE())


@wrong("10.4", "raised RuntimeError")
def sigmoid_for_the_discriminator_only(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, bce=_SigmoidBCE(),
                     g_term=lambda fake, x: F.binary_cross_entropy(D(fake), torch.ones(len(x))))


@right("10.4")
def sigmoid_then_bce(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, bce=_SigmoidBCE())


@wrong("10.5", ".grad held before", student=True)
def zero_grad_after_the_step(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, zero="after")


@wrong("10.5", ".grad held before")
def discriminator_zeroed_only(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, zero=("before", "never"))


@wrong("10.5", "discriminator never learns")
def zeroed_between_backward_and_step(G, D, opt_G, opt_D, x, rng):
    return _gan_step(G, D, opt_G, opt_D, x, rng, zero="between")


@right("10.5")
def modules_zeroed_set_to_none(G, D, opt_G, opt_D, x, rng):
    bce = nn.BCEWithLogitsLoss()
    fake = G(_noise(G, x, rng))
    D.zero_grad(set_to_none=True)
    d_loss = bce(D(x), torch.ones(len(x))) + bce(D(fake.detach()), torch.zeros(len(x)))
    d_loss.backward(); opt_D.step()
    G.zero_grad(set_to_none=True)
    g_loss = bce(D(fake), torch.ones(len(x)))
    g_loss.backward(); opt_G.step()
    return {"d_loss": d_loss, "g_loss": g_loss}


def _vae_step(vae, opt, x, rng, loss_of):
    mu, logvar = vae.encode(x)
    logits = vae.decode(reparameterize(mu, logvar, rng))
    loss = loss_of(x, logits, mu, logvar)
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


def _summed_bce(x, logits):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)


def _summed_kl(mu, logvar):
    return 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum() / len(mu)


@wrong("10.6", "no KL term", student=True)
def kl_dropped(vae, opt, x, rng):
    return _vae_step(vae, opt, x, rng, lambda x, l, mu, lv: _summed_bce(x, l))


@wrong("10.6", "weighted differently", student=True)
def mean_bce_with_summed_kl(vae, opt, x, rng):
    return _vae_step(vae, opt, x, rng,
                     lambda x, l, mu, lv: F.binary_cross_entropy_with_logits(l, x) + _summed_kl(mu, lv))


@wrong("10.6", "not a gradient step")
def kl_with_the_log_term_flipped(vae, opt, x, rng):
    return _vae_step(vae, opt, x, rng, lambda x, l, mu, lv: _summed_bce(x, l)
                     + 0.5 * (lv.exp() + mu.pow(2) - 1 + lv).sum() / len(x))


@wrong("10.6", "climbs")
def whole_loss_negated(vae, opt, x, rng):
    return _vae_step(vae, opt, x, rng, lambda x, l, mu, lv: -(_summed_bce(x, l) + _summed_kl(mu, lv)))


@right("10.6")
def batch_mean_of_per_example_terms(vae, opt, x, rng):
    logits, mu, logvar = vae(x)   # the model's own draw of z, from the global generator
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    loss = -(log_px - gaussian_kl(mu, logvar)).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


@right("10.6")
def summed_over_the_batch_vae(vae, opt, x, rng):
    return _vae_step(vae, opt, x, rng, lambda x, l, mu, lv: len(x) * (_summed_bce(x, l) + _summed_kl(mu, lv)))


# ---------------------------------------------------------------- 11.1
@wrong("11.1", "swapped")
def posterior_weights_swapped(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    return (math.sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x_t
            + math.sqrt(1 - beta_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * x0)


@wrong("11.1", "alpha_t = 1 - beta_t")
def posterior_with_alpha_bar(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    return (math.sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0
            + math.sqrt(alpha_bar_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * x_t)


@wrong("11.1")
def posterior_without_square_roots(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    return (alpha_bar_prev * beta_t / (1 - alpha_bar_t) * x0
            + (1 - beta_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * x_t)


@wrong("11.1")
def posterior_mean_is_x_t(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    return x_t / math.sqrt(1 - beta_t)


@right("11.1")
def posterior_by_precisions(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    # complete the square: precisions add, means are precision-weighted
    a = 1 - beta_t
    prec_like, prec_prior = a / beta_t, 1 / (1 - alpha_bar_prev)
    mean_like, mean_prior = x_t / np.sqrt(a), np.sqrt(alpha_bar_prev) * x0
    return (prec_like * mean_like + prec_prior * mean_prior) / (prec_like + prec_prior)


# ---------------------------------------------------------------- 11.2
@wrong("11.2", "wrong sign")
def tweedie_minus(x_t, score, alpha_bar_t):
    return (x_t - (1 - alpha_bar_t) * score) / math.sqrt(alpha_bar_t)


@wrong("11.2", "undo that factor")
def tweedie_unscaled(x_t, score, alpha_bar_t):
    return x_t + (1 - alpha_bar_t) * score


@wrong("11.2")
def tweedie_sqrt_variance(x_t, score, alpha_bar_t):
    return (x_t + math.sqrt(1 - alpha_bar_t) * score) / math.sqrt(alpha_bar_t)


@wrong("11.2")
def tweedie_without_root(x_t, score, alpha_bar_t):
    return (x_t + (1 - alpha_bar_t) * score) / alpha_bar_t


@right("11.2")
def tweedie_through_the_noise(x_t, score, alpha_bar_t):
    abar = torch.tensor(alpha_bar_t, dtype=x_t.dtype)
    eps = -torch.sqrt(1 - abar) * score                 # the noise the score implies
    return (x_t - torch.sqrt(1 - abar) * eps) / torch.sqrt(abar)


# ---------------------------------------------------------------- 11.3
@wrong("11.3", "puts the predicted noise back")
def ddim_without_noise(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    return math.sqrt(alpha_bar_s) * (x_t - math.sqrt(1 - alpha_bar_t) * eps_hat) / math.sqrt(alpha_bar_t)


@wrong("11.3", "the step you jump to")
def ddim_old_noise_level(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    x0 = (x_t - math.sqrt(1 - alpha_bar_t) * eps_hat) / math.sqrt(alpha_bar_t)
    return math.sqrt(alpha_bar_s) * x0 + math.sqrt(1 - alpha_bar_t) * eps_hat


@wrong("11.3")
def ddim_x0_unscaled(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    x0 = (x_t - math.sqrt(1 - alpha_bar_t) * eps_hat) / math.sqrt(alpha_bar_t)
    return x0 + math.sqrt(1 - alpha_bar_s) * eps_hat


@wrong("11.3")
def ddim_variances_not_roots(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    x0 = (x_t - (1 - alpha_bar_t) * eps_hat) / alpha_bar_t
    return alpha_bar_s * x0 + (1 - alpha_bar_s) * eps_hat


@right("11.3")
def ddim_expanded(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    ratio = np.sqrt(alpha_bar_s / alpha_bar_t)          # scale x_t down to the new signal level
    return ratio * x_t + (np.sqrt(1 - alpha_bar_s) - ratio * np.sqrt(1 - alpha_bar_t)) * eps_hat


# ---------------------------------------------------------------- 12.1
@wrong("12.1", "wrong way")
def flow_target_reversed(x_t, x0, t):
    return (x0 - x_t) / t


@wrong("12.1", "factor t")
def flow_target_without_t(x_t, x0, t):
    return x_t - x0


@wrong("12.1")
def flow_target_over_one_minus_t(x_t, x0, t):
    return (x_t - x0) / (1 - t)


@wrong("12.1")
def flow_target_noise_as_x_t(x_t, x0, t):
    return x_t - x0 / t


@right("12.1")
def flow_target_through_the_noise(x_t, x0, t):
    eps = (x_t - (1 - t) * x0) / t
    return eps - x0


# ---------------------------------------------------------------- 12.2
@wrong("12.2", "forward in time")
def euler_forward(velocity, x, t, h):
    return x + h * velocity(x, t)


@wrong("12.2", "time you step to")
def euler_slope_at_the_end(velocity, x, t, h):
    return x - h * velocity(x, t - h)


@wrong("12.2")
def euler_without_step_size(velocity, x, t, h):
    return x - velocity(x, t)


@wrong("12.2")
def euler_returns_the_change(velocity, x, t, h):
    return -h * velocity(x, t)


@right("12.2")
def euler_as_two_halves_of_one_slope(velocity, x, t, h):
    slope = velocity(x.clone(), float(t))
    out = x.clone()
    out -= 0.5 * h * slope
    out -= 0.5 * h * slope
    return out


# ---------------------------------------------------------------- 12.3
@wrong("12.3", "unconditional")
def guidance_other_convention(v_cond, v_uncond, w):
    return v_uncond + w * (v_cond - v_uncond)


@wrong("12.3", "subtracted")
def guidance_adds_the_unconditional(v_cond, v_uncond, w):
    return (1 + w) * v_cond + w * v_uncond


@wrong("12.3")
def guidance_weights_swapped(v_cond, v_uncond, w):
    return (1 + w) * v_uncond - w * v_cond


@wrong("12.3")
def guidance_scales_the_conditional(v_cond, v_uncond, w):
    return (1 + w) * v_cond


@right("12.3")
def guidance_as_a_direction(v_cond, v_uncond, w):
    direction = v_cond - v_uncond          # what the class adds
    return v_cond + w * direction


# ---------------------------------------------------------------- 12.4
@wrong("12.4", "wrong sign")
def score_positive(eps_hat, alpha_bar_t):
    return eps_hat / math.sqrt(1 - alpha_bar_t)


@wrong("12.4", "standard deviation")
def score_over_variance(eps_hat, alpha_bar_t):
    return -eps_hat / (1 - alpha_bar_t)


@wrong("12.4")
def score_times_std(eps_hat, alpha_bar_t):
    return -eps_hat * math.sqrt(1 - alpha_bar_t)


@wrong("12.4")
def score_over_signal(eps_hat, alpha_bar_t):
    return -eps_hat / math.sqrt(alpha_bar_t)


@right("12.4")
def score_in_numpy(eps_hat, alpha_bar_t):
    return torch.from_numpy(-eps_hat.numpy() / np.sqrt(1 - alpha_bar_t))
