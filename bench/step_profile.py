"""Where the time of one training step goes: data, forward, backward, optimiser.

For each model, ours and the reference, a phase clock times the four phases over a few
dozen steps (after warm-up); the figure is time per step, the median over 3 interleaved
repeats. The reference's step is :mod:`bench.reference`'s own code, clock included. Ours
re-states one step of :func:`~genlib.training.vae.train_vae` /
:func:`~genlib.training.gan.train_gan` from the same genlib pieces (``Batches``,
``binarize``, ``model_elbo``, the GAN losses and ``gradient_penalty``) with the clock around
them; the "profiled / measured" column compares its step time with the real loop's
throughput measured just before (close to 1: the re-statement is faithful; above 1 the
real loop has overhead the re-statement lacks: progress bar, NaN guard, logging).

Work is counted with the formulas of ``torch.utils.flop_counter`` (matrix products and
convolutions, forward and backward: the floating-point work that matters) and compared with
this machine's fp32 matrix-multiply peak, measured in the same run: the best rate of
repeated ``1024 x 1024`` products on all threads.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from collections import defaultdict

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from genlib.data import Batches, binarize
from genlib.objectives.gan import discriminator_loss, generator_loss
from genlib.objectives.wasserstein import critic_loss, gradient_penalty
from genlib.training import TrainingRun, adam
from genlib.training.vae import model_elbo

from . import Section, markdown_table
from .reference import no_clock
from .throughput import Throughput, Workload, images_per_step

PHASES = ("data", "forward", "backward", "optimiser")


class PhaseClock:
    """``with clock("forward"): ...`` adds the block's wall time to ``seconds["forward"]``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start


def matmul_peak_gflops(size: int = 1024, products: int = 8, trials: int = 7) -> float:
    """The best fp32 rate of ``products`` back-to-back ``size x size`` matrix products over
    ``trials`` tries (GFLOP/s; one product is 2 size^3 floating-point operations)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)  # warm-up
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(products):
            torch.mm(a, b, out=out)
        best = max(best, 2 * size ** 3 * products / (time.perf_counter() - start) / 1e9)
    return best


class FlopCount(TorchDispatchMode):
    """Counts the FLOPs of matrix products and convolutions (PyTorch's ``flop_registry``,
    the formulas of ``FlopCounterMode``), forward and backward. Unlike ``FlopCounterMode``
    it tracks no modules, so it also follows ``autograd.grad`` (the gradient penalty)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def count_flops(train_steps, steps: int = 1) -> int:
    """Matrix-product and convolution FLOPs (forward + backward) of ``steps`` steps."""
    with FlopCount() as counter:
        train_steps(steps)
    return counter.total


# ----------------------------------------------------------------------------- ours
def endless(batches: Batches):
    while True:
        yield from batches


def ours_vae_steps(w: Workload):
    """One step of ``train_vae`` (dynamic binarisation, ELBO, Adam; the recipe's settings)."""
    model, cfg = w.models["vae"], w.settings
    device = next(model.parameters()).device
    optimizer = adam(model.parameters(), lr=cfg["lr"])
    generator = torch.Generator().manual_seed(cfg["seed"])
    batches = endless(Batches(w.data["images"], batch_size=cfg["batch_size"],
                              generator=generator))

    def train_steps(steps: int, clock=no_clock) -> int:
        model.train()
        for _ in range(steps):
            with clock("data"):
                (x,) = next(batches)
                x = binarize(x, generator=generator).to(device)
            with clock("forward"):
                loss = -model_elbo(model, x, beta=cfg["beta"]).elbo.mean()
            with clock("backward"):
                optimizer.zero_grad()
                loss.backward()
            with clock("optimiser"):
                optimizer.step()
        return steps * cfg["batch_size"]
    return train_steps


def ours_gan_steps(w: Workload):
    """One step of ``train_gan``: ``d_steps`` discriminator (critic) updates on fresh real
    batches and detached fakes, then one generator update on new noise."""
    generator, discriminator = w.models["generator"], w.models["discriminator"]
    cfg, next_real, noise = w.settings, w.data["next_real"], w.data["noise"]
    opt_g, opt_d = w.data["optimizers"]
    device = next(generator.parameters()).device
    critic = cfg["loss"] == "wgan-gp"

    def sample_z(n: int) -> torch.Tensor:
        return torch.randn(n, generator.latent_dim, generator=noise).to(device)

    def train_steps(steps: int, clock=no_clock) -> int:
        generator.train(), discriminator.train()
        for _ in range(steps):
            for _ in range(cfg["d_steps"]):
                with clock("data"):
                    real = next_real().to(device)
                with clock("forward"):
                    fake = generator(sample_z(len(real))).detach()
                    real_out, fake_out = discriminator(real), discriminator(fake)
                    if critic:
                        d_total = (critic_loss(real_out, fake_out) + cfg["gp_weight"]
                                   * gradient_penalty(discriminator, real, fake, noise))
                    else:
                        d_total = discriminator_loss(real_out, fake_out)
                with clock("backward"):
                    opt_d.zero_grad(set_to_none=True)
                    d_total.backward()
                with clock("optimiser"):
                    opt_d.step()
            with clock("forward"):
                g_loss = generator_loss(discriminator(generator(sample_z(len(real)))),
                                        kind="wasserstein" if critic else cfg["loss"])
            with clock("backward"):
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
            with clock("optimiser"):
                opt_g.step()
        return steps * cfg["batch_size"] * cfg["d_steps"]
    return train_steps


def ours_steps(w: Workload):
    """Ours, re-stated with a phase clock, inside a ``TrainingRun`` as the real loops are
    (on the CPU: convolution weights in the channels-last layout)."""
    steps_of = ours_gan_steps(w) if "generator" in w.models else ours_vae_steps(w)

    def train_steps(steps: int, clock=no_clock) -> int:
        with TrainingRun(models=list(w.models.values()), progress=False):
            return steps_of(steps, clock)
    return train_steps


# ----------------------------------------------------------------------------- profile
def steps_lasting(train_steps, seconds: float, warmup: int) -> int:
    """Run ``warmup`` steps; return how many steps take about ``seconds`` (1 without
    warm-up: the smoke run)."""
    if warmup == 0:
        return 1
    start = time.perf_counter()
    train_steps(warmup)
    return max(1, round(seconds * warmup / (time.perf_counter() - start)))


def clocked(train_steps, steps: int) -> dict[str, float]:
    """Seconds per step of each phase and of the whole step (``"step"``)."""
    clock = PhaseClock()
    start = time.perf_counter()
    train_steps(steps, clock)
    times = {phase: clock.seconds[phase] / steps for phase in PHASES}
    times["step"] = (time.perf_counter() - start) / steps
    return times


def profile_workload(w: Workload, seconds: float, repeats: int,
                     warmup: int) -> dict[str, dict[str, float]]:
    """For ours and the reference: median seconds per step of each phase over ``repeats``
    interleaved runs of about ``seconds`` each, and ``"flops"`` per step."""
    sides = {"ours": ours_steps(w), "reference": w.reference.train_steps}
    steps = {key: steps_lasting(train, seconds, warmup) for key, train in sides.items()}
    runs = {key: [] for key in sides}
    for i in range(repeats):
        for key in (("ours", "reference") if i % 2 == 0 else ("reference", "ours")):
            runs[key].append(clocked(sides[key], steps[key]))
    result = {}
    for key, train in sides.items():
        result[key] = {phase: statistics.median(run[phase] for run in runs[key])
                       for phase in (*PHASES, "step")}
        result[key]["flops"] = count_flops(train)
    return result


def measure(workloads: list[Workload], quick: bool,
            throughputs: list[Throughput] | None = None) -> tuple[Section, dict[str, str]]:
    """The profile section, and for each model a sentence on what limits the ratio ours /
    reference (used to explain a missed throughput target)."""
    peak = matmul_peak_gflops(trials=3 if quick else 7)
    seconds, repeats, warmup = (0.0, 1, 0) if quick else (1.5, 3, 3)
    rows, explanations = [], {}
    for i, w in enumerate(workloads):
        result = profile_workload(w, seconds, repeats, warmup)
        for key, times in result.items():
            achieved = times["flops"] / times["step"] / 1e9
            measured = ""
            if throughputs is not None:  # seconds per step implied by the throughput run
                rate = throughputs[i].median(key)
                measured = f"{times['step'] / (images_per_step(w, key) / rate):.2f}"
            rows.append([w.name, key, f"{times['step'] * 1e3:.1f}"]
                        + [f"{times[p] * 1e3:.1f} ({times[p] / times['step']:.0%})"
                           for p in PHASES]
                        + [f"{times['flops'] / 1e9:.2f}", f"{achieved:.1f}",
                           f"{achieved / peak:.1%}", measured])
        explanations[w.name] = explain(result["ours"], result["reference"], w)
    text = [
        f"fp32 matmul peak of this machine, measured in this run: **{peak:.1f} GFLOP/s** "
        f"({torch.get_num_threads()} threads, best of repeated 1024 x 1024 products).", "",
        "Milliseconds per step (share of the step), "
        + ("one step each (smoke run)" if quick else
           f"median of {repeats} interleaved runs of about {seconds:g} s")
        + "; GFLOP per step counted with `torch.utils.flop_counter`'s "
        "formulas (products and convolutions, forward + backward); achieved = GFLOP/s over "
        "the whole step, and as a fraction of the peak. A VAE step is one batch; a GAN step "
        "is the discriminator (critic) update(s) and the generator update; the gradient "
        "penalty's inner gradient counts as forward. Profiled / measured: this step time "
        "over the one implied by the throughput run.", "",
        markdown_table(["model", "pipeline", "step ms", *(f"{p} ms" for p in PHASES),
                        "GFLOP/step", "GFLOP/s", "of peak", "profiled / measured"], rows)]
    return Section("Where a training step's time goes", "\n".join(text), []), explanations


def explain(ours: dict[str, float], reference: dict[str, float], w: Workload) -> str:
    """Why the ratio ours / reference is what it is, per image, from the two profiles."""
    ours_batch, ref_batch = images_per_step(w, "ours"), images_per_step(w, "reference")
    data_share = reference["data"] / reference["step"]
    ours_compute = (ours["step"] - ours["data"]) / ours_batch
    ref_compute = (reference["step"] - reference["data"]) / ref_batch
    return (f"data loading is {data_share:.0%} of the reference's step, so free data alone "
            f"gives at most {1 / (1 - data_share):.2f}x; the rest must come from compute, where "
            f"ours takes {ours_compute / ref_compute:.2f}x the reference's time per image "
            f"(batch {w.settings['batch_size']} vs {w.reference.batch_size}; profile below)")
