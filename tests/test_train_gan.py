"""train_gan's loop, the real-data sampler, the mode-coverage measure and the gradient field."""
import math

import pytest
import torch
from torch import nn

from genlib.data import toy2d
from genlib import zoo
from genlib.metrics.toy2d import coverage_tracker, mode_coverage, nearest_mode
from genlib.models.mlp_gan import MLPDiscriminator, MLPGenerator
from genlib.plots.toy2d import generator_gradient
from genlib.training.gan import make_gan_optimizers, real_sampler, train_gan


class Gaussian2D:
    """N(mean, std^2 I) in the plane: the simplest target a GAN can learn in a few steps."""

    def __init__(self, mean, std=0.1):
        self.mean, self.std = torch.tensor(mean), std

    def sample(self, n, generator=None):
        return self.mean + self.std * torch.randn(n, 2, generator=generator)


def small_gan(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(latent_dim=2, hidden=32, depth=2), MLPDiscriminator(hidden=32, depth=2)


def counting(optimizer):
    optimizer.calls = 0
    step = optimizer.step

    def counted(*args, **kwargs):
        optimizer.calls += 1
        return step(*args, **kwargs)

    optimizer.step = counted
    return optimizer


def test_train_gan_moves_generator_onto_a_gaussian():
    G, D = small_gan()
    g = torch.Generator().manual_seed(0)
    target = Gaussian2D([2.0, -1.0])
    history = train_gan(G, D, real_sampler(target, 128, g), 300, lr_g=2e-3, lr_d=2e-3,
                        noise=g, progress=False)
    assert history.finished
    with torch.no_grad():
        mean = G(torch.randn(2000, 2, generator=g)).mean(0)
    assert torch.allclose(mean, target.mean, atol=0.25), mean  # from about (0, 0)


def test_train_gan_counts_updates_and_logs():
    G, D = small_gan()
    g = torch.Generator().manual_seed(1)
    opt_g, opt_d = (counting(o) for o in make_gan_optimizers(G, D, 1e-3, 1e-3))
    history = train_gan(G, D, real_sampler(Gaussian2D([0.0, 0.0]), 16, g), 7, d_steps=3,
                        optimizers=(opt_g, opt_d), noise=g, log_every=3, progress=False)
    assert (opt_g.calls, opt_d.calls) == (7, 21)  # k = 3 discriminator updates per G update
    assert history.steps["d_loss"] == [0, 3, 6]
    assert set(history.keys()) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(0 <= v <= 1 for v in history["d_real"] + history["d_fake"])
    # continuing with the same history numbers the steps on
    train_gan(G, D, real_sampler(Gaussian2D([0.0, 0.0]), 16, g), 2, optimizers=(opt_g, opt_d),
              history=history, log_every=1, progress=False)
    assert history.steps["d_loss"][-2:] == [7, 8]


def test_discriminator_step_leaves_generator_alone_and_vice_versa():
    G, D = small_gan()
    g = torch.Generator().manual_seed(2)
    opt_g, opt_d = make_gan_optimizers(G, D, 1e-3, 1e-3)
    assert {id(p) for p in opt_g.param_groups[0]["params"]} == {id(p) for p in G.parameters()}
    assert {id(p) for p in opt_d.param_groups[0]["params"]} == {id(p) for p in D.parameters()}
    before = [p.detach().clone() for p in G.parameters()]
    sgd_g = torch.optim.SGD(G.parameters(), lr=0.0)  # a frozen generator
    train_gan(G, D, real_sampler(Gaussian2D([1.0, 1.0]), 16, g), 5, optimizers=(sgd_g, opt_d),
              noise=g, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, G.parameters()))


def test_critic_modes_log_wasserstein_estimate_and_clip_weights():
    G, D = small_gan()
    g = torch.Generator().manual_seed(3)
    sampler = real_sampler(Gaussian2D([1.0, 0.0]), 32, g)
    history = train_gan(G, D, sampler, 4, loss="wgan-clip", clip=0.05, log_every=1, noise=g,
                        progress=False)
    assert all(p.abs().max() <= 0.05 + 1e-7 for p in D.parameters())
    assert history["penalty"] == [0.0] * 4
    assert history["wasserstein"] == pytest.approx([-v for v in history["d_loss"]])
    history = train_gan(G, D, sampler, 3, loss="wgan-gp", log_every=1, noise=g, progress=False)
    assert all(v > 0 for v in history["penalty"])


def test_decay_lr_reaches_zero_linearly():
    G, D = small_gan()
    g = torch.Generator().manual_seed(5)
    opt_g, opt_d = make_gan_optimizers(G, D, 1e-3, 4e-3)
    seen = []
    train_gan(G, D, real_sampler(Gaussian2D([0.0, 0.0]), 8, g), 4, optimizers=(opt_g, opt_d),
              decay_lr=True, noise=g, progress=False, callback_every=1,
              callback=lambda step: seen.append(opt_d.param_groups[0]["lr"]))
    assert seen == pytest.approx([3e-3, 2e-3, 1e-3, 0.0])
    assert opt_g.param_groups[0]["lr"] == 0.0


def test_reuse_fakes_runs_the_generator_once_per_step_and_still_learns():
    G, D = small_gan()
    calls = []
    G.register_forward_hook(lambda module, args, out: calls.append(len(out)))
    g = torch.Generator().manual_seed(0)
    target = Gaussian2D([2.0, -1.0])
    train_gan(G, D, real_sampler(target, 128, g), 300, lr_g=2e-3, lr_d=2e-3, noise=g,
              reuse_fakes=True, progress=False)
    assert len(calls) == 300  # one generator pass per step (two without reuse_fakes)
    with torch.no_grad():
        mean = G(torch.randn(2000, 2, generator=g)).mean(0)
    assert torch.allclose(mean, target.mean, atol=0.25), mean
    with pytest.raises(ValueError, match="d_steps=1"):
        train_gan(G, D, real_sampler(target, 8, g), 1, d_steps=2, reuse_fakes=True,
                  progress=False)


def test_without_reuse_the_discriminator_step_builds_no_generator_graph():
    G, D = small_gan()
    grad_modes = []
    G.register_forward_hook(lambda module, args, out: grad_modes.append(out.requires_grad))
    g = torch.Generator().manual_seed(0)
    train_gan(G, D, real_sampler(Gaussian2D([0.0, 0.0]), 8, g), 2, noise=g, progress=False)
    assert grad_modes == [False, True, False, True]  # D step (no graph), G step (graph)


def test_bf16_autocast_trains_and_logs_float32_losses():
    G, D = small_gan()
    g = torch.Generator().manual_seed(0)
    target = Gaussian2D([2.0, -1.0])
    history = train_gan(G, D, real_sampler(target, 128, g), 300, lr_g=2e-3, lr_d=2e-3,
                        noise=g, bf16=True, progress=False)
    assert history.finished and all(math.isfinite(v) for v in history["d_loss"])
    assert all(p.dtype == torch.float32 for p in G.parameters())  # weights stay float32
    with torch.no_grad():
        mean = G(torch.randn(2000, 2, generator=g)).mean(0)
    assert torch.allclose(mean, target.mean, atol=0.3), mean


def test_ema_of_the_generator_is_updated_after_every_generator_step():
    from genlib.training.ema import WeightAverage
    G, D = small_gan()
    average = WeightAverage(G, decay=0.9)
    g = torch.Generator().manual_seed(0)
    train_gan(G, D, real_sampler(Gaussian2D([1.0, 0.0]), 16, g), 5, noise=g, ema=average,
              progress=False)
    assert average.updates == 5
    assert not all(torch.equal(a, b) for a, b in zip(G.parameters(),
                                                       average.model.parameters()))


def test_train_gan_rejects_bad_settings():
    G, D = small_gan()
    sampler = real_sampler(Gaussian2D([0.0, 0.0]), 8)
    with pytest.raises(ValueError, match="loss must be one of"):
        train_gan(G, D, sampler, 1, loss="minimax", progress=False)
    with pytest.raises(ValueError, match="steps"):
        train_gan(G, D, sampler, 0, progress=False)
    with pytest.raises(ValueError, match="d_steps"):
        train_gan(G, D, sampler, 1, d_steps=0, progress=False)
    with pytest.raises(ValueError, match="lr_g"):
        train_gan(G, D, sampler, 1, lr_g=-1.0, progress=False)


def test_nan_guard_stops_and_restores():
    G, D = small_gan()
    nan_batches = lambda: torch.full((8, 2), float("nan"))
    history = train_gan(G, D, nan_batches, 5, progress=False)
    assert not history.finished and "d_loss" in history.stop_reason
    assert all(torch.isfinite(p).all() for p in list(G.parameters()) + list(D.parameters()))


def test_callback_values_are_logged():
    G, D = small_gan()
    g = torch.Generator().manual_seed(4)
    calls = []
    history = train_gan(G, D, real_sampler(Gaussian2D([0.0, 0.0]), 8, g), 5, noise=g,
                        callback=lambda step: calls.append(step) or {"seen": step},
                        callback_every=2, progress=False)
    assert calls == [1, 3, 4]
    assert history["seen"] == [1.0, 3.0, 4.0]


def test_real_sampler_cycles_through_a_tensor():
    data = torch.arange(10.0).unsqueeze(1)
    g = torch.Generator().manual_seed(0)
    sampler = real_sampler(data, 4, g)
    epoch = torch.cat([sampler(), sampler()]).flatten()  # 2 full batches, the last 2 dropped
    assert len(set(epoch.tolist())) == 8
    assert all(sampler().shape == (4, 1) for _ in range(5))  # on through later epochs
    with pytest.raises(ValueError, match="larger"):
        real_sampler(data, 11)


# -- mode coverage (genlib.metrics.toy2d) ---------------------------------------------------

def test_mode_coverage_of_real_ring_samples():
    ring = toy2d.get("ring8")
    samples = ring.sample(20000, generator=torch.Generator().manual_seed(0))
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


def test_coverage_tracker_reports_without_touching_the_global_rng():
    ring = toy2d.get("ring8")
    G = MLPGenerator(hidden=8, depth=1)
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    result = coverage_tracker(G, ring, n_samples=50)(0)
    assert torch.rand(1) == expected
    assert set(result) == {"modes_covered", "high_quality"} and 0 <= result["high_quality"] <= 1


def test_ring_recipes_share_their_budget():
    gan, wgan = zoo.recipe_config("gan_ring8"), zoo.recipe_config("wgan_gp_ring8")
    shared = ["data", "latent_dim", "hidden", "depth", "steps", "batch_size", "lr", "decay_lr",
              "seed"]
    assert [gan[k] for k in shared] == [wgan[k] for k in shared]
    assert (gan["loss"], gan["d_steps"]) == ("non-saturating", 1)
    assert (wgan["loss"], wgan["d_steps"], wgan["gp_weight"]) == ("wgan-gp", 5, 10.0)


def test_gan_dynamics_recipe_is_gan_ring8_with_snapshots_that_survive_the_cache(
        quick_mode, cache_dir):
    cfg, ring = zoo.recipe_config("gan_dynamics"), zoo.recipe_config("gan_ring8")
    assert {k: v for k, v in cfg.items() if k not in ("snapshot_steps", "recipe")} == \
        {k: v for k, v in ring.items() if k != "recipe"}
    every = cfg["steps"] // 20
    assert cfg["snapshot_steps"] == (every, 3 * every, 8 * every, 20 * every)
    models, history = zoo.pretrained("gan_dynamics", data="grid25", loss="saturating")
    assert not history.from_cache and history.finished
    taken = models["snapshots"].items()
    assert [step for step, _ in taken] == list(cfg["snapshot_steps"])
    first_g, last_g = taken[0][1][0], taken[-1][1][0]
    assert not torch.equal(first_g.net[0].weight, last_g.net[0].weight)  # copies at two moments
    assert len(history["modes_covered"]) == -(-cfg["steps"] // every)  # every 5% of the steps
    again, cached = zoo.pretrained("gan_dynamics", data="grid25", loss="saturating")
    assert cached.from_cache
    for (step, (g, d)), (step2, (g2, d2)) in zip(taken, again["snapshots"].items()):
        assert step == step2
        assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(),
                                                     g2.state_dict().values()))
        assert all(torch.equal(a, b) for a, b in zip(d.state_dict().values(),
                                                     d2.state_dict().values()))


def test_dcgan_recipe_keeps_samples_after_each_epoch(monkeypatch):
    import genlib.zoo.gan as recipes

    fake_data = (torch.rand(130, 1, 28, 28), torch.zeros(130, dtype=torch.long))
    monkeypatch.setattr(recipes, "load_images", lambda name, split: fake_data)
    cfg = dict(zoo.recipe_config("dcgan"), width=8, epochs=2, train_images=None,
               max_seconds=None, batch_size=64)
    models, train = recipes.build_dcgan(cfg)
    history = train()
    samples = models["samples"]
    assert history.finished and int(samples.epochs_done) == 2
    assert samples.images.shape == (2, 16, 1, 28, 28)
    assert samples.images.min() >= 0 and samples.images.max() <= 1
    assert not torch.equal(samples.images[0], samples.images[1])  # the generator moved


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
