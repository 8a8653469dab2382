"""train_vae: it learns, logs both ELBO terms, guards against NaN, and checks its arguments."""
import math

import pytest
import torch

from genlib.data import load_images
from genlib.models.cvae import ConditionalVAE
from genlib.models.vae import MLPVAE
from genlib.training.vae import train_vae


@pytest.fixture(scope="module")
def digits():
    images, labels = load_images("digits", "train")  # 1500 8x8 images, always offline
    return images, labels


def small_vae(**kwargs):
    torch.manual_seed(0)
    return MLPVAE((1, 8, 8), latent_dim=4, hidden=(64,), **kwargs)


def test_training_raises_the_elbo_and_logs_both_terms(digits):
    images, _ = digits
    model = small_vae()
    history = train_vae(model, images, epochs=4, batch_size=64, lr=3e-3, log_every=6,
                        device="cpu")
    assert history.finished and not model.training
    assert set(history.keys()) >= {"elbo", "log_likelihood", "kl", "beta"}
    elbo, ll, kl = (torch.tensor(history[k]) for k in ("elbo", "log_likelihood", "kl"))
    assert len(elbo) == 4 * math.ceil(1500 / 64) // 6
    assert torch.allclose(elbo, ll - kl, atol=1e-4)
    assert (kl >= 0).all() and (ll <= 0).all()
    assert elbo[-3:].mean() > elbo[:3].mean() + 5  # nats per 64-pixel image


def test_same_seed_same_history(digits):
    images, _ = digits
    runs = [train_vae(small_vae(), images[:256], epochs=1, batch_size=64, log_every=2,
                      seed=5, device="cpu")["elbo"] for _ in range(2)]
    assert runs[0] == runs[1]


def test_kl_warmup_ramps_beta_and_free_bits_keep_the_kl_up(digits):
    images, _ = digits
    history = train_vae(small_vae(), images[:640], epochs=2, batch_size=64, warmup_steps=20,
                        log_every=1, device="cpu")
    assert history["beta"][0] == pytest.approx(1 / 20) and history["beta"][-1] == 1.0
    assert history["beta"][9] == pytest.approx(0.5)
    plain = train_vae(small_vae(), images, epochs=2, batch_size=64, beta=8.0, device="cpu")
    free = train_vae(small_vae(), images, epochs=2, batch_size=64, beta=8.0, free_bits=1.0,
                     device="cpu")
    # beta = 8 squeezes the KL; free bits of 1 nat per dimension (4 dimensions) hold it up
    assert free.last("kl") > plain.last("kl") + 1.0


def test_conditional_vae_trains_with_labels(digits):
    images, labels = digits
    torch.manual_seed(0)
    model = ConditionalVAE((1, 8, 8), num_classes=10, latent_dim=2, hidden=(32,))
    history = train_vae(model, images, labels, epochs=2, batch_size=64, lr=3e-3, log_every=4,
                        device="cpu")
    assert history["elbo"][-1] > history["elbo"][0]


def test_gaussian_likelihood_trains_on_grey_levels(digits):
    images, _ = digits
    model = small_vae(likelihood="gaussian", sigma=0.2)
    with pytest.raises(ValueError, match="dynamic binarisation"):
        train_vae(model, images, epochs=1)
    history = train_vae(model, images, epochs=2, batch_size=64, lr=3e-3, log_every=4,
                        dynamic_binarization=False, device="cpu")
    assert history["log_likelihood"][-1] > history["log_likelihood"][0]


def test_nan_guard_restores_the_last_good_weights(digits):
    images, _ = digits
    model = small_vae()
    good = {k: v.clone() for k, v in model.state_dict().items()}
    calls = {"n": 0}

    def poison(module, inputs, output):  # the decoder's output turns NaN at the 3rd step
        calls["n"] += 1
        return output * float("nan") if calls["n"] >= 3 else output

    model.decoder.register_forward_hook(poison)
    history = train_vae(model, images, epochs=1, batch_size=64, log_every=1, device="cpu")
    assert not history.finished and "loss became nan at step 2" in history.stop_reason
    assert len(history["elbo"]) == 2
    for key, value in model.state_dict().items():  # snapshot of step 0 restored
        assert torch.equal(value, good[key])


def test_time_budget_stops_training(digits):
    images, _ = digits
    history = train_vae(small_vae(), images, epochs=1000, batch_size=64, max_seconds=0.5,
                        device="cpu")
    assert history.finished and history.seconds < 5
    assert len(history["elbo"]) >= 1  # the steps since the last log are logged at the stop


@pytest.mark.parametrize("kwargs, match", [({"lr": 0}, "lr"), ({"epochs": 1.5}, "epochs"),
                                           ({"batch_size": -1}, "batch_size"),
                                           ({"beta": -1.0}, "beta"),
                                           ({"importance_samples": 0}, "importance_samples"),
                                           ({"importance_samples": 5, "beta": 0.5},
                                            "IWAE bound")])
def test_bad_arguments_are_refused(digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_vae(small_vae(), digits[0], **kwargs)


def test_cosine_learning_rate_decays_to_zero_and_bf16_autocast_trains(digits):
    images, _ = digits
    history = train_vae(small_vae(), images, epochs=2, batch_size=100, lr=4e-3, cosine_lr=True,
                        bf16=True, log_every=3, device="cpu")
    lrs = history["lr"]
    assert lrs[0] == pytest.approx(4e-3, rel=0.05) and lrs[-1] < 1e-4
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert all(math.isfinite(v) for v in history["elbo"])
    assert history["elbo"][-1] > history["elbo"][0]


def test_vae_recipes_hold_every_setting_and_cache_their_models(quick_mode, cache_dir):
    from genlib import zoo

    for name in ["mlp_vae", "conv_vae", "vae_2d", "beta_vae", "cvae"]:
        cfg = zoo.recipe_config(name)
        assert {"dataset", "train_images", "epochs", "batch_size", "lr", "cosine_lr", "beta",
                "warmup_steps", "free_bits", "seed", "latent_dim", "hidden"} <= set(cfg)
    models, history = zoo.pretrained("beta_vae", dataset="digits", train_images=300, beta=2.0)
    vae = models["vae"]
    assert vae.image_shape == (1, 8, 8) and history.finished and not history.from_cache
    assert {"test_elbo", "test_log_likelihood", "test_kl"} <= set(history.keys())
    again, cached = zoo.pretrained("beta_vae", dataset="digits", train_images=300, beta=2.0)
    assert cached.from_cache
    for key, value in again["vae"].state_dict().items():
        assert torch.equal(value, vae.state_dict()[key])


def test_compiled_objective_needs_a_constant_beta(digits):
    # (the compiled path itself runs in `bench/bench_vae.py --quick`: compiling takes a minute)
    with pytest.raises(ValueError, match="constant beta"):
        train_vae(small_vae(), digits[0], compile_loss=True, warmup_steps=10)


def test_importance_weighted_training_raises_its_bound_above_the_elbo(digits):
    """train_vae(importance_samples=K) logs L_K; after training, L_K of the trained model
    lies above its ELBO on the same images (Burda et al.: L_1 <= L_K)."""
    from genlib.metrics.likelihood import iwae_estimate

    images, _ = digits
    model = small_vae()
    history = train_vae(model, images, epochs=4, batch_size=64, lr=3e-3, log_every=6,
                        importance_samples=5, bf16=True, device="cpu")
    bound = torch.tensor(history["elbo"])
    assert torch.isfinite(bound).all() and bound[-3:].mean() > bound[:3].mean() + 5
    assert all(math.isnan(v) for v in history["kl"])
    x = torch.bernoulli(images[:200], generator=torch.Generator().manual_seed(0))
    assert iwae_estimate(model, x, k=5, seed=1).mean() > iwae_estimate(model, x, k=1, seed=1).mean()
