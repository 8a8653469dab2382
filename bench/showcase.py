"""``GENLIB_QUICK=0 python -m bench.showcase``: the models notebooks 03, 04, 08 and 09 show,
loaded (or trained) from the checkpoint cache and measured against their aims in one run; part
``showcase`` of bench/RESULTS.md."""
from __future__ import annotations

import os
import time

import torch

from genlib import config, zoo
from genlib.data import load_images, toy2d
from genlib.metrics import (classifier_probabilities, image_sharpness, linear_probe_accuracy,
                            mode_coverage, same_mode_share)
from genlib.metrics.compare import comparison_rows
from genlib.models.bigan import BiGANEncoder
from genlib.steps import bigan_step, gan_step, wgan_step

from . import Section, TargetCheck, markdown_table, provenance, write_part
from .sample_quality import SampleQuality


def dcgan_figures() -> dict:
    models, history = zoo.dcgan(step=gan_step)
    z = torch.randn(2000, history.config["latent_dim"], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        fake = models["generator"](z)
    return SampleQuality(2000)(fake)


def budget_table(classifier, test, labels, train) -> dict:
    contenders = zoo.same_budget_contenders(iwae_samples=50)
    rows = comparison_rows(contenders, classifier, test, labels, train[:10000], n_samples=2000,
                           nll_images=500)
    sharp = {m.name: image_sharpness(m.sample(500, seed=3)).mean().item() for m in contenders}
    sharp["real test images"] = image_sharpness(test[:500]).mean().item()
    return {name: {**row, "sharpness": sharp.get(name)} for name, row in rows.items()}


def bigan_figures(test, labels, train, train_labels, classifier) -> dict:
    ring_models, ring_history = zoo.toy_bigan(step=bigan_step)
    E, G = ring_models["encoder"], ring_models["generator"]
    ring = toy2d.get(ring_history.config["data"])
    rng = torch.Generator().manual_seed(7)
    x, z = ring.sample(4000, rng), torch.randn(4000, G.latent_dim, generator=rng)
    with torch.no_grad():
        x_again, x_gen = G(E(x)), G(z)
        z_again = E(x_gen)
    corr = min(torch.corrcoef(torch.stack([z[:, i], z_again[:, i]]))[0, 1].item() for i in range(2))
    models, history = zoo.bigan(step=bigan_step)
    enc, gen = models["encoder"], models["generator"]
    torch.manual_seed(0)
    untrained = BiGANEncoder(tuple(train.shape[1:]), gen.latent_dim, history.config["hidden"]).eval()
    with torch.no_grad():
        probe = {name: linear_probe_accuracy(f(train[:10000]), train_labels[:10000], f(test[:10000]),
                                             labels[:10000])
                 for name, f in (("BiGAN E(x)", enc), ("untrained encoder", untrained))}
        kept = (classifier_probabilities(classifier, gen(enc(test[:2000]))).argmax(1)
                == labels[:2000]).float().mean().item()
    return {"ring_kept_mode": same_mode_share(x, x_again, ring.modes), "ring_corr": corr,
            "ring_modes": mode_coverage(x_gen, ring.modes, ring.std).modes_covered,
            "probe": probe, "image_kept_class": kept}


def clipped_critic_figures() -> dict:
    models, history = zoo.toy_wgan(step=wgan_step, settings=dict(gp_weight=0.0, clip=0.01),
                                   optimizer="rmsprop", lr=5e-5, decay_lr=False)
    c, critic = history.config["clip"], models["discriminator"]
    layers = [p.detach().flatten() for name, p in critic.named_parameters() if name.endswith("weight")]
    points = toy2d.get(history.config["data"]).sample(
        2000, rng=torch.Generator().manual_seed(4)).requires_grad_(True)
    (slopes,) = torch.autograd.grad(critic(points).sum(), points)
    return {"pinned_by_layer": [float((w.abs() >= 0.99 * c).float().mean()) for w in layers],
            "largest_slope": float(slopes.norm(dim=1).max()),
            "modes": history.last("modes_covered"), "high_quality": history.last("high_quality")}


def write_results(dcgan, table, bigan, clipped, seconds, load) -> None:
    probe = bigan["probe"]["BiGAN E(x)"] - bigan["probe"]["untrained encoder"]
    vaegan, conv = table["VAE-GAN"], table["conv VAE"]
    limitation = "a stated limitation; the ring below"
    checks = [
        TargetCheck("03 DCGAN: Frechet distance (2000 samples, 2000 test images)",
                    dcgan["frechet"], 12, "", higher_is_better=False),
        TargetCheck("03 DCGAN: confident share / real images'", dcgan["confident_ratio"], 0.7,
                    "", higher_is_better=True),
        TargetCheck("03 DCGAN: rarest class share", dcgan["min_class_share"], 0.05, "",
                    higher_is_better=True),
        TargetCheck("08 VAE-GAN sharpness / the conv VAE's", vaegan["sharpness"] / conv["sharpness"],
                    1, "x", higher_is_better=True),
        TargetCheck("08 VAE-GAN Frechet distance / the conv VAE's", vaegan["frechet"] / conv["frechet"],
                    1, "x", higher_is_better=False),
        TargetCheck("09 BiGAN images: linear probe, trained minus untrained encoder", 100 * probe, 3,
                    "points", higher_is_better=True, limited_by=limitation),
        TargetCheck("09 BiGAN images: class of x kept by G(E(x))", 100 * bigan["image_kept_class"],
                    50, "%", higher_is_better=True, limited_by=limitation)]
    shown = markdown_table(["figure", "measured"], [
        ["09 BiGAN ring: G(E(x)) in the mode of x (chance 12.5%)", f"{bigan['ring_kept_mode']:.1%}"],
        ["09 BiGAN ring: corr(z, E(G(z))), smaller coordinate", f"{bigan['ring_corr']:.2f}"],
        ["09 BiGAN ring: modes covered by G", f"{bigan['ring_modes']}/8"],
        ["04 clipped critic: weights within 1% of +-c, layer by layer",
         ", ".join(f"{s:.0%}" for s in clipped["pinned_by_layer"])],
        ["04 clipped critic: largest slope at 2000 data points", f"{clipped['largest_slope']:.2g}"],
        ["04 clipped WGAN: modes, high-quality share",
         f"{clipped['modes']:.0f}/8, {clipped['high_quality']:.0%}"]])
    keys = ["frechet", "precision", "recall", "confident", "min_class_share", "sharpness",
            "train_seconds"]
    budget = markdown_table(["model"] + keys, [
        [name] + [("" if row.get(k) is None else f"{row[k]:.3g}") for k in keys]
        for name, row in table.items()])
    text = "\n".join([
        "Models from the checkpoint cache. Shown, without an aim:", "", shown, "",
        "Notebook 08's table at its budget (two passes over the training images each; "
        "sharpness: notebook 10's measure on 500 samples; training seconds as the cached "
        "models' histories recorded them, on a shared machine):", "", budget])
    write_part("showcase", [Section("The models the notebooks show (03, 04, 08, 09)", text, checks)],
               provenance("GENLIB_QUICK=0 python -m bench.showcase", load, seconds))


def main() -> None:
    if config.is_quick():
        raise SystemExit("run in full mode: GENLIB_QUICK=0 python -m bench.showcase")
    torch.set_num_threads(config.training_threads())
    load, start = os.getloadavg(), time.perf_counter()
    classifier = zoo.classifier()[0]["classifier"]
    test, labels = load_images("fashion-mnist", "test")
    train, train_labels = load_images("fashion-mnist", "train")
    dcgan = dcgan_figures()
    table = budget_table(classifier, test, labels, train)
    bigan = bigan_figures(test, labels, train, train_labels, classifier)
    clipped = clipped_critic_figures()
    write_results(dcgan, table, bigan, clipped, time.perf_counter() - start, load)
    print(dcgan, {k: (v["frechet"], v.get("sharpness")) for k, v in table.items()}, bigan, clipped)


if __name__ == "__main__":
    main()
