"""Lecture slides from the notebooks: Jupyter's slideshow metadata and offline reveal.js decks.

Which cells a lecture shows is decided by one rule (:func:`slide_type`) and a short list of
exceptions per notebook (``EXCEPTIONS``, by cell id):

* the title cell (title, objectives, run time) opens the deck: ``slide``;
* a Markdown cell that opens with a section heading (``#``/``##``) starts a ``slide``, one with a
  sub-heading (``###``: a subsection, an exercise's task) a ``subslide``; any other Markdown
  cell (a derivation step, a reading of a figure) a ``subslide`` of its own;
* a checking cell (``# NBVAL_CHECK_OUTPUT``) is a ``fragment``: it appears under its step;
* a cell that shows a figure or a table is a ``subslide`` (its code is hidden in the deck);
* a family's update step (``def ..._step(``) is a ``subslide``: the lecture reads it;
* everything else is ``skip``: the set-up cell, long code, widgets (they need a live kernel:
  present those in JupyterLab), the exercises' stubs and checks, the folded hints and answers.

``python tools/slides.py mark`` writes ``metadata.slideshow.slide_type`` into every notebook
(metadata only: sources and outputs stay as they are; ``--check`` lists the cells that differ).
``python tools/slides.py build --out slides`` (``make slides``) unpacks reveal.js and MathJax from
the npm registry into ``slides/vendor/`` and converts each notebook into
``slides/NN_name.slides.html`` with ``jupyter nbconvert --to slides``'s exporter and the
template in ``tools/slides_template/``, which loads nothing from the internet.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
TEMPLATE_NAME = "offline_reveal"

# The npm packages a deck loads, pinned, and the parts of each that are unpacked into vendor/.
VENDOR = {
    "reveal.js": ("reveal.js@4.6.1", ("dist", "plugin")),
    "mathjax": ("mathjax@3.2.2", ("es5",)),
}
REVEAL_PREFIX = "vendor/reveal.js"
MATHJAX_URL = "vendor/mathjax/es5/tex-svg-full.js"   # SVG output: no web fonts to fetch
REVEAL_THEME = "white"   # its font ships with reveal.js (nbconvert's default theme fetches web fonts)

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")

# Exceptions to the rule, per notebook: {cell id: slide type}.
EXCEPTIONS: dict[str, dict[str, str]] = {
    # spot the bug: each broken step is the task itself, shown under its heading
    "10_faq_and_pitfalls": {"25f46725": "-", "3137128d": "-", "a1ffba98": "-",
                            "71cf8665": "-", "419dc970": "-", "dcce9f31": "-"},
    # the helper that computes a KL between full Gaussians is long code, not a step
    "05_vae_elbo": {"9f565136": "skip"},
}

SHOWN_DATA = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown")
WIDGET = "application/vnd.jupyter.widget-view+json"
STEP = re.compile(r"^(@\S+\s+)*def \w+_step\(", re.M)
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
BADGES = re.compile(r"^\[!\[Open in Colab\].*\n?", re.M)
DISPLAY_OR_INLINE_MATHS = re.compile(r"\$\$.*?\$\$|\$[^$]+\$", re.S)


def shows_figure_or_table(cell) -> bool:
    """Whether a code cell's outputs hold a picture or a table (widgets aside)."""
    return any(o.get("output_type") in ("display_data", "execute_result")
               and WIDGET not in o.get("data", {})
               and any(kind in o.get("data", {}) for kind in SHOWN_DATA)
               for o in cell.get("outputs", []))


def slide_type(cell, first: bool) -> str:
    """The rule: the slide type of one cell (``first``: the notebook's first cell)."""
    source = cell.source.lstrip()
    if first:
        return "slide"
    if cell.cell_type == "markdown":
        if source.startswith("<details>"):
            return "skip"
        if re.match(r"#{1,2} ", source):
            return "slide"
        return "subslide"
    if cell.cell_type != "code":
        return "skip"
    if source.startswith(CHECK_MARK):
        return "fragment"
    if shows_figure_or_table(cell) or STEP.search(cell.source):
        return "subslide"
    return "skip"


def planned(nb, stem: str) -> list[str]:
    """Every cell's slide type: the rule, then the notebook's exceptions."""
    exceptions = EXCEPTIONS.get(stem, {})
    ids = {cell.get("id") for cell in nb.cells}
    missing = sorted(set(exceptions) - ids)
    if missing:
        raise ValueError(f"{stem}: EXCEPTIONS names cell ids {missing} that the notebook no longer "
                         "has; update the list in tools/slides.py")
    return [exceptions.get(cell.get("id"), slide_type(cell, i == 0))
            for i, cell in enumerate(nb.cells)]


def current(nb) -> list[str | None]:
    return [cell.metadata.get("slideshow", {}).get("slide_type") for cell in nb.cells]


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names or p.stem[:2] in names]
        if not paths:
            raise ValueError(f"notebooks={names!r} matches no notebook in {NOTEBOOKS}")
    return paths


def mark(paths: list[Path], write: bool) -> list[str]:
    """Bring each notebook's slideshow metadata in line with the rule (``write``), or list the
    cells that differ. Each notebook is read, changed and saved at once; nothing else changes."""
    differ = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        want = planned(nb, path.stem)
        changed = [i for i, (w, c) in enumerate(zip(want, current(nb))) if w != c]
        differ += [f"{path.name} cell {i} ({nb.cells[i].get('id')}): {want[i]}" for i in changed]
        if write and changed:
            for i in changed:
                nb.cells[i].metadata["slideshow"] = {"slide_type": want[i]}
            nbformat.write(nb, path)
    return differ


def vendor(out: Path) -> None:
    """Unpack the pinned reveal.js and MathJax packages from npm into ``out/vendor/`` (once)."""
    npm = shutil.which("npm")
    for name, (spec, parts) in VENDOR.items():
        target = out / "vendor" / name
        stamp = target / ".package"
        if stamp.is_file() and stamp.read_text() == spec:
            continue
        if npm is None:
            raise RuntimeError("the slides need npm to fetch reveal.js and MathJax: install Node.js "
                               "(it brings npm) and run again")
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([npm, "pack", "--silent", spec], cwd=tmp, capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
            (tarball,) = Path(tmp).glob("*.tgz")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            with tarfile.open(tarball) as tar:
                members = [m for m in tar.getmembers()
                           if m.name.split("/")[1:2] and m.name.split("/")[1] in parts]
                for m in members:
                    m.name = m.name.split("/", 1)[1]   # drop npm's package/ prefix
                tar.extractall(target, members=members, filter="data")
        stamp.write_text(spec)


def one_line_inline_maths(source: str) -> str:
    """Inline maths ``$...$`` that runs over a line break, joined onto one line: JupyterLab
    renders it either way, nbconvert's Markdown reader only on one line."""
    return DISPLAY_OR_INLINE_MATHS.sub(
        lambda m: m.group(0) if m.group(0).startswith("$$") else m.group(0).replace("\n", " "),
        source)


def lecture_copy(nb):
    """The notebook as the deck shows it: without the badges (they are links that open the
    notebook elsewhere), inline maths on one line, without the checking cells' marker line, with
    the code of figure and table cells hidden. Changes ``nb`` (read from the file for the
    purpose); the committed notebook is not changed."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = one_line_inline_maths(BADGES.sub("", cell.source) if i == 0
                                                else cell.source)
        if cell.cell_type != "code":
            continue
        if cell.source.startswith(CHECK_MARK):
            cell.source = cell.source.split("\n", 1)[1] if "\n" in cell.source else ""
        elif shows_figure_or_table(cell) and not STEP.search(cell.source):
            cell.metadata["transient"] = {"remove_source": True}
    nb.metadata.pop("widgets", None)   # no widget state: widgets live only in a running kernel
    return nb


def exporter():
    from nbconvert import SlidesExporter
    return SlidesExporter(extra_template_basedirs=[str(TEMPLATES.parent)],
                          template_name=TEMPLATES.name, reveal_url_prefix=REVEAL_PREFIX,
                          mathjax_url=MATHJAX_URL, reveal_theme=REVEAL_THEME, reveal_scroll=True, reveal_number="c/t",
                          exclude_input_prompt=True, exclude_output_prompt=True)


def build(out: Path, paths: list[Path]) -> list[Path]:
    """``out/NN_name.slides.html`` for each notebook in ``paths``, and ``out/vendor/``."""
    out.mkdir(parents=True, exist_ok=True)
    vendor(out)
    slides = exporter()
    written = []
    for path in paths:
        nb = lecture_copy(nbformat.read(path, as_version=4))
        html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("mark", help="write the slideshow metadata into the notebooks")
    m.add_argument("--check", action="store_true", help="only list the cells that differ")
    b = sub.add_parser("build", help="the reveal.js decks, with reveal.js and MathJax beside them")
    b.add_argument("--out", type=Path, default=ROOT / "slides")
    for p in (m, b):
        p.add_argument("notebooks", nargs="*", help="stems or numbers (default: all)")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.notebooks)
    if args.command == "mark":
        differ = mark(paths, write=not args.check)
        for line in differ:
            print(("differs: " if args.check else "marked: ") + line)
        return 1 if (args.check and differ) else 0
    for target in build(args.out, paths):
        print(target.relative_to(args.out.parent) if target.is_relative_to(args.out.parent)
              else target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
