import pytest
import torch

from genlib import config


def test_quick_mode_follows_environment(monkeypatch):
    monkeypatch.setenv("GENLIB_QUICK", "1")
    assert config.is_quick() and config.mode() == "quick"
    assert config.choose(quick=1, full=20) == 1
    monkeypatch.setenv("GENLIB_QUICK", "0")
    assert not config.is_quick() and config.choose(quick=1, full=20) == 20
    monkeypatch.delenv("GENLIB_QUICK")
    assert config.mode() == "full"


def test_seed_everything_is_reproducible():
    rng = config.seed_everything(3)
    a = torch.randn(4), torch.randn(2, generator=rng)
    rng = config.seed_everything(3)
    b = torch.randn(4), torch.randn(2, generator=rng)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_device_override_and_default(monkeypatch):
    monkeypatch.setenv("GENLIB_DEVICE", "cpu")
    assert config.get_device() == torch.device("cpu")
    monkeypatch.delenv("GENLIB_DEVICE")
    assert config.get_device().type in {"cpu", "cuda", "mps"}


def test_cache_folder_override(monkeypatch, tmp_path):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path))
    assert config.checkpoint_dir() == tmp_path / "checkpoints"
    monkeypatch.delenv("GENLIB_CACHE")
    assert config.data_root() == config.project_root() / "data"
    assert (config.project_root() / "genlib" / "config.py").exists()


def test_training_threads_follow_mode_and_environment(monkeypatch):
    monkeypatch.delenv("GENLIB_THREADS", raising=False)
    monkeypatch.setenv("GENLIB_QUICK", "1")
    assert config.training_threads() == 1  # the test suite runs two notebooks at once
    monkeypatch.setenv("GENLIB_THREADS", "3")
    assert config.training_threads() == 1  # quick mode wins
    monkeypatch.setenv("GENLIB_QUICK", "0")
    assert config.training_threads() == 3
    monkeypatch.delenv("GENLIB_THREADS")
    # full mode: torch's start-up choice, however the test suite has changed it since
    assert config.training_threads() == config._STARTUP_THREADS >= 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("GENLIB_THREADS", bad)
        with pytest.raises(ValueError, match="GENLIB_THREADS"):
            config.training_threads()


@pytest.mark.parametrize("value", [" CPU ", "cpu", "Cpu"])
def test_device_setting_is_normalised(monkeypatch, value):
    monkeypatch.setenv("GENLIB_DEVICE", value)
    assert config.get_device() == torch.device("cpu")


@pytest.mark.parametrize("value, message", [("tpu", "not a device genlib trains on"),
                                            ("meta", "not a device genlib trains on"),
                                            ("gpu", "not a device genlib trains on"),
                                            ("cuda:99", "no such CUDA device"),
                                            ("mps", "MPS is not available")])
def test_device_setting_is_validated_when_read(monkeypatch, value, message):
    if value == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS, so 'mps' is valid here (nothing to enable)")
    monkeypatch.setenv("GENLIB_DEVICE", value)
    with pytest.raises(ValueError, match=f"GENLIB_DEVICE=.*{message}"):
        config.get_device()
