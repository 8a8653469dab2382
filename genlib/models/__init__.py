"""Models: plain ``torch.nn.Module``s, one short file per family.

* ``mlp_gan.py``    -- MLP generator and discriminator for 2-D toy data
* ``dcgan.py``      -- DCGAN generator and discriminator for 28x28 images
* ``vae.py``        -- MLP VAE;  ``conv_vae.py`` -- convolutional VAE;  ``cvae.py`` -- conditional VAE
* ``classifier.py`` -- the small classifier behind the metrics
"""
