"""Which PyTorch build ``make lab`` and ``make test`` install, before the project itself.

PyPI's ``torch`` for Linux on x86-64 is the CUDA build: several GB of NVIDIA libraries, of no
use on a machine without an NVIDIA GPU. There we take the CPU build from PyTorch's own index
(about 200 MB). Everywhere else PyPI's default is right: the CUDA build where an NVIDIA driver
is present, the Apple-silicon build with MPS on macOS, the CPU build on Windows. Nothing is
installed when torch is already there (e.g. put there first by CI, or by conda).

Where PyTorch's index does not answer within a few seconds (a network that only lets PyPI
through, say), that is said once and PyPI's build is taken instead, rather than letting pip
retry the index for minutes::

    python tools/torch_build.py            # prints the choice and the reason
    python tools/torch_build.py --install  # runs pip with it, unless torch is installed
"""
from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

TORCH = "torch>=2.4"  # the same requirement as pyproject.toml
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_TIMEOUT_S = 5.0  # how long the index may take to answer before PyPI is used instead


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


def index_reachable(url: str = CPU_INDEX, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """``(True, "")`` when ``url`` answers an HTTPS request (any HTTP status) within ``timeout``
    seconds, else ``(False, why)``. The whole probe, name lookup included, is bounded: it runs
    in a thread that is given up after ``timeout`` seconds."""
    result = [(False, f"no answer within {timeout:g} s")]

    def probe():
        try:
            with urllib.request.urlopen(url, timeout=timeout):
                result[0] = (True, "")
        except urllib.error.HTTPError:  # it answered, if only with an error status
            result[0] = (True, "")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            result[0] = (False, str(getattr(exc, "reason", None) or exc))

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0]


def with_fallback(args: list[str], why: str,
                  reachable: Callable[[str], tuple[bool, str]] | None = None
                  ) -> tuple[list[str], str]:
    """``(args, why)`` as chosen, or PyPI's build when they name PyTorch's CPU index and it
    cannot be reached (``reachable(CPU_INDEX)``, default :func:`index_reachable`, says why)."""
    if CPU_INDEX not in args:
        return args, why
    ok, reason = (reachable or index_reachable)(CPU_INDEX)
    if ok:
        return args, why
    return [TORCH], (f"PyTorch's CPU index {CPU_INDEX} cannot be reached ({reason}), so PyPI's "
                     "build instead (on Linux x86-64 it brings NVIDIA's CUDA libraries, several "
                     "GB). For the 200 MB CPU build later, once the index is reachable: "
                     f"pip uninstall torch, then pip install '{TORCH}' --index-url {CPU_INDEX}")


def main(argv: list[str]) -> int:
    args, why = torch_pip_args(platform.system(), platform.machine(), has_nvidia_gpu())
    if importlib.util.find_spec("torch") is not None:
        import torch
        print(f"torch {torch.__version__} is already installed: nothing to do")
        return 0
    args, why = with_fallback(args, why)
    print(f"torch: {why}")
    if "--install" not in argv:
        print("would run: pip install " + " ".join(args))
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
