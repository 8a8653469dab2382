"""genlib.training: History, TrainingRun (progress, NaN guard, interrupt) and the one loop, train."""
import math

import matplotlib
import pytest
import torch

from genlib import config
from genlib.data import toy2d
from genlib.training import History, TrainingRun, adam, require_positive, train

matplotlib.use("Agg")


def test_history_logs_and_round_trips():
    h = History("demo")
    for step in range(5):
        h.log(step, loss=torch.tensor(1.0 / (step + 1)), acc=step)
    assert h["loss"][0] == 1.0 and h.last("acc") == 4.0 and len(h) == 5 and h.last_step() == 4
    again = History.from_state_dict(h.state_dict())
    assert again.metrics == h.metrics and again.from_cache
    fig = h.plot([["loss"], ["acc"]], smooth=2)
    assert len(fig.axes) == 2
    assert History().last_step() == -1


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf")])
def test_require_positive_rejects_a_wrong_value(value):
    with pytest.raises(ValueError, match="lr must be a positive"):
        require_positive("lr", value)


@pytest.mark.parametrize("value", ["3", None, True])
def test_require_positive_rejects_a_wrong_kind(value):
    with pytest.raises(TypeError, match="lr must be a positive"):
        require_positive("lr", value)


def test_require_positive_integer():
    assert require_positive("batch_size", 64, integer=True) == 64
    for kind in (6.4, 64.0, True):   # a float or a bool where a count is expected
        with pytest.raises(TypeError, match="batch_size must be a positive integer"):
            require_positive("batch_size", kind, integer=True)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        require_positive("batch_size", 0, integer=True)


def regression_step(net, opt, x, rng, scale=1.0):
    """A least-squares step: the smallest step function the loop can run."""
    loss = net(x).pow(2).mean() * scale
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


def regression(net, opt, data, scale=1.0, **kwargs):
    """``train`` of ``regression_step`` on ``net``, the binding written out as a recipe does."""
    return train(lambda x, rng, t: regression_step(net, opt, x, rng, scale), data,
                 models=[net], optimizers=[opt], progress=False, **kwargs)


def test_nan_guard_restores_finite_weights_and_the_optimiser_state(capsys):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    opt = adam(net.parameters(), lr=0.01)
    x = torch.randn(8, 3)
    with TrainingRun(100, models=[net], optimizers=[opt], desc="t", snapshot_every=5,
                     progress=False) as run:
        for step in run:
            if step == 12:
                with torch.no_grad():
                    net.weight.fill_(float("nan"))
            loss = regression_step(net, opt, x, None)["loss"]
            if not run.check_finite(loss=loss):
                break
            run.log(step, loss=loss)
            if step == 9:
                good = {k: v.clone() for k, v in net.state_dict().items()}
                good_moment = opt.state_dict()["state"][0]["exp_avg"].clone()
    assert run.history.stop_reason.startswith("loss became nan at step 12")
    assert "restored the weights and optimiser state as they were after 10 steps" in run.history.stop_reason
    assert all(torch.equal(net.state_dict()[k], good[k]) for k in good)  # the snapshot after step 9
    assert torch.equal(opt.state_dict()["state"][0]["exp_avg"], good_moment)
    assert "training stopped" in capsys.readouterr().out


def test_nan_guard_never_snapshots_nan_weights():
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.fill_(float("nan"))
    with TrainingRun(10, models=[net], progress=False) as run:
        for step in run:
            if not run.check_finite(loss=net(torch.ones(1, 2)).sum()):
                break
    assert "no finite weights were ever seen, so none were restored" in run.history.stop_reason


def test_interrupt_stops_the_cell_and_keeps_the_partial_history():
    net = torch.nn.Linear(2, 1)
    with pytest.raises(KeyboardInterrupt) as caught:
        with TrainingRun(50, models=[net], progress=False) as run:
            for step in run:
                run.log(step, loss=1.0)
                if step == 6:
                    raise KeyboardInterrupt
    assert run.history.stop_reason == "interrupted at step 6"
    assert len(run.history) == 7
    assert caught.value.history is run.history


@pytest.mark.parametrize("where", ["step", "callback"])
def test_one_interrupt_stops_every_model_of_a_cell_and_saves_no_checkpoint(cache_dir, where):
    """A cell training two cached models in a loop: Ctrl-C in the first (in its step or in its
    callback) propagates out of train and cached, the second never starts, nothing is saved."""
    from genlib.zoo import cached

    started = []

    def interrupted_step(net, opt, x, rng):
        if where == "step" and len(started) == 1 and opt.state:  # the second iteration
            raise KeyboardInterrupt
        return regression_step(net, opt, x, rng)

    def callback(t):
        if where == "callback" and t == 2:
            raise KeyboardInterrupt

    def fit(models):
        started.append(1)
        net = models["net"]
        opt = adam(net.parameters())
        return train(lambda x, rng, t: interrupted_step(net, opt, x, rng), torch.randn(16, 3),
                     models=[net], optimizers=[opt], steps=5, batch_size=4, callback=callback,
                     callback_every=1, progress=False)

    with pytest.raises(KeyboardInterrupt) as caught:
        for name in ("first", "second"):
            cached(name, {"seed": 0}, interrupted_step, {}, lambda: {"net": torch.nn.Linear(3, 1)},
                   fit)
    assert started == [1]                                         # the second model never began
    assert caught.value.history.stop_reason.startswith("interrupted at step")
    assert not list((cache_dir / "checkpoints").glob("*.pt"))     # nothing half-trained saved


def test_moving_average_ignores_nothing_finite():
    h = History()
    for i, v in enumerate([1.0, 2.0, 3.0, 4.0]):
        h.log(i, x=v)
    line = h.plot(["x"], smooth=2).axes[0].lines[0]
    assert list(line.get_ydata()) == [1.5, 2.5, 3.5] and list(line.get_xdata()) == [1, 2, 3]
    assert not math.isnan(sum(line.get_ydata()))


def test_train_averages_logs_counts_steps_and_continues_a_history():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    data = torch.randn(64, 3)
    h = regression(net, opt, data, steps=10, batch_size=16, log_every=4)
    assert h.steps["loss"] == [3, 7, 9] and h.finished and not net.training
    assert h["loss"][0] > h["loss"][-1]                     # it learned
    regression(net, opt, data, steps=3, batch_size=16, log_every=1, history=h)
    assert h.steps["loss"][-3:] == [10, 11, 12]


def test_train_calls_update_with_the_batch_the_rng_and_the_step_number_only():
    seen = []

    def update(*args, **kwargs):
        seen.append((len(args), kwargs))
        (x, y), rng, t = args
        assert isinstance(rng, torch.Generator)
        seen.append((t, tuple(x.shape), tuple(y.shape)))
        return {"loss": 0.0}

    net = torch.nn.Linear(2, 1)
    train(update, (torch.zeros(10, 2), torch.zeros(10, dtype=torch.long)), models=[net],
          steps=3, batch_size=5, progress=False)
    assert seen[0::2] == [(3, {})] * 3                   # positionally, nothing else
    assert seen[1::2] == [(t, (5, 2), (5,)) for t in range(3)]
    history = History()
    history.log(6, loss=0.0)
    seen.clear()
    train(update, (torch.zeros(10, 2), torch.zeros(10)), models=[net], steps=2, batch_size=5,
          history=history, progress=False)
    assert [entry[0] for entry in seen[1::2]] == [7, 8]     # t goes on from the history


def test_train_without_data_and_with_a_distribution():
    class Point:
        def sample(self, n, rng=None):
            return torch.ones(n, 2)

    calls = []
    q = torch.nn.Linear(2, 1)
    train(lambda batch, rng, t: calls.append(batch) or {"v": 0.0}, models=[q], steps=4,
          progress=False)
    train(lambda x, rng, t: calls.append(x.shape) or {"v": 0.0}, Point(), models=[q], steps=2,
          batch_size=7, progress=False)
    assert calls == [None, None, None, None, (7, 2), (7, 2)]


def test_the_data_order_and_the_step_draw_different_numbers():
    """The data's generator is seeded with config.derived_seed(seed, "data order"), not with
    the step's seed: on the ring the first batch's modes are not the step's first randint, and
    a tensor's first batch is not the step's first permutation."""
    ring = toy2d.get("ring8")
    drawn = []

    def update(x, rng, t):
        modes = torch.cdist(x, ring.modes).argmin(1)
        drawn.append((modes, torch.randint(len(ring.modes), (len(x),), generator=rng)))
        return {"v": 0.0}

    for seed in (0, 1):
        train(update, ring, models=[torch.nn.Linear(2, 1)], steps=1, batch_size=64, seed=seed,
              progress=False)
        modes, step_draw = drawn.pop()
        assert not torch.equal(modes, step_draw)
        same = torch.randint(8, (64,), generator=torch.Generator().manual_seed(seed))
        assert torch.equal(step_draw, same)                 # the step's rng: seeded with seed
    order = torch.Generator().manual_seed(config.derived_seed(0, "data order"))
    assert torch.equal(ring.sample(64, order), ring.sample(64, torch.Generator().manual_seed(
        config.derived_seed(0, "data order"))))
    data = torch.arange(32.0).unsqueeze(1)
    firsts = []
    train(lambda x, rng, t: firsts.append((x[:, 0].long(), torch.randperm(32, generator=rng)[:8]))
          or {"v": 0.0}, data, models=[torch.nn.Linear(1, 1)], steps=1, batch_size=8,
          progress=False)
    batch, step_perm = firsts[0]
    assert not torch.equal(batch, step_perm)


def test_derived_seed_is_fixed_per_purpose_and_differs_between_purposes():
    assert config.derived_seed(0, "data order") == config.derived_seed(0, "data order")
    seeds = {config.derived_seed(s, p) for s in (0, 1, 2) for p in ("data order", "noise")}
    assert len(seeds) == 6 and all(0 <= s < 2**63 for s in seeds)
    with pytest.raises(ValueError, match="seed"):
        config.derived_seed(-1, "data order")
    with pytest.raises(TypeError, match="purpose"):
        config.derived_seed(0, "")


def test_same_seed_same_history_other_seed_other_history():
    def run(seed):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        opt = adam(net.parameters())

        def noisy_update(x, rng, t):
            loss = (net(x) - torch.randn(len(x), 1, generator=rng, device=x.device)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            return {"loss": loss}
        return train(noisy_update, torch.randn(40, 3, generator=torch.Generator().manual_seed(1)),
                     models=[net], optimizers=[opt], steps=6, batch_size=8, seed=seed,
                     log_every=1, progress=False)["loss"]
    assert run(0) == run(0) and run(0) != run(1)


def test_train_runs_everything_on_the_configured_device(monkeypatch):
    device = torch.device("cpu")
    asked = []
    monkeypatch.setattr(config, "get_device", lambda prefer=None: asked.append(1) or device)
    seen = []
    net = torch.nn.Linear(3, 1)
    opt = adam(net.parameters())

    def spy_update(x, rng, t):
        seen.append((next(net.parameters()).device, x.device, rng.device, net.training))
        return regression_step(net, opt, x, rng)

    train(spy_update, torch.randn(16, 3), models=[net], optimizers=[opt], steps=2, batch_size=8,
          progress=False)
    assert asked and seen == [(device, device, device, True)] * 2 and not net.training


@pytest.mark.parametrize("kwargs, error, message", [
    ({"steps": 0}, ValueError, "steps must be a positive integer"),
    ({"steps": 2.5}, TypeError, "steps must be a positive integer"),
    ({"steps": 2, "batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"steps": 2, "batch_size": 100}, ValueError, "batch_size=100 is larger than the 16 examples"),
    ({"steps": 2, "batch_size": 4, "log_every": 0}, ValueError,
     "log_every must be a positive integer"),
])
def test_train_names_the_argument_that_is_wrong(kwargs, error, message):
    net = torch.nn.Linear(3, 1)
    with pytest.raises(error, match=message):
        regression(net, adam(net.parameters()), torch.randn(16, 3), **kwargs)


def test_train_names_models_or_optimizers_that_are_not_sequences_of_them():
    net = torch.nn.Linear(3, 1)
    opt = adam(net.parameters())
    with pytest.raises(TypeError, match=r"models\[0\] is str"):
        train(lambda x, rng, t: {}, torch.randn(16, 3), models={"net": net}, steps=1,
              batch_size=4, progress=False)
    with pytest.raises(TypeError, match=r"optimizers\[0\] is Linear"):
        train(lambda x, rng, t: {}, torch.randn(16, 3), models=[net], optimizers=[net],
              steps=1, batch_size=4, progress=False)
    with pytest.raises(TypeError, match="update must be a function"):
        train(None, torch.randn(16, 3), models=[net], optimizers=[opt], steps=1, batch_size=4,
              progress=False)


def test_train_stops_on_a_nan_loss_and_keeps_finite_weights():
    net = torch.nn.Linear(3, 1)
    h = regression(net, adam(net.parameters()), torch.ones(16, 3), scale=float("nan"), steps=5,
                   batch_size=4)   # (NaN data are refused before training: see test_bad_inputs)
    assert not h.finished and "loss became nan at step 0" in h.stop_reason
    assert all(torch.isfinite(p).all() for p in net.parameters())
