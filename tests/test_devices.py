"""Every family trains on config.get_device(): its models, its batches and the generator its
latent draws come from (tools/device_check.py runs the same recipes on a GPU)."""
import functools

import pytest
import torch

from genlib import config, steps, zoo


def spying(step, seen):
    """``step`` that records the device of every model, batch and generator it is called with
    (each by its kind: a model by its class, ``Tensor``, ``Generator``)."""
    @functools.wraps(step)
    def spy(*args, **kwargs):
        for value in (*args, *kwargs.values()):
            if isinstance(value, torch.nn.Module):
                seen.update((type(value).__name__, p.device) for p in value.parameters())
            elif isinstance(value, (torch.Tensor, torch.Generator)):
                seen.add((type(value).__name__, value.device))
        return step(*args, **kwargs)
    return spy


RECIPES = [  # each family's recipe with its step, cut down to a few iterations
    (zoo.toy_gan, steps.gan_step, {"steps": 3}),
    (zoo.toy_wgan, steps.wgan_step, {"steps": 2}),
    (zoo.dcgan, steps.gan_step, {"train_images": 128}),
    (zoo.conv_vae, steps.vae_step, {"train_images": 256}),
    (zoo.warmup_vae, steps.warmup_vae_step, {"train_images": 256,
                                             "settings": {"warmup_steps": 2}}),
    (zoo.mlp_vae, steps.free_bits_vae_step, {"train_images": 256, "preset": "beta_vae"}),
    (zoo.cvae, steps.cvae_step, {"train_images": 256}),
    (zoo.vaegan, steps.vaegan_step, {"train_images": 128}),
    (zoo.bigan, steps.bigan_step, {"train_images": 256, "epochs": 1}),
    (zoo.classifier, steps.classifier_step, {"train_images": 256, "epochs": 1}),
]


@pytest.mark.parametrize("recipe, step, overrides", RECIPES,
                         ids=[f"{r.__name__}-{s.__name__}" for r, s, _ in RECIPES])
def test_every_family_trains_on_the_configured_device(recipe, step, overrides, quick_mode,
                                                      cache_dir, monkeypatch):
    device = torch.device("cpu")  # the only device CI has; the GPU check is tools/device_check.py
    asked = []
    monkeypatch.setattr(config, "get_device", lambda prefer=None: asked.append(1) or device)
    seen = set()
    models, history = recipe(step=spying(step, seen), **overrides)
    assert history.finished and asked
    assert {d for _, d in seen} == {device}, seen
    assert {"Generator", "Tensor"} <= {kind for kind, _ in seen}
    assert all(not m.training for m in models.values())  # returned in eval mode
