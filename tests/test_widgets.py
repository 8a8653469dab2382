"""Headless tests of genlib.widgets: move a control from Python (as a cell or the front end
would), and check the image bytes, the number of redraws, and the latent they show."""
import math

import ipywidgets
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from genlib.widgets import (class_picker, interpolation, latent_map, latent_sliders,
                            live_training, model_picker)
from genlib.widgets._render import Redraw, decode, image_png, row_png
from genlib.widgets.interpolation import lerp, slerp
from genlib.widgets.latent_map import ScatterPixels

LATENT = 4


class TinyDecoder(nn.Module):
    """A seeded MLP decoder: B x d -> B x 1 x 8 x 8 in [0, 1]; records inference mode."""

    def __init__(self, latent_dim=LATENT, side=8):
        super().__init__()
        torch.manual_seed(0)
        self.side = side
        self.net = nn.Sequential(nn.Linear(latent_dim, 32), nn.Tanh(), nn.Linear(32, side * side))
        self.calls, self.inference = 0, []

    def forward(self, z):
        self.calls += 1
        self.inference.append(torch.is_inference_mode_enabled())
        return torch.sigmoid(3 * self.net(z)).view(-1, 1, self.side, self.side)


@pytest.fixture
def decoder():
    return TinyDecoder()


@pytest.fixture
def z0():
    return torch.tensor([0.5, -1.0, 0.25, 2.0])


def expected_png(decoder, z, scale=4):
    """What the widget must show for latent z: decoded and encoded independently."""
    return image_png(decode(decoder, z.reshape(1, -1))[0], scale)


def front_end_sets(widget, **state):
    """Apply a state update the way a comm message from the browser does."""
    widget.set_state(state)


# -- Redraw -------------------------------------------------------------------------------
def test_redraw_runs_once_per_change_and_once_per_held_batch():
    drawn = []
    redraw = Redraw(lambda: drawn.append(1))
    redraw(); redraw()
    assert redraw.count == 2
    with redraw.hold():
        redraw(); redraw(); redraw()
        with redraw.hold():
            redraw()
        assert redraw.count == 2  # nothing drawn inside the batch
    assert redraw.count == 3 and len(drawn) == 3
    with redraw.hold():
        pass
    assert redraw.count == 3  # an empty batch draws nothing


def test_redraws_run_on_one_thread_and_restore_the_setting():
    threads = []
    redraw = Redraw(lambda: threads.append(torch.get_num_threads()))
    torch.set_num_threads(2)
    try:
        redraw()
        assert threads == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)  # the test suite's setting (conftest)


def test_decode_runs_in_inference_mode_and_checks_the_shape(decoder, z0):
    images = decode(decoder, z0[None])
    assert images.shape == (1, 1, 8, 8) and decoder.inference == [True]
    with pytest.raises(ValueError, match="B x 1 x H x W"):
        decode(lambda z: z, z0[None])


def test_row_png_shrinks_the_scale_to_fit():
    images = torch.rand(10, 1, 28, 28)
    small = row_png(images, scale=4, max_width=300)
    big = row_png(images, scale=4, max_width=10_000)
    assert len(small) < len(big)


# -- latent_sliders -----------------------------------------------------------------------
def test_slider_changes_image_once_per_change_and_reset_restores_it(decoder, z0):
    w = latent_sliders(decoder, z0, scale=3)
    assert isinstance(w, ipywidgets.Box) and isinstance(w.image, ipywidgets.Image)
    assert len(w.sliders) == LATENT and all(isinstance(s, ipywidgets.FloatSlider) for s in w.sliders)
    original = w.image.value
    assert original[:8] == b"\x89PNG\r\n\x1a\n" and w.redraws == 1
    assert original == expected_png(decoder, z0, scale=3)

    w.sliders[1].value = 1.5
    assert w.redraws == 2 and w.image.value != original
    assert torch.allclose(w.z, torch.tensor([0.5, 1.5, 0.25, 2.0]))
    assert w.image.value == expected_png(decoder, w.z, scale=3)

    w.sliders[1].value = 1.5  # no change, no redraw
    assert w.redraws == 2
    front_end_sets(w.sliders[3], value=-2.0)  # as a message from the browser
    assert w.redraws == 3 and w.z[3].item() == -2.0

    w.reset()
    assert w.redraws == 4  # one redraw for the whole reset
    assert w.image.value == original and torch.equal(w.z, z0)
    assert all(d for d in decoder.inference)


def test_a_burst_of_changes_ends_on_the_latest_value(decoder, z0):
    w = latent_sliders(decoder, z0)
    values = torch.linspace(-3, 3, 25).tolist()
    for v in values:
        front_end_sets(w.sliders[0], value=v)
    assert w.redraws == 1 + len(values)
    assert w.z[0].item() == pytest.approx(values[-1])
    assert w.image.value == expected_png(decoder, w.z)


def test_randomize_is_one_seeded_redraw_from_the_prior(decoder, z0):
    a, b = latent_sliders(decoder, z0, seed=7), latent_sliders(decoder, z0, seed=7)
    a.randomize(); b.randomize()
    assert a.redraws == 2 and torch.equal(a.z, b.z) and not torch.equal(a.z, z0)
    assert a.image.value == b.image.value == expected_png(decoder, a.z)
    assert [s.value for s in a.sliders] == a.z.tolist()
    a.reset()
    assert torch.equal(a.z, z0)


def test_dims_keep_the_other_coordinates(decoder, z0):
    w = latent_sliders(decoder, z0[None], dims=[2], labels=["thickness"])
    assert [s.description for s in w.sliders] == ["thickness"]
    assert w.z.shape == (1, LATENT)  # the shape the latent was given in
    w.sliders[0].value = -1.0
    assert torch.allclose(w.z, torch.tensor([[0.5, -1.0, -1.0, 2.0]]))


def test_the_range_widens_to_hold_the_starting_value(decoder):
    z = torch.tensor([5.0, 0.0, 0.0, 0.0])
    w = latent_sliders(decoder, z, value_range=(-3, 3))
    assert w.sliders[0].max == 5.0 and w.sliders[1].max == 3.0
    assert torch.equal(w.z, z)


def test_directions_move_along_their_rows(decoder, z0):
    directions = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]])
    w = latent_sliders(decoder, z0, directions=directions)
    assert [s.value for s in w.sliders] == [0.0, 0.0]
    original = w.image.value
    w.sliders[0].value = 0.5
    w.sliders[1].value = -1.0
    assert torch.allclose(w.z, z0 + 0.5 * directions[0] - directions[1])
    w.randomize()
    assert [s.value for s in w.sliders] == [0.0, 0.0]
    w.reset()
    assert w.image.value == original


def test_bad_arguments_are_explained(decoder, z0):
    with pytest.raises(ValueError, match="not both"):
        latent_sliders(decoder, z0, dims=[0], directions=torch.ones(1, LATENT))
    with pytest.raises(ValueError, match="indices"):
        latent_sliders(decoder, z0, dims=[LATENT])
    with pytest.raises(ValueError, match="k x 4"):
        latent_sliders(decoder, z0, directions=torch.ones(2, 3))
    with pytest.raises(ValueError, match="one latent vector"):
        latent_sliders(decoder, torch.zeros(2, LATENT))
    with pytest.raises(ValueError, match="labels"):
        latent_sliders(decoder, z0, labels=["a"])


# -- interpolation ------------------------------------------------------------------------
def angle(a, b):
    return math.acos(max(-1.0, min(1.0, (a @ b / (a.norm() * b.norm())).item())))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 1), st.floats(0.5, 3))
def test_slerp_follows_the_great_circle(seed, t, radius):
    rng = torch.Generator().manual_seed(seed)
    z0 = torch.randn(6, generator=rng, dtype=torch.float64)
    z1 = torch.randn(6, generator=rng, dtype=torch.float64)
    z0, z1 = radius * z0 / z0.norm(), radius * z1 / z1.norm()
    zt = slerp(z0, z1, t)
    omega = angle(z0, z1)
    assert zt.norm().item() == pytest.approx(radius, rel=1e-6)  # stays on the sphere
    assert angle(z0, zt) == pytest.approx(t * omega, abs=1e-6)  # at constant angular speed
    assert angle(zt, z1) == pytest.approx((1 - t) * omega, abs=1e-6)


def test_paths_start_and_end_at_the_endpoints():
    z0, z1 = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 1.0])
    for path in (slerp, lerp):
        ends = path(z0, z1, torch.tensor([0.0, 1.0]))
        assert torch.allclose(ends, torch.stack([z0, z1]), atol=1e-6)
    assert torch.allclose(lerp(z0, z1, 0.5), torch.tensor([1.5, 0.5]))
    assert torch.allclose(slerp(z0, z1, 0.5), (z0 + z1) / math.sqrt(2))  # 45 degrees
    # antiparallel endpoints: no unique great circle, the straight line is used
    assert torch.allclose(slerp(z0, -z0, 0.25), lerp(z0, -z0, 0.25))


def test_interpolation_slider_and_method(decoder, z0):
    z1 = -0.5 * z0.flip(0)
    w = interpolation(decoder, z0, z1, method="linear", frames=5, scale=2)
    original, strip = w.image.value, w.strip.value
    assert original == expected_png(decoder, z0, scale=2) and w.redraws == 1
    assert strip == row_png(decode(decoder, lerp(z0, z1, torch.linspace(0, 1, 5))), 2)
    w.slider.value = 0.3
    assert w.redraws == 2 and w.image.value != original
    assert torch.allclose(w.z, lerp(z0, z1, 0.3)[None])
    w.method.value = "slerp"
    assert w.redraws == 3 and w.strip.value != strip
    assert torch.allclose(w.z, slerp(z0, z1, 0.3)[None])
    w.slider.value = 1.0
    assert w.image.value == expected_png(decoder, z1, scale=2)
    w.slider.value = 0.0
    assert w.image.value == original and w.redraws == 5
    w.set_endpoints(z1, z0)
    assert w.redraws == 6 and w.image.value == expected_png(decoder, z1, scale=2)
    with pytest.raises(ValueError, match="method"):
        interpolation(decoder, z0, z1, method="cubic")


# -- latent_map ---------------------------------------------------------------------------
@pytest.fixture
def codes_and_labels():
    rng = torch.Generator().manual_seed(0)
    labels = torch.arange(300) % 3
    codes = torch.randn(300, 2, generator=rng) + torch.stack([labels, -labels], 1).float()
    return codes, labels


def test_latent_map_cursor_decodes_the_point_under_it(codes_and_labels):
    decoder = TinyDecoder(latent_dim=2)
    w = latent_map(decoder, *codes_and_labels, grid_extent=4.0)
    assert (w.x_slider.min, w.x_slider.max, w.y_slider.min) == (-4.0, 4.0, -4.0)
    image, picture = w.image.value, w.map_image.value
    assert image == expected_png(decoder, torch.zeros(2)) and w.redraws == 1
    w.x_slider.value = 1.5
    assert w.redraws == 2 and w.image.value != image and w.map_image.value != picture
    assert w.image.value == expected_png(decoder, torch.tensor([1.5, 0.0]))
    w.move_to(-2.0, 3.0)
    assert w.redraws == 3 and torch.equal(w.z, torch.tensor([[-2.0, 3.0]]))
    w.move_to(0.0, 0.0)
    assert (w.image.value, w.map_image.value) == (image, picture)


def test_latent_map_extent_and_cursor_pixels(codes_and_labels):
    codes, labels = codes_and_labels
    w = latent_map(TinyDecoder(latent_dim=2), codes, labels=None)
    assert w.x_slider.min < codes[:, 0].median() < w.x_slider.max
    scatter = ScatterPixels(codes.numpy(), labels.numpy(), [(-3, 3), (-3, 3)])
    row, col = scatter.to_pixel(1.0, -2.0)
    crossed = scatter.with_cursor(1.0, -2.0)
    assert (crossed[row, col] != scatter.pixels[row, col]).any()  # the cursor is drawn there
    top_row, _ = scatter.to_pixel(1.0, 2.0)
    assert top_row < row  # larger z2 is higher up
    with pytest.raises(ValueError, match="2-D latents"):
        latent_map(TinyDecoder(), torch.zeros(5, 4), None)


# -- pickers ------------------------------------------------------------------------------
def test_class_picker_shows_one_style_in_every_class(decoder, z0):
    seen = []

    def decoder_for_class(z, k):
        seen.append(k)
        return decoder(z + k)

    w = class_picker(decoder_for_class, z0, classes=["a", "b", "c"], scale=2)
    assert set(seen) == {0, 1, 2} and all(isinstance(k, int) for k in seen)
    image, row = w.image.value, w.row_image.value
    w.picker.value = "c"
    assert w.redraws == 2 and w.image.value == expected_png(decoder, z0 + 2, scale=2)
    assert w.row_image.value == row  # same style, same row
    w.sliders[0].value = -2.0
    assert w.redraws == 3 and w.row_image.value != row
    w.picker.index = 0
    w.reset()
    assert (w.image.value, w.row_image.value) == (image, row)


def test_model_picker_switches_decoders(decoder, z0):
    w = model_picker({"beta = 1": decoder, "beta = 4": lambda z: 1 - decoder(z)}, z0, dims=[0, 1])
    first = w.image.value
    assert list(w.picker.options) == ["beta = 1", "beta = 4"] and len(w.sliders) == 2
    w.picker.value = "beta = 4"
    assert w.redraws == 2 and w.image.value != first
    assert w.image.value == image_png(1 - decode(decoder, z0[None])[0], 4)
    many = model_picker({str(i): decoder for i in range(20)}, z0)
    assert isinstance(many.picker, ipywidgets.Dropdown)


# -- live_training ------------------------------------------------------------------------
def test_live_training_steps_and_redraws():
    losses, lrs = [], []

    def step_fn(n):
        for _ in range(n):
            losses.append(1.0 / (len(losses) + 1))

    def draw_fn(fig):
        fig.clf()
        fig.subplots().plot(losses)

    w = live_training(step_fn, draw_fn, steps_per_tick=3, lr=1e-3, on_lr=lrs.append)
    first = w.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and w.steps_done == 0 and losses == []
    w.step(5)
    assert len(losses) == 5 and w.steps_done == 5 and w.image.value != first
    w.step_button.click()
    assert len(losses) == 8
    w.play.value += 1  # a tick of the Play control
    assert len(losses) == 11 and w.status.value == "step 11"
    w.play.value = 0  # the stop button rewinds: no training
    assert len(losses) == 11
    w.lr_slider.value = 1e-2
    assert lrs == [pytest.approx(1e-2)]


def test_live_training_stops_playing_when_a_step_fails():
    def step_fn(n):
        raise FloatingPointError("loss is NaN")

    w = live_training(step_fn, lambda fig: None)
    w.play.playing = True
    with pytest.raises(FloatingPointError):
        w.play.value = 1
    assert w.play.playing is False and "stopped" in w.status.value
    with pytest.raises(ValueError, match="together"):
        live_training(step_fn, lambda fig: None, lr=1e-3)
