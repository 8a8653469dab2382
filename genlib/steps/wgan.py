r"""``wgan_step``: n critic updates, then one generator update (notebook 04).

Kantorovich-Rubinstein: W1(p_data, p_g) = sup_{||f||_L <= 1} E_x[f(x)] - E_z[f(G(z))].
The critic f ascends that difference under a Lipschitz constraint, either WGAN-GP's
gradient penalty lambda E[(||grad f(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017, Algorithm 1)
or weight clipping to [-c, c] after every update (Arjovsky et al. 2017, Algorithm 1); then
G ascends E_z[f(G(z))]. ``x`` holds ``n_critic`` real batches, one per critic update.
The cell of notebook 04 is the source of this function.
"""
import torch

from ..objectives.wasserstein import gradient_penalty


def wgan_step(f, G, opt_f, opt_G, x, rng, n_critic=5, gp_weight=10.0, clip=0.0):
    """``n_critic`` critic updates (``gp_weight`` > 0: penalty; ``clip`` > 0: clipping), then G."""
    for x_k in x.chunk(n_critic):                          # one real batch per critic update
        fake = G(torch.randn(len(x_k), G.latent_dim, generator=rng, device=x.device)).detach()
        # ---- Update f: maximise E f(x) - E f(G(z)) - lambda E (||grad f(x_hat)||_2 - 1)^2 ----
        wasserstein = f(x_k).mean() - f(fake).mean()       # E_x f(x) - E_z f(G(z)), estimates W1
        # E (||grad f(x_hat)||_2 - 1)^2 at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1]
        penalty = gradient_penalty(f, x_k, fake, rng) if gp_weight else torch.zeros(())
        f_loss = -wasserstein + gp_weight * penalty
        opt_f.zero_grad(); f_loss.backward(); opt_f.step()
        if clip:
            with torch.no_grad():
                for w in f.parameters():
                    w.clamp_(-clip, clip)                  # every weight in [-c, c]
    # ---- Update G: maximise E f(G(z)) ----
    z = torch.randn(len(x_k), G.latent_dim, generator=rng, device=x.device)  # z ~ N(0, I)
    g_loss = -f(G(z)).mean()                               # -E_z f(G(z))
    opt_G.zero_grad(); g_loss.backward(); opt_G.step()
    return {"wasserstein": wasserstein, "penalty": penalty, "g_loss": g_loss}
