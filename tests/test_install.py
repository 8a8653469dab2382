"""Installing the collection: the torch build, JupyterLab's defaults, badges, the install block.

The last test runs a notebook's install block in a fresh virtual environment that has every
requirement but genlib (as on Colab), and checks that genlib is then installed from the
checkout and importable in the same Python process.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import venv
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import install  # noqa: E402
import lab  # noqa: E402
import lab_settings  # noqa: E402
import notebook_header  # noqa: E402
import torch_build  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def pyproject_torch() -> str:
    return re.search(r'"(torch[<>=!~][^"]*)"', (ROOT / "pyproject.toml").read_text()).group(1)


@pytest.mark.parametrize("system, machine, nvidia, cpu_index", [
    ("Linux", "x86_64", False, True),     # the case that would pull GBs of CUDA wheels
    ("Linux", "x86_64", True, False),     # an NVIDIA GPU: PyPI's CUDA build is wanted
    ("Linux", "aarch64", False, False),   # PyPI's aarch64 build is the CPU build already
    ("Darwin", "arm64", False, False),    # MPS comes with PyPI's build
    ("Windows", "AMD64", False, False),   # PyPI's Windows build is the CPU build
])
def test_the_torch_build_chosen_for_each_platform(system, machine, nvidia, cpu_index):
    args, why = torch_build.torch_pip_args(system, machine, nvidia)
    assert args[0] == pyproject_torch() == torch_build.TORCH
    assert (torch_build.CPU_INDEX in args) is cpu_index
    assert ("--index-url" in args) is cpu_index and why


def test_an_installed_torch_is_left_alone(monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: pytest.fail("pip was run"))
    assert torch_build.main(["--install"]) == 0
    assert "already installed: nothing to do" in capsys.readouterr().out


def test_make_installs_with_the_same_script_as_everyone_else():
    makefile = (ROOT / "Makefile").read_text()
    stamp = makefile.split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "$(PYTHON) tools/install.py --venv $(VENV) --extras lab,test" in stamp
    lab = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "tools/lab.py --venv $(VENV)" in lab


def test_the_install_script_installs_torch_first_and_the_lab_settings():
    commands = [" ".join(c[1:]) for c in install.steps(Path("py"), "lab,test")]
    assert commands[0].endswith("tools/torch_build.py --install")
    assert commands[1] == "-m pip install --quiet -e .[lab,test]"
    assert "ipykernel install --sys-prefix --name python3" in commands[2]
    assert commands[3].endswith("tools/lab_settings.py")
    assert lab.START == "notebooks/00_start_here.ipynb" and (ROOT / lab.START).is_file()


@pytest.mark.parametrize("version, refused", [((3, 9, 18), True), ((3, 8, 0), True),
                                              ((3, 10, 0), False), ((3, 13, 1), False)])
def test_an_old_python_is_named_with_the_fix(version, refused):
    message = install.too_old(version, "python3")
    assert (message is not None) is refused
    if refused:
        assert f"Python {'.'.join(map(str, version))}" in message and "3.10 or newer" in message
        assert "make lab PYTHON=python3.12" in message and "python.org" in message


OLD_PYTHON_ENV = {**os.environ, "PYENV_VERSION": "3.9.18"}  # pyenv's shim needs the version


def old_python_runs() -> bool:
    return shutil.which("python3.9") is not None and subprocess.run(
        ["python3.9", "-c", "pass"], env=OLD_PYTHON_ENV, capture_output=True).returncode == 0


@pytest.mark.skipif(not old_python_runs(), reason="no Python 3.9 here")
def test_an_old_python_is_refused_before_anything_is_created(tmp_path):
    run = subprocess.run(["python3.9", str(ROOT / "tools" / "install.py"), "--venv",
                          str(tmp_path / "venv")], capture_output=True, text=True, timeout=60,
                         env=OLD_PYTHON_ENV)
    assert run.returncode == 2, run.stderr
    assert "genlib needs Python 3.10 or newer, and" in run.stderr and "Python 3.9" in run.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("euid, allow_root", [(0, True), (1000, False), (None, False)])
def test_jupyterlab_is_allowed_to_run_as_root_only_for_root(euid, allow_root):
    line = lab.command(Path("py"), ["--no-browser"], euid)
    assert line[1:5] == ["-m", "jupyter", "lab", lab.START] and line[-1] == "--no-browser"
    assert ("--allow-root" in line) is allow_root


def test_the_lab_runs_in_full_mode_unless_asked_for_quick_mode():
    assert lab.environment({"GENLIB_QUICK": "1"})["GENLIB_QUICK"] == "0"  # make's test setting
    assert lab.environment({"GENLIB_LAB_QUICK": "1"})["GENLIB_QUICK"] == "1"


def test_an_unreachable_pytorch_index_falls_back_to_pypi_and_says_why(capsys):
    asked = []

    def unreachable(url):
        asked.append(url)
        return False, "no answer within 5 s"
    args, why = torch_build.with_fallback(*torch_build.torch_pip_args("Linux", "x86_64", False),
                                          reachable=unreachable)
    assert asked == [torch_build.CPU_INDEX]  # asked once
    assert args == [torch_build.TORCH] and "--index-url" not in args
    assert "cannot be reached (no answer within 5 s)" in why and "PyPI" in why
    args, _ = torch_build.with_fallback(*torch_build.torch_pip_args("Darwin", "arm64", False),
                                        reachable=lambda url: pytest.fail("probed"))
    assert args == [torch_build.TORCH]


def test_without_torch_the_fallback_is_said_once(monkeypatch, capsys):
    monkeypatch.setattr(torch_build.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(torch_build.platform, "system", lambda: "Linux")
    monkeypatch.setattr(torch_build.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch_build, "has_nvidia_gpu", lambda: False)
    monkeypatch.setattr(torch_build, "index_reachable", lambda url: (False, "timed out"))
    assert torch_build.main([]) == 0
    out = capsys.readouterr().out
    assert out.count("cannot be reached (timed out)") == 1
    assert f"would run: pip install {torch_build.TORCH}\n" in out and "--index-url" not in out.split(
        "would run:")[1]


def test_the_index_probe_gives_up_on_a_silent_or_closed_server():
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    try:
        port = silent.getsockname()[1]
        ok, why = torch_build.index_reachable(f"https://127.0.0.1:{port}/whl/cpu", timeout=0.5)
        assert not ok and why
    finally:
        silent.close()
    ok, why = torch_build.index_reachable(f"https://127.0.0.1:{port}/whl/cpu", timeout=2)
    assert not ok and "refused" in why.lower()


def test_the_index_probe_sees_an_answering_server():
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- http.server's name
            self.send_error(403)  # any answer means the index is there

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        assert torch_build.index_reachable(f"http://127.0.0.1:{server.server_address[1]}/",
                                           timeout=5) == (True, "")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_lab_settings_turn_off_the_news_and_keep_other_settings(tmp_path):
    path = lab_settings.overrides_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                                "@jupyterlab/apputils-extension:notification": {"fetchNews": "true"}}))
    assert lab_settings.install(tmp_path) == path
    settings = json.loads(path.read_text())
    assert settings["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false",
                                                                       "checkForUpdates": False}
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_names_the_project_kernel(path):
    assert nbformat.read(path, as_version=4).metadata["kernelspec"]["name"] == "python3"


def test_badges_and_install_blocks_match_the_repository(capsys):
    assert notebook_header.main(["--check"]) == 0, capsys.readouterr().out
    url = notebook_header.repository()
    readme = (ROOT / "README.md").read_text()
    assert notebook_header.badges(url, "00_start_here.ipynb") in readme
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert notebook_header.badges(url, path.name) in nb.cells[0].source
        setup = next(c for c in nb.cells if c.cell_type == "code").source
        assert setup.startswith(notebook_header.install_block(url))


def test_environment_files_take_their_versions_from_pyproject():
    conda = (ROOT / "environment.yml").read_text()
    binder = (ROOT / "binder" / "environment.yml").read_text()
    post_build = (ROOT / "binder" / "postBuild").read_text()
    for text in (conda, binder):
        assert f"- {pyproject_torch()}\n" in text and "- python=3.11" in text
    assert "- -e .[lab,test]" in conda and 'pip install --no-cache-dir -e ".[lab]"' in post_build
    assert torch_build.CPU_INDEX in binder  # Binder has no GPU
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)


# Left out of the packages a fresh environment sees: genlib (to be installed), tqdm (a requirement
# the install block must add), the ipywidgets 8 family (the environment has Colab's 7.7 instead)
LEFT_OUT_OF_FRESH_VENV = re.compile(r"^(genlib|__editable__|pip|setuptools|_distutils_hack|"
                                    r"pkg_resources|distutils-precedence|tqdm|ipywidgets|"
                                    r"widgetsnbextension|jupyterlab_widgets)", re.I)
COLAB_IPYWIDGETS = "7.7.5"


def test_the_install_block_installs_genlib_and_leaves_torch_and_ipywidgets_alone(tmp_path):
    """A fresh venv as on Colab: torch, an ipywidgets 7.7 and most requirements already there,
    tqdm missing. The block installs genlib and tqdm alone; torch and ipywidgets keep their
    versions even where genlib's requirements ask for newer ones, and genlib's sliders work
    with that ipywidgets.

    The packages already there are this environment's, seen through a folder of links named
    in a ``.pth`` file: pip counts them as installed but outside the fresh environment, so it
    could never remove or change them."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()))
    view = tmp_path / "preinstalled"
    view.mkdir()
    for entry in site.iterdir():  # torch, numpy, ... but not genlib, tqdm, ipywidgets 8
        if not LEFT_OUT_OF_FRESH_VENV.match(entry.name) and not entry.name.endswith(".pth"):
            (view / entry.name).symlink_to(entry)
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    fresh_site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (fresh_site / "preinstalled.pth").write_text(f"{view}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["GENLIB_CACHE"] = str(tmp_path / "cache")
    subprocess.run([python, "-m", "pip", "install", "--quiet", f"ipywidgets=={COLAB_IPYWIDGETS}"],
                   env=env, check=True, capture_output=True, timeout=600)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "README.md", checkout / "README.md")
    pyproject = (ROOT / "pyproject.toml").read_text()
    wanted = {f'"{pyproject_torch()}"': '"torch>=99"', '"ipywidgets>=7.7"': '"ipywidgets>=8.1"'}
    for old, new in wanted.items():  # asking for more than is here: what is here still stays
        assert old in pyproject
        pyproject = pyproject.replace(old, new)
    (checkout / "pyproject.toml").write_text(pyproject)
    shutil.copytree(ROOT / "genlib", checkout / "genlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "notebooks").mkdir()
    run = lambda code: subprocess.run([python, "-c", code], cwd=checkout / "notebooks", env=env,
                                      capture_output=True, text=True, timeout=600)
    versions = ("import importlib.metadata as m\n"
                "print('versions', m.version('torch'), m.version('ipywidgets'))\n")
    before = run(versions + "import genlib")
    assert before.returncode != 0 and "No module named 'genlib'" in before.stderr
    torch_version = __import__("torch").__version__
    assert f"versions {torch_version} {COLAB_IPYWIDGETS}" in before.stdout
    assert run("import tqdm").returncode != 0
    url = notebook_header.repository()
    setup = next(c for c in nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", 4).cells
                 if c.cell_type == "code").source
    sliders = ("import torch, tqdm\nfrom genlib.widgets import latent_sliders\n"
               "w = latent_sliders(lambda z: torch.sigmoid(z[:, :4]).reshape(-1, 1, 2, 2), "
               "torch.zeros(4))\nfirst = w.image.value\nw.sliders[0].value = 2.0\n"
               "print('slider redraws', len(first) > 0 and w.image.value != first)\n")
    after = run(setup + "\nimport genlib\nprint('genlib from', genlib.__file__)\n"
                + versions + sliders)
    assert after.returncode == 0, after.stderr[-3000:]
    assert f"genlib from {fresh_site}" in after.stdout  # installed into the fresh venv
    assert "mode:" in after.stdout or "device" in after.stdout  # the rest of the setup cell ran
    assert f"versions {torch_version} {COLAB_IPYWIDGETS}" in after.stdout  # left as they were
    assert "slider redraws True" in after.stdout
    assert list(fresh_site.glob("tqdm-*.dist-info"))  # the missing requirement was installed
    assert not list(fresh_site.glob("torch*")) and notebook_header.install_block(url) in setup
