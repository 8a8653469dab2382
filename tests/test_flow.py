"""Flow matching and v-prediction in genlib (notebooks 11 and 12): the ODE sampler against a
flow with a closed-form solution, classifier-free guidance, the noise recovered from v, the
class input of the U-Net, and the recipes' checks of their new configuration keys."""
import math

import pytest
import torch

from genlib import zoo
from genlib.models.denoiser import ConvDenoiser, NoiseFromV
from genlib.objectives.diffusion import NoiseSchedule, cosine_betas
from genlib.sampling import flow_sample

S = 0.5   # data ~ N(0, S^2 I): on x_t = (1 - t) x0 + t eps, u_t(x) = (t - (1 - t) S^2) / w_t x


def gaussian_velocity(x, thousandths):
    t = thousandths[0] / 1000
    w = (1 - t) ** 2 * S ** 2 + t ** 2          # variance of x_t
    return (t - (1 - t) * S ** 2) / w * x


def test_the_ode_carries_noise_to_the_data_along_the_exact_solution():
    # dx/dt = u_t(x) has the solution x_t = sqrt(w_t / w_1) x_1: x_0 = S x_1
    x_1 = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    heun = flow_sample(gaussian_velocity, x_1, 100, "heun")
    euler = flow_sample(gaussian_velocity, x_1, 1000, "euler")
    assert torch.allclose(heun, S * x_1, atol=1e-4)
    assert torch.allclose(euler, S * x_1, atol=1e-2)
    assert (heun - S * x_1).abs().max() < (flow_sample(gaussian_velocity, x_1, 100) - S * x_1).abs().max()
    path = flow_sample(gaussian_velocity, x_1, 10, path=True)
    assert len(path) == 11 and torch.equal(path[0], x_1)
    w_half = 0.25 * S ** 2 + 0.25
    assert torch.allclose(path[5], math.sqrt(w_half) * x_1, atol=0.05)


class Constant(torch.nn.Module):
    """A velocity that is the class index (K = 3: "no class")."""
    classes = 3

    def forward(self, x, t, y=None):
        return torch.zeros_like(x) + (self.classes if y is None else y).reshape(-1, 1).to(x)


def test_guidance_mixes_the_conditional_and_the_free_velocity():
    x_1, y = torch.zeros(2, 1), torch.tensor([0, 2])
    for w in (0.0, 1.0, 2.5):
        out = flow_sample(Constant(), x_1, 1, y=y, guidance=w)   # one Euler step of size 1
        guided = (1 + w) * y.double() - w * 3
        assert torch.allclose(out.flatten(), -guided.float())


@pytest.mark.parametrize("kwargs, error, message", [
    ({"method": "midpoint"}, ValueError, "method"),
    ({"guidance": 1.0}, ValueError, "guidance needs classes"),
    ({"steps": 0}, ValueError, "steps"),
])
def test_the_sampler_names_a_bad_argument(kwargs, error, message):
    args = {"steps": 4, **kwargs}
    with pytest.raises(error, match=message):
        flow_sample(gaussian_velocity, torch.randn(3, 2), **args)


def test_noise_from_v_recovers_the_noise():
    schedule = NoiseSchedule(cosine_betas(100))
    rng = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(4, 1, 28, 28, generator=rng), torch.randn(4, 1, 28, 28, generator=rng)
    t = torch.tensor([1, 30, 70, 100])
    abar = schedule.at("alpha_bar", t, x0)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    v = abar.sqrt() * eps - (1 - abar).sqrt() * x0

    class Oracle(torch.nn.Module):
        channels, sample_shape = 1, (1, 28, 28)

        def forward(self, x, steps):
            return v

    assert torch.allclose(NoiseFromV(Oracle(), schedule)(x_t, t), eps, atol=1e-5)


def test_the_unet_takes_a_class_only_when_built_with_classes():
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([1, 2, 3])
    net = ConvDenoiser(1, 4, 8, classes=10)
    assert not torch.equal(net(x, t, torch.tensor([0, 0, 0])), net(x, t, torch.tensor([5, 5, 5])))
    assert torch.equal(net(x, t), net(x, t, torch.tensor([10, 10, 10])))   # None is "no class"
    with pytest.raises(ValueError, match="classes=K"):
        ConvDenoiser(1, 4, 8)(x, t, torch.tensor([0, 1, 2]))


@pytest.mark.parametrize("recipe, kwargs, message", [
    (zoo.ddpm, {"prediction": "x0"}, "prediction"),
    (zoo.ddpm, {"ema": 1.0}, "ema"),
    (zoo.flow_matching, {"settings": {"label_dropout": 1.5}}, "label_dropout"),
    (zoo.flow_matching, {"classes": 0}, "classes"),
])
def test_the_recipes_refuse_a_bad_new_key_before_training(recipe, kwargs, message):
    with pytest.raises(ValueError, match=message):
        recipe(**kwargs)


def test_a_share_of_one_drops_every_label_but_a_decay_of_one_is_refused():
    from genlib.zoo.settings import check_setting
    assert check_setting("label_dropout", 1.0, 0.1) == 1.0 and check_setting("label_dropout", 0, 0.1) == 0.0
    with pytest.raises(ValueError, match=r"ema must be in \[0, 1\)"):
        check_setting("ema", 1.0, 0.999)
    with pytest.raises(ValueError, match=r"label_dropout must be in \[0, 1\]"):
        check_setting("label_dropout", -0.1, 0.1)


def test_the_image_sampler_wants_one_class_per_image():
    models = {"ema": ConvDenoiser(1, 4, 8, classes=10)}
    sample = zoo.flow_image_sampler(models, steps=2)
    assert sample(3, torch.Generator().manual_seed(0), torch.tensor([1, 2, 3])).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="one per image"):
        sample(3, torch.Generator(), torch.tensor([1, 2]))


def test_the_flow_decoder_is_the_sampler_without_a_class_from_the_same_noise():
    models = {"ema": ConvDenoiser(1, 4, 8, classes=10).eval()}
    x_1 = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        decoded = zoo.flow_decoder(models, steps=3)(x_1.flatten(1))
        sampled = zoo.flow_image_sampler(models, steps=3)(5, torch.Generator().manual_seed(3))
    assert torch.equal(decoded, sampled) and decoded.min() >= 0 and decoded.max() <= 1
    with pytest.raises(ValueError, match="z must be B x 784"):
        zoo.flow_decoder(models)(torch.randn(2, 783))


def test_the_budget_in_steps_is_the_dcgan_recipes_count(quick_mode):
    from genlib.zoo.images import training_images
    budget = zoo.same_budget_settings()
    assert zoo.same_budget_steps(64) == training_images({**budget, "batch_size": 64})[1] \
        == budget["epochs"] * (budget["train_images"] // 64)


def test_the_weight_average_warms_up_then_decays_at_its_rate():
    from genlib.training import average_weights
    network, average = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        network.weight.fill_(1.0); average.weight.fill_(0.0)
    average_weights(average, network, 0, 0.999)            # d = min(0.999, 1/10): mostly the network
    assert abs(average.weight.item() - 0.9) < 1e-6
    with torch.no_grad():
        average.weight.fill_(0.0)
    average_weights(average, network, 10 ** 6, 0.999)      # d = 0.999
    assert abs(average.weight.item() - 0.001) < 1e-6


class _TimeRecorder(torch.nn.Module):
    """A velocity that records the times it is asked about (in thousandths, as the step passes them)."""

    def __init__(self):
        super().__init__()
        self.scale, self.times = torch.nn.Parameter(torch.zeros(())), []

    def forward(self, x, thousandths):
        self.times.append(thousandths.detach() / 1000)
        return self.scale * x


@pytest.mark.parametrize("logit_normal", [False, True])
def test_the_step_draws_the_time_it_says(logit_normal):
    from genlib.steps.flow import flow_matching_step
    velocity = _TimeRecorder()
    opt = torch.optim.SGD(velocity.parameters(), lr=0.0)
    rng = torch.Generator().manual_seed(0)
    for _ in range(20):
        flow_matching_step(velocity, opt, torch.randn(1000, 2), rng, logit_normal=logit_normal)
    t = torch.cat(velocity.times).double()
    assert len(t) == 20_000 and (t > 0).all() and (t < 1).all()
    if logit_normal:              # logit(t) = n ~ N(0, 1): mean 0, variance 1; t piles up in the middle
        n = torch.logit(t)
        assert abs(n.mean()) < 0.03 and abs(n.var() - 1) < 0.04
        assert ((t > 0.25) & (t < 0.75)).double().mean() == pytest.approx(0.7281, abs=0.015)  # P(|n| < log 3)
    else:                         # U(0, 1): mean 1/2, variance 1/12, half of it in (1/4, 3/4)
        assert abs(t.mean() - 0.5) < 0.01 and abs(t.var() - 1 / 12) < 0.003
        assert ((t > 0.25) & (t < 0.75)).double().mean() == pytest.approx(0.5, abs=0.015)
