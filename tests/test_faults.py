"""Faults a class meets, each answered by a clear error, a warning or a right result (issue 31).

Every case is one attempt to break genlib: a checkpoint another user could have planted in the
user's own cache, a mistyped or relative cache path, a home folder that cannot be found, a full
disk during a save, a kernel waiting for a paused or stuck training, data of the wrong kind or
range, a step logging something that is not one number, a seed torch cannot take, weights broken
by the very last update, the diffusion pieces given half-precision or integer schedules, NumPy
steps, wrong starting noise, denoisers that are functions or predict NaN, metrics given too few
samples or images outside [0, 1], and Python run with -O.

A failing case says which kind of failure it found: ``SILENT`` (no error, a wrong or meaningless
result), ``CRASH`` (an error of another type, or one that does not name the problem), ``HANG``
(a wait without end, cut by a timeout) or ``LOST`` (work thrown away). Processes that must be
other users drop root's privileges with ``setpriv``; everything else runs in this process with
a private cache and tiny models.
"""
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from genlib import config, zoo
from genlib.metrics import (classifier_features, classifier_probabilities, frechet_distance,
                            fixed_binarization, image_sharpness, sample_scores)
from genlib.models.classifier import SmallClassifier
from genlib.models.denoiser import ConvDenoiser, MLPDenoiser
from genlib.sampling import ddim_sample, ddpm_sample
from genlib.objectives.diffusion import (NoiseSchedule, cosine_betas, elbo_weights,
                                         linear_betas, predict_x0, q_posterior, q_sample, q_step)
from genlib.training import adam, train

ROOT = Path(__file__).resolve().parents[1]
OTHER_UID = 1234
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = ["setpriv", "--reuid", str(OTHER_UID), "--regid", str(OTHER_UID), "--clear-groups",
           "--inh-caps=-all", "--bounding-set", "-dac_override,-dac_read_search"]
as_root = pytest.mark.skipif(not IS_ROOT, reason="needs root to act as another user")
as_other_user = pytest.mark.skipif(not IS_ROOT or not shutil.which("setpriv"),
                                   reason="needs root and setpriv to act as another user")


# -- how an attempt is judged ----------------------------------------------------------------

def _short(value) -> str:
    text = f"{type(value).__name__} {value!r}"
    return text if len(text) < 160 else text[:160] + "..."


def expect_error(call, error, pattern):
    """``call()`` raises ``error`` whose message matches ``pattern``."""
    try:
        result = call()
    except error as exc:
        if not re.search(pattern, str(exc)):
            pytest.fail(f"CRASH: {type(exc).__name__} does not say {pattern!r}: {exc}"[:400])
        return exc
    except Exception as exc:  # noqa: BLE001 -- any other error is the finding
        pytest.fail(f"CRASH: {type(exc).__name__}: {exc}"[:400])
    pytest.fail(f"SILENT: no error; returned {_short(result)}")


def expect_result(call, is_right):
    """``call()`` returns a result for which ``is_right(result)`` holds."""
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"CRASH: {type(exc).__name__}: {exc}"[:400])
    if not is_right(result):
        pytest.fail(f"SILENT: a wrong or non-finite result: {_short(result)}")
    return result


def expect_warning(call, pattern, is_right=lambda result: True):
    """``call()`` warns with a message matching ``pattern`` (and returns a right result)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = expect_result(call, is_right)
    messages = [str(w.message) for w in caught]
    if not any(re.search(pattern, m) for m in messages):
        pytest.fail(f"SILENT: no warning matching {pattern!r} (warnings: {messages})"[:400])
    return messages


def finite(result) -> bool:
    tensor = result.samples if hasattr(result, "samples") else result
    return bool(torch.isfinite(torch.as_tensor(tensor)).all())


def python(code: str, timeout: float, prefix=(), options=(), **env):
    """Run ``code`` in a fresh Python (this checkout's genlib, quick mode); a timeout is a HANG."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GENLIB_")}
    environment.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", GENLIB_QUICK="1",
                       GENLIB_DEVICE="cpu", OMP_NUM_THREADS="1", **env)
    try:
        return subprocess.run([*prefix, sys.executable, *options, "-c", code], env=environment,
                              capture_output=True, text=True, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"HANG: still running after {timeout} s: {(exc.stdout or b'')[-300:]!r}")


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A private cache, quick mode, the CPU, no shared cache and no other genlib setting."""
    for name in [n for n in os.environ if n.startswith("GENLIB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENLIB_QUICK", "1")
    monkeypatch.setenv("GENLIB_DEVICE", "cpu")
    monkeypatch.setenv("GENLIB_DATASET", "digits")
    return tmp_path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A toy GAN checkpoint trained once (3 steps, quick mode), to copy into caches."""
    folder = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("GENLIB_")]:
            mp.delenv(name)
        mp.setenv("GENLIB_CACHE", str(folder))
        mp.setenv("GENLIB_QUICK", "1")
        mp.setenv("GENLIB_DEVICE", "cpu")
        zoo.toy_gan(steps=3)
    (path,) = (folder / "checkpoints").glob("*.pt")
    return path


def own_copy(trained: Path) -> Path:
    """The trained checkpoint copied into this test's own cache."""
    folder = config.checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(trained, folder / trained.name))


def load_toy_gan():
    return zoo.toy_gan(steps=3)


def loaded(result) -> bool:
    return result[1].from_cache


# -- 1. nothing foreign is loaded from the user's own cache ------------------------------------

@as_root
@pytest.mark.parametrize("what, change, says", [
    ("file owned by another user", lambda f: os.chown(f, OTHER_UID, OTHER_UID),
     rf"belongs to user {OTHER_UID}.*(rm|delete)"),
    ("file writable by everyone", lambda f: os.chmod(f, 0o666), r"written by every user.*delete"),
    ("checkpoints/ writable by everyone", lambda f: os.chmod(f.parent, 0o777),
     r"written by every user.*chmod o-w"),
    ("checkpoints/ owned by another user", lambda f: os.chown(f.parent, OTHER_UID, OTHER_UID),
     rf"belongs to user {OTHER_UID}"),
    ("cache folder writable by everyone", lambda f: os.chmod(f.parents[1], 0o777),
     r"written by every user.*GENLIB_CACHE"),
    ("cache folder owned by another user",
     lambda f: os.chown(f.parents[1], OTHER_UID, OTHER_UID), rf"belongs to user {OTHER_UID}"),
    ("file owned by another user, group-writable too",
     lambda f: (os.chown(f, OTHER_UID, 0), os.chmod(f, 0o664)), rf"belongs to user {OTHER_UID}"),
], ids=lambda value: value if isinstance(value, str) and " " in value else "")
def test_a_checkpoint_someone_else_could_have_written_is_refused(trained, what, change, says):
    path = own_copy(trained)
    change(path)
    expect_error(load_toy_gan, PermissionError, says)
    assert path.read_bytes() == trained.read_bytes(), "the refused file is left as it was"


@as_root
def test_a_symlink_to_another_users_file_is_refused(trained, tmp_path):
    foreign = Path(shutil.copy(trained, tmp_path / "elsewhere.pt"))
    os.chown(foreign, OTHER_UID, OTHER_UID)
    config.checkpoint_dir().mkdir(parents=True)
    (config.checkpoint_dir() / trained.name).symlink_to(foreign)
    expect_error(load_toy_gan, PermissionError, rf"belongs to user {OTHER_UID}")


def test_own_checkpoint_in_a_sticky_world_writable_folder_still_loads(trained):
    path = own_copy(trained)
    os.chmod(path.parent, 0o1777)  # like /tmp: others may add files, not replace this one
    expect_result(load_toy_gan, loaded)


def test_own_checkpoint_readable_by_everyone_still_loads(trained):
    os.chmod(own_copy(trained), 0o644)
    expect_result(load_toy_gan, loaded)


@as_root
def test_a_shared_cache_of_another_user_keeps_loading(trained, tmp_path, monkeypatch):
    shared = tmp_path / "class"
    (shared / "checkpoints").mkdir(parents=True)
    copy = Path(shutil.copy(trained, shared / "checkpoints" / trained.name))
    for item in (shared, shared / "checkpoints", copy):
        os.chown(item, OTHER_UID, OTHER_UID)
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(shared))
    expect_result(load_toy_gan, loaded)


def _poisoned(trained: Path) -> bytes:
    """The trained checkpoint with every weight set to 0: what a prankster would plant."""
    payload = torch.load(trained, weights_only=True)
    for state in payload["models"].values():
        for tensor in state.values():
            tensor.zero_()
    path = trained.with_suffix(".zero")
    torch.save(payload, path)
    return path.read_bytes()


PLANT = """
import os, sys
target = sys.argv[1]
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "wb") as f:
    f.write(sys.stdin.buffer.read())
print(os.stat(target).st_uid)
"""


@as_other_user
@pytest.mark.parametrize("setup", ["the student made the cache folder first",
                                   "the student made checkpoints/ in a sticky shared folder",
                                   "the teacher's folders, the student's file in them"])
def test_a_checkpoint_planted_by_another_user_is_not_loaded(trained, monkeypatch, setup):
    cache = Path(tempfile.mkdtemp(dir="/tmp", prefix="genlib-teacher-"))
    try:
        monkeypatch.setenv("GENLIB_CACHE", str(cache))
        os.chmod(cache, 0o1777)
        if setup.startswith("the student made the cache"):
            os.chown(cache, OTHER_UID, OTHER_UID)
            os.chmod(cache, 0o755)
        elif setup.startswith("the teacher"):
            (cache / "checkpoints").mkdir()
            os.chmod(cache / "checkpoints", 0o1777)
        target = cache / "checkpoints" / trained.name
        planted = subprocess.run([*SETPRIV, sys.executable, "-c", PLANT, str(target)],
                                 input=_poisoned(trained), capture_output=True, cwd="/")
        assert planted.returncode == 0, planted.stderr.decode()[-300:]
        assert target.stat().st_uid == OTHER_UID
        expect_error(load_toy_gan, PermissionError, rf"belongs to user {OTHER_UID}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


# -- 2. configuration mistakes are named once, clearly ------------------------------------------

@pytest.mark.parametrize("kind", ["missing", "file", "missing after a good one"])
def test_a_shared_cache_entry_that_is_no_folder_is_named(trained, tmp_path, monkeypatch, kind):
    bad = tmp_path / ("srv" if kind == "file" else "genlb-typo")
    if kind == "file":
        bad.write_text("not a folder")
    entries = [str(bad)]
    if kind.endswith("good one"):
        good = tmp_path / "good"
        (good / "checkpoints").mkdir(parents=True)
        shutil.copy(trained, good / "checkpoints" / trained.name)
        entries.insert(0, str(good))
    monkeypatch.setenv("GENLIB_SHARED_CACHE", os.pathsep.join(entries))
    expect_warning(load_toy_gan, re.escape(str(bad)) + r".*(does not exist|is a file)",
                   is_right=lambda result: loaded(result) == kind.endswith("good one"))


def test_a_missing_shared_cache_is_named_once(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("GENLIB_SHARED_CACHE", str(missing))

    def three_searches():
        for _ in range(3):
            config.shared_checkpoint_dirs()
    messages = expect_warning(three_searches, re.escape(str(missing)))
    assert sum(str(missing) in m for m in messages) == 1, messages


def test_a_relative_cache_is_the_same_folder_from_any_working_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLIB_CACHE", "relative-cache")
    monkeypatch.chdir(tmp_path)
    from_elsewhere = config.data_root()
    monkeypatch.chdir(ROOT / "notebooks")
    expect_result(config.data_root, lambda root: root.is_absolute() and root == from_elsewhere
                  == config.project_root() / "relative-cache")


def test_a_relative_shared_cache_is_taken_from_the_project_folder(tmp_path, monkeypatch):
    shared = tmp_path / "class"
    shared.mkdir()
    monkeypatch.setenv("GENLIB_SHARED_CACHE", os.path.relpath(shared, config.project_root()))
    monkeypatch.chdir(tmp_path)
    expect_result(config.shared_cache_roots,
                  lambda roots: [r.resolve() for r in roots] == [shared.resolve()])


@pytest.fixture
def no_home(monkeypatch):
    """No HOME and no password-file entry: the home folder cannot be found."""
    import pwd
    monkeypatch.delenv("HOME", raising=False)

    def unknown(*args):
        raise KeyError("no such user")
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    monkeypatch.setattr(pwd, "getpwnam", unknown)


@pytest.mark.parametrize("variable, value, call", [
    ("GENLIB_CACHE", "~/.cache/genlib", config.data_root),
    ("GENLIB_CACHE", "~/.cache/genlib", load_toy_gan),
    ("GENLIB_CACHE", "~nosuchstudent/cache", config.checkpoint_dir),
    ("GENLIB_SHARED_CACHE", "~/srv", config.shared_checkpoint_dirs),
])
def test_a_home_folder_that_cannot_be_found_is_named(no_home, monkeypatch, variable, value, call):
    monkeypatch.setenv(variable, value)
    expect_error(call, ValueError, rf"{variable}=.*(HOME|home)")


DISK_FULL = """
import glob, os, resource, signal
import torch
from genlib import config, zoo
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
models, history = zoo.toy_gan(steps=3)
sample = models["generator"](torch.randn(5, models["generator"].latent_dim))
left = sorted(os.path.basename(p) for p in glob.glob(str(config.checkpoint_dir() / "*")))
print("RESULT", history.finished, history.from_cache, bool(torch.isfinite(sample).all()), left)
"""


def test_a_disk_that_fills_during_a_save_keeps_the_model_and_names_the_folder(tmp_path):
    cache = tmp_path / "small-disk"
    done = python(DISK_FULL, 60, GENLIB_CACHE=str(cache))
    if done.returncode != 0:
        pytest.fail(f"CRASH: {done.stderr.strip().splitlines()[-1:]}")
    result = done.stdout.split("RESULT", 1)[-1]
    if "True False True" not in result:
        pytest.fail(f"LOST: the trained model did not come back: {done.stdout[-300:]}")
    assert str(cache / "checkpoints") in done.stdout, "the message names the folder"
    assert not [n for n in eval(result.split("True", 3)[-1]) if not n.endswith(".lock")], \
        "no partial file is left"


def test_a_failing_write_leaves_no_partial_file(monkeypatch):
    def full_disk(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)
    expect_result(load_toy_gan, lambda result: result[1].finished and not result[1].from_cache)
    assert not [p for p in config.checkpoint_dir().iterdir() if not p.name.endswith(".lock")]


# -- 3. no wait without end for another process's training --------------------------------------

HOLDER = """
import fcntl, os, sys, time
lock = open(sys.argv[1], "a")
fcntl.flock(lock, fcntl.LOCK_EX)
os.ftruncate(lock.fileno(), 0)
lock.write(sys.argv[2] if len(sys.argv) > 2 else str(os.getpid()))
lock.flush()
print("held", flush=True)
time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 120)
"""


def wait_in_a_thread(monkeypatch, capsys, bound: float, timeout: float = 25.0) -> str:
    """Call the recipe as a second kernel would, in a thread; what it printed. Still waiting
    after ``timeout`` seconds is a HANG (the thread is left behind, a daemon)."""
    import genlib.zoo.cache as cache
    for name, value in (("PAUSED_WAIT_S", 1.0), ("LOCK_WAIT_S", bound), ("REPORT_EVERY_S", 1.0)):
        monkeypatch.setattr(cache, name, value, raising=False)
    outcome = {}

    def kernel():
        try:
            outcome["result"] = load_toy_gan()
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = exc
    waiter = threading.Thread(target=kernel, daemon=True)
    waiter.start()
    waiter.join(timeout)
    printed = capsys.readouterr().out
    if waiter.is_alive():
        pytest.fail(f"HANG: still waiting after {timeout} s: {printed[-300:]!r}")
    if "error" in outcome:
        pytest.fail(f"CRASH: {type(outcome['error']).__name__}: {outcome['error']}")
    assert not outcome["result"][1].from_cache and len(outcome["result"][1]), printed[-300:]
    return printed


def hold_lock(trained: Path, cache: Path, *args):
    """A process holding the toy GAN's lock in ``cache``, as a training kernel does."""
    (cache / "checkpoints").mkdir(parents=True, exist_ok=True)
    lock = cache / "checkpoints" / f"{trained.name}.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), *args],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def release(holder):
    holder.send_signal(signal.SIGCONT)
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("case", ["paused holder", "holder that never finishes",
                                  "paused holder of an old lock without a pid"])
def test_a_kernel_waiting_for_a_stuck_training_gives_up_and_says_who(trained, case, monkeypatch,
                                                                     capsys):
    old = case.endswith("without a pid")
    holder = hold_lock(trained, config.data_root(), *(["", "120"] if old else []))
    try:
        if "paused" in case:
            os.kill(holder.pid, signal.SIGSTOP)
        printed = wait_in_a_thread(monkeypatch, capsys,
                                   bound=3.0 if old or "never" in case else 60.0)
    finally:
        release(holder)
    who = "another process" if old else f"process {holder.pid}"
    assert who in printed and "waited" in printed and "gave up" in printed, printed[-500:]
    if case == "paused holder":
        assert "paused" in printed


def test_a_kernel_waits_for_a_training_that_finishes(trained, monkeypatch, capsys):
    holder = hold_lock(trained, config.data_root(), str(os.getpid()), "2")
    try:
        printed = wait_in_a_thread(monkeypatch, capsys, bound=60.0)
    finally:
        release(holder)
    assert "gave up" not in printed


def test_the_lock_names_the_process_training(trained):
    zoo.toy_gan(steps=3)
    lock = config.checkpoint_dir() / f"{trained.name}.lock"
    expect_result(lambda: lock.read_text().strip(), lambda text: text == str(os.getpid()))


# -- 5. train and the recipes refuse what they cannot train on ---------------------------------

def image_step(net, opt, x, rng):
    loss = net(x.flatten(1).float()).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return {"loss": loss}


def train_images(data, net=None, step=image_step, **options):
    """``train`` of ``step`` on ``data``, bound as a recipe binds it: ``step(net, opt, x, rng)``,
    or ``step(net, opt, x, y, rng)`` for a pair (images, labels)."""
    net = net if net is not None else nn.Linear(16, 1)
    opt = adam(net.parameters())
    if isinstance(data, tuple):
        update = lambda xy, rng, t: step(net, opt, *xy, rng)
    else:
        update = lambda x, rng, t: step(net, opt, x, rng)
    return train(update, data, models=[net], optimizers=[opt], steps=2, batch_size=4,
                 progress=False, **options)


def pixels(dtype=torch.float32, scale=1.0, shift=0.0, shape=(8, 1, 4, 4)):
    values = torch.rand(*shape, generator=torch.Generator().manual_seed(0)) * scale + shift
    return values.to(dtype)


@pytest.mark.parametrize("what, data, net, error, says", [
    ("uint8 images 0..255", lambda: pixels(scale=255).to(torch.uint8), None, TypeError,
     r"data must hold floating-point.*255"),
    ("int64 images 0..255", lambda: pixels(scale=255).long(), None, TypeError, r"data.*int64"),
    ("bool images", lambda: pixels() > 0.5, None, TypeError, r"data.*bool"),
    ("float images 0..255", lambda: pixels(scale=255), None, ValueError,
     r"data must hold.*\[0, 1\]"),
    ("float images in [-1, 1]", lambda: pixels(scale=2, shift=-1), None, ValueError,
     r"data must hold.*\[0, 1\]"),
    ("images without a channel, 0..255", lambda: pixels(scale=255, shape=(8, 4, 4)), None,
     ValueError, r"data must hold.*\[0, 1\]"),
    ("float64 images, float32 model", lambda: pixels(torch.float64), None, TypeError,
     r"data are torch.float64.*float32"),
    ("float16 images, float32 model", lambda: pixels(torch.float16), None, TypeError,
     r"data are torch.float16"),
    ("float32 images, float64 model", lambda: pixels(), lambda: nn.Linear(16, 1).double(),
     TypeError, r"data are torch.float32.*float64"),
    ("bfloat16 images and labels, float32 model",
     lambda: (pixels(torch.bfloat16), torch.zeros(8, dtype=torch.long)), None, TypeError,
     r"data are torch.bfloat16"),
])
def test_train_refuses_data_it_cannot_train_on(what, data, net, error, says):
    labelled = what.endswith("labels, float32 model")

    def step(net, opt, x, y, rng):
        return image_step(net, opt, x, rng)
    expect_error(lambda: train_images(data(), net() if net else None,
                                      step=step if labelled else image_step), error, says)


def test_train_takes_images_with_integer_labels():
    def labelled_step(net, opt, x, y, rng):
        return image_step(net, opt, x, rng)
    expect_result(lambda: train_images((pixels(), torch.arange(8)), step=labelled_step),
                  lambda history: history.finished and len(history))


def logging(value):
    """A step that updates, then logs ``value`` (made from the loss) as 'loss'."""
    def step(net, opt, x, rng):
        out = image_step(net, opt, x, rng)
        return {"loss": value(out["loss"], x)}
    return step


@pytest.mark.parametrize("what, value, error, says", [
    ("a per-example tensor", lambda loss, x: x.flatten(1).sum(1), ValueError,
     r"'loss' as 4 values.*mean\(\)"),
    ("a string", lambda loss, x: "hello", TypeError, r"'loss' as 'hello'.*numbers"),
    ("None", lambda loss, x: None, TypeError, r"'loss' as None"),
    ("a list", lambda loss, x: [loss.item()], TypeError, r"'loss' as \["),
    ("a NumPy vector", lambda loss, x: np.ones(3), ValueError, r"'loss' as 3 values"),
    ("a dict", lambda loss, x: {"a": 1.0}, TypeError, r"'loss' as \{"),
    ("bytes", lambda loss, x: b"1.0", TypeError, r"'loss' as b'1.0'"),
    ("a 2 x 2 tensor", lambda loss, x: torch.ones(2, 2), ValueError, r"'loss' as 4 values"),
])
def test_a_step_logging_something_that_is_not_one_number_is_named(what, value, error, says):
    expect_error(lambda: train_images(pixels(), step=logging(value)), error, says)


@pytest.mark.parametrize("what, value", [
    ("a one-element vector", lambda loss, x: loss.reshape(1)),
    ("a NumPy float", lambda loss, x: np.float32(loss.item())),
    ("a 0-d NumPy array", lambda loss, x: np.array(loss.item())),
    ("a Python int", lambda loss, x: 3),
])
def test_a_step_logging_one_number_in_any_form_trains(what, value):
    expect_result(lambda: train_images(pixels(), step=logging(value)),
                  lambda history: history.finished and len(history))


SEED_CALLS = {
    "train": lambda seed: train_images(pixels(), seed=seed),
    "toy_gan": lambda seed: zoo.toy_gan(steps=3, seed=seed),
    "seed_everything": lambda seed: config.seed_everything(seed),
    "fixed_binarization": lambda seed: fixed_binarization(pixels(), seed=seed),
}


@pytest.mark.parametrize("where, seed", [  # a recipe's seed=-1 is in test_bad_inputs
    pytest.param(where, seed, id=f"{where} {label}")
    for where in SEED_CALLS for seed, label in ((2**64, "2**64"), (2**70, "2**70"), (-1, "-1"))
    if not (where == "toy_gan" and seed < 0)])
def test_a_seed_torch_cannot_take_is_named(where, seed):
    expect_error(lambda: SEED_CALLS[where](seed), ValueError, r"seed must be .*2\*\*63")


@pytest.mark.parametrize("where", ["train", "seed_everything"])
def test_a_numpy_integer_seed_works(where):
    expect_result(lambda: SEED_CALLS[where](np.int64(3)), lambda result: result is not None)


def updates_of(opt):
    """How many updates ``opt`` (Adam) has made."""
    return int(next(iter(opt.state.values()))["step"])


def breaks_d_at_the_end(G, D, opt_G, opt_D, x, rng, saturating=False):
    loss = D(x).mean()
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    if updates_of(opt_D) == 3:  # the last of 3 updates breaks the weights, after the loss
        with torch.no_grad():
            next(D.parameters()).fill_(float("inf"))
    return {"d_loss": loss.item()}


def breaks_g_at_the_end(G, D, opt_G, opt_D, x, rng, saturating=False):
    z = torch.randn(len(x), G.latent_dim, generator=rng)
    loss = -D(G(z)).mean()
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    if updates_of(opt_G) == 3:
        with torch.no_grad():
            next(G.parameters()).fill_(float("nan"))
    return {"g_loss": loss.item()}


@pytest.mark.parametrize("step", [breaks_d_at_the_end, breaks_g_at_the_end])
def test_weights_broken_by_the_last_update_are_never_cached(step):
    expect_result(lambda: zoo.toy_gan(step=step, steps=3),
                  lambda result: "NaN or infinite" in (result[1].stop_reason or ""))
    assert not list(config.checkpoint_dir().glob("*.pt")), "nothing is saved"


# -- 6. the diffusion pieces ------------------------------------------------------------------

def schedule(T=10, dtype=torch.float32):
    return NoiseSchedule(linear_betas(T, 0.01, 0.2), dtype=dtype)


def points(n=3):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(1))


def zero_noise(x, t):
    return torch.zeros_like(x)


class NoWeights(nn.Module):
    """A denoiser without parameters: predicts a fixed fraction of x_t as the noise."""

    def forward(self, x, t):
        return 0.5 * x


def tiny_mlp(nan=False):
    torch.manual_seed(0)
    net = MLPDenoiser(2, 8, 1, 4)
    if nan:
        with torch.no_grad():
            net.out.weight.fill_(float("nan"))
    return net


def rng():
    return torch.Generator().manual_seed(0)


@pytest.mark.parametrize("call, error, says", [
    (lambda: zoo.make_schedule("linear", 0), ValueError, r"T must be at least 1"),
    (lambda: zoo.make_schedule("cosine", -3), ValueError, r"T must be at least 1"),
    (lambda: zoo.make_schedule("linear", 2.5), TypeError, r"T must be a whole number"),
    (lambda: zoo.toy_ddpm(T=0), ValueError, r"T must be positive"),
    (lambda: zoo.toy_ddpm(T=-5), ValueError, r"T must be positive"),
    (lambda: zoo.ddpm(T=0), ValueError, r"T must be positive"),
    (lambda: NoiseSchedule(linear_betas(100_000)), ValueError, r"alpha_bar_\d+ = 0"),
], ids=["make_schedule linear T=0", "make_schedule cosine T=-3", "make_schedule T=2.5",
        "toy_ddpm T=0", "toy_ddpm T=-5", "ddpm T=0", "alpha_bar underflows to 0"])
def test_a_chain_without_steps_or_with_a_vanishing_signal_is_named(call, error, says):
    expect_error(call, error, says)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int64, torch.int32,
                                   torch.uint8, torch.bool, torch.complex64])
def test_a_schedule_in_a_dtype_too_coarse_or_not_real_is_refused(dtype):
    expect_error(lambda: NoiseSchedule(linear_betas(1000), dtype=dtype), TypeError,
                 r"dtype must be float32 or float64")


CAST_USES = {  # on the usual 1e-4 .. 0.02 betas, where half precision rounds 1 - alpha_bar_1 to 0
    "q_sample": lambda s: q_sample(points(), 2, s, points()),
    "q_posterior": lambda s: q_posterior(points(), points(), 2, s),
    "ddpm_sample": lambda s: ddpm_sample(zero_noise, s, (3, 2), rng()),
    "ddim_sample": lambda s: ddim_sample(zero_noise, s, (3, 2), rng(), steps=5),
    "elbo_weights": lambda s: elbo_weights(s),
}


@pytest.mark.parametrize("use", list(CAST_USES))
@pytest.mark.parametrize("cast", ["half", "bfloat16"])
def test_a_schedule_cast_to_half_precision_afterwards_is_refused(use, cast):
    cast_schedule = getattr(NoiseSchedule(linear_betas(1000)), cast)()
    expect_error(lambda: CAST_USES[use](cast_schedule), TypeError,
                 r"schedule must be float32 or float64.*schedule.float\(\)")


def test_a_float64_schedule_with_float32_data_is_finite():
    expect_result(lambda: q_posterior(points(), points(), 1, schedule(dtype=torch.float64))[0],
                  finite)


STEP_USES = {
    "q_sample": lambda t: q_sample(points(), t, schedule(), points()),
    "q_step": lambda t: q_step(points(), t, schedule(), points()),
    "q_posterior": lambda t: q_posterior(points(), points(), t, schedule())[0],
    "predict_x0": lambda t: predict_x0(points(), t, schedule(), points()),
}


@pytest.mark.parametrize("use", list(STEP_USES))
@pytest.mark.parametrize("t", [np.int64(4), np.int32(4), torch.tensor(4)],
                         ids=["numpy int64", "numpy int32", "0-d tensor"])
def test_a_step_as_a_numpy_integer_or_0d_tensor_works(use, t):
    expect_result(lambda: STEP_USES[use](t), lambda out: torch.equal(out, STEP_USES[use](4)))


@pytest.mark.parametrize("use", ["q_sample", "predict_x0"])
@pytest.mark.parametrize("t, error", [(3.0, TypeError), ([1, 2, 3], TypeError),
                                      (np.array([1, 2, 3]), TypeError), (np.bool_(True), TypeError),
                                      (torch.tensor([True, False, True]), ValueError)],
                         ids=["float", "list", "numpy array", "numpy bool", "bool tensor"])
def test_a_step_of_the_wrong_kind_is_named_with_advice_that_works(use, t, error):
    exc = expect_error(lambda: STEP_USES[use](t), error, r"\bt must be")
    advice = re.search(r"torch\.as_tensor\(t, dtype=torch\.(\w+)\)", str(exc))
    if advice and not isinstance(t, (bool, np.bool_)):
        fixed = torch.as_tensor(np.asarray(t).reshape(-1).repeat(3)[:3] if np.ndim(t) == 0
                                else t, dtype=getattr(torch, advice.group(1)))
        expect_result(lambda: STEP_USES[use](fixed), finite)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
@pytest.mark.parametrize("x_T, error, says", [
    (lambda: torch.randn(2, 3), ValueError, r"x_T must be .*\(2,\).*\(2, 3\)"),
    (lambda: torch.randn(2, 2, 1), ValueError, r"x_T must be"),
    (lambda: torch.full((2, 2), float("nan")), ValueError, r"x_T holds 4 NaN"),
    (lambda: torch.tensor([[0.0, float("inf")]]), ValueError, r"x_T holds 1 NaN or infinite"),
    (lambda: torch.zeros(2, 2, dtype=torch.long), TypeError, r"x_T must be a floating-point"),
    (lambda: np.zeros((2, 2), dtype=np.float32), TypeError, r"x_T must be a torch.Tensor"),
    (lambda: torch.zeros(0, 2), ValueError, r"x_T must be a batch of N >= 1"),
], ids=["3 coordinates", "3-D", "NaN", "inf", "integer", "numpy", "empty"])
def test_a_wrong_starting_noise_is_named(sampler, x_T, error, says):
    def sample():
        if sampler == "ddpm":
            return ddpm_sample(tiny_mlp(), schedule(), None, rng(), x_T=x_T())
        return ddim_sample(tiny_mlp(), schedule(), None, None, steps=5, x_T=x_T())
    expect_error(sample, error, says)


def test_a_flat_noise_for_the_image_denoiser_is_named():
    net = ConvDenoiser(1, 2, 8)
    expect_error(lambda: ddim_sample(net, schedule(), None, None, steps=3,
                                     x_T=torch.randn(2, 784)), ValueError,
                 r"x_T must be .*\(1, 28, 28\)")


SAMPLERS = {
    "ddpm": lambda net, **kw: ddpm_sample(net, schedule(), (4, 2), rng(), **kw),
    "ddim": lambda net, **kw: ddim_sample(net, schedule(), (4, 2), rng(), steps=5, **kw),
    "ddim eta=1": lambda net, **kw: ddim_sample(net, schedule(), (4, 2), rng(), steps=5, eta=1.0,
                                                **kw),
}


@pytest.mark.parametrize("sampler", list(SAMPLERS))
@pytest.mark.parametrize("denoiser", [zero_noise, NoWeights(), lambda x, t: -x],
                         ids=["a plain function", "a module without parameters", "a lambda"])
def test_a_denoiser_that_is_a_function_or_has_no_weights_samples(sampler, denoiser):
    expect_result(lambda: SAMPLERS[sampler](denoiser), finite)


@pytest.mark.parametrize("denoiser", ["a string", None, 3], ids=["string", "None", "number"])
def test_a_denoiser_that_cannot_be_called_is_named(denoiser):
    expect_error(lambda: ddpm_sample(denoiser, schedule(), (2, 2), rng()), TypeError,
                 r"denoiser must be")


@pytest.mark.parametrize("sampler", list(SAMPLERS))
@pytest.mark.parametrize("denoiser, options", [
    (lambda x, t: torch.full_like(x, float("nan")), {}),
    (lambda x, t: torch.full_like(x, float("inf")), {}),
    (lambda x, t: torch.full_like(x, float("nan")), {"clip": True, "rescale": True}),
    (tiny_mlp(nan=True), {}),
], ids=["NaN", "inf", "NaN, clipped and rescaled", "NaN weights"])
def test_a_denoiser_predicting_nan_raises_instead_of_returning_nan(sampler, denoiser, options):
    expect_error(lambda: SAMPLERS[sampler](denoiser, **options), FloatingPointError,
                 r"NaN or infinite values.*denoiser")


def test_the_image_sampler_of_a_broken_model_raises():
    net = ConvDenoiser(1, 2, 8)
    with torch.no_grad():
        net.out[-1].bias.fill_(float("nan"))
    sample = zoo.image_sampler({"denoiser": net, "schedule": schedule(T=4)}, steps=2)
    expect_error(lambda: sample(2, rng()), FloatingPointError, r"NaN or infinite")


@pytest.mark.parametrize("call", [
    lambda: ddpm_sample(zero_noise, linear_betas(10), (2, 2), rng()),
    lambda: ddim_sample(zero_noise, linear_betas(10), (2, 2), rng(), steps=3),
    lambda: q_sample(points(), 2, linear_betas(10), points()),
    lambda: q_posterior(points(), points(), 2, linear_betas(10)),
], ids=["ddpm_sample", "ddim_sample", "q_sample", "q_posterior"])
def test_betas_given_where_a_schedule_is_expected_are_named(call):
    expect_error(call, TypeError, r"schedule must be a NoiseSchedule")


@pytest.mark.parametrize("returns, error", [(lambda x: x.tolist(), TypeError),
                                            (lambda x: x[:, :1], ValueError),
                                            (lambda x: x.long(), TypeError)],
                         ids=["a list", "one coordinate", "integers"])
def test_a_denoiser_returning_the_wrong_thing_is_named(returns, error):
    expect_error(lambda: ddim_sample(lambda x, t: returns(x), schedule(), (2, 2), rng(), steps=3),
                 error, r"eps must")


def test_the_mlp_denoiser_names_points_of_the_wrong_width():
    expect_error(lambda: tiny_mlp()(torch.randn(2, 3), torch.tensor([1, 2])), ValueError,
                 r"x must be points of 2 coordinates")


def test_a_short_cosine_schedule_samples_finite_points():
    expect_result(lambda: ddpm_sample(NoWeights(), NoiseSchedule(cosine_betas(3)), (4, 2), rng()),
                  finite)


# -- 7. metrics -----------------------------------------------------------------------------

def features(n, d, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n_a, n_b, d", [(2, 100, 64), (64, 200, 64), (300, 10, 32), (5, 5, 6)],
                         ids=["2 of 64", "N equal to d", "second set small", "both small"])
def test_a_frechet_distance_from_fewer_samples_than_features_warns(n_a, n_b, d):
    expect_warning(lambda: frechet_distance(features(n_a, d), features(n_b, d, 1)),
                   rf"{n_a} and {n_b} samples of {d} features.*sample size",
                   is_right=lambda value: np.isfinite(value) and value >= 0)


def test_a_frechet_distance_of_numpy_features_warns_too():
    expect_warning(lambda: frechet_distance(features(3, 8).numpy(), features(3, 8, 1).numpy()),
                   r"3 and 3 samples of 8 features")


def test_a_frechet_distance_from_enough_samples_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expect_result(lambda: frechet_distance(features(50, 4), features(60, 4, 1)),
                      lambda value: 0 <= value < 1)


def tiny_classifier():
    torch.manual_seed(0)
    return SmallClassifier(image_size=8, n_classes=3, channels=2, feature_dim=4)


def images(scale=1.0, shift=0.0, n=6):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(2)) * scale + shift


IMAGE_METRICS = {
    "classifier_features": lambda x: classifier_features(tiny_classifier(), x),
    "classifier_probabilities": lambda x: classifier_probabilities(tiny_classifier(), x),
    "sample_scores": lambda x: sample_scores(x, images(), tiny_classifier(),
                                             torch.arange(6) % 3, images()),
    "image_sharpness": lambda x: image_sharpness(x),
}


@pytest.mark.parametrize("metric", list(IMAGE_METRICS))
@pytest.mark.parametrize("scale, shift", [(255, 0), (2, -1)], ids=["0..255", "[-1, 1]"])
def test_an_image_metric_refuses_images_outside_the_unit_interval(metric, scale, shift):
    expect_error(lambda: IMAGE_METRICS[metric](images(scale, shift)), ValueError,
                 r"images must hold pixel values in \[0, 1\].*255")


def test_image_sharpness_refuses_integer_images():
    expect_error(lambda: image_sharpness((images() * 255).to(torch.uint8)), TypeError,
                 r"images must be a floating-point tensor")


def test_image_sharpness_of_images_in_the_unit_interval_is_finite():
    expect_result(lambda: image_sharpness(images()), finite)


# -- 8. python -O ---------------------------------------------------------------------------

@pytest.mark.parametrize("options, env", [(["-O"], {}), (["-OO"], {}),
                                          ([], {"PYTHONOPTIMIZE": "1"})],
                         ids=["-O", "-OO", "PYTHONOPTIMIZE=1"])
def test_genlib_under_python_optimised_says_the_checks_would_not_check(options, env):
    # the warning as an error stops the import right there: nothing heavy is loaded
    done = python("import genlib", 60, options=[*options, "-W", "error::RuntimeWarning"], **env)
    if not re.search(r"optimised.*assert.*without -O", done.stderr, re.S):
        pytest.fail(f"SILENT: nothing said under {options or env}: {done.stderr[-200:]!r}")


def test_genlib_without_optimisation_says_nothing():
    import importlib

    import genlib
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(genlib)
    assert not [w for w in caught if "optimised" in str(w.message)]


# -- beyond: the pieces around these ----------------------------------------------------------

@pytest.mark.parametrize("value, error, says", [
    (torch.ones(4), ValueError, r"'loss' as 4 values"), ("nan", TypeError, r"'loss' as 'nan'")],
    ids=["a vector", "a string"])
def test_a_hand_written_loop_logging_something_that_is_not_one_number_is_named(value, error,
                                                                                 says):
    from genlib.training import TrainingRun

    def loop():
        with TrainingRun(total=2, desc="my loop", progress=False) as run:
            for step in run:
                run.log(step, loss=value)
    expect_error(loop, error, says)


def image_decoder():
    return zoo.ddpm_decoder({"denoiser": ConvDenoiser(1, 2, 8), "schedule": schedule(T=4)},
                            steps=2)


@pytest.mark.parametrize("z", [torch.randn(2, 100), torch.randn(784), torch.randn(2, 3, 28, 28)],
                         ids=["100 numbers", "one vector without a batch", "three channels"])
def test_the_diffusion_decoder_names_noise_of_the_wrong_size(z):
    expect_error(lambda: image_decoder()(z), ValueError, r"z must be B x 784")


def test_the_diffusion_decoder_takes_image_shaped_noise():
    expect_result(lambda: image_decoder()(torch.randn(2, 1, 28, 28)),
                  lambda images: images.shape == (2, 1, 28, 28) and finite(images))
