"""PixelMLPVAE: the pixel context sees only earlier pixels, and p(x|z) is normalised."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from genlib.metrics.likelihood import iwae_estimate
from genlib.models.pixel_vae import MaskedConv2d, PixelMLPVAE
from genlib.training.vae import train_vae


def test_pixel_context_is_causal():
    torch.manual_seed(0)
    model = PixelMLPVAE(channels=4)
    x = torch.bernoulli(torch.full((1, 1, 28, 28), 0.5))
    before = model.pixel_context(x).flatten()
    for j in (0, 27, 300, 783):
        flipped = x.clone()
        flipped.view(-1)[j] = 1 - flipped.view(-1)[j]
        change = (model.pixel_context(flipped).flatten() - before).abs()
        assert change[:j + 1].max().item() == 0.0  # pixel j and those before it: unchanged
        if j < 783:
            assert change[j + 1:].max().item() > 0  # some later pixel sees it


def test_mask_b_keeps_the_centre_and_bad_type_raises():
    conv = MaskedConv2d(1, 1, 3, "B")
    assert conv.mask[0, 0].tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    assert MaskedConv2d(1, 1, 3, "A").mask[0, 0].tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2d(1, 1, 3, "C")


def test_likelihood_sums_to_one_over_all_images():
    torch.manual_seed(1)
    model = PixelMLPVAE((1, 2, 2), latent_dim=2, hidden=(8,), channels=3, kernel_size=3)
    z = torch.randn(1, 2)
    total = 0.0
    for bits in itertools.product([0.0, 1.0], repeat=4):
        x = torch.tensor(bits).view(1, 1, 2, 2)
        logits = model.decode(z) + model.pixel_context(x)
        total += torch.exp(-F.binary_cross_entropy_with_logits(logits, x, reduction="sum")).item()
    assert total == pytest.approx(1.0, abs=1e-6)


def test_iwae_uses_the_pixel_context_and_training_runs():
    torch.manual_seed(2)
    images = torch.rand(64, 1, 28, 28)
    model = PixelMLPVAE(hidden=(32,), latent_dim=4, channels=2)
    x = torch.bernoulli(images[:8])
    with torch.no_grad():  # K = 1 with the same noise: the IWAE bound is the model's ELBO
        torch.manual_seed(3)
        bound = iwae_estimate(model, x, k=1, seed=5)
        model.pixel_context[-1].bias.add_(3.0)  # a different context must change the bound
        shifted = iwae_estimate(model, x, k=1, seed=5)
    assert not torch.allclose(bound, shifted)
    history = train_vae(model, images, epochs=1, batch_size=16, progress=False, device="cpu")
    assert len(history["elbo"]) >= 1
    samples = model.sample_given(torch.randn(2, 4))
    assert samples.shape == (2, 1, 28, 28) and set(samples.unique().tolist()) <= {0.0, 1.0}
