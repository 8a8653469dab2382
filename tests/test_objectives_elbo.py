"""gaussian_kl, iwae_bound and elbo pinned against closed forms and hand-computed values."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Normal, kl_divergence

from genlib.objectives.elbo import (ElboTerms, bernoulli_log_likelihood,
                                    diagonal_gaussian_log_prob, elbo, gaussian_kl,
                                    gaussian_log_likelihood, iwae_bound)

LOG2 = math.log(2.0)


# -- gaussian_kl --------------------------------------------------------------------------------

def test_gaussian_kl_hand_computed():
    # dim 1: mu=1, var=1 -> (1 + 1 - 1 - 0)/2 = 1/2;  dim 2: mu=0, var=2 -> (2 - 1 - log 2)/2
    mu = torch.tensor([[1.0, 0.0]])
    logvar = torch.tensor([[0.0, LOG2]])
    assert gaussian_kl(mu, logvar).item() == pytest.approx(1.0 - 0.5 * LOG2, abs=1e-6)


def test_gaussian_kl_is_zero_exactly_at_the_prior():
    assert torch.equal(gaussian_kl(torch.zeros(3, 5), torch.zeros(3, 5)), torch.zeros(3))


def test_gaussian_kl_sums_the_last_dimension_one_value_per_example():
    mu, logvar = torch.randn(4, 6, 3), torch.randn(4, 6, 3)
    kl = gaussian_kl(mu, logvar)
    assert kl.shape == (4, 6)
    assert torch.allclose(kl[1, 2], gaussian_kl(mu[1, 2:3], logvar[1, 2:3])[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-6, 4)), min_size=1, max_size=8))
def test_gaussian_kl_matches_torch_distributions(params):
    mu = torch.tensor([p[0] for p in params], dtype=torch.float64)
    logvar = torch.tensor([p[1] for p in params], dtype=torch.float64)
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = kl_divergence(q, p).sum()
    got = gaussian_kl(mu, logvar)
    assert got.item() == pytest.approx(expected.item(), rel=1e-9, abs=1e-9)
    assert got.item() >= -1e-12  # (rounding: exp(v) - 1 - v for tiny v)


def test_gaussian_kl_agrees_with_monte_carlo():
    rng = torch.Generator().manual_seed(0)
    mu, logvar = torch.tensor([0.7, -1.2], dtype=torch.float64), torch.tensor([-0.5, 0.8],
                                                                                dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(200_000, 2, generator=rng, dtype=torch.float64)
    log_ratio = (diagonal_gaussian_log_prob(z, mu, logvar)
                 - diagonal_gaussian_log_prob(z, torch.zeros(2), torch.zeros(2)))
    stderr = log_ratio.std() / math.sqrt(len(z))
    assert abs(log_ratio.mean() - gaussian_kl(mu, logvar)) < 4 * stderr


# -- iwae_bound --------------------------------------------------------------------------------

def test_iwae_bound_hand_computed():
    # weights 1 and 3: log of their mean = log 2
    log_w = torch.log(torch.tensor([[1.0], [3.0]]))
    assert iwae_bound(log_w).item() == pytest.approx(LOG2, abs=1e-6)


def test_iwae_bound_with_one_sample_is_the_elbo_estimate():
    log_w = torch.randn(1, 7)
    assert torch.equal(iwae_bound(log_w), log_w[0])


def test_iwae_bound_of_equal_weights_is_that_weight():
    log_w = torch.full((50, 3), -123.4, dtype=torch.float64)
    assert torch.allclose(iwae_bound(log_w), torch.full((3,), -123.4, dtype=torch.float64))


def test_iwae_bound_is_stable_for_large_log_weights():
    log_w = torch.tensor([[-1000.0, 1000.0], [-1000.0 + LOG2, 1000.0 + LOG2]], dtype=torch.float64)
    expected = torch.tensor([-1000.0 + math.log(1.5), 1000.0 + math.log(1.5)], dtype=torch.float64)
    assert torch.allclose(iwae_bound(log_w), expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20))
def test_iwae_bound_lies_between_mean_and_max_of_log_weights(values):
    log_w = torch.tensor(values, dtype=torch.float64).unsqueeze(1)
    bound = iwae_bound(log_w).item()
    # Jensen: log mean w >= mean log w;  and mean w <= max w
    assert log_w.mean().item() - 1e-9 <= bound <= log_w.max().item() + 1e-9


def _one_dim_model_log_weights(x, k, q_mu, q_std, s, rng):
    """z ~ N(0, 1), x|z ~ N(z, s^2); log w = log p(x, z) - log q(z) for z ~ q = N(q_mu, q_std^2)."""
    z = q_mu + q_std * torch.randn(k, len(x), generator=rng, dtype=torch.float64)
    log_joint = Normal(0.0, 1.0).log_prob(z) + Normal(z, s).log_prob(x)
    return log_joint - Normal(q_mu, q_std).log_prob(z)


def test_iwae_bound_is_exact_with_the_true_posterior_and_tightens_with_k_otherwise():
    rng = torch.Generator().manual_seed(0)
    s = 0.5
    x = torch.linspace(-2, 2, 400, dtype=torch.float64)
    log_px = Normal(0.0, math.sqrt(1 + s**2)).log_prob(x)
    post_mu, post_std = x / (1 + s**2), math.sqrt(s**2 / (1 + s**2))
    exact = iwae_bound(_one_dim_model_log_weights(x, 5, post_mu, post_std, s, rng))
    assert torch.allclose(exact, log_px, atol=1e-10)
    # a poorer q (posterior mean shrunk, width doubled): L_1 < L_10 < L_1000 <= log p(x)
    gaps = []
    for k in (1, 10, 1000):
        bound = iwae_bound(_one_dim_model_log_weights(x, k, 0.5 * post_mu, 2 * post_std, s, rng))
        gaps.append((log_px - bound).mean().item())
    assert gaps[0] > gaps[1] > gaps[2] > -1e-3
    assert gaps[2] < 0.01


# -- likelihoods and elbo ----------------------------------------------------------------------

def test_bernoulli_log_likelihood_hand_computed():
    x = torch.tensor([[1.0, 0.0, 1.0]])
    logits = torch.tensor([[0.0, 0.0, math.log(3.0)]])  # p = 1/2, 1/2, 3/4
    expected = 2 * math.log(0.5) + math.log(0.75)
    assert bernoulli_log_likelihood(x, logits).item() == pytest.approx(expected, abs=1e-6)


def test_gaussian_log_likelihood_matches_normal_and_mse():
    rng = torch.Generator().manual_seed(1)
    x, mean = torch.rand(4, 1, 3, 3, generator=rng), torch.rand(4, 1, 3, 3, generator=rng)
    expected = Normal(mean, 0.3).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(gaussian_log_likelihood(x, mean, 0.3), expected, atol=1e-5)
    # sigma^2 = 1/2: minus the sum of squared errors, plus a constant
    sq = (x - mean).pow(2).flatten(1).sum(1)
    const = -0.5 * 9 * math.log(math.pi)
    assert torch.allclose(gaussian_log_likelihood(x, mean, math.sqrt(0.5)), -sq + const, atol=1e-5)


def test_diagonal_gaussian_log_prob_matches_normal():
    z, mu, logvar = torch.randn(5, 3), torch.randn(5, 3), torch.randn(5, 3)
    expected = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    assert torch.allclose(diagonal_gaussian_log_prob(z, mu, logvar), expected, atol=1e-5)


def test_elbo_hand_computed_bernoulli():
    x = torch.tensor([[1.0, 0.0]])
    logits = torch.zeros(1, 2)                       # log p(x|z) = 2 log 1/2
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, LOG2]])
    kl = 1.0 - 0.5 * LOG2
    terms = elbo(x, logits, mu, logvar)
    assert isinstance(terms, ElboTerms)
    assert terms.log_likelihood.item() == pytest.approx(-2 * LOG2, abs=1e-6)
    assert terms.kl.item() == pytest.approx(kl, abs=1e-6)
    assert terms.elbo.item() == pytest.approx(-2 * LOG2 - kl, abs=1e-6)
    # beta weights the KL with a minus sign: a larger beta lowers the bound we maximise
    assert elbo(x, logits, mu, logvar, beta=4.0).elbo.item() == pytest.approx(
        -2 * LOG2 - 4 * kl, abs=1e-6)


def test_elbo_hand_computed_gaussian():
    x, mean = torch.zeros(1, 2), torch.zeros(1, 2)  # log N(0; 0, I_2) = -log(2 pi)
    terms = elbo(x, mean, torch.zeros(1, 3), torch.zeros(1, 3), likelihood="gaussian")
    assert terms.log_likelihood.item() == pytest.approx(-math.log(2 * math.pi), abs=1e-6)
    assert terms.kl.item() == 0.0
    assert terms.elbo.item() == pytest.approx(-math.log(2 * math.pi), abs=1e-6)
    with pytest.raises(ValueError, match="likelihood"):
        elbo(x, mean, torch.zeros(1, 3), torch.zeros(1, 3), likelihood="laplace")


def test_elbo_equals_log_marginal_minus_posterior_kl_in_a_linear_gaussian_model():
    # z ~ N(0,1), x|z ~ N(z, s^2) in D = 1: E_q[log p(x|z)] in closed form for q = N(m, v),
    # then ELBO = log p(x) - KL(q || p(z|x)); the sampled elbo() averages to it.
    s, x_val, m, v = 0.6, 1.3, 0.4, 0.2
    rng = torch.Generator().manual_seed(3)
    z = m + math.sqrt(v) * torch.randn(400_000, 1, generator=rng, dtype=torch.float64)
    x = torch.full_like(z, x_val)
    mu = torch.full_like(z, m)
    logvar = torch.full_like(z, math.log(v))
    terms = elbo(x, z, mu, logvar, likelihood="gaussian", sigma=s)
    post_mean, post_var = x_val / (1 + s**2), s**2 / (1 + s**2)
    kl_post = 0.5 * (v / post_var + (m - post_mean) ** 2 / post_var - 1 - math.log(v / post_var))
    log_px = Normal(0.0, math.sqrt(1 + s**2)).log_prob(torch.tensor(x_val)).item()
    stderr = terms.elbo.std().item() / math.sqrt(len(z))
    assert terms.elbo.mean().item() == pytest.approx(log_px - kl_post, abs=4 * stderr)
