"""WeightAverage: theta_avg <- decay theta_avg + (1 - decay) theta, checked by hand."""
import pytest
import torch
from torch import nn

from genlib.training.ema import WeightAverage


def test_average_follows_the_update_rule_with_its_warm_up():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    average = WeightAverage(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average.update()  # warm-up decay min(0.5, 2/11) = 2/11
    assert average.model.weight.item() == pytest.approx(9 / 11)
    with torch.no_grad():
        model.weight.fill_(3.0)
    average.update()  # min(0.5, 3/12) = 1/4
    assert average.model.weight.item() == pytest.approx(0.25 * 9 / 11 + 0.75 * 3.0)
    for _ in range(20):
        average.update()  # decay 0.5 from the 9th update on; the average converges to 3
    assert average.model.weight.item() == pytest.approx(3.0, abs=1e-4)


def test_batch_norm_statistics_are_averaged_and_counters_copied():
    model = nn.BatchNorm1d(2)
    average = WeightAverage(model, decay=0.9)
    model.train()
    model(torch.randn(64, 2) * 3 + 5)
    average.update()
    assert int(average.model.num_batches_tracked) == 1
    expected = (2 / 11) * torch.zeros(2) + (9 / 11) * model.running_mean
    assert torch.allclose(average.model.running_mean, expected)
    assert not average.model.training  # the average is for sampling
    assert not any(p.requires_grad for p in average.model.parameters())


def test_average_leaves_the_source_alone_and_rejects_bad_decay():
    model = nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    WeightAverage(model, 0.99).update()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, 1.0)
