"""Set up the collection with or without ``make`` (Linux, macOS, Windows): ``python tools/install.py``.

It creates the virtual environment ``.venv`` with the Python that runs it, then, with the
environment's own Python: the PyTorch build that ``tools/torch_build.py`` chooses, the project
(``pip install -e .[lab]``; ``--extras lab,test`` adds the test suite's tools), the ``python3``
kernel named "Python 3 (genlib)", and JupyterLab's defaults (``tools/lab_settings.py``).
``make lab`` and ``make test`` run it (with ``--extras lab,test``); ``tools/lab.py`` then opens
JupyterLab. On Windows, in PowerShell or cmd, from the collection's folder::

    py -3.11 tools\\install.py
    py -3.11 tools\\lab.py

genlib needs Python 3.10 or newer. An older Python (macOS's own ``python3`` is 3.9) is refused
before anything is created or downloaded, with what to do instead. The script itself runs on
any Python 3 so that it can say so.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLDEST = (3, 10)  # pyproject.toml's requires-python
KERNEL = ["-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
          "--display-name", "Python 3 (genlib)"]


def too_old(version, python="python3"):
    """None for a Python ``version`` (a tuple such as ``(3, 9, 18)``) genlib runs on, else the
    message that says so and how to get a newer one."""
    if tuple(version[:2]) >= OLDEST:
        return None
    shown = ".".join(str(part) for part in version[:3])
    return ("genlib needs Python {0}.{1} or newer, and {2} is Python {3}. Nothing was installed. "
            "Install a newer Python (from https://www.python.org/downloads/, or "
            "`brew install python@3.12` on macOS, `sudo apt install python3.12-venv` on Linux), "
            "then run again with it: `make lab PYTHON=python3.12`, or without make "
            "`python3.12 tools/install.py` (Windows: `py -3.12 tools\\install.py`)."
            ).format(OLDEST[0], OLDEST[1], python, shown)


def venv_python(venv):
    """The Python of the virtual environment ``venv``: ``Scripts\\python.exe`` on Windows,
    ``bin/python`` elsewhere."""
    venv = Path(venv)
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def steps(python, extras):
    """The commands that install everything into the environment of ``python``, in order:
    torch first (so the project's ``torch>=...`` is met by the right build), then the
    project, its kernel and JupyterLab's defaults."""
    python = str(python)
    return [[python, str(ROOT / "tools" / "torch_build.py"), "--install"],
            [python, "-m", "pip", "install", "--quiet", "-e", ".[{0}]".format(extras)],
            [python, *KERNEL],
            [python, str(ROOT / "tools" / "lab_settings.py")]]


def environment_version(python):
    """``(major, minor, micro)`` of an existing environment's Python, or None if it cannot run."""
    try:
        out = subprocess.check_output([str(python), "-c",
                                       "import sys; print(*sys.version_info[:3])"],
                                      universal_newlines=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return tuple(int(part) for part in out.split())


def main(argv, version=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python tools/install.py",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--venv", default=str(ROOT / ".venv"),
                        help="the virtual environment to create or complete (default: .venv)")
    parser.add_argument("--extras", default="lab",
                        help="the project's extras to install, comma-separated (default: lab)")
    args = parser.parse_args(argv)
    python = venv_python(args.venv)
    existing = environment_version(python) if python.exists() else None
    if existing is not None:
        problem = too_old(existing, python)
        if problem:
            print(problem + " Remove the old environment first ({0}; `make clean-venv`)."
                  .format(args.venv), file=sys.stderr)
            return 2
    else:
        problem = too_old(version or sys.version_info, sys.executable)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        import venv
        print("creating {0} with Python {1}.{2} ({3})".format(args.venv, *sys.version_info[:2],
                                                           sys.executable), flush=True)
        venv.create(args.venv, with_pip=True)
    for command in steps(python, args.extras):
        print("$ " + " ".join(command[1:]), flush=True)
        quiet = command[1:3] == KERNEL[:2] or command[1].endswith("lab_settings.py")
        code = subprocess.call(command, cwd=str(ROOT),
                               stdout=subprocess.DEVNULL if quiet else None)
        if code:
            print("failed (exit status {0}): {1}".format(code, " ".join(command)), file=sys.stderr)
            return code
    print("installed; open the collection with: python tools/lab.py  (or make lab)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
