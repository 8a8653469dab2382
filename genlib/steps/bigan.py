r"""``bigan_step``: the BiGAN / ALI game (notebook 09, §4).

    min_{G,E} max_D  V(D, E, G) = E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))]

The discriminator takes a step on -V with E and G fixed; then E and G take a step on the
non-saturating form of their objective, each pair pushed towards the *other* label (the
trick of notebook 01, §5, for both players). The cell of notebook 09 is the source.
"""
import torch
import torch.nn.functional as F


def bigan_step(E, G, D, opt_D, opt_EG, x, rng):
    """One discriminator update, then one joint update of the encoder and the generator."""
    z = torch.randn(len(x), G.latent_dim, generator=rng, device=x.device)  # z ~ p(z)
    z_hat, x_hat = E(x), G(z)                                # E(x) and G(z)
    # ---- Update D: maximise E log D(x, E(x)) + E log(1 - D(G(z), z)) ----
    real_logits, fake_logits = D(x, z_hat.detach()), D(x_hat.detach(), z)
    d_loss = -(F.logsigmoid(real_logits).mean()              # E_x log D(x, E(x))
               + F.logsigmoid(-fake_logits).mean())          # E_z log(1 - D(G(z), z))
    opt_D.zero_grad(); d_loss.backward(); opt_D.step()
    # ---- Update E and G: swap the labels (non-saturating) ----
    g_loss = -(F.logsigmoid(-D(x, z_hat)).mean()             # -E_x log(1 - D(x, E(x)))
               + F.logsigmoid(D(x_hat, z)).mean())           # -E_z log D(G(z), z)
    opt_EG.zero_grad(); g_loss.backward(); opt_EG.step()
    return {"d_loss": d_loss, "g_loss": g_loss,
            "d_real": torch.sigmoid(real_logits).mean(), "d_fake": torch.sigmoid(fake_logits).mean()}
