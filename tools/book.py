"""Build the collection's website with Jupyter Book 1: ``make book``, or

    python tools/book.py [--out build/book]

The book's configuration lives in ``book/`` (``_config.yml``, ``_toc.yml``). This script copies
into ``OUT/src`` (git-ignored) what the site shows, then runs ``jupyter-book build``; the HTML
lands in ``OUT/_build/html``. In the copy, and only there:

* ``README.md`` becomes the home page ``index.md``; ``CONTRIBUTING.md``, ``docs/*.md`` (and the
  images under ``docs/``) and the committed notebooks keep their paths;
* a link to a file the site does not contain (``bench/RESULTS.md``, say) points to that file
  on GitHub instead; links between pages stay relative, so Sphinx resolves them;
* a formula written over several lines is joined onto one line: JupyterLab reads the maths
  before the Markdown, but the book's Markdown parser reads the Markdown first, and a line of a
  formula that starts with ``-`` or ``+`` would become a list item and cut the formula in two;
* the Colab and Binder badges are dropped: a notebook page's launch menu opens it there;
* each widget output (``application/vnd.jupyter.widget-view+json``, which needs a live kernel)
  becomes a short HTML note saying so, and the saved widget state is dropped, so the page does
  not load the widget scripts from a CDN;
* MathJax 3 is unpacked into ``_mathjax/mathjax`` (served as ``_static/mathjax``) from npm's
  tarball, fetched once with ``npm pack`` into ``OUT``, so the maths is typeset offline as well
  as online. (Not in ``_static``: Jupyter Book would load every script found there.)

The notebooks are never executed (``execute_notebooks: off``): the site shows the outputs of the
committed full-mode run. Files are rewritten only where their content changed, so a second build
is incremental.
"""
from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import nbformat

from notebook_header import repository  # https://github.com/OWNER/NAME, from pyproject.toml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "book"
DEFAULT_OUT = ROOT / "build" / "book"
MATHJAX_VERSION = "3.2.2"
# What the tex-mml-chtml component loads: itself, TeX extensions on demand, its fonts, its menu.
MATHJAX_PARTS = ("tex-mml-chtml.js", "input/", "output/chtml/", "ui/", "a11y/", "adaptors/")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="widget-note"><em>Interactive widget{name}: run this notebook to use '
               "it (the launch menu at the top opens it on Colab or Binder).</em></p>")
BADGE = re.compile(r"\[!\[[^\]]*\]\(https?://[^)\s]*\)\]\(https?://[^)\s]*\)[ \t]*")
MARKDOWN_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)")
HTML_LINK = re.compile(r"""((?:href|src)\s*=\s*["'])([^"']+)""")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CODE = re.compile(r"^(```|~~~).*?^\1[ \t]*$|`(?:(?!\n[ \t]*\n)[^`])+`",
                  re.M | re.S)  # fenced blocks, code spans
MATH = re.compile(r"\$\$(?:(?!\n[ \t]*\n).)+?\$\$|(?<![\\$])\$(?!\$)(?:(?!\n[ \t]*\n).)+?(?<!\\)\$",
                  re.S)  # $$ ... $$ or $ ... $, never across a blank line


def pages() -> dict[str, str]:
    """Each page's path in the repository -> its path in the book's source."""
    found = {"README.md": "index.md", "CONTRIBUTING.md": "CONTRIBUTING.md"}
    for path in sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "notebooks").glob("*.ipynb")):
        rel = path.relative_to(ROOT).as_posix()
        found[rel] = rel
    return found


def assets() -> list[str]:
    """Files under ``docs/`` that pages show (images), copied with their paths."""
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*")
                  if p.is_file() and p.suffix != ".md")


def link_target(target: str, source: str, book: dict[str, str], repo: str) -> str:
    """Where a relative link of repository file ``source`` points in the book: the page's new
    relative path, an asset's, or else the file on GitHub. Absolute links stay as they are."""
    if SCHEME.match(target) or target.startswith(("#", "/")):
        return target
    path, hash_, fragment = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if resolved.startswith("../"):
        raise SystemExit(f"{source}: the link {target!r} leaves the repository; "
                         "link to a file inside it or to a full address")
    here = posixpath.dirname(book[source])
    if resolved in book:
        return posixpath.relpath(book[resolved], here or ".") + hash_ + fragment
    if resolved in assets():
        return posixpath.relpath(resolved, here or ".") + hash_ + fragment
    kind = "tree" if (ROOT / resolved).is_dir() else "blob"
    return f"{repo}/{kind}/main/{resolved}" + hash_ + fragment


def one_line_maths(text: str) -> str:
    """Each formula ($ ... $ or $$ ... $$) outside code on one line, its line breaks spaces."""
    def join(match: re.Match) -> str:
        return re.sub(r"[ \t]*\n[ \t]*", " ", match.group(0))

    parts, end = [], 0
    for code in CODE.finditer(text):
        parts += [MATH.sub(join, text[end:code.start()]), code.group(0)]
        end = code.end()
    return "".join(parts) + MATH.sub(join, text[end:])


def book_markdown(text: str, source: str, book: dict[str, str], repo: str) -> str:
    """Markdown as the book shows it: formulas on one line, badges dropped, relative links
    re-pointed."""
    text = BADGE.sub("", one_line_maths(text))
    for pattern in (MARKDOWN_LINK, HTML_LINK):
        text = pattern.sub(lambda m: m.group(1) + link_target(m.group(2), source, book, repo),
                           text)
    return text


def widget_note(data: dict) -> dict:
    """A widget output's replacement: the note, naming the widget's class where it is known."""
    plain = "".join(data.get("text/plain", ""))
    name = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\(", plain)
    html = WIDGET_NOTE.format(name=f" ({name.group(1)})" if name else "")
    return {"text/html": html, "text/plain": "Interactive widget: run this notebook to use it."}


def book_notebook(nb: nbformat.NotebookNode, source: str, book: dict[str, str],
                  repo: str) -> nbformat.NotebookNode:
    """The notebook as the book shows it (``nb`` is changed in place and returned)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = book_markdown(cell.source, source, book, repo)
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                output["data"] = widget_note(output["data"])
    return nb


def write_if_changed(path: Path, content: bytes) -> None:
    """Write ``content`` unless the file already holds it (keeps Sphinx's build incremental)."""
    if path.is_file() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def mathjax(out: Path, static: Path) -> None:
    """MathJax's ``es5`` files under ``static/mathjax``, from npm's tarball cached in ``out``."""
    stamp = static / "mathjax" / f".version-{MATHJAX_VERSION}"
    if stamp.is_file():
        return
    tarball = out / f"mathjax-{MATHJAX_VERSION}.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(f"MathJax: needs npm to fetch mathjax@{MATHJAX_VERSION} "
                             f"(apt-get install npm), or put {tarball.name} in {out}")
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--pack-destination",
                        str(out), "--loglevel=error"], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(static / "mathjax", ignore_errors=True)
    with tarfile.open(tarball) as tar:
        members = []
        for member in tar.getmembers():
            rel = member.name.removeprefix("package/es5/")
            if rel != member.name and rel.startswith(MATHJAX_PARTS):
                member.name = rel
                members.append(member)
        tar.extractall(static / "mathjax", members=members, filter="data")
    stamp.write_text("")


def prepare(out: Path = DEFAULT_OUT) -> Path:
    """Write the book's source into ``out/src`` (stale files removed); returns that folder."""
    src, repo, book = out / "src", repository(), pages()
    written = set()

    def put(rel: str, content: bytes) -> None:
        write_if_changed(src / rel, content)
        written.add(src / rel)

    for path in sorted(CONFIG.rglob("*")):  # _config.yml, _toc.yml, _ext/ (Sphinx extensions)
        if path.is_file() and "__pycache__" not in path.parts:
            put(path.relative_to(CONFIG).as_posix(), path.read_bytes())
    for source, target in book.items():
        if source.endswith(".ipynb"):
            nb = book_notebook(nbformat.read(ROOT / source, as_version=4), source, book, repo)
            put(target, nbformat.writes(nb).encode())
        else:
            text = (ROOT / source).read_text(encoding="utf-8")
            put(target, book_markdown(text, source, book, repo).encode())
    for asset in assets():
        put(asset, (ROOT / asset).read_bytes())
    mathjax(out, src / "_mathjax")
    for path in sorted(src.rglob("*"), reverse=True):  # pages and images no longer in the repo
        inside = path.relative_to(src).parts
        if inside[0] in ("_mathjax", "_build"):
            continue
        if path.is_file() and path not in written:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return src


def jupyter_book() -> str:
    """The ``jupyter-book`` command of this Python environment."""
    here = Path(sys.executable).with_name("jupyter-book")
    found = str(here) if here.is_file() else shutil.which("jupyter-book")
    if found is None:
        raise SystemExit("jupyter-book is not installed: pip install -e '.[book]'")
    return found


def build(out: Path = DEFAULT_OUT) -> Path:
    """Prepare the source and build the HTML (warnings are errors); returns the HTML folder."""
    src = prepare(out)
    subprocess.run([jupyter_book(), "build", str(src), "--path-output", str(out),
                    "--warningiserror", "--keep-going", "--quiet"], check=True)
    return out / "_build" / "html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="build folder (default build/book): source in src/, HTML in _build/html/")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    html = build(args.out.resolve())
    pages_built = [p for p in html.rglob("*.html") if p.relative_to(html).parts[0] != "_static"]
    print(f"{len(pages_built)} pages in {html} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
