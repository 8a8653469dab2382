"""Models: plain ``torch.nn.Module``s, one short file per family.

* ``mlp.py``        -- ``mlp``, the one builder of fully connected networks
* ``mlp_gan.py``    -- MLP generator and discriminator for 2-D toy data
* ``dcgan.py``      -- DCGAN generator and discriminator for 28x28 images
* ``vae.py``        -- MLP VAE;  ``conv_vae.py`` -- convolutional VAE;  ``cvae.py`` -- conditional VAE
* ``linear_gaussian.py`` -- the linear-Gaussian model (probabilistic PCA), everything exact
* ``vaegan.py``     -- VAE-GAN encoder;  ``bigan.py`` -- BiGAN / ALI;  ``flows.py`` -- planar flows
* ``classifier.py`` -- the small classifier behind the metrics
* ``denoiser.py``   -- the diffusion models' noise predictors (their sampler is :mod:`genlib.sampling`)

Every generator and decoder has ``generate(z)``: images in [0, 1] (points, for the 2-D toys).
Every model is importable from here: ``from genlib.models import DCGANGenerator``.
"""
from .bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from .classifier import SmallClassifier
from .conv_vae import ConvVAE
from .cvae import ConditionalVAE
from .dcgan import DCGANDiscriminator, DCGANGenerator, init_dcgan_weights
from .denoiser import ConvDenoiser, MLPDenoiser, timestep_embedding
from .flows import FlowPosterior, PlanarFlow, ProductLatentModel, elbo_estimate, planar_map
from .linear_gaussian import LinearGaussian
from .mlp import mlp
from .mlp_gan import MLPDiscriminator, MLPGenerator
from .vae import MLPVAE
from .vaegan import VAEGANEncoder

__all__ = ["MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "init_dcgan_weights", "MLPVAE", "ConvVAE", "ConditionalVAE", "mlp", "LinearGaussian",
           "VAEGANEncoder", "BiGANEncoder", "BiGANGenerator", "BiGANDiscriminator",
           "PlanarFlow", "FlowPosterior", "ProductLatentModel", "planar_map", "elbo_estimate",
           "SmallClassifier", "MLPDenoiser", "ConvDenoiser", "timestep_embedding"]
