"""The GAN and Wasserstein objectives pinned against closed forms and hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from genlib.objectives.gan import (discriminator_loss, gan_value, generator_loss, js_divergence,
                                   optimal_discriminator)
from genlib.objectives.wasserstein import critic_loss, gradient_penalty

LOG2 = math.log(2.0)


def probability_vectors(size):
    """Hypothesis: probability vectors of length ``size`` that may contain exact zeros."""
    weights = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 10.0)), min_size=size,
                       max_size=size).filter(lambda w: sum(w) > 0)
    return weights.map(lambda w: torch.tensor(w, dtype=torch.float64) / sum(w))


# -- optimal discriminator -------------------------------------------------------------------

def test_optimal_discriminator_hand_computed():
    p_data = torch.tensor([0.2, 0.5, 0.0, 0.3, 0.0])
    p_g = torch.tensor([0.6, 0.5, 0.3, 0.0, 0.0])
    d_star = optimal_discriminator(p_data, p_g)
    # 0.2/0.8, equal densities, no data, no model, neither (undefined: 1/2 by convention)
    assert torch.allclose(d_star, torch.tensor([0.25, 0.5, 0.0, 1.0, 0.5]))


def test_optimal_discriminator_maximises_pointwise_objective():
    # a log y + b log(1 - y) on a fine grid of y peaks at y = a / (a + b)
    a, b = torch.tensor(0.7), torch.tensor(0.2)
    y = torch.linspace(1e-4, 1 - 1e-4, 200001, dtype=torch.float64)
    best = y[torch.argmax(a * torch.log(y) + b * torch.log1p(-y))]
    assert abs(best.item() - optimal_discriminator(a, b).item()) < 1e-4
    assert abs(optimal_discriminator(a, b).item() - 0.7 / 0.9) < 1e-7


# -- Jensen-Shannon divergence ----------------------------------------------------------------

def test_jsd_disjoint_supports_is_log2():
    p = torch.tensor([0.5, 0.5, 0.0, 0.0])
    q = torch.tensor([0.0, 0.0, 0.25, 0.75])
    assert js_divergence(p, q).item() == pytest.approx(LOG2, abs=1e-12)


def test_jsd_with_zero_entries_hand_computed():
    # m = (1/4, 1/2, 1/4): KL(p||m) = 1/2 log 2 + 1/2 log 1 = KL(q||m), so JSD = 1/2 log 2
    p = torch.tensor([0.5, 0.5, 0.0])
    q = torch.tensor([0.0, 0.5, 0.5])
    value = js_divergence(p, q)
    assert torch.isfinite(value)
    assert value.item() == pytest.approx(0.5 * LOG2, abs=1e-12)


def test_jsd_bernoulli_closed_form():
    a, b = 0.3, 0.8
    m = [(a + b) / 2, 1 - (a + b) / 2]
    kl = lambda p: sum(pi * math.log(pi / mi) for pi, mi in zip(p, m))
    want = 0.5 * kl([a, 1 - a]) + 0.5 * kl([b, 1 - b])
    got = js_divergence(torch.tensor([a, 1 - a], dtype=torch.float64),
                       torch.tensor([b, 1 - b], dtype=torch.float64))
    assert got.item() == pytest.approx(want, rel=1e-9)


def test_jsd_identical_is_zero_and_batches_over_leading_dims():
    p = torch.tensor([[0.1, 0.9, 0.0], [0.2, 0.3, 0.5]])
    q = torch.tensor([[0.1, 0.9, 0.0], [0.0, 0.0, 1.0]])
    value = js_divergence(p, q)
    assert value.shape == (2,)
    assert value[0].item() == pytest.approx(0.0, abs=1e-12)
    assert value[1].item() == pytest.approx(js_divergence(p[1], q[1]).item(), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(probability_vectors(5), probability_vectors(5))
def test_jsd_symmetric_bounded(p, q):
    forward, backward = js_divergence(p, q).item(), js_divergence(q, p).item()
    assert forward == pytest.approx(backward, abs=1e-12)
    assert -1e-12 <= forward <= LOG2 + 1e-12


@settings(max_examples=60, deadline=None)
@given(probability_vectors(6), probability_vectors(6))
def test_value_at_optimal_discriminator_is_minus_log4_plus_2jsd(p, q):
    # notebook 01: C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g), on a discrete space
    d_star = optimal_discriminator(p, q)
    c = (torch.xlogy(p, d_star) + torch.xlogy(q, 1 - d_star)).sum()
    assert c.item() == pytest.approx(-math.log(4) + 2 * js_divergence(p, q).item(), abs=1e-9)


# -- value function and losses --------------------------------------------------------------

def test_gan_value_hand_computed():
    # D(real) = (1/2, 3/4) and D(fake) = (1/2, 1/4): V = mean(log 1/2, log 3/4) + same again
    real = torch.tensor([0.0, math.log(3.0)])
    fake = torch.tensor([0.0, -math.log(3.0)])
    want = 2 * 0.5 * (math.log(0.5) + math.log(0.75))
    assert gan_value(real, fake).item() == pytest.approx(want, rel=1e-6)


def test_gan_value_at_confused_discriminator_is_minus_log4():
    zeros = torch.zeros(7)
    assert gan_value(zeros, zeros).item() == pytest.approx(-math.log(4), rel=1e-6)


def test_gan_value_is_stable_for_extreme_logits():
    big = torch.tensor([1000.0])
    assert gan_value(big, -big).item() == pytest.approx(0.0, abs=1e-6)
    assert gan_value(-big, big).item() == pytest.approx(-2000.0, rel=1e-6)  # finite, not -inf


def test_discriminator_loss_is_binary_cross_entropy():
    rng = torch.Generator().manual_seed(0)
    real, fake = torch.randn(16, generator=rng) * 3, torch.randn(16, generator=rng) * 3
    bce = 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones(16))
                 + F.binary_cross_entropy_with_logits(fake, torch.zeros(16)))
    # -V sums the two expectations; the mean of the two BCE terms is half of it
    assert discriminator_loss(real, fake).item() == pytest.approx(2 * bce.item(), rel=1e-5)


@pytest.mark.parametrize("logit", [-8.0, -2.0, 0.0, 3.0])
def test_generator_loss_gradients_closed_form(logit):
    # saturating: d/dl log(1 - sigmoid(l)) = -D;  non-saturating: d/dl -log sigmoid(l) = -(1 - D)
    d = 1 / (1 + math.exp(-logit))
    for kind, want in [("saturating", -d), ("non-saturating", -(1 - d))]:
        x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
        generator_loss(x, kind=kind).backward()
        assert x.grad.item() == pytest.approx(want, rel=1e-9, abs=1e-15)


def test_generator_loss_values_and_unknown_kind():
    logits = torch.tensor([0.0, math.log(3.0)])  # D = 1/2, 3/4
    sat = generator_loss(logits, kind="saturating").item()
    nonsat = generator_loss(logits, kind="non-saturating").item()
    assert sat == pytest.approx(0.5 * (math.log(0.5) + math.log(0.25)), rel=1e-6)
    assert nonsat == pytest.approx(-0.5 * (math.log(0.5) + math.log(0.75)), rel=1e-6)
    assert generator_loss(logits, kind="wasserstein").item() == pytest.approx(-0.5 * math.log(3))
    with pytest.raises(ValueError, match="saturating"):
        generator_loss(logits, kind="minimax")


def test_saturating_gradient_vanishes_when_discriminator_rejects_fakes():
    logits = torch.tensor([-12.0], requires_grad=True)
    generator_loss(logits, kind="saturating").backward()
    assert abs(logits.grad.item()) < 1e-5
    logits.grad = None
    generator_loss(logits, kind="non-saturating").backward()
    assert abs(logits.grad.item()) == pytest.approx(1.0, abs=1e-5)


# -- Wasserstein -------------------------------------------------------------------------------

def test_critic_loss_hand_computed():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0, 1.0])
    assert critic_loss(real, fake).item() == pytest.approx(0.0 - 2.0)


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.8], [0.1, -0.2], [0.0, 0.0]])
def test_gradient_penalty_of_linear_critic(w):
    w = torch.tensor(w)
    critic = lambda x: x @ w
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(32, 2, generator=rng), torch.randn(32, 2, generator=rng)
    want = (w.norm().item() - 1) ** 2
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(want, abs=1e-6)


def test_gradient_penalty_of_linear_critic_on_images_and_its_gradient():
    rng = torch.Generator().manual_seed(2)
    w = (0.1 * torch.randn(1, 4, 4, generator=rng)).requires_grad_(True)
    critic = lambda x: (x * w).flatten(1).sum(1)
    real, fake = torch.rand(8, 1, 4, 4, generator=rng), torch.rand(8, 1, 4, 4, generator=rng)
    penalty = gradient_penalty(critic, real, fake)
    norm = w.norm().item()
    assert penalty.item() == pytest.approx((norm - 1) ** 2, rel=1e-5)
    penalty.backward()  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    assert torch.allclose(w.grad, 2 * (norm - 1) * w.detach() / norm, atol=1e-6)


def test_gradient_penalty_of_quadratic_critic():
    # f(x) = ||x||^2 / 2 has gradient x; with real == fake the interpolate is x itself
    x = torch.tensor([[3.0, 4.0], [0.0, 1.0], [0.0, 0.5]])
    critic = lambda t: 0.5 * t.pow(2).sum(1)
    want = ((5 - 1) ** 2 + 0 + 0.25) / 3
    assert gradient_penalty(critic, x, x.clone()).item() == pytest.approx(want, rel=1e-6)


def test_one_sided_gradient_penalty_charges_only_slopes_above_one():
    # f(x) = ||x||^2 / 2 has gradient x: norms 5, 1 and 0.5 cost (5 - 1)^2, 0 and 0 one-sided
    x = torch.tensor([[3.0, 4.0], [0.0, 1.0], [0.0, 0.5]])
    critic = lambda t: 0.5 * t.pow(2).sum(1)
    assert gradient_penalty(critic, x, x.clone(), one_sided=True).item() == pytest.approx(16 / 3, rel=1e-6)
    w = torch.tensor([0.3, 0.0], requires_grad=True)   # a linear critic of slope 0.3: no cost
    penalty = gradient_penalty(lambda t: t @ w, x, x.clone(), one_sided=True)
    assert penalty.item() == 0.0
    penalty.backward()
    assert torch.equal(w.grad, torch.zeros(2))


def test_gradient_penalty_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="shape"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(4, 2), torch.zeros(3, 2))
