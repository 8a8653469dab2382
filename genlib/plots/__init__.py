"""Figures: the colour-blind-safe palette and style (palette.py), image grids (images.py),
training curves live on History.plot, 2-D toy views (toy2d.py), notebook 08's side-by-side
comparisons (comparison.py)."""
from .comparison import draw_interpolations, draw_sample_grids, interpolation_frames
from .images import image_grid, png_bytes, show_images
from .palette import CLASS_COLOURS, FAMILY_COLOURS, class_colour, family_colour, use_palette
from .toy2d import (draw_decision_surface, draw_gan_lab, draw_gradient_field, draw_samples,
                    generator_gradient, label_plane, plot_extent)

__all__ = ["CLASS_COLOURS", "FAMILY_COLOURS", "class_colour", "family_colour", "use_palette",
           "image_grid", "show_images", "png_bytes", "draw_sample_grids", "interpolation_frames",
           "draw_interpolations", "plot_extent", "draw_decision_surface", "generator_gradient",
           "draw_samples", "label_plane", "draw_gradient_field", "draw_gan_lab"]
