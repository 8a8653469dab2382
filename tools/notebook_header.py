"""The lines every notebook starts with: Colab and Binder badges, and the install block.

The repository's address is kept once, in ``pyproject.toml`` (``[project.urls] Repository``).
From it this script writes, in every notebook of ``notebooks/``:

* under the title, an "Open in Colab" and a "Binder" badge that open that notebook;
* at the top of the first code cell, a block that installs genlib where it cannot be
  imported (Colab, or any Python without it): from the checkout the notebook lies in, else
  from the repository. genlib itself is installed without its dependencies, then only the
  requirements this Python lacks: a torch or ipywidgets already there (Colab's) is never
  upgraded or replaced.

``python tools/notebook_header.py`` rewrites the notebooks (after a fork changes the address);
``--check`` only reports notebooks that differ (a test runs it).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BADGE_START = "[![Open in Colab]"
INSTALL_START = "try:  # on Colab, Binder or any Python without genlib"
INSTALL = '''\
try:  # on Colab, Binder or any Python without genlib: install it first
    import genlib
except ImportError:
    import importlib, importlib.metadata as _meta, pathlib, re, subprocess, sys
    _here = pathlib.Path.cwd().parent
    _source = str(_here) if (_here / "pyproject.toml").is_file() else "git+{url}"
    _pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run(_pip + ["--no-deps", _source], check=True)  # genlib alone: torch, ipywidgets stay
    importlib.invalidate_caches()
    _name = lambda text: re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", text)[0]).lower()
    _here_now = {{_name(d.metadata["Name"] or "-") for d in _meta.distributions()}}
    _missing = [r for r in _meta.requires("genlib") if "extra ==" not in r and _name(r) not in _here_now]
    if _missing:  # only what this Python lacks
        subprocess.run(_pip + _missing, check=True)
    importlib.invalidate_caches()
'''


def repository() -> str:
    """``https://github.com/OWNER/NAME`` from pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^Repository\s*=\s*"(https://github\.com/[^/"]+/[^/"]+)"', text, re.M)
    if not match:
        raise SystemExit("pyproject.toml needs [project.urls] Repository = "
                         '"https://github.com/OWNER/NAME"')
    return match.group(1)


def badges(url: str, notebook: str) -> str:
    slug = url.removeprefix("https://github.com/")
    return (f"{BADGE_START}(https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{slug}/blob/main/notebooks/{notebook})"
            f" [![Binder](https://mybinder.org/badge_logo.svg)]"
            f"(https://mybinder.org/v2/gh/{slug}/main?labpath=notebooks%2F{notebook})")


def install_block(url: str) -> str:
    return INSTALL.format(url=url)


def with_header(nb, notebook: str, url: str):
    """``nb`` with its badge line and install block as they should be (changed in place)."""
    title = nb.cells[0]
    lines = [line for line in title.source.split("\n") if not line.startswith(BADGE_START)]
    if len(lines) > 1 and lines[1] == "" and len(lines) > 2 and lines[2] == "":
        del lines[1]  # the blank line a removed badge line leaves
    title.source = "\n".join([lines[0], "", badges(url, notebook), *lines[1:]])
    setup = next(cell for cell in nb.cells if cell.cell_type == "code")
    source = setup.source
    if source.startswith(INSTALL_START):  # drop the old block, up to its blank line
        source = source.split("\n\n", 1)[1] if "\n\n" in source else ""
    setup.source = install_block(url) + "\n" + source
    return nb


def main(argv: list[str]) -> int:
    url, differ = repository(), []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        before = [cell.source for cell in nb.cells]
        with_header(nb, path.name, url)
        if [cell.source for cell in nb.cells] != before:
            differ.append(path.name)
            if "--check" not in argv:
                nbformat.write(nb, path)
    verb = "differ from the header" if "--check" in argv else "rewritten"
    print(f"{len(differ)} notebooks {verb}" + (f": {', '.join(differ)}" if differ else ""))
    return 1 if differ and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
