"""Which PyTorch build ``make lab`` and ``make test`` install, before the project itself.

PyPI's ``torch`` for Linux on x86-64 is the CUDA build: several GB of NVIDIA libraries, of no
use on a machine without an NVIDIA GPU. There we take the CPU build from PyTorch's own index
(about 200 MB). Everywhere else PyPI's default is right: the CUDA build where an NVIDIA driver
is present, the Apple-silicon build with MPS on macOS, the CPU build on Windows. Nothing is
installed when torch is already there (e.g. put there first by CI, or by conda)::

    python tools/torch_build.py            # prints the choice and the reason
    python tools/torch_build.py --install  # runs pip with it, unless torch is installed
"""
from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
import sys
from pathlib import Path

TORCH = "torch>=2.4"  # the same requirement as pyproject.toml
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def has_nvidia_gpu() -> bool:
    """True where an NVIDIA driver is loaded (Linux) or ``nvidia-smi`` is on the PATH."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def torch_pip_args(system: str, machine: str, nvidia: bool) -> tuple[list[str], str]:
    """The arguments after ``pip install`` for torch on this platform, and why."""
    if system == "Linux" and machine.lower() in ("x86_64", "amd64") and not nvidia:
        return [TORCH, "--index-url", CPU_INDEX], \
            "Linux without an NVIDIA GPU: the CPU build (PyPI's default would add GBs of CUDA)"
    if system == "Linux" and nvidia:
        return [TORCH], "Linux with an NVIDIA GPU: PyPI's CUDA build"
    if system == "Darwin":
        return [TORCH], "macOS: PyPI's build, which uses Apple's MPS where there is one"
    return [TORCH], f"{system or 'this system'} on {machine or 'this CPU'}: PyPI's default build"


def main(argv: list[str]) -> int:
    args, why = torch_pip_args(platform.system(), platform.machine(), has_nvidia_gpu())
    if importlib.util.find_spec("torch") is not None:
        import torch
        print(f"torch {torch.__version__} is already installed: nothing to do")
        return 0
    print(f"torch: {why}")
    if "--install" not in argv:
        print("would run: pip install " + " ".join(args))
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
