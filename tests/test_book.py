"""The website (``make book``, tools/book.py): what the copy step changes, and every built page
opened in headless Chromium: maths typeset, figures loaded, internal links resolved, widget
outputs shown as a note, nothing fetched from another host and no script error.

The browser tests build the site (incrementally, into build/book/) and serve it on loopback.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from browser_support import ROOT, TIMEOUT_MS, chromium, require_browser
from genlib.config import env_flag

sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402  (tools/book.py)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MATH_SOURCE = re.compile(r"\$\$|\$[^$\n]+\$|\\begin\{")


def widget_outputs(nb) -> int:
    return sum(book.WIDGET_VIEW in output.get("data", {})
               for cell in nb.cells for output in cell.get("outputs", []))


# --- the copy step (no browser) -------------------------------------------------------------

def test_links_to_files_outside_the_book_point_to_github():
    pages, repo = book.pages(), book.repository()
    assert book.link_target("bench/RESULTS.md", "README.md", pages, repo) == \
        f"{repo}/blob/main/bench/RESULTS.md"
    assert book.link_target("genlib", "README.md", pages, repo) == f"{repo}/tree/main/genlib"
    assert book.link_target("notebooks/03_dcgan_images.ipynb#x", "README.md", pages, repo) == \
        "notebooks/03_dcgan_images.ipynb#x"
    assert book.link_target("../README.md", "docs/presenting.md", pages, repo) == "../index.md"
    assert book.link_target("img/presentation_mode.png", "docs/presenting.md", pages, repo) == \
        "img/presentation_mode.png"
    assert book.link_target("https://arxiv.org/abs/1406.2661", "README.md", pages, repo) == \
        "https://arxiv.org/abs/1406.2661"
    with pytest.raises(SystemExit, match="leaves the repository"):
        book.link_target("../../x.md", "docs/presenting.md", pages, repo)


def test_formulas_are_joined_onto_one_line_outside_code_only():
    text = ("A $a\n- b$ and\n$$ x\n   - y\n+ z $$\n\n```\n$a\n- b$\n```\n"
            "costs \\$5, `$x\n- y$` and $c$\n$d\n\ne$")
    assert book.one_line_maths(text) == (
        "A $a - b$ and\n$$ x - y + z $$\n\n```\n$a\n- b$\n```\n"
        "costs \\$5, `$x\n- y$` and $c$\n$d\n\ne$")


def test_widget_outputs_become_notes_and_badges_go_in_the_copy_only():
    path = next(p for p in NOTEBOOKS if widget_outputs(nbformat.read(p, as_version=4)))
    committed = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    count, source = widget_outputs(nb), path.relative_to(ROOT).as_posix()
    shown = book.book_notebook(nb, source, book.pages(), book.repository())
    assert widget_outputs(shown) == 0 and "widgets" not in shown.metadata
    notes = [o["data"]["text/html"] for c in shown.cells for o in c.get("outputs", [])
             if "widget-note" in o.get("data", {}).get("text/html", "")]
    assert len(notes) == count and all("run this notebook to use it" in n for n in notes)
    assert "colab-badge.svg" not in json.dumps([c.source for c in shown.cells])
    assert path.read_bytes() == committed  # the committed notebook is untouched


def test_the_workflow_publishes_what_make_book_builds():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    assert any("make book" in step.get("run", "") for step in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    html = (book.DEFAULT_OUT / "_build" / "html").relative_to(ROOT).as_posix()
    assert upload["with"]["path"] == html
    deploy = workflow["jobs"]["deploy"]["steps"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy)
    assert workflow["permissions"]["pages"] == "write"


def test_readme_links_the_site():
    owner, name = book.repository().removeprefix("https://github.com/").split("/")
    assert f"https://{owner}.github.io/{name}/" in (ROOT / "README.md").read_text()


# --- the built site in Chromium --------------------------------------------------------------

PAGE_REPORT = """async () => {
  for (const img of document.images) img.loading = 'eager';
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise))
      await new Promise(done => setTimeout(done, 50));
    await MathJax.startup.promise;
  }
  const article = (document.querySelector('article') || document.body).cloneNode(true);
  article.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  const text = article.textContent;
  const raw = [...text.matchAll(/\\$|\\\\(?:begin|frac|mathrm|mathbb|mathcal|sum|log)\\b/g)]
      .map(m => text.slice(Math.max(0, m.index - 40), m.index + 40));
  return {
    maths: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('.math mjx-container').length,
    merrors: document.querySelectorAll('mjx-merror').length,
    raw,
    images: [...document.images].map(img => [img.currentSrc || img.src, img.naturalWidth]),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href)
               .filter(h => h.startsWith(location.origin)),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
             .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    launch: [...document.querySelectorAll('a[href]')].map(a => a.href)
                .filter(h => /^https:[/][/](colab[.]research[.]google[.]com|mybinder[.]org)[/]/.test(h)),
    notes: document.querySelectorAll('.widget-note').length,
    widgetErrors: (document.body.innerText.match(/Error displaying widget|Loading widget/g)
                   || []).length,
  };
}"""


def require_book_tools() -> None:
    """Skip where jupyter-book is missing; under ``CI=true`` fail instead."""
    if importlib.util.find_spec("jupyter_book") is None:
        (pytest.fail if env_flag("CI") else pytest.skip)(
            "the website test needs jupyter-book (enable: pip install -e '.[book]')")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request in the test's output
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """``folder`` over HTTP on loopback (file:// blocks some scripts): yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(html: Path) -> list[str]:
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if p.relative_to(html).parts[0] not in ("_static", "_sources"))


@pytest.fixture(scope="module")
def site():
    """Build the site, open every page: ``(html folder, {page: report}, problems)``."""
    require_browser()
    require_book_tools()
    start = time.perf_counter()
    html = book.build()
    print(f"\nbook built in {time.perf_counter() - start:.1f} s")
    reports, problems = {}, {"external": set(), "failed": [], "script errors": []}
    start = time.perf_counter()
    with serve(html) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)

        def route(request_route):
            if request_route.request.url.startswith(base):
                request_route.continue_()
            else:  # the site must not depend on another host
                problems["external"].add(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda error: problems["script errors"].append(
            f"{page.url}: {error}"))
        page.on("response", lambda response: response.status >= 400 and
                problems["failed"].append(f"{response.status} {response.url}"))
        for name in site_pages(html):
            page.goto(f"{base}/{name}", wait_until="load")
            reports[name] = page.evaluate(PAGE_REPORT)
        context.close()
    print(f"{len(reports)} pages checked in {time.perf_counter() - start:.1f} s")
    return html, reports, problems


def book_source(html: Path, page: str) -> str | None:
    """The text of the page's source in the book's copy (None for generated pages)."""
    src = html.parents[1] / "src"
    for suffix in (".md", ".ipynb"):
        path = src / Path(page).with_suffix(suffix)
        if path.is_file():
            if suffix == ".md":
                return path.read_text()
            nb = nbformat.read(path, as_version=4)
            return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return None


@pytest.mark.browser
def test_every_page_is_in_the_site(site):
    html, reports, _ = site
    expected = {"index.html", "CONTRIBUTING.html"}
    expected |= {f"notebooks/{p.stem}.html" for p in NOTEBOOKS}
    expected |= {f"docs/{p.stem}.html" for p in (ROOT / "docs").glob("*.md")}
    assert expected <= set(reports), f"missing pages: {sorted(expected - set(reports))}"


@pytest.mark.browser
def test_maths_is_typeset(site):
    html, reports, _ = site
    with_maths = 0
    for page, report in reports.items():
        source = book_source(html, page)
        if source is not None and MATH_SOURCE.search(source):
            with_maths += 1
            assert report["typeset"] > 0, f"{page}: maths in the source, none typeset"
        assert report["typeset"] == report["maths"], \
            f"{page}: {report['maths'] - report['typeset']} of {report['maths']} not typeset"
        assert report["merrors"] == 0, f"{page}: {report['merrors']} TeX errors"
        assert not report["raw"], f"{page}: raw $ or TeX in the text: {report['raw'][:3]}"
    assert with_maths >= len(NOTEBOOKS) - 1


@pytest.mark.browser
def test_every_figure_loads(site):
    _, reports, problems = site
    figures = 0
    for page, report in reports.items():
        broken = [src for src, width in report["images"] if width == 0]
        assert not broken, f"{page}: images that did not load: {broken}"
        figures += sum("/_images/" in src for src, _ in report["images"])
    assert figures >= 50, f"only {figures} figures in the notebooks' pages"
    assert not problems["failed"], f"failed requests: {problems['failed'][:5]}"


@pytest.mark.browser
def test_every_internal_link_resolves(site):
    html, reports, _ = site
    checked = 0
    for page, report in reports.items():
        for href in report["links"]:
            url = urllib.parse.urlsplit(href)
            path = urllib.parse.unquote(url.path).lstrip("/")
            target = html / path / "index.html" if path == "" or path.endswith("/") else html / path
            assert target.is_file(), f"{page}: link to a missing file {href}"
            if url.fragment and target.suffix == ".html":
                name = target.relative_to(html).as_posix()
                assert url.fragment in reports[name]["ids"], \
                    f"{page}: link to a missing anchor {href}"
            checked += 1
    assert checked > 100


@pytest.mark.browser
def test_widgets_show_a_note(site):
    _, reports, _ = site
    for path in NOTEBOOKS:
        report = reports[f"notebooks/{path.stem}.html"]
        assert report["notes"] == widget_outputs(nbformat.read(path, as_version=4)), path.stem
        assert report["widgetErrors"] == 0, f"{path.stem}: a widget shows an error"
    assert sum(reports[f"notebooks/{p.stem}.html"]["notes"] for p in NOTEBOOKS) > 0


@pytest.mark.browser
def test_notebook_pages_open_their_notebook_on_colab_and_binder(site):
    _, reports, _ = site
    for path in NOTEBOOKS:
        launch = reports[f"notebooks/{path.stem}.html"]["launch"]
        target = f"notebooks/{path.name}"
        assert any(h.startswith("https://colab.") and h.endswith(target) for h in launch), launch
        assert any(h.startswith("https://mybinder.") and target in h for h in launch), launch


@pytest.mark.browser
def test_nothing_from_other_hosts_and_no_script_errors(site):
    _, _, problems = site
    assert not problems["external"], f"requests to other hosts: {sorted(problems['external'])}"
    assert not problems["script errors"], problems["script errors"][:3]
