"""The exercises of notebook 06 (VAEs on images): the test cases whose right results are stored,
and the checks that test behaviour."""
from __future__ import annotations

import torch
from torch import nn

from ..exercise_results import NONFINITE, tensor_problem
from .framework import Case, Exercise, ExerciseNotDone, NOT_DONE, Verdict, coded, first_line


def _cases_06_1():
    rng = torch.Generator().manual_seed(60)
    return [Case((-300 + 3 * torch.randn(50, 3, generator=rng),),
                 "50 log-weights for each of 3 images, around -300 nats as for real images"),
            Case((50 * torch.randn(7, 4, generator=rng),), "log-weights spread over hundreds of nats"),
            Case((torch.randn(1, 5, generator=rng),), "K = 1"),
            Case((torch.randn(6, 2, 3, generator=rng) - 100,), "a 6 x 2 x 3 tensor, K = 6")]


class _ProbeVAE(nn.Module):
    """A VAE with a fixed q(z|x) and a linear decoder, for checking posterior samples: the codes
    an answer decoded can be read back from the pixel probabilities it returns."""

    def __init__(self):
        super().__init__()
        self.image_shape = (1, 28, 28)
        self.latent_dim = 4
        rng = torch.Generator().manual_seed(61)
        self.register_buffer("mu", torch.tensor([[0.5, -1.0, 2.0, 0.0]]))
        self.register_buffer("logvar", torch.log(torch.tensor([[0.04, 0.25, 1.0, 0.09]])))
        self.register_buffer("weight", torch.randn(4, 784, generator=rng) * 0.3)
        self.register_buffer("bias", torch.randn(784, generator=rng) * 0.3)

    def encode(self, x):
        return self.mu.expand(len(x), -1), self.logvar.expand(len(x), -1)

    def decode(self, z):
        return (z @ self.weight + self.bias).view(-1, *self.image_shape)

    def generate(self, z):
        return torch.sigmoid(self.decode(z))

    def forward(self, x):
        from ..objectives.elbo import reparameterize
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def codes(self, probabilities: torch.Tensor) -> tuple[torch.Tensor, float]:
        """The codes z whose decoding gave ``probabilities``, and the worst relative residual."""
        logits = torch.logit(probabilities.detach().double().flatten(1).clamp(1e-7, 1 - 1e-7))
        target = logits - self.bias.double()
        z = torch.linalg.lstsq(self.weight.double().T, target.T).solution.T
        residual = (z @ self.weight.double() - target).norm(dim=1) / (1 + target.norm(dim=1))
        return z, residual.max().item()


def _posterior_sample_problem(out, vae: _ProbeVAE, n: int) -> str | None:
    if not isinstance(out, torch.Tensor):
        return f"it returned a {type(out).__name__}, not a tensor of images"
    if tensor_problem(out):
        return tensor_problem(out)
    if tuple(out.shape) != (n, *vae.image_shape):
        return (f"asked for n = {n} samples of one 1 x 28 x 28 image it returned shape "
                f"{tuple(out.shape)}, expected {(n, *vae.image_shape)}")
    out = out.detach()
    if not torch.isfinite(out).all():
        return NONFINITE
    if out.min() < 0 or out.max() > 1:
        return "these are not pixel probabilities: pass the decoder's logits through a sigmoid"
    if ((out == 0) | (out == 1)).float().mean() > 0.5:
        return "return the decoder's pixel probabilities, not binary images drawn from them"
    z, residual = vae.codes(out)
    if residual > 1e-3:
        return "the images are not the decoder's outputs at some codes z (decode, then sigmoid)"
    u = (z - vae.mu.double()) / torch.exp(0.5 * vae.logvar.double())   # standardised codes
    if (u - u[:1]).abs().max() < 1e-5:
        return "all your samples are the same: draw a new eps for every sample"
    if u.mean(0).abs().max() > 0.15:
        return "your samples are not centred on the encoder's mean mu(x)"
    if ((u.std(0) - 1).abs() > 0.1).any():
        return ("the spread of your samples is not the encoder's standard deviation "
                "sigma = exp(logvar / 2) in every latent dimension")
    corr = torch.corrcoef(u.T) - torch.eye(u.shape[1], dtype=u.dtype)
    if corr.abs().max() > 0.15:
        return "your eps are not independent across the latent dimensions"
    within_one = (u.abs() < 1).double().mean()
    if not 0.65 < within_one < 0.72:
        return "your eps do not look standard normal (torch.randn draws them so)"
    return None


def _check_06_2(answer, name, vae=None, x=None):
    n = 2000
    probe = _ProbeVAE()
    try:
        problem = _posterior_sample_problem(answer(probe, torch.zeros(1, 1, 28, 28), n), probe, n)
        if problem is None and vae is not None and x is not None:
            out = answer(vae, x)
            shape = (8, *x.shape[1:])
            if isinstance(out, torch.Tensor) and tensor_problem(out):
                problem = tensor_problem(out)
            elif not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
                got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                problem = (f"with the notebook's model and the default n it returned "
                           f"{got}, expected shape {shape}")
            elif out.min() < 0 or out.max() > 1:
                problem = "with the notebook's model it returned values outside [0, 1]"
    except ExerciseNotDone:
        return Verdict(False, f"{name}: {NOT_DONE}")
    except Exception as exc:  # the student's bug, reported
        problem = f"it raised {type(exc).__name__}: {first_line(exc)}"
    if problem:
        return Verdict(False, f"{name}: not yet - {problem}.")
    return Verdict(True, f"{name}: right!")


EXERCISES = [
    coded("06.1", "the importance-weighted bound", "my_iwae_bound", _cases_06_1),
    coded("06.2", "samples of the posterior", "posterior_samples", None, checker=_check_06_2),
    Exercise('06.3', "think", 'the border between two classes'),
]
