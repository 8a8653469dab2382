r"""``gan_step``: one iteration of Goodfellow et al.'s Algorithm 1 (notebooks 01-03).

D outputs logits, so log D = logsigmoid(logit) and log(1 - D) = logsigmoid(-logit).
The discriminator ascends the value function

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]                  (notebook 01, §1)

with G fixed; then the generator descends it (``saturating=True``) or ascends
E_z[log D(G(z))], the non-saturating loss with the same fixed point (notebook 01, §5).
The cell of notebook 02 is the source of this function.
"""
import torch
import torch.nn.functional as F


def gan_step(G, D, opt_G, opt_D, x, rng, saturating=False):
    """One discriminator update, then one generator update, on the real batch ``x``."""
    z = torch.randn(len(x), G.latent_dim, generator=rng, device=x.device)  # z ~ N(0, I)
    fake = G(z)                                                             # G(z) ~ p_g
    # ---- Update D: maximise E log D(x) + E log(1 - D(G(z))) ----
    real_logits, fake_logits = D(x), D(fake.detach())  # detach: this update moves D only
    log_d_real = F.logsigmoid(real_logits).mean()      # E_x log D(x)
    log_1m_d_fake = F.logsigmoid(-fake_logits).mean()  # E_z log(1 - D(G(z)))
    d_loss = -(log_d_real + log_1m_d_fake)             # -V(D, G)
    opt_D.zero_grad(); d_loss.backward(); opt_D.step()
    # ---- Update G: minimise E log(1 - D(G(z))), or maximise E log D(G(z)) ----
    logits = D(fake)                                   # the updated D on the same fakes
    if saturating:
        g_loss = F.logsigmoid(-logits).mean()          # E_z log(1 - D(G(z))), the minimax loss
    else:
        g_loss = -F.logsigmoid(logits).mean()          # -E_z log D(G(z)), non-saturating
    opt_G.zero_grad(); g_loss.backward(); opt_G.step()
    return {"d_loss": d_loss, "g_loss": g_loss,
            "d_real": torch.sigmoid(real_logits).mean(), "d_fake": torch.sigmoid(fake_logits).mean()}
