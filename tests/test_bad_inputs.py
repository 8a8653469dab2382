"""Bad inputs at genlib's public boundary raise an error that names the argument.

One parametrised test, one case per bad call, grouped by the categories of the reliability
review (``reliability.md``):

1. data: ``load_images``, ``Batches``, the 2-D toys;
2. checkpoint cache: the zoo recipes' overrides (sizes, counts, budgets, learning rates,
   weights, flags) and ``retrain``;
3. training loops: ``train`` and ``TrainingRun`` (counts, budgets, data, models, the step);
4. objectives and metrics: mismatched shapes, values outside the domain (pixels outside
   [0, 1] for a Bernoulli likelihood, probabilities that do not sum to 1, negative sigma or
   variances, NaN), empty batches, zero or non-integer counts;
5. widgets: decoders making images outside [0, 1] or of the wrong number, latents, dims,
   ranges, scales, frames, extents, pickers, the live view;
6. environment variables read in ``genlib.config`` (``GENLIB_QUICK`` and the other yes/no
   flags, ``GENLIB_THREADS``, ``GENLIB_DEVICE``);
7. reproducibility: seeds that are not whole numbers.

Each case is ``(callable, expected exception type, argument name)``: the callable makes one
bad call into genlib's public API (it receives pytest's ``monkeypatch`` for the environment);
the test asserts the type and that the message names the argument. Everything is tiny: no
case trains beyond a step or two, none reads a data file.
"""
import re

import numpy as np
import pytest
import torch
from torch import nn

from genlib import config, zoo
from genlib.data import Batches, DataError, binarize, load_images, toy2d
from genlib.data.sources import download
from genlib.metrics import (Contender, class_coverage_kl, class_histogram, classifier_features,
                            confident_share, fixed_binarization, frechet_distance,
                            gaussian_frechet_distance, iwae_estimate, iwae_log_weights,
                            linear_probe_accuracy, mean_and_covariance, mode_coverage, same_mode_share,
                            nearest_neighbours, precision_recall, vae_elbo)
from genlib.models.classifier import SmallClassifier
from genlib.models.dcgan import DCGANGenerator
from genlib.models.vae import MLPVAE
from genlib.objectives import (critic_loss, discriminator_loss, elbo, gan_value, gaussian_kl,
                               generator_loss, gradient_penalty, iwae_bound, js_divergence,
                               optimal_discriminator, reparameterize)
from genlib.objectives.elbo import bernoulli_log_likelihood, gaussian_log_likelihood
from genlib.steps import free_bits_vae_step, warmup_vae_step
from genlib.training import CheckpointMismatchError, TrainingRun, adam, load_checkpoint, train
from genlib.widgets import (class_picker, interpolation, latent_map, latent_sliders,
                            live_training, model_picker)

NAN = float("nan")


# -- tiny inputs ------------------------------------------------------------------------------

def rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def pixels(n=4):
    """n grey 1 x 4 x 4 images in [0, 1]."""
    return rand(n, 1, 4, 4)


def binary(n=4):
    return torch.bernoulli(pixels(n), generator=torch.Generator().manual_seed(1))


def tiny_vae():
    torch.manual_seed(0)
    return MLPVAE((1, 4, 4), latent_dim=2, hidden=(8,))


def decoder(z):
    """2-D latents -> 1 x 4 x 4 images in [0, 1]."""
    return torch.sigmoid(z[:, :1, None, None]).expand(-1, 1, 4, 4)


def other_size_decoder(z):
    return torch.sigmoid(z[:, :1, None, None]).expand(-1, 1, 6, 6)


def regression_step(net, opt, x, rng):
    loss = net(x).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


def train_call(**overrides):
    """``train`` of a linear model on 16 points, with ``overrides`` of its arguments."""
    net = nn.Linear(3, 1)
    opt = adam(net.parameters())
    kwargs = dict(update=lambda x, rng, t: regression_step(net, opt, x, rng), models=[net],
                  optimizers=[opt], data=randn(16, 3), steps=2, batch_size=4, progress=False)
    kwargs.update(overrides)
    return train(**kwargs)


def with_env(monkeypatch, call, **variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return call()


def gp_critic(x):
    return x.flatten(1).sum(1)


def bn_generator():
    """A DCGAN generator (with BatchNorm) left in train mode."""
    torch.manual_seed(0)
    return DCGANGenerator(latent_dim=2, width=2).train()


def load_odd_checkpoint(name, weights=1.0, history=None):
    """Save a linear model (every weight ``weights``) with ``history`` as file ``name`` outside
    the cache, and load it back."""
    net = nn.Linear(2, 1)
    nn.init.constant_(net.weight, weights)
    path = config.data_root().parent / "files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": {}, "models": {"net": net.state_dict()}, "history": history,
                "extra": {}}, path)
    return load_checkpoint(path, {"net": nn.Linear(2, 1)})


def uncalled(_):
    raise AssertionError("never called")


# -- the cases --------------------------------------------------------------------------------

DATA = [
    ("load_images limit=0", lambda mp: load_images("digits", limit=0), DataError, "limit"),
    ("load_images limit=-3", lambda mp: load_images("digits", limit=-3), DataError, "limit"),
    ("load_images limit=2.5", lambda mp: load_images("digits", limit=2.5), DataError, "limit"),
    ("load_images limit=True", lambda mp: load_images("digits", limit=True), DataError, "limit"),
    ("load_images split", lambda mp: load_images("digits", split="valid"), DataError, "split"),
    ("Batches batch_size=0", lambda mp: Batches(pixels(), batch_size=0), ValueError,
     "batch_size"),
    ("Batches batch_size=True", lambda mp: Batches(pixels(), batch_size=True), TypeError,
     "batch_size"),
    ("Batches batch_size=2.5", lambda mp: Batches(pixels(), batch_size=2.5), TypeError,
     "batch_size"),
    ("Batches lengths differ", lambda mp: Batches(pixels(4), torch.zeros(3), batch_size=2),
     ValueError, "tensors"),
    ("ring std=-1", lambda mp: toy2d.ring(std=-1.0), ValueError, "std"),
    ("grid std=0", lambda mp: toy2d.grid(std=0.0), ValueError, "std"),
    ("load_images root missing", lambda mp: load_images("fashion-mnist", root="/no/such/dir"),
     DataError, "root"),
    ("GENLIB_DATASET unknown", lambda mp: (mp.setenv("GENLIB_DATASET", "cifar"), load_images()),
     DataError, "GENLIB_DATASET"),
    ("binarize NaN", lambda mp: binarize(torch.full((2, 1, 2, 2), NAN)), ValueError, "images"),
    ("binarize 0..255", lambda mp: binarize(torch.full((2, 1, 2, 2), 255.0)), ValueError,
     "images"),
    ("download deadline=0", lambda mp: download("f", "/tmp", [], deadline=0), ValueError,
     "deadline"),
]

CACHE = [  # every keyword and setting is checked (zoo/settings.py) before anything is built
    ("toy_gan latent_dim=0", lambda mp: zoo.toy_gan(latent_dim=0), ValueError, "latent_dim"),
    ("toy_gan latent_dim=-1", lambda mp: zoo.toy_gan(latent_dim=-1), ValueError, "latent_dim"),
    ("toy_gan latent_dim=2.5", lambda mp: zoo.toy_gan(latent_dim=2.5), TypeError, "latent_dim"),
    ("toy_gan latent_dim=True", lambda mp: zoo.toy_gan(latent_dim=True), TypeError,
     "latent_dim"),
    ("toy_gan latent_dim='2'", lambda mp: zoo.toy_gan(latent_dim="2"), TypeError, "latent_dim"),
    ("toy_gan hidden=0", lambda mp: zoo.toy_gan(hidden=0), ValueError, "hidden"),
    ("toy_gan depth=0", lambda mp: zoo.toy_gan(depth=0), ValueError, "depth"),
    ("toy_gan steps=0", lambda mp: zoo.toy_gan(steps=0), ValueError, "steps"),
    ("toy_gan steps=-5", lambda mp: zoo.toy_gan(steps=-5), ValueError, "steps"),
    ("toy_gan batch_size=0", lambda mp: zoo.toy_gan(batch_size=0), ValueError, "batch_size"),
    ("toy_gan lr=0", lambda mp: zoo.toy_gan(lr=0.0), ValueError, "lr"),
    ("toy_gan lr<0", lambda mp: zoo.toy_gan(lr=-1e-3), ValueError, "lr"),
    ("toy_gan lr=nan", lambda mp: zoo.toy_gan(lr=NAN), ValueError, "lr"),
    ("toy_gan betas>1", lambda mp: zoo.toy_gan(betas=(1.5, 0.9)), ValueError, "betas"),
    ("toy_gan betas scalar", lambda mp: zoo.toy_gan(betas=0.5), ValueError, "betas"),
    ("toy_gan snapshots='yes'", lambda mp: zoo.toy_gan(snapshots="yes"), TypeError,
     "snapshots"),
    ("toy_gan decay_lr=1", lambda mp: zoo.toy_gan(decay_lr=1), TypeError, "decay_lr"),
    ("toy_gan saturating='no'", lambda mp: zoo.toy_gan(settings=dict(saturating="no")),
     TypeError, "saturating"),
    ("toy_gan saturating as a config key", lambda mp: zoo.toy_gan(saturating=True), TypeError,
     "saturating"),
    ("toy_gan unknown key", lambda mp: zoo.toy_gan(latent_dims=2), TypeError, "latent_dims"),
    ("toy_gan unknown setting", lambda mp: zoo.toy_gan(settings=dict(saturate=True)), TypeError,
     "saturate"),
    ("toy_gan settings a list", lambda mp: zoo.toy_gan(settings=[("saturating", True)]),
     TypeError, "settings"),
    ("toy_gan latent_dim as a setting", lambda mp: zoo.toy_gan(settings=dict(latent_dim=2)),
     TypeError, "latent_dim"),
    ("toy_gan data=2", lambda mp: zoo.toy_gan(data=2), TypeError, "data"),
    ("toy_gan retrain='yes'", lambda mp: zoo.toy_gan(retrain="yes"), TypeError, "retrain"),
    ("checkpoint of NaN weights", lambda mp: load_odd_checkpoint("nan.pt", weights=NAN),
     CheckpointMismatchError, "nan.pt"),
    ("checkpoint whose history is a str",
     lambda mp: load_odd_checkpoint("text.pt", history="finished"), CheckpointMismatchError,
     "text.pt"),
    ("checkpoint whose metrics are a list",
     lambda mp: load_odd_checkpoint("list.pt", history={"metrics": [1.0], "steps": {}}),
     CheckpointMismatchError, "list.pt"),
    ("toy_wgan gp_weight<0", lambda mp: zoo.toy_wgan(settings=dict(gp_weight=-10.0)),
     ValueError, "gp_weight"),
    ("toy_wgan clip<0", lambda mp: zoo.toy_wgan(settings=dict(gp_weight=0.0, clip=-0.01)),
     ValueError, "clip"),
    ("toy_wgan no constraint", lambda mp: zoo.toy_wgan(settings=dict(gp_weight=0.0, clip=0.0)),
     ValueError, "gp_weight"),
    ("toy_wgan clipping, optimizer not chosen",
     lambda mp: zoo.toy_wgan(settings=dict(gp_weight=0.0, clip=0.01)), ValueError, "optimizer"),
    ("toy_wgan optimizer='sgd'", lambda mp: zoo.toy_wgan(optimizer="sgd"), ValueError,
     "optimizer"),
    ("toy_wgan n_critic=0", lambda mp: zoo.toy_wgan(settings=dict(n_critic=0)), ValueError,
     "n_critic"),
    ("toy_wgan n_critic=2.5", lambda mp: zoo.toy_wgan(settings=dict(n_critic=2.5)), TypeError,
     "n_critic"),
    ("dcgan width=0", lambda mp: zoo.dcgan(width=0), ValueError, "width"),
    ("dcgan latent_dim=0", lambda mp: zoo.dcgan(latent_dim=0), ValueError, "latent_dim"),
    ("dcgan epochs=0", lambda mp: zoo.dcgan(epochs=0), ValueError, "epochs"),
    ("dcgan train_images=0", lambda mp: zoo.dcgan(train_images=0), ValueError, "train_images"),
    ("dcgan train_images=2.5", lambda mp: zoo.dcgan(train_images=2.5), ValueError,
     "train_images"),
    ("dcgan lr_g=0", lambda mp: zoo.dcgan(lr_g=0.0), ValueError, "lr_g"),
    ("dcgan lr_d<0", lambda mp: zoo.dcgan(lr_d=-1e-4), ValueError, "lr_d"),
    ("dcgan batch_size<0", lambda mp: zoo.dcgan(batch_size=-64), ValueError, "batch_size"),
    ("mlp_vae latent_dim=0", lambda mp: zoo.mlp_vae(latent_dim=0), ValueError, "latent_dim"),
    ("mlp_vae hidden has 0", lambda mp: zoo.mlp_vae(hidden=[512, 0]), ValueError, "hidden"),
    ("mlp_vae hidden empty", lambda mp: zoo.mlp_vae(hidden=[]), ValueError, "hidden"),
    ("conv_vae latent_dim=-1", lambda mp: zoo.conv_vae(latent_dim=-1), ValueError,
     "latent_dim"),
    ("conv_vae width=0", lambda mp: zoo.conv_vae(width=0), ValueError, "width"),
    ("mlp_vae preset vae_2d epochs=0", lambda mp: zoo.mlp_vae(preset="vae_2d", epochs=0),
     ValueError, "epochs"),
    ("mlp_vae unknown preset", lambda mp: zoo.mlp_vae(preset="big"), ValueError, "preset"),
    ("mlp_vae preset=2", lambda mp: zoo.mlp_vae(preset=2), TypeError, "preset"),
    ("mlp_vae beta<0", lambda mp: zoo.mlp_vae(settings=dict(beta=-1.0)), ValueError, "beta"),
    ("mlp_vae beta=nan", lambda mp: zoo.mlp_vae(settings=dict(beta=NAN)), ValueError, "beta"),
    ("mlp_vae beta='4'", lambda mp: zoo.mlp_vae(settings=dict(beta="4")), TypeError, "beta"),
    ("mlp_vae beta as a config key", lambda mp: zoo.mlp_vae(beta=4.0), TypeError, "beta"),
    ("warmup_vae warmup_steps=0",
     lambda mp: zoo.warmup_vae(step=warmup_vae_step, settings=dict(warmup_steps=0)), ValueError,
     "warmup_steps"),
    ("warmup_vae unknown setting",
     lambda mp: zoo.warmup_vae(settings=dict(warmup=10)), TypeError, "warmup"),
    ("mlp_vae free_bits<0",
     lambda mp: zoo.mlp_vae(step=free_bits_vae_step, settings=dict(free_bits=-0.5)), ValueError,
     "free_bits"),
    ("cvae latent_dim=0", lambda mp: zoo.cvae(latent_dim=0), ValueError, "latent_dim"),
    ("vaegan encoder_width=0", lambda mp: zoo.vaegan(encoder_width=0), ValueError,
     "encoder_width"),
    ("vaegan gamma<0", lambda mp: zoo.vaegan(settings=dict(gamma=-1.0)), ValueError, "gamma"),
    ("bigan hidden=0", lambda mp: zoo.bigan(hidden=0), ValueError, "hidden"),
    ("classifier channels=0", lambda mp: zoo.classifier(channels=0), ValueError, "channels"),
    ("classifier feature_dim=0", lambda mp: zoo.classifier(feature_dim=0), ValueError,
     "feature_dim"),
    ("classifier batch_size=0", lambda mp: zoo.classifier(batch_size=0), ValueError,
     "batch_size"),
]

LOOPS = [
    ("train steps=0", lambda mp: train_call(steps=0), ValueError, "steps"),
    ("train steps=-5", lambda mp: train_call(steps=-5), ValueError, "steps"),
    ("train steps=2.5", lambda mp: train_call(steps=2.5), TypeError, "steps"),
    ("train steps=True", lambda mp: train_call(steps=True), TypeError, "steps"),
    ("train batch_size=0", lambda mp: train_call(batch_size=0), ValueError, "batch_size"),
    ("train batch_size=True", lambda mp: train_call(batch_size=True), TypeError, "batch_size"),
    ("train batch_size=1.5", lambda mp: train_call(batch_size=1.5), TypeError, "batch_size"),
    ("train batch_size > data", lambda mp: train_call(batch_size=100), ValueError, "batch_size"),
    ("train log_every=0", lambda mp: train_call(log_every=0), ValueError, "log_every"),
    ("train callback_every=0", lambda mp: train_call(callback=lambda t: None, callback_every=0),
     ValueError, "callback_every"),
    ("train callback_every=2.5",
     lambda mp: train_call(callback=lambda t: None, callback_every=2.5), TypeError,
     "callback_every"),
    ("train callback not callable", lambda mp: train_call(callback=3), TypeError, "callback"),
    ("train empty data", lambda mp: train_call(data=torch.zeros(0, 3)), ValueError, "data"),
    ("train NaN data", lambda mp: train_call(data=torch.full((16, 3), NAN)), ValueError, "data"),
    ("train labels differ in number",
     lambda mp: train_call(update=lambda xy, rng, t: {"loss": 0.0},
                           data=(randn(16, 3), torch.zeros(15, dtype=torch.long))),
     ValueError, "data"),
    ("train data a string", lambda mp: train_call(data="images"), TypeError, "data"),
    ("train data of 3 tensors", lambda mp: train_call(data=[randn(16, 3)] * 3), TypeError,
     "data"),
    ("train models a dict", lambda mp: train_call(models={"net": nn.Linear(3, 1)}), TypeError,
     "models"),
    ("train a model not a Module", lambda mp: train_call(models=["net"]), TypeError, "models"),
    ("train optimizers a dict",
     lambda mp: train_call(optimizers={"opt": adam(nn.Linear(3, 1).parameters())}), TypeError,
     "optimizers"),
    ("train update not callable", lambda mp: train_call(update=None), TypeError, "update"),
    ("train update returns a float",
     lambda mp: train_call(update=lambda x, rng, t: 0.0), TypeError, "update"),
    ("TrainingRun total=-5", lambda mp: TrainingRun(total=-5), ValueError, "total"),
    ("TrainingRun total=0", lambda mp: TrainingRun(total=0), ValueError, "total"),
    ("TrainingRun total=2.5", lambda mp: TrainingRun(total=2.5), TypeError, "total"),
    ("TrainingRun snapshot_every=0", lambda mp: TrainingRun(10, snapshot_every=0), ValueError,
     "snapshot_every"),
    ("TrainingRun models not Modules", lambda mp: TrainingRun(10, models=[object()]), TypeError,
     "models"),
    ("classifier 28x28 images into an 8x8 one",
     lambda mp: classifier_features(SmallClassifier(8), rand(2, 1, 28, 28)), ValueError,
     "images"),
    ("classifier batch_size=0",
     lambda mp: classifier_features(SmallClassifier(8), rand(2, 1, 8, 8), batch_size=0),
     ValueError, "batch_size"),
]

x4, logits4, mu4, logvar4 = binary(4), randn(4, 1, 4, 4), randn(4, 2), randn(4, 2)

OBJECTIVES = [
    ("elbo x in 0..255", lambda mp: elbo(pixels() * 255, logits4, mu4, logvar4), ValueError, "x"),
    ("elbo x in [-1, 1]", lambda mp: elbo(pixels() * 2 - 1, logits4, mu4, logvar4), ValueError,
     "x"),
    ("elbo x NaN", lambda mp: elbo(torch.full((4, 1, 4, 4), NAN), logits4, mu4, logvar4),
     ValueError, "x"),
    ("elbo x integer", lambda mp: elbo(x4.long(), logits4, mu4, logvar4), TypeError, "x"),
    ("elbo x uint8", lambda mp: elbo((pixels() * 255).to(torch.uint8), logits4, mu4, logvar4),
     TypeError, "x"),
    ("elbo empty batch", lambda mp: elbo(x4[:0], logits4[:0], mu4[:0], logvar4[:0]), ValueError,
     "x"),
    ("elbo gaussian empty batch",
     lambda mp: elbo(x4[:0], logits4[:0], mu4[:0], logvar4[:0], likelihood="gaussian"),
     ValueError, "x"),
    ("elbo decoder_output shape", lambda mp: elbo(x4, logits4[:, :, :2], mu4, logvar4),
     ValueError, "decoder_output"),
    ("elbo mu of batch 1 with x of batch 4", lambda mp: elbo(x4, logits4, mu4[:1], logvar4[:1]),
     ValueError, "mu"),
    ("elbo mu (4,1) with logvar (1,4)",
     lambda mp: elbo(x4, logits4, randn(4, 1), randn(1, 4)), ValueError, "logvar"),
    ("elbo beta<0", lambda mp: elbo(x4, logits4, mu4, logvar4, beta=-1.0), ValueError, "beta"),
    ("elbo beta='1'", lambda mp: elbo(x4, logits4, mu4, logvar4, beta="1"), TypeError, "beta"),
    ("elbo gaussian sigma<0",
     lambda mp: elbo(x4, logits4, mu4, logvar4, likelihood="gaussian", sigma=-1.0), ValueError,
     "sigma"),
    ("elbo gaussian sigma=0",
     lambda mp: elbo(x4, logits4, mu4, logvar4, likelihood="gaussian", sigma=0.0), ValueError,
     "sigma"),
    ("elbo likelihood", lambda mp: elbo(x4, logits4, mu4, logvar4, likelihood="poisson"),
     ValueError, "likelihood"),
    ("gaussian_kl numpy", lambda mp: gaussian_kl(np.zeros((4, 2)), np.zeros((4, 2))), TypeError,
     "mu"),
    ("gaussian_kl shapes", lambda mp: gaussian_kl(randn(4, 1), randn(1, 4)), ValueError,
     "logvar"),
    ("gaussian_kl integer", lambda mp: gaussian_kl(torch.zeros(4, 2, dtype=torch.long), logvar4),
     TypeError, "mu"),
    ("gaussian_log_likelihood sigma=nan",
     lambda mp: gaussian_log_likelihood(x4, logits4, sigma=NAN), ValueError, "sigma"),
    ("gaussian_log_likelihood shapes", lambda mp: gaussian_log_likelihood(x4, logits4[:2]),
     ValueError, "mean"),
    ("bernoulli_log_likelihood shapes", lambda mp: bernoulli_log_likelihood(x4, logits4[:, 0]),
     ValueError, "logits"),
    ("reparameterize shapes", lambda mp: reparameterize(randn(4, 1), randn(1, 4)), ValueError,
     "logvar"),
    ("iwae_bound K=0", lambda mp: iwae_bound(torch.zeros(0, 4)), ValueError, "log_weights"),
    ("iwae_bound scalar", lambda mp: iwae_bound(torch.tensor(1.0)), ValueError, "log_weights"),
    ("iwae_bound integer", lambda mp: iwae_bound(torch.zeros(3, 4, dtype=torch.long)), TypeError,
     "log_weights"),
    ("iwae_estimate k=0", lambda mp: iwae_estimate(tiny_vae(), binary(), k=0), ValueError, "k"),
    ("iwae_estimate k=True", lambda mp: iwae_estimate(tiny_vae(), binary(), k=True), TypeError,
     "k"),
    ("iwae_estimate k=2.5", lambda mp: iwae_estimate(tiny_vae(), binary(), k=2.5), TypeError,
     "k"),
    ("iwae_estimate grey images", lambda mp: iwae_estimate(tiny_vae(), pixels(), k=2), ValueError,
     "images"),
    ("iwae_estimate 0..255 images",
     lambda mp: iwae_estimate(tiny_vae(), binary() * 255, k=2), ValueError, "images"),
    ("iwae_estimate empty", lambda mp: iwae_estimate(tiny_vae(), binary()[:0], k=2), ValueError,
     "images"),
    ("iwae_estimate labels to an unconditional VAE",
     lambda mp: iwae_estimate(tiny_vae(), binary(), k=2, labels=torch.zeros(4, dtype=torch.long)),
     ValueError, "labels"),
    ("iwae_estimate samples_per_pass=0",
     lambda mp: iwae_estimate(tiny_vae(), binary(), k=2, samples_per_pass=0), ValueError,
     "samples_per_pass"),
    ("iwae_log_weights k=0", lambda mp: iwae_log_weights(tiny_vae(), binary(), k=0), ValueError,
     "k"),
    ("vae_elbo x in 0..255", lambda mp: vae_elbo(tiny_vae(), binary() * 255), ValueError, "x"),
    ("vae_elbo not a VAE", lambda mp: vae_elbo(nn.Linear(2, 2), binary()), TypeError, "vae"),
    ("fixed_binarization 0..255", lambda mp: fixed_binarization(pixels() * 255), ValueError,
     "images"),
    ("fixed_binarization NaN", lambda mp: fixed_binarization(torch.full((2, 1, 4, 4), NAN)),
     ValueError, "images"),
    ("fixed_binarization uint8",
     lambda mp: fixed_binarization(torch.zeros(2, 1, 4, 4, dtype=torch.uint8)), TypeError,
     "images"),
    ("js_divergence unnormalised p", lambda mp: js_divergence([2.0, 0.0], [0.0, 1.0]), ValueError,
     "p"),
    ("js_divergence unnormalised q", lambda mp: js_divergence([1.0, 0.0], [0.0, 2.0]), ValueError,
     "q"),
    ("js_divergence negative", lambda mp: js_divergence([1.5, -0.5], [0.5, 0.5]), ValueError, "p"),
    ("js_divergence empty", lambda mp: js_divergence([], []), ValueError, "p"),
    ("js_divergence NaN", lambda mp: js_divergence([NAN, 1.0], [0.5, 0.5]), ValueError, "p"),
    ("js_divergence lengths", lambda mp: js_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), ValueError,
     "q"),
    ("optimal_discriminator negative",
     lambda mp: optimal_discriminator(torch.tensor([-1.0]), torch.tensor([0.5])), ValueError,
     "p_data"),
    ("optimal_discriminator NaN",
     lambda mp: optimal_discriminator(torch.tensor([NAN]), torch.tensor([0.5])), ValueError,
     "p_data"),
    ("optimal_discriminator negative p_model",
     lambda mp: optimal_discriminator(torch.tensor([0.5]), torch.tensor([-0.5])), ValueError,
     "p_model"),
    ("optimal_discriminator shapes",
     lambda mp: optimal_discriminator(torch.ones(3), torch.ones(4)), ValueError, "p_model"),
    ("gan_value empty real", lambda mp: gan_value(torch.zeros(0), torch.zeros(4)), ValueError,
     "real_logits"),
    ("gan_value empty fake", lambda mp: gan_value(torch.zeros(4), torch.zeros(0)), ValueError,
     "fake_logits"),
    ("discriminator_loss integer logits",
     lambda mp: discriminator_loss(torch.ones(4, dtype=torch.long), torch.zeros(4)), TypeError,
     "real_logits"),
    ("generator_loss empty", lambda mp: generator_loss(torch.zeros(0)), ValueError,
     "fake_logits"),
    ("generator_loss kind", lambda mp: generator_loss(torch.zeros(4), kind="minimax"),
     ValueError, "kind"),
    ("critic_loss empty real", lambda mp: critic_loss(torch.zeros(0), torch.zeros(4)),
     ValueError, "real_scores"),
    ("critic_loss empty fake", lambda mp: critic_loss(torch.zeros(4), torch.zeros(0)),
     ValueError, "fake_scores"),
    ("gradient_penalty empty", lambda mp: gradient_penalty(gp_critic, randn(0, 2), randn(0, 2)),
     ValueError, "real"),
    ("gradient_penalty shapes", lambda mp: gradient_penalty(gp_critic, randn(4, 2), randn(3, 2)),
     ValueError, "fake"),
    ("gradient_penalty critic ignores x",
     lambda mp: gradient_penalty(lambda x: torch.ones(len(x)), randn(4, 2), randn(4, 2)),
     ValueError, "critic"),
    ("gradient_penalty critic ignores x (parameters)",
     lambda mp: gradient_penalty(lambda x, w=nn.Parameter(torch.ones(())): w.expand(len(x)),
                                 randn(4, 2), randn(4, 2)), ValueError, "critic"),
    ("gaussian_frechet negative variance",
     lambda mp: gaussian_frechet_distance(torch.zeros(2), torch.diag(torch.tensor([1.0, -1.0])),
                                          torch.zeros(2), torch.eye(2)), ValueError, "cov_a"),
    ("gaussian_frechet non-symmetric",
     lambda mp: gaussian_frechet_distance(torch.zeros(2), torch.eye(2), torch.zeros(2),
                                          torch.tensor([[1.0, 0.5], [0.0, 1.0]])), ValueError,
     "cov_b"),
    ("gaussian_frechet dimensions",
     lambda mp: gaussian_frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(2),
                                          torch.eye(2)), ValueError, "mu_b"),
    ("gaussian_frechet covariance shape",
     lambda mp: gaussian_frechet_distance(torch.zeros(3), torch.eye(2), torch.zeros(3),
                                          torch.eye(3)), ValueError, "cov_a"),
    ("gaussian_frechet NaN mean",
     lambda mp: gaussian_frechet_distance(torch.tensor([NAN, 0.0]), torch.eye(2), torch.zeros(2),
                                          torch.eye(2)), ValueError, "mu_a"),
    ("frechet_distance d 5 vs 6", lambda mp: frechet_distance(randn(10, 5), randn(10, 6)),
     ValueError, "feats_b"),
    ("frechet_distance NaN", lambda mp: frechet_distance(torch.full((10, 3), NAN), randn(10, 3)),
     ValueError, "feats_a"),
    ("frechet_distance one row", lambda mp: frechet_distance(randn(1, 3), randn(10, 3)),
     ValueError, "feats_a"),
    ("mean_and_covariance 1-D", lambda mp: mean_and_covariance(randn(10)), ValueError,
     "features"),
    ("precision_recall NaN",
     lambda mp: precision_recall(randn(10, 3), torch.full((10, 3), NAN)), ValueError,
     "generated_features"),
    ("precision_recall empty", lambda mp: precision_recall(randn(0, 3), randn(10, 3)),
     ValueError, "real_features"),
    ("precision_recall k=0", lambda mp: precision_recall(randn(10, 3), randn(10, 3), k=0),
     ValueError, "k"),
    ("precision_recall too few points", lambda mp: precision_recall(randn(3, 3), randn(10, 3)),
     ValueError, "real_features"),
    ("precision_recall dimensions", lambda mp: precision_recall(randn(10, 3), randn(10, 4)),
     ValueError, "generated_features"),
    ("nearest_neighbours empty", lambda mp: nearest_neighbours(randn(0, 3), randn(5, 3)),
     ValueError, "queries"),
    ("nearest_neighbours k=0", lambda mp: nearest_neighbours(randn(2, 3), randn(5, 3), k=0),
     ValueError, "k"),
    ("nearest_neighbours k too large", lambda mp: nearest_neighbours(randn(2, 3), randn(5, 3), k=6),
     ValueError, "k"),
    ("nearest_neighbours NaN reference",
     lambda mp: nearest_neighbours(randn(2, 3), torch.full((5, 3), NAN)), ValueError,
     "reference"),
    ("class_histogram label beyond n_classes",
     lambda mp: class_histogram(torch.tensor([0, 12]), n_classes=10), ValueError, "n_classes"),
    ("class_histogram n_classes=0", lambda mp: class_histogram(torch.tensor([0, 1]), n_classes=0),
     ValueError, "n_classes"),
    ("class_histogram n_classes=2.5",
     lambda mp: class_histogram(torch.tensor([0, 1]), n_classes=2.5), TypeError, "n_classes"),
    ("class_histogram negative label", lambda mp: class_histogram(torch.tensor([0, -1])),
     ValueError, "probs_or_labels"),
    ("class_histogram empty", lambda mp: class_histogram(torch.zeros(0, dtype=torch.long)),
     ValueError, "probs_or_labels"),
    ("class_histogram float labels", lambda mp: class_histogram(torch.tensor([0.0, 1.0])),
     ValueError, "probs_or_labels"),
    ("class_histogram logits", lambda mp: class_histogram(randn(4, 3) * 5), ValueError,
     "probs_or_labels"),
    ("class_coverage_kl not a histogram",
     lambda mp: class_coverage_kl(torch.tensor([0.5, 0.7]), torch.tensor([0, 1])), ValueError,
     "generated"),
    ("confident_share logits", lambda mp: confident_share(torch.full((4, 2), 0.5) + randn(4, 2)),
     ValueError, "probs"),
    ("confident_share NaN", lambda mp: confident_share(torch.full((4, 2), NAN)), ValueError,
     "probs"),
    ("confident_share empty", lambda mp: confident_share(torch.zeros(0, 10)), ValueError, "probs"),
    ("confident_share threshold>1",
     lambda mp: confident_share(torch.full((4, 2), 0.5), threshold=1.5), ValueError, "threshold"),
    ("mode_coverage std=0",
     lambda mp: mode_coverage(randn(8, 2), torch.zeros(2, 2), std=0.0), ValueError, "std"),
    ("same_mode_share shapes differ",
     lambda mp: same_mode_share(randn(8, 2), randn(7, 2), torch.zeros(2, 2)), ValueError, "images"),
    ("same_mode_share empty",
     lambda mp: same_mode_share(randn(0, 2), randn(0, 2), torch.zeros(2, 2)), ValueError, "points"),
    ("same_mode_share NaN",
     lambda mp: same_mode_share(torch.full((4, 2), float("nan")), randn(4, 2), torch.zeros(2, 2)),
     ValueError, "points"),
    ("mode_coverage empty",
     lambda mp: mode_coverage(randn(0, 2), torch.zeros(2, 2), std=0.1), ValueError, "samples"),
    ("mode_coverage NaN",
     lambda mp: mode_coverage(torch.full((8, 2), NAN), torch.zeros(2, 2), std=0.1), ValueError,
     "samples"),
    ("mode_coverage modes dimension",
     lambda mp: mode_coverage(randn(8, 2), torch.zeros(2, 3), std=0.1), ValueError, "modes"),
    ("linear_probe max_iter=0",
     lambda mp: linear_probe_accuracy(randn(6, 2), torch.tensor([0, 1] * 3), randn(4, 2),
                                      torch.tensor([0, 1] * 2), max_iter=0), ValueError,
     "max_iter"),
    ("linear_probe feature dimensions",
     lambda mp: linear_probe_accuracy(randn(6, 2), torch.tensor([0, 1] * 3), randn(4, 3),
                                      torch.tensor([0, 1] * 2)), ValueError, "test_features"),
    ("linear_probe labels in number",
     lambda mp: linear_probe_accuracy(randn(6, 2), torch.tensor([0, 1]), randn(4, 2),
                                      torch.tensor([0, 1] * 2)), ValueError, "train_labels"),
    ("Contender.sample n=0", lambda mp: Contender("c", decoder, 2).sample(0), ValueError, "n"),
    ("Contender.sample batch_size=0",
     lambda mp: Contender("c", decoder, 2).sample(4, batch_size=0), ValueError, "batch_size"),
]

z2 = torch.zeros(2)

WIDGETS = [
    ("decoder output in [-1, 1]",
     lambda mp: latent_sliders(lambda z: decoder(z) * 2 - 1, z2 - 3), ValueError, "decoder"),
    ("decoder output 0..255", lambda mp: latent_sliders(lambda z: decoder(z) * 255, z2),
     ValueError, "decoder"),
    ("decoder output NaN", lambda mp: latent_sliders(lambda z: decoder(z) * NAN, z2), ValueError,
     "decoder"),
    ("decoder returns batch 0", lambda mp: latent_sliders(lambda z: decoder(z)[:0], z2),
     ValueError, "decoder"),
    ("decoder in train mode with BatchNorm",
     lambda mp: latent_sliders(bn_generator().generate, z2), ValueError, "decoder"),
    ("decoder not callable", lambda mp: latent_sliders("vae.generate", z2), TypeError,
     "decoder"),
    ("sliders dims=[1.7]", lambda mp: latent_sliders(decoder, z2, dims=[1.7]), TypeError, "dims"),
    ("sliders dims='01'", lambda mp: latent_sliders(decoder, z2, dims="01"), TypeError, "dims"),
    ("sliders dims=[True]", lambda mp: latent_sliders(decoder, z2, dims=[True]), TypeError,
     "dims"),
    ("sliders dims out of range", lambda mp: latent_sliders(decoder, z2, dims=[5]), ValueError,
     "dims"),
    ("sliders value_range reversed",
     lambda mp: latent_sliders(decoder, z2, value_range=(3, -3)), ValueError, "value_range"),
    ("sliders value_range zero", lambda mp: latent_sliders(decoder, z2, value_range=(1, 1)),
     ValueError, "value_range"),
    ("sliders value_range words",
     lambda mp: latent_sliders(decoder, z2, value_range=("low", "high")), TypeError,
     "value_range"),
    ("sliders value_range a number", lambda mp: latent_sliders(decoder, z2, value_range=3),
     TypeError, "value_range"),
    ("sliders scale=0", lambda mp: latent_sliders(decoder, z2, scale=0), ValueError, "scale"),
    ("sliders scale=-2", lambda mp: latent_sliders(decoder, z2, scale=-2), ValueError, "scale"),
    ("sliders scale=2.5", lambda mp: latent_sliders(decoder, z2, scale=2.5), TypeError, "scale"),
    ("sliders step=0", lambda mp: latent_sliders(decoder, z2, step=0), ValueError, "step"),
    ("sliders z a string", lambda mp: latent_sliders(decoder, "z"), TypeError, "z"),
    ("sliders z empty", lambda mp: latent_sliders(decoder, torch.zeros(0)), ValueError, "z"),
    ("sliders z NaN", lambda mp: latent_sliders(decoder, torch.full((2,), NAN)), ValueError, "z"),
    ("sliders directions NaN",
     lambda mp: latent_sliders(decoder, z2, directions=torch.full((1, 2), NAN)), ValueError,
     "directions"),
    ("interpolation frames=2.9", lambda mp: interpolation(decoder, z2, z2 + 1, frames=2.9),
     TypeError, "frames"),
    ("interpolation frames='8'", lambda mp: interpolation(decoder, z2, z2 + 1, frames="8"),
     TypeError, "frames"),
    ("interpolation frames=1", lambda mp: interpolation(decoder, z2, z2 + 1, frames=1),
     ValueError, "frames"),
    ("interpolation method", lambda mp: interpolation(decoder, z2, z2 + 1, method="cubic"),
     ValueError, "method"),
    ("interpolation sizes differ", lambda mp: interpolation(decoder, z2, torch.zeros(3)),
     ValueError, "z0"),
    ("interpolation scale=0", lambda mp: interpolation(decoder, z2, z2 + 1, scale=0), ValueError,
     "scale"),
    ("latent_map grid_extent=0",
     lambda mp: latent_map(decoder, randn(10, 2), None, grid_extent=0), ValueError,
     "grid_extent"),
    ("latent_map grid_extent=-3",
     lambda mp: latent_map(decoder, randn(10, 2), None, grid_extent=-3), ValueError,
     "grid_extent"),
    ("latent_map grid_extent reversed",
     lambda mp: latent_map(decoder, randn(10, 2), None, grid_extent=(1, -1)), ValueError,
     "grid_extent"),
    ("latent_map grid_extent a string",
     lambda mp: latent_map(decoder, randn(10, 2), None, grid_extent="3"), TypeError,
     "grid_extent"),
    ("latent_map more labels than class_names",
     lambda mp: latent_map(decoder, randn(10, 2), torch.arange(10) % 3, class_names=["a", "b"]),
     ValueError, "class_names"),
    ("latent_map empty codes", lambda mp: latent_map(decoder, randn(0, 2), None), ValueError,
     "codes"),
    ("latent_map 3-D codes", lambda mp: latent_map(decoder, randn(10, 3), None), ValueError,
     "codes"),
    ("latent_map labels in number",
     lambda mp: latent_map(decoder, randn(10, 2), torch.zeros(9, dtype=torch.long)), ValueError,
     "labels"),
    ("latent_map scale=0", lambda mp: latent_map(decoder, randn(10, 2), None, scale=0),
     ValueError, "scale"),
    ("model_picker given a list", lambda mp: model_picker([decoder, decoder], z2), TypeError,
     "decoders"),
    ("model_picker decoders of different sizes",
     lambda mp: model_picker({"a": decoder, "b": other_size_decoder}, z2), ValueError,
     "decoders"),
    ("model_picker a decoder not callable", lambda mp: model_picker({"a": decoder, "b": 3}, z2),
     TypeError, "decoders"),
    ("class_picker no classes", lambda mp: class_picker(lambda z, k: decoder(z), z2, []),
     ValueError, "classes"),
    ("live_training steps_per_tick=2.5",
     lambda mp: live_training(uncalled, lambda fig: None, steps_per_tick=2.5), TypeError,
     "steps_per_tick"),
    ("live_training steps_per_tick='10'",
     lambda mp: live_training(uncalled, lambda fig: None, steps_per_tick="10"), TypeError,
     "steps_per_tick"),
    ("live_training steps_per_tick=0",
     lambda mp: live_training(uncalled, lambda fig: None, steps_per_tick=0), ValueError,
     "steps_per_tick"),
    ("live_training lr=True",
     lambda mp: live_training(uncalled, lambda fig: None, lr=True, on_lr=print), ValueError, "lr"),
    ("live_training lr<0",
     lambda mp: live_training(uncalled, lambda fig: None, lr=-1e-3, on_lr=print), ValueError,
     "lr"),
    ("live_training interval_ms=0",
     lambda mp: live_training(uncalled, lambda fig: None, interval_ms=0), ValueError,
     "interval_ms"),
    ("live_training step n=0",
     lambda mp: live_training(lambda n: None, lambda fig: None).step(0), ValueError, "n"),
]

ENVIRONMENT = [
    *[(f"GENLIB_QUICK={value!r}",
       lambda mp, value=value: with_env(mp, config.is_quick, GENLIB_QUICK=value), ValueError,
       "GENLIB_QUICK") for value in ("2", "y", "enable", "-1")],
    ("GENLIB_QUICK in choose", lambda mp: with_env(mp, lambda: config.choose(1, 2),
                                                   GENLIB_QUICK="maybe"), ValueError,
     "GENLIB_QUICK"),
    ("GENLIB_QUICK in a recipe's configuration",
     lambda mp: with_env(mp, lambda: zoo.recipe_config("toy_gan"), GENLIB_QUICK="quick"),
     ValueError, "GENLIB_QUICK"),
    ("GENLIB_OFFLINE", lambda mp: with_env(mp, lambda: config.env_flag("GENLIB_OFFLINE"),
                                           GENLIB_OFFLINE="maybe"), ValueError,
     "GENLIB_OFFLINE"),
    ("GENLIB_HIDE_DATA", lambda mp: with_env(mp, lambda: config.env_flag("GENLIB_HIDE_DATA"),
                                             GENLIB_HIDE_DATA="2"), ValueError,
     "GENLIB_HIDE_DATA"),
    *[(f"GENLIB_THREADS={value!r}",
       lambda mp, value=value: with_env(mp, config.training_threads, GENLIB_QUICK="0",
                                        GENLIB_THREADS=value), ValueError, "GENLIB_THREADS")
      for value in ("1000", "\u00b2", "0", "-1", "two", "1.5")],
    *[(f"GENLIB_DEVICE={value!r}",
       lambda mp, value=value: with_env(mp, config.get_device, GENLIB_DEVICE=value), ValueError,
       "GENLIB_DEVICE") for value in ("meta", "gpu", "tpu", "cuda:99")],
    ("get_device prefer", lambda mp: config.get_device(prefer="gpu"), ValueError, "prefer"),
    ("GENLIB_CACHE a regular file",
     lambda mp: with_env(mp, config.checkpoint_dir, GENLIB_CACHE=__file__), ValueError,
     "GENLIB_CACHE"),
]

REPRODUCIBILITY = [
    ("seed_everything seed=1.5", lambda mp: config.seed_everything(1.5), TypeError, "seed"),
    ("seed_everything seed='0'", lambda mp: config.seed_everything("0"), TypeError, "seed"),
    ("seed_everything seed=True", lambda mp: config.seed_everything(True), TypeError, "seed"),
    ("train seed=1.5", lambda mp: train_call(seed=1.5), TypeError, "seed"),
    ("train seed=True", lambda mp: train_call(seed=True), TypeError, "seed"),
    ("train seed='0'", lambda mp: train_call(seed="0"), TypeError, "seed"),
    ("iwae_estimate seed=1.5", lambda mp: iwae_estimate(tiny_vae(), binary(), k=2, seed=1.5),
     TypeError, "seed"),
    ("fixed_binarization seed=1.5", lambda mp: fixed_binarization(pixels(), seed=1.5), TypeError,
     "seed"),
    ("Contender.sample seed=1.5", lambda mp: Contender("c", decoder, 2).sample(4, seed=1.5),
     TypeError, "seed"),
    ("latent_sliders seed=1.5", lambda mp: latent_sliders(decoder, z2, seed=1.5), TypeError,
     "seed"),
    ("toy_gan seed=1.5", lambda mp: zoo.toy_gan(seed=1.5), TypeError, "seed"),
    ("toy_gan seed=-1", lambda mp: zoo.toy_gan(seed=-1), ValueError, "seed"),
]

# the diffusion model's pieces (notebook 11)
from genlib.models.denoiser import MLPDenoiser  # noqa: E402
from genlib.sampling import ddim_timesteps  # noqa: E402
from genlib.objectives.diffusion import NoiseSchedule, linear_betas, q_posterior, q_sample  # noqa: E402

_schedule = NoiseSchedule(linear_betas(10, 0.01, 0.2))
OBJECTIVES += [
    ("linear_betas T=0", lambda mp: linear_betas(0), ValueError, "T"),
    ("linear_betas T=2.5", lambda mp: linear_betas(2.5), TypeError, "T"),
    ("NoiseSchedule betas >= 1", lambda mp: NoiseSchedule(torch.tensor([0.1, 1.5])), ValueError,
     "betas"),
    ("NoiseSchedule betas list", lambda mp: NoiseSchedule([0.1, 0.2]), TypeError, "betas"),
    ("q_sample noise shape", lambda mp: q_sample(randn(4, 2), 3, _schedule, randn(4, 3)),
     ValueError, "noise"),
    ("q_sample t=0", lambda mp: q_sample(randn(4, 2), 0, _schedule, randn(4, 2)), ValueError, "t"),
    ("q_sample t too large", lambda mp: q_sample(randn(2, 2), torch.tensor([3, 11]), _schedule,
                                                 randn(2, 2)), ValueError, "t"),
    ("q_posterior shapes", lambda mp: q_posterior(randn(4, 2), randn(3, 2), 2, _schedule),
     ValueError, "x0"),
    ("ddim_timesteps steps > T", lambda mp: ddim_timesteps(10, 20), ValueError, "steps"),
    ("MLPDenoiser x 3-D", lambda mp: MLPDenoiser(2, 8, 1, 4)(randn(2, 2, 1), torch.tensor([1, 2])),
     ValueError, "x"),
    ("image_sampler n=0", lambda mp: zoo.image_sampler({"denoiser": None, "schedule": _schedule})(
        0, torch.Generator()), ValueError, "n"),
]
CACHE += [
    ("toy_ddpm steps=0", lambda mp: zoo.toy_ddpm(steps=0), ValueError, "steps"),
    ("ddpm lr=-1", lambda mp: zoo.ddpm(lr=-1.0), ValueError, "lr"),
    ("ddpm T=2.5", lambda mp: zoo.ddpm(T=2.5), TypeError, "T"),
]

CATEGORIES = {"data": DATA, "cache": CACHE, "loops": LOOPS, "objectives": OBJECTIVES,
              "widgets": WIDGETS, "environment": ENVIRONMENT, "reproducibility": REPRODUCIBILITY}
CASES = [pytest.param(call, error, name, id=f"{category}: {case_id}")
         for category, cases in CATEGORIES.items() for case_id, call, error, name in cases]


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """A private cache, quick mode, the digits (no data file, no mirror probed), no flags."""
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENLIB_QUICK", "1")
    monkeypatch.setenv("GENLIB_DATASET", "digits")
    monkeypatch.setenv("GENLIB_DEVICE", "cpu")
    for name in ("GENLIB_THREADS", "GENLIB_OFFLINE", "GENLIB_HIDE_DATA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("call, error, name", CASES)
def test_a_bad_input_raises_an_error_naming_the_argument(call, error, name, monkeypatch,
                                                         isolated):
    with pytest.raises(error) as caught:
        call(monkeypatch)
    message = str(caught.value)
    # the name as a word, as the subject of what was expected ("k must be", "x holds",
    # "GENLIB_QUICK='2'", "models['net']", "critic's"), not a letter inside another word
    named = re.compile(rf"(?<![\w.]){re.escape(name)}(?=\s*(=|>|\[|')|\s+(must|holds?|is|are|"
                       rf"and|has|have|differ|needs?|make)\b)")
    assert named.search(message), f"the message does not name {name!r}: {message}"
    assert not list((isolated / "cache").rglob("*.pt")), "nothing is trained for a bad input"

