"""The update steps: one function per model family, each the cell of the notebook that teaches it.

Each step is written in the notebook cell that teaches it, tagged ``#@save`` (d2l's idea), and
collected here by ``python tools/collect_steps.py`` for ``make pretrain`` and the recipes of
:mod:`genlib.zoo`: edit the notebook, then run the tool (``make steps``). Only ``classifier.py``
is written here by hand (no notebook teaches it).

A step takes its models and optimisers by name, a batch ``x`` (and labels ``y`` where the
family needs them), and ``rng``, the explicit ``torch.Generator`` on the training device from
which it draws every latent and noise sample; ``genlib.training.train`` calls it once per
iteration and logs the dict of scalars it returns.

* ``gan.py``        ``gan_step``: discriminator, then generator (notebooks 02, 03)
* ``wgan.py``       ``wgan_step``: n critic updates (penalty or clipping), then the generator (04)
* ``vae.py``        ``vae_step``: gradient ascent on the ELBO (06); ``warmup_vae_step``,
                    ``free_bits_vae_step`` and ``cvae_step`` (07)
* ``vaegan.py``     ``vaegan_step``: Larsen et al.'s three updates (08)
* ``bigan.py``      ``bigan_step``: the BiGAN / ALI game (09)
* ``posterior.py``  ``posterior_step``: a flow posterior fitted to fixed observations (09)
* ``classifier.py`` ``classifier_step``: cross-entropy for the metrics' classifier
* ``diffusion.py``  ``ddpm_step``, ``v_ddpm_step``: the noise- and v-prediction losses (11)
* ``flow.py``       ``flow_matching_step``: the conditional flow-matching loss (12)
"""
from .bigan import bigan_step
from .classifier import classifier_step
from .diffusion import ddpm_step, v_ddpm_step
from .flow import flow_matching_step
from .gan import gan_step
from .posterior import posterior_step
from .vae import cvae_step, free_bits_vae_step, vae_step, warmup_vae_step
from .vaegan import vaegan_step
from .wgan import wgan_step

__all__ = ["gan_step", "wgan_step", "vae_step", "warmup_vae_step", "free_bits_vae_step",
           "cvae_step", "vaegan_step", "bigan_step", "posterior_step", "classifier_step", "ddpm_step",
           "v_ddpm_step", "flow_matching_step"]
