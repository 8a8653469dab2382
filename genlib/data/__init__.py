"""Data for the notebooks: image data sets, 2-D toy distributions, fast mini-batches.

Image data sets (``mnist``, ``fashion-mnist``, ``digits``, or ``"auto"``)::

    from genlib.data import load_images, Batches, class_names
    images, labels = load_images("fashion-mnist", "train")   # N x 1 x 28 x 28 in [0, 1], N
    class_names("fashion-mnist")[labels[0]]                   # e.g. "Ankle boot"
    for x, y in Batches(images, labels, batch_size=128):
        ...

2-D toys for GANs: ``toy2d.get("ring8").sample(1000)``.

Modules: :mod:`~genlib.data.idx` (safe IDX reader and the error classes),
:mod:`~genlib.data.sources` (where files are searched and downloaded),
:mod:`~genlib.data.images` (``load_images``), :mod:`~genlib.data.toy2d`,
:mod:`~genlib.data.batching`. Every data problem raises a :class:`DataError`
(a ``ValueError``) whose message names the file and says what to do.
"""
from . import toy2d
from .batching import Batches, binarize
from .idx import (ChecksumError, CorruptFileError, DataError, DataNotFoundError,
                  DownloadError, UnknownDatasetError, read_idx)
from .sources import CLASS_NAMES, class_names
from .images import (available_offline, clear_cache, dataset_names, image_shape, load_images,
                     resolve_dataset)

__all__ = ["Batches", "binarize", "toy2d", "load_images", "image_shape", "resolve_dataset", "available_offline",
           "clear_cache", "dataset_names", "CLASS_NAMES", "class_names", "read_idx", "DataError",
           "UnknownDatasetError",
           "CorruptFileError", "ChecksumError", "DataNotFoundError", "DownloadError"]
