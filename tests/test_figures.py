"""Figures everyone can read.

(a) No notebook code cell and no genlib module colours with matplotlib's default categorical
    colours (``tab10``, ``tab:...``, ``"C0"``-``"C9"``) or ad-hoc named colours: they take the
    palette of :mod:`genlib.plots.palette`.
(b) The palette's colours stay pairwise distinguishable for normal vision and under simulated
    protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1):
    CIELAB distance (delta E*ab, CIE 1976) at least 10 for every pair. The bound: about four
    just-noticeable differences (2.3, Mahy, Van Eycken & Oosterlinck 1994), because small
    scatter marks need a larger difference than the large patches a JND is measured on
    (Stone, Szafir & Setlur 2014). matplotlib's old ``tab10`` fails it.
(c) Every genlib.plots function that draws, called on small inputs, leaves a title on each
    panel (its own or the figure's) and, on panels with axes (not image grids), both axis labels.
(d) Every notebook cell that makes a figure titles it, and labels the axes of every cell that
    plots on axes, unless a genlib function that (c) checks does it.
"""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import genlib.plots as plots  # noqa: E402
from genlib.plots.palette import (CLASS_COLOURS, FAMILY_COLOURS, class_colour,  # noqa: E402
                                  family_colour, use_palette)
from genlib.training.history import History  # noqa: E402
from genlib.widgets.latent_map import ScatterPixels  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GENLIB_MODULES = sorted((ROOT / "genlib").rglob("*.py"))


def code_cells(path: Path):
    """(index, cell id, source) of every code cell of a notebook."""
    cells = json.loads(path.read_text())["cells"]
    return [(i, c.get("id"), "".join(c["source"])) for i, c in enumerate(cells)
            if c["cell_type"] == "code"]


# -- (a) no default or ad-hoc categorical colours ----------------------------------------------
NAMED = r"(?:red|green|blue|orange|purple|pink|brown|olive|cyan|magenta|yellow)"
FORBIDDEN = re.compile(
    r"\btab(?:10|20)\w*|\btab:\w+|[\"']C\d[\"']"                          # matplotlib's cycle
    rf"|colou?rs?\s*=\s*[\[(]?\s*[\"']{NAMED}[\"']"                      # color="red"
    rf"|\bc\s*=\s*[\"']{NAMED}[\"']"                                     # c="red"
    r"|\.(?:plot|loglog|semilogx|semilogy)\([^\n]*[\"'][rgbcmy][-+o.*x^sv:]+[\"']")  # "r+"


# colour maps whose order is carried by lightness (sequential) or that are centred on a neutral
# colour with ends apart for colour-blind readers (diverging PRGn, coolwarm)
READABLE_MAPS = {"gray", "Greys", "Blues", "viridis", "cividis", "magma", "inferno", "plasma",
                 "PRGn", "coolwarm"}
COLOUR_MAP = re.compile(r"cmap\s*=\s*[\"'](\w+)[\"']|colormaps\[[\"'](\w+)[\"']\]|plt\.cm\.(?!ScalarMappable)(\w+)")


def unreadable_maps(source: str) -> list[str]:
    return [name for m in COLOUR_MAP.finditer(source)
            for name in m.groups() if name and name not in READABLE_MAPS]


def test_the_colour_map_check():
    assert unreadable_maps('ax.imshow(a, cmap="jet"); plt.cm.tab10(3); matplotlib.colormaps["Set1"]') == [
        "jet", "tab10", "Set1"]
    assert unreadable_maps('cmap="gray"; plt.cm.ScalarMappable(cmap="PRGn")') == []


def test_the_colour_pattern_catches_default_and_named_colours():
    for text in ('cmap="tab10"', "plt.cm.tab10(k / 9)", 'color="tab:purple"', 'color=["C0", "C1"]',
                 "color='C3'", 'color="red"', "colors=['green']", 'c="blue"',
                 'ax.plot(*z[0], "r+", ms=10)'):
        assert FORBIDDEN.search(text), text
    for text in ('color=family_colour("GAN")', 'color="k"', 'color="0.6"', 'cmap="gray"',
                 'cmap="PRGn"', 'ax.plot(x, y, "k--", label="D*")', 'ax.plot(0, 0, "k*")',
                 'label="real", color=CLASS_COLOURS[0]', '"Coat"', '"C++"'):
        assert not FORBIDDEN.search(text), text


@pytest.mark.parametrize("path", GENLIB_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_genlib_modules_use_the_palette(path):
    found = [(n, m.group(0)) for n, line in enumerate(path.read_text().split("\n"), 1)
             for m in FORBIDDEN.finditer(line)]
    found += [(n, name) for n, line in enumerate(path.read_text().split("\n"), 1)
              for name in unreadable_maps(line)]
    assert not found, f"{path.relative_to(ROOT)}: colours outside the palette at {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cells_use_the_palette(path):
    found = [(i, m.group(0)) for i, _, source in code_cells(path)
             for m in FORBIDDEN.finditer(source)]
    found += [(i, name) for i, _, source in code_cells(path) for name in unreadable_maps(source)]
    assert not found, f"{path.name}: colours outside the palette in cells {found}"


# -- (b) distinguishable under simulated colour-vision deficiencies ----------------------------
# Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for Simulation of Color
# Vision Deficiency", IEEE TVCG 15(6): severity 1.0 matrices, applied to linear RGB.
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805],   # IEC 61966-2-1, D65 white
                        [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
MIN_DELTA_E = 10.0
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
         "#7f7f7f", "#bcbd22", "#17becf"]


def linear_rgb(hex_colour: str) -> np.ndarray:
    """The sRGB transfer function undone: '#rrggbb' -> linear RGB in [0, 1]."""
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def cielab(rgb_linear: np.ndarray) -> np.ndarray:
    """CIE 1976 L*a*b* of a linear RGB colour, relative to the D65 white."""
    xyz = SRGB_TO_XYZ @ np.clip(rgb_linear, 0, 1) / (SRGB_TO_XYZ @ np.ones(3))
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours, vision: str) -> tuple[float, str, str]:
    """The smallest delta E*ab between two of ``colours`` as seen with ``vision``."""
    seen = {c: cielab(CVD[vision] @ linear_rgb(c)) for c in colours}
    return min((float(np.linalg.norm(seen[a] - seen[b])), a, b)
               for a, b in itertools.combinations(colours, 2))


def test_colour_conversion_matches_reference_values():
    assert np.allclose(cielab(linear_rgb("#ffffff")), [100, 0, 0], atol=0.01)
    assert np.allclose(cielab(linear_rgb("#ff0000")), [53.24, 80.09, 67.20], atol=0.1)
    assert np.allclose(cielab(linear_rgb("#808080")), [53.59, 0, 0], atol=0.05)
    for vision, matrix in CVD.items():   # each simulation keeps white and greys
        assert np.allclose(matrix.sum(1), 1, atol=1e-3), vision


@pytest.mark.parametrize("vision", ["protanopia", "deuteranopia"])
def test_the_check_rejects_tab10(vision):   # tab10's red-green pairs merge for these viewers
    assert closest_pair(TAB10, vision)[0] < MIN_DELTA_E


@pytest.mark.parametrize("vision", list(CVD))
@pytest.mark.parametrize("name, colours", [("class colours", CLASS_COLOURS),
                                           ("family colours", tuple(FAMILY_COLOURS.values()))])
def test_palette_is_distinguishable(name, colours, vision):
    assert len(set(colours)) == len(colours)
    distance, a, b = closest_pair(colours, vision)
    assert distance >= MIN_DELTA_E, f"{name} under {vision}: {a} and {b} only {distance:.1f} apart"


def test_palette_lookups_and_style():
    assert len(CLASS_COLOURS) == 10 and [class_colour(k) for k in range(10)] == list(CLASS_COLOURS)
    assert family_colour("DCGAN") == family_colour("GAN") == FAMILY_COLOURS["GAN"]
    with pytest.raises(ValueError, match="k must be in 0..9"):
        class_colour(10)
    with pytest.raises(TypeError, match="k must be an integer"):
        class_colour(1.5)
    with pytest.raises(ValueError, match="name must be one of"):
        family_colour("GANs")
    saved = matplotlib.rcParams["axes.prop_cycle"]
    try:
        use_palette()
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(CLASS_COLOURS)
    finally:
        matplotlib.rcParams["axes.prop_cycle"] = saved


# -- (c) genlib.plots titles and labels its figures ---------------------------------------------
def is_image_grid(ax) -> bool:
    """An image with no ticks: nothing on its axes to label."""
    return bool(ax.images) and not ax.get_xticks().size and not ax.get_yticks().size


def unreadable_panels(fig) -> list[str]:
    """What each visible panel of ``fig`` lacks: a title (its own or the figure's) and, unless
    it is an image grid, an x and a y label."""
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    problems = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison or hasattr(ax, "_colorbar"):
            continue
        if not (ax.get_title() or suptitle):
            problems.append(f"panel {i}: no title")
        if not is_image_grid(ax) and not (ax.get_xlabel() and ax.get_ylabel()):
            problems.append(f"panel {i}: axis labels {ax.get_xlabel()!r}, {ax.get_ylabel()!r}")
    return problems


class TinyContender:
    def __init__(self, name, encoder: bool):
        self.name, self.latent_dim = name, 2
        self.encode = (lambda x: x.flatten(1)[:, :2]) if encoder else None

    def decode(self, z):
        return torch.sigmoid(z.sum(1)).view(-1, 1, 1, 1).expand(-1, 1, 6, 6)

    def sample(self, n, seed):
        return self.decode(torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)))


def toy_gan():
    torch.manual_seed(0)
    generator = torch.nn.Linear(2, 2)
    discriminator = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    return generator, lambda x: discriminator(x).squeeze(-1)


def one_panel():
    return plt.subplots(figsize=(3, 3))


def draw_show_images():
    return plots.show_images(torch.rand(4, 1, 6, 6), nrow=2, title="four images").figure


def draw_gan_lab(kind):
    generator, discriminator = toy_gan()
    fig, ax = one_panel()
    real, z = torch.randn(20, 2), torch.randn(20, 2)
    plots.draw_gan_lab(ax, generator, discriminator, real, z, plots.plot_extent(real), kind=kind,
                       modes=torch.zeros(1, 2), arrows=5)
    return fig


def draw_samples():
    fig, ax = one_panel()
    plots.draw_samples(ax, torch.randn(20, 2), torch.randn(20, 2), torch.zeros(1, 2))
    ax.set_title("samples")   # a panel the caller titles: draw_samples labels only the axes
    return fig


def history():
    h = History("demo")
    for step in range(5):
        h.log(step, d_loss=1.0 / (step + 1), g_loss=0.5, elbo=-100.0 + step)
    return h


DRAWINGS = {   # every genlib.plots function that draws, on small inputs
    "show_images": draw_show_images,
    "draw_sample_grids": lambda: plots.draw_sample_grids(
        [TinyContender("A", True), TinyContender("B", False)], torch.rand(4, 1, 6, 6), n=4),
    "draw_interpolations": lambda: plots.draw_interpolations(
        [TinyContender("A", True), TinyContender("B", False)], torch.rand(1, 1, 6, 6),
        torch.rand(1, 1, 6, 6), frames=3),
    "draw_gan_lab": lambda: draw_gan_lab("non-saturating"),
    "draw_gan_lab (critic)": lambda: draw_gan_lab("wasserstein"),
    "draw_samples": draw_samples,
    "History.plot": lambda: history().plot([["d_loss", "g_loss"], ["elbo"]]),
    "latent map": lambda: ScatterPixels(np.random.default_rng(0).normal(size=(30, 2)),
                                        np.arange(30) % 10, [(-3, 3), (-3, 3)]).figure,
    "History.plot (one axis)": lambda: history().plot(["elbo"], ax=one_panel()[1]),
}
DRAWS_ONLY_INTO_A_PANEL = {"draw_decision_surface", "draw_gradient_field"}   # parts of draw_gan_lab


def test_every_drawing_function_is_checked():
    drawing = {name for name in plots.__all__ if name.startswith(("draw_", "show_"))}
    checked = {name.split(" ")[0] for name in DRAWINGS}
    assert drawing - DRAWS_ONLY_INTO_A_PANEL <= checked, drawing - DRAWS_ONLY_INTO_A_PANEL - checked


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_genlib_figures_have_titles_and_labels(name):
    fig = DRAWINGS[name]()
    try:
        assert fig.axes and not unreadable_panels(fig), unreadable_panels(fig)
    finally:
        plt.close(fig)


def test_the_panel_check_catches_a_bare_plot():
    fig, ax = one_panel()
    ax.plot([0, 1], [1, 0])
    assert unreadable_panels(fig) == ["panel 0: no title", "panel 0: axis labels '', ''"]
    ax.set_title("t"); ax.set_xlabel("x")
    assert unreadable_panels(fig) == ["panel 0: axis labels 'x', ''"]
    plt.close(fig)


def test_history_y_labels_carry_units():
    fig = history().plot([["d_loss", "g_loss"], ["elbo"]])
    assert [ax.get_ylabel() for ax in fig.axes] == ["d_loss, g_loss (nats)", "elbo (nats per image)"]
    plt.close(fig)


# -- (d) notebook cells that make figures title and label them --------------------------------
MAKES_FIGURE = re.compile(r"plt\.subplots\(|plt\.figure\(|\bFigure\(|\.add_subplot\(|"
                          r"\bshow_images\(|\bdraw_sample_grids\(|\bdraw_interpolations\(|"
                          r"\bdraw_gan_lab\(|\bdraw_samples\(")
TITLED = re.compile(r"\.set_title\(|\.suptitle\(|\btitle\s*=|\.set\([^)]*title=")
X_LABEL, Y_LABEL = re.compile(r"\.set_xlabel\(|\bxlabel\s*="), re.compile(r"\.set_ylabel\(|\bylabel\s*=")
# drawing on axes: ax.plot(...), axes[0].scatter(...), ...; a History's own .plot labels itself
PLOTS_ON_AXES = re.compile(r"(\w+(?:\[[^\]]*\])?)\.(plot|scatter|bar|barh|hist|semilogx|semilogy|"
                           r"loglog|contourf|contour|fill_between|errorbar|imshow)\(")
# genlib functions that title or label their own panels, as (c) checks
SELF_TITLED = re.compile(r"\bdraw_sample_grids\(|\bdraw_interpolations\(|\bdraw_gan_lab\(|"
                         r"\w*history\w*\.plot\(")


def unreadable_cell(source: str) -> list[str]:
    """What a code cell that draws lacks: a title, or the x and y labels of its axes."""
    if not MAKES_FIGURE.search(source):
        return []
    problems = []
    if not (TITLED.search(source) or SELF_TITLED.search(source)):
        problems.append("no title")
    on_axes = [m for m in PLOTS_ON_AXES.finditer(source)
               if "history" not in m.group(1) and not (m.group(2) == "imshow" and 'axis("off")' in source)]
    if on_axes and not (X_LABEL.search(source) and Y_LABEL.search(source)):
        problems.append(f"{on_axes[0].group(0)}... without an x and a y label")
    return problems


def test_the_cell_check_catches_unlabelled_figures():
    assert unreadable_cell("fig, ax = plt.subplots()\nax.plot(x, y)\nplt.show()") == [
        "no title", "ax.plot(... without an x and a y label"]
    assert unreadable_cell("fig, ax = plt.subplots()\nax.plot(x, y)\nax.set_title('t')\n"
                           "ax.set_xlabel('x')") == ["ax.plot(... without an x and a y label"]
    assert unreadable_cell("fig, ax = plt.subplots()\nax.imshow(g)\nax.set_title('t')\n"
                           'ax.axis("off")') == []
    assert unreadable_cell("history.plot(['elbo'])\nplt.show()") == []   # no figure made here
    assert unreadable_cell("fig, axes = plt.subplots(1, 2)\nhistory.plot(['a'], ax=axes[0])") == []
    assert unreadable_cell("print(1)") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_figures_have_titles_and_labels(path):
    found = {f"cell {i} ({cell_id})": problems for i, cell_id, source in code_cells(path)
             if (problems := unreadable_cell(source))}
    assert not found, f"{path.name}: {found}"
