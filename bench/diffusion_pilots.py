"""Pilots for the image DDPM and flow matching at the DCGAN's budget (issue 29 item 1, issue 30
item 4): 300,000 training images (5 epochs of Fashion-MNIST, batch 128), seed 0, one run per
variant, snapshots at 100k, 200k and 300k images, each measured in SampleQuality(2000)
(bench/sample_quality.py: classifier-feature Frechet distance of 2000 samples).

    a  epsilon prediction, ConvDenoiser(width 16), linear schedule T = 200, no EMA (today's recipe)
    b  v-prediction (Salimans & Ho 2022), cosine schedule T = 1000, EMA 0.999, same network
    c  as b with a wider network (width 24, time embedding 256)
    d  flow matching (rectified flow): x_t = (1 - t) x0 + t eps, predicts eps - x0, EMA, Euler
    e  as d with c's wider network
    f  as e, class-conditional with label dropout 0.1 (notebook 12's guidance); measured with no
       class ("euler") and with the classes 0..9 in turn, unguided ("euler-class")
    g  as f with logit-normal times t = sigmoid(n), n ~ N(0, 1) (Esser et al. 2024), not uniform

Every variant: Adam 1e-3 with a cosine decay over the whole run (as zoo.ddpm), images as 2 x - 1.
Samplers: genlib.sampling's DDIM over 50 of the T steps with eta = 1 ("ancestral": the DDPM
chain on the respaced steps) and eta = 0 ("DDIM"), x0 clipped to [-1, 1]; Euler for d-g.

    OMP_NUM_THREADS=1 GENLIB_QUICK=0 python -m bench.diffusion_pilots --variant b   # train + measure
    python -m bench.diffusion_pilots --variant b --steps 25 100 --at 300   # more steps, a snapshot
    python -m bench.diffusion_pilots --table      # markdown of the logs in /tmp/pilots/ (--out)
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from pathlib import Path

import torch

from genlib.data import load_images
from genlib.models.denoiser import ConvDenoiser
from genlib.sampling import ddim_sample
from genlib.zoo.diffusion import make_schedule

BUDGET, BATCH, SEED, LR, EMA = 300_000, 128, 0, 1e-3, 0.999
SNAPSHOTS = (100_000, 200_000, 300_000)
VARIANTS = {  # target, width, time_dim, schedule, T, ema (classes: CLASSES)
    "a": ("eps", 16, 128, "linear", 200, False),
    "b": ("v", 16, 128, "cosine", 1000, True),
    "c": ("v", 24, 256, "cosine", 1000, True),
    "d": ("flow", 16, 128, None, None, True),
    "e": ("flow", 24, 256, None, None, True),
    "f": ("flow", 24, 256, None, None, True),
    "g": ("flow", 24, 256, None, None, True),
}
CLASSES, DROP = {"f": 10, "g": 10}, 0.1


def build(variant):
    target, width, time_dim, kind, T, _ = VARIANTS[variant]
    torch.manual_seed(SEED)
    return (ConvDenoiser(1, width, time_dim, CLASSES.get(variant, 0)),
            make_schedule(kind, T) if kind else None)


def loss_of(variant, net, schedule, x0, y, rng):
    """The squared error of the variant's target, summed over pixels, mean over the batch."""
    target = VARIANTS[variant][0]
    eps = torch.randn(x0.shape, generator=rng)
    if target == "flow":
        t = (torch.randn(len(x0), generator=rng).sigmoid() if variant == "g"
             else torch.rand(len(x0), generator=rng))
        tt = t[:, None, None, None]
        if variant in CLASSES:   # label dropout: "no class" (K) for a DROP share of the batch
            y = torch.where(torch.rand(len(y), generator=rng) < DROP, CLASSES[variant], y)
        pred = net((1 - tt) * x0 + tt * eps, t * 1000, *([y] if variant in CLASSES else []))
        return (pred - (eps - x0)).pow(2).flatten(1).sum(1).mean()
    t = torch.randint(1, schedule.T + 1, (len(x0),), generator=rng)
    abar = schedule.at("alpha_bar", t, x0)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    y = eps if target == "eps" else abar.sqrt() * eps - (1 - abar).sqrt() * x0   # v
    return (net(x_t, t) - y).pow(2).flatten(1).sum(1).mean()


def as_eps(net, schedule, target):
    """The noise prediction genlib's samplers take: eps = sqrt(abar) v + sqrt(1 - abar) x_t."""
    if target == "eps":
        return net

    def eps(x, t):
        abar = schedule.at("alpha_bar", t, x)
        return abar.sqrt() * net(x, t) + (1 - abar).sqrt() * x
    return eps


@torch.no_grad()
def sample(variant, net, schedule, sampler, steps, n=2000, chunk=500):
    rng, out = torch.Generator().manual_seed(1234), []
    for i in range(0, n, chunk):
        shape = (min(chunk, n - i), 1, 28, 28)
        if sampler.startswith("euler"):   # dx/dt = v from t = 1 (noise) to t = 0 (data)
            x = torch.randn(shape, generator=rng)
            y = ([torch.arange(i, i + len(x)) % 10] if sampler == "euler-class" else [])
            for k in range(steps, 0, -1):
                t = torch.full((len(x),), k / steps)
                x = x - net(x, t * 1000, *y) / steps
            out.append(((x.clamp(-1, 1) + 1) / 2))
        else:
            out.append(ddim_sample(as_eps(net, schedule, VARIANTS[variant][0]), schedule, shape,
                                   rng, steps=steps, eta=1.0 if sampler == "ancestral" else 0.0,
                                   rescale=True, clip=True))
    return torch.cat(out)


def train(variant, out):
    net, schedule = build(variant)
    ema = copy.deepcopy(net).requires_grad_(False) if VARIANTS[variant][5] else None
    images, labels = load_images("fashion-mnist", "train")
    images = 2 * images - 1
    steps = math.ceil(BUDGET / BATCH)
    snap_steps = {math.ceil(s / BATCH): s for s in SNAPSHOTS}
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    lr_decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    rng, order = torch.Generator().manual_seed(SEED), torch.Generator().manual_seed(SEED + 1)
    perm, pos, seconds, load0 = torch.randperm(len(images), generator=order), 0, 0.0, os.getloadavg()[0]
    print(f"variant {variant}: {sum(p.numel() for p in net.parameters())} parameters, "
          f"{steps} steps, load {load0:.2f}", flush=True)
    for step in range(1, steps + 1):
        start = time.perf_counter()
        if pos + BATCH > len(perm):
            perm, pos = torch.randperm(len(images), generator=order), 0
        idx, pos = perm[pos:pos + BATCH], pos + BATCH
        loss = loss_of(variant, net, schedule, images[idx], labels[idx].long(), rng)
        opt.zero_grad(); loss.backward(); opt.step(); lr_decay.step()
        if ema is not None:   # with the usual warm-up, so an early snapshot is no stale average
            decay = min(EMA, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.lerp_(p.detach(), 1 - decay)
        seconds += time.perf_counter() - start
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.2f} {seconds:.0f} s", flush=True)
        if step in snap_steps:
            meta = {"variant": variant, "images": step * BATCH, "nominal": snap_steps[step],
                    "seconds": round(seconds, 1), "load_start": round(load0, 2),
                    "load_end": round(os.getloadavg()[0], 2),
                    "parameters": sum(p.numel() for p in net.parameters())}
            torch.save({"meta": meta, "net": (ema or net).state_dict()},
                       out / f"{variant}-{snap_steps[step] // 1000}k.pt")
            print("snapshot", json.dumps(meta), flush=True)


def measure(variant, out, samplers, at):
    from bench.sample_quality import SampleQuality
    quality = SampleQuality(2000)
    for k in at:
        snap = torch.load(out / f"{variant}-{k}k.pt", weights_only=True)
        net, schedule = build(variant)
        net.load_state_dict(snap["net"]); net.eval()
        for sampler, steps in samplers:
            start = time.perf_counter()
            fd = quality(sample(variant, net, schedule, sampler, steps))["frechet"]
            row = {**snap["meta"], "sampler": sampler, "steps": steps, "frechet": round(fd, 2),
                   "sampling_seconds": round(time.perf_counter() - start, 1)}
            print("result", json.dumps(row), flush=True)
            with open(out / "results.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")


def table(out):
    rows = [json.loads(line) for line in open(out / "results.jsonl")]
    names = {"a": "a: today's recipe", "b": "b: v, cosine", "c": "c: v, cosine, wider",
             "d": "d: flow matching", "e": "e: flow matching, wider",
             "f": "f: as e, classes, label dropout", "g": "g: as f, logit-normal t"}
    print("| variant | target | EMA | parameters | sampler, steps | images seen | training s | "
          "load (start, end) | Frechet distance |\n|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["variant"], r["images"], r["sampler"], r["steps"])):
        target, *_, ema = VARIANTS[r["variant"]]
        print(f"| {names[r['variant']]} | {'eps - x0' if target == 'flow' else target} | "
              f"{'0.999' if ema else 'no'} | {r['parameters']:,} | {r['sampler']}, {r['steps']} | "
              f"{r['images']:,} | {r['seconds']:.0f} | {r['load_start']}, {r['load_end']} | "
              f"{r['frechet']:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS))
    parser.add_argument("--steps", type=int, nargs="*", help="only measure, at these step counts")
    parser.add_argument("--at", type=int, nargs="*", default=[s // 1000 for s in SNAPSHOTS])
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pilots"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.table:
        return table(args.out)
    flow = VARIANTS[args.variant][0] == "flow"
    if args.steps:
        samplers = [(s, n) for n in args.steps for s in (("euler",) if flow else ("ancestral", "ddim"))]
        samplers += [("euler-class", n) for n in args.steps if args.variant in CLASSES]
    else:
        train(args.variant, args.out)
        samplers = [("euler", 50)] if flow else [("ancestral", 50), ("ddim", 50)]
        samplers += [("euler-class", 50)] if args.variant in CLASSES else []
    measure(args.variant, args.out, samplers, args.at)


if __name__ == "__main__":
    main()
