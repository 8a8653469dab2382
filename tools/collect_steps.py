"""Collect the update steps the notebooks teach into ``genlib/steps/`` (d2l's ``#@save``).

    python tools/collect_steps.py           # write genlib/steps/<family>.py from the notebooks
    python tools/collect_steps.py --check   # exit 1, naming each file that the notebooks would change

Notebook 10's broken steps (its "Spot the bug") are collected the same way, into
``genlib/broken_steps.py``, for ``genlib.pitfalls`` to check.

The notebook is where a step is written; the package is where it is collected. A code cell
whose first line is ``#@save`` is the source of the functions it defines (it holds nothing
else). The notebooks are read in order; each saved function goes to its family's module
(``MODULES`` below), after a generated header, the module's docstring (the maths, kept here
and nowhere else) and the imports its functions use (``IMPORTS``), exactly as the cell writes
it. A later notebook may show a saved step again in a cell of its own (notebook 03 shows
notebook 02's ``gan_step``): such a repeat is rewritten from the saved cell, so a step is
edited in one place only.

``genlib/steps/classifier.py`` is the one hand-written step module: the metrics' classifier
is trained for the measurements, and no notebook teaches its step.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GENLIB = ROOT / "genlib"
TAG = "#@save"
HAND_WRITTEN = {"__init__.py", "classifier.py"}

# each module (a path under genlib/): its docstring and the functions it collects, in this order
MODULES = {
    "steps/gan.py": (r'''``gan_step``: one iteration of Goodfellow et al.'s Algorithm 1 (notebooks 02 and 03).

D outputs logits, so log D = logsigmoid(logit) and log(1 - D) = logsigmoid(-logit).
The discriminator ascends the value function (notebook 01, "From a classifier's loss to V(D, G)")

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

with G fixed; then the generator descends it (``saturating=True``) or ascends E_z[log D(G(z))],
the non-saturating loss with the same fixed point (notebook 01, "Saturating versus
non-saturating generator loss").''', ["gan_step"]),
    "steps/wgan.py": (r'''``wgan_step``: n critic updates, then one generator update (notebook 04).

Kantorovich-Rubinstein: W1(p_data, p_g) = sup_{||f||_L <= 1} E_x[f(x)] - E_z[f(G(z))].
The critic f ascends that difference under a Lipschitz constraint, either WGAN-GP's
gradient penalty lambda E[(||grad f(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017, Algorithm 1)
or weight clipping to [-c, c] after every update (Arjovsky et al. 2017, Algorithm 1); then
G ascends E_z[f(G(z))]. ``x`` holds ``n_critic`` real batches, one per critic update.''',
             ["wgan_step"]),
    "steps/vae.py": (r'''The VAE steps: gradient ascent on the evidence lower bound (notebooks 05-07).

For a batch of grey-level images x in [0, 1], binarised afresh at every step (each pixel a
Bernoulli draw with its grey level as probability), with q(z|x) = N(mu, diag(exp(logvar))):

    ELBO(x) = E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || N(0, I))

(notebook 05, "The evidence lower bound, derived twice"), estimated with one reparameterised
z = mu + sigma * eps and the KL in closed form.

* ``vae_step``            the ELBO, or the beta-VAE objective with ``beta`` != 1
                          (notebook 07, "Rate and distortion")
* ``warmup_vae_step``     KL warm-up: beta ramps from 0 to 1 over ``warmup_steps``
                          (notebook 07, "Remedies: KL warm-up, and free bits")
* ``free_bits_vae_step``  each latent dimension's KL counts as at least ``free_bits`` (same section)
* ``cvae_step``           the conditional ELBO with q(z|x, y) and p(x|z, y)
                          (notebook 07, "The conditional VAE")

Each logs the ELBO itself (beta = 1) and its two terms, in nats per image.''',
            ["vae_step", "warmup_vae_step", "free_bits_vae_step", "cvae_step"]),
    "steps/vaegan.py": (r'''``vaegan_step``: the three updates of Larsen et al. (2016), Algorithm 1
(notebook 08, "The VAE-GAN").

With x a real batch in [0, 1], z ~ q(z|x), x~ = Dec(z), z_p ~ N(0, I), x_p = Dec(z_p), and
Dis_l the discriminator's last hidden layer (``Dis.features``):

    L_prior = KL(q(z|x) || p(z))
    L_like  = 1/2 ||Dis_l(x~) - Dis_l(x)||^2 / n_l        (a Gaussian in feature space)
    L_pixel = 1/2 ||x~ - x||^2 / n_pixels                  (our addition, below)
    L_GAN   = log Dis(x) + log(1 - Dis(x~)) + log(1 - Dis(x_p))

    Dis  maximises  L_GAN
    Enc  minimises  kl_weight L_prior + L_like + pixel_weight L_pixel
    Dec  minimises  gamma (L_like + pixel_weight L_pixel) - log Dis(x~) - log Dis(x_p)

L_like and L_pixel are means over features and pixels, so gamma keeps its meaning when the
networks change width; ``kl_weight`` puts the summed KL on that scale. Larsen et al. compare
reconstructions in the discriminator's features only; with a few minutes of training those
features are still immature when the encoder most needs a signal, so a pixel term is added
(``pixel_weight = 0`` gives their loss).''', ["vaegan_step"]),
    "steps/posterior.py": (r'''``posterior_step``: fitting an approximate posterior q to fixed observations
(notebook 09, "Experiment: a Gaussian q against an 8-layer planar flow").

No encoder: every observation has its own q (non-amortised variational inference), so only
the *family* of q limits the ELBO,

    ELBO = E_{z ~ q}[log p(x, z) - log q(z)],

estimated with ``n_samples`` reparameterised samples.''', ["posterior_step"]),
    "steps/bigan.py": (r'''``bigan_step``: the BiGAN / ALI game (notebook 09, "A GAN on pairs").

    min_{G,E} max_D  V(D, E, G) = E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))]

The discriminator takes a step on -V with E and G fixed; then E and G take a step on the
non-saturating form of their objective, each pair pushed towards the *other* label (the
trick of notebook 01, "Saturating versus non-saturating generator loss", for both players).''',
              ["bigan_step"]),
    "steps/diffusion.py": (r'''The diffusion step: gradient descent on the noise-prediction loss (notebook 11).

For a batch x_0 (images mapped to 2 x - 1 with ``rescale``), one step t ~ U{1..T} and one noise
eps ~ N(0, I) per example:

    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
    L_simple = E ||eps - eps_theta(x_t, t)||^2                (Ho et al. 2020)

x_t from notebook 11's "The forward process: an encoder that only adds noise"; L_simple from its
"Predicting the noise is the ELBO, reweighted": the ELBO's KL terms without their weights
beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)).''',
                  ["ddpm_step"]),
    "broken_steps.py": (r'''The broken training steps of notebook 10's "Spot the bug", as the notebook gives them:
``step_n`` is bug n, for :mod:`genlib.pitfalls` to check and to recognise when it is unchanged.

Five GAN steps with ``gan_step``'s signature and one VAE step with ``vae_step``'s, each with one
bug of the kind found in tutorials. They are the exercise: their fixes are not in this package.''',
                        [f"step_{n}" for n in range(1, 7)]),
}

# the import that binds each global name a step may use (genlib's are written relative)
IMPORTS = {
    "torch": "import torch",
    "F": "import torch.nn.functional as F",
    "nn": "from torch import nn",
    "gradient_penalty": "from genlib.objectives.wasserstein import gradient_penalty",
    "q_sample": "from genlib.objectives.diffusion import q_sample",
    "bernoulli_log_likelihood": "from genlib.objectives.elbo import bernoulli_log_likelihood",
    "gaussian_kl": "from genlib.objectives.elbo import gaussian_kl",
    "reparameterize": "from genlib.objectives.elbo import reparameterize",
}


class StepError(Exception):
    """A tagged cell or a repeat that the tool cannot collect; the message says where."""


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _functions(source: str, where: str) -> dict[str, str]:
    """``{name: source}`` of the functions a cell defines, each line as the cell writes it."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise StepError(f"{where}: {exc}") from None
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            segment = ast.get_source_segment(source, node, padded=False)
            found[node.name] = "\n".join(line.rstrip() for line in segment.splitlines())
    return found


def saved_steps(notebooks: Path = NOTEBOOKS) -> dict[str, tuple[str, str]]:
    """``{function name: (notebook file name, source)}`` of every ``#@save`` cell, in order."""
    saved = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        for i, cell in enumerate(_cells(path)):
            source = _source(cell)
            if cell["cell_type"] != "code" or source.split("\n", 1)[0].strip() != TAG:
                continue
            where = f"{path.name}, code cell {i}"
            body = source.split("\n", 1)[1] if "\n" in source else ""
            functions = _functions(body, where)
            if not functions or len(functions) != len(ast.parse(body).body):
                raise StepError(f"{where}: a {TAG} cell holds function definitions only")
            for name, text in functions.items():
                if name in saved:
                    raise StepError(f"{where}: {name} is already saved in {saved[name][0]}; "
                                    f"save each step in one cell")
                saved[name] = (path.name, text)
    return saved


def module_text(module: str, saved: dict[str, tuple[str, str]]) -> str:
    """The text of ``genlib/<module>``: header, docstring, imports, functions."""
    docstring, names = MODULES[module]
    missing = [name for name in names if name not in saved]
    if missing:
        raise StepError(f"genlib/{module}: no notebook has a {TAG} cell defining "
                        f"{', '.join(missing)}")
    sources = [saved[name][1] for name in names]
    notebooks = sorted({saved[name][0] for name in names})
    header = (f"# Generated by tools/collect_steps.py from "
              f"{' and '.join('notebooks/' + n for n in notebooks)};\n"
              f"# edit the notebook, then run python tools/collect_steps.py\n")
    imports = _imports(module, names, sources)
    return (header + f'r"""{docstring}\n"""\n' + (imports + "\n" if imports else "")
            + "\n\n" + "\n\n\n".join(sources) + "\n")


def _imports(module: str, names: list[str], sources: list[str]) -> str:
    """The import lines that bind every global name the functions read, torch's first and
    genlib's relative to ``genlib/<module>``."""
    used = set()
    for source in sources:
        function = ast.parse(source).body[0]
        local = {a.arg for a in (*function.args.posonlyargs, *function.args.args,
                                 *function.args.kwonlyargs)}
        local |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        used |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)} - local
    used -= set(dir(builtins)) | set(names)
    unknown = sorted(used - set(IMPORTS))
    if unknown:
        raise StepError(f"genlib/{module}: the steps read {', '.join(unknown)}; add "
                        f"the import of each to IMPORTS in tools/collect_steps.py")
    plain = sorted({IMPORTS[n] for n in used if IMPORTS[n].startswith("import ")})
    grouped: dict[str, set[str]] = {}
    for n in used - {n for n in used if IMPORTS[n].startswith("import ")}:
        origin = IMPORTS[n].split()[1]
        if origin.startswith("genlib."):
            origin = "." * len(Path(module).parts) + origin[len("genlib."):]
        grouped.setdefault(origin, set()).add(n)
    third = plain + [f"from {o} import {', '.join(sorted(v))}"
                     for o, v in sorted(grouped.items()) if not o.startswith(".")]
    local = [f"from {o} import {', '.join(sorted(v))}" for o, v in sorted(grouped.items())
             if o.startswith(".")]
    return "\n".join(third) + ("\n\n" + "\n".join(local) if local else "")


def repeats(saved: dict[str, tuple[str, str]], notebooks: Path = NOTEBOOKS):
    """``(path, cell index, name)`` of every untagged cell that defines a saved step again."""
    for path in sorted(notebooks.glob("*.ipynb")):
        for i, cell in enumerate(_cells(path)):
            source = _source(cell)
            if cell["cell_type"] != "code" or source.startswith(TAG):
                continue
            try:
                names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
            except SyntaxError:   # IPython magics: no step there
                continue
            for name in names:
                if name in saved:
                    if len(ast.parse(source).body) != 1:
                        raise StepError(f"{path.name}, code cell {i}: a cell that shows "
                                        f"{name} again holds that function only")
                    yield path, i, name


def collect(notebooks: Path = NOTEBOOKS, genlib: Path = GENLIB) -> dict[Path, str]:
    """Every file the notebooks give, with its text: the step modules, and each notebook
    whose repeated steps differ from their saved cell (its repeats rewritten)."""
    saved = saved_steps(notebooks)
    homeless = sorted(set(saved) - {n for _, names in MODULES.values() for n in names})
    if homeless:
        raise StepError(f"{', '.join(homeless)}: saved in {saved[homeless[0]][0]} but in no "
                        f"module; add it to MODULES in tools/collect_steps.py")
    files = {genlib / module: module_text(module, saved) for module in MODULES}
    for path, i, name in list(repeats(saved, notebooks)):
        nb = json.loads(files[path] if path in files else path.read_text())
        if _source(nb["cells"][i]).rstrip() != saved[name][1]:
            nb["cells"][i]["source"] = saved[name][1].splitlines(True)
            files[path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return files


def differing(notebooks: Path = NOTEBOOKS, genlib: Path = GENLIB) -> list[Path]:
    """The files whose committed text differs from what the notebooks give (the check), and
    any module of ``genlib/steps/`` that is neither generated nor hand-written."""
    files = collect(notebooks, genlib)
    stray = [p for p in (genlib / "steps").glob("*.py")
             if p not in files and p.name not in HAND_WRITTEN]
    return sorted([p for p, text in files.items()
                   if not p.is_file() or p.read_text() != text] + stray)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file differs from what the notebooks give")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = differing()
            for path in stale:
                print(f"{path.relative_to(ROOT)} differs from the notebooks' {TAG} cells: "
                      f"run python tools/collect_steps.py")
            return 1 if stale else 0
        for path, text in collect().items():
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)
                print(f"wrote {path.relative_to(ROOT)}")
    except StepError as exc:
        print(f"collect_steps: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
