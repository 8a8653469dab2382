"""Planar flows, BiGAN and VAE-GAN models: densities and shapes; notebook 08's recipes and figures.
(Their update steps are tested in test_steps.py.)"""
import math

import pytest
import torch

from genlib.models.bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from genlib.models.flows import FlowPosterior, PlanarFlow, ProductLatentModel, elbo_estimate
from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator
from genlib.models.vaegan import VAEGANEncoder
from genlib.steps import posterior_step
from genlib.training import adam, train


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
        opt = adam(q.parameters(), 1e-2)
        train(lambda batch, rng, t: posterior_step(q, opt, rng, lambda z: model.log_joint(z, x)),
              models=[q], optimizers=[opt], steps=300, progress=False)
        with torch.no_grad():
            elbos[layers] = elbo_estimate(q, lambda z: model.log_joint(z, x), 4000)
    _, log_evidence, _ = model.posterior_grid(x)
    assert (elbos[8] > elbos[0] + 0.1).all()
    assert (elbos[8] < log_evidence.float() + 0.02).all()  # still a lower bound


# -- BiGAN and VAE-GAN models ------------------------------------------------------------------
def test_bigan_shapes():
    torch.manual_seed(0)
    shape = (1, 8, 8)
    e, g, d = BiGANEncoder(shape, 4, 32), BiGANGenerator(shape, 4, 32), BiGANDiscriminator(shape, 4, 32)
    x = torch.rand(10, *shape)
    assert e(x).shape == (10, 4) and g(torch.randn(10, 4)).shape == (10, *shape)
    assert d(x, e(x)).shape == (10,)
    images = g.generate(torch.randn(10, 4))
    assert images.min() >= 0 and images.max() <= 1


def test_bigan_on_points_is_unbounded_and_its_recipe_trains_in_quick_mode(quick_mode, cache_dir):
    from genlib import zoo
    from genlib.data import toy2d
    from genlib.steps import bigan_step

    g = BiGANGenerator((2,), 2, 16, squash=False)
    with torch.no_grad():
        g.net[0][-1].bias.fill_(5.0)              # outputs far outside [0, 1] stay there
    assert g(torch.zeros(3, 2)).shape == (3, 2) and (g(torch.zeros(3, 2)) > 1).all()
    models, history = zoo.toy_bigan(step=bigan_step)
    x = toy2d.get("ring8").sample(50, rng=torch.Generator().manual_seed(0))
    assert models["encoder"](x).shape == (50, 2) and models["generator"](torch.randn(50, 2)).shape == (50, 2)
    assert history.last_step() + 1 == zoo.recipe_config("toy_bigan")["steps"]
    assert history.config["data"] == "ring8" and all(map(math.isfinite, history["d_loss"]))


def test_vaegan_shapes_and_images_in_the_unit_interval():
    torch.manual_seed(0)
    enc, dec, dis = VAEGANEncoder(4, 4), DCGANGenerator(4, 4), DCGANDiscriminator(4)
    x = torch.rand(6, 1, 28, 28)
    mu, logvar = enc(x)
    assert mu.shape == logvar.shape == (6, 4) and torch.equal(enc.encode(x)[0], mu)
    images = dec.generate(mu)
    assert images.shape == (6, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert dis.features(x).shape == (6, 8, 7, 7)
    assert torch.equal(dis.read_out(dis.features(x)), dis(x))


# -- notebook 08's recipes and figures ---------------------------------------------------------
def test_same_budget_recipes_share_data_and_budget_and_follow_their_families(quick_mode):
    from genlib import zoo

    budget = zoo.same_budget_settings()
    vaegan, dcgan = zoo.recipe_config("vaegan"), zoo.recipe_config("dcgan")
    assert {key: vaegan[key] for key in budget} == budget
    assert set(budget) <= set(dcgan) and set(budget) <= set(zoo.recipe_config("conv_vae"))
    assert vaegan["decoder_width"] == vaegan["discriminator_width"] == dcgan["width"]
    assert (vaegan["latent_dim"], vaegan["batch_size"]) == (dcgan["latent_dim"], dcgan["batch_size"])


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
