"""``python -m bench.anchors [--budget S] [--every S]``: the notebooks' DCGAN and conv VAE against
pytorch/examples' dcgan/main.py and vae/main.py, each trained for the same wall-clock budget on
Fashion-MNIST (theirs DCGAN, ours, our conv VAE, theirs: a drift in load falls on both sides),
saving samples of one fixed noise every ``--every`` seconds, scored afterwards by SampleQuality.
Their scripts run as published (``ANCHORS``, never copied here) in ``.bench-venv``, with only the
changes a measurement needs (``DCGAN_PATCHES``, ``VAE_PATCHES``, listed in RESULTS.md)."""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from genlib import config, zoo
from genlib.data import load_images
from genlib.data.sources import locate
from genlib.models import ConvVAE, DCGANDiscriminator, DCGANGenerator
from genlib.steps import gan_step, vae_step
from genlib.training import adam, train

from . import ROOT, Section, markdown_table, provenance, write_part
from .sample_quality import SampleQuality

ANCHORS = Path(os.environ.get("GENLIB_ANCHORS", ROOT.parent / "shared" / "anchors" / "pytorch-examples"))
BENCH_PYTHON = ROOT / ".bench-venv" / "bin" / "python"
OUT = ROOT / "bench" / "artifacts" / "anchors"
N_SAMPLES = 2000

# -- the changes a measurement needs, as (what is replaced, by what, why) ------------------------

SNAPSHOT_CODE = '''
import time as _time
_BUDGET, _EVERY, _OUT = float(os.environ["ANCHOR_BUDGET_S"]), float(os.environ["ANCHOR_EVERY_S"]), os.environ["ANCHOR_OUT"]
_clock = {"start": _time.perf_counter(), "paused": 0.0, "next": float(os.environ["ANCHOR_EVERY_S"]), "iterations": 0}
def _elapsed():
    return _time.perf_counter() - _clock["start"] - _clock["paused"]
def _snapshot(generate):
    """Save 2000 samples from a fixed noise (eval mode) at each multiple of _EVERY; True when over budget."""
    if _clock["iterations"] == 0:  # the clock starts at the first training iteration
        _clock["start"] = _time.perf_counter()
    _clock["iterations"] += 1
    if _elapsed() >= _clock["next"]:
        t0 = _time.perf_counter()
        with torch.no_grad():
            images = generate(torch.Generator().manual_seed(1))
        torch.save({"seconds": _clock["next"], "iterations": _clock["iterations"], "images": images.cpu()},
                   os.path.join(_OUT, "snapshot_%04d.pt" % int(_clock["next"])))
        _clock["next"] += _EVERY
        _clock["paused"] += _time.perf_counter() - t0
    return _elapsed() >= _BUDGET
'''

DCGAN_PATCHES = [
    ("import torchvision.utils as vutils\n",
     "import torchvision.utils as vutils\n" + SNAPSHOT_CODE,
     "time budget and snapshots"),
    ("        dataset = dset.MNIST(root=opt.dataroot, download=True,",
     "        dataset = dset.FashionMNIST(root=opt.dataroot, download=True,",
     "Fashion-MNIST"),
    ("""            nn.ConvTranspose2d(     nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
""", """            nn.ConvTranspose2d(     nz, ngf * 2, 7, 1, 0, bias=False),
""", "generator 28 x 28: z -> 7 x 7 -> 14 x 14 -> 28 x 28"),
    ("""            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),""",
     """            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False),""",
     "discriminator 28 x 28: 28 x 28 -> 14 x 14 -> 7 x 7 -> 1"),
    ("""for epoch in range(opt.niter):
    for i, data in enumerate(dataloader, 0):
""", """_fixed = None
def _generate(rng):
    global _fixed
    if _fixed is None:
        _fixed = torch.randn(2000, nz, 1, 1, generator=rng).to(device)
    netG.eval(); images = (netG(_fixed) + 1) / 2; netG.train()
    return images
_over = False
for epoch in range(opt.niter):
    if _over:
        break
    for i, data in enumerate(dataloader, 0):
        if _snapshot(_generate):
            _over = True
            break
""", "time budget and snapshots"),
]

VAE_PATCHES = [
    ("from torchvision.utils import save_image\n",
     "from torchvision.utils import save_image\nimport os\n" + SNAPSHOT_CODE,
     "time budget and snapshots"),
    ("    datasets.MNIST('../data', train=True, download=True,",
     "    datasets.FashionMNIST(os.environ['ANCHOR_DATA'], train=True, download=True,",
     "Fashion-MNIST, data folder"),
    ("    datasets.MNIST('../data', train=False, transform=transforms.ToTensor()),",
     "    datasets.FashionMNIST(os.environ['ANCHOR_DATA'], train=False, transform=transforms.ToTensor()),",
     "Fashion-MNIST, data folder"),
    ("""    for batch_idx, (data, _) in enumerate(train_loader):
""", """    for batch_idx, (data, _) in enumerate(train_loader):
        if _snapshot(_generate):
            return True
""", "time budget and snapshots"),
    ("""if __name__ == "__main__":
    for epoch in range(1, args.epochs + 1):
        train(epoch)
""", """def _generate(rng):
    model.eval(); images = model.decode(torch.randn(2000, 20, generator=rng).to(device)).view(-1, 1, 28, 28)
    model.train()
    return images
if __name__ == "__main__":
    os.makedirs('results', exist_ok=True)
    for epoch in range(1, args.epochs + 1):
        if train(epoch):
            break
""", "time budget and snapshots; the results folder it writes to"),
]


# torchvision's wheels are built for the CUDA build of torch: on the CPU build ``import torchvision``
# stops at two compiled operators; declaring their names lets its Python parts import.
RUNNER = """import runpy, sys, torch
_torchvision_names = torch.library.Library("torchvision", "DEF")
for _name in ("nms", "qnms"):
    _torchvision_names.define(_name + "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def patched(source: str, patches) -> str:
    for old, new, why in patches:
        if source.count(old) != 1:
            raise RuntimeError(f"the anchor script changed: the text for {why!r} is not found once")
        source = source.replace(old, new)
    return source


def fashion_mnist_folder(root: Path) -> Path:
    """torchvision's layout (root/FashionMNIST/raw/, uncompressed IDX files) from genlib's files."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        path = locate("fashion-mnist", name)
        with (gzip.open(path) if path.suffix == ".gz" else open(path, "rb")) as src, \
                open(raw / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root


# -- the runs --------------------------------------------------------------------------------

def run_theirs(name: str, budget: float, every: float, threads: int, data: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"anchor-{name}-"))
    script, patches, args = {
        "dcgan": ("dcgan_main.py", DCGAN_PATCHES, [
            "--dataset", "mnist", "--dataroot", str(data), "--imageSize", "28", "--niter", "1000",
            "--workers", "0", "--manualSeed", "0", "--outf", str(work / "out")]),
        "vae": ("vae_main.py", VAE_PATCHES, ["--epochs", "1000", "--no-accel"])}[name]
    out = OUT / f"theirs-{name}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (work / script).write_text(patched((ANCHORS / script).read_text(), patches))
    (work / "run_anchor.py").write_text(RUNNER)
    env = {**os.environ, "ANCHOR_BUDGET_S": str(budget), "ANCHOR_EVERY_S": str(every),
           "ANCHOR_OUT": str(out), "ANCHOR_DATA": str(data), "OMP_NUM_THREADS": str(threads)}
    with open(out / "log.txt", "w") as log:
        subprocess.run([str(BENCH_PYTHON), "run_anchor.py", script, *args], cwd=work, env=env,
                       stdout=log, stderr=subprocess.STDOUT, check=True, timeout=budget * 3 + 300)
    shutil.rmtree(work, ignore_errors=True)
    return out


def run_ours(name: str, budget: float, every: float, threads: int) -> Path:
    """Our recipe (``zoo.recipe_config``), built as the zoo builds it, trained with its step
    and genlib's loop for ``budget`` seconds (epochs beyond the recipe's if time is left)."""
    torch.set_num_threads(threads)
    out = OUT / f"ours-{name}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cfg = zoo.recipe_config("dcgan" if name == "dcgan" else "conv_vae")
    images, _ = load_images("fashion-mnist", "train")
    torch.manual_seed(cfg["seed"])
    if name == "dcgan":
        G, D = DCGANGenerator(cfg["latent_dim"], cfg["width"]), DCGANDiscriminator(cfg["width"])
        opt_G = adam(G.parameters(), cfg["lr_g"], tuple(cfg["betas"]))
        opt_D = adam(D.parameters(), cfg["lr_d"], tuple(cfg["betas"]))
        models, opts, generate = [G, D], [opt_G, opt_D], G
        update = lambda x, rng, t: gan_step(G, D, opt_G, opt_D, x, rng)
    else:
        vae = ConvVAE(28, 1, cfg["latent_dim"], cfg["width"], cfg["hidden"])
        opt = adam(vae.parameters(), lr=cfg["lr"])
        models, opts, generate = [vae], [opt], vae.generate
        update = lambda x, rng, t: vae_step(vae, opt, x, rng)
    os.environ.update(ANCHOR_BUDGET_S=str(budget), ANCHOR_EVERY_S=str(every), ANCHOR_OUT=str(out))
    clock = {"os": os, "torch": torch}
    exec(SNAPSHOT_CODE, clock)  # the clock and snapshots of their runs, called after each step

    def sample(rng):
        models[0].eval()
        images = generate(torch.randn(N_SAMPLES, cfg["latent_dim"], generator=rng))
        models[0].train()
        return images

    class OverBudget(Exception):
        pass

    def watch(t):
        if clock["_snapshot"](sample):
            raise OverBudget

    # The recipe's step count is far beyond any budget here, so the loop ends on the budget.
    steps = 1000 * (len(images) // cfg["batch_size"])
    try:
        train(update, images, models=models, optimizers=opts, steps=steps,
              batch_size=cfg["batch_size"], seed=cfg["seed"], callback=watch, callback_every=1,
              progress=False)
    except OverBudget:
        pass
    return out


def score(folder: Path) -> list[dict]:
    quality = SampleQuality(N_SAMPLES)
    rows = []
    for path in sorted(folder.glob("snapshot_*.pt")):
        snap = torch.load(path)
        rows.append({"seconds": snap["seconds"], "iterations": snap["iterations"],
                     **{k: round(v, 2 if k == "frechet" else 3)  # the table's precision
                        for k, v in quality(snap["images"].float().clamp(0, 1)).items()}})
    return rows


def write_results(results: dict, line: str) -> None:
    """Part ``anchors`` of RESULTS.md under ``line``, the provenance of the training runs."""
    rows = [[label, f"{r['seconds']:.0f}", r["iterations"], r["frechet"], r["confident_ratio"],
             r["min_class_share"]] for label, curve in results.items() for r in curve]
    table = markdown_table(["model", "seconds of training", "steps", "Frechet distance",
                            "confident share / real", "smallest class share"], rows)
    changes = "; ".join(f"`{script}`: " + ", ".join(dict.fromkeys(why for _, _, why in patches))
                        for script, patches in (("dcgan/main.py", DCGAN_PATCHES),
                                                ("vae/main.py", VAE_PATCHES)))
    last = {label: curve[-1]["frechet"] for label, curve in results.items() if curve}

    def ratio(ours, theirs):
        return f"{last[theirs] / last[ours]:.2f}" if ours in last and theirs in last else "n/a"

    text = (
        "The four runs one after the other (theirs DCGAN, ours DCGAN, ours VAE, theirs VAE), "
        "with other jobs running; one seed each; 2000 samples (eval mode) against 2000 test images "
        "in the classifier's features. "
        "pytorch/examples' `dcgan/main.py` and `vae/main.py` (commit 77f55b9, as published, run "
        "in `.bench-venv` with torchvision 0.28.0) with only these changes, applied by the bench: "
        + changes + ". torchvision's wheel is built for the CUDA build of torch, so the bench "
        "declares the names of its two compiled detection operators before running a script; "
        "the scripts use only its Python parts (datasets, transforms, save_image). Their VAE is "
        "their own MLP (20-d code), ours notebook 06's convolutional one: each is what its "
        "reader would run. Quality at each minute of training; a lower Frechet distance "
        f"is better. At the end of the budget, their Frechet distance over ours: DCGAN "
        f"{ratio('ours DCGAN', 'pytorch/examples DCGAN')}, VAE {ratio('ours conv VAE', 'pytorch/examples VAE')} "
        "(above 1: ours is better).\n\n" + table)
    title = "The notebooks' DCGAN and conv VAE against pytorch/examples, equal wall-clock"
    write_part("anchors", [Section(title, text)], line)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=240.0, help="seconds of training per model")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between snapshots")
    parser.add_argument("--threads", type=int, default=config.training_threads())
    args = parser.parse_args(argv)
    if not BENCH_PYTHON.exists():
        sys.exit(f"{BENCH_PYTHON} is missing: python3 -m venv .bench-venv && "
                 ".bench-venv/bin/pip install torch==2.13.0 torchvision==0.28.0")
    if not ANCHORS.is_dir():
        sys.exit(f"{ANCHORS} is missing: set GENLIB_ANCHORS to pytorch/examples' scripts")
    load, start = os.getloadavg(), time.perf_counter()
    data = fashion_mnist_folder(Path(tempfile.mkdtemp(prefix="anchor-data-")))
    run_theirs("dcgan", args.budget, args.every, args.threads, data)
    run_ours("dcgan", args.budget, args.every, args.threads)
    run_ours("vae", args.budget, args.every, args.threads)
    run_theirs("vae", args.budget, args.every, args.threads, data)
    line = provenance(f"python -m bench.anchors --budget {args.budget:.0f} --threads {args.threads}",
                      load, time.perf_counter() - start)
    results = {label: score(OUT / folder) for label, folder in (
        ("pytorch/examples DCGAN", "theirs-dcgan"), ("ours DCGAN", "ours-dcgan"),
        ("ours conv VAE", "ours-vae"), ("pytorch/examples VAE", "theirs-vae"))}
    (OUT / "scores.json").write_text(json.dumps(results, indent=1))
    write_results(results, line)
    print(json.dumps({k: v[-1] if v else None for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
