"""The VAE models: shapes, the encode/decode contract, conditioning, and the IWAE weights."""
import math

import pytest
import torch

from genlib.metrics.likelihood import fixed_binarization, iwae_estimate, iwae_log_weights, vae_elbo
from genlib.models.conv_vae import ConvVAE
from genlib.models.cvae import ConditionalVAE
from genlib.models.vae import MLPVAE
from genlib.objectives.elbo import gaussian_kl, reparameterize


@pytest.mark.parametrize("make", [lambda: MLPVAE(latent_dim=5),
                                  lambda: ConvVAE(latent_dim=5, width=8, hidden=32),
                                  lambda: MLPVAE((1, 8, 8), latent_dim=5, hidden=(16, 16)),
                                  lambda: ConvVAE(image_size=8, latent_dim=5, width=8, hidden=32)])
def test_encode_decode_forward_shapes(make):
    model = make()
    shape = model.image_shape
    x = torch.rand(3, *shape)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (3, 5)
    logits = model.decode(torch.randn(4, 5))
    assert logits.shape == (4, *shape)
    logits, mu, logvar = model(x)
    assert logits.shape == x.shape and mu.shape == (3, 5)


def test_mlp_vae_of_pytorch_examples_has_its_parameter_count():
    # 784-400-(20+20) encoder, 20-400-784 decoder
    expected = (784 * 400 + 400) + (400 * 40 + 40) + (20 * 400 + 400) + (400 * 784 + 784)
    assert sum(p.numel() for p in MLPVAE(hidden=(400,), latent_dim=20).parameters()) == expected


def test_conv_vae_rejects_sizes_not_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvVAE(image_size=30)


@pytest.mark.parametrize("model", [MLPVAE((1, 8, 8), 3, (8,)), ConvVAE(8, 1, 3, 4, 8)])
def test_generate_gives_the_decoded_images_in_the_unit_interval(model):
    z = 5 * torch.randn(6, 3)
    images = model.generate(z)
    assert torch.equal(images, torch.sigmoid(model.decode(z)))
    assert images.min() >= 0 and images.max() <= 1


def test_reparameterize_has_the_right_moments_and_passes_gradients():
    torch.manual_seed(0)
    mu = torch.tensor([1.5, -2.0], requires_grad=True)
    logvar = torch.tensor([math.log(0.25), math.log(4.0)], requires_grad=True)
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2),
                       torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), mu.detach(), atol=0.03)
    assert torch.allclose(z.std(0), torch.tensor([0.5, 2.0]), atol=0.03)
    z.mean(0).sum().backward()
    assert torch.allclose(mu.grad, torch.ones(2))  # dz/dmu = 1


def test_conditional_vae_uses_the_label():
    torch.manual_seed(0)
    model = ConditionalVAE((1, 8, 8), num_classes=3, latent_dim=2, hidden=(16,))
    z = torch.randn(1, 2)
    a, b = model.decode(z, torch.tensor([0])), model.decode(z, torch.tensor([2]))
    assert a.shape == (1, 1, 8, 8) and not torch.allclose(a, b)
    x = torch.rand(2, 1, 8, 8)
    mu0, _ = model.encode(x, torch.tensor([0, 0]))
    mu1, _ = model.encode(x, torch.tensor([1, 1]))
    assert not torch.allclose(mu0, mu1)
    logits, mu, logvar = model(x, torch.tensor([0, 1]))
    assert logits.shape == x.shape and mu.shape == (2, 2)


def test_vae_elbo_terms():
    torch.manual_seed(0)
    model = MLPVAE((1, 4, 4), latent_dim=3, hidden=(8,))
    x = fixed_binarization(torch.rand(6, 1, 4, 4))
    terms = vae_elbo(model, x, rng=torch.Generator().manual_seed(0))
    mu, logvar = model.encode(x)
    assert torch.allclose(terms.kl, gaussian_kl(mu, logvar))
    assert torch.allclose(terms.elbo, terms.log_likelihood - terms.kl)
    assert (terms.log_likelihood <= 0).all()  # binary x: a log-probability
    again = vae_elbo(model, x, rng=torch.Generator().manual_seed(0))
    assert torch.equal(again.elbo, terms.elbo)  # the generator fixes the draw


def test_fixed_binarization_is_reproducible_and_binary():
    images = torch.rand(5, 1, 6, 6)
    a, b = fixed_binarization(images), fixed_binarization(images)
    assert torch.equal(a, b) and set(a.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(a, fixed_binarization(images, seed=7))


def test_iwae_log_weights_average_to_the_elbo_and_bound_increases_with_k():
    torch.manual_seed(0)
    model = MLPVAE((1, 4, 4), latent_dim=2, hidden=(8,)).double()
    x = fixed_binarization(torch.rand(3, 1, 4, 4, dtype=torch.float64))
    rng = torch.Generator().manual_seed(0)
    log_w = iwae_log_weights(model, x, 20_000, rng=rng)
    assert log_w.shape == (20_000, 3)
    # E_q[log w] is the ELBO: E_q[log p(x|z)] - KL(q || p), with the KL in closed form
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(20_000, *mu.shape, generator=rng,
                                                   dtype=torch.float64)
    ll = -torch.nn.functional.binary_cross_entropy_with_logits(
        model.decode(z.flatten(0, 1)), x.repeat(20_000, 1, 1, 1), reduction="none")
    ll = ll.flatten(1).sum(1).view(20_000, 3).mean(0)
    elbo = (ll - gaussian_kl(mu, logvar)).detach()
    assert torch.allclose(log_w.mean(0), elbo, atol=0.05)
    # L_K grows with K (in expectation: averaged over many images)
    many = fixed_binarization(torch.rand(500, 1, 4, 4, dtype=torch.float64))
    bounds = [iwae_estimate(model, many, k=k, seed=1).mean().item() for k in (1, 10, 100, 1000)]
    assert bounds == sorted(bounds)


def test_iwae_estimate_chunks_agree_with_one_pass():
    torch.manual_seed(0)
    model = ConditionalVAE((1, 4, 4), num_classes=2, latent_dim=2, hidden=(8,)).double()
    x = fixed_binarization(torch.rand(4, 1, 4, 4, dtype=torch.float64))
    y = torch.tensor([0, 1, 1, 0])
    whole = iwae_estimate(model, x, k=64, labels=y, samples_per_pass=10_000, seed=3)
    split = iwae_estimate(model, x, k=64, labels=y, samples_per_pass=16, seed=3)
    assert whole.shape == (4,)
    # the same seed, different chunking: the same number of samples, close values
    assert torch.allclose(whole, split, atol=0.3)
