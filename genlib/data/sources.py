"""Where the IDX data sets come from: local folders first, then the canonical mirrors.

A file such as ``train-images-idx3-ubyte`` of data set ``fashion-mnist`` is looked for, as
``<file>`` or ``<file>.gz``, in this order:

1. the ``root`` argument: a folder holding the files directly, or holding ``<name>/``;
2. each folder listed in the environment variable ``GENLIB_DATA`` (separated by
   ``os.pathsep``, i.e. ``:`` on Linux and macOS), each holding ``<name>/``;
3. ``<project>/data/<name>/`` (``genlib.config.data_root()``, moved by ``GENLIB_CACHE``);
4. ``/usr/share/datasets/<name>/`` (Debian's ``apt-get install dataset-fashion-mnist``);
5. otherwise it is downloaded from the mirrors into ``<project>/data/<name>/``, unless
   ``GENLIB_OFFLINE=1``. A download goes to a temporary file in the same folder, is
   verified, and only then renamed into place, so an interrupted run leaves nothing behind.

``GENLIB_HIDE_DATA=1`` hides all of these (no folder is searched, nothing is downloaded), as
on a machine with none of the data sets: ``"auto"`` then serves scikit-learn's digits. The
test suite uses it to check that every notebook runs on that fallback.

Every file is verified before use (see :mod:`genlib.data.idx`), including the SHA-256 of its
decompressed bytes.
"""
from __future__ import annotations

import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from .idx import (IMAGES_MAGIC, LABELS_MAGIC, CorruptFileError, DataError, DataNotFoundError,
                  DownloadError, UnknownDatasetError, read_idx)

DEBIAN_ROOT = Path("/usr/share/datasets")
TIMEOUT_S = 10.0  # connect (and per-read) timeout of a download
PROBE_TIMEOUT_S = 3.0  # quick "is a mirror there?" check of resolve_dataset("auto")
MAX_DOWNLOAD_BYTES = 256 << 20  # no canonical file is close: stop a runaway download
DEADLINE_S = 600.0  # a whole file, from one mirror: a trickling mirror is given up on
STALE_PART_S = 3600.0  # a .part file this old was left by a killed download: removed
SPLIT_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


@dataclass(frozen=True)
class IdxDataset:
    """An IDX data set: its four canonical files, their checksums and where to get them."""

    name: str
    sha256: dict[str, str | None]  # file name (without .gz) -> SHA-256 of decompressed bytes
    mirrors: tuple[str, ...]  # base URLs; a file's URL is base + name + ".gz"
    debian_package: str | None = None  # apt package that installs /usr/share/datasets/<name>/


MNIST = IdxDataset(
    name="mnist",
    sha256={
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        # Could not be checked on this machine (no copy of the file offline). The value is
        # the one pinned identically by several independent public projects, which list the
        # other three hashes above exactly as we verified them here; the decompressed file
        # is 47,040,016 bytes (16 + 60000 * 28 * 28), which the IDX checks enforce anyway.
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/"),
)

FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    sha256={
        "train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    debian_package="dataset-fashion-mnist",
)

DATASETS: dict[str, IdxDataset] = {d.name: d for d in (MNIST, FASHION_MNIST)}

# What label k means, for every data set load_images knows (one copy for the whole collection)
CLASS_NAMES: dict[str, list[str]] = {
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
    "mnist": [str(k) for k in range(10)],
    "digits": [str(k) for k in range(10)],
    "digits-28": [str(k) for k in range(10)],
}


def class_names(dataset: str) -> list[str]:
    """The names of the classes of ``dataset`` in label order: ``class_names(name)[label]``."""
    try:
        return list(CLASS_NAMES[dataset])
    except (KeyError, TypeError):
        hint = " (resolve 'auto' first with resolve_dataset)" if dataset == "auto" else ""
        raise UnknownDatasetError(f"unknown data set {dataset!r}{hint}; known: "
                                  f"{', '.join(CLASS_NAMES)}") from None


# ------------------------------------------------------------------------------- settings
def project_data_dir() -> Path:
    """``<project>/data`` (or ``GENLIB_CACHE``): where downloads are stored."""
    return config.data_root()


def data_hidden() -> bool:
    """True when ``GENLIB_HIDE_DATA`` is set to 1/true/yes/on: no IDX file is looked for."""
    return config.env_flag("GENLIB_HIDE_DATA")


def downloads_allowed() -> bool:
    """False when ``GENLIB_OFFLINE`` (or ``GENLIB_HIDE_DATA``) is set to 1/true/yes/on."""
    return not (config.env_flag("GENLIB_OFFLINE") or data_hidden())


def get_spec(name: str) -> IdxDataset:
    """The :class:`IdxDataset` called ``name``; :class:`UnknownDatasetError` otherwise."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise UnknownDatasetError(f"unknown IDX data set {name!r}; known: "
                                  f"{', '.join(DATASETS)}") from None


def search_dirs(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data set ``name``, in order (see the module docstring)."""
    if data_hidden():
        return []
    dirs = []
    if root is not None:
        if not Path(root).expanduser().is_dir():
            raise DataNotFoundError(f"root={str(root)!r} is not a folder; give the folder that "
                                    f"holds the IDX files (or {name}/), or leave root out")
        dirs += [Path(root).expanduser(), Path(root).expanduser() / name]
    for entry in os.environ.get("GENLIB_DATA", "").split(os.pathsep):
        if entry.strip():
            dirs.append(Path(entry.strip()).expanduser() / name)
    dirs += [project_data_dir() / name, DEBIAN_ROOT / name]
    return dirs


def find_local(name: str, filename: str, root: str | os.PathLike | None = None) -> Path | None:
    """The first local copy of ``filename`` (uncompressed or ``.gz``), or None."""
    for folder in search_dirs(name, root):
        for candidate in (folder / filename, folder / f"{filename}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _magic(filename: str) -> int:
    return IMAGES_MAGIC if "-images-" in filename else LABELS_MAGIC


def _how_to_get(spec: IdxDataset, filename: str) -> str:
    if data_hidden():
        return "unset GENLIB_HIDE_DATA, which hides every data folder and download"
    hints = [f"set GENLIB_DATA to a folder holding {spec.name}/{filename}.gz",
             f"put it in {project_data_dir() / spec.name}/"]
    if spec.debian_package:
        hints.append(f"apt-get install {spec.debian_package}")
    if config.env_flag("GENLIB_OFFLINE"):
        hints.append("unset GENLIB_OFFLINE to download it")
    return "; or ".join(hints)


# ------------------------------------------------------------------------------ download
def download(filename: str, dest_dir: str | os.PathLike, mirrors: tuple[str, ...] | list[str],
             expected_sha256: str | None = None, magic: int | None = None,
             deadline: float = DEADLINE_S) -> Path:
    """Download ``<mirror>/<filename>.gz`` into ``dest_dir``, trying each mirror in turn.

    The bytes go to a temporary file next to the target, are verified as an IDX file
    (``magic``, ``expected_sha256``), and only then renamed with ``os.replace``. On any
    failure, or Ctrl-C, the temporary file is removed (and one left by a killed run is removed
    once it is an hour old). A mirror that has not delivered the whole file within
    ``deadline`` seconds is given up on. Raises :class:`DownloadError` listing each URL and
    what went wrong.
    """
    from tqdm.auto import tqdm

    if not (isinstance(deadline, (int, float)) and not isinstance(deadline, bool)
            and deadline > 0):
        raise ValueError(f"deadline must be a positive number of seconds, got {deadline!r}")
    dest_dir = Path(dest_dir)
    target = dest_dir / f"{filename}.gz"
    _remove_stale_parts(dest_dir, filename)
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + f"/{filename}.gz"
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{filename}.",
                                            suffix=".part")
        except OSError as exc:
            raise DownloadError(f"cannot write {target} ({exc.strerror or exc}); set "
                                "GENLIB_CACHE to a writable folder") from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as r:
                total = int(r.headers.get("Content-Length") or 0) or None
                started = time.monotonic()
                with tqdm(total=total, unit="B", unit_scale=True, desc=target.name,
                          leave=False) as bar:
                    while chunk := r.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
                        if bar.n > MAX_DOWNLOAD_BYTES:
                            raise DataError(f"more than {MAX_DOWNLOAD_BYTES} bytes")
                        if time.monotonic() - started > deadline:
                            raise DataError(f"only {bar.n} bytes after {deadline:g} s: the "
                                            "mirror is too slow")
            read_idx(tmp, magic=magic, expected_sha256=expected_sha256)
            os.replace(tmp, target)
            return target
        except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError: OSError
            failures.append(f"  {url}: {str(exc).replace(str(tmp), 'the download')}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DownloadError(f"could not download {target.name} into {dest_dir}:\n"
                        + "\n".join(failures or ["  (no mirrors)"]))


def _remove_stale_parts(dest_dir: Path, filename: str) -> None:
    """Remove ``.part`` files of ``filename`` that a killed download left (an hour old)."""
    now = time.time()
    for part in dest_dir.glob(f".{filename}.*.part") if dest_dir.is_dir() else ():
        try:
            if now - part.stat().st_mtime > STALE_PART_S:
                part.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


_PROBES: dict[tuple[str, ...], bool] = {}  # mirror list -> reachable (asked once a session)


def mirror_reachable(spec: IdxDataset, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True if a HEAD request for one of ``spec``'s files succeeds on some mirror in time.

    The answer is remembered for the rest of the Python session.
    """
    if spec.mirrors not in _PROBES:
        _PROBES[spec.mirrors] = _probe(spec.mirrors, timeout)
    return _PROBES[spec.mirrors]


def _probe(mirrors: tuple[str, ...], timeout: float) -> bool:
    for base in mirrors:
        request = urllib.request.Request(base.rstrip("/") + "/t10k-labels-idx1-ubyte.gz",
                                         method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status < 400:
                    return True
        except (OSError, ValueError):
            continue
    return False


# -------------------------------------------------------------------------- entry point
def locate(name: str, filename: str, root: str | os.PathLike | None = None) -> Path:
    """A local path of ``filename`` of data set ``name``, downloading it if needed.

    Raises :class:`DataNotFoundError` (or its subclass :class:`DownloadError`) with the
    folders searched and what to do.
    """
    spec = get_spec(name)
    path = find_local(name, filename, root)
    if path is not None:
        return path
    if downloads_allowed():
        try:
            return download(filename, project_data_dir() / name, spec.mirrors,
                            spec.sha256.get(filename), _magic(filename))
        except DownloadError as exc:
            raise DownloadError(f"{name}: {filename}(.gz) is not on this machine and {exc}\n"
                                f"To fix: check the network, or {_how_to_get(spec, filename)}."
                                ) from None
    if data_hidden():
        raise DataNotFoundError(f"{name}: {filename}(.gz) is hidden, with every data folder and "
                                f"download, by GENLIB_HIDE_DATA. To fix: {_how_to_get(spec, filename)}.")
    searched = "\n".join(f"  {d}" for d in search_dirs(name, root))
    raise DataNotFoundError(f"{name}: {filename}(.gz) not found in\n{searched}\nand downloads "
                            f"are off (GENLIB_OFFLINE). To fix: {_how_to_get(spec, filename)}.")


def is_available_locally(name: str, root: str | os.PathLike | None = None) -> bool:
    """True if all four files (train and test splits) of ``name`` are on this machine."""
    return all(find_local(name, f, root) is not None
               for files in SPLIT_FILES.values() for f in files)


def _read(spec: IdxDataset, path: Path, filename: str) -> np.ndarray:
    """Read and verify one canonical file; for Debian's copy, say how to repair it."""
    try:
        return read_idx(path, _magic(filename), spec.sha256.get(filename))
    except CorruptFileError as exc:
        if spec.debian_package and path.is_relative_to(DEBIAN_ROOT):
            raise type(exc)(f"{exc} This copy comes from Debian: sudo apt-get install "
                            f"--reinstall {spec.debian_package}") from None
        raise


def read_split(name: str, split: str, root: str | os.PathLike | None = None
               ) -> tuple[np.ndarray, np.ndarray, Path, Path]:
    """Locate, read and verify one split: ``(images N x H x W, labels N, their paths)``."""
    spec = get_spec(name)
    if split not in SPLIT_FILES:
        raise DataError(f"split must be one of {', '.join(SPLIT_FILES)}, got {split!r}")
    images_file, labels_file = SPLIT_FILES[split]
    images_path = locate(name, images_file, root)
    labels_path = locate(name, labels_file, root)
    images = _read(spec, images_path, images_file)
    labels = _read(spec, labels_path, labels_file)
    if len(images) != len(labels):
        raise CorruptFileError(f"{images_path} holds {len(images)} images but {labels_path} "
                               f"holds {len(labels)} labels: the files don't belong together. "
                               "If they are in your own cache, delete both and run again to "
                               "re-download them; in a shared folder, tell whoever keeps it.")
    return images, labels, images_path, labels_path
