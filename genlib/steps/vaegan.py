r"""``vaegan_step``: the three updates of Larsen et al. (2016), Algorithm 1 (notebook 08, §3).

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
(``pixel_weight = 0`` gives their loss). The cell of notebook 08 is the source of this function.
"""
import torch
import torch.nn.functional as F

from ..objectives.elbo import gaussian_kl, reparameterize


def vaegan_step(enc, dec, dis, opt_enc, opt_dec, opt_dis, x, rng, gamma=1.0, kl_weight=1e-3,
                pixel_weight=1.0):
    """The discriminator's update, then the encoder's and the decoder's, on the batch ``x``."""
    mu, logvar = enc(x)                                           # q(z|x)
    x_rec = dec(reparameterize(mu, logvar, rng))                  # x~ = Dec(z), z ~ q(z|x)
    x_p = dec(torch.randn(mu.shape, generator=rng, device=x.device))  # x_p = Dec(z_p), z_p ~ p(z)
    # ---- Update Dis: maximise L_GAN ----
    d_loss = -(F.logsigmoid(dis(x)).mean()                        # log Dis(x)
               + F.logsigmoid(-dis(x_rec.detach())).mean()        # log(1 - Dis(x~))
               + F.logsigmoid(-dis(x_p.detach())).mean())         # log(1 - Dis(x_p))
    opt_dis.zero_grad(); d_loss.backward(); opt_dis.step()
    # ---- Update Enc and Dec: reconstruct in Dis_l's features and in pixels; Dec also fools Dis ----
    h_rec, h_real = dis.features(x_rec), dis.features(x).detach()
    l_like = 0.5 * (h_rec - h_real).pow(2).flatten(1).mean(1).mean()     # L_like
    l_pixel = 0.5 * (x_rec - x).pow(2).flatten(1).mean(1).mean()         # L_pixel
    l_prior = gaussian_kl(mu, logvar).mean()                             # L_prior
    g_gan = -(F.logsigmoid(dis.read_out(h_rec)).mean()                   # -log Dis(x~)
              + F.logsigmoid(dis(x_p)).mean())                           # -log Dis(x_p)
    enc_loss = kl_weight * l_prior + l_like + pixel_weight * l_pixel
    dec_loss = gamma * (l_like + pixel_weight * l_pixel) + g_gan
    opt_enc.zero_grad(); opt_dec.zero_grad()
    enc_loss.backward(inputs=list(enc.parameters()), retain_graph=True)  # each loss moves its own
    dec_loss.backward(inputs=list(dec.parameters()))                     # network only
    opt_enc.step(); opt_dec.step()
    return {"d_loss": d_loss, "g_loss": g_gan, "kl": l_prior, "feature_error": l_like,
            "pixel_error": l_pixel}
