"""genlib.training.adam: the same update as PyTorch's default Adam."""
import pytest
import torch

from genlib.training import adam


def test_adam_is_fused_on_the_cpu_and_takes_the_same_steps_as_the_default():
    torch.manual_seed(0)
    ours, default = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    default.load_state_dict(ours.state_dict())
    opt_ours = adam(ours.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_default = torch.optim.Adam(default.parameters(), lr=1e-2, betas=(0.5, 0.999))
    assert opt_ours.defaults["betas"] == (0.5, 0.999) and opt_ours.defaults["lr"] == 1e-2
    x = torch.randn(16, 5)
    for _ in range(20):
        for model, opt in ((ours, opt_ours), (default, opt_default)):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    assert not torch.equal(ours.weight, torch.nn.Linear(5, 3).weight)  # it did move
    for a, b in zip(ours.parameters(), default.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adam_takes_complex_parameters_and_refuses_none():
    weights = torch.nn.Parameter(torch.zeros(3, dtype=torch.complex64))
    adam([weights])  # no fused kernel for these: the default implementation
    with pytest.raises(ValueError, match="at least one parameter"):
        adam([])
