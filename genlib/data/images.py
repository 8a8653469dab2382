"""Image data sets by name: ``load_images("fashion-mnist", "train")`` -> ``(images, labels)``.

=================  ======  ====================  =============================================
name               size    splits (train/test)   source
=================  ======  ====================  =============================================
``mnist``          28x28   60000 / 10000         IDX files (see :mod:`genlib.data.sources`)
``fashion-mnist``  28x28   60000 / 10000         IDX files; Debian: dataset-fashion-mnist
``digits``         8x8     1500 / 297            scikit-learn's ``load_digits`` (always offline)
``digits-28``      28x28   1500 / 297            the same digits, enlarged by bilinear
                                                 interpolation (what ``"auto"`` falls back to)
=================  ======  ====================  =============================================

``digits`` (1797 scans with 17 grey levels 0..16) has no official split: we use the
first 1500 images (in the order scikit-learn ships them) for training and the remaining 297
for testing. ``digits-28`` serves them at the 28 x 28 of the other data sets, so that every
notebook's models (made for 28 x 28 images) run where Fashion-MNIST cannot be had. ``"auto"``
picks a data set for you, see :func:`resolve_dataset`.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from . import sources
from .idx import DataError, DataNotFoundError, UnknownDatasetError

DIGITS_TRAIN = 1500  # digits: first 1500 samples train, the other 297 test
AUTO_ORDER = ("fashion-mnist",)  # what "auto" means (the committed outputs' data), else digits-28
AUTO_FALLBACK = "digits-28"
DIGITS_28 = 28  # side of the enlarged digits
# (name, split, root) -> (images, labels) as read-only NumPy arrays, converted on each call
_CACHE: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}


def dataset_names() -> list[str]:
    """The names :func:`load_images` accepts (besides ``"auto"``)."""
    return [*sources.DATASETS, "digits", "digits-28"]


def available_offline(name: str, root: str | os.PathLike | None = None) -> bool:
    """True if both splits of ``name`` can be loaded without a download (digits always can)."""
    return _check_name(name) in ("digits", "digits-28") or sources.is_available_locally(name, root)


def _check_name(name: str) -> str:
    if name not in dataset_names():
        raise UnknownDatasetError(f"unknown data set {name!r}; known: "
                                  f"{', '.join(dataset_names())} or 'auto'")
    return name


def resolve_dataset(name: str = "auto", root: str | os.PathLike | None = None,
                    verbose: bool = True) -> str:
    """The data set to use: ``name`` itself, or for ``"auto"`` the first that works here.

    ``GENLIB_DATASET=<name>`` overrides ``"auto"``. Otherwise ``"auto"`` is ``fashion-mnist``,
    the data of the committed notebooks, if its train and test splits are on this machine or
    if downloads are allowed and a mirror answers within a few seconds; else ``digits-28``
    (scikit-learn's digits, always available, enlarged to 28 x 28). MNIST is used only when
    asked for by name. ``GENLIB_HIDE_DATA=1`` hides every IDX folder and download, so that
    only the digits remain (how the test suite checks the offline fallback). With
    ``verbose``, prints one line saying what it picked and why.
    """
    if isinstance(name, str):
        name = name.strip().lower()
    if name != "auto":
        return _check_name(name)
    override = os.environ.get("GENLIB_DATASET", "").strip()
    if override and override != "auto":
        if override not in dataset_names():
            raise UnknownDatasetError(f"GENLIB_DATASET={override!r} is not a data set; use one of "
                                      f"{', '.join(dataset_names())} or auto, or unset it")
        return _say(verbose, override, "set by GENLIB_DATASET")
    for candidate in AUTO_ORDER:
        if sources.is_available_locally(candidate, root):
            return _say(verbose, candidate, "train and test splits found on this machine")
        if sources.downloads_allowed() and sources.mirror_reachable(sources.get_spec(candidate)):
            return _say(verbose, candidate, "missing files will be downloaded")
    return _say(verbose, AUTO_FALLBACK, "fashion-mnist is neither on this machine nor "
                "downloadable: scikit-learn's 8x8 digits, enlarged to 28 x 28 by interpolation")


def _say(verbose: bool, name: str, why: str) -> str:
    if verbose:
        print(f"dataset 'auto' -> {name} ({why}; set GENLIB_DATASET to choose)")
    return name


def _load_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataNotFoundError("the 'digits' data set comes with scikit-learn, which is not "
                                "installed: pip install scikit-learn") from None
    bunch = load_digits()
    cut = slice(0, DIGITS_TRAIN) if split == "train" else slice(DIGITS_TRAIN, None)
    images = (bunch.images[cut] / 16.0).astype(np.float32)  # 0..16 -> [0, 1]
    labels = bunch.target[cut].astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # cached: keep them pristine
    return images, labels


def _enlarge(images: np.ndarray) -> np.ndarray:
    """8 x 8 digits -> 28 x 28 by bilinear interpolation (values stay in [0, 1])."""
    big = torch.nn.functional.interpolate(torch.from_numpy(np.array(images))[:, None],
                                          size=(DIGITS_28, DIGITS_28), mode="bilinear",
                                          align_corners=False)[:, 0].clamp_(0, 1).numpy()
    big.flags.writeable = False
    return big


def image_shape(name: str) -> tuple[int, int, int]:
    """``(channels, height, width)`` of the images of data set ``name``: 1 x 8 x 8 for the
    digits, 1 x 28 x 28 for MNIST, Fashion-MNIST and ``digits-28``."""
    return (1, 8, 8) if resolve_dataset(name, verbose=False) == "digits" else (1, 28, 28)


def load_images(name: str = "auto", split: str = "train",
                root: str | os.PathLike | None = None,
                limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Load one split of an image data set, verified, as float tensors.

    Args:
        name: ``"mnist"``, ``"fashion-mnist"``, ``"digits"`` or ``"auto"``
            (see :func:`resolve_dataset`).
        split: ``"train"`` or ``"test"``.
        root: optional folder holding the IDX files (directly, or in ``<name>/``),
            searched before the usual places (:mod:`genlib.data.sources`).
        limit: only the first ``limit`` images and labels (``None``: the whole split).

    Returns:
        ``(images, labels)``: ``images`` is a ``float32`` tensor of shape ``N x 1 x H x W``
        with values in ``[0, 1]`` (0 = background; ``H = W = 28``, or 8 for ``digits``);
        ``labels`` is an ``int64`` tensor of shape ``N`` with classes 0..9.

    The first call reads and verifies the files (about half a second for a 60000-image
    split); later calls are served from an in-process cache of the raw arrays
    (:func:`clear_cache` empties it). Every call returns new tensors, so changing them in
    place is safe.

    Raises:
        DataError: or a subclass (unknown name, file missing, corrupt or wrong checksum),
            with a message that names the file and says what to do.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise DataError(f"limit must be a positive whole number of images or None, got {limit!r}")
    name = resolve_dataset(name, root)
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    key = (name, split, "" if root is None else str(root))
    if key not in _CACHE:
        if name in ("digits", "digits-28"):
            images, labels = _load_digits(split)
            _CACHE[key] = (_enlarge(images) if name == "digits-28" else images), labels
        else:
            _CACHE[key] = tuple(sources.read_split(name, split, root)[:2])
    images, labels = _CACHE[key]  # read-only arrays: uint8 0..255 (IDX) or float32 (digits)
    images, labels = images[:limit], labels[:limit]
    scale = np.float32(255 if images.dtype == np.uint8 else 1)
    images = np.divide(images, scale, dtype=np.float32)  # always a new array
    return (torch.from_numpy(images).unsqueeze(1),
            torch.from_numpy(labels.astype(np.int64)))


def clear_cache() -> None:
    """Forget every loaded data set (the next :func:`load_images` reads the files again)."""
    _CACHE.clear()
