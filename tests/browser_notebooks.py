"""The collection's own notebooks in a real browser: JupyterLab in headless Chromium.

Every notebook with widgets (its committed outputs hold one, or, before its first render, its
code imports them) is opened in JupyterLab (quick mode, outputs cleared, served from a
temporary copy since JupyterLab autosaves) and run with Run > Run All Cells. The test then
checks what a student would see:

* every code cell ran and none printed an error (read from the notebook JupyterLab saves);
* every widget view rendered: as many widget outputs on the page as in the saved notebook,
  and no "Error displaying widget";
* a control changes its picture: the first output holding a widget image and a slider (or,
  where the notebook says so below, a button) is moved with the keyboard (or clicked), and the
  image shown must change.

Screenshots of that output before and after go to ``tests/artifacts/<notebook>_before.png``
and ``_after.png`` (git-ignored), for a person to look at. Run alone with ``make browser``.

The tests are in two files, tests/test_browser_notebooks.py and
tests/test_browser_notebooks_second.py, each over every other notebook: ``make test`` runs a file
on one worker, so the two halves run side by side.
"""
from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import nbformat
import pytest

from browser_support import (ARTIFACTS, ROOT, jupyterlab, notebook_page, require_browser,
                             run_menu_command, wait_for_idle_kernel)

NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The control that changes the picture, where it is not the first slider next to an image
PROGRESS_BAR = re.compile(r"^.*\d+%\|")  # how a tqdm bar's widget output reads as text
RENDERED_WIDGET = ".jp-OutputArea-output:has(> .jupyter-widgets)"  # a widget view, drawn
CONTROLS = {"02_gan_training_dynamics": ("button", "step x")}  # one step of live training


def widget_outputs(nb) -> int:
    return sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells
               if cell.cell_type == "code" for out in cell.get("outputs", []))


# a code cell that brings in widgets: ipywidgets itself, or genlib's widgets
IMPORTS_WIDGETS = re.compile(r"^\s*(import ipywidgets|from genlib\.widgets(\.\w+)? import)", re.M)


def has_widgets(path: Path) -> bool:
    """Its committed outputs hold a widget, or its code imports widgets: a notebook committed
    before its first full-mode render (no outputs yet) is tested all the same."""
    nb = nbformat.read(path, as_version=4)
    return widget_outputs(nb) > 0 or any(
        IMPORTS_WIDGETS.search(cell.source) for cell in nb.cells if cell.cell_type == "code")


WIDGET_NOTEBOOKS = [p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb")) if has_widgets(p)]


HALVES = (WIDGET_NOTEBOOKS[0::2], WIDGET_NOTEBOOKS[1::2])   # one a test file


def lab_server(tmp_path_factory, names):
    """One JupyterLab server in quick mode over a copy of the notebooks ``names``, outputs
    cleared (a module fixture of each test file yields from it)."""
    require_browser()
    tmp = tmp_path_factory.mktemp("lab")
    serve = tmp / "notebooks"
    serve.mkdir()
    for name in names:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, serve / f"{name}.ipynb")
    for extra in NOTEBOOKS.iterdir():  # anything else the notebooks read next to them
        if extra.suffix != ".ipynb" and extra.is_file():
            shutil.copy(extra, serve / extra.name)
    with jupyterlab(serve, tmp / "jupyter", {"GENLIB_QUICK": "1", "OMP_NUM_THREADS": "1"}) as server:
        yield (*server, serve)


def saved_notebook(page, serve: Path, name: str):
    """Save from JupyterLab (File > Save) and read the file it wrote."""
    path = serve / f"{name}.ipynb"
    before = path.stat().st_mtime_ns
    page.keyboard.press("Control+s")
    for _ in range(100):
        if path.stat().st_mtime_ns != before:
            break
        page.wait_for_timeout(100)
    for _ in range(100):   # the write completes: under load a read can meet a half-written file
        page.wait_for_timeout(300)
        try:
            return nbformat.read(path, as_version=4)
        except (nbformat.reader.NotJSONError, ValueError):
            continue
    return nbformat.read(path, as_version=4)


def run_in_lab(lab, name: str) -> None:
    """Open notebook ``name`` on the server ``lab``, Run All, and check what a student sees."""
    base, token, serve = lab
    try:
        with notebook_page(base, token, f"{name}.ipynb", viewport=(1280, 900)) as (page, expect):
            check_notebook(page, expect, serve, name)
    finally:  # the kernel goes, so the next notebook has the memory and the cores
        shut_down_kernels(base, token)


def shut_down_kernels(base: str, token: str) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(f"{base}/api/kernels?token={token}", timeout=10) as r:
        kernels = json.load(r)
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={token}",
                                         method="DELETE")
        direct.open(request, timeout=30).close()


def check_notebook(page, expect, serve: Path, name: str) -> None:
    wait_for_idle_kernel(page, expect)
    run_menu_command(page, "Run", "Run All Cells")
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    expect(prompts.first).to_have_text(re.compile(r"\[\d+\]"))  # the run has started
    busy = page.locator(".jp-CodeCell .jp-InputPrompt", has_text="[*]")
    expect(busy).to_have_count(0, timeout=600_000)  # finished, or stopped at an error
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_visible()

    nb = saved_notebook(page, serve, name)
    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(nb.cells)
              if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{name}: error outputs (cell, type, message): {errors}"
    unrun = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and cell.source.strip() and cell.execution_count is None]
    assert not unrun, f"{name}: cells not run: {unrun}"

    views = widget_outputs(nb)
    assert views >= 1, f"{name}: no widget was displayed"
    expect(page.get_by_text("Error displaying widget")).to_have_count(0)
    # every widget output holds a drawn widget, but for progress bars closed when done
    bars = sum(bool(PROGRESS_BAR.match(out.get("data", {}).get("text/plain", "")))
               for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
               if WIDGET_VIEW in out.get("data", {}))
    rendered = page.locator(RENDERED_WIDGET)
    expect(rendered.nth(views - bars - 1)).to_be_attached()
    assert views - bars <= rendered.count() <= views, (name, views, bars, rendered.count())

    check_a_control(page, expect, name)


def check_a_control(page, expect, name: str) -> None:
    kind, label = CONTROLS.get(name, ("slider", None))
    outputs = page.locator(RENDERED_WIDGET, has=page.locator("img.widget-image"))
    if kind == "slider":
        output = outputs.filter(has=page.locator(".widget-slider .noUi-handle")).first
    else:
        output = outputs.filter(has=page.locator("button.widget-button", has_text=label)).first
    expect(output).to_be_visible()
    image = output.locator("img.widget-image").first
    expect(image).to_have_attribute("src", re.compile(r"^(blob:|data:)"))
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / f"{name}_before.png"))
    before = image.get_attribute("src")
    if kind == "slider":
        handle = output.locator(".widget-slider .noUi-handle").first
        handle.focus()
        now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        at_max = now is not None and now == top
        for _ in range(3):   # towards the side that has room: a cell may have left it at an end
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
    else:
        output.locator("button.widget-button", has_text=label).first.click()
    expect(image).not_to_have_attribute("src", before)  # the picture changed
    page.wait_for_timeout(500)  # let the last redraw arrive before the screenshot
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / f"{name}_after.png"))
    assert (ARTIFACTS / f"{name}_after.png").stat().st_size > 1000


def browser_tests_for(names):
    """The module fixture ``lab`` and the parametrized test over ``names``, for a test file:
    ``lab, test_notebook_runs_and_its_widgets_work_in_jupyterlab = browser_tests_for(HALVES[0])``."""
    @pytest.fixture(scope="module")
    def lab(tmp_path_factory):
        yield from lab_server(tmp_path_factory, names)

    @pytest.mark.browser
    @pytest.mark.parametrize("name", names)
    def test_notebook_runs_and_its_widgets_work_in_jupyterlab(lab, name):
        run_in_lab(lab, name)

    return lab, test_notebook_runs_and_its_widgets_work_in_jupyterlab
