"""Pickers: the same latent sliders in front of a choice of decoders.

* :func:`class_picker` for a conditional model: the choice is the class, the sliders are the
  "style" latent, and a row shows that one style in every class.
* :func:`model_picker` for several models sharing a latent space size, e.g. VAEs trained with
  different beta: the row shows the same latent through every model.
"""
from __future__ import annotations

from typing import Callable, Sequence

import ipywidgets as widgets
import torch

from ._render import Decoder, decode, image_widget, row_png
from .latent import LatentSliders

MAX_TOGGLE_BUTTONS = 12  # more choices than this get a dropdown


class PickerSliders(LatentSliders):
    """Latent sliders whose decoder is chosen with ``.picker``; ``.row_image`` shows the
    current latent through every choice. Everything public on :class:`LatentSliders` too."""

    def __init__(self, choices: Sequence[Decoder], names: Sequence[str], z, dims=None,
                 scale: int = 4, row_caption: str = "", **options):
        if len(choices) == 0 or len(choices) != len(names):
            raise ValueError(f"need one name per choice, got {len(names)} names for "
                             f"{len(choices)} choices")
        for name, choice in zip(names, choices):
            if not callable(choice):
                raise TypeError(f"decoders must map latents to images, but the one for "
                                f"{name!r} is a {type(choice).__name__}")
        self._choices = list(choices)
        names = [str(n) for n in names]
        self.picker = (widgets.ToggleButtons(options=names, style={"button_width": "auto"})
                       if len(names) <= MAX_TOGGLE_BUTTONS
                       else widgets.Dropdown(options=names, description="show"))
        self.row_image = image_widget()
        self._row_caption = widgets.Label(row_caption)
        super().__init__(self._decode_chosen, z, dims=dims, scale=scale, **options)
        self.picker.observe(self._redraw, names="index")

    def _decode_chosen(self, z: torch.Tensor) -> torch.Tensor:
        return self._choices[self.picker.index](z)

    def _layout(self) -> list[widgets.Widget]:
        return [self.picker, *super()._layout(), self._row_caption, self.row_image]

    def _draw(self) -> None:
        super()._draw()
        z = self._latent()
        images = [decode(choice, z) for choice in self._choices]
        sizes = {tuple(image.shape[1:]) for image in images}
        if len(sizes) > 1:
            raise ValueError(f"decoders make images of different sizes {sorted(sizes)}; the "
                             "row shows one latent through every choice, so all must make "
                             "images of one size")
        row = torch.cat(images)
        self.row_image.value = row_png(row, self._scale)


def class_picker(decoder_for_class: Callable[[torch.Tensor, int], torch.Tensor], z,
                 classes: Sequence, scale: int = 4, dims=None, **options) -> PickerSliders:
    """A conditional decoder's class chosen with ``.picker`` (the class names ``classes``),
    ``.sliders`` on the style latent ``z``, the image ``.image``, and ``.row_image``: the same
    style in every class.

    ``decoder_for_class(z, class_index)`` maps B x d latents and a class index (an int, the
    position in ``classes``) to B x 1 x H x W images in [0, 1].
    """
    if not callable(decoder_for_class):
        raise TypeError(f"decoder_for_class must be a function (z, class_index) -> images, got "
                        f"{type(decoder_for_class).__name__}")
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__len__") or not len(classes):
        raise ValueError(f"classes must be a non-empty list of class names, got {classes!r}")
    choices = [lambda z_, k=k: decoder_for_class(z_, k) for k in range(len(classes))]
    return PickerSliders(choices, classes, z, dims=dims, scale=scale,
                         row_caption="the same style in every class:", **options)


def model_picker(decoders: dict[str, Decoder], z, scale: int = 4, dims=None,
                 **options) -> PickerSliders:
    """Switch between decoders (e.g. ``{"beta = 1": ..., "beta = 4": ...}``) with ``.picker``;
    ``.sliders`` on the shared latent ``z``; ``.image``; ``.row_image``: the same latent
    through every model."""
    if not isinstance(decoders, dict) or not decoders:
        raise TypeError(f"decoders must be a non-empty dict {{name: decoder}}, e.g. "
                        f"{{'beta = 1': vae.generate}}, got {type(decoders).__name__}")
    return PickerSliders(list(decoders.values()), list(decoders), z, dims=dims, scale=scale,
                         row_caption="the same latent through every model:", **options)
