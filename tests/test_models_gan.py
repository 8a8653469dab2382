"""The GAN models: shapes, ranges, Radford et al.'s architecture rules and initialisation."""
import pytest
import torch
from torch import nn

from genlib.models.dcgan import DCGANDiscriminator, DCGANGenerator, init_dcgan_weights
from genlib.models.mlp_gan import MLPDiscriminator, MLPGenerator


def test_mlp_gan_shapes():
    G, D = MLPGenerator(latent_dim=3, hidden=16, depth=2), MLPDiscriminator(hidden=16, depth=2)
    z = torch.randn(5, 3)
    x = G(z)
    assert x.shape == (5, 2)
    assert D(x).shape == (5,)
    assert G.latent_dim == 3
    # depth hidden layers: depth + 1 linear maps
    assert sum(isinstance(m, nn.Linear) for m in G.modules()) == 3
    assert sum(isinstance(m, nn.Linear) for m in D.modules()) == 3


def test_mlp_discriminator_outputs_unbounded_logits():
    D = MLPDiscriminator(hidden=8, depth=1)
    with torch.no_grad():
        D.net[-1].bias.fill_(50.0)
    assert D(torch.zeros(2, 2)).min() > 1.0  # a logit, not a probability


@pytest.mark.parametrize("width", [8, 16])
def test_dcgan_shapes_and_range(width):
    G, D = DCGANGenerator(latent_dim=10, width=width), DCGANDiscriminator(width=width)
    images = G(torch.randn(4, 10))
    assert images.shape == (4, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1  # (tanh + 1) / 2: images in [0, 1]
    assert torch.equal(G.generate(torch.zeros(2, 10)), G(torch.zeros(2, 10)))
    assert D(images).shape == (4,)
    assert G(torch.randn(4, 10, 1, 1)).shape == (4, 1, 28, 28)  # z as a 1x1 map works too


def test_dcgan_follows_radford_guidelines():
    G, D = DCGANGenerator(latent_dim=8, width=8), DCGANDiscriminator(width=8)
    g_layers, d_layers = list(G.net), [*D.hidden, D.logit]
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.Linear)) for m in G.modules())
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.Linear)) for m in D.modules())
    assert isinstance(g_layers[-1], nn.Tanh)
    assert not isinstance(g_layers[-2], nn.BatchNorm2d)  # no batch norm at G's output
    assert isinstance(d_layers[1], nn.LeakyReLU)  # D's input layer: no batch norm
    assert d_layers[1].negative_slope == pytest.approx(0.2)
    assert any(isinstance(m, nn.BatchNorm2d) for m in G.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert any(isinstance(m, nn.ReLU) for m in G.modules())
    strided = [m for m in D.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 2


def test_dcgan_computes_radfords_networks_on_images_in_the_unit_interval():
    # G's image is (tanh + 1) / 2 of their generator's; D reads 2 x - 1, as theirs reads [-1, 1]
    torch.manual_seed(0)
    G, D = DCGANGenerator(latent_dim=8, width=8).eval(), DCGANDiscriminator(width=8).eval()
    z = torch.randn(3, 8, 1, 1)
    with torch.no_grad():
        assert torch.allclose(2 * G(z) - 1, G.net(z), atol=1e-6)
        x_gan = G.net(z)
        assert torch.allclose(D((x_gan + 1) / 2), D.logit(D.hidden(x_gan)).flatten(), atol=1e-5)


def test_dcgan_initialisation():
    torch.manual_seed(0)
    G = DCGANGenerator(latent_dim=64, width=32)
    convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    weights = torch.cat([m.weight.flatten() for m in convs])
    assert weights.mean().abs() < 2e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)
    norms = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    scales = torch.cat([m.weight for m in norms])
    assert (scales - 1).abs().max() < 0.1 and all((m.bias == 0).all() for m in norms)
    other = init_dcgan_weights(nn.Sequential(nn.Conv2d(1, 4, 3)))
    assert (other[0].bias == 0).all()


def test_dcgan_gradients_reach_every_parameter():
    G, D = DCGANGenerator(latent_dim=8, width=8), DCGANDiscriminator(width=8)
    D(G(torch.randn(3, 8))).sum().backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
