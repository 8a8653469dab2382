"""Planar flows, BiGAN and VAE-GAN: densities, shapes and a few training steps."""
import math

import pytest
import torch

from genlib.models.bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from genlib.models.flows import FlowPosterior, PlanarFlow, ProductLatentModel, elbo_estimate
from genlib.models.vaegan import build_vaegan, discriminator_features
from genlib.training.bigan import train_bigan
from genlib.training.flows import fit_posterior
from genlib.training.vaegan import train_vaegan


# -- planar flows ----------------------------------------------------------------------------------
def test_planar_log_det_matches_autograd_jacobian():
    torch.manual_seed(0)
    flow = PlanarFlow(3, init_scale=1.0)
    for z in torch.randn(5, 3):
        jacobian = torch.autograd.functional.jacobian(lambda v: flow(v)[0], z)
        _, log_det = flow(z)
        assert log_det.item() == pytest.approx(torch.linalg.slogdet(jacobian)[1].item(), abs=1e-5)


def test_planar_map_stays_invertible():
    flow = PlanarFlow(2)
    with torch.no_grad():
        flow.w.copy_(torch.tensor([1.0, 0.0]))
        flow.u.copy_(torch.tensor([-5.0, 1.0]))  # w.u = -5 would make f non-invertible
    assert (flow.w * flow.u_hat()).sum().item() >= -1.0
    z = torch.linspace(-4, 4, 200).unsqueeze(1) * torch.tensor([1.0, 0.0])
    x = flow(z)[0][:, 0]
    assert (x[1:] > x[:-1]).all()  # monotone along w: one-to-one


def test_flow_density_integrates_to_one():
    torch.manual_seed(1)
    q = FlowPosterior(2, n_layers=4, init_scale=0.8)
    z, log_q = q.sample(20000)
    # E_q[p(z)/q(z)] = 1 for the standard normal p: an unbiased check of log q
    log_p = -0.5 * z.pow(2).sum(-1) - math.log(2 * math.pi)
    ratio = (log_p - log_q).exp()
    assert ratio.mean().item() == pytest.approx(1.0, abs=5 * ratio.std().item() / math.sqrt(20000))


def test_batch_of_posteriors_and_zero_layers_is_a_diagonal_gaussian():
    q = FlowPosterior(2, n_layers=0, batch_shape=(3,))
    z, log_q = q.sample(7)
    assert z.shape == (7, 3, 2) and log_q.shape == (7, 3)
    want = torch.distributions.Normal(q.mu, torch.exp(0.5 * q.logvar)).log_prob(z).sum(-1)
    assert torch.allclose(log_q, want, atol=1e-5)


def test_product_model_posterior_grid_and_evidence():
    model = ProductLatentModel(sigma=0.25)
    axis, log_evidence, log_post = model.posterior_grid(torch.tensor([0.5, 2.0]), resolution=301)
    cell = (axis[1] - axis[0]) ** 2
    assert torch.allclose(log_post.exp().sum((1, 2)) * cell, torch.ones(2, dtype=torch.float64))
    z = torch.randn(200000, 2, generator=torch.Generator().manual_seed(2))  # prior samples
    mc = torch.logsumexp(model.log_joint(z, torch.tensor(2.0)) + 0.5 * z.pow(2).sum(-1)
                         + math.log(2 * math.pi), 0) - math.log(len(z))
    assert mc.item() == pytest.approx(log_evidence[1].item(), abs=0.05)


def test_flow_posterior_tightens_the_elbo():
    model = ProductLatentModel(sigma=0.25)
    x = torch.tensor([1.0, 2.0])
    elbos = {}
    for layers in (0, 8):
        torch.manual_seed(0)
        q = FlowPosterior(2, layers, batch_shape=(2,))
        fit_posterior(q, lambda z: model.log_joint(z, x), steps=300, progress=False)
        with torch.no_grad():
            elbos[layers] = elbo_estimate(q, lambda z: model.log_joint(z, x), 4000)
    _, log_evidence, _ = model.posterior_grid(x)
    assert (elbos[8] > elbos[0] + 0.1).all()
    assert (elbos[8] < log_evidence.float() + 0.02).all()  # still a lower bound


# -- BiGAN -------------------------------------------------------------------------------------------
def test_bigan_shapes_and_a_few_steps():
    torch.manual_seed(0)
    shape = (1, 8, 8)
    e, g, d = BiGANEncoder(shape, 4, 32), BiGANGenerator(shape, 4, 32), BiGANDiscriminator(shape, 4, 32)
    x = torch.rand(10, *shape)
    assert e(x).shape == (10, 4) and g(torch.randn(10, 4)).shape == (10, *shape)
    assert d(x, e(x)).shape == (10,)
    before = [p.clone() for p in e.parameters()]
    history = train_bigan(e, g, d, torch.rand(64, *shape), epochs=2, batch_size=16, log_every=1)
    assert len(history["d_loss"]) == 8 and all(math.isfinite(v) for v in history["ge_loss"])
    assert any(not torch.equal(b, p) for b, p in zip(before, e.parameters()))  # E learns too


# -- VAE-GAN -----------------------------------------------------------------------------------------
def test_vaegan_shapes_and_a_few_steps():
    torch.manual_seed(0)
    models = build_vaegan(latent_dim=4, encoder_width=4, decoder_width=4, discriminator_width=4)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    mu, logvar = models["encoder"](x)
    assert mu.shape == logvar.shape == (6, 4)
    assert models["decoder"](mu).shape == (6, 1, 28, 28)
    assert discriminator_features(models["discriminator"], x).shape == (6, 8 * 49)
    before = {k: [p.clone() for p in m.parameters()] for k, m in models.items()}
    history = train_vaegan(*models.values(), torch.rand(32, 1, 28, 28), epochs=2,
                           batch_size=8, log_every=1)
    assert len(history["kl"]) == 8 and all(math.isfinite(v) for v in history["d_loss"])
    for name, model in models.items():
        assert any(not torch.equal(b, p) for b, p in zip(before[name], model.parameters())), name


# -- notebook 08's recipes and figures ---------------------------------------------------------
def test_same_budget_recipes_share_data_budget_and_follow_the_tracks(quick_mode):
    from genlib import zoo

    from genlib.zoo.hybrid import same_budget_overrides

    configs = {name: zoo.recipe_config(name) for name in ("conv_vae_same_budget", "vaegan")}
    configs["dcgan"] = zoo.recipe_config("dcgan", **same_budget_overrides())
    shared = ("dataset", "train_images", "max_seconds", "seed")
    assert len({tuple(cfg[key] for key in shared) for cfg in configs.values()}) == 1
    dcgan, conv_vae = zoo.recipe_config("dcgan"), zoo.recipe_config("conv_vae")
    assert configs["vaegan"]["decoder_width"] == dcgan["width"]
    assert configs["vaegan"]["latent_dim"] == dcgan["latent_dim"]
    assert configs["conv_vae_same_budget"]["latent_dim"] == conv_vae["latent_dim"]


def test_comparison_figures_with_and_without_an_encoder():
    import matplotlib.pyplot as plt

    from genlib.metrics.compare import Contender
    from genlib.plots.comparison import draw_interpolations, draw_sample_grids, interpolation_frames

    decode = lambda z: torch.sigmoid(z[:, :1, None, None].expand(-1, 1, 8, 8))  # noqa: E731
    with_encoder = Contender("A", decode, 3, encode=lambda x: x.flatten(1)[:, :3])
    without = Contender("B", decode, 3)
    start, end = torch.zeros(1, 1, 8, 8), torch.ones(1, 1, 8, 8)
    frames = interpolation_frames(with_encoder, start, end, frames=5)
    assert frames.shape == (5, 1, 8, 8)
    assert torch.allclose(frames[0], decode(torch.zeros(1, 3))[0])  # starts at E(start)
    assert interpolation_frames(without, start, end, frames=4).shape == (4, 1, 8, 8)
    assert with_encoder.sample(7).shape == (7, 1, 8, 8)
    draw_sample_grids([with_encoder, without], torch.rand(16, 1, 8, 8))
    draw_interpolations([with_encoder, without], start, end, frames=4)
    plt.close("all")
