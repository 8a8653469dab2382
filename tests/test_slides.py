"""make slides: every notebook as a reveal.js deck (tools/slides.py).

The rule that picks a lecture's cells is tested on hand-made cells; the committed notebooks must
carry the metadata the rule and its exceptions give. The browser test builds every deck
(about 8 s of conversion) and opens each in Debian's headless Chromium with every request that is
not a local file refused: the slide count equals the number of slide and subslide cells, the
maths is typeset (MathJax's elements present, no ``$`` or ``\\(`` left in the text) and every
picture has loaded.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from browser_support import TIMEOUT_MS, chromium, require_browser
from genlib.config import env_flag

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5"
       "ErkJggg==")


def figure_cell(source="plt.plot(x)"):
    return new_code_cell(source, outputs=[new_output("display_data", data={"image/png": PNG,
                                                                          "text/plain": "<Figure>"})])


def widget_cell():
    data = {"application/vnd.jupyter.widget-view+json": {"model_id": "a", "version_major": 2,
                                                        "version_minor": 0},
            "text/plain": "VBox()", "image/png": PNG}
    return new_code_cell("latent_sliders(G.generate, z)",
                         outputs=[new_output("display_data", data=data)])


@pytest.mark.parametrize("cell, first, expected", [
    (new_markdown_cell("# 03 · DCGAN\n\n**Learning objectives.** ..."), True, "slide"),
    (new_code_cell("try:  # on Colab ...\n    import genlib"), False, "skip"),
    (new_markdown_cell("## 2 The optimal discriminator\n\n$D^*(x) = ...$"), False, "slide"),
    (new_markdown_cell("### 2.1 By Jensen's inequality"), False, "subslide"),
    (new_markdown_cell("### Exercise 1 · Spherical interpolation\nWrite ..."), False, "subslide"),
    (new_markdown_cell("**Check.** The posterior is normalised."), False, "subslide"),
    (new_code_cell("# NBVAL_CHECK_OUTPUT\nassert ok\nprint(1)"), False, "fragment"),
    (figure_cell(), False, "subslide"),
    (widget_cell(), False, "skip"),
    (new_code_cell("def gan_step(G, D, opt_G, opt_D, x, rng):\n    ..."), False, "subslide"),
    (new_code_cell("@torch.no_grad()\ndef warmup_vae_step(vae, opt, x, rng, t):\n    ..."), False,
     "subslide"),
    (new_code_cell("def my_slerp(z0, z1, t):\n    raise ExerciseNotDone"), False, "skip"),
    (new_code_cell('check("03.1", my_slerp);'), False, "skip"),
    (new_markdown_cell("<details><summary>Hint</summary>\n\nLook at ...\n</details>"), False,
     "skip"),
    (new_code_cell("models, history = zoo.conv_vae(step=vae_step)"), False, "skip"),
])
def test_the_rule_picks_a_lectures_cells(cell, first, expected):
    assert slides.slide_type(cell, first) == expected


def test_the_notebooks_carry_the_rules_slide_types():
    differ = slides.mark(NOTEBOOKS, write=False)
    assert not differ, ("the slideshow metadata differs from tools/slides.py's rule; run "
                        "`python tools/slides.py mark`:\n" + "\n".join(differ[:20]))


def test_every_exception_names_a_cell_of_its_notebook():
    stems = {p.stem for p in NOTEBOOKS}
    for stem, exceptions in slides.EXCEPTIONS.items():
        assert stem in stems, stem
        assert set(exceptions.values()) <= set(slides.SLIDE_TYPES), stem
        slides.planned(nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4), stem)


def test_every_deck_opens_with_its_title_and_has_sections():
    for path in NOTEBOOKS:
        types = slides.current(nbformat.read(path, as_version=4))
        assert types[0] == "slide", path.name
        assert types.count("slide") >= 4, (path.name, types.count("slide"))


def test_the_lecture_copy_hides_badges_markers_and_figure_code():
    nb = nbformat.v4.new_notebook(cells=[
        new_markdown_cell("# 03 · DCGAN\n\n[![Open in Colab](https://colab.research.google.com/"
                          "assets/colab-badge.svg)](https://colab.example) [![Binder](b.svg)](c)\n"
                          "\nText with $a\n+ b$ and $$c\nd$$."),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(round(x, 2))"),
        figure_cell("fig, ax = plt.subplots()\nax.plot(x)"),
        new_code_cell("def gan_step(G, D, opt_G, opt_D, x, rng):\n    ...")])
    nb.metadata["widgets"] = {"state": {}}
    copy = slides.lecture_copy(nb)
    assert "colab" not in copy.cells[0].source
    assert "Text with $a + b$ and $$c\nd$$." in copy.cells[0].source   # inline maths on one line
    assert copy.cells[1].source == "print(round(x, 2))"
    assert copy.cells[2].metadata["transient"] == {"remove_source": True}
    assert "transient" not in copy.cells[3].metadata
    assert "widgets" not in copy.metadata


def test_make_slides_builds_into_an_ignored_folder():
    target = (ROOT / "Makefile").read_text().split("\nslides:", 1)[1].split("\n\n", 1)[0]
    assert "tools/slides.py build --out slides" in target
    assert "slides/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "make slides" in (ROOT / "README.md").read_text()


# ---------------------------------------------------------------- the decks in a browser
def missing_npm() -> str | None:
    if shutil.which("npm") is None:
        return "needs npm to fetch reveal.js and MathJax (enable: install Node.js)"
    return None


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    require_browser()
    why = missing_npm()
    if why:
        (pytest.fail if env_flag("CI") else pytest.skip)(f"slides test: {why}")
    out = tmp_path_factory.mktemp("slides")
    return out, slides.build(out, NOTEBOOKS)


# MathJax has finished; then what the deck shows. Code, outputs and typeset maths are set aside
# before the text is searched for maths delimiters that were left raw.
INSPECT = """async () => {
  await MathJax.startup.promise;
  const slides = document.querySelector('.reveal .slides');
  const text = slides.cloneNode(true);
  text.querySelectorAll('pre, code, script, style, mjx-container, .jp-OutputArea')
      .forEach(e => e.remove());
  const images = [...slides.querySelectorAll('img')];
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => {
      i.onload = r; i.onerror = r; })));
  return {
    total: Reveal.getTotalSlides(),
    typeset: slides.querySelectorAll('mjx-container').length,
    texErrors: [...slides.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error')),
    text: text.textContent,
    images: images.length,
    broken: images.filter(i => !(i.naturalWidth > 0)).map(i => i.outerHTML.slice(0, 80)),
  };
}"""


@pytest.mark.browser
def test_each_deck_shows_its_slides_maths_and_figures_offline(decks):
    out, paths = decks
    problems = []
    with chromium() as browser:
        for path in paths:
            nb = nbformat.read(ROOT / "notebooks" / path.name.replace(".slides.html", ".ipynb"),
                               as_version=4)
            types = slides.current(nb)
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            refused = []

            def local_only(route, request, refused=refused):
                if request.url.startswith(("file://", "data:", "blob:")):
                    route.continue_()
                else:
                    refused.append(request.url)
                    route.abort()

            errors = []
            page.route("**/*", local_only)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady() && window.MathJax "
                                   "&& MathJax.startup && MathJax.startup.promise")
            seen = page.evaluate(INSPECT)
            page.close()
            name = path.name
            if refused:
                problems.append(f"{name}: asked the network for {refused}")
            if errors:
                problems.append(f"{name}: script errors {errors}")
            wanted = types.count("slide") + types.count("subslide")
            if seen["total"] != wanted:
                problems.append(f"{name}: {seen['total']} slides, {wanted} slide/subslide cells")
            if not seen["typeset"] or seen["texErrors"]:
                problems.append(f"{name}: {seen['typeset']} typeset formulas, TeX errors: "
                                f"{seen['texErrors']}")
            for raw in ("$", "\\(", "\\["):
                at = seen["text"].find(raw)
                if at >= 0:
                    problems.append(f"{name}: raw {raw} in {seen['text'][max(0, at - 60):at + 80]!r}")
            if not seen["images"] or seen["broken"]:
                problems.append(f"{name}: {seen['images']} images, not loaded: {seen['broken']}")
    assert not problems, "\n".join(problems)
