"""Interactive views for the notebooks, built only from standard ipywidgets 8 controls (no
front-end code of our own), so they work in JupyterLab 4, Notebook 7, VS Code and Colab.

A *decoder* is any callable mapping a B x d latent tensor to B x 1 x H x W images in [0, 1]:
every generator and decoder's ``generate`` (``vae.generate``, ``G.generate``; models in eval
mode). It runs under ``torch.inference_mode()``, on the device of the model it belongs to.

* :func:`latent_sliders`  -- sliders on latent dimensions or directions, the image beside
* :func:`interpolation`   -- a slider along a linear or spherical path between two latents
* :func:`latent_map`      -- a 2-D latent space: codes coloured by class, a decoded cursor
* :func:`class_picker`    -- a conditional model: pick the class, slide the style
* :func:`model_picker`    -- switch between models sharing a latent space (e.g. beta values)
* :func:`live_training`   -- play / pause / step a training loop, plots updated in place

How the images stay fast and a burst of slider events never queues stale redraws:
:mod:`genlib.widgets._render`. Every widget's controls are public attributes, so a notebook
cell or a test can move them (``w.sliders[0].value = 1.5``) and read ``w.image.value``.
"""
from .interpolation import interpolation, lerp, slerp
from .latent import latent_sliders
from .latent_map import latent_map
from .live import live_training
from .pickers import class_picker, model_picker

__all__ = ["latent_sliders", "interpolation", "latent_map", "class_picker", "model_picker",
           "live_training", "lerp", "slerp"]
