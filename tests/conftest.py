"""Shared test settings: unit tests run on one thread and in quick mode, and see the data
folders of this machine whatever ``GENLIB_HIDE_DATA`` says (it is for the notebooks)."""

import random

import numpy as np
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _same_global_seed_in_every_test():
    """Each test starts from the same global random state, so its result never depends on which
    tests pytest-xdist happened to run before it in the same worker."""
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)


@pytest.fixture
def quick_mode(monkeypatch):
    monkeypatch.setenv("GENLIB_QUICK", "1")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A private checkpoint/data cache, so tests never touch data/."""
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(autouse=True)
def _data_not_hidden(monkeypatch):
    monkeypatch.delenv("GENLIB_HIDE_DATA", raising=False)
