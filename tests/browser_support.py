"""What the browser tests share: a JupyterLab server on loopback, Chromium through Playwright.

The server runs from this Python environment on a free port with a token, with private
settings (no news or update toasts, every cell attached to the page) and serves a folder the
test prepares; it and its kernels are always stopped at the end. Chromium is Debian's
``/usr/bin/chromium``; Playwright installs nothing (never ``playwright install``).

Where Chromium or Playwright is missing the tests are skipped with a reason that says what
enables them, except under ``CI=true``, where a missing browser fails the run.
"""
from __future__ import annotations

import contextlib
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

import pytest

from genlib.config import env_flag

try:
    from playwright import sync_api
except ImportError:  # reported by require_browser()
    sync_api = None

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 90_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-proxy-server"]
LAB_SETTINGS = {  # no news or update toasts, no requests to the internet, every cell in the DOM
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (with what enables them), or None."""
    if sync_api is None:
        return "needs the playwright package (enable: pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return "needs Debian's Chromium at /usr/bin/chromium (enable: apt-get install chromium)"
    return None


def require_browser() -> None:
    """Skip the calling test where the browser is missing; under ``CI=true`` fail instead."""
    why = missing_browser()
    if why:
        (pytest.fail if env_flag("CI") else pytest.skip)(f"browser test: {why}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(serve: Path, home: Path, env: dict[str, str] | None = None):
    """A JupyterLab server for folder ``serve``: yields ``(base url, token)``."""
    for name, values in LAB_SETTINGS.items():
        path = home / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, **(env or {}),
               JUPYTER_CONFIG_DIR=str(home / "config"),  # private settings and workspaces
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    log_path = home / "jupyterlab.log"
    log = open(log_path, "wb")
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
                pytest.fail("JupyterLab exited: " + log_path.read_text()[-2000:])
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
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, signal.SIGKILL)  # anything of its group left (a kernel)
        log.close()


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium: yields a Playwright browser."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def notebook_page(base: str, token: str, notebook: str, viewport=(1200, 800)):
    """A Chromium page showing ``notebook`` in JupyterLab: yields ``(page, expect)``. On a
    failure, a screenshot and the page's HTML go to ``tests/artifacts/<stem>_failure.*``."""
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(notebook).stem
    with chromium() as browser:
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}")
        try:
            yield page, expect
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"{stem}_failure.png"))
            (ARTIFACTS / f"{stem}_failure.html").write_text(page.content())
            raise


def run_menu_command(page, *path: str) -> None:
    """Click through the menu bar: ``run_menu_command(page, "View", "Appearance", "...")``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{path[0]}$")).click()
    for i, label in enumerate(path[1:], start=1):
        item = page.locator(".lm-Menu:visible .lm-Menu-itemLabel",
                            has_text=re.compile(f"^{re.escape(label)}$")).first
        item.hover() if i < len(path) - 1 else item.click()


def wait_for_idle_kernel(page, expect) -> None:
    """Run All only once the kernel is up, or the outputs may never appear."""
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))).to_be_visible()
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_visible()
