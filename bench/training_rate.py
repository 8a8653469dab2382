"""Seconds per training step of notebook 11's and 12's models (full mode, this machine): 2 steps
(a warm-up), then ``--steps`` and twice that; the last two runs differ by what ``--steps`` steps
cost, without one-time costs.   GENLIB_QUICK=0 python -m bench.training_rate --steps 100"""
import argparse
import os
import tempfile

RECIPES = {  # name: (recipe, keyword arguments and full steps) as the notebooks call them
    "toy_flow (12)": ("toy_flow", {"steps": 5000}), "toy_ddpm (11)": ("toy_ddpm", {"steps": 5000}),
    "ddpm, eps (11)": ("ddpm", {"steps": 1000}), "flow_matching (12)": ("flow_matching", {"steps": 2344}),
    "ddpm, v (11)": ("ddpm", {"step": "v_ddpm_step", "prediction": "v", "noise_schedule": "cosine",
                              "T": 1000, "ema": 0.999, "steps": 2344}),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    os.environ["GENLIB_CACHE"] = tempfile.mkdtemp()
    import torch
    from genlib import config, steps, zoo   # after GENLIB_CACHE is set
    torch.set_num_threads(config.training_threads())
    print("| model | threads | steps timed (2n - n) | s per step | full steps | estimate | load |\n"
          "|---|---|---|---|---|---|---|")
    for name, (recipe, kwargs) in RECIPES.items():
        kwargs = {k: getattr(steps, v) if k == "step" else v for k, v in kwargs.items()}
        full = kwargs.pop("steps")
        seconds = [getattr(zoo, recipe)(retrain=True, **kwargs, steps=n)[1].seconds
                   for n in (2, args.steps, 2 * args.steps)]
        rate = (seconds[2] - seconds[1]) / args.steps
        print(f"| {name} | {torch.get_num_threads()} | {args.steps} | {rate:.3f} | {full} | "
              f"{rate * full:.0f} s | {os.getloadavg()[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
