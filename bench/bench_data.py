"""Benchmark of genlib.data: cold loading time and the cost of mini-batching.

Run (from the repository root; results go to stdout as a markdown table)::

    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 .venv/bin/python bench/bench_data.py [--quick]

``OMP_WAIT_POLICY=PASSIVE`` (set before Python starts; this script sets it too if it is
missing, before importing torch) stops idle OpenMP threads from spinning, which makes
timings on a shared 2-core machine far steadier. ``--quick`` uses few repeats and a
4000-image subset (under 20 s); the full run takes a few minutes.

Measured:

(a) loading the Fashion-MNIST train split (60000 images) from Debian's folder
    ``/usr/share/datasets/fashion-mnist`` with a cleared in-process cache (the operating
    system's file cache stays warm): read, gunzip, IDX checks, SHA-256, conversion to
    float. Target: at most 1.5 s.
(b) one training epoch (Adam, batch 128) of a 784-256-10 MLP classifier and of the
    784-400-20 MLP VAE of the VAE track, each fed three ways:
    pre-sliced batch tensors (the floor), :class:`genlib.data.Batches` (shuffled), and a
    ``torch.utils.data.DataLoader`` over a per-item ``Dataset`` that converts each uint8
    image like torchvision's ``ToTensor``. Target: Batches within 5 % of the floor.

Each time is the median of several repeats. The three feeders are interleaved in every
repeat so that they see the same machine load, and each overhead is the median over
repeats of (time / pre-sliced time of the same repeat) - 1.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from genlib.data import Batches, clear_cache, load_images, sources  # noqa: E402

DEBIAN = sources.DEBIAN_ROOT / "fashion-mnist"
BATCH = 128


def bench_load(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        images, _ = load_images("fashion-mnist", "train", root=DEBIAN)
        times.append(time.perf_counter() - start)
        assert images.shape == (60000, 1, 28, 28)
    return times


class ItemDataset(torch.utils.data.Dataset):
    """One item at a time from uint8 arrays, converted like torchvision's ToTensor."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray) -> None:
        self.pixels, self.labels = pixels, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        image = torch.from_numpy(self.pixels[i].copy()).float().div(255).unsqueeze(0)
        return image, int(self.labels[i])


class VAE(nn.Module):
    """The MLP VAE of the VAE track: 784-400-(20, 20), 20-400-784, Bernoulli likelihood."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 40))
        self.decoder = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)
        nll = nn.functional.binary_cross_entropy_with_logits(self.decoder(z), x,
                                                             reduction="sum")
        kl = 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum()
        return (nll + kl) / len(x)


class Classifier(nn.Module):
    """784-256-10 MLP classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.net(x), y)


MODELS = {"MLP 784-256-10 classifier": Classifier, "MLP VAE 784-400-20": VAE}


def train_epoch(model, optimiser, batches) -> float:
    start = time.perf_counter()
    for x, y in batches:
        loss = model.loss(x.flatten(1), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return time.perf_counter() - start


def bench_batching(model_class, n: int, repeats: int) -> dict[str, list[float]]:
    images, labels = load_images("fashion-mnist", "train", root=DEBIAN)
    images, labels = images[:n].contiguous(), labels[:n].contiguous()
    pixels = (images * 255).round().to(torch.uint8).squeeze(1).numpy()
    generator = torch.Generator().manual_seed(0)
    feeders = {
        "pre-sliced tensors": lambda: presliced,
        "genlib Batches (shuffled)": lambda: Batches(images, labels, batch_size=BATCH,
                                                     generator=generator),
        "DataLoader, per-item Dataset": lambda: torch.utils.data.DataLoader(
            ItemDataset(pixels, labels.numpy()), batch_size=BATCH, shuffle=True,
            generator=generator),
    }
    order = torch.randperm(n, generator=generator)
    presliced = [(images[i], labels[i]) for i in order.split(BATCH)]
    torch.manual_seed(0)
    model = model_class()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_epoch(model, optimiser, presliced)  # warm-up
    times = {name: [] for name in feeders}
    for _ in range(repeats):
        for name, make in feeders.items():
            times[name].append(train_epoch(model, optimiser, make()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, 4000 images")
    args = parser.parse_args()
    if not (DEBIAN / "train-images-idx3-ubyte.gz").is_file():
        sys.exit(f"needs {DEBIAN} (apt-get install dataset-fashion-mnist)")
    n, load_repeats, epoch_repeats = (4_000, 3, 3) if args.quick else (60_000, 5, 7)

    load = statistics.median(bench_load(load_repeats))
    print(f"genlib.data benchmark ({'quick' if args.quick else 'full'}; torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY')}; medians of {load_repeats} loads and "
          f"{epoch_repeats} epochs of {n} images, batch size {BATCH})\n")
    print("| measurement | median | vs. pre-sliced | target |")
    print("| --- | ---: | ---: | --- |")
    verdict = "ok" if load <= 1.5 else "MISSED"
    print(f"| load fashion-mnist train (60000), cold, from {DEBIAN} | {load:.3f} s | | "
          f"<= 1.5 s: {verdict} |")
    for model_name, model_class in MODELS.items():
        times = bench_batching(model_class, n, epoch_repeats)
        floor = times["pre-sliced tensors"]
        for name, seconds in times.items():
            # overhead: median over repeats of the ratio to the floor of the same repeat
            extra = (statistics.median(t / f for t, f in zip(seconds, floor)) - 1) * 100
            seconds = statistics.median(seconds)
            target = ""
            if name.startswith("genlib"):
                target = f"< 5 %: {'ok' if extra < 5 else 'MISSED'}"
            print(f"| epoch of {model_name}, {name} | {seconds:.3f} s | {extra:+.1f} % "
                  f"| {target} |")

if __name__ == "__main__":
    main()
