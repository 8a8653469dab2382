"""The IDX reader: valid files round-trip; every malformed input raises a DataError."""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genlib.data import idx
from genlib.data.idx import (IMAGES_MAGIC, LABELS_MAGIC, ChecksumError, CorruptFileError,
                             DataError, DataNotFoundError, decode_idx, encode_idx, read_idx)

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
LABELS = RNG.integers(0, 10, size=5, dtype=np.uint8)


def write(path, array, gz=True) -> bytes:
    """Write ``array`` as an IDX file (gzip'ed if ``gz``); return the uncompressed bytes."""
    data = encode_idx(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return data


def assert_names(exc_info, path) -> None:
    assert str(path) in str(exc_info.value)


# ----------------------------------------------------------------------------- valid files
@pytest.mark.parametrize("shape", [(7,), (3, 2), (5, 4, 3), (2, 1, 3, 2)])
def test_round_trip_any_ndim(shape):
    array = RNG.integers(0, 256, size=shape, dtype=np.uint8)
    parsed = idx.parse_idx(encode_idx(array))
    assert parsed.dtype == np.uint8 and parsed.shape == shape
    np.testing.assert_array_equal(parsed, array)
    assert not parsed.flags.writeable  # a view of the bytes: nobody can corrupt it


@pytest.mark.parametrize("gz", [True, False])
def test_read_file_with_magic_and_checksum(tmp_path, gz):
    path = tmp_path / ("images.gz" if gz else "images")
    data = write(path, IMAGES, gz)
    array = read_idx(path, IMAGES_MAGIC, hashlib.sha256(data).hexdigest())
    np.testing.assert_array_equal(array, IMAGES)


def test_gzip_detected_from_content_not_name(tmp_path):
    path = tmp_path / "labels.part"
    write(path, LABELS, gz=True)
    np.testing.assert_array_equal(read_idx(path, LABELS_MAGIC), LABELS)


def test_encode_rejects_too_many_dims():
    with pytest.raises(ValueError, match="1 to 4"):
        encode_idx(np.zeros((1,) * 5, np.uint8))


# ----------------------------------------------------------------------------- bad files
def test_truncated_gz_names_file_and_says_delete(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(IMAGES))[:-20])
    with pytest.raises(CorruptFileError, match="delete it and run again") as exc:
        read_idx(path, IMAGES_MAGIC)
    assert_names(exc, path)


def test_gz_missing_trailer_is_truncated(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(encode_idx(LABELS))[:-8])  # CRC and length cut off
    with pytest.raises(CorruptFileError, match="truncated") as exc:
        read_idx(path)
    assert_names(exc, path)


def test_gz_with_bad_crc(tmp_path):
    raw = bytearray(gzip.compress(encode_idx(LABELS)))
    raw[-5] ^= 0xFF  # inside the CRC32 field
    path = tmp_path / "labels.gz"
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError) as exc:
        read_idx(path)
    assert_names(exc, path)


def test_truncated_raw_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(encode_idx(IMAGES)[:-1])
    with pytest.raises(CorruptFileError, match="truncated") as exc:
        read_idx(path, IMAGES_MAGIC)
    assert_names(exc, path)


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write(path, LABELS)  # a label file (0x801) where images (0x803) are expected
    with pytest.raises(CorruptFileError, match="0x00000801 is not 0x00000803") as exc:
        read_idx(path, IMAGES_MAGIC)
    assert_names(exc, path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(CorruptFileError, match="not an IDX file") as exc:
        read_idx(path, LABELS_MAGIC)
    assert_names(exc, path)


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00\x0b\x01\x00\x00\x00\x01\x00\x07", "data type"),  # short ints: unsupported
    (b"\x00\x00\x08\x00\x00\x00\x00", "0 dimensions"),
    (b"\x00\x00\x08\x05" + b"\x00\x00\x00\x01" * 5 + b"\x07", "5 dimensions"),
    (b"\x00\x00\x08", "too short"),
    (b"", "too short"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x01\x00", "cut short"),
])
def test_bad_headers(raw, message):
    with pytest.raises(CorruptFileError, match=message):
        decode_idx(raw, "fake.idx")
    with pytest.raises(CorruptFileError, match="fake.idx"):
        decode_idx(gzip.compress(raw), "fake.idx")


def test_huge_sizes_are_rejected_before_allocating():
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**31, 2**31, 2**31)
    with pytest.raises(CorruptFileError, match="more than"):
        decode_idx(header + b"\x00" * 10, "huge.idx")
    with pytest.raises(CorruptFileError, match="more than"):
        decode_idx(gzip.compress(header + b"\x00" * 10), "huge.idx.gz")


def test_lying_header_does_not_inflate_everything():
    # 10 bytes announced, 4 MB of zeros in the stream: we stop after 11 bytes.
    data = bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * (4 << 20)
    with pytest.raises(CorruptFileError, match="more data than"):
        decode_idx(gzip.compress(data), "bomb.gz")


def test_extra_bytes(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(encode_idx(LABELS) + b"\x00")
    with pytest.raises(CorruptFileError, match="extra data") as exc:
        read_idx(path)
    assert_names(exc, path)


def test_empty_dimension():
    header = bytes([0, 0, 8, 2]) + struct.pack(">2I", 0, 5)
    with pytest.raises(CorruptFileError, match="empty"):
        decode_idx(header, "empty.idx")


def test_checksum_mismatch(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write(path, LABELS)
    with pytest.raises(ChecksumError, match="SHA-256") as exc:
        read_idx(path, LABELS_MAGIC, expected_sha256="0" * 64)
    assert_names(exc, path)
    assert isinstance(exc.value, (CorruptFileError, ValueError))


def test_missing_file_is_data_not_found(tmp_path):
    path = tmp_path / "nothing.gz"
    with pytest.raises(DataNotFoundError) as exc:
        read_idx(path)
    assert_names(exc, path)


# ----------------------------------------------------------------------------- fuzzing
def _decodes_or_data_error(raw: bytes) -> None:
    try:
        array = decode_idx(raw, "fuzz")
    except DataError as exc:
        assert "fuzz" in str(exc)
    else:
        assert array.dtype == np.uint8 and 1 <= array.ndim <= 4


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(raw):
    _decodes_or_data_error(raw)
    _decodes_or_data_error(b"\x00\x00\x08" + raw)  # get past the first checks more often


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_gzip_payload(raw):
    _decodes_or_data_error(gzip.compress(raw))
    _decodes_or_data_error(b"\x1f\x8b" + raw)


@FUZZ
@given(array=st.sampled_from([IMAGES, LABELS, IMAGES[:1, :1]]),
       edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=6),
       cut=st.integers(0, 80), extra=st.binary(max_size=8), gz=st.booleans())
def test_fuzz_mutated_valid_files(array, edits, cut, extra, gz):
    data = bytearray(encode_idx(array))
    for position, value in edits:  # mostly hits the header and first data bytes
        if position < len(data):
            data[position] = value
    data = bytes(data[:max(0, len(data) - cut)]) + extra
    _decodes_or_data_error(gzip.compress(data) if gz else data)
    if gz:  # and the compressed bytes themselves damaged
        raw = bytearray(gzip.compress(bytes(encode_idx(array))))
        for position, value in edits:
            raw[position % len(raw)] = value
        _decodes_or_data_error(bytes(raw[:max(0, len(raw) - cut // 8)]))
