"""Where data files are found, and downloads (against a local http.server, no network)."""
from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from genlib.data import images, sources
from genlib.data.idx import (LABELS_MAGIC, DataNotFoundError, DownloadError,
                             UnknownDatasetError, encode_idx)

LABELS = np.arange(7, dtype=np.uint8)
LABELS_IDX = encode_idx(LABELS)
LABELS_SHA = hashlib.sha256(LABELS_IDX).hexdigest()
SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture
def hermetic(tmp_path, monkeypatch):
    """No GENLIB_DATA, project data dir and Debian folder in tmp_path, fresh caches."""
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    monkeypatch.delenv("GENLIB_OFFLINE", raising=False)
    monkeypatch.delenv("GENLIB_DATASET", raising=False)
    monkeypatch.setattr(sources, "DEBIAN_ROOT", tmp_path / "debian")
    monkeypatch.setattr(sources, "project_data_dir", lambda: tmp_path / "project")
    monkeypatch.setattr(sources, "_PROBES", {})
    monkeypatch.setattr(images, "_CACHE", {})
    return tmp_path


def put(folder: Path, filename: str = "t10k-labels-idx1-ubyte.gz") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_bytes(gzip.compress(LABELS_IDX) if filename.endswith(".gz") else LABELS_IDX)
    return path


# ------------------------------------------------------------------------------ searching
def test_search_order(hermetic, monkeypatch):
    tmp = hermetic
    (tmp / "root").mkdir()
    monkeypatch.setenv("GENLIB_DATA", os.pathsep.join([str(tmp / "env1"), str(tmp / "env2")]))
    assert sources.search_dirs("mnist", tmp / "root") == [
        tmp / "root", tmp / "root" / "mnist", tmp / "env1" / "mnist", tmp / "env2" / "mnist",
        tmp / "project" / "mnist", tmp / "debian" / "mnist"]
    found = []
    for folder in reversed(sources.search_dirs("mnist", tmp / "root")):
        put(folder)  # a copy in every place, added from the last to the first
        found.append(sources.find_local("mnist", "t10k-labels-idx1-ubyte", tmp / "root"))
    assert found == [folder / "t10k-labels-idx1-ubyte.gz"
                     for folder in reversed(sources.search_dirs("mnist", tmp / "root"))]


def test_uncompressed_file_is_accepted(hermetic):
    path = put(hermetic / "root" / "mnist", "t10k-labels-idx1-ubyte")
    assert sources.locate("mnist", "t10k-labels-idx1-ubyte", hermetic / "root") == path


def test_nothing_found_offline(hermetic, monkeypatch):
    monkeypatch.setenv("GENLIB_OFFLINE", "1")
    monkeypatch.setenv("GENLIB_DATA", str(hermetic / "empty"))
    (hermetic / "empty").mkdir()
    (hermetic / "root").mkdir()
    with pytest.raises(DataNotFoundError) as exc:
        sources.locate("fashion-mnist", "train-images-idx3-ubyte", hermetic / "root")
    message = str(exc.value)
    assert "train-images-idx3-ubyte" in message and str(hermetic / "empty") in message
    assert "GENLIB_DATA" in message and "apt-get install dataset-fashion-mnist" in message
    assert not (hermetic / "project").exists()  # nothing was created


def test_nothing_found_and_mirror_unreachable(hermetic, monkeypatch):
    port = _closed_port()
    spec = dataclasses.replace(sources.MNIST, mirrors=(f"http://127.0.0.1:{port}/",))
    monkeypatch.setitem(sources.DATASETS, "mnist", spec)
    monkeypatch.setenv("GENLIB_DATA", str(hermetic / "empty"))
    with pytest.raises(DownloadError) as exc:
        sources.locate("mnist", "t10k-labels-idx1-ubyte")
    assert "t10k-labels-idx1-ubyte" in str(exc.value) and "GENLIB_DATA" in str(exc.value)
    assert isinstance(exc.value, DataNotFoundError)
    assert list((hermetic / "project" / "mnist").iterdir()) == []  # no partial file
    assert not sources.mirror_reachable(spec)


def test_unknown_idx_dataset():
    with pytest.raises(UnknownDatasetError, match="mnist, fashion-mnist"):
        sources.get_spec("cifar")


# ------------------------------------------------------------------------------ downloads
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local HTTP server over tmp_path/www: good/ (valid file), bad/ (truncated), and
    anything else answers 404. Yields its base URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    www = tmp_path / "www"
    put(www / "good")
    (www / "bad").mkdir()
    (www / "bad" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(LABELS_IDX)[:-12])
    if (SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").is_file():
        (www / "real").mkdir()
        shutil.copy(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz", www / "real")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _download(dest, *mirrors):
    return sources.download("t10k-labels-idx1-ubyte", dest, mirrors, LABELS_SHA, LABELS_MAGIC)


def test_download_good_file(server, tmp_path):
    path = _download(tmp_path / "dest", f"{server}/good/")
    assert path == tmp_path / "dest" / "t10k-labels-idx1-ubyte.gz"
    assert gzip.decompress(path.read_bytes()) == LABELS_IDX
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left


@pytest.mark.parametrize("mirror, reason", [("bad", "truncated"), ("missing", "404")])
def test_failed_download_leaves_nothing(server, tmp_path, mirror, reason):
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=reason) as exc:
        _download(dest, f"{server}/{mirror}/")
    assert "t10k-labels-idx1-ubyte.gz" in str(exc.value)
    assert list(dest.iterdir()) == []


def test_download_falls_back_to_next_mirror(server, tmp_path):
    path = _download(tmp_path / "dest", f"{server}/missing/", f"{server}/bad/",
                     f"{server}/good")
    assert path.is_file() and len(list(path.parent.iterdir())) == 1


def test_download_with_wrong_checksum_is_discarded(server, tmp_path):
    with pytest.raises(DownloadError, match="SHA-256"):
        sources.download("t10k-labels-idx1-ubyte", tmp_path / "dest", [f"{server}/good/"],
                         "0" * 64, LABELS_MAGIC)
    assert list((tmp_path / "dest").iterdir()) == []


def test_interrupted_download_leaves_nothing(server, tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        assert len(list((tmp_path / "dest").iterdir())) == 1  # the temporary file
        raise KeyboardInterrupt

    monkeypatch.setattr(sources, "read_idx", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _download(tmp_path / "dest", f"{server}/good/")
    assert list((tmp_path / "dest").iterdir()) == []


def test_mirror_probe(server, hermetic):
    spec = dataclasses.replace(sources.MNIST, mirrors=(f"{server}/missing/", f"{server}/good/"))
    assert sources.mirror_reachable(spec)


@pytest.mark.skipif(not (SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").is_file(),
                    reason=f"needs the real MNIST test labels in {SHARED_MNIST} (enable: put "
                           "t10k-labels-idx1-ubyte.gz there)")
def test_locate_downloads_real_file_through_mirror_list(server, hermetic, monkeypatch):
    spec = dataclasses.replace(sources.MNIST, mirrors=(f"{server}/missing/", f"{server}/real/"))
    monkeypatch.setitem(sources.DATASETS, "mnist", spec)
    path = sources.locate("mnist", "t10k-labels-idx1-ubyte")
    assert path == hermetic / "project" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    assert sources.locate("mnist", "t10k-labels-idx1-ubyte") == path  # now found locally


def test_locate_offline_does_not_download(server, hermetic, monkeypatch):
    spec = dataclasses.replace(sources.MNIST, mirrors=(f"{server}/good/",))
    monkeypatch.setitem(sources.DATASETS, "mnist", spec)
    monkeypatch.setenv("GENLIB_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="GENLIB_OFFLINE"):
        sources.locate("mnist", "t10k-labels-idx1-ubyte")


def test_class_names_cover_every_data_set():
    from genlib.data import CLASS_NAMES, class_names, dataset_names
    assert set(CLASS_NAMES) == set(dataset_names())
    assert all(len(class_names(name)) == 10 for name in dataset_names())
    assert class_names("fashion-mnist")[9] == "Ankle boot" and class_names("mnist")[3] == "3"
    class_names("digits").append("x")  # a copy: the constant stays as it is
    assert len(CLASS_NAMES["digits"]) == 10
    with pytest.raises(UnknownDatasetError, match="resolve_dataset"):
        class_names("auto")


def test_a_root_that_is_not_a_folder_is_an_error(hermetic):
    with pytest.raises(DataNotFoundError, match="root=.*is not a folder"):
        sources.locate("mnist", "t10k-labels-idx1-ubyte", hermetic / "no-such-folder")


def test_a_trickling_mirror_is_given_up_on(hermetic, monkeypatch):
    class Trickle:  # one small chunk at a time, for ever
        headers = {}
        def read(self, n):
            return b"x" * 10
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: Trickle())
    with pytest.raises(sources.DownloadError, match="after 0.2 s: the mirror is too slow"):
        sources.download("t10k-labels-idx1-ubyte", hermetic / "dl", ["http://mirror.invalid/"],
                         deadline=0.2)
    assert not list((hermetic / "dl").iterdir())  # nothing left behind


def test_a_part_file_left_by_a_killed_download_is_removed(hermetic, monkeypatch):
    folder = hermetic / "dl"
    folder.mkdir()
    old, fresh = folder / ".t10k-labels-idx1-ubyte.abc.part", folder / ".t10k-labels-idx1-ubyte.def.part"
    old.write_bytes(b"half"); fresh.write_bytes(b"half")
    os.utime(old, (0, 0))  # from 1970: no download runs that long
    monkeypatch.setattr(sources.urllib.request, "urlopen",
                        lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(sources.DownloadError):
        sources.download("t10k-labels-idx1-ubyte", folder, ["http://mirror.invalid/"])
    assert not old.exists() and fresh.exists()  # another run may still be writing the fresh one
