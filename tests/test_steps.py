"""Each family's update step (genlib.steps) does what its objective says: signs, which network
each update moves, and a few steps of learning on a target simple enough to check."""
import pytest
import torch

from genlib.models import (BiGANDiscriminator, BiGANEncoder, BiGANGenerator, ConditionalVAE,
                           DCGANDiscriminator, DCGANGenerator, FlowPosterior, MLPDiscriminator,
                           MLPGenerator, MLPVAE, ProductLatentModel, VAEGANEncoder)
from genlib.metrics.likelihood import vae_elbo
from genlib.steps import (bigan_step, cvae_step, free_bits_vae_step, gan_step, posterior_step,
                          vae_step, vaegan_step, wgan_step, warmup_vae_step)
from genlib.training import adam, train


class Gaussian2D:
    def __init__(self, mean, std=0.1):
        self.mean, self.std = torch.tensor(mean), std

    def sample(self, n, rng=None):
        return self.mean + self.std * torch.randn(n, 2, generator=rng)


def small_gan(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(latent_dim=2, hidden=32, depth=2), MLPDiscriminator(hidden=32, depth=2)


def frozen(module):
    return torch.optim.SGD(module.parameters(), lr=0.0)


def params(*modules):
    return [p.detach().clone() for m in modules for p in m.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def counting(optimizer):
    optimizer.calls = 0
    step = optimizer.step

    def counted(*args, **kwargs):
        optimizer.calls += 1
        return step(*args, **kwargs)
    optimizer.step = counted
    return optimizer


@pytest.mark.parametrize("saturating", [False, True])
def test_gan_step_moves_the_generator_onto_a_gaussian(saturating):
    G, D = small_gan()
    target = Gaussian2D([2.0, -1.0])
    opt_G = adam(G.parameters(), 2e-3, (0.5, 0.999))
    opt_D = adam(D.parameters(), 2e-3, (0.5, 0.999))
    history = train(lambda x, rng, t: gan_step(G, D, opt_G, opt_D, x, rng, saturating=saturating),
                    target, models=[G, D], optimizers=[opt_G, opt_D], steps=300, batch_size=128,
                    progress=False)
    assert history.finished and set(history.keys()) == {"d_loss", "g_loss", "d_real", "d_fake"}
    with torch.no_grad():
        mean = G(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1))).mean(0)
    assert torch.allclose(mean, target.mean, atol=0.3), mean


def test_gan_step_signs_the_discriminator_learns_and_a_frozen_generator_stays():
    G, D = small_gan()
    rng, x = torch.Generator().manual_seed(0), Gaussian2D([1.0, 1.0]).sample(64)
    before = params(G)
    opt_D = adam(D.parameters(), 1e-2)
    first = gan_step(G, D, frozen(G), opt_D, x, rng)
    for _ in range(30):
        last = gan_step(G, D, frozen(G), opt_D, x, rng)
    assert same(before, params(G))                      # the D update never moves G
    assert last["d_loss"] < first["d_loss"] and last["d_real"] > 0.5 > last["d_fake"]
    d_before = params(D)
    opt_G = adam(G.parameters(), 1e-2)
    fooled = [gan_step(G, D, opt_G, frozen(D), x, rng)["d_fake"] for _ in range(30)]
    assert same(d_before, params(D))                    # the G update never moves D
    assert fooled[-1] > fooled[0]                       # G climbs D's score of its fakes


def test_wgan_step_takes_n_critic_updates_and_clips_or_penalises():
    G, f = small_gan()
    x = Gaussian2D([1.0, 0.0]).sample(5 * 32)
    rng = torch.Generator().manual_seed(3)
    opt_f, opt_G = counting(adam(f.parameters())), counting(adam(G.parameters()))
    out = wgan_step(f, G, opt_f, opt_G, x, rng, n_critic=5, gp_weight=0.0, clip=0.05)
    assert (opt_f.calls, opt_G.calls) == (5, 1)
    assert all(p.abs().max() <= 0.05 + 1e-7 for p in f.parameters()) and out["penalty"] == 0
    out = wgan_step(f, G, opt_f, opt_G, x, rng, n_critic=5)
    assert out["penalty"] > 0


def test_wgan_step_critic_ascends_the_wasserstein_estimate():
    G, f = small_gan()
    x = Gaussian2D([3.0, 0.0]).sample(5 * 64)
    rng = torch.Generator().manual_seed(0)
    opt_f = adam(f.parameters(), 1e-3, (0.5, 0.9))
    estimates = [wgan_step(f, G, opt_f, frozen(G), x, rng)["wasserstein"].item()
                 for _ in range(20)]
    assert estimates[-1] > estimates[0] and estimates[-1] > 0


def test_wgan_penalty_gradient_reaches_the_critic():
    x = Gaussian2D([1.0, 0.0]).sample(64)
    after = {}
    for gp_weight in (0.0, 1000.0):
        G, f = small_gan()
        opt_f = torch.optim.SGD(f.parameters(), lr=1e-3)
        wgan_step(f, G, opt_f, frozen(G), x, torch.Generator().manual_seed(0), n_critic=1,
                  gp_weight=gp_weight)
        after[gp_weight] = params(f)
    assert not same(after[0.0], after[1000.0])      # the penalty changed the critic's update


def prototypes(n, side, seed=0):
    """``n`` random binary patterns with grey levels 0.05 and 0.95: structure a VAE can learn."""
    rng = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, side, side, generator=rng) > 0.5).float() * 0.9 + 0.05


@pytest.fixture
def images():
    labels = torch.arange(256) % 10
    return prototypes(10, 8)[labels], labels


def vae_elbo_of(vae, x):
    with torch.no_grad():
        return vae_elbo(vae, torch.bernoulli(x, generator=torch.Generator().manual_seed(0)),
                        rng=torch.Generator().manual_seed(1)).elbo.mean().item()


def vae_update(step, vae, opt, settings):
    """The recipes' binding of a VAE step (the warm-up's also takes the iteration t)."""
    if step is warmup_vae_step:
        return lambda x, rng, t: step(vae, opt, x, rng, t, **settings)
    return lambda x, rng, t: step(vae, opt, x, rng, **settings)


def train_vae(step, vae, x, settings, lr=1e-3, **kwargs):
    opt = adam(vae.parameters(), lr)
    return train(vae_update(step, vae, opt, settings), x, models=[vae], optimizers=[opt],
                 progress=False, **kwargs)


@pytest.mark.parametrize("step, settings", [(vae_step, {}), (vae_step, {"beta": 0.5}),
                                            (warmup_vae_step, {"warmup_steps": 20}),
                                            (free_bits_vae_step, {"free_bits": 0.2})])
def test_vae_steps_raise_the_elbo_and_log_its_terms(images, step, settings):
    torch.manual_seed(0)
    vae = MLPVAE((1, 8, 8), latent_dim=4, hidden=(32,))
    start = vae_elbo_of(vae, images[0])
    h = train_vae(step, vae, images[0], settings, lr=3e-3, steps=60, batch_size=32, log_every=10)
    assert vae_elbo_of(vae, images[0]) > start + 5
    assert torch.allclose(torch.tensor(h["elbo"]), torch.tensor(h["log_likelihood"])
                          - torch.tensor(h["kl"]), atol=1e-4)
    assert min(h["kl"]) >= 0 and max(h["log_likelihood"]) <= 0


def test_warmup_ramps_beta_from_zero_to_one(images):
    vae = MLPVAE((1, 8, 8), latent_dim=4, hidden=(16,))
    h = train_vae(warmup_vae_step, vae, images[0], {"warmup_steps": 4}, steps=8, batch_size=32,
                  log_every=1)
    assert h["beta"] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_free_bits_keep_more_information_than_a_large_beta(images):
    def kl_after(step, settings):
        torch.manual_seed(0)
        vae = MLPVAE((1, 8, 8), latent_dim=4, hidden=(32,))
        return train_vae(step, vae, images[0], settings, lr=3e-3, steps=80, batch_size=32,
                         log_every=80).last("kl")
    assert kl_after(free_bits_vae_step, {"free_bits": 1.0}) > kl_after(vae_step, {"beta": 8.0})


def test_beta_weights_only_the_kl(images):
    torch.manual_seed(0)
    vae = MLPVAE((1, 8, 8), latent_dim=4, hidden=(16,))
    x = images[0][:16]
    grads = {}
    for beta in (0.0, 1.0):
        vae.zero_grad()
        out = vae_step(vae, frozen(vae), x, torch.Generator().manual_seed(0), beta=beta)
        grads[beta] = out
    # the same draws: same terms, whatever beta; the logged ELBO is always log p(x|z) - KL
    assert grads[0.0]["kl"] == grads[1.0]["kl"] and grads[0.0]["elbo"] == grads[1.0]["elbo"]


def test_cvae_step_uses_the_labels(images):
    torch.manual_seed(0)
    vae = ConditionalVAE((1, 8, 8), 10, latent_dim=2, hidden=(32,))
    opt = adam(vae.parameters(), 3e-3)
    h = train(lambda xy, rng, t: cvae_step(vae, opt, *xy, rng), images, models=[vae],
              optimizers=[opt], steps=40, batch_size=32, log_every=40, progress=False)
    assert h.finished and h.last("kl") >= 0


def small_vaegan(seed=0):
    torch.manual_seed(seed)
    return VAEGANEncoder(8, 8, 32), DCGANGenerator(8, 8), DCGANDiscriminator(8)


def test_vaegan_step_discriminator_learns_real_from_fake_and_moves_only_itself():
    enc, dec, dis = small_vaegan()
    x, rng = torch.rand(16, 1, 28, 28), torch.Generator().manual_seed(0)
    before = params(enc, dec)
    opt_dis = adam(dis.parameters(), 2e-3)
    losses = [vaegan_step(enc, dec, dis, frozen(enc), frozen(dec), opt_dis, x, rng)["d_loss"]
              for _ in range(15)]
    assert losses[-1] < losses[0] and same(before, params(enc, dec))


def test_vaegan_step_encoder_and_decoder_learn_to_reconstruct_and_each_moves_only_itself():
    enc, dec, dis = small_vaegan()
    x, rng = prototypes(2, 28)[torch.arange(16) % 2], torch.Generator().manual_seed(0)
    d_before, e_before = params(dis), params(enc)
    opt_enc, opt_dec = adam(enc.parameters(), 2e-3), adam(dec.parameters(), 2e-3)
    errors = [vaegan_step(enc, dec, dis, opt_enc, opt_dec, frozen(dis), x, rng,
                          gamma=100.0)["pixel_error"] for _ in range(40)]   # reconstruction first
    assert sum(errors[-5:]) < 0.8 * sum(errors[:5]) and same(d_before, params(dis))
    # with the decoder frozen, the decoder's GAN loss must not leak into the encoder's update:
    # the encoder still moves (its own loss) and the decoder does not
    dec_before = params(dec)
    vaegan_step(enc, dec, dis, opt_enc, frozen(dec), frozen(dis), x, rng)
    assert same(dec_before, params(dec)) and not same(e_before, params(enc))


def small_bigan(seed=0):
    torch.manual_seed(seed)
    shape = (1, 8, 8)
    return BiGANEncoder(shape, 4, 32), BiGANGenerator(shape, 4, 32), BiGANDiscriminator(shape, 4, 32, dropout=0.0)


def test_bigan_step_signs_for_both_players():
    E, G, D = small_bigan()
    x, rng = torch.rand(32, 1, 8, 8), torch.Generator().manual_seed(0)
    frozen_eg = torch.optim.SGD([*E.parameters(), *G.parameters()], lr=0.0)
    opt_D = adam(D.parameters(), 3e-3)
    eg_before = params(E, G)
    outs = [bigan_step(E, G, D, opt_D, frozen_eg, x, rng) for _ in range(30)]
    assert same(eg_before, params(E, G))
    assert outs[-1]["d_real"] > 0.5 > outs[-1]["d_fake"] and outs[-1]["d_loss"] < outs[0]["d_loss"]
    d_before = params(D)
    opt_EG = adam([*E.parameters(), *G.parameters()], 3e-3)
    outs = [bigan_step(E, G, D, frozen(D), opt_EG, x, rng) for _ in range(30)]
    assert same(d_before, params(D)) and outs[-1]["g_loss"] < outs[0]["g_loss"]


def test_posterior_step_tightens_the_elbo():
    model, x = ProductLatentModel(), torch.tensor([1.5, -0.5])
    torch.manual_seed(0)
    q = FlowPosterior(2, n_layers=2, batch_shape=(2,))
    opt = adam(q.parameters(), 1e-2)
    h = train(lambda batch, rng, t: posterior_step(q, opt, rng, lambda z: model.log_joint(z, x)),
              models=[q], optimizers=[opt], steps=200, log_every=50, progress=False)
    _, log_px, _ = model.posterior_grid(x)
    assert h["elbo"][-1] > h["elbo"][0] and h["elbo"][-1] <= log_px.mean().item() + 0.05
