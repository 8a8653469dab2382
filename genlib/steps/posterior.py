r"""``posterior_step``: fitting an approximate posterior q to fixed observations (notebook 09, §2).

No encoder: every observation has its own q (non-amortised variational inference), so only
the *family* of q limits the ELBO,

    ELBO = E_{z ~ q}[log p(x, z) - log q(z)],

estimated with ``n_samples`` reparameterised samples. The cell of notebook 09 is the source.
"""


def posterior_step(q, opt, rng, log_joint, n_samples=64):
    """One Adam step on minus the ELBO of every observation (summed over them)."""
    z, log_q = q.sample(n_samples, generator=rng)   # z ~ q and log q(z), n_samples x B
    elbo = (log_joint(z) - log_q).mean(0)           # E_q[log p(x, z) - log q(z)], one per x
    loss = -elbo.sum()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"elbo": elbo.mean()}
