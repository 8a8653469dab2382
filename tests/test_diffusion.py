"""The diffusion model's pieces (notebook 11): schedule, forward process, posterior, weights,
denoisers and samplers."""
import math

import torch

from genlib.models.denoiser import ConvDenoiser, MLPDenoiser, timestep_embedding
from genlib.sampling import ddim_sample, ddim_timesteps, ddpm_sample
from genlib.objectives.diffusion import (NoiseSchedule, cosine_betas, elbo_weights,
                                         linear_betas, normal_kl, predict_x0, q_posterior, q_sample)
from genlib.zoo.diffusion import ddpm_decoder, image_sampler


def test_schedule_arrays_start_at_the_data():
    s = NoiseSchedule(linear_betas(10, 0.01, 0.2), dtype=torch.float64)
    assert s.T == 10 and len(s.alpha_bar) == 11 and s.alpha_bar[0] == 1 and s.betas[0] == 0
    assert torch.allclose(s.alpha_bar[1:], torch.cumprod(1 - linear_betas(10, 0.01, 0.2), 0))
    assert cosine_betas(50).max() <= 0.999


def test_posterior_matches_a_product_of_gaussians():
    s = NoiseSchedule(linear_betas(20, 0.01, 0.3), dtype=torch.float64)
    x0, xt = torch.tensor([[0.3]], dtype=torch.float64), torch.tensor([[-0.5]], dtype=torch.float64)
    t = 7
    a, b, abar_prev = s.alphas[t], s.betas[t], s.alpha_bar[t - 1]
    precision = a / b + 1 / (1 - abar_prev)
    mean = (a.sqrt() / b * xt + abar_prev.sqrt() / (1 - abar_prev) * x0) / precision
    got_mean, got_var = q_posterior(x0, xt, t, s)
    assert torch.allclose(got_mean, mean) and torch.allclose(got_var, 1 / precision.expand(1, 1))


def test_predict_x0_inverts_q_sample_and_the_weights_give_the_kl():
    s = NoiseSchedule(linear_betas(20, 0.01, 0.3), dtype=torch.float64)
    rng = torch.Generator().manual_seed(0)
    x0 = torch.randn(5, 3, generator=rng, dtype=torch.float64)
    eps, eps_hat = (torch.randn(5, 3, generator=rng, dtype=torch.float64) for _ in range(2))
    t = torch.tensor([2, 5, 9, 14, 20])
    xt = q_sample(x0, t, s, eps)
    assert torch.allclose(predict_x0(xt, t, s, eps), x0)
    mean_q, var_q = q_posterior(x0, xt, t, s)
    mean_p, _ = q_posterior(predict_x0(xt, t, s, eps_hat), xt, t, s)
    kl = normal_kl(mean_q, var_q, mean_p, var_q).sum(1)
    assert torch.allclose(kl, elbo_weights(s)[t - 1] * (eps - eps_hat).pow(2).sum(1))


def test_denoisers_and_samplers_keep_shapes_and_images_in_the_unit_interval():
    torch.manual_seed(0)
    s = NoiseSchedule(linear_betas(6, 0.05, 0.5))
    mlp, conv = MLPDenoiser(2, 16, 2, 8), ConvDenoiser(1, 4, 8)
    assert timestep_embedding(torch.tensor([1, 2]), 8).shape == (2, 8)
    assert mlp(torch.randn(3, 2), torch.tensor([1, 2, 3])).shape == (3, 2)
    assert conv(torch.rand(2, 1, 28, 28), torch.tensor([1, 6])).shape == (2, 1, 28, 28)
    chain = ddpm_sample(mlp, s, (4, 2), torch.Generator().manual_seed(2), keep=[6, 0])
    assert chain.samples.shape == (4, 2) and set(chain.path) == {6, 0}
    images = ddim_sample(conv, s, (2, 1, 28, 28), torch.Generator(), steps=3, rescale=True, clip=True)
    assert images.shape == (2, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    models = {"denoiser": conv, "schedule": s}
    sampled = image_sampler(models, steps=None)(3, torch.Generator().manual_seed(3))
    assert sampled.shape == (3, 1, 28, 28) and 0 <= sampled.min() and sampled.max() <= 1
    z = torch.randn(2, 784)
    assert torch.equal(ddpm_decoder(models, steps=2)(z), ddpm_decoder(models, steps=2)(z))


def test_ddim_timesteps_run_from_T_down_to_1():
    assert ddim_timesteps(200, 5) == [200, 150, 100, 51, 1]
    assert ddim_timesteps(10, 10) == list(range(10, 0, -1)) and ddim_timesteps(10, 1) == [10]
    assert math.isclose(float(NoiseSchedule(cosine_betas(100)).alpha_bar[-1]), 0, abs_tol=1e-3)
