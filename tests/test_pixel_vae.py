"""PixelMLPVAE: the pixel context sees only earlier pixels, and p(x|z) is normalised."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from genlib.metrics.likelihood import iwae_estimate
from genlib.models.pixel_vae import MADEContext, MaskedConv2d, PixelMLPVAE
from genlib.training.vae import train_vae


@pytest.mark.parametrize("options", [dict(channels=4), dict(context="made"),
                                     dict(context="made", made_hidden=64),
                                     dict(context="made", made_hidden=64, condition_on_z=True)])
def test_pixel_logits_are_causal(options):
    torch.manual_seed(0)
    model = PixelMLPVAE(**options)
    for p in model.parameters():  # large random weights: any leak would show
        torch.nn.init.normal_(p)
    x = torch.bernoulli(torch.full((1, 1, 28, 28), 0.5))
    z = torch.randn(3, model.latent_dim)  # three samples of z
    base = model.decode(z)
    before = model.pixel_logits(base, x, z).flatten(1)
    for j in (0, 27, 300, 783):
        flipped = x.clone()
        flipped.view(-1)[j] = 1 - flipped.view(-1)[j]
        change = (model.pixel_logits(base, flipped, z).flatten(1) - before).abs()
        assert change[:, :j + 1].max().item() == 0.0  # pixel j and those before it: unchanged
        if j < 783:
            assert change[:, j + 1:].max().item() > 0  # some later pixel sees it


def test_unknown_context_or_z_without_hidden_units_raise():
    with pytest.raises(ValueError, match="context"):
        PixelMLPVAE(context="lstm")
    for options in (dict(condition_on_z=True), dict(context="made", condition_on_z=True)):
        with pytest.raises(ValueError, match="condition_on_z"):
            PixelMLPVAE(**options)


def test_made_masks_follow_the_degrees():
    made = MADEContext(4, hidden=3)  # hidden degrees 1, 2, 3
    assert made.direct.mask.tolist() == [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]]
    assert made.to_hidden.mask.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]]
    assert made.from_hidden.mask.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_mask_b_keeps_the_centre_and_bad_type_raises():
    conv = MaskedConv2d(1, 1, 3, "B")
    assert conv.mask[0, 0].tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    assert MaskedConv2d(1, 1, 3, "A").mask[0, 0].tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2d(1, 1, 3, "C")


@pytest.mark.parametrize("options", [dict(channels=3, kernel_size=3),
                                     dict(context="made", made_hidden=3, condition_on_z=True)])
def test_likelihood_sums_to_one_over_all_images(options):
    torch.manual_seed(1)
    model = PixelMLPVAE((1, 2, 2), latent_dim=2, hidden=(8,), **options)
    z = torch.randn(1, 2)
    total = 0.0
    for bits in itertools.product([0.0, 1.0], repeat=4):
        x = torch.tensor(bits).view(1, 1, 2, 2)
        logits = model.pixel_logits(model.decode(z), x, z)
        total += torch.exp(-F.binary_cross_entropy_with_logits(logits, x, reduction="sum")).item()
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("options", [dict(channels=2),
                                     dict(context="made", made_hidden=16, condition_on_z=True)])
def test_iwae_uses_the_pixel_context_and_training_runs(options):
    torch.manual_seed(2)
    images = torch.rand(64, 1, 28, 28)
    model = PixelMLPVAE(hidden=(32,), latent_dim=4, **options)
    x = torch.bernoulli(images[:8])
    with torch.no_grad():  # K = 1 with the same noise: the IWAE bound is the model's ELBO
        torch.manual_seed(3)
        bound = iwae_estimate(model, x, k=1, seed=5)
        context = model.pixel_context
        (context[-1] if options.get("context", "conv") == "conv" else context.direct).bias.add_(3.0)
        # a different context must change the bound
        shifted = iwae_estimate(model, x, k=1, seed=5)
    assert not torch.allclose(bound, shifted)
    history = train_vae(model, images, epochs=1, batch_size=16, progress=False, device="cpu")
    assert len(history["elbo"]) >= 1
    samples = model.sample_given(torch.randn(2, 4))
    assert samples.shape == (2, 1, 28, 28) and set(samples.unique().tolist()) <= {0.0, 1.0}


def test_k_samples_at_once_match_one_sample_at_a_time():
    torch.manual_seed(4)
    model = PixelMLPVAE(hidden=(16,), latent_dim=3, context="made", made_hidden=8,
                        condition_on_z=True)
    x = torch.bernoulli(torch.full((5, 1, 28, 28), 0.3))
    z = torch.randn(4, 5, 3)  # K = 4 samples for each of 5 images, sample-major
    together = model.pixel_logits(model.decode(z.flatten(0, 1)), x, z.flatten(0, 1))
    one_by_one = torch.cat([model.pixel_logits(model.decode(z_k), x, z_k) for z_k in z])
    torch.testing.assert_close(together, one_by_one)
