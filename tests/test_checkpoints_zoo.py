"""Checkpoints are atomic, keyed by configuration, safe to load, and refuse a wrong model."""
import pytest
import torch

from genlib import zoo
from genlib.training import (CheckpointMismatchError, History, checkpoint_path,
                             load_checkpoint, save_checkpoint)


def test_round_trip_with_history(cache_dir):
    model = torch.nn.Linear(4, 2)
    h = History("lin"); h.log(0, loss=1.5)
    path = save_checkpoint(checkpoint_path("lin", {"a": 1}), {"net": model}, {"a": 1}, h)
    assert path.parent == cache_dir / "checkpoints" and path.name.startswith("lin-")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    other = torch.nn.Linear(4, 2)
    history, _ = load_checkpoint(path, {"net": other})
    assert torch.equal(other.weight, model.weight) and history["loss"] == [1.5]


def test_key_depends_on_configuration(cache_dir):
    assert checkpoint_path("m", {"epochs": 1}) != checkpoint_path("m", {"epochs": 2})
    assert checkpoint_path("m", {"a": 1, "b": 2}) == checkpoint_path("m", {"b": 2, "a": 1})


def test_checkpoint_from_another_architecture_is_refused(cache_dir):
    path = save_checkpoint(checkpoint_path("lin", {}), {"net": torch.nn.Linear(4, 2)}, {})
    with pytest.raises(CheckpointMismatchError, match="another architecture.*Delete it"):
        load_checkpoint(path, {"net": torch.nn.Linear(5, 2)})
    with pytest.raises(CheckpointMismatchError, match=r"holds models \['net'\]"):
        load_checkpoint(path, {"generator": torch.nn.Linear(4, 2)})
    assert issubclass(CheckpointMismatchError, ValueError)


def test_garbage_file_is_refused_with_its_name(cache_dir, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointMismatchError, match="bad.pt"):
        load_checkpoint(bad, {"net": torch.nn.Linear(1, 1)})


def linear_recipe(calls, width=3, retrain=False):
    """A stand-in recipe: one linear model, "trained" by filling its weight."""
    net = torch.nn.Linear(width, 1)

    def fit(models):
        calls.append(1)
        with torch.no_grad():
            models["net"].weight.fill_(0.25)
        h = History("t"); h.log(0, loss=0.0)
        return h
    return zoo.cached("_test_linear", {"width": width}, regression_step, {}, lambda: {"net": net},
                      fit, retrain)


def regression_step(net, opt, x, rng):
    loss = net(x).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


def test_cached_trains_once_then_loads(cache_dir):
    calls = []
    models, history = linear_recipe(calls)
    assert calls == [1] and not history.from_cache and history.config == {"width": 3}
    models, history = linear_recipe(calls)
    assert calls == [1] and history.from_cache and torch.all(models["net"].weight == 0.25)
    linear_recipe(calls, retrain=True)
    assert calls == [1, 1]
    linear_recipe(calls, width=4)  # another configuration, another file
    assert calls == [1, 1, 1]


def test_a_model_trained_for_nothing_is_never_saved(cache_dir):
    def fit(models):
        return History("empty")
    zoo.cached("_test_empty", {}, regression_step, {}, lambda: {"net": torch.nn.Linear(1, 1)}, fit)
    assert not list((cache_dir / "checkpoints").glob("_test_empty-*.pt"))


def test_concurrent_callers_train_once(cache_dir):
    """A second caller waits on the checkpoint's lock file and loads, rather than training again."""
    import threading
    import time

    calls, started, release, histories = [], threading.Event(), threading.Event(), []

    def fit(models):
        calls.append(1)
        started.set()
        release.wait(10)  # keep "training" until the second caller is waiting
        h = History("t"); h.log(0, loss=0.0)
        return h

    def call():
        histories.append(zoo.cached("_test_locked", {"width": 2}, regression_step, {},
                                    lambda: {"net": torch.nn.Linear(2, 1)}, fit)[1])

    first = threading.Thread(target=call)
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=call)
    second.start()
    time.sleep(0.3)
    assert second.is_alive() and calls == [1]  # blocked on the lock, not training
    release.set()
    first.join(10); second.join(10)
    assert calls == [1]
    assert sorted(h.from_cache for h in histories) == [False, True]


def test_configure_and_step_settings_check_every_name_and_value():
    cfg = zoo.configure("r", {"epochs": 2, "lr": 1e-3}, {"epochs": 3, "lr": 1})
    assert cfg == {"epochs": 3, "lr": 1.0} and isinstance(cfg["lr"], float)
    assert zoo.configure("r", {"epochs": 2}, {}) == {"epochs": 2}
    with pytest.raises(TypeError, match="r has no configuration key 'depth'"):
        zoo.configure("r", {"epochs": 2}, {"depth": 2})
    with pytest.raises(ValueError, match="epochs must be positive"):
        zoo.configure("r", {"epochs": 2}, {"epochs": 0})
    settings = zoo.step_settings("r", {"beta": 4}, {}, optional={"beta": 1.0})
    assert settings == {"beta": 4.0} and isinstance(settings["beta"], float)  # one model
    assert zoo.step_settings("r", None, {"clip": 0.0}) == {"clip": 0.0}
    assert zoo.step_settings("r", {"clip": 0.01}, {"clip": 0.0, "n_critic": 5}) == {
        "clip": 0.01, "n_critic": 5}
    with pytest.raises(TypeError, match="r's step takes no setting 'bta'"):
        zoo.step_settings("r", {"bta": 4.0}, {}, optional={"beta": 1.0})
    with pytest.raises(TypeError, match="beta must be a number"):
        zoo.step_settings("r", {"beta": "4"}, {}, optional={"beta": 1.0})
    with pytest.raises(TypeError, match="settings must be a dict"):
        zoo.step_settings("r", [("beta", 4.0)], {}, optional={"beta": 1.0})


def test_cached_leaves_the_global_rng_grad_mode_and_default_dtype_as_found(cache_dir):
    def build():
        torch.manual_seed(5)
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        return {"net": torch.nn.Linear(2, 1)}

    def fit(models):
        torch.randn(10)
        h = History("t"); h.log(0, loss=0.0)
        return h

    for _ in range(2):   # trained, then loaded
        torch.manual_seed(3)
        zoo.cached("_test_state", {"seed": 0}, regression_step, {}, build, fit)
        assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32
        drawn = torch.randn(3)
        torch.manual_seed(3)
        assert torch.equal(drawn, torch.randn(3))


def test_a_recipe_leaves_the_global_rng_grad_mode_and_default_dtype_as_found(cache_dir,
                                                                            quick_mode):
    """torch.manual_seed(s); zoo.toy_gan(); torch.randn(3) draws what torch.randn(3) would:
    the recipe neither reseeds nor advances the student's global RNG (trained or loaded)."""
    drawn = {}
    for s in (1, 2):
        torch.manual_seed(s)
        zoo.toy_gan(steps=3)            # s = 1 trains it, s = 2 loads it
        drawn[s] = torch.randn(3)
        torch.manual_seed(s)
        assert torch.equal(drawn[s], torch.randn(3))
    assert not torch.equal(drawn[1], drawn[2])
    with torch.no_grad():
        zoo.toy_gan(steps=3)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32


class _Called(Exception):
    """What the spy step raises once it has seen its arguments: nothing trains further."""


def spy_step(*args, **kwargs):
    SEEN.append((args, kwargs))
    raise _Called


SEEN = []


def _described(args) -> list[str]:
    """Each argument's type; an optimiser with the position of the model it updates."""
    out = []
    for arg in args:
        if isinstance(arg, torch.optim.Optimizer):
            first = arg.param_groups[0]["params"][0]
            owner = next(i for i, m in enumerate(args) if isinstance(m, torch.nn.Module)
                         and any(p is first for p in m.parameters()))
            out.append(f"{type(arg).__name__}({owner})")
        else:
            out.append(type(arg).__name__)
    return out


ADAM = "Adam"
BINDINGS = [   # recipe, its configuration and settings, the step's arguments, its keywords
    ("toy_gan", {"steps": 3}, ["MLPGenerator", "MLPDiscriminator", "Adam(0)", "Adam(1)",
                               "Tensor", "Generator"], {"saturating": False}),
    ("toy_wgan", {"steps": 3}, ["MLPDiscriminator", "MLPGenerator", "Adam(0)", "Adam(1)",
                                "Tensor", "Generator"],
     {"n_critic": 5, "gp_weight": 10.0, "clip": 0.0}),
    ("toy_wgan", {"steps": 3, "settings": {"gp_weight": 0.0, "clip": 0.01},
                  "optimizer": "rmsprop", "lr": 5e-5, "decay_lr": False},
     ["MLPDiscriminator", "MLPGenerator", "RMSprop(0)", "RMSprop(1)", "Tensor", "Generator"],
     {"n_critic": 5, "gp_weight": 0.0, "clip": 0.01}),
    ("dcgan", {"settings": {"saturating": True}}, ["DCGANGenerator", "DCGANDiscriminator",
                                                    "Adam(0)", "Adam(1)", "Tensor", "Generator"],
     {"saturating": True}),
    ("mlp_vae", {"settings": {"beta": 4}}, ["MLPVAE", "Adam(0)", "Tensor", "Generator"],
     {"beta": 4.0}),
    ("mlp_vae", {"preset": "vae_2d"}, ["MLPVAE", "Adam(0)", "Tensor", "Generator"], {}),
    ("warmup_vae", {}, ["MLPVAE", "Adam(0)", "Tensor", "Generator", "int"],
     {"warmup_steps": 40}),
    ("conv_vae", {}, ["ConvVAE", "Adam(0)", "Tensor", "Generator"], {}),
    ("cvae", {}, ["ConditionalVAE", "Adam(0)", "Tensor", "Tensor", "Generator"], {}),
    ("vaegan", {"dataset": "fashion-mnist", "settings": {"gamma": 0.5}},
     ["VAEGANEncoder", "DCGANGenerator", "DCGANDiscriminator", "Adam(0)", "Adam(1)", "Adam(2)",
      "Tensor", "Generator"], {"gamma": 0.5}),
    ("bigan", {}, ["BiGANEncoder", "BiGANGenerator", "BiGANDiscriminator", "Adam(2)", "Adam(0)",
                   "Tensor", "Generator"], {}),
    ("toy_bigan", {}, ["BiGANEncoder", "BiGANGenerator", "BiGANDiscriminator", "Adam(2)",
                       "Adam(0)", "Tensor", "Generator"], {}),
    ("toy_ddpm", {}, ["MLPDenoiser", "NoiseSchedule", "Adam(0)", "Tensor", "Generator"], {}),
    ("ddpm", {}, ["ConvDenoiser", "NoiseSchedule", "Adam(0)", "Tensor", "Generator"],
     {"rescale": True}),
    ("classifier", {}, ["SmallClassifier", "Adam(0)", "Tensor", "Tensor", "Generator"], {}),
]


@pytest.mark.parametrize("recipe, kwargs, arguments, keywords", BINDINGS,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BINDINGS)])
def test_each_recipe_binds_its_networks_optimisers_and_settings_to_the_step(
        recipe, kwargs, arguments, keywords, cache_dir, quick_mode, monkeypatch):
    """The recipe's update hands the step its networks and optimisers in the step's order, the
    batch, the rng (and t for the warm-up), and its settings as keywords; nothing else."""
    import genlib.zoo.diffusion
    import genlib.zoo.images

    def images(name, split, limit=None):
        return torch.rand(256, 1, 28, 28), torch.randint(10, (256,))

    monkeypatch.setattr(genlib.zoo.images, "load_images", images)
    monkeypatch.setattr(genlib.zoo.diffusion, "load_images", images)
    monkeypatch.setenv("GENLIB_DATASET", "fashion-mnist")
    SEEN.clear()
    with pytest.raises(_Called):
        getattr(zoo, recipe)(step=spy_step, **kwargs)
    (args, seen_keywords), = SEEN
    assert _described(args) == arguments and seen_keywords == keywords
    assert not list((cache_dir / "checkpoints").glob("*.pt"))


STEP_MODULE = """
import torch
import torch.nn.functional as F


{source}
"""


def test_an_edited_step_misses_the_cache_and_the_unchanged_step_hits_it(cache_dir, quick_mode,
                                                                         tmp_path, monkeypatch):
    """What a notebook does: its cell defines gan_step, the recipe gets it; same source, same model."""
    import importlib
    import sys

    from genlib.steps import gan_step

    source = zoo.step_source(gan_step)
    edited = source.replace("# -E_z log D(G(z)), non-saturating", "# my edit")
    assert edited != source
    for name, text in (("cell_a", source), ("cell_b", source), ("cell_edited", edited)):
        (tmp_path / f"{name}.py").write_text(STEP_MODULE.format(source=text))
    monkeypatch.syspath_prepend(str(tmp_path))
    cells = {name: importlib.import_module(name) for name in ("cell_a", "cell_b", "cell_edited")}
    try:
        _, first = zoo.toy_gan(step=cells["cell_a"].gan_step, steps=3)
        _, again = zoo.toy_gan(step=cells["cell_b"].gan_step, steps=3)    # another copy, same text
        _, library = zoo.toy_gan(step=gan_step, steps=3)                  # genlib's copy
        _, edited_run = zoo.toy_gan(step=cells["cell_edited"].gan_step, steps=3)
    finally:
        for name in cells:
            sys.modules.pop(name, None)
    assert not first.from_cache and again.from_cache and library.from_cache
    assert not edited_run.from_cache


def test_pretrain_plan_holds_every_model_the_notebooks_load(monkeypatch):
    """`make pretrain` must leave every model a notebook loads in the cache: the recipes'
    defaults and the settings (and seeds) notebooks 02, 04, 07, 08, 11 and 12 pass. (Nothing is trained:
    every recipe module's ``cached`` only records the key.)"""
    from genlib import config
    from genlib.steps import (ddpm_step, flow_matching_step, free_bits_vae_step, gan_step,
                              v_ddpm_step, vae_step, warmup_vae_step, wgan_step)
    from genlib.zoo import cache

    keys = []

    def remember(name, cfg, step, settings, build, fit, retrain=False):
        keys.append((name, cache.step_fingerprint(step), repr(sorted(cfg.items())),
                     repr(sorted(settings.items()))))
        return {}, History()

    import importlib

    for module in ("gan", "vae", "hybrid", "classifier", "diffusion", "flow"):
        monkeypatch.setattr(importlib.import_module(f"genlib.zoo.{module}"), "cached", remember)
    for quick in ("0", "1"):
        monkeypatch.setenv("GENLIB_QUICK", quick)
        keys.clear()
        for recipe, kwargs in zoo.pretrain_plan():
            recipe(**kwargs)
        plan = list(keys)
        assert len(set(plan)) == len(plan)  # each model once
        keys.clear()
        budget = zoo.same_budget_settings()
        beta_vae = {"step": vae_step, "preset": "beta_vae"}
        wanted = [(zoo.toy_gan, {"step": gan_step}),
                  (zoo.toy_gan, {"step": gan_step, "data": "ring8", "snapshots": True}),
                  (zoo.toy_gan, {"step": gan_step, "data": "ring8", "snapshots": True,
                                 "settings": {"saturating": True}}),
                  (zoo.toy_gan, {"step": gan_step, "data": "grid25", "snapshots": True,
                                 "settings": {"saturating": False}}),
                  *[(zoo.toy_gan, {"step": gan_step, "data": "ring8", "snapshots": True,
                                   "seed": seed, "settings": {"saturating": saturating}})
                    for seed in (0, 1, 2) for saturating in (False, True)],   # notebook 02's seeds
                  (zoo.toy_wgan, {"step": wgan_step}),
                  (zoo.toy_wgan, {"step": wgan_step, "settings": {"gp_weight": 0.0, "clip": 0.01},
                                  "optimizer": "rmsprop", "lr": 5e-5, "decay_lr": False}),
                  (zoo.dcgan, {"step": gan_step}), (zoo.dcgan, {**budget, "snapshots": True}),
                  (zoo.conv_vae, {**budget, "snapshots": True}),
                  (zoo.classifier, {}), (zoo.conv_vae, {"step": vae_step}),
                  (zoo.mlp_vae, {"step": vae_step}),
                  (zoo.mlp_vae, {"step": vae_step, "preset": "vae_2d"}),
                  (zoo.cvae, {}), (zoo.vaegan, {"snapshots": True}), (zoo.bigan, {}),
                  (zoo.mlp_vae, {**beta_vae, "latent_dim": 32}),
                  (zoo.warmup_vae, {"step": warmup_vae_step, "preset": "beta_vae",
                                    "latent_dim": 32,
                                    "settings": {"warmup_steps": zoo.warmup_steps()}}),
                  (zoo.mlp_vae, {**beta_vae, "step": free_bits_vae_step, "latent_dim": 32,
                                 "settings": {"free_bits": 0.5}})]
        wanted += [(zoo.mlp_vae, {**beta_vae, "settings": {"beta": beta}})
                   for beta in zoo.BETA_SWEEP]
        wanted += [(zoo.toy_ddpm, {"step": ddpm_step}), (zoo.ddpm, {"step": ddpm_step}),
                   (zoo.ddpm, {"step": v_ddpm_step, "prediction": "v", "noise_schedule": "cosine",
                               "T": 1000, "ema": 0.999,
                               "steps": config.choose(quick=30, full=2344)}),   # notebook 11
                   (zoo.toy_flow, {"step": flow_matching_step}),
                   (zoo.flow_matching, {"step": flow_matching_step}),                  # notebook 12
                   (zoo.ddpm, {"step": v_ddpm_step, "prediction": "v", "noise_schedule": "cosine",
                               "T": 1000, "ema": 0.999, "steps": zoo.same_budget_steps(128),
                               "snapshots": True}),                                    # notebook 08
                   (zoo.flow_matching, {"step": flow_matching_step,
                                        "steps": zoo.same_budget_steps(128), "snapshots": True,
                                        "settings": {"label_dropout": 1.0}})]
        for recipe, kwargs in wanted:
            recipe(**kwargs)
            assert keys[-1] in plan, (recipe.__name__, kwargs)


def test_every_recipe_a_notebook_calls_exists():
    import json
    import re
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        for name in re.findall(r"\bzoo\.(\w+)\(", code):
            assert callable(getattr(zoo, name, None)), f"{path.name} calls unknown zoo.{name}"


def test_checkpoints_are_readable_by_others_as_the_umask_allows(cache_dir):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = save_checkpoint(checkpoint_path("lin", {}), {"net": torch.nn.Linear(2, 1)}, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_loading_from_a_shared_cache_needs_no_write_access(cache_dir, monkeypatch):
    """A class's read-only cache: loading a complete checkpoint takes no lock and writes nothing."""
    import builtins
    import os

    calls = []
    linear_recipe(calls)                        # the teacher trains once
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        if any(m in mode for m in "wax+"):
            raise PermissionError(30, "Read-only file system", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(PermissionError(30, "ro")))
    folder = cache_dir / "checkpoints"
    os.chmod(folder, 0o555)
    try:
        models, history = linear_recipe(calls)  # a student loads it
    finally:
        os.chmod(folder, 0o755)
    assert calls == [1] and history.from_cache and torch.all(models["net"].weight == 0.25)


def test_a_checkpoint_of_another_configuration_is_refused(cache_dir):
    path = save_checkpoint(checkpoint_path("m", {"width": 3}), {"net": torch.nn.Linear(3, 1)},
                           {"width": 3})
    with pytest.raises(CheckpointMismatchError, match=r"another configuration \(differs in \['width'\]\)"):
        load_checkpoint(path, {"net": torch.nn.Linear(3, 1)}, expected_config={"width": 4})
    load_checkpoint(path, {"net": torch.nn.Linear(3, 1)}, expected_config={"width": 3})


def test_a_full_disk_still_returns_the_trained_model(cache_dir, monkeypatch, capsys):
    import errno
    from genlib.zoo import cache

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(cache, "save_checkpoint", full)
    calls = []
    models, history = linear_recipe(calls)
    assert calls == [1] and torch.all(models["net"].weight == 0.25)  # the trained weights
    out = capsys.readouterr().out
    assert "trained, but not saved" in out and "No space left on device" in out
    assert "disk space" in out and "GENLIB_CACHE" in out
    assert not list((cache_dir / "checkpoints").glob("*.pt"))


def test_temporary_files_left_by_a_killed_save_are_removed(cache_dir):
    import os
    folder = cache_dir / "checkpoints"
    folder.mkdir(parents=True)
    path = folder / "model-abc.pt"
    old, fresh = folder / "model-abc.ptk3j.tmp", folder / "model-abc.ptq9z.tmp"
    old.write_bytes(b"half"); fresh.write_bytes(b"half")
    os.utime(old, (0, 0))
    save_checkpoint(path, {"net": torch.nn.Linear(1, 1)}, {"a": 1})
    assert path.exists() and not old.exists() and fresh.exists()  # another save may own it
