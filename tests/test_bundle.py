"""Pretrained bundles: made from a cache, installed from a path or a local HTTP server.

A quick-mode toy GAN is trained once into a temporary cache (the teacher's) and bundled. A
server on 127.0.0.1 serves the right bundle, one with an altered byte, one cut short, and one
it stops sending half-way. The right one installs into another cache (the student's), after
which the recipe loads instead of training; every refused case leaves that cache as it was.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import tarfile
import threading
from pathlib import Path

import pytest
import torch

import genlib
from genlib import bundle, zoo
from genlib.bundle import BundleError, install_bundle, make_bundle

PLAN = [(zoo.toy_gan, {})]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    """The toy GAN trained in quick mode into a teacher's cache; its bundle; its weights."""
    cache = tmp_path_factory.mktemp("teacher")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENLIB_QUICK", "1")
        mp.setenv("GENLIB_CACHE", str(cache))
        mp.delenv("GENLIB_SHARED_CACHE", raising=False)
        models, _ = zoo.toy_gan()
        archive = make_bundle(cache / "dist", plan=PLAN, progress=False)
        mp.setattr(genlib, "__version__", "0.0.0-other")
        other_version = make_bundle(cache / "other", plan=PLAN, progress=False)
    weights = {k: t.clone() for k, t in models["generator"].state_dict().items()}
    return archive, other_version, weights


@pytest.fixture
def student(tmp_path, monkeypatch):
    """The student's cache, holding one checkpoint of their own already."""
    cache = tmp_path / "student"
    (cache / "checkpoints").mkdir(parents=True)
    (cache / "checkpoints" / "mlp_vae-000000000000.pt").write_bytes(b"their own model")
    monkeypatch.setenv("GENLIB_QUICK", "1")
    monkeypatch.setenv("GENLIB_CACHE", str(cache))
    monkeypatch.delenv("GENLIB_SHARED_CACHE", raising=False)
    return cache


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with its content's sha256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "folder" for p in sorted(folder.rglob("*"))}


def altered(archive: Path) -> bytes:
    """The archive with one byte of its first checkpoint flipped (the manifest untouched)."""
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".pt"))
    data[member.offset_data + member.size // 2] ^= 0xFF
    return bytes(data)


class BundleServer(http.server.BaseHTTPRequestHandler):
    """``/right``, ``/altered``, ``/truncated``: served whole; ``/gone``: the headers promise
    the whole archive, half of it is sent, then the connection is closed."""
    bodies: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 -- http.server's name
        name = self.path.strip("/")
        body = self.bodies.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-tar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name == "gone":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(teacher):
    archive = teacher[0]
    right = archive.read_bytes()
    BundleServer.bodies = {"right": right, "altered": altered(archive),
                           "truncated": right[: len(right) * 2 // 3], "gone": right,
                           "other": teacher[1].read_bytes()}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BundleServer)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def test_the_manifest_names_version_hash_and_configuration(teacher):
    archive = teacher[0]
    assert archive.name == f"genlib-models-{genlib.__version__}.tar"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert names[0] == "manifest.json" and len(names) == 2
        (member, entry), = manifest["files"].items()
        data = tar.extractfile(member).read()
    assert manifest["genlib"] == genlib.__version__ and manifest["mode"] == "quick"
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert entry["recipe"] == "toy_gan" and entry["config"]["steps"] == 50
    digest, name = (archive.parent / f"{archive.name}.sha256").read_text().split()
    assert (digest, name) == (hashlib.sha256(archive.read_bytes()).hexdigest(), archive.name)
    assert archive.stat().st_mode & 0o777 == 0o644   # readable by the class it is made for


def test_a_model_missing_from_the_cache_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLIB_QUICK", "1")
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path))
    monkeypatch.delenv("GENLIB_SHARED_CACHE", raising=False)
    missing = r"toy_wgan\(\) -> toy_wgan-[0-9a-f]{12}\.pt.*make pretrain"
    with pytest.raises(BundleError, match=missing):
        make_bundle(tmp_path / "dist", plan=[(zoo.toy_wgan, {})], progress=False)
    assert not (tmp_path / "checkpoints").exists()  # nothing was trained


@pytest.mark.parametrize("how", ["url", "path"])
def test_the_right_bundle_installs_and_the_recipe_then_loads(how, teacher, server, student,
                                                             capsys):
    archive, _, weights = teacher
    source = f"{server}/right" if how == "url" else archive
    installed = install_bundle(source, progress=False)
    assert [p.parent for p in installed] == [student / "checkpoints"]
    assert (student / "checkpoints" / "mlp_vae-000000000000.pt").read_bytes() == b"their own model"
    assert not list(student.glob(".bundle-*"))  # the temporary folder is gone
    models, _ = zoo.toy_gan()
    assert "toy_gan: loaded from checkpoints" in capsys.readouterr().out
    loaded = models["generator"].state_dict()
    assert all(torch.equal(loaded[k], weights[k]) for k in weights)


def test_the_archive_hash_is_checked_when_given(teacher, student):
    archive = teacher[0]
    before = snapshot(student)
    with pytest.raises(BundleError, match="not the published bundle"):
        install_bundle(archive, sha256="0" * 64, progress=False)
    assert snapshot(student) == before
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert len(install_bundle(archive, sha256=digest, progress=False)) == 1


@pytest.mark.parametrize("case, message", [
    ("altered", "does not match its sha256"),
    ("truncated", "truncated|not a complete tar archive"),
    ("gone", "ended after|failed after"),
    ("other", r"made by genlib 0\.0\.0-other.*this is genlib"),
])
def test_a_bad_bundle_is_refused_and_the_cache_unchanged(case, message, server, student):
    before = snapshot(student)
    with pytest.raises(BundleError, match=message):
        install_bundle(f"{server}/{case}", timeout=10, progress=False)
    assert snapshot(student) == before


def test_an_interrupted_install_leaves_the_cache_unchanged(server, student, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(bundle, "_copy_hashed", interrupt)  # Ctrl-C while unpacking
    before = snapshot(student)
    with pytest.raises(KeyboardInterrupt):
        install_bundle(f"{server}/right", progress=False)
    assert snapshot(student) == before


def test_an_interrupted_move_is_undone(tmp_path, monkeypatch):
    """Ctrl-C between two renames: the new file moved is taken out, the replaced one put back."""
    destination, unpacked = tmp_path / "checkpoints", tmp_path / "unpacked"
    destination.mkdir()
    unpacked.mkdir()
    (destination / "b.pt").write_bytes(b"old b")
    (unpacked / "a.pt").write_bytes(b"new a")
    (unpacked / "b.pt").write_bytes(b"new b")
    before = snapshot(destination)
    real_replace, calls = os.replace, []

    def replace(src, dst):  # a.pt into place, old b.pt to the backups, then Ctrl-C
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_replace(src, dst)
    monkeypatch.setattr(bundle.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        bundle._move_into_place({n: unpacked / n for n in ("a.pt", "b.pt")}, destination,
                                tmp_path / "backups")
    assert len(calls) == 4 and snapshot(destination) == before


def test_bad_arguments_name_themselves(student):
    with pytest.raises(TypeError, match="source"):
        install_bundle(None)
    with pytest.raises(BundleError, match="neither an http"):
        install_bundle(str(student / "nothing.tar"))
    with pytest.raises(ValueError, match="timeout"):
        install_bundle("http://127.0.0.1:9/x.tar", timeout=0)
    with pytest.raises(ValueError, match="sha256"):
        install_bundle("http://127.0.0.1:9/x.tar", sha256="abc")
