"""Copies of a network along one training run (notebook 08's curves): each copy holds the
weights of its step, the run with copies trains exactly as the run without, and the copies
come back from the cache with the model."""
import pytest
import torch

from genlib import steps, zoo
from genlib.training import TrainingSnapshots, planned_snapshots, snapshot_steps


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_planned_steps_are_a_quarter_a_half_and_all_of_the_run():
    assert snapshot_steps(936) == (234, 468, 936)
    assert snapshot_steps(2) == (1, 2) and planned_snapshots(False, 936) == []
    with pytest.raises(TypeError, match="snapshots must be True or False"):
        planned_snapshots("yes", 936)


def test_a_copy_holds_the_weights_of_its_step():
    network = torch.nn.Linear(2, 2)
    snapshots = TrainingSnapshots((1, 3), lambda: (torch.nn.Linear(2, 2),))
    take = snapshots.taker(network)
    weights = []
    for t in range(4):
        with torch.no_grad():
            network.weight.add_(1.0)
        weights.append(network.weight.detach().clone())
        take(t)
    assert [step for step, _ in snapshots.items()] == [1, 3]
    (_, (first,)), (_, (last,)) = snapshots.items()
    assert torch.equal(first.weight, weights[0]) and torch.equal(last.weight, weights[2])


RECIPES = [(zoo.dcgan, steps.gan_step, {"train_images": 256}, "generator"),
           (zoo.conv_vae, steps.vae_step, {"train_images": 512}, "vae"),
           (zoo.vaegan, steps.vaegan_step, {"train_images": 256}, "decoder"),
           (zoo.ddpm, steps.v_ddpm_step, {"train_images": 256, "prediction": "v", "ema": 0.9,
                                          "steps": 8}, "denoiser"),
           (zoo.flow_matching, steps.flow_matching_step, {"train_images": 256, "steps": 8}, "ema")]


@pytest.mark.parametrize("recipe, step, overrides, sampler", RECIPES,
                         ids=[r.__name__ for r, *_ in RECIPES])
def test_a_run_with_copies_trains_as_the_run_without(recipe, step, overrides, sampler, quick_mode,
                                                     cache_dir):
    plain, _ = recipe(step=step, **overrides)
    kept, history = recipe(step=step, snapshots=True, **overrides)
    assert same_weights(plain[sampler], kept[sampler])        # copying changes no draw
    taken = kept["snapshots"].items()
    assert [s for s, _ in taken] == history.config["snapshots"]
    assert same_weights(taken[-1][1][0], kept[sampler])       # the last copy: the end of the run
    assert not same_weights(taken[0][1][0], kept[sampler])    # the first: a younger network
    loaded, _ = recipe(step=step, snapshots=True, **overrides)   # from the cache, copies and all
    assert all(same_weights(a[0], b[0]) for (_, a), (_, b) in zip(taken, loaded["snapshots"].items()))
