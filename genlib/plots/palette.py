"""The collection's colours: ten class colours, one colour per model family, and the style that
makes them matplotlib's default colour cycle.

Class colours are Petroff's ten-colour sequence (M. A. Petroff, "Accessible Color Sequences for
Data Visualization", arXiv:2107.02270, 2021; matplotlib's ``petroff10`` style). Petroff chose
them so that every pair stays apart in perceived colour for normal vision and under simulated
protanopia, deuteranopia and tritanopia, and so that the sequence is ordered for use as a cycle.

Model families take colours from the same sequence, so a model keeps its colour in every
notebook; the data are a dark neutral grey (#333333), which a colour-vision deficiency leaves
unchanged. Black and greys stay free for reference lines (optimum, equilibrium, mode centres).
Continuous quantities use sequential maps (``gray`` for images, ``viridis``/``cividis``/
``Blues`` for densities), whose order is carried by lightness, which every viewer sees, or a
diverging map centred on a neutral colour whose two ends stay apart with a colour-vision
deficiency (purple-green ``PRGn``, blue-red ``coolwarm``).
"""
from __future__ import annotations

import operator

CLASS_COLOURS: tuple[str, ...] = ("#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
                                  "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd")

FAMILY_COLOURS: dict[str, str] = {
    "GAN": "#3f90da",       # the GAN of 01-02 and the DCGAN of 03
    "WGAN": "#e76300",      # critics and WGAN-GP (04)
    "VAE": "#ffa90e",       # the MLP VAE (05-07)
    "conv VAE": "#a96b59",  # the convolutional VAE (06, 08)
    "VAE-GAN": "#bd1f01",   # 08
    "BiGAN": "#832db6",     # 09
    "DDPM": "#717581",      # diffusion models (11)
    "flow": "#b9ac70",      # normalising flows, e.g. 09's planar-flow posterior
    "data": "#333333",      # real data: a neutral grey
}

FAMILY_ALIASES: dict[str, str] = {"DCGAN": "GAN", "WGAN-GP": "WGAN", "MLP VAE": "VAE",
                                  "diffusion": "DDPM", "flow matching": "flow", "real": "data"}


def class_colour(k: int) -> str:
    """The colour of class ``k`` (0-9)."""
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"class_colour: k must be an integer class index, got {type(k).__name__}") from None
    if not 0 <= k < len(CLASS_COLOURS):
        raise ValueError(f"class_colour: k must be in 0..{len(CLASS_COLOURS) - 1} (the palette has "
                         f"{len(CLASS_COLOURS)} colours), got {k}; group the classes into at most ten")
    return CLASS_COLOURS[k]


def family_colour(name: str) -> str:
    """The colour of model family ``name`` (a key of ``FAMILY_COLOURS``, or "DCGAN", "WGAN-GP",
    "MLP VAE", "diffusion", "flow matching", "real")."""
    key = FAMILY_ALIASES.get(name, name)
    if key not in FAMILY_COLOURS:
        known = sorted(FAMILY_COLOURS) + sorted(FAMILY_ALIASES)
        raise ValueError(f"family_colour: name must be one of {known}, got {name!r}")
    return FAMILY_COLOURS[key]


def use_palette() -> None:
    """Make ``CLASS_COLOURS`` matplotlib's colour cycle, so every line, bar or scatter drawn
    without an explicit colour takes the collection's colours in order."""
    import matplotlib
    from cycler import cycler

    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(CLASS_COLOURS))
