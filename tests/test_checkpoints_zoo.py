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


def test_zoo_trains_once_then_loads(cache_dir, quick_mode):
    calls = []

    @zoo.register("_test_linear", lambda: {"width": 3, "epochs": 1})
    def build(cfg):
        net = torch.nn.Linear(cfg["width"], 1)

        def train():
            calls.append(1)
            with torch.no_grad():
                net.weight.fill_(0.25)
            h = History("t"); h.log(0, loss=0.0)
            return h
        return {"net": net}, train

    try:
        models, history = zoo.pretrained("_test_linear")
        assert calls == [1] and not history.from_cache
        models, history = zoo.pretrained("_test_linear")
        assert calls == [1] and history.from_cache
        assert torch.all(models["net"].weight == 0.25)
        zoo.pretrained("_test_linear", width=3, retrain=True)
        assert calls == [1, 1]
        with pytest.raises(KeyError, match="no settings"):
            zoo.pretrained("_test_linear", depth=2)
        with pytest.raises(KeyError, match="unknown recipe"):
            zoo.pretrained("_no_such_recipe")
    finally:
        zoo._RECIPES.pop("_test_linear", None)


def test_concurrent_callers_train_once(cache_dir, quick_mode):
    """A second caller waits on the checkpoint's lock file and loads, rather than training again."""
    import threading
    import time

    calls, started, release, histories = [], threading.Event(), threading.Event(), []

    @zoo.register("_test_locked", lambda: {"width": 2})
    def build(cfg):
        net = torch.nn.Linear(cfg["width"], 1)

        def train():
            calls.append(1)
            started.set()
            release.wait(10)  # keep "training" until the second caller is waiting
            h = History("t"); h.log(0, loss=0.0)
            return h
        return {"net": net}, train

    def call():
        histories.append(zoo.pretrained("_test_locked")[1])

    try:
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
        assert zoo.checkpoint_path("_test_locked", zoo.recipe_config("_test_locked")).exists()
    finally:
        release.set()
        zoo._RECIPES.pop("_test_locked", None)


def test_pretrain_plan_holds_the_variants_the_notebooks_use(monkeypatch):
    """`make pretrain` must leave every model a notebook loads in the cache: the default
    configurations and the overrides notebooks 02, 07 and 08 pass."""
    from genlib.zoo.hybrid import same_budget_overrides

    for quick in ("0", "1"):
        monkeypatch.setenv("GENLIB_QUICK", quick)
        plan = zoo.pretrain_plan()
        paths = [checkpoint_path(name, zoo.recipe_config(name, **o)) for name, o in plan]
        assert len(set(paths)) == len(paths)  # each model once (beta=1.0 is the default)
        wanted = ([("beta_vae", {"beta": b}) for b in (0.5, 1.0, 2.0, 4.0, 8.0)]
                  + [("beta_vae", o) for o in zoo.vae.collapse_remedies().values()]
                  + [("gan_dynamics", {"loss": "saturating"}), ("gan_dynamics", {"data": "grid25"}),
                     ("dcgan", same_budget_overrides())]
                  + [(name, {}) for name in zoo.names()])
        for name, overrides in wanted:
            assert checkpoint_path(name, zoo.recipe_config(name, **overrides)) in paths, \
                (name, overrides)
    assert zoo.pretrain_plan(["gan_ring8"]) == [("gan_ring8", {})]
    with pytest.raises(KeyError, match="unknown recipe"):
        zoo.pretrain_plan(["no_such_recipe"])


def test_every_recipe_a_notebook_names_is_registered():
    import json
    import re
    from pathlib import Path

    names = set(zoo.names())
    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        for name in re.findall(r"pretrained\(\s*\"(\w+)\"", code):
            assert name in names, f"{path.name} asks for unknown recipe {name!r}"
