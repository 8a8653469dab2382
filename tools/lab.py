"""Open the collection in JupyterLab, with or without ``make``: ``python tools/lab.py [options]``.

It runs the JupyterLab of the environment ``tools/install.py`` made (``.venv``) on
``notebooks/00_start_here.ipynb``, in full mode unless ``GENLIB_LAB_QUICK=1`` (quick mode, to
rehearse on a slow laptop). Run as root, as in many containers, it adds ``--allow-root``,
without which JupyterLab refuses to start; otherwise nothing. Further options go to JupyterLab
(``--no-browser``, ``--port 8889``). ``make lab`` runs it; on Windows: ``py tools\\lab.py``.
"""
import os
import subprocess
import sys
from pathlib import Path

from install import ROOT, venv_python

START = "notebooks/00_start_here.ipynb"


def command(python, extra=(), euid=None):
    """The command line that opens JupyterLab with the environment's ``python``; ``euid`` is
    the user's id (``os.geteuid()``; None where there is none, as on Windows)."""
    line = [str(python), "-m", "jupyter", "lab", START]
    if euid == 0:
        line.append("--allow-root")  # JupyterLab refuses root without it
    return line + list(extra)


def environment(environ):
    """``environ`` with ``GENLIB_QUICK`` from ``GENLIB_LAB_QUICK`` (default 0: full mode), so a
    quick-mode setting meant for the test suite never reaches the notebooks."""
    env = dict(environ)
    env["GENLIB_QUICK"] = environ.get("GENLIB_LAB_QUICK", "0")
    return env


def main(argv):
    venv = str(ROOT / ".venv")
    if argv[:1] == ["--venv"]:
        venv, argv = argv[1], argv[2:]
    python = venv_python(venv)
    if not python.exists():
        print("no environment at {0}: run `python tools/install.py` first (or `make lab`)"
              .format(venv), file=sys.stderr)
        return 2
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    try:
        return subprocess.call(command(python, argv, euid), cwd=str(ROOT),
                               env=environment(os.environ))
    except KeyboardInterrupt:  # Ctrl-C stops JupyterLab, which has said so itself
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
