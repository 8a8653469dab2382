"""Figures: image grids (images.py), training curves live on History.plot, 2-D toy views (toy2d.py)."""
from .images import image_grid, png_bytes, show_images

__all__ = ["image_grid", "show_images", "png_bytes"]
