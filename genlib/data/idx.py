"""Reading IDX files (the MNIST format) safely, and the errors every data problem raises.

An IDX file is a tiny header followed by raw bytes::

    offset 0   2 zero bytes
    offset 2   dtype code (0x08 = unsigned byte, the only one used here)
    offset 3   number of dimensions d
    offset 4   d sizes, each a big-endian uint32
    then       prod(sizes) bytes of data, row-major

so ``0x00000803`` opens an image file (uint8, 3 dims: N x H x W) and ``0x00000801`` a label
file (uint8, 1 dim: N). The files are usually gzip-compressed (``.gz``).

The reader trusts nothing: it checks the header length before reading the sizes, caps the
number of dimensions and the total size, and compares ``header + prod(sizes)`` with the real
number of bytes *before* it allocates anything, so a damaged or hostile file raises a
:class:`DataError` instead of crashing, hanging or filling the memory. With
``expected_sha256`` it also compares the SHA-256 of the decompressed bytes.
"""
from __future__ import annotations

import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 0x00000803  # uint8, 3 dims: N x H x W
LABELS_MAGIC = 0x00000801  # uint8, 1 dim: N
UBYTE = 0x08
MAX_NDIM = 4
MAX_BYTES = 1 << 30  # 1 GiB of decompressed data: far above any data set used here
_GZIP_MAGIC = b"\x1f\x8b"
_REDOWNLOAD = ("If it is in your own cache, delete it and run again to re-download it (or "
               "replace it with a good copy); if it is in a shared folder, leave it and tell "
               "whoever keeps that folder, and meanwhile drop the folder from GENLIB_DATA.")


# --------------------------------------------------------------------------------- errors
class DataError(ValueError):
    """Base class of every data problem raised by :mod:`genlib.data`."""


class UnknownDatasetError(DataError):
    """The data set name is not one we know; the message lists the known names."""


class CorruptFileError(DataError):
    """A file is damaged: bad gzip stream, wrong IDX header, wrong length, ..."""


class ChecksumError(CorruptFileError):
    """A file parses but its SHA-256 differs from the published one."""


class DataNotFoundError(DataError):
    """A file is nowhere on this machine and could not (or may not) be downloaded."""


class DownloadError(DataNotFoundError):
    """Every mirror failed; the message lists each URL and why."""


# --------------------------------------------------------------------------------- parsing
def _corrupt(source: str, problem: str) -> CorruptFileError:
    return CorruptFileError(f"{source}: {problem}. {_REDOWNLOAD}")


def header_size(first4: bytes, source: str = "<bytes>") -> int:
    """Length of the whole header (4 + 4 * ndim) given the first four bytes; checks them."""
    if len(first4) < 4:
        raise _corrupt(source, f"only {len(first4)} bytes, too short for an IDX header")
    zero0, zero1, dtype, ndim = first4[:4]
    if zero0 or zero1:
        magic = struct.unpack(">I", first4[:4])[0]
        raise _corrupt(source, f"magic number 0x{magic:08x} does not start with two zero "
                               "bytes, so this is not an IDX file")
    if dtype != UBYTE:
        raise _corrupt(source, f"IDX data type 0x{dtype:02x} is not 0x08 (unsigned byte)")
    if not 1 <= ndim <= MAX_NDIM:
        raise _corrupt(source, f"{ndim} dimensions (expected 1 to {MAX_NDIM})")
    return 4 + 4 * ndim


def parse_header(header: bytes, source: str = "<bytes>",
                 magic: int | None = None) -> tuple[int, ...]:
    """The sizes stored in a complete IDX header; checks magic number and size limits."""
    size = header_size(header, source)
    if len(header) < size:
        raise _corrupt(source, f"header cut short ({len(header)} of {size} bytes)")
    found = struct.unpack(">I", header[:4])[0]
    if magic is not None and found != magic:
        kind = {IMAGES_MAGIC: "image", LABELS_MAGIC: "label"}.get(magic, "IDX")
        raise _corrupt(source, f"magic number 0x{found:08x} is not 0x{magic:08x}, so this is "
                               f"not an IDX {kind} file")
    dims = struct.unpack(f">{(size - 4) // 4}I", header[4:size])
    if min(dims) == 0:
        raise _corrupt(source, f"an empty dimension in sizes {dims}")
    if math.prod(dims) > MAX_BYTES:
        raise _corrupt(source, f"sizes {dims} claim {math.prod(dims)} bytes, more than the "
                               f"{MAX_BYTES} bytes this reader accepts")
    return dims


def parse_idx(data: bytes, source: str = "<bytes>", magic: int | None = None) -> np.ndarray:
    """Decode uncompressed IDX bytes into a read-only ``uint8`` array (no copy).

    Raises :class:`CorruptFileError` (naming ``source``) unless the header is valid and the
    data is exactly ``prod(sizes)`` bytes long.
    """
    size = header_size(data[:4], source)
    dims = parse_header(data[:size], source, magic)
    expected = size + math.prod(dims)
    if len(data) != expected:
        raise _corrupt(source, f"{len(data)} bytes, but its header {dims} says {expected}"
                               f" ({'truncated' if len(data) < expected else 'extra data'})")
    return np.frombuffer(data, dtype=np.uint8, offset=size).reshape(dims)


# ------------------------------------------------------------------------ files and gzip
def _gunzip_idx(raw: bytes, source: str, magic: int | None) -> tuple[bytes, bytes]:
    """Decompress a gzip'ed IDX file, reading its header first so that we never inflate
    more than ``header + prod(sizes) + 1`` bytes (a gzip bomb or a lying header can't make
    us allocate more than the header claims, and never more than :data:`MAX_BYTES`)."""
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip wrapper
        head = inflater.decompress(raw, 4)
        size = header_size(head, source)
        head += inflater.decompress(inflater.unconsumed_tail, size - len(head))
        dims = parse_header(head, source, magic)
        want = math.prod(dims)
        body = inflater.decompress(inflater.unconsumed_tail, want + 1)
        if len(body) == want and not inflater.eof:  # read the trailer: checks CRC and length
            body += inflater.decompress(inflater.unconsumed_tail, 1)
    except zlib.error as exc:
        raise _corrupt(source, f"damaged gzip data ({exc})") from None
    if len(body) < want or not inflater.eof and len(body) == want:
        raise _corrupt(source, f"the data ends early ({size + len(body)} of {size + want} "
                               "bytes, or the gzip trailer is missing): the file is truncated")
    if len(body) > want:
        raise _corrupt(source, f"more data than its header {dims} says")
    if inflater.unused_data.strip(b"\0"):
        raise _corrupt(source, "unexpected bytes after the end of the gzip stream")
    return head, body


def decode_idx(raw: bytes, source: str = "<bytes>", magic: int | None = None,
               expected_sha256: str | None = None) -> np.ndarray:
    """Decode the contents of an IDX file, gzip-compressed or not (detected from the bytes).

    ``expected_sha256`` is compared with the SHA-256 of the *decompressed* bytes, so it does
    not depend on how the file was compressed. Returns a read-only ``uint8`` array.
    """
    if raw[:2] == _GZIP_MAGIC:
        head, body = _gunzip_idx(raw, source, magic)  # (both checked, no copy)
        array = np.frombuffer(body, dtype=np.uint8).reshape(parse_header(head, source, magic))
    else:
        head, body = b"", raw
        array = parse_idx(raw, source, magic)
    if expected_sha256 is not None:
        digest = hashlib.sha256(head)
        digest.update(body)
        if digest.hexdigest() != expected_sha256.lower():
            raise ChecksumError(
                f"{source}: SHA-256 of the decompressed data is {digest.hexdigest()}, expected "
                f"{expected_sha256}: the file is damaged or not the published one. "
                f"{_REDOWNLOAD}")
    return array


def read_idx(path: str | os.PathLike, magic: int | None = None,
             expected_sha256: str | None = None) -> np.ndarray:
    """Read and verify one IDX file (``.gz`` or not); see :func:`decode_idx`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES + 1024:  # an IDX file we accept can't be bigger than this
            raise _corrupt(str(path), f"{size} bytes, too big for an IDX file")
        raw = path.read_bytes()
    except OSError as exc:
        raise DataNotFoundError(f"{path}: cannot read it ({exc.strerror or exc}). Check that "
                                "it exists and is readable.") from None
    return decode_idx(raw, str(path), magic, expected_sha256)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a ``uint8`` array with 1 to 4 dimensions (inverse of :func:`parse_idx`;
    handy for writing small test files)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if not 1 <= array.ndim <= MAX_NDIM:
        raise ValueError(f"IDX arrays have 1 to {MAX_NDIM} dimensions, got {array.ndim}")
    header = bytes([0, 0, UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()
