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

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs the playwright package (pip install playwright)")

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
NOTEBOOK = "sliders.ipynb"
TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

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

LAB_SETTINGS = {  # no news or update toasts over the screenshots, no requests to the internet
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# latent_sliders in a real browser"),
                nbformat.v4.new_code_cell(SETUP_CELL), nbformat.v4.new_code_cell(CHECK_CELL)]
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free loopback port: yields (base url, token); always stopped."""
    serve, home = tmp_path / "serve", tmp_path / "jupyter"
    serve.mkdir()
    write_notebook(serve)
    for name, values in LAB_SETTINGS.items():
        path = home / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(home / "config"),  # private settings and workspaces
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OMP_NUM_THREADS="1")
    log = open(tmp_path / "jupyterlab.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
         "--port", str(port), f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
         f"--ServerApp.root_dir={serve}", "--ServerApp.port_retries=0"],
        env=env, cwd=serve, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: the kernels it starts go with it
    base = f"http://127.0.0.1:{port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail("JupyterLab exited: " + (tmp_path / "jupyterlab.log").read_text()[-2000:])
            try:
                with direct.open(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer within 90 s")
            time.sleep(0.3)
        yield base, token
    finally:
        server.terminate()  # SIGTERM: the server shuts its kernels down
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        try:  # anything of its process group left behind (a kernel) goes too
            os.killpg(server.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        log.close()


def run_menu_command(page, *path: str) -> None:
    """Click through the menu bar: ``run_menu_command(page, "View", "Appearance", "...")``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{path[0]}$")).click()
    for i, label in enumerate(path[1:], start=1):
        item = page.locator(".lm-Menu:visible .lm-Menu-itemLabel",
                            has_text=re.compile(f"^{re.escape(label)}$")).first
        item.hover() if i < len(path) - 1 else item.click()


def test_slider_moves_the_image_in_jupyterlab(lab):
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-proxy-server"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?reset&token={token}")
            try:
                check_sliders(page, expect)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "browser_failure.png"))
                raise
        finally:
            browser.close()


def check_sliders(page, expect) -> None:
    # Run All only once the kernel is up, or the outputs may never appear
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))).to_be_visible()
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_visible()
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
