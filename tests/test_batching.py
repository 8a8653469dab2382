"""Batches (whole-tensor mini-batches) and dynamic binarisation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from genlib.data import Batches, binarize


def data(n=10):
    return torch.arange(n * 3, dtype=torch.float32).reshape(n, 3), torch.arange(n)


@pytest.mark.parametrize("n, size, drop_last, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (9, 3, True, 3), (2, 5, False, 1),
    (2, 5, True, 0)])
def test_len(n, size, drop_last, expected):
    batches = Batches(*data(n), batch_size=size, drop_last=drop_last)
    assert len(batches) == expected == len(list(batches))


def test_epoch_covers_every_item_once_and_keeps_pairs():
    x, y = data(10)
    seen = []
    for xb, yb in Batches(x, y, batch_size=4, rng=torch.Generator().manual_seed(0)):
        assert torch.equal(xb, x[yb])  # rows stay paired across tensors
        seen += yb.tolist()
    assert sorted(seen) == list(range(10)) and seen != list(range(10))


def test_new_order_each_epoch_and_reproducible():
    x, y = data(50)
    batches = Batches(y, batch_size=50, rng=torch.Generator().manual_seed(1))
    first, second = (next(iter(batches))[0].tolist() for _ in range(2))
    assert first != second
    again = Batches(y, batch_size=50, rng=torch.Generator().manual_seed(1))
    assert next(iter(again))[0].tolist() == first


def test_no_shuffle_yields_views_in_order():
    x, _ = data(10)
    batches = list(Batches(x, batch_size=4, shuffle=False))
    assert [len(b) for (b,) in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b for (b,) in batches]), x)
    assert batches[0][0].data_ptr() == x.data_ptr()  # a view, not a copy


def test_drop_last_drops_the_short_batch():
    x, _ = data(10)
    assert [len(b) for (b,) in Batches(x, batch_size=4, drop_last=True)] == [4, 4]


def test_device_move_and_numpy_int():
    x, y = data(6)
    batches = Batches(x, y, batch_size=np.int64(4), device="cpu")
    assert batches.batch_size == 4 and len(batches) == 2
    assert all(b.device.type == "cpu" for b in next(iter(batches)))
    assert "batch_size=4" in repr(batches)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError),
                                        ("8", TypeError), (None, TypeError), (True, TypeError)])
def test_batch_size_must_be_positive_int(bad, error):
    """The wrong value is a ValueError, the wrong kind a TypeError (genlib.checks' contract)."""
    with pytest.raises(error, match=r"batch_size must be a positive integer, got .*"
                                    r"for example batch_size=128") as exc:
        Batches(*data(), batch_size=bad)
    assert type(exc.value) is error and repr(bad) in str(exc.value)


def test_mismatched_or_missing_tensors():
    with pytest.raises(ValueError, match=r"same first dimension, got \[10, 9\]"):
        Batches(torch.zeros(10), torch.zeros(9), batch_size=2)
    with pytest.raises(ValueError, match="at least one tensor"):
        Batches(batch_size=2)


def test_binarize():
    probs = torch.full((20000,), 0.3)
    b = binarize(probs, rng=torch.Generator().manual_seed(0))
    assert b.dtype == probs.dtype and set(b.unique().tolist()) <= {0.0, 1.0}
    assert abs(b.mean().item() - 0.3) < 0.02
    assert not torch.equal(binarize(probs), binarize(probs))  # a fresh draw every call
    images = torch.tensor([[0.0, 1.0]])
    assert torch.equal(binarize(images), images)  # 0 and 1 stay put


def test_binarize_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\].*255"):
        binarize(torch.tensor([0.0, 255.0]))
