"""genlib: the small library behind the GAN & VAE teaching notebooks.

Modules, one idea each: ``config`` (quick/full mode, seeds, device), ``data``,
``models``, ``objectives``, ``sampling`` (a diffusion model's reverse chain), ``training``,
``zoo`` (train once), ``metrics``,
``plots``, ``widgets``, ``bundle`` (pretrained models in one archive:
``install_bundle``) and ``exercises`` (the self-checks; the worked answers are kept out of the
package, in the repository's ``instructor/`` folder).
"""
import sys
import warnings

if sys.flags.optimize:  # python -O strips every assert: the checking cells would check nothing
    warnings.warn("genlib: Python runs optimised (python -O or PYTHONOPTIMIZE is set), which "
                  "removes every assert, so the notebooks' checking cells, whose checks are "
                  "asserts, pass without checking anything. Run Python without -O and unset "
                  "PYTHONOPTIMIZE: the notebooks must not run optimised.",
                  RuntimeWarning, stacklevel=2)

from . import config  # noqa: E402
from .config import choose, get_device, is_quick, seed_everything  # noqa: E402
from .objectives import (ElboTerms, critic_loss, discriminator_loss, elbo, gan_value,
                         gaussian_kl, generator_loss, gradient_penalty, iwae_bound,
                         js_divergence, optimal_discriminator)

__version__ = "1.0.0"   # the course release; CHANGELOG.md and CITATION.cff give the same number


def __getattr__(name: str):
    """``genlib.install_bundle``, imported on first use (so ``python -m genlib.bundle`` runs the
    module once)."""
    if name == "install_bundle":
        from .bundle import install_bundle
        return install_bundle
    raise AttributeError(f"module 'genlib' has no attribute {name!r}")
