"""The real-browser test: latent_sliders in JupyterLab, driven in headless Chromium.

It starts JupyterLab (from this Python environment) on a free loopback port with a token,
serving a temporary folder that holds a small notebook written here; opens it in Debian's
/usr/bin/chromium through Playwright (which installs nothing: no ``playwright install``),
runs all cells, moves a slider with the keyboard, and checks that the displayed image
changed and that the kernel drew the latest value. Screenshots for a person to look at go to
``tests/artifacts/`` (git-ignored): ``browser_before.png``, ``browser_after.png`` and
``browser_presentation.png`` (the same notebook in JupyterLab's presentation mode, see
docs/presenting.md). The server and its kernel are always stopped at the end.

Run alone with ``make browser`` or ``pytest -m browser tests``.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from browser_support import (ARTIFACTS, jupyterlab, notebook_page, require_browser,
                             run_menu_command, wait_for_idle_kernel)

NOTEBOOK = "sliders.ipynb"
pytestmark = pytest.mark.browser

SETUP_CELL = """\
import torch
from torch import nn
from genlib.widgets import latent_sliders

torch.manual_seed(0)  # a tiny seeded decoder: 2 latent dimensions -> 7 x 7 -> 28 x 28 pixels
decoder = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 49), nn.Unflatten(1, (1, 7, 7)),
                        nn.Upsample(scale_factor=4), nn.Sigmoid()).eval()
with torch.no_grad():
    decoder[2].weight.mul_(8)  # high contrast: a small slider move is easy to see
w = latent_sliders(decoder, torch.zeros(2), labels=["z1", "z2"], scale=4)
w"""

CHECK_CELL = """\
from genlib.widgets._render import decode, image_png
shown = image_png(decode(decoder, w.z[None])[0], 4)
print(f"kernel: z1 = {w.z[0].item():.2f}, image shows z: {w.image.value == shown}, "
      f"redraws: {w.redraws}")"""


def write_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# latent_sliders in a real browser"),
                nbformat.v4.new_code_cell(SETUP_CELL), nbformat.v4.new_code_cell(CHECK_CELL)]
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server serving the small notebook: yields (base url, token)."""
    require_browser()
    serve = tmp_path / "serve"
    serve.mkdir()
    write_notebook(serve)
    with jupyterlab(serve, tmp_path / "jupyter", {"OMP_NUM_THREADS": "1"}) as server:
        yield server


def test_slider_moves_the_image_in_jupyterlab(lab):
    base, token = lab
    with notebook_page(base, token, NOTEBOOK) as (page, expect):
        check_sliders(page, expect)


def check_sliders(page, expect) -> None:
    wait_for_idle_kernel(page, expect)
    run_menu_command(page, "Run", "Run All Cells")

    image = page.locator(".jp-OutputArea-output img.widget-image").first
    handle = page.locator(".widget-slider .noUi-handle").first
    readout = page.locator(".widget-slider .widget-readout").first
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    output = page.locator(".jp-OutputArea-output", has=page.locator("img.widget-image")).first
    expect(page.get_by_text(re.compile(r"kernel: z1 = 0\.00, image shows z: True"))).to_be_visible()
    before = image.get_attribute("src")
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / "browser_before.png"))

    handle.focus()
    for _ in range(12):  # a quick burst of key presses
        page.keyboard.press("ArrowRight")
    expect(readout).not_to_have_text("0.00")
    expect(image).not_to_have_attribute("src", before)  # a new image is displayed
    moved = readout.inner_text().strip()
    assert float(moved) > 0

    # The kernel drew the latest value, not a stale one: run the check cell until the
    # last buffered slider update has reached the kernel.
    check = page.locator(".jp-CodeCell").nth(1)
    expected = re.compile(rf"kernel: z1 = {re.escape(moved)}, image shows z: True, "
                          r"redraws: (\d+)")
    result = check.locator(".jp-OutputArea-output")
    for attempt in range(4):
        check.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")  # run in place
        try:
            expect(result).to_have_text(expected, timeout=15_000)
            break
        except AssertionError:
            continue
    match = expected.search(result.inner_text())
    assert match, f"the kernel's state after the key presses: {result.inner_text()!r}"
    assert 2 <= int(match.group(1)) <= 13  # the first draw plus at most one per press
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / "browser_after.png"))
    assert (ARTIFACTS / "browser_after.png").stat().st_size > 1000

    # How a teacher shows it (docs/presenting.md): presentation mode and the simple
    # interface without the left sidebar
    run_menu_command(page, "View", "Appearance", "Presentation Mode")
    expect(page.locator(".jp-LabShell.jp-mod-presentationMode")).to_have_count(1)
    run_menu_command(page, "View", "Appearance", "Simple Interface")
    run_menu_command(page, "View", "Appearance", "Show Left Sidebar")
    output.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "browser_presentation.png"))
