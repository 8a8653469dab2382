"""genlib.training: History, TrainingRun (progress, NaN guard, interrupt) and the one loop, train."""
import math

import matplotlib
import pytest
import torch

from genlib import config
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


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf"), "3", None, True])
def test_require_positive_rejects(value):
    with pytest.raises(ValueError, match="lr must be a positive"):
        require_positive("lr", value)


def test_require_positive_integer():
    assert require_positive("batch_size", 64, integer=True) == 64
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        require_positive("batch_size", 6.4, integer=True)


def regression_step(net, opt, x, rng, scale=1.0):
    """A least-squares step: the smallest step function the loop can run."""
    loss = net(x).pow(2).mean() * scale
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}


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
        return train(interrupted_step, {"net": net}, {"opt": adam(net.parameters())},
                     torch.randn(16, 3), steps=5, batch_size=4, callback=callback,
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
    h = train(regression_step, {"net": net}, {"opt": opt}, data, steps=10, batch_size=16,
              log_every=4, progress=False)
    assert h.steps["loss"] == [3, 7, 9] and h.finished and not net.training
    assert h["loss"][0] > h["loss"][-1]                     # it learned
    train(regression_step, {"net": net}, {"opt": opt}, data, steps=3, batch_size=16,
          log_every=1, history=h, progress=False)
    assert h.steps["loss"][-3:] == [10, 11, 12]


def test_train_passes_labels_settings_and_the_step_number():
    seen = []

    def labelled_step(net, opt, x, y, rng, t, scale=1.0):
        seen.append((t, tuple(x.shape), tuple(y.shape), scale))
        return {"loss": net(x).sum() * 0}

    net = torch.nn.Linear(2, 1)
    train(labelled_step, {"net": net}, {"opt": adam(net.parameters())},
          (torch.zeros(10, 2), torch.zeros(10, dtype=torch.long)), steps=3, batch_size=5,
          settings={"scale": 2.0}, progress=False)
    assert seen == [(t, (5, 2), (5,), 2.0) for t in range(3)]


def test_train_without_data_and_with_a_distribution():
    class Point:
        def sample(self, n, rng=None):
            return torch.ones(n, 2)

    calls = []
    q = torch.nn.Linear(2, 1)
    opt = adam(q.parameters())
    train(lambda q, opt, rng: calls.append(1) or {"v": 0.0}, {"q": q}, {"opt": opt}, steps=4,
          progress=False)
    train(lambda q, opt, x, rng: calls.append(x.shape) or {"v": 0.0}, {"q": q}, {"opt": opt},
          Point(), steps=2, batch_size=7, progress=False)
    assert calls == [1, 1, 1, 1, (7, 2), (7, 2)]


def test_same_seed_same_history_other_seed_other_history():
    def run(seed):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)

        def noisy_step(net, opt, x, rng):
            loss = (net(x) - torch.randn(len(x), 1, generator=rng, device=x.device)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            return {"loss": loss}
        return train(noisy_step, {"net": net}, {"opt": adam(net.parameters())},
                     torch.randn(40, 3, generator=torch.Generator().manual_seed(1)), steps=6,
                     batch_size=8, seed=seed, log_every=1, progress=False)["loss"]
    assert run(0) == run(0) and run(0) != run(1)


def test_train_runs_everything_on_the_configured_device(monkeypatch):
    device = torch.device("cpu")
    asked = []
    monkeypatch.setattr(config, "get_device", lambda prefer=None: asked.append(1) or device)
    seen = []

    def spy_step(net, opt, x, rng):
        seen.append((next(net.parameters()).device, x.device, rng.device, net.training))
        return regression_step(net, opt, x, rng)

    net = torch.nn.Linear(3, 1)
    train(spy_step, {"net": net}, {"opt": adam(net.parameters())}, torch.randn(16, 3), steps=2,
          batch_size=8, progress=False)
    assert asked and seen == [(device, device, device, True)] * 2 and not net.training


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 0}, "steps must be a positive integer"),
    ({"steps": 2.5}, "steps must be a positive integer"),
    ({"steps": 2, "batch_size": 0}, "batch_size must be a positive integer"),
    ({"steps": 2, "batch_size": 100}, "batch_size=100 is larger than the 16 examples"),
    ({"steps": 2, "batch_size": 4, "log_every": 0}, "log_every must be a positive integer"),
    ({"steps": 2, "batch_size": 4, "settings": {"sclae": 2.0}}, r"has no parameters \['sclae'\]"),
])
def test_train_names_the_argument_that_is_wrong(kwargs, message):
    net = torch.nn.Linear(3, 1)
    with pytest.raises(ValueError, match=message):
        train(regression_step, {"net": net}, {"opt": adam(net.parameters())}, torch.randn(16, 3),
              progress=False, **kwargs)


def test_train_says_which_model_or_optimiser_the_step_needs():
    net = torch.nn.Linear(3, 1)
    with pytest.raises(ValueError, match=r"regression_step needs \['opt'\]"):
        train(regression_step, {"net": net}, {"optimizer": adam(net.parameters())},
              torch.randn(16, 3), steps=1, batch_size=4, progress=False)


def test_train_stops_on_a_nan_loss_and_keeps_finite_weights():
    net = torch.nn.Linear(3, 1)
    h = train(regression_step, {"net": net}, {"opt": adam(net.parameters())},
              torch.ones(16, 3), steps=5, batch_size=4, settings={"scale": float("nan")},
              progress=False)   # (NaN data are refused before training: see test_bad_inputs)
    assert not h.finished and "loss became nan at step 0" in h.stop_reason
    assert all(torch.isfinite(p).all() for p in net.parameters())
