"""A class on one server: a real JupyterHub, N students, one read-only shared cache.

``python tools/hub_check.py [--users N] [--fresh-cache]`` (needs ``pip install -e '.[hub]'`` and
``configurable-http-proxy``: on the PATH, ``--proxy``, or installed here with npm under
``bench/artifacts/node``) writes part ``hub`` of bench/RESULTS.md. A deployment check a teacher
runs, not a benchmark of the models:

1. the teacher fills a shared cache (``GENLIB_QUICK=1 python -m genlib.zoo``, into
   ``<tmp>/genlib-bench-hub/shared``, kept between runs) and makes it read-only;
2. JupyterHub on loopback (dummy authenticator, ``SimpleLocalProcessSpawner``, a home per
   student) with ``c.Spawner.environment`` as docs/teaching-on-jupyterhub.md tells a teacher to
   set it; run as root, each single-user server starts through ``setpriv`` without the
   capabilities that let root write into a read-only folder;
3. through the hub's REST API every student's server starts at once, then a kernel in each,
   and the notebook's code cells go over the kernels' websockets, all students at once;
4. the figures: notebooks finished without an error output, anything trained (files in the
   per-user caches; the shared files before and after), wall times, and the peak summed memory
   (RSS, and PSS, which splits shared pages) of the servers and kernels, sampled with psutil.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: bench's report helpers, from the checkout
from bench import Section, TargetCheck, fmt, markdown_table, provenance, write_part  # noqa: E402
from bench.notebooks import PEAK_MEMORY_TARGET_GB, peak_rss_bytes  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "genlib-bench-hub"  # outside the tree: configs, homes, cache
NODE_PREFIX = ROOT / "bench" / "artifacts" / "node"
NOTEBOOK = ROOT / "notebooks" / "03_dcgan_images.ipynb"
VENV_BIN = Path(sys.executable).parent
DROP_CAPS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
ENV_PROBE = ("import json, os\nprint('BENCH-ENV ' + json.dumps({k: os.environ.get(k) for k in "
             "('GENLIB_SHARED_CACHE', 'GENLIB_CACHE', 'GENLIB_DATA', 'GENLIB_QUICK', "
             "'GENLIB_THREADS', 'OMP_NUM_THREADS', 'JUPYTERHUB_USER', 'HOME')} "
             "| {'pid': os.getpid()}))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_proxy(given: str | None) -> str:
    """``given``, the PATH's ``configurable-http-proxy``, or the one in ``NODE_PREFIX`` (installed)."""
    local = NODE_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
    found = given or shutil.which("configurable-http-proxy") or (str(local) if local.exists() else None)
    if not found:
        print(f"[hub] npm install configurable-http-proxy into {NODE_PREFIX}", file=sys.stderr)
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_PREFIX),
                        "configurable-http-proxy"], check=True, timeout=300)
    return found or str(local)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file under ``folder`` with its size, mtime and mode."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns,
                                               stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*"))} if folder.exists() else {}


def set_writable(folder: Path, writable: bool) -> None:
    """``chmod -R a+rX`` and then ``u+w`` (writable) or ``a-w`` (read-only, for the run)."""
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode) | 0o444 | (0o111 if path.is_dir() else 0)
        os.chmod(path, (mode | 0o200) if writable else (mode & ~0o222))


def pretrain(shared: Path, fresh: bool) -> float:
    """The teacher's ``make pretrain`` in quick mode into ``shared``; seconds taken."""
    if fresh and shared.exists():
        set_writable(shared, True)
        shutil.rmtree(shared)
    shared.mkdir(parents=True, exist_ok=True)
    set_writable(shared, True)
    env = dict(os.environ, GENLIB_QUICK="1", GENLIB_CACHE=str(shared), OMP_WAIT_POLICY="PASSIVE",
               PYTHONPATH=str(ROOT))
    env.pop("GENLIB_SHARED_CACHE", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "genlib.zoo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    if done.returncode:
        raise RuntimeError(f"pretraining failed:\n{done.stderr[-3000:]}")
    set_writable(shared, False)
    return time.perf_counter() - start


def hub_config(port: int, api_port: int, hub_port: int, proxy: str, token: str,
               users: list[str], shared: Path, drop_caps: bool) -> str:
    """The jupyterhub_config.py of the run."""
    cmd = DROP_CAPS * drop_caps + [str(VENV_BIN / "jupyterhub-singleuser")]
    environment = {"GENLIB_SHARED_CACHE": str(shared), "GENLIB_CACHE": "~/.cache/genlib",
                   "GENLIB_DATA": str(shared), "GENLIB_QUICK": "1", "GENLIB_THREADS": "1",
                   "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    return f"""# written by tools/hub_check.py
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{WORK / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = "{WORK / 'jupyterhub_cookie_secret'}"
c.JupyterHub.cleanup_servers = True
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.pid_file = "{WORK / 'proxy.pid'}"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {set(users)!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{WORK / 'home'}/{{username}}"
c.Spawner.cmd = {cmd!r}
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.Spawner.environment = {environment!r}
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "bench", "services": ["bench"], "scopes": [
    "admin:users", "admin:servers", "access:servers", "list:users", "read:users"]}}]
"""


@dataclass
class MemorySampler:
    """Every 0.5 s, the summed RSS (every 10th sample also PSS) of the hub's single-user servers
    and kernels, and each kernel's peak (``VmHWM``), read from /proc with psutil."""

    hub_pid: int
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0
    samples: int = 0
    kernel_hwm: dict[int, int] = field(default_factory=dict)
    seen: dict[int, float] = field(default_factory=dict)  # pid -> creation time
    stopped: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        import psutil

        try:
            children = psutil.Process(self.hub_pid).children(recursive=True)
        except psutil.Error:
            children = []
        rss = pss = processes = 0
        for p in children:
            try:
                line = " ".join(p.cmdline())
                if "singleuser" not in line and "ipykernel" not in line:
                    continue
                self.seen.setdefault(p.pid, p.create_time())
                info = p.memory_full_info() if self.samples % 10 == 0 else p.memory_info()
                rss, pss, processes = rss + info.rss, pss + getattr(info, "pss", 0), processes + 1
                if "ipykernel" in line:
                    self.kernel_hwm[p.pid] = max(self.kernel_hwm.get(p.pid, 0),
                                                 peak_rss_bytes(p.pid) or 0)
            except psutil.Error:
                pass
        self.samples += 1
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        self.peak_processes = max(self.peak_processes, processes)

    def start(self) -> "MemorySampler":
        def loop():
            while not self.stopped.wait(0.5):
                self.sample()
        threading.Thread(target=loop, daemon=True).start()
        return self


@dataclass
class StudentRun:
    user: str
    spawn_s: float = float("nan")
    notebook_s: float = float("nan")
    cells: int = 0
    errors: list[str] = field(default_factory=list)
    loaded_from_shared: int = 0
    env: dict = field(default_factory=dict)
    under_hub: bool = False  # the kernel's parent is a single-user server the hub started
    finished: bool = False


class Hub:
    """The REST and websocket calls of the run, through the proxy on loopback."""

    def __init__(self, port: int, token: str, hub_pid: int):
        self.base, self.token, self.hub_pid = f"127.0.0.1:{port}", token, hub_pid

    def call(self, method: str, path: str, body=None, ok=()):
        request = urllib.request.Request(
            f"http://{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"},
            data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                text = reply.read()
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return None
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc
        return json.loads(text) if text else None

    def wait_up(self, timeout: float) -> float:
        start = time.monotonic()
        while True:
            try:
                self.call("GET", "/hub/api/")
                return time.monotonic() - start
            except (OSError, RuntimeError):
                if time.monotonic() > start + timeout:
                    raise
                time.sleep(0.5)

    def spawn(self, run: StudentRun, timeout: float = 300) -> None:
        start = time.perf_counter()
        self.call("POST", f"/hub/api/users/{run.user}/server", body={})
        while not (self.call("GET", f"/hub/api/users/{run.user}").get("servers") or {}) \
                .get("", {}).get("ready"):
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{run.user}'s server not ready after {timeout:.0f} s")
            time.sleep(0.5)
        run.spawn_s = time.perf_counter() - start

    def run_notebook(self, run: StudentRun, cells: list[str], cell_timeout: float) -> None:
        """The cells in a new kernel of ``run.user``'s server, over the kernel's websocket."""
        import websocket  # websocket-client, a dependency of jupyter_server

        start = time.perf_counter()
        kernel = self.call("POST", f"/user/{run.user}/api/kernels", body={"name": "python3"})
        ws = websocket.create_connection(
            f"ws://{self.base}/user/{run.user}/api/kernels/{kernel['id']}/channels",
            header=[f"Authorization: token {self.token}"], timeout=cell_timeout)
        try:
            for index, code in enumerate([ENV_PROBE] + cells):
                execute(ws, run, code, index)
                run.cells += index > 0
                if index == 0:
                    run.under_hub = under_hub(run.env.get("pid"), self.hub_pid)
                if run.errors:
                    break
        except websocket.WebSocketTimeoutException:
            run.errors.append(f"cell {run.cells}: no reply after {cell_timeout:.0f} s")
        finally:
            ws.close()
            self.call("DELETE", f"/user/{run.user}/api/kernels/{kernel['id']}")
        run.notebook_s = time.perf_counter() - start
        run.finished = not run.errors and run.cells == len(cells)


def execute(ws, run: StudentRun, code: str, index: int) -> None:
    """Send ``code`` to the kernel; read its replies until it is idle again."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": run.user, "session": run.user,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    replied = idle = False
    while not (replied and idle):
        raw = ws.recv()
        msg = json.loads(raw) if isinstance(raw, str) and raw else {}
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg.get("content", {})
        if kind == "error":
            run.errors.append(f"cell {index}: {content.get('ename')}: "
                              f"{str(content.get('evalue'))[:200]}")
        elif kind == "stream":
            text = content.get("text", "")
            for line in text.splitlines():
                if line.startswith("BENCH-ENV "):
                    run.env = json.loads(line[len("BENCH-ENV "):])
            run.loaded_from_shared += text.count("loaded from the shared cache")
        elif kind == "execute_reply":
            replied = True
            if content.get("status") == "error" and not run.errors:
                run.errors.append(f"cell {index}: {content.get('ename')}")
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True


def under_hub(pid: int | None, hub_pid: int) -> bool:
    """Whether process ``pid``'s parent is a single-user server and the hub its ancestor."""
    import psutil

    try:
        parents = psutil.Process(pid).parents()
        return "singleuser" in " ".join(parents[0].cmdline()) and hub_pid in [p.pid for p in parents]
    except (psutil.Error, TypeError, ValueError, IndexError):
        return False


def drive(hub: Hub, runs: list[StudentRun], cells: list[str],
          cell_timeout: float) -> tuple[float, float, float]:
    """Every server at once, then the notebook in every kernel at once; the wall times."""
    up_s = hub.wait_up(120)
    print(f"[hub] up in {up_s:.1f} s; starting {len(runs)} servers", file=sys.stderr, flush=True)
    hub.call("POST", "/hub/api/users", body={"usernames": [r.user for r in runs]}, ok=(409,))
    with ThreadPoolExecutor(len(runs)) as pool:
        start = time.perf_counter()
        list(pool.map(hub.spawn, runs))
        spawned = time.perf_counter()

        def student(run):
            try:
                hub.run_notebook(run, cells, cell_timeout)
            except Exception as exc:  # noqa: BLE001 - reported in the student's row
                run.errors.append(f"driver: {type(exc).__name__}: {str(exc)[:200]}")
        list(pool.map(student, runs))
        done = time.perf_counter()
        list(pool.map(lambda r: hub.call("DELETE", f"/hub/api/users/{r.user}/server"), runs))
    return up_s, spawned - start, done - spawned


def run_class(users: int, proxy: str | None = None, fresh_cache: bool = False,
              cell_timeout: float = 300) -> Section:
    """Prepare the shared cache, start the hub, run the notebook for ``users`` students at
    once; the RESULTS.md section of the run."""
    import nbformat
    import psutil

    WORK.mkdir(parents=True, exist_ok=True)
    proxy, shared, home = find_proxy(proxy), WORK / "shared", WORK / "home"
    print("[hub] the teacher pretrains (quick mode) into the shared cache", file=sys.stderr)
    pretrain_s = pretrain(shared, fresh_cache)
    shutil.rmtree(home, ignore_errors=True)
    for name in ("jupyterhub.sqlite", "proxy.pid"):
        (WORK / name).unlink(missing_ok=True)
    drop_caps = os.geteuid() == 0 and shutil.which("setpriv") is not None
    read_only_by = "folder and files without write bits" + (
        "; single-user servers run as root through setpriv without CAP_DAC_OVERRIDE/"
        "CAP_DAC_READ_SEARCH/CAP_FOWNER" if drop_caps else
        " (root without setpriv: not enforced)" if os.geteuid() == 0 else "")
    before = snapshot(shared)
    runs = [StudentRun(f"student{i + 1}") for i in range(users)]
    token, port, config = secrets.token_hex(32), free_port(), WORK / "jupyterhub_config.py"
    config.touch(mode=0o600)
    os.chmod(config, 0o600)  # it holds the service token
    config.write_text(hub_config(port, free_port(), free_port(), proxy, token,
                                 [r.user for r in runs], shared, drop_caps))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLIB_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and "skip-execution" not in c.metadata.get("tags", [])]
    with open(WORK / "hub.log", "w") as log:
        hub_proc = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=WORK,
                                    env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        memory = MemorySampler(hub_proc.pid).start()
        try:
            up_s, spawn_s, notebooks_s = drive(Hub(port, token, hub_proc.pid), runs, cells,
                                               cell_timeout)
        finally:
            memory.stopped.set()
            _stop_hub(hub_proc, memory.seen)
    caches = {r.user: home / r.user / ".cache" / "genlib" for r in runs}
    own = {user: [p for p in c.rglob("*") if p.is_file()] if c.exists() else []
           for user, c in caches.items()}
    trained = sum(p.suffix == ".pt" for files in own.values() for p in files)
    finished = sum(r.finished for r in runs)
    print(json.dumps({"finished": f"{finished}/{users}", "trained": trained,
                      "errors": {r.user: r.errors for r in runs if r.errors}}), file=sys.stderr)
    if finished < users:
        print("[hub] hub log tail:\n" + "\n".join(
            (WORK / "hub.log").read_text().splitlines()[-30:]), file=sys.stderr)

    gb, kernels = 1e9, sorted(memory.kernel_hwm.values())
    checks = [
        TargetCheck(f"hub: {NOTEBOOK.name} finished without an error output, of {users} students "
                    "at once", finished, users, "notebooks", higher_is_better=True),
        TargetCheck("hub: checkpoints trained into per-user caches", trained, 0, "files",
                    higher_is_better=False),
        TargetCheck("hub: peak memory of one student's kernel", kernels[-1] / gb if kernels
                    else float("nan"), PEAK_MEMORY_TARGET_GB, "GB", higher_is_better=False)]
    own_env = sum(r.env.get("JUPYTERHUB_USER") == r.user and bool(r.env.get("GENLIB_SHARED_CACHE"))
                  and r.env.get("GENLIB_CACHE") == "~/.cache/genlib" for r in runs)
    summary = [
        ["machine", f"{os.cpu_count()} vCPU, {psutil.virtual_memory().total / 2**30:.0f} GiB "
                    "memory, shared with other jobs (load average in the line above)"],
        ["kernels whose parent is their user's single-user server, a child of the hub",
         f"{sum(r.under_hub for r in runs)}/{users}"],
        ["kernels with the hub's environment (their JUPYTERHUB_USER, GENLIB_SHARED_CACHE, "
         "GENLIB_CACHE)", f"{own_env}/{users}"],
        ["files in per-user caches after the run", str(sum(map(len, own.values())))],
        ["shared cache unchanged (every file's size, mtime, mode)",
         "yes" if before == snapshot(shared) else "**no**"],
        ["wall time (s): teacher's pretrain (quick mode; loads what is there), hub start, all "
         "servers started, the notebook in every kernel at once",
         ", ".join(fmt(t) for t in (pretrain_s, up_s, spawn_s, notebooks_s))],
        ["peak of summed RSS; of summed PSS (shared pages split), servers + kernels",
         f"{fmt(memory.peak_rss / gb)} GB; {fmt(memory.peak_pss / gb)} GB"],
        ["peak RSS (VmHWM) of one kernel",
         f"{fmt(kernels[0] / gb)} to {fmt(kernels[-1] / gb)} GB" if kernels else "not measured"]]
    rows = [[r.user, fmt(r.spawn_s), fmt(r.notebook_s), r.cells, r.loaded_from_shared,
             len(own[r.user]), "yes" if r.finished else "; ".join(r.errors)[:200] or "no"]
            for r in runs]
    env = {k: v for k, v in (runs[0].env if runs else {}).items() if k != "pid"}
    text = [
        f"{users} students on one JupyterHub (`jupyterhub` {_output([str(VENV_BIN / 'jupyterhub'), '--version'])}, "
        f"configurable-http-proxy {_output([proxy, '--version'])} (node), DummyAuthenticator, "
        f"SimpleLocalProcessSpawner, loopback) run `{NOTEBOOK.name}` at the same time, each in a "
        "kernel its own single-user server started (via the servers' kernels API and "
        "websocket). The shared cache was filled beforehand by `GENLIB_QUICK=1 python -m "
        f"genlib.zoo`; read-only during the run: {read_only_by}. Every kernel's environment, as "
        f"the hub's spawner set it (student1's): `{json.dumps(env)}`.", "",
        markdown_table(["figure", "value"], summary), "",
        markdown_table(["student", "server start (s)", "notebook (s)", "cells",
                        "models loaded from the shared cache", "files in own cache",
                        "finished"], rows), "",
        "Re-run: `.venv/bin/pip install -e '.[hub]'`, then `.venv/bin/python tools/hub_check.py` "
        "(`--users N`, `--fresh-cache`)."]
    return Section("A class on one server: JupyterHub with a shared read-only cache",
                   "\n".join(text), checks)


def _stop_hub(hub_proc: subprocess.Popen, started: dict) -> None:
    """SIGTERM the hub (it stops the proxy and the servers it started), then SIGKILL what is left
    of its process group and of the servers and kernels seen under it (``started``: pid ->
    creation time, so that a reused pid is never hit)."""
    import psutil

    if hub_proc.poll() is None:
        hub_proc.send_signal(signal.SIGTERM)
        try:
            hub_proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(hub_proc.pid, signal.SIGKILL)  # the group this script started
    except ProcessLookupError:
        pass
    for pid, created in started.items():
        try:
            proc = psutil.Process(pid)
            if proc.create_time() == created:
                proc.kill()
        except psutil.Error:
            pass


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True,
                              timeout=30).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python tools/hub_check.py", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--proxy", default=None, help="the configurable-http-proxy command")
    parser.add_argument("--fresh-cache", action="store_true",
                        help="empty the shared cache first (the teacher trains every model)")
    parser.add_argument("--output", type=Path, default=None, help="default bench/RESULTS.md")
    args = parser.parse_args(argv)
    start, load = time.monotonic(), os.getloadavg()
    section = run_class(args.users, args.proxy, args.fresh_cache)
    command = " ".join(["python tools/hub_check.py"] + (argv if argv is not None else sys.argv[1:]))
    write_part("hub", [section], provenance(command, load, time.monotonic() - start),
               *([args.output] if args.output else []))


if __name__ == "__main__":
    main()
