"""History, TrainingRun (progress, NaN guard, interrupt, budget) and require_positive."""
import math

import matplotlib
import pytest
import torch

from genlib.training import History, TrainingRun, require_positive

matplotlib.use("Agg")


def test_history_logs_and_round_trips():
    h = History("demo")
    for step in range(5):
        h.log(step, loss=torch.tensor(1.0 / (step + 1)), acc=step)
    assert h["loss"][0] == 1.0 and h.last("acc") == 4.0 and len(h) == 5
    again = History.from_state_dict(h.state_dict())
    assert again.metrics == h.metrics and again.from_cache
    fig = h.plot([["loss"], ["acc"]], smooth=2)
    assert len(fig.axes) == 2


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf"), "3", None, True])
def test_require_positive_rejects(value):
    with pytest.raises(ValueError, match="must be a positive"):
        require_positive("lr", value)


def test_require_positive_integer():
    assert require_positive("batch_size", 64, integer=True) == 64
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        require_positive("batch_size", 6.4, integer=True)


def _step(model, opt, x, scale=1.0):
    loss = model(x).pow(2).mean() * scale
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def test_nan_loss_stops_and_restores_last_good_weights(capsys):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(8, 3)
    with TrainingRun(total=100, models=[model], desc="t", snapshot_every=5, progress=False) as run:
        for step in run:
            if step == 12:
                with torch.no_grad():
                    model.weight.fill_(float("nan"))
            loss = _step(model, opt, x)
            if not run.check_finite(loss=loss):
                break
            run.log(step, loss=loss)
            if step == 9:
                good = {k: v.clone() for k, v in model.state_dict().items()}
    assert run.history.stop_reason.startswith("loss became nan at step 12")
    assert "restored the weights of step" in run.history.stop_reason
    assert torch.isfinite(model.weight).all()
    assert all(torch.equal(model.state_dict()[k], good[k]) for k in good)  # snapshot after step 9
    assert len(run.history) == 12
    assert "training stopped" in capsys.readouterr().out


def test_interrupt_returns_partial_history():
    model = torch.nn.Linear(2, 1)
    with TrainingRun(total=50, models=[model], progress=False) as run:
        for step in run:
            run.log(step, loss=1.0)
            if step == 6:
                raise KeyboardInterrupt
    assert run.history.stop_reason == "interrupted at step 6"
    assert len(run.history) == 7


def test_over_batches_and_time_budget():
    batches = [torch.zeros(2)] * 4
    with TrainingRun(progress=False) as run:
        seen = [step for step, _ in run.over(batches, epochs=3)]
    assert seen == list(range(12)) and run.history.finished
    with TrainingRun(total=10**9, progress=False, max_seconds=0.05) as run:
        n = sum(1 for _ in run)
    assert 0 < n < 10**9 and run.history.finished and run.history.seconds >= 0.05
    with pytest.raises(ValueError, match="epochs"):
        with TrainingRun(progress=False) as run:
            list(run.over(batches, epochs=0))


def test_moving_average_ignores_nothing_finite():
    h = History()
    for i, v in enumerate([1.0, 2.0, 3.0, 4.0]):
        h.log(i, x=v)
    fig = h.plot(["x"], smooth=2)
    line = fig.axes[0].lines[0]
    assert list(line.get_ydata()) == [1.5, 2.5, 3.5] and list(line.get_xdata()) == [1, 2, 3]
    assert not math.isnan(sum(line.get_ydata()))


def _conv_vae_and_dcgan_after_training(channels_last: bool, monkeypatch):
    """A conv VAE (train_vae) and a DCGAN (train_gan), a few steps each from fixed weights;
    the layout of their convolution weights seen from inside the loops."""
    from genlib.models.conv_vae import ConvVAE
    from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from genlib.training import real_sampler, train_gan, train_vae
    monkeypatch.setattr(TrainingRun, "channels_last", channels_last)
    images = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    vae = ConvVAE(28, 1, latent_dim=4, width=8, hidden=32)
    layouts = []

    def seen(models):
        return lambda step: layouts.append([[p.is_contiguous() for p in m.parameters()
                                             if p.dim() == 4] for m in models])
    train_vae(vae, images, epochs=1, batch_size=16, seed=1, device="cpu", progress=False,
              callback=seen([vae]))
    torch.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=8, width=8), DCGANDiscriminator(width=8)
    train_gan(g, d, real_sampler(images * 2 - 1, 16, torch.Generator().manual_seed(2)), 4,
              noise=torch.Generator().manual_seed(3), progress=False, callback=seen([g, d]),
              callback_every=1)
    return (vae, g, d), layouts


def test_cpu_training_uses_channels_last_convolutions_with_the_same_maths(monkeypatch):
    fast, fast_layouts = _conv_vae_and_dcgan_after_training(True, monkeypatch)
    plain, plain_layouts = _conv_vae_and_dcgan_after_training(False, monkeypatch)
    # inside the loops: NHWC weights (a 1-input-channel kernel is contiguous either way)
    assert len(fast_layouts) == len(plain_layouts) == 4 + 4
    assert all(not all(sum(models, [])) for models in fast_layouts)
    assert all(all(sum(models, [])) for models in plain_layouts)
    for fast_model, plain_model in zip(fast, plain):
        # afterwards: the usual layout again, and the same weights up to rounding
        assert all(p.is_contiguous() for p in fast_model.parameters())
        for a, b in zip(fast_model.state_dict().values(), plain_model.state_dict().values()):
            assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)
