"""A class's shared cache: checkpoints a teacher trained into a read-only folder load for every
student without writing anything; a miss, or a shared file that does not fit, trains in the
student's own ``GENLIB_CACHE`` and leaves the shared folder as it was.

The teacher is another process. Where the tests run as root (chmod stops nothing for root),
the student process is the user ``nobody`` if that user can run this Python, else root without
the capabilities that override file permissions (``setpriv``), so the read-only folder's
permissions are really enforced; the in-process loads also replace every writing call by one
that fails the test, and every test compares the shared folder's files before and after.
"""
import builtins
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from genlib import config, zoo
from genlib.training import CheckpointMismatchError, History, load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TEACHER = """
import os
os.umask(0o022)
from genlib import zoo
models, history = zoo.toy_gan(steps=3)
assert not history.from_cache
"""
STUDENT = """
import json, os, sys
from pathlib import Path
from genlib import config, zoo
shared = Path(os.environ["GENLIB_SHARED_CACHE"]) / "checkpoints"
probe = shared / "probe"
try:
    probe.write_text("x")
    writable = True
    probe.unlink()
except OSError:
    writable = False
models, history = zoo.toy_gan(steps=3)
print(json.dumps({"uid": os.getuid(), "shared_writable": writable,
                  "from_cache": history.from_cache}))
"""


def another_user() -> tuple[list[str], dict, str]:
    """How to run the student: a command prefix, ``subprocess.run`` arguments, and who it is."""
    if not IS_ROOT:
        return [], {}, "this user (not root: the folder's 0555 mode applies)"
    try:
        runs = subprocess.run([sys.executable, "-c", "pass"], user=NOBODY, group=NOBODY,
                              cwd="/", capture_output=True).returncode == 0
    except OSError:  # e.g. the interpreter lives under /root
        runs = False
    if runs:
        return [], {"user": NOBODY, "group": NOBODY, "extra_groups": []}, "nobody"
    if shutil.which("setpriv"):
        return (["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"], {},
                "root without CAP_DAC_OVERRIDE (nobody cannot run this Python)")
    return [], {}, "root (permissions not enforced; only the file comparison checks)"


def subprocess_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLIB_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", GENLIB_QUICK="1",
               OMP_NUM_THREADS="1", **extra)
    return env


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its size, mtime and mode: what a write would change."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns,
                                               stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*"))}


def make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)


def make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


@pytest.fixture(scope="module")
def teacher_cache():
    """A cache another process trained ``toy_gan(steps=3)`` into (quick mode), then made
    read-only (folders 0555, files 0444). It lives in a world-readable temporary folder so that
    another user can read it."""
    top = Path(tempfile.mkdtemp(prefix="genlib-shared-"))
    os.chmod(top, 0o755)
    shared = top / "shared"
    done = subprocess.run([sys.executable, "-c", TEACHER], cwd=top, capture_output=True,
                          text=True, timeout=300, env=subprocess_env(GENLIB_CACHE=str(shared)))
    assert done.returncode == 0, done.stderr[-3000:]
    files = list((shared / "checkpoints").glob("toy_gan-*.pt"))
    assert len(files) == 1
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    make_read_only(shared)
    yield shared, files[0], modes
    make_writable(top)
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def student(tmp_path, monkeypatch, teacher_cache):
    """This process as a student: the teacher's folder shared, an own cache not yet made."""
    shared, _, _ = teacher_cache
    own = tmp_path / "own"
    monkeypatch.setenv("GENLIB_QUICK", "1")
    monkeypatch.setenv("GENLIB_CACHE", str(own))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(shared))
    return shared, own


def forbid_writes(monkeypatch):
    """Make every call that could write a file or folder fail the test."""
    real_open = builtins.open

    def refuse(*args, **kwargs):
        raise AssertionError(f"a load tried to write: {args[:1]}")

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(m in mode for m in "wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    for name in ("replace", "rename", "remove", "unlink", "mkdir", "makedirs", "chmod"):
        monkeypatch.setattr(os, name, refuse)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(torch, "save", refuse)


def test_the_teacher_writes_checkpoints_readable_by_everyone_as_the_umask_allows(teacher_cache):
    _, path, modes = teacher_cache
    assert modes == {path.name: 0o644}  # umask 022 in the teacher's process


@pytest.mark.parametrize("umask, mode", [(0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoint_modes_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = save_checkpoint(tmp_path / "m.pt", {"net": torch.nn.Linear(2, 1)}, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_shared_checkpoint_loads_without_training_or_writing(student, monkeypatch, capsys):
    shared, own = student
    before = snapshot(shared)
    forbid_writes(monkeypatch)
    monkeypatch.setattr("genlib.zoo.gan.train", lambda *a, **k: pytest.fail("it trained"))
    models, history = zoo.toy_gan(steps=3)
    assert history.from_cache and history.config["steps"] == 3
    assert "loaded from the shared cache" in capsys.readouterr().out
    assert not own.exists()              # not even the own cache folder was made
    assert snapshot(shared) == before     # nothing changed, no lock file added


def test_another_user_loads_the_read_only_cache(teacher_cache, tmp_path):
    """The student is another process; as root it is the user nobody, for whom the teacher's
    0555 folder really is read-only. It must load, not train, and write nothing there."""
    shared, _, _ = teacher_cache
    own, home = Path(tempfile.mkdtemp(prefix="genlib-own-")), Path(tempfile.mkdtemp())
    prefix, kwargs, who = another_user()
    try:
        if kwargs.get("user") == NOBODY:
            for folder in (own, home):
                os.chown(folder, NOBODY, NOBODY)
        before = snapshot(shared)
        done = subprocess.run(
            prefix + [sys.executable, "-c", STUDENT], cwd=home, capture_output=True, text=True,
            timeout=300, **kwargs,
            env=subprocess_env(GENLIB_CACHE=str(own), GENLIB_SHARED_CACHE=str(shared),
                               HOME=str(home), MPLCONFIGDIR=str(home)))
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"student: {who}; shared folder writable for it: {report['shared_writable']}")
        if not who.startswith("root (permissions not enforced"):
            assert not report["shared_writable"], f"{who} could write into the 0555 folder"
        assert report["from_cache"] and "loaded from the shared cache" in done.stdout
        assert snapshot(shared) == before
        assert not list(own.rglob("*"))   # the student's own cache stays empty
    finally:
        shutil.rmtree(own, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_a_miss_trains_into_the_own_cache_only(student):
    shared, own = student
    before = snapshot(shared)
    _, history = zoo.toy_gan(steps=4)     # not in the shared cache
    assert not history.from_cache
    assert len(list((own / "checkpoints").glob("toy_gan-*.pt"))) == 1
    assert snapshot(shared) == before
    _, again = zoo.toy_gan(steps=4)       # now from the own cache
    assert again.from_cache


def test_retrain_ignores_the_shared_cache_and_trains_into_the_own(student):
    shared, own = student
    before = snapshot(shared)
    _, history = zoo.toy_gan(steps=3, retrain=True)
    assert not history.from_cache
    assert len(list((own / "checkpoints").glob("toy_gan-*.pt"))) == 1
    assert snapshot(shared) == before


# A stand-in recipe with two models, "trained" by filling their weights.
def regression_step(net, opt, x, rng):
    loss = net(x).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


def two_linear(calls, width=3, seen=None):
    built = {"a": torch.nn.Linear(2, 1), "b": torch.nn.Linear(width, 1)}
    initial = {k: m.weight.detach().clone() for k, m in built.items()}

    def fit(models):
        calls.append(1)
        if seen is not None:  # what training starts from: build()'s weights, nothing loaded
            seen.append(all(torch.equal(models[k].weight, initial[k]) for k in models))
        with torch.no_grad():
            for m in models.values():
                m.weight.fill_(0.25)
        h = History("t"); h.log(0, loss=0.0)
        return h
    return zoo.cached("_test_two", {"width": width}, regression_step, {}, lambda: built, fit)


def checkpoint_name(tmp_path, monkeypatch, width=3) -> str:
    """The file name ``two_linear(width)`` saves to, found by training it in a scratch cache."""
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "scratch"))
    monkeypatch.delenv("GENLIB_SHARED_CACHE", raising=False)
    two_linear([], width)
    (path,) = (tmp_path / "scratch" / "checkpoints").glob("_test_two-*.pt")
    return path.name


BAD_FILES = {
    "corrupt": (lambda path: path.write_bytes(b"not a checkpoint"), "cannot be read"),
    "another configuration": (
        lambda path: save_checkpoint(path, {"a": torch.nn.Linear(2, 1),
                                            "b": torch.nn.Linear(3, 1)}, {"width": 99}),
        "another configuration"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_shared_checkpoint_that_does_not_fit_is_ignored_and_left_alone(tmp_path, monkeypatch,
                                                                          capsys, kind):
    name = checkpoint_name(tmp_path, monkeypatch)
    write, reason = BAD_FILES[kind]
    shared, own = tmp_path / "shared", tmp_path / "own"
    (shared / "checkpoints").mkdir(parents=True)
    write(shared / "checkpoints" / name)
    make_read_only(shared)
    before = snapshot(shared)
    monkeypatch.setenv("GENLIB_CACHE", str(own))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(shared))
    capsys.readouterr()
    calls = []
    try:
        models, history = two_linear(calls)
    finally:
        after = snapshot(shared)
        make_writable(shared)
    out = capsys.readouterr().out.replace(str(tmp_path), "<tmp>")
    assert calls == [1] and not history.from_cache
    assert f"ignored <tmp>/shared/checkpoints/{name} in the shared cache" in out
    assert reason in out and "your own cache" in out and "delete" not in out.lower()
    assert (own / "checkpoints" / name).exists() and after == before
    assert two_linear(calls)[1].from_cache and calls == [1]   # the own copy loads next time


def test_a_partly_loaded_shared_checkpoint_does_not_leak_into_training(tmp_path, monkeypatch,
                                                                       capsys):
    """Model a fits the shared file, model b does not: training starts from build()'s weights."""
    name = checkpoint_name(tmp_path, monkeypatch, width=4)
    shared = tmp_path / "shared"
    wrong = {"a": torch.nn.Linear(2, 1), "b": torch.nn.Linear(3, 1)}  # b: another architecture
    scratch = tmp_path / "scratch" / "checkpoints" / name
    saved = torch.load(scratch, weights_only=True)
    save_checkpoint(shared / "checkpoints" / name, wrong, saved["config"])
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "own"))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(shared))
    calls, seen = [], []
    two_linear(calls, width=4, seen=seen)
    out = capsys.readouterr().out.replace(str(tmp_path), "<tmp>")
    assert calls == [1] and seen == [True]
    assert "does not fit Linear 'b'" in out and "delete" not in out.lower()


def test_search_order_shared_folders_in_order_then_the_own_cache(tmp_path, monkeypatch, capsys):
    name = checkpoint_name(tmp_path, monkeypatch)
    good = torch.load(tmp_path / "scratch" / "checkpoints" / name, weights_only=True)
    first, second, own = tmp_path / "first", tmp_path / "second", tmp_path / "own"
    for folder, fill in ((first, None), (second, 0.5), (own, 0.75)):
        (folder / "checkpoints").mkdir(parents=True)
        if fill is not None:
            models = {"a": torch.nn.Linear(2, 1), "b": torch.nn.Linear(3, 1)}
            for m in models.values():
                torch.nn.init.constant_(m.weight, fill)
            save_checkpoint(folder / "checkpoints" / name, models, good["config"])
    monkeypatch.setenv("GENLIB_CACHE", str(own))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", os.pathsep.join([str(first), "", str(second)]))
    assert config.shared_checkpoint_dirs() == [first / "checkpoints", second / "checkpoints"]
    capsys.readouterr()
    calls = []
    models, history = two_linear(calls)
    assert calls == [] and history.from_cache and torch.all(models["a"].weight == 0.5)
    assert f"loaded from the shared cache {second / 'checkpoints' / name}" in capsys.readouterr().out
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(first))   # not in any shared one: the own
    models, _ = two_linear(calls)
    assert calls == [] and torch.all(models["a"].weight == 0.75)


def test_the_own_cache_is_never_counted_as_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "own"))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", os.pathsep.join(
        [str(tmp_path / "own"), str(tmp_path / "shared"), str(tmp_path / "shared")]))
    assert config.shared_cache_roots()[0] == tmp_path / "own"
    assert config.shared_checkpoint_dirs() == [tmp_path / "shared" / "checkpoints"]
    monkeypatch.delenv("GENLIB_SHARED_CACHE")
    assert config.shared_checkpoint_dirs() == []


def test_no_message_asks_to_delete_a_shared_checkpoint(tmp_path, monkeypatch):
    shared = tmp_path / "shared" / "checkpoints"
    shared.mkdir(parents=True)
    bad = shared / "bad.pt"
    bad.write_bytes(b"garbage")
    save_checkpoint(shared / "lin.pt", {"net": torch.nn.Linear(4, 2)}, {})
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "own"))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(tmp_path / "shared"))
    for path, models in ((bad, {"net": torch.nn.Linear(1, 1)}),
                         (shared / "lin.pt", {"net": torch.nn.Linear(5, 2)}),
                         (shared / "lin.pt", {"other": torch.nn.Linear(4, 2)})):
        with pytest.raises(CheckpointMismatchError) as caught:
            load_checkpoint(path, models)
        message = str(caught.value).replace(str(tmp_path), "<tmp>")
        assert "delete" not in message.lower() and "leave it there" in message
    own = tmp_path / "own" / "checkpoints"
    own.mkdir(parents=True)
    (own / "bad.pt").write_bytes(b"garbage")       # the user's own file: theirs to delete
    with pytest.raises(CheckpointMismatchError, match="delete it"):
        load_checkpoint(own / "bad.pt", {"net": torch.nn.Linear(1, 1)})
