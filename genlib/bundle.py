"""Pretrained bundles: every trained model of the collection in one archive, installed in one line.

A bundle is an uncompressed tar archive, ``genlib-models-<version>.tar``: first
``manifest.json``, then ``checkpoints/<name>-<hash>.pt`` for each model, the very files the
cache of :mod:`genlib.zoo` writes. The manifest names the genlib version that made them and,
for each file, its sha256, size, recipe and configuration::

    {"format": 1, "genlib": "1.0.0", "mode": "full",
     "files": {"checkpoints/dcgan-1a2b3c4d5e6f.pt": {"sha256": "...", "bytes": 1234,
                                                     "recipe": "dcgan", "config": {...}}}}

``make bundle`` (:func:`make_bundle`) packs the full-mode models of
:func:`genlib.zoo.pretrain_plan` from the user's cache. :func:`install_bundle` takes a path or
an ``http(s)://`` address and installs the files into ``<GENLIB_CACHE>/checkpoints/``, where
the recipes look first, so the notebooks load instead of training::

    genlib.install_bundle("https://github.com/OWNER/NAME/releases/download/v1.0.0/genlib-models-1.0.0.tar")

Nothing is ever half-installed: the archive is downloaded to a temporary file and unpacked into
a temporary folder, both inside the cache folder; every file's sha256 and size are checked
against the manifest (and the whole archive's against ``sha256=`` when given); only then is
each file moved into place with an atomic rename. Any error, Ctrl-C included, removes the
temporary folder and undoes the renames already made.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable

from tqdm.auto import tqdm

from . import config

FORMAT = 1
MANIFEST = "manifest.json"
MEMBER = re.compile(r"checkpoints/[A-Za-z0-9_][A-Za-z0-9_.-]*\.pt")
CHUNK = 1 << 20


class BundleError(ValueError):
    """A bundle that cannot be made or installed; the message says why and what to do.
    Whenever it is raised by :func:`install_bundle`, the cache is as it was before."""


def genlib_version() -> str:
    """The version of the installed genlib (``genlib.__version__``): a bundle is made for one."""
    import genlib
    return genlib.__version__


def bundle_name(version: str | None = None) -> str:
    """``genlib-models-<version>.tar``."""
    return f"genlib-models-{version or genlib_version()}.tar"


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# -- making a bundle -----------------------------------------------------------------------------

class _Planned(Exception):
    """Raised inside a recipe once its checkpoint's path is known: nothing is loaded or trained."""

    def __init__(self, path: Path, key: dict):
        super().__init__(str(path))
        self.path, self.key = path, key


def planned_checkpoint(recipe: Callable, kwargs: dict) -> tuple[str, dict]:
    """``(file name, configuration)`` of the checkpoint ``recipe(**kwargs)`` loads in the current
    mode. The recipe itself is called, with the cache's ``checkpoint_path`` replaced by one that
    records the path and stops the call before anything is loaded or trained (the models are
    built, untrained)."""
    from .zoo import cache

    original = cache.checkpoint_path

    def record(name, key, folder=None):
        raise _Planned(original(name, key, folder), key)

    cache.checkpoint_path = record
    try:
        recipe(**kwargs)
    except _Planned as planned:
        return planned.path.name, json.loads(json.dumps(planned.key, default=str))
    finally:
        cache.checkpoint_path = original
    raise BundleError(f"recipe {recipe.__name__}({kwargs}) returned without asking the cache "
                      "for a checkpoint; only recipes of genlib.zoo can be bundled")


def make_bundle(out: str | os.PathLike = "dist",
                plan: Iterable[tuple[Callable, dict]] | None = None,
                progress: bool = True) -> Path:
    """Pack the checkpoints of ``plan`` (default :func:`genlib.zoo.pretrain_plan`), in the current
    mode, into ``<out>/genlib-models-<version>.tar``, and write its sha256 beside it in
    ``<name>.sha256`` (the format of ``sha256sum``). Each file is taken from the user's cache
    (``GENLIB_CACHE``), else from a ``GENLIB_SHARED_CACHE`` folder. ``BundleError`` lists the
    models missing from both: train them first (``make pretrain``). Returns the archive's path."""
    if plan is None:
        from .zoo import pretrain_plan
        plan = pretrain_plan()
    entries, missing = {}, []
    folders = [config.checkpoint_dir(), *config.shared_checkpoint_dirs()]
    for recipe, kwargs in plan:
        filename, key = planned_checkpoint(recipe, kwargs)
        found = next((folder / filename for folder in folders if (folder / filename).is_file()),
                     None)
        if found is None:
            shown = ", ".join(f"{k}={getattr(v, '__name__', v)!r}" for k, v in kwargs.items())
            missing.append(f"{recipe.__name__}({shown}) -> {filename}")
        else:
            entries[f"checkpoints/{filename}"] = (found, key)
    if missing:
        raise BundleError(f"{len(missing)} models of the plan are not in {folders[0]} (nor in a "
                          f"shared cache), in {config.mode()} mode: " + "; ".join(missing)
                          + ". Train them first (make pretrain), or set GENLIB_CACHE to the "
                          "cache that holds them")
    version = genlib_version()
    manifest = {"format": FORMAT, "genlib": version, "mode": config.mode(), "files": {}}
    for member, (path, key) in entries.items():
        manifest["files"][member] = {"sha256": file_sha256(path), "bytes": path.stat().st_size,
                                     "recipe": key.get("recipe"), "config": key}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / bundle_name(version)
    fd, tmp = tempfile.mkstemp(dir=out, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file, tarfile.open(fileobj=file, mode="w:",
                                                       format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            tar.addfile(_member_info(MANIFEST, len(data)), io.BytesIO(data))
            for member, (path, _) in tqdm(entries.items(), desc="packing", unit="model",
                                          disable=not progress):
                with open(path, "rb") as source:
                    tar.addfile(_member_info(member, path.stat().st_size), source)
        os.chmod(tmp, 0o644)   # mkstemp makes it private; a bundle is for sharing
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    digest = file_sha256(target)
    (out / f"{target.name}.sha256").write_text(f"{digest}  {target.name}\n")
    print(f"{target}: {len(entries)} models, {target.stat().st_size / 2**20:.1f} MiB, "
          f"genlib {version}, {config.mode()} mode, sha256 {digest}")
    return target


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    return info


# -- installing a bundle -------------------------------------------------------------------------

def install_bundle(source: str | os.PathLike, sha256: str | None = None, timeout: float = 30.0,
                   progress: bool = True) -> list[Path]:
    """Install the bundle at ``source`` (a path, or an ``http://`` / ``https://`` address) into
    ``<GENLIB_CACHE>/checkpoints/``; returns the installed files' paths.

    Refused with ``BundleError``, the cache left as it was: a bundle made by another genlib
    version, a file whose sha256 or size differs from the manifest's, a truncated archive or
    download, a connection lost or silent for ``timeout`` seconds, an archive whose sha256 is
    not ``sha256`` (when given). A file already in the cache is replaced by the bundle's."""
    if not isinstance(source, (str, os.PathLike)) or not str(source).strip():
        raise TypeError(f"source must be a path or an http(s):// address of a bundle, got "
                        f"{source!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if sha256 is not None and not (isinstance(sha256, str)
                                   and re.fullmatch(r"[0-9a-fA-F]{64}", sha256.strip())):
        raise ValueError(f"sha256 must be the archive's 64 hex digits (its .sha256 file), got "
                         f"{sha256!r}")
    text = str(source).strip()
    is_url = text.lower().startswith(("http://", "https://"))
    if not is_url and not Path(text).expanduser().is_file():
        raise BundleError(f"source {text!r} is neither an http(s):// address nor a file; give "
                          "the path of a genlib-models-<version>.tar or its address")
    root = config.data_root()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".bundle-", dir=root))
    try:
        archive = (_download(text, work / "download.tar", timeout, progress) if is_url
                   else Path(text).expanduser())
        if sha256 is not None:
            actual = file_sha256(archive)
            if actual != sha256.strip().lower():
                raise BundleError(f"the archive {text} has sha256 {actual}, not the {sha256} "
                                  "given: it is not the published bundle (or it was damaged on "
                                  "the way); nothing was installed. Download it again")
        manifest, unpacked = _unpack_verified(archive, work / "files", text, progress)
        installed = _move_into_place(unpacked, config.checkpoint_dir(), work / "replaced")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"installed {len(installed)} models (genlib {manifest['genlib']}, "
          f"{manifest['mode']} mode) into {config.checkpoint_dir()}")
    return installed


def _download(url: str, target: Path, timeout: float, progress: bool) -> Path:
    """Fetch ``url`` into ``target``; ``BundleError`` when it fails or ends early."""
    request = urllib.request.Request(url, headers={"User-Agent": f"genlib/{genlib_version()}"})
    received, expected = 0, None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, \
                open(target, "wb") as file:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            with tqdm(total=expected, unit="B", unit_scale=True, desc="download",
                      disable=not progress) as bar:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    file.write(block)
                    received += len(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
        reason = getattr(exc, "reason", None) or exc
        raise BundleError(f"downloading {url} failed after {received} bytes ({reason}); nothing "
                          "was installed. Check the address and the connection, and run again") \
            from exc
    if expected is not None and received != expected:
        raise BundleError(f"the download of {url} ended after {received} of {expected} bytes "
                          "(the connection was closed); nothing was installed. Run again")
    return target


def _unpack_verified(archive: Path, folder: Path, source: str,
                     progress: bool) -> tuple[dict, dict[str, Path]]:
    """Read ``archive``'s manifest, check its version, and copy each listed file into
    ``folder`` while hashing it; ``(manifest, {file name: unpacked path})``."""
    folder.mkdir()
    unpacked: dict[str, Path] = {}
    try:
        with tarfile.open(archive, mode="r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BundleError(f"{source} does not start with {MANIFEST}: it is not a genlib "
                                  "bundle (make one with make bundle)")
            manifest = _check_manifest(tar.extractfile(first).read(), source)
            files = manifest["files"]
            with tqdm(total=sum(f["bytes"] for f in files.values()), unit="B", unit_scale=True,
                      desc="verify", disable=not progress) as bar:
                for member in iter(tar.next, None):   # the members after the manifest
                    if member.name not in files or member.name.split("/")[-1] in unpacked \
                            or not member.isfile():
                        raise BundleError(f"{source} holds {member.name!r}, which its manifest "
                                          "does not list (once, as a file); nothing was "
                                          "installed. Make the bundle again")
                    target = folder / member.name.split("/")[-1]
                    digest = _copy_hashed(tar.extractfile(member), target, bar)
                    want = files[member.name]
                    if digest != want["sha256"] or target.stat().st_size != want["bytes"]:
                        raise BundleError(f"{member.name} in {source} does not match its sha256 "
                                          "in the manifest (damaged or altered); nothing was "
                                          "installed. Download the bundle again")
                    unpacked[target.name] = target
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"{source} is not a complete tar archive ({type(exc).__name__}: "
                          f"{exc}); nothing was installed. Download it again") from exc
    except OSError as exc:
        raise BundleError(f"{source} could not be unpacked into {folder.parent} "
                          f"({exc.strerror or exc}); nothing was installed. Free some disk "
                          "space, or set GENLIB_CACHE to a writable folder with room") from exc
    absent = sorted(name for name in files if name.split("/")[-1] not in unpacked)
    if absent:
        raise BundleError(f"{source} lacks {len(absent)} files its manifest lists ({absent[0]}, "
                          "...): the archive is truncated; nothing was installed. Download it "
                          "again")
    return manifest, unpacked


def _check_manifest(data: bytes, source: str) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BundleError(f"{source}'s {MANIFEST} is not JSON ({exc}); make the bundle again") \
            from exc
    if not isinstance(manifest, dict):
        manifest = {}
    files = manifest.get("files")
    if manifest.get("format") != FORMAT or not isinstance(files, dict) or not all(
            isinstance(name, str) and MEMBER.fullmatch(name) and isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str) and isinstance(entry.get("bytes"), int)
            for name, entry in files.items()):
        raise BundleError(f"{source}'s {MANIFEST} is not a genlib bundle manifest of format "
                          f"{FORMAT}; make the bundle again with this genlib (make bundle)")
    version = genlib_version()
    if manifest.get("genlib") != version:
        raise BundleError(f"{source} holds models made by genlib {manifest.get('genlib')}, but "
                          f"this is genlib {version}: their checkpoints would not match. Install "
                          f"{bundle_name(version)} (the bundle of this version) instead")
    return manifest


def _copy_hashed(stream, target: Path, bar) -> str:
    digest = hashlib.sha256()
    with open(target, "wb") as file:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
            file.write(block)
            bar.update(len(block))
    return digest.hexdigest()


def _move_into_place(unpacked: dict[str, Path], destination: Path, backups: Path) -> list[Path]:
    """Rename every verified file into ``destination`` (the same file system, so each rename is
    atomic). A file already there is first moved to ``backups``; on any error or interrupt the
    renames made so far are undone."""
    destination.mkdir(parents=True, exist_ok=True)
    backups.mkdir()
    done: list[tuple[Path, Path | None]] = []
    try:
        for name, path in sorted(unpacked.items()):
            target, backup = destination / name, None
            if target.exists():
                backup = backups / name
                os.replace(target, backup)
            done.append((target, backup))
            os.chmod(path, 0o644)   # read by all, written by you: what the cache trusts
            os.replace(path, target)
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None and backup.exists():
                    os.replace(backup, target)
                elif backup is None:
                    target.unlink(missing_ok=True)
        raise
    return [target for target, _ in done]


def main(argv: list[str]) -> int:
    """``python -m genlib.bundle pack [--out DIR]`` or ``python -m genlib.bundle install SOURCE
    [--sha256 HEX]``."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m genlib.bundle", description=__doc__.split(
        "\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pack = commands.add_parser("pack", help="pack the plan's models from the cache")
    pack.add_argument("--out", default="dist", help="folder for the archive (default: dist)")
    install = commands.add_parser("install", help="install a bundle from a path or an address")
    install.add_argument("source")
    install.add_argument("--sha256", default=None, help="the archive's sha256, from its .sha256")
    args = parser.parse_args(argv)
    try:
        if args.command == "pack":
            make_bundle(args.out)
        else:
            install_bundle(args.source, sha256=args.sha256)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
