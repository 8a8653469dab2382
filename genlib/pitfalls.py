r"""Spot the bug: notebook 10's broken training steps (:mod:`genlib.broken_steps`, collected from
the notebook's cells), and a self-check that runs a (fixed) step for a few iterations and says
whether it now learns (notebook 10, "Spot the bug").

Two small tasks keep every check to a second or two:

* ``"gan"``: real data x ~ N(3, 0.5^2) on the line; a generator G(z) = MLP(z), z ~ N(0, 1),
  starting near 0; an MLP discriminator giving *logits*. A step has ``gan_step``'s signature,
  ``step(G, D, opt_G, opt_D, x, rng)``: it draws z from ``rng``, updates D once, then G once,
  and returns a dict. It *learns* if, checked every 25 steps over the second half of 400
  steps, the generated mean stays within 0.5 of 3, and the samples have not collapsed to a
  point (final standard deviation above 0.08). Staying there matters: a broken step can
  pass through 3 on its way elsewhere.
* ``"vae"``: 8x8 digit scans (binarised), a small MLP VAE with a 2-D latent. A step has
  ``vae_step``'s signature, ``step(vae, opt, x, rng)``: one update on a batch. It *learns* if
  the true ELBO (computed here, not by the step) on held-out digits rises by at least 5 nats
  per image.

Before training, one step is probed, so that a "fix" must keep the model it fixes: with
optimisers that only record the gradients they are handed, a GAN step must hand the
discriminator a gradient and the generator one that changes with the discriminator (no
generator trained without it), and must not depend on what ``.grad`` held before it was
called; a VAE step's gradient must be that of reconstruction + KL, the negative ELBO up to a
positive factor (the KL present, with its sign and its weight).

Every broken step fails its check, a correct fix passes, and plausible wrong fixes fail
(tests/test_pitfalls.py). ``check_fix`` refuses the library's own steps and says so when a step
is still the broken one as given; ``evaluate_step`` runs any step, the library's included.
Both leave the global random state as they found it: the tasks draw from their own generators.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import functools
import inspect
import textwrap
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from . import broken_steps
from .config import torch_threads
from .exercise_state import Watched, answer_session, with_changes
from .exercises import NOT_DONE, ExerciseNotDone
from .data import binarize, load_images
from .models.mlp_gan import MLPDiscriminator, MLPGenerator
from .models.vae import MLPVAE
from .objectives.elbo import elbo, reparameterize

REAL_MEAN, REAL_STD = 3.0, 0.5
GAN_MEAN_TOLERANCE = 0.5  # |generated mean - 3| at every check of the second half
GAN_MIN_SPREAD = 0.08     # the final generated standard deviation (a point mass fails)
VAE_MIN_GAIN = 5.0        # nats per image the held-out ELBO must rise
UNCHANGED_AFTER = 20      # GAN task: stop when no step has moved the generator by then


@dataclass
class Pitfall:
    name: str
    task: str            # "gan" or "vae"
    step: Callable
    symptom: str         # what a learner sees
    hint: str            # where to look

    def source(self) -> str:
        return inspect.getsource(self.step)


PITFALLS = {p.name: p for p in [
    Pitfall("generator not in its loss", "gan", broken_steps.step_1,
            "the generated samples never move",
            "Which network's output does g_loss depend on?"),
    Pitfall("fake batch detached", "gan", broken_steps.step_2,
            "the generated samples never move, yet both losses change",
            "Can a gradient of g_loss reach the generator's weights?"),
    Pitfall("labels swapped", "gan", broken_steps.step_3,
            "the samples run away from the data",
            "What does the discriminator learn to call real?"),
    Pitfall("BCE on logits", "gan", broken_steps.step_4,
            "an error about values between 0 and 1 (in TensorFlow: silent, a double sigmoid)",
            "What does the discriminator return, and what does nn.BCELoss expect?"),
    Pitfall("gradients never zeroed", "gan", broken_steps.step_5,
            "training oscillates or drifts; losses look erratic",
            "What does .backward() do to a .grad that already holds a value?"),
    Pitfall("KL with the wrong sign", "vae", broken_steps.step_6,
            "reconstructions look fine while the KL term explodes; samples from the prior "
            "are garbage",
            "Is the ELBO maximised or minimised, and which sign does the KL take in it?"),
]}


# ---------------------------------------------------------------- the self-check
@dataclass
class CheckResult:
    learns: bool
    message: str

    def __bool__(self) -> bool:
        return self.learns


class _Recorder(torch.optim.SGD):
    """An optimiser that moves nothing: each ``step()`` records the gradients it was handed."""

    def __init__(self, params):
        super().__init__(params, lr=0.0)
        self.seen: list[list[torch.Tensor | None]] = []

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        self.seen.append([None if p.grad is None else p.grad.clone()
                          for group in self.param_groups for p in group["params"]])


def _has_gradient(seen) -> bool:
    return any(g is not None and bool(g.abs().sum()) for grads in seen for g in grads)


def _same_gradients(a, b) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all((u is None and v is None) or (u is not None and v is not None
                                                                and torch.allclose(u, v, atol=1e-7))
                                 for u, v in zip(x, y))
        for x, y in zip(a, b))


def _rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def _seeded(seed: int):
    """The global random state seeded with ``seed`` inside (for initial weights, and for a step
    that draws without its ``rng``), and put back as it was afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _gan_models(seed: int, discriminators: int = 1):
    with _seeded(seed):
        return (MLPGenerator(latent_dim=1, hidden=16, depth=2, data_dim=1),
                *[MLPDiscriminator(data_dim=1, hidden=32, depth=2) for _ in range(discriminators)])


def _real_batch(data_rng: torch.Generator) -> torch.Tensor:
    return REAL_MEAN + REAL_STD * torch.randn(128, 1, generator=data_rng)


def _gan_probe(step_fn, seed: int) -> str | None:
    """What one step hands each optimiser, from one state, three ways (module docstring)."""
    generator, *discriminators = _gan_models(seed + 100, discriminators=2)
    x = _real_batch(_rng(seed))

    def run(discriminator, stale_gradients: bool):
        G, D = copy.deepcopy(generator), copy.deepcopy(discriminator)
        if stale_gradients:
            left_over = _rng(seed + 7)
            for p in [*G.parameters(), *D.parameters()]:
                p.grad = torch.randn(p.shape, generator=left_over)
        opt_G, opt_D = _Recorder(G.parameters()), _Recorder(D.parameters())
        with _seeded(seed):   # every run draws the same z
            step_fn(G, D, opt_G, opt_D, x.clone(), _rng(seed))
        return opt_G.seen, opt_D.seen

    g_seen, d_seen = run(discriminators[0], False)
    if not _has_gradient(d_seen):
        return ("the discriminator never learns: its optimiser never steps with a gradient, "
                "and a generator can only learn from a discriminator that does")
    if not _has_gradient(g_seen):
        return ("no gradient reaches the generator's weights when its optimiser steps, so the "
                "generated samples can never move")
    g_stale, d_stale = run(discriminators[0], True)
    if not (_same_gradients(g_stale, g_seen) and _same_gradients(d_stale, d_seen)):
        return ("the update depends on what .grad held before the step was called: each "
                "optimiser must step with the gradient of its own loss alone (zero the gradients "
                "before each backward())")
    if _same_gradients(run(discriminators[1], False)[0], g_seen):
        return ("the generator's update does not depend on the discriminator: in a GAN the "
                "generator learns from the discriminator's verdict on its samples")
    return None


def _flat(grads, params) -> torch.Tensor:
    return torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                      for g, p in zip(grads, params)])


def _vae_model(seed: int) -> MLPVAE:
    with _seeded(seed):
        return MLPVAE((1, 8, 8), latent_dim=2, hidden=(64,))


def _vae_probe(step_fn, seed: int) -> str | None:
    """Is one step's gradient that of reconstruction + KL (module docstring)?"""
    train, _ = _digits()
    vae = _vae_model(seed + 100)
    x = train[:64].clone()
    params = list(vae.parameters())
    opt = _Recorder(params)
    with _seeded(seed):   # a step drawing from the global RNG draws the same eps
        step_fn(vae, opt, x.clone(), _rng(seed))
    if not _has_gradient(opt.seen):
        return "no gradient reaches the model's weights when its optimiser steps"
    yours = _flat(opt.seen[-1], params)
    mu, logvar = vae.encode(x)
    logits = vae.decode(reparameterize(mu, logvar, _rng(seed)))   # the eps the step drew
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum() / len(x)
    terms = torch.stack([
        _flat(torch.autograd.grad(reconstruction, params, retain_graph=True, allow_unused=True), params),
        _flat(torch.autograd.grad(kl, params, allow_unused=True), params)], 1).double()
    a, b = torch.linalg.lstsq(terms, yours.double()[:, None]).solution.flatten().tolist()
    residual = (yours.double() - terms @ torch.tensor([a, b], dtype=torch.float64)).norm() / yours.norm()
    if residual > 0.05:
        return ("the update is not a gradient step on a reconstruction term plus a KL term: "
                "check each term of your loss")
    if a <= 0:
        return "the update climbs the reconstruction loss instead of descending it"
    if abs(b) < 0.05 * a:
        return ("the loss has no KL term: that trains an autoencoder, not a VAE, and nothing "
                "makes samples from the prior look like the data")
    if b < 0:
        return "the KL enters the loss with the wrong sign"
    if abs(b / a - 1) > 0.1:
        return ("the reconstruction and the KL are weighted differently than in the ELBO (is one "
                "averaged over the pixels and the other summed over the latent dimensions?)")
    return None


def _gan_task(step_fn, steps: int, seed: int) -> CheckResult:
    problem = _gan_probe(step_fn, seed)
    if problem:
        return CheckResult(False, problem)
    generator, discriminator = _gan_models(seed)
    opt_G = torch.optim.Adam(generator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(discriminator.parameters(), lr=5e-3, betas=(0.5, 0.999))
    before = [p.detach().clone() for p in generator.parameters()]
    data_rng, z_eval = _rng(seed), torch.randn(2000, 1, generator=_rng(seed + 1))
    means, stds = [], []  # of the generated samples, every 25 steps in the second half
    with _seeded(seed + 2):   # the step's draws: from its rng, or the same from the global one
        rng = _rng(seed + 2)
        for i in range(steps):
            step_fn(generator, discriminator, opt_G, opt_D, _real_batch(data_rng), rng)
            if i + 1 == UNCHANGED_AFTER and _unchanged(before, generator):
                break  # a generator that no step has moved yet never will: stop early
            if i >= steps // 2 and (i + 1) % 25 == 0:
                with torch.no_grad():
                    fake = generator(z_eval)
                means.append(fake.mean().item())
                stds.append(fake.std().item())
    if not all(torch.isfinite(p).all() for p in generator.parameters()):
        return CheckResult(False, "the generator's weights became NaN or Inf")
    if _unchanged(before, generator):
        return CheckResult(False, "the generator's weights never changed: no gradient reaches "
                                  "them, or its optimiser never steps")
    worst = max(means, key=lambda m: abs(m - REAL_MEAN))
    summary = (f"over the last {steps - steps // 2} steps the generated mean stayed between "
               f"{min(means):.2f} and {max(means):.2f} (data {REAL_MEAN}); final spread "
               f"{stds[-1]:.2f} (data {REAL_STD})")
    ok = abs(worst - REAL_MEAN) < GAN_MEAN_TOLERANCE and stds[-1] > GAN_MIN_SPREAD
    return CheckResult(ok, summary)


def _unchanged(before: list[torch.Tensor], model: nn.Module) -> bool:
    return all(torch.equal(b, p) for b, p in zip(before, model.parameters()))


_DIGITS: dict = {}


def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    if not _DIGITS:
        images, _ = load_images("digits", "train")
        binary = binarize(images, rng=_rng(0))
        _DIGITS["train"], _DIGITS["held_out"] = binary[:1200], binary[1200:]
    return _DIGITS["train"], _DIGITS["held_out"]


def _true_elbo(vae, x: torch.Tensor) -> float:
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        logits = vae.decode(reparameterize(mu, logvar, _rng(1)))
        return elbo(x, logits, mu, logvar).elbo.mean().item()


def _vae_task(step_fn, steps: int, seed: int) -> CheckResult:
    problem = _vae_probe(step_fn, seed)
    if problem:
        return CheckResult(False, problem)
    train, held_out = _digits()
    vae = _vae_model(seed)
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    start = _true_elbo(vae, held_out)
    order = _rng(seed)
    with _seeded(seed + 2):   # the step's draws: from its rng, or the same from the global one
        rng = _rng(seed + 2)
        for _ in range(steps):
            x = train[torch.randint(len(train), (64,), generator=order)]
            vae.train()
            step_fn(vae, opt, x, rng)
    vae.eval()
    end = _true_elbo(vae, held_out)
    summary = f"held-out ELBO went from {start:.1f} to {end:.1f} nats per image"
    if end != end:  # NaN
        return CheckResult(False, "the held-out ELBO became NaN")
    return CheckResult(end > start + VAE_MIN_GAIN, summary)


TASKS = {"gan": (_gan_task, 400), "vae": (_vae_task, 300)}


def evaluate_step(step_fn: Callable, task: str = "gan", steps: int | None = None,
                  seed: int = 0) -> CheckResult:
    """Probe ``step_fn`` once, then train with it on ``task`` for ``steps`` iterations (the
    module docstring says what passes). Any step, the library's broken ones included; the
    global random state is left as it was (a step that draws from it rather than from its
    ``rng`` draws the same numbers). A crash counts as "does not learn"."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    run, default_steps = TASKS[task]
    try:
        with torch_threads(1), torch.random.fork_rng(devices=[]):  # tiny networks: one thread
            return run(step_fn, steps or default_steps, seed)
    except ExerciseNotDone:
        return CheckResult(False, NOT_DONE)
    except Exception as exc:  # the student's bug, reported
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return CheckResult(False, f"raised {type(exc).__name__}: {first}")


def _shape_of(step_fn: Callable) -> str | None:
    """The step's syntax tree without names, comments or layout (None: no source to read)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(step_fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    function = tree.body[0]
    function.name, function.decorator_list = "step", []
    return ast.dump(function, annotate_fields=False)


def unchanged_bug(step_fn: Callable) -> int | None:
    """The number of the bug (1-6) whose broken step ``step_fn`` still is, or None."""
    shape = _shape_of(step_fn)
    if shape is None:
        return None
    for number, pitfall in enumerate(PITFALLS.values(), 1):
        if shape == _shape_of(pitfall.step):
            return number
    return None


def _library_object(step_fn) -> bool:
    target = step_fn
    while isinstance(target, functools.partial):
        target = target.func
    module = getattr(inspect.unwrap(target), "__module__", None) or ""
    return module.split(".")[0] in ("genlib", "instructor")


def check_fix(step_fn: Callable, task: str = "gan", steps: int | None = None, seed: int = 0,
              name: str | None = None, quiet: bool = False) -> CheckResult:
    """Check a student's fix of one of the broken steps: probe it, train with it on ``task``
    ("gan" or "vae", see the module docstring) and print whether it now learns. Returns a
    truthy/falsy ``CheckResult``.

    A step that is still the broken one as given is not run: predict its symptom first. What
    the step changes in the session (gradient mode, default dtype, threads, ...) is put back
    after the check and named in its message. The library's own steps are refused (write the fix in the notebook's cell); ``evaluate_step``
    runs them. Errors raised by the step are reported, not raised.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    label = name or getattr(step_fn, "__name__", "your step")
    bug = unchanged_bug(step_fn) if callable(step_fn) else None
    if not callable(step_fn):
        result, verdict = CheckResult(False, f"expected a step function, got a "
                                             f"{type(step_fn).__name__}"), "does NOT learn"
    elif _library_object(step_fn):
        result, verdict = CheckResult(False, "this is genlib's own step, not your fix: fix the "
                                             "step in the notebook's cell and check that"), \
            "not checked"
    elif bug is not None:
        result, verdict = CheckResult(False, f"this is still bug {bug} as given. Predict what "
                                             "training with it would show, then fix it and run "
                                             "this check again"), "not fixed yet"
    else:   # what the step changes in the session is put back, and said
        with answer_session() as changes:
            result = evaluate_step(Watched(step_fn, changes), task, steps, seed)
        result = CheckResult(result.learns, with_changes(result.message, changes))
        verdict = "learns" if result.learns else "does NOT learn"
    if not quiet:
        print(f"{label}: {verdict} - {result.message}")
    return result
