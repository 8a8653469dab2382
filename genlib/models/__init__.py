"""Models: plain ``torch.nn.Module``s, one short file per family.

* ``mlp_gan.py``    -- MLP generator and discriminator for 2-D toy data
* ``dcgan.py``      -- DCGAN generator and discriminator for 28x28 images
* ``vae.py``        -- MLP VAE;  ``conv_vae.py`` -- convolutional VAE;  ``cvae.py`` -- conditional VAE
* ``pixel_vae.py``  -- MLP VAE whose decoder also sees the pixels before each pixel (PixelVAE,
  with a masked-convolution or a MADE context)
* ``linear_gaussian.py`` -- the linear-Gaussian model (probabilistic PCA), everything exact
* ``vaegan.py``     -- VAE-GAN;  ``bigan.py`` -- BiGAN / ALI;  ``flows.py`` -- planar flows
* ``classifier.py`` -- the small classifier behind the metrics

Every model is importable from here: ``from genlib.models import DCGANGenerator``.
"""
from .bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from .classifier import SmallClassifier
from .conv_vae import ConvVAE
from .cvae import ConditionalVAE
from .dcgan import DCGANDiscriminator, DCGANGenerator, init_dcgan_weights
from .flows import FlowPosterior, PlanarFlow, ProductLatentModel, elbo_estimate, planar_map
from .linear_gaussian import LinearGaussian
from .mlp_gan import MLPDiscriminator, MLPGenerator
from .pixel_vae import MADEContext, MaskedConv2d, MaskedLinear, PixelMLPVAE
from .vae import MLPVAE, check_likelihood, mlp, reparameterize
from .vaegan import VAEGANEncoder, build_vaegan, discriminator_features

__all__ = ["MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "init_dcgan_weights", "MLPVAE", "ConvVAE", "PixelMLPVAE", "MaskedConv2d", "MaskedLinear", "MADEContext", "ConditionalVAE", "reparameterize",
           "check_likelihood", "mlp", "LinearGaussian", "VAEGANEncoder", "build_vaegan",
           "discriminator_features", "BiGANEncoder", "BiGANGenerator", "BiGANDiscriminator",
           "PlanarFlow", "FlowPosterior", "ProductLatentModel", "planar_map", "elbo_estimate",
           "SmallClassifier"]
