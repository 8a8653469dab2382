"""Mode coverage on the 2-D toys (genlib.metrics.toy2d) and the generator's gradient field."""
import math

import pytest
import torch
from torch import nn

from genlib.data import toy2d
from genlib.metrics.toy2d import coverage_tracker, mode_coverage, nearest_mode, same_mode_share
from genlib.models.mlp_gan import MLPGenerator
from genlib.plots.toy2d import generator_gradient


# -- mode coverage (genlib.metrics.toy2d) ---------------------------------------------------

def test_mode_coverage_of_real_ring_samples():
    ring = toy2d.get("ring8")
    samples = ring.sample(20000, rng=torch.Generator().manual_seed(0))
    result = mode_coverage(samples, ring.modes, ring.std)
    assert result.modes_covered == 8 and result.n_modes == 8
    # within 3 std of the centre in 2-D: 1 - exp(-9/2) = 0.9889
    assert result.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.005)
    assert result.counts.sum() == pytest.approx(result.high_quality * 20000)


def test_mode_coverage_of_collapsed_and_off_mode_samples():
    ring = toy2d.get("ring8")
    at_one_mode = ring.modes[3].expand(100, 2)
    assert mode_coverage(at_one_mode, ring.modes, ring.std)[:3] == (1, 8, 1.0)
    at_origin = torch.zeros(100, 2)
    assert mode_coverage(at_origin, ring.modes, ring.std)[:3] == (0, 8, 0.0)
    # two modes, one with a trickle below min_share
    samples = torch.cat([ring.modes[0].expand(995, 2), ring.modes[1].expand(5, 2)])
    assert mode_coverage(samples, ring.modes, ring.std).modes_covered == 1
    assert mode_coverage(samples, ring.modes, ring.std, min_share=0.005).modes_covered == 2


def test_same_mode_share_of_an_identity_a_rotation_and_a_constant_map():
    ring = toy2d.get("ring8")
    x = ring.sample(4000, rng=torch.Generator().manual_seed(0))
    assert same_mode_share(x, x, ring.modes) == 1.0
    angle = 2 * math.pi / 8                      # one mode further round the ring: never the same
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    assert same_mode_share(x, x @ rotation.T, ring.modes) == 0.0
    # a map that forgets its input lands in one mode: the share is that mode's share of the data
    constant = ring.modes[2].expand_as(x)
    share = same_mode_share(x, constant, ring.modes)
    assert share == pytest.approx(1 / 8, abs=0.02)
    assert share == pytest.approx(float((nearest_mode(x, ring.modes)[0] == 2).float().mean()))


def test_coverage_tracker_reports_without_touching_the_global_rng():
    ring = toy2d.get("ring8")
    G = MLPGenerator(hidden=8, depth=1)
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    result = coverage_tracker(G, ring, n_samples=50)(0)
    assert torch.rand(1) == expected
    assert set(result) == {"modes_covered", "high_quality"} and 0 <= result["high_quality"] <= 1


def test_nearest_mode():
    modes = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    index, distance = nearest_mode(torch.tensor([[0.0, 1.0], [3.0, 3.0]]), modes)
    assert index.tolist() == [0, 1] and distance.tolist() == pytest.approx([1.0, 1.0])


# -- the generator's gradient field (genlib.plots.toy2d) -------------------------------------

@pytest.mark.parametrize("kind", ["non-saturating", "saturating", "wasserstein"])
def test_generator_gradient_of_linear_discriminator(kind):
    # logit l(x) = w.x + b:  -grad of -log D = (1 - D) w;  of log(1 - D): D w;  of -f: w
    w, b = torch.tensor([0.5, -2.0]), 0.3
    linear = nn.Linear(2, 1)
    with torch.no_grad():
        linear.weight.copy_(w.unsqueeze(0)); linear.bias.fill_(b)
    discriminator = lambda x: linear(x).squeeze(-1)
    points = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.5]])
    d = torch.sigmoid(points @ w + b).unsqueeze(1)
    want = {"non-saturating": (1 - d) * w, "saturating": d * w,
            "wasserstein": w.expand(3, 2)}[kind]
    assert torch.allclose(generator_gradient(discriminator, points, kind), want, atol=1e-6)
