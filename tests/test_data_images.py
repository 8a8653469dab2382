"""load_images and resolve_dataset: synthetic files, bad inputs, and the real data sets."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from genlib.data import (ChecksumError, CorruptFileError, DataError, DataNotFoundError,
                         UnknownDatasetError, class_names, image_shape, images, load_images,
                         resolve_dataset, sources)
from genlib.data.idx import encode_idx

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
RNG = np.random.default_rng(1)


@pytest.fixture
def hermetic(tmp_path, monkeypatch):
    """No GENLIB_* settings, project data dir and Debian folder in tmp_path, no network."""
    for var in ("GENLIB_DATA", "GENLIB_OFFLINE", "GENLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sources, "DEBIAN_ROOT", tmp_path / "debian")
    monkeypatch.setattr(sources, "project_data_dir", lambda: tmp_path / "project")
    monkeypatch.setattr(sources, "_PROBES", {})
    monkeypatch.setattr(sources, "mirror_reachable", lambda spec, timeout=0: False)
    monkeypatch.setattr(images, "_CACHE", {})
    return tmp_path


@pytest.fixture
def tiny(hermetic, monkeypatch):
    """A made-up IDX data set ``tiny`` without checksums, so synthetic files load."""
    spec = sources.IdxDataset("tiny", sha256={}, mirrors=())
    monkeypatch.setitem(sources.DATASETS, "tiny", spec)
    return hermetic / "root"


def write_split(folder: Path, split="train", n_images=6, n_labels=6, gz=True, hw=(4, 3)):
    folder.mkdir(parents=True, exist_ok=True)
    image_file, label_file = sources.SPLIT_FILES[split]
    pixels = RNG.integers(0, 256, size=(n_images, *hw), dtype=np.uint8)
    pixels[0, 0, 0], pixels[0, 0, 1] = 0, 255
    labels = RNG.integers(0, 10, size=n_labels, dtype=np.uint8)
    for name, array in ((image_file, pixels), (label_file, labels)):
        data = encode_idx(array)
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return pixels, labels


# ---------------------------------------------------------------------------- synthetic
@pytest.mark.parametrize("gz", [True, False])
def test_load_synthetic_split(tiny, gz):
    pixels, labels = write_split(tiny / "tiny", "test", gz=gz)
    x, y = load_images("tiny", "test", root=tiny)
    assert x.shape == (6, 1, 4, 3) and x.dtype == torch.float32
    assert y.shape == (6,) and y.dtype == torch.int64
    assert x.min() == 0 and x.max() == 1
    assert torch.equal(x[:, 0], torch.from_numpy(pixels).float() / 255)
    assert y.tolist() == labels.tolist()


def test_cache_returns_fresh_tensors(tiny, monkeypatch):
    write_split(tiny)
    x1, y1 = load_images("tiny", root=tiny)
    monkeypatch.setattr(sources, "read_split", lambda *a: pytest.fail("not cached"))
    x1.zero_()  # the caller scribbles on its copy ...
    y1.fill_(-1)
    x2, y2 = load_images("tiny", root=tiny)
    assert x2.max() == 1 and (y2 >= 0).all()  # ... and the next load is unaffected
    images.clear_cache()
    with pytest.raises(pytest.fail.Exception):
        load_images("tiny", root=tiny)


def test_label_count_differs_from_image_count(tiny):
    write_split(tiny, n_images=6, n_labels=5)
    with pytest.raises(CorruptFileError, match="6 images but") as exc:
        load_images("tiny", "train", root=tiny)
    assert "train-images-idx3-ubyte.gz" in str(exc.value)
    assert "train-labels-idx1-ubyte.gz" in str(exc.value)


def test_truncated_gz_through_load_images(tiny):
    write_split(tiny)
    path = tiny / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match="delete it and run again") as exc:
        load_images("tiny", "train", root=tiny)
    assert str(path) in str(exc.value)


def test_wrong_magic_through_load_images(tiny):
    write_split(tiny)
    path = tiny / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(np.zeros((6, 2, 2), np.uint8))))
    with pytest.raises(CorruptFileError, match="magic number 0x00000803") as exc:
        load_images("tiny", "train", root=tiny)
    assert str(path) in str(exc.value)


def test_checksum_mismatch_on_canonical_file(hermetic):
    # Perfectly structured files with the canonical names but the wrong content.
    write_split(hermetic / "root" / "fashion-mnist", "test", hw=(28, 28))
    with pytest.raises(ChecksumError, match="SHA-256") as exc:
        load_images("fashion-mnist", "test", root=hermetic / "root")
    assert str(hermetic / "root" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") \
        in str(exc.value)


def test_no_data_and_offline(hermetic, monkeypatch):
    monkeypatch.setenv("GENLIB_OFFLINE", "1")
    (hermetic / "empty").mkdir()
    monkeypatch.setenv("GENLIB_DATA", str(hermetic / "empty"))
    (hermetic / "root").mkdir()
    with pytest.raises(DataNotFoundError) as exc:
        load_images("mnist", "train", root=hermetic / "root")
    assert "train-images-idx3-ubyte" in str(exc.value)
    assert "GENLIB_DATA" in str(exc.value)


# ---------------------------------------------------------------------------- bad names
def test_unknown_name_lists_known_names():
    with pytest.raises(UnknownDatasetError) as exc:
        load_images("cifar10")
    for known in ("mnist", "fashion-mnist", "digits", "'cifar10'"):
        assert known in str(exc.value)


def test_unknown_name_in_environment(hermetic, monkeypatch):
    monkeypatch.setenv("GENLIB_DATASET", "svhn")
    with pytest.raises(UnknownDatasetError, match="'svhn'.*digits"):
        resolve_dataset("auto")


def test_bad_split():
    with pytest.raises(DataError, match="'train' or 'test'"):
        load_images("digits", "validation")


# ---------------------------------------------------------------------------- auto
def test_auto_means_fashion_mnist_and_mnist_only_by_name(hermetic, capsys):
    for split in ("train", "test"):
        write_split(hermetic / "project" / "mnist", split)
    assert resolve_dataset("auto") == "digits-28"      # MNIST is here, but never chosen by "auto"
    assert "fashion-mnist is neither on this machine nor downloadable" in capsys.readouterr().out
    assert resolve_dataset("mnist") == "mnist"
    for split in ("train", "test"):
        write_split(hermetic / "project" / "fashion-mnist", split)
    assert resolve_dataset("auto", verbose=False) == "fashion-mnist"


def test_auto_downloads_fashion_mnist_when_a_mirror_answers(hermetic, monkeypatch):
    asked = []
    monkeypatch.setattr(sources, "mirror_reachable",
                        lambda spec, timeout=0: asked.append(spec.name) or True)
    assert resolve_dataset("auto", verbose=False) == "fashion-mnist" and asked == ["fashion-mnist"]
    monkeypatch.setenv("GENLIB_OFFLINE", "1")  # ... but not when downloads are off
    assert resolve_dataset("auto", verbose=False) == "digits-28"


def test_auto_falls_back_to_fashion_then_digits(hermetic, capsys):
    assert resolve_dataset("auto") == "digits-28"
    assert "digits, enlarged to 28 x 28" in capsys.readouterr().out
    write_split(hermetic / "project" / "mnist", "test")  # half of mnist is not enough
    for split in ("train", "test"):
        write_split(hermetic / "debian" / "fashion-mnist", split)
    assert resolve_dataset("auto", verbose=False) == "fashion-mnist"


def test_digits_28_are_the_digits_enlarged(hermetic):
    small, labels = load_images("digits", "test")
    big, big_labels = load_images("digits-28", "test")
    assert big.shape == (297, 1, 28, 28) and image_shape("digits-28") == (1, 28, 28)
    assert torch.equal(labels, big_labels) and 0 <= big.min() and big.max() <= 1
    assert (big.mean((1, 2, 3)) - small.mean((1, 2, 3))).abs().max() < 0.05  # the ink is kept
    shrunk = torch.nn.functional.adaptive_avg_pool2d(big, 8)  # back on the 8 x 8 grid
    assert (shrunk - small).abs().mean() < 0.1
    assert class_names("digits-28") == class_names("digits")


def test_hidden_data_leaves_the_digits(hermetic, monkeypatch, capsys):
    for split in ("train", "test"):
        write_split(hermetic / "project" / "fashion-mnist", split)
    assert resolve_dataset("auto", verbose=False) == "fashion-mnist"
    monkeypatch.setenv("GENLIB_HIDE_DATA", "1")
    monkeypatch.setattr(sources, "mirror_reachable", lambda spec, timeout=0: True)  # not asked
    assert resolve_dataset("auto") == "digits-28" and not sources.downloads_allowed()
    assert "enlarged to 28 x 28" in capsys.readouterr().out
    with pytest.raises(DataNotFoundError, match="GENLIB_HIDE_DATA"):
        load_images("fashion-mnist", "test")


def test_auto_environment_override(hermetic, monkeypatch, capsys):
    monkeypatch.setenv("GENLIB_DATASET", "digits")
    x, y = load_images("auto", "test")
    assert x.shape == (297, 1, 8, 8)
    assert "GENLIB_DATASET" in capsys.readouterr().out


def test_auto_resolves_to_an_available_name(monkeypatch):
    """Acceptance: without network, 'auto' picks a data set whose splits are all here."""
    monkeypatch.setenv("GENLIB_OFFLINE", "1")
    monkeypatch.delenv("GENLIB_DATASET", raising=False)
    if SHARED_DATA.is_dir():
        monkeypatch.setenv("GENLIB_DATA", str(SHARED_DATA))
    name = resolve_dataset("auto")
    assert name in images.dataset_names()
    assert images.available_offline(name), name
    if DEBIAN_FASHION.is_dir():
        assert name == "fashion-mnist"
    elif not sources.is_available_locally("fashion-mnist"):
        assert name == "digits-28"   # the fallback: 'auto' never means MNIST


# ---------------------------------------------------------------------------- real data
def test_digits():
    x, y = load_images("digits", "train")
    assert x.shape == (1500, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() == 0 and x.max() == 1
    levels = x * 16
    assert torch.equal(levels, levels.round())  # 17 grey levels 0..16
    assert len(load_images("digits", "test")[0]) == 297
    assert set(y.tolist()) == set(range(10))


@pytest.mark.skipif(not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").is_file(),
                    reason="needs Debian's Fashion-MNIST (enable: apt-get install "
                           "dataset-fashion-mnist)")
def test_fashion_mnist_train_from_debian(monkeypatch, tmp_path):
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    monkeypatch.setattr(sources, "project_data_dir", lambda: tmp_path / "project")
    monkeypatch.setattr(images, "_CACHE", {})
    assert sources.find_local("fashion-mnist", "train-images-idx3-ubyte").parent \
        == DEBIAN_FASHION
    x, y = load_images("fashion-mnist", "train")
    assert x.shape == (60000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 1
    assert torch.bincount(y).tolist() == [6000] * 10


@pytest.mark.skipif(not (SHARED_DATA / "mnist" / "t10k-images-idx3-ubyte.gz").is_file(),
                    reason=f"needs the MNIST test split in {SHARED_DATA}/mnist (enable: put "
                           "t10k-*-idx*-ubyte.gz there)")
def test_mnist_test_split_through_genlib_data(monkeypatch, tmp_path):
    monkeypatch.setenv("GENLIB_DATA", str(SHARED_DATA))
    monkeypatch.setattr(sources, "project_data_dir", lambda: tmp_path / "project")
    monkeypatch.setattr(images, "_CACHE", {})
    x, y = load_images("mnist", "test")
    assert x.shape == (10000, 1, 28, 28)
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_damaged_debian_copy_says_reinstall(hermetic):
    write_split(hermetic / "debian" / "fashion-mnist", "test", hw=(28, 28))
    with pytest.raises(ChecksumError, match="apt-get install --reinstall "
                                            "dataset-fashion-mnist") as exc:
        load_images("fashion-mnist", "test")
    assert str(hermetic / "debian" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") \
        in str(exc.value)


def test_digits_always_available_offline():
    from genlib.data import available_offline
    assert available_offline("digits")
    with pytest.raises(UnknownDatasetError):
        available_offline("cifar")


def test_limit_takes_the_first_images_and_is_checked():
    from genlib.data import image_shape

    images, labels = load_images("digits", "train", limit=10)
    full, full_labels = load_images("digits", "train")
    assert torch.equal(images, full[:10]) and torch.equal(labels, full_labels[:10])
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(DataError, match="limit must be a positive whole number"):
            load_images("digits", "train", limit=bad)
    assert image_shape("digits") == (1, 8, 8) and image_shape("fashion-mnist") == (1, 28, 28)
