"""A class on one server: a real JupyterHub, N students, one read-only shared cache.

``python -m bench.hub [--users N] [--fresh-cache]`` (needs ``pip install -e '.[hub]'`` and
``configurable-http-proxy``: on the PATH, ``--proxy``, or installed here with npm under
``bench/artifacts/node``) writes part ``hub`` of bench/RESULTS.md:

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
import asyncio
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from . import Section, TargetCheck, fmt, markdown_table, write_part
from .notebooks import PEAK_MEMORY_TARGET_GB, peak_rss_bytes

WORK = Path(tempfile.gettempdir()) / "genlib-bench-hub"  # outside the tree: configs, homes, cache
NODE_PREFIX = Path(__file__).resolve().parent / "artifacts" / "node"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_dcgan_images.ipynb"
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
    """``given``, the PATH's ``configurable-http-proxy``, or bench's npm folder's (installed)."""
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
               PYTHONPATH=str(NOTEBOOK.parents[1]))
    env.pop("GENLIB_SHARED_CACHE", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "genlib.zoo"], cwd=NOTEBOOK.parents[1], env=env,
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
    return f"""# written by bench/hub.py
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
    """The REST and websocket calls of the run, over the proxy on loopback."""

    def __init__(self, port: int, token: str, hub_pid: int):
        from tornado.httpclient import AsyncHTTPClient

        self.hub_pid = hub_pid
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"token {token}"}
        self.http = AsyncHTTPClient(max_clients=64)

    async def call(self, method: str, path: str, body=None, ok=(200, 201, 202, 204),
                   timeout: float = 60):
        from tornado.httpclient import HTTPClientError

        try:
            reply = await self.http.fetch(
                self.base + path, method=method, headers=self.headers,
                body=None if body is None and method == "GET" else json.dumps(body or {}),
                request_timeout=timeout, allow_nonstandard_methods=True)
        except HTTPClientError as exc:
            if exc.code in ok:
                return None
            text = exc.response.body.decode()[:500] if exc.response else ""
            raise RuntimeError(f"{method} {path}: {exc.code} {text}") from exc
        return json.loads(reply.body) if reply.body else None

    async def wait_up(self, timeout: float) -> float:
        start = time.monotonic()
        while True:
            try:
                await self.call("GET", "/hub/api/", timeout=5)
                return time.monotonic() - start
            except Exception:
                if time.monotonic() > start + timeout:
                    raise
                await asyncio.sleep(0.5)

    async def spawn(self, run: StudentRun, timeout: float) -> None:
        start = time.perf_counter()
        await self.call("POST", f"/hub/api/users/{run.user}/server", body={})
        while not ((await self.call("GET", f"/hub/api/users/{run.user}")).get("servers") or {}) \
                .get("", {}).get("ready"):
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{run.user}'s server not ready after {timeout:.0f} s")
            await asyncio.sleep(0.5)
        run.spawn_s = time.perf_counter() - start

    async def run_notebook(self, run: StudentRun, cells: list[str], cell_timeout: float) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        start = time.perf_counter()
        kernel = await self.call("POST", f"/user/{run.user}/api/kernels", body={"name": "python3"})
        url = (self.base.replace("http", "ws", 1)
               + f"/user/{run.user}/api/kernels/{kernel['id']}/channels")
        ws = await websocket_connect(HTTPRequest(url, headers=self.headers),
                                     max_message_size=256 * 2**20)
        session = uuid.uuid4().hex
        try:
            for index, code in enumerate([ENV_PROBE] + cells):
                await self._execute(ws, session, run, code, index, cell_timeout)
                run.cells += index > 0
                if index == 0:
                    run.under_hub = under_hub(run.env.get("pid"), self.hub_pid)
                if run.errors:
                    break
        finally:
            ws.close()
            await self.call("DELETE", f"/user/{run.user}/api/kernels/{kernel['id']}")
        run.notebook_s = time.perf_counter() - start
        run.finished = not run.errors and run.cells == len(cells)

    async def _execute(self, ws, session, run: StudentRun, code: str, index: int,
                       timeout: float) -> None:
        msg_id = uuid.uuid4().hex
        await ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": run.user, "session": session,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        replied = idle = False
        end = time.monotonic() + timeout
        while not (replied and idle):
            if time.monotonic() >= end:
                return run.errors.append(f"cell {index}: no reply after {timeout:.0f} s")
            raw = await asyncio.wait_for(ws.read_message(), end - time.monotonic())
            if raw is None:
                return run.errors.append(f"cell {index}: the kernel's websocket closed")
            msg = {} if isinstance(raw, bytes) else json.loads(raw)
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


async def _drive(hub: Hub, runs: list[StudentRun], cells: list[str],
                 cell_timeout: float) -> tuple[float, float, float]:
    up_s = await hub.wait_up(120)
    print(f"[hub] up in {up_s:.1f} s; starting {len(runs)} servers", file=sys.stderr, flush=True)
    await hub.call("POST", "/hub/api/users", body={"usernames": [r.user for r in runs]},
                   ok=(200, 201, 409))
    start = time.perf_counter()
    await asyncio.gather(*(hub.spawn(r, 300) for r in runs))
    spawned = time.perf_counter()
    results = await asyncio.gather(*(hub.run_notebook(r, cells, cell_timeout) for r in runs),
                                   return_exceptions=True)
    for run, result in zip(runs, results):
        if isinstance(result, BaseException):
            run.errors.append(f"driver: {type(result).__name__}: {str(result)[:200]}")
    done = time.perf_counter()
    await asyncio.gather(*(hub.call("DELETE", f"/hub/api/users/{r.user}/server")
                           for r in runs), return_exceptions=True)
    return up_s, spawned - start, done - spawned


def run_hub(users: int, proxy: str | None = None, fresh_cache: bool = False,
            cell_timeout: float = 300) -> SimpleNamespace:
    """Prepare the shared cache, start the hub, run the notebook for ``users`` students at once."""
    import nbformat
    import psutil  # noqa: F401  (fail early: the memory figures need it)

    begin = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    proxy = find_proxy(proxy)
    shared, home = WORK / "shared", WORK / "home"
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
    token = secrets.token_hex(32)
    config = WORK / "jupyterhub_config.py"
    config.touch(mode=0o600)
    os.chmod(config, 0o600)  # it holds the service token
    port = free_port()
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
            up_s, spawn_s, notebooks_s = asyncio.run(
                _drive(Hub(port, token, hub_proc.pid), runs, cells, cell_timeout))
        finally:
            memory.stopped.set()
            _stop_hub(hub_proc, memory.seen)
    caches = {r.user: home / r.user / ".cache" / "genlib" for r in runs}
    new_files = {user: sorted(p.relative_to(c).as_posix() for p in c.rglob("*") if p.is_file())
                 if c.exists() else [] for user, c in caches.items()}
    return SimpleNamespace(
        users=users, runs=runs, pretrain_s=pretrain_s, hub_start_s=up_s, spawn_all_s=spawn_s,
        notebooks_all_s=notebooks_s, total_s=time.perf_counter() - begin, memory=memory,
        new_files=new_files, shared_unchanged=before == snapshot(shared),
        read_only_by=read_only_by, proxy=proxy, finished=sum(r.finished for r in runs),
        new_checkpoints=sum(f.endswith(".pt") for files in new_files.values() for f in files),
        hub_log_tail="\n".join((WORK / "hub.log").read_text().splitlines()[-30:]))


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


def section(result: SimpleNamespace) -> Section:
    """The RESULTS.md section of a run."""
    import psutil

    gb, n = 1e9, result.users
    kernels = sorted(result.memory.kernel_hwm.values())
    checks = [
        TargetCheck(f"hub: {NOTEBOOK.name} finished without an error output, of {n} students at "
                    "once", result.finished, n, "notebooks", higher_is_better=True),
        TargetCheck("hub: checkpoints trained into per-user caches", result.new_checkpoints, 0,
                    "files", higher_is_better=False),
        TargetCheck("hub: peak memory of one student's kernel", kernels[-1] / gb if kernels
                    else float("nan"), PEAK_MEMORY_TARGET_GB, "GB", higher_is_better=False)]
    env = result.runs[0].env if result.runs else {}
    own_env = sum(r.env.get("JUPYTERHUB_USER") == r.user and bool(r.env.get("GENLIB_SHARED_CACHE"))
                  and r.env.get("GENLIB_CACHE") == "~/.cache/genlib" for r in result.runs)
    summary = [
        ["machine", f"{os.cpu_count()} vCPU, {psutil.virtual_memory().total / 2**30:.0f} GiB "
                    "memory, shared with other jobs (load average in the line above)"],
        ["students (hub users, one server and one kernel each)", str(n)],
        ["kernels whose parent is their user's single-user server, a child of the hub",
         f"{sum(r.under_hub for r in result.runs)}/{n}"],
        ["kernels with the hub's environment (their JUPYTERHUB_USER, GENLIB_SHARED_CACHE, "
         "GENLIB_CACHE)", f"{own_env}/{n}"],
        ["notebooks finished, no error output", f"{result.finished}/{n}"],
        ["trained (new checkpoint files in per-user caches)", str(result.new_checkpoints)],
        ["files in per-user caches after the run", str(sum(map(len, result.new_files.values())))],
        ["shared cache unchanged (every file's size, mtime, mode)",
         "yes" if result.shared_unchanged else "**no**"],
        ["wall time: hub start; all servers started through the hub API",
         f"{fmt(result.hub_start_s)} s; {fmt(result.spawn_all_s)} s"],
        ["wall time: the notebook in every kernel at once (kernel start to last cell)",
         f"{fmt(result.notebooks_all_s)} s"],
        ["wall time: whole run (pretrain check, hub, spawns, notebooks, shutdown)",
         f"{fmt(result.total_s)} s"],
        ["teacher's pretrain into the shared cache (quick mode; loads only if already there)",
         f"{fmt(result.pretrain_s)} s"],
        ["peak of summed RSS, servers + kernels (sampled every 0.5 s)",
         f"{fmt(result.memory.peak_rss / gb)} GB"],
        ["peak of summed PSS, servers + kernels (shared pages split; every 5 s)",
         f"{fmt(result.memory.peak_pss / gb)} GB"],
        ["peak RSS (VmHWM) of one kernel",
         f"{fmt(kernels[0] / gb)} to {fmt(kernels[-1] / gb)} GB" if kernels else "not measured"],
        ["processes counted at the peak", str(result.memory.peak_processes)]]
    rows = [[r.user, fmt(r.spawn_s), fmt(r.notebook_s), r.cells, r.loaded_from_shared,
             len(result.new_files[r.user]), "yes" if r.finished else "; ".join(r.errors)[:200]
             or "no"] for r in result.runs]
    versions = [_output([str(VENV_BIN / "jupyterhub"), "--version"]), _output([result.proxy, "--version"])]
    text = [
        f"{n} students on one JupyterHub (`jupyterhub` {versions[0]}, configurable-http-proxy "
        f"{versions[1]} (node), DummyAuthenticator, SimpleLocalProcessSpawner, loopback) run "
        f"`{NOTEBOOK.name}` at the same time, each in a kernel its own single-user server started "
        "(via the servers' kernels API and websocket). The shared cache was filled beforehand by "
        "`GENLIB_QUICK=1 python -m genlib.zoo`; read-only during the run: "
        f"{result.read_only_by}. Every kernel's environment, as the hub's spawner set it "
        f"(student1's): `{json.dumps({k: v for k, v in env.items() if k != 'pid'})}`.", "",
        markdown_table(["figure", "value"], summary), "",
        markdown_table(["student", "server start (s)", "notebook (s)", "cells",
                        "models loaded from the shared cache", "files in own cache",
                        "finished"], rows), "",
        "Re-run: `.venv/bin/pip install -e '.[hub]'`, then `.venv/bin/python -m bench.hub` "
        "(`--users N`, `--fresh-cache`)."]
    return Section("A class on one server: JupyterHub with a shared read-only cache",
                   "\n".join(text), checks)


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True,
                              timeout=30).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hub", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--proxy", default=None, help="the configurable-http-proxy command")
    parser.add_argument("--fresh-cache", action="store_true",
                        help="empty the shared cache first (the teacher trains every model)")
    parser.add_argument("--output", type=Path, default=None, help="default bench/RESULTS.md")
    args = parser.parse_args(argv)
    start, load = time.monotonic(), os.getloadavg()
    result = run_hub(args.users, args.proxy, args.fresh_cache)
    print(json.dumps({"finished": f"{result.finished}/{args.users}",
                      "new_checkpoints": result.new_checkpoints,
                      "shared_unchanged": result.shared_unchanged,
                      "errors": {r.user: r.errors for r in result.runs if r.errors}}),
          file=sys.stderr, flush=True)
    if result.finished < args.users:
        print(f"[hub] hub log tail:\n{result.hub_log_tail}", file=sys.stderr)
    command = " ".join(["python -m bench.hub"] + (argv if argv is not None else sys.argv[1:]))
    write_part("hub", [section(result)], command, load, time.monotonic() - start,
               *([args.output] if args.output else []))


if __name__ == "__main__":
    main()
