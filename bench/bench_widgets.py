"""Slider latency of genlib.widgets (part ``widgets`` of ``python -m bench``): a ``latent_sliders``
view of the conv VAE's and the DCGAN's decoders dragged back and forth, (a) in process
(``slider.set_state`` until ``image.value`` holds the new PNG) and (b) through a real kernel, this
script playing the browser (each ``comm_msg`` update until the image's update, then until idle)."""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

from . import ROOT, markdown_table  # noqa: E402

WARMUP = 20
TARGET_MEDIAN_MS, TARGET_P95_MS = 30.0, 60.0

# Builds the decoder named DECODER in the benchmark and in the kernel alike.
DECODER_SETUP = """
import torch
from genlib.models.conv_vae import ConvVAE
from genlib.models.dcgan import DCGANGenerator

def make_decoder(name):
    torch.manual_seed(0)
    if name == "ConvVAE decoder":
        model = ConvVAE().eval()
        return model.latent_dim, model.generate, model.decoder
    model = DCGANGenerator().eval()
    return model.latent_dim, model.generate, model
"""
DECODERS = ["ConvVAE decoder", "DCGAN generator"]


def slider_values(n: int) -> list[float]:
    """A slider dragged back and forth across [-3, 3] in steps of 0.1 (its resolution on a
    screen): n values, each different from the one before."""
    triangle = [round(-3 + 0.1 * k, 1) for k in range(60)] + [round(3 - 0.1 * k, 1) for k in range(60)]
    return [triangle[(k + 30) % len(triangle)] for k in range(n)]


def drag(change, changes: int) -> dict:
    """``change(value)``, which returns its seconds, along a drag; median, 95th percentile and
    max in ms, after the warm-up."""
    ms = sorted(1000 * t for t in [change(v) for v in slider_values(WARMUP + changes)][WARMUP:])
    return {"median": statistics.median(ms), "max": ms[-1],
            "p95": ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]}


def bench_in_process(name: str, changes: int) -> tuple[dict, int]:
    from genlib.widgets import latent_sliders

    scope: dict = {}
    exec(DECODER_SETUP, scope)
    latent_dim, decoder, module = scope["make_decoder"](name)
    w = latent_sliders(decoder, torch.randn(latent_dim, generator=torch.Generator().manual_seed(1)),
                       scale=4)

    def change(value):
        redraws, start = w.redraws, time.perf_counter()
        w.sliders[0].set_state({"value": value})
        elapsed = time.perf_counter() - start
        if w.redraws != redraws + 1:
            raise RuntimeError(f"{name}: the change to {value} did not redraw the image once")
        return elapsed
    return drag(change, changes), sum(p.numel() for p in module.parameters())


def bench_kernel(name: str, changes: int) -> dict:
    """Play the browser: send slider updates to a real kernel, time the image updates."""
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        code = DECODER_SETUP + f"""
from genlib.widgets import latent_sliders
latent_dim, decoder, _ = make_decoder({name!r})
w = latent_sliders(decoder, torch.randn(latent_dim, generator=torch.Generator().manual_seed(1)), scale=4)
print(w.sliders[0].model_id, w.image.model_id)
"""
        out: list[str] = []
        reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: out.append(
            msg["content"]["text"]) if msg["msg_type"] == "stream" else None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel setup failed: {reply['content']}")
        slider_id, image_id = "".join(out).split()

        def change(value):
            msg = kc.session.msg("comm_msg", {"comm_id": slider_id, "data": {
                "method": "update", "state": {"value": value}, "buffer_paths": []}})
            start, elapsed = time.perf_counter(), None
            kc.shell_channel.send(msg)
            while True:  # until the image's new bytes, then until the kernel is idle again
                reply = kc.get_iopub_msg(timeout=30)
                if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                    continue
                content = reply["content"]
                if (reply["msg_type"] == "comm_msg" and content.get("comm_id") == image_id
                        and ["value"] in content["data"].get("buffer_paths", [])):
                    elapsed = time.perf_counter() - start
                elif reply["msg_type"] == "status" and content["execution_state"] == "idle":
                    break
            if elapsed is None:
                raise RuntimeError(f"{name}: no image update for the change to {value}")
            return elapsed
        return drag(change, changes)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 changes per measurement, not 200")
    changes = 60 if parser.parse_args(argv).quick else 200
    rows = []
    for name in DECODERS:
        stats, parameters = bench_in_process(name, changes)
        for path, s in [("in process", stats), ("through a kernel", bench_kernel(name, changes))]:
            ok = s["median"] <= TARGET_MEDIAN_MS and s["p95"] <= TARGET_P95_MS
            rows.append([name, f"{parameters / 1e6:.2f} M", path,
                         *(f"{s[k]:.1f}" for k in ("median", "p95", "max")), "yes" if ok else "NO"])
    print(f"Slider change -> new image bytes, 28x28 at scale 4, {changes} changes after {WARMUP} "
          f"warm-up; torch {torch.__version__}, redraws on 1 of {torch.get_num_threads()} "
          "threads\n")
    print(markdown_table(["decoder", "parameters", "path", "median ms", "p95 ms", "max ms",
                          "target met"], rows))
    print(f"\ntargets: median <= {TARGET_MEDIAN_MS:.0f} ms, p95 <= {TARGET_P95_MS:.0f} ms "
          "(a benchmark, not a test: a missed target shows as NO, the exit status stays 0)")


if __name__ == "__main__":
    main()
