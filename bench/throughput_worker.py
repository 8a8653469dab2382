"""One timing run of every family's training loop, for ``bench/throughput.py``, with the genlib of
``PYTHONPATH``: this one (``train`` and the steps) or an older one (``train_gan``, ...). Each
family trains its recipe's models at its batch size on random images. Prints one JSON line,
``{"genlib": path, "family": images per second, ...}``."""
import json
import sys
import time

import torch

import genlib
import genlib.training
from genlib.data import toy2d
from genlib.models import (BiGANDiscriminator, BiGANEncoder, BiGANGenerator, ConvVAE,
                           DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                           MLPVAE, VAEGANEncoder)

NEW = hasattr(genlib.training, "train")
if NEW:
    from genlib import steps
    from genlib.training import adam, train
else:
    from genlib.training import (adam, make_gan_optimizers, real_sampler, train_bigan, train_gan,
                                 train_vae, train_vaegan)


def images(n):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def toy_gan(n_steps, critic=False):
    torch.manual_seed(0)
    G, D, ring = MLPGenerator(2, 128, 3), MLPDiscriminator(hidden=128, depth=3), toy2d.get("ring8")
    if NEW:
        opt_G, opt_D = adam(G.parameters()), adam(D.parameters())
        update = (lambda x, rng, t: steps.wgan_step(D, G, opt_D, opt_G, x, rng)) if critic else \
            (lambda x, rng, t: steps.gan_step(G, D, opt_G, opt_D, x, rng))
        train(update, ring, models=[G, D], optimizers=[opt_G, opt_D],
              steps=n_steps, batch_size=512 * (5 if critic else 1), progress=False)
    else:
        train_gan(G, D, real_sampler(ring, 512), n_steps, loss="wgan-gp" if critic else "non-saturating",
                  d_steps=5 if critic else 1, progress=False)
    return 512 * n_steps


def dcgan(n_steps):
    torch.manual_seed(0)
    G, D, x = DCGANGenerator(64, 32), DCGANDiscriminator(32), images(64 * n_steps)
    if NEW:
        opt_G, opt_D = adam(G.parameters(), 4e-4, (0.5, 0.999)), adam(D.parameters(), 1e-4, (0.5, 0.999))
        train(lambda x, rng, t: steps.gan_step(G, D, opt_G, opt_D, x, rng), x, models=[G, D],
              optimizers=[opt_G, opt_D], steps=n_steps, batch_size=64, progress=False)
    else:
        train_gan(G, D, real_sampler(x * 2 - 1, 64), n_steps,
                  optimizers=make_gan_optimizers(G, D, 4e-4, 1e-4), progress=False)
    return 64 * n_steps


def vae(n_steps, conv):
    torch.manual_seed(0)
    model = ConvVAE(28, 1, 16, 32, 256) if conv else MLPVAE((1, 28, 28), 32, (512, 256))
    x = images(128 * n_steps)
    if NEW:
        opt = adam(model.parameters())
        train(lambda x, rng, t: steps.vae_step(model, opt, x, rng), x, models=[model],
              optimizers=[opt], steps=n_steps, batch_size=128,
              schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)], progress=False)
    else:
        train_vae(model, x, epochs=1, batch_size=128, cosine_lr=True, progress=False)
    return 128 * n_steps


def vaegan(n_steps):
    torch.manual_seed(0)
    enc, dec, dis, x = VAEGANEncoder(64, 32), DCGANGenerator(64, 32), DCGANDiscriminator(32), images(64 * n_steps)
    if NEW:
        opts = [adam(m.parameters(), 2e-4, (0.5, 0.999)) for m in (enc, dec, dis)]
        train(lambda x, rng, t: steps.vaegan_step(enc, dec, dis, *opts, x, rng), x,
              models=[enc, dec, dis], optimizers=opts, steps=n_steps, batch_size=64, progress=False)
    else:
        train_vaegan(enc, dec, dis, x, epochs=1, batch_size=64)
    return 64 * n_steps


def bigan(n_steps):
    torch.manual_seed(0)
    shape = (1, 28, 28)
    E, G, D = BiGANEncoder(shape, 32, 512), BiGANGenerator(shape, 32, 512), BiGANDiscriminator(shape, 32, 512)
    x = images(128 * n_steps)
    if NEW:
        opt_D = adam(D.parameters(), 2e-4, (0.5, 0.999))
        opt_EG = adam([*E.parameters(), *G.parameters()], 2e-4, (0.5, 0.999))
        train(lambda x, rng, t: steps.bigan_step(E, G, D, opt_D, opt_EG, x, rng), x,
              models=[E, G, D], optimizers=[opt_D, opt_EG], steps=n_steps, batch_size=128,
              progress=False)
    else:
        train_bigan(E, G, D, x, epochs=1, batch_size=128)
    return 128 * n_steps


FAMILIES = {
    "toy GAN": lambda n: toy_gan(n), "toy WGAN-GP": lambda n: toy_gan(max(1, n // 5), critic=True),
    "DCGAN": dcgan, "MLP VAE": lambda n: vae(n, conv=False), "conv VAE": lambda n: vae(n, conv=True),
    "VAE-GAN": lambda n: vaegan(max(1, n // 2)), "BiGAN": bigan}


if __name__ == "__main__":  # python bench/throughput_worker.py N_STEPS
    rates = {"genlib": genlib.__file__}
    for name, run in FAMILIES.items():
        run(3)                                           # warm-up: allocations, lazy initialisation
        start = time.perf_counter()
        n_images = run(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
        rates[name] = n_images / (time.perf_counter() - start)
    print(json.dumps(rates))
