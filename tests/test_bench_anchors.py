"""bench/anchors.py runs pytorch/examples' scripts with the measurement's changes applied as text
substitutions: each must find its text exactly once, and the result must still be Python whose
DCGAN networks are the 28 x 28 ones the bench says they are."""
import ast

import pytest

from bench import anchors

pytestmark = pytest.mark.skipif(
    not (anchors.ANCHORS / "dcgan_main.py").is_file(),
    reason=f"needs pytorch/examples' scripts in {anchors.ANCHORS} (enable: set GENLIB_ANCHORS to "
           "the folder with dcgan_main.py and vae_main.py)")


@pytest.mark.parametrize("script, patches", [("dcgan_main.py", anchors.DCGAN_PATCHES),
                                             ("vae_main.py", anchors.VAE_PATCHES)])
def test_every_change_applies_once_and_the_script_still_parses(script, patches):
    source = (anchors.ANCHORS / script).read_text()
    changed = anchors.patched(source, patches)
    ast.parse(changed)
    assert changed != source and "_snapshot(_generate)" in changed
    with pytest.raises(RuntimeError, match="changed"):
        anchors.patched(changed, patches)     # applied twice: the texts are gone


def test_the_dcgan_networks_are_cut_to_28_by_28():
    import torch
    from torch import nn
    changed = anchors.patched((anchors.ANCHORS / "dcgan_main.py").read_text(), anchors.DCGAN_PATCHES)
    tree = ast.parse(changed)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    namespace = {"nn": nn, "torch": torch, "nz": 100, "ngf": 64, "ndf": 64, "nc": 1}
    exec(compile(ast.Module(body=classes, type_ignores=[]), "dcgan", "exec"), namespace)
    G, D = namespace["Generator"](1), namespace["Discriminator"](1)
    with torch.no_grad():
        images = G(torch.randn(3, 100, 1, 1))
        assert images.shape == (3, 1, 28, 28)
        assert D(images).shape == (3,)
