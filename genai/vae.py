"""A convolutional variational autoencoder (Kingma & Welling 2014).

Notation:
    x            an image in [-1, 1]; the likelihood models its pixels p = (x + 1) / 2 as Bernoulli
    mu, logvar   the encoder's Gaussian q(z | x) = N(mu, exp(logvar))          (B, latent_dim)
    z            a latent code; the prior is p(z) = N(0, I)
    eps          the noise of the reparameterization trick, z = mu + exp(logvar / 2) * eps

The loss is the negative ELBO, per image, in nats:
    recon = -log p(x | z) = BCE(decoder logits, p) summed over the 784 pixels
    kl    = KL(q(z | x) || p(z)) = -1/2 * sum(1 + logvar - mu^2 - exp(logvar))
    loss  = recon + beta * kl          (beta = 1 is the true ELBO; beta-VAE otherwise)
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_count, check_images, check_range, check_seed
from .family import Family, minimise
from .images import to_uint8


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = 16
    width: int = 32         # channels of the first conv; the second has twice as many
    beta: float = 1.0       # weight of the KL term; > 1 trades sharpness for a smoother latent space


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, (B,): the kl term of VAE.loss_terms,
    for a latent of any size (the 2-D playground's VAE uses it too)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


class VAE(nn.Module):
    family = "vae"

    def __init__(self, cfg: VAEConfig = VAEConfig()):
        super().__init__()
        self.config = cfg
        C, L = cfg.width, cfg.latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, C, 4, 2, 1), nn.SiLU(),            # (B, C, 14, 14)
            nn.Conv2d(C, 2 * C, 4, 2, 1), nn.SiLU(),        # (B, 2C, 7, 7)
            nn.Flatten(), nn.Linear(2 * C * 49, 256), nn.SiLU(),
            nn.Linear(256, 2 * L),                          # (B, 2L): mu and logvar
        )
        self.decoder = nn.Sequential(
            nn.Linear(L, 256), nn.SiLU(), nn.Linear(256, 2 * C * 49), nn.SiLU(),
            nn.Unflatten(1, (2 * C, 7, 7)),
            nn.ConvTranspose2d(2 * C, C, 4, 2, 1), nn.SiLU(),   # (B, C, 14, 14)
            nn.ConvTranspose2d(C, 1, 4, 2, 1),                  # (B, 1, 28, 28): Bernoulli logits
        )
        self.eval()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | x): returns (mu, logvar), each (B, latent_dim)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's mean image in [-1, 1] for latent codes z."""
        return torch.sigmoid(self.decoder(z)) * 2 - 1

    @staticmethod
    def reparameterize(mu, logvar, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): a sample that gradients flow through."""
        eps = torch.randn(mu.shape, generator=generator).to(mu)
        return mu + torch.exp(0.5 * logvar) * eps

    def loss_terms(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Per-image (recon, kl) in nats, each (B,)."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator)
        target = (x + 1) / 2
        recon = F.binary_cross_entropy_with_logits(self.decoder(z), target, reduction="none").sum((1, 2, 3))
        return recon, kl_divergence(mu, logvar)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image (recon, kl): the two terms of the negative ELBO."""
        return self.loss_terms(x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative ELBO (with beta) over the batch: what training minimises."""
        recon, kl = self.loss_terms(x)
        return (recon + self.config.beta * kl).mean()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the mean code of each image: the VAE's best guess of it."""
        return self.decode(self.encode(check_images(x))[0])

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
        """Per-image terms for display: recon and kl (nats), elbo = -(recon + kl), and mu."""
        x = check_images(x)
        recon, kl = self.loss_terms(x, torch.Generator().manual_seed(seed))
        return {"recon": recon, "kl": kl, "elbo": -(recon + kl), "mu": self.encode(x)[0]}

    def latents(self, n: int, seed: int = 0) -> torch.Tensor:
        """n codes from the prior N(0, I)."""
        n, seed = check_count(n), check_seed(seed)
        return torch.randn(n, self.config.latent_dim, generator=torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def generate(self, n: int = 1, seed: int = 0, labels=None) -> np.ndarray:
        """uint8 (n, 28, 28) digits decoded from prior samples. The VAE is unconditional."""
        if labels is not None:
            raise ValueError("the VAE is unconditional: call generate(n=..., seed=...) without labels")
        return to_uint8(self.decode(self.latents(n, seed).to(next(self.parameters()).device)))


@torch.no_grad()
def code_gaussian(vae: VAE, examples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(m, L): the Gaussian N(m, L L^T) fitted to the encoder's means mu of `examples`
    (e.g. every training 3). Decoding its samples gives digits like the examples."""
    mu = vae.encode(check_images(examples))[0].double()                   # (N, latent_dim)
    if len(mu) < 2:
        raise ValueError(f"code_gaussian needs at least 2 examples, got {len(mu)}")
    m, centred = mu.mean(0), mu - mu.mean(0)
    cov = centred.T @ centred / (len(mu) - 1) + 1e-4 * torch.eye(mu.shape[1], dtype=mu.dtype)
    return m.float(), torch.linalg.cholesky(cov).float()


@torch.no_grad()
def generate_like(vae: VAE, gaussian: tuple[torch.Tensor, torch.Tensor], n: int = 1, seed: int = 0) -> np.ndarray:
    """uint8 (n, 28, 28) digits decoded from z = m + L eps (eps ~ N(0, I)) instead of the prior:
    an unconditional VAE made to draw one kind of digit. It never saw a label; the
    Gaussian from `code_gaussian` did all the choosing."""
    n, seed = check_count(n), check_seed(seed)
    m, L = gaussian
    eps = torch.randn(n, len(m), generator=torch.Generator().manual_seed(seed))
    return to_uint8(vae.decode(m + eps @ L.T))


# ----------------------------------------------------------------------------- exploring the latent space

@torch.no_grad()
def decode_latents(vae: VAE, z) -> np.ndarray:
    """uint8 (B, 28, 28) digits painted by the decoder from codes z, shape (latent_dim,) or (B, latent_dim)."""
    L = vae.config.latent_dim
    try:
        z = torch.as_tensor(np.asarray(z, np.float32))
    except (TypeError, ValueError):
        raise ValueError(f"z must be numbers, {L} per code; got {z!r:.60}") from None
    z = z.reshape(1, -1) if z.ndim == 1 else z
    if z.ndim != 2 or z.shape[1] != L:
        raise ValueError(f"z must have shape ({L},) or (B, {L}) for this VAE, got {tuple(z.shape)}")
    check_count(z.shape[0])
    if not torch.isfinite(z).all():
        raise ValueError("z contains NaN or infinity")
    return to_uint8(vae.decode(z.to(next(vae.parameters()).device)))


def latent_grid_points(n: int = 15, span: float = 3.0) -> torch.Tensor:
    """(n*n, 2) points of an n x n grid over [-span, span]^2, row by row from the top left:
    z1 grows to the right, z2 grows upwards (the usual way to draw a plane)."""
    n = check_range("grid size n", n, 2, 32, integer=True)
    span = check_range("span", span, 0.1, 10)
    ticks = torch.linspace(-span, span, n)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)


def latent_grid(vae: VAE, n: int = 15, span: float = 3.0) -> np.ndarray:
    """uint8 (n*n, 28, 28): what a 2-D VAE's decoder paints at each point of an n x n grid
    over [-span, span]^2 (see latent_grid_points for the order). The classic VAE map."""
    if vae.config.latent_dim != 2:
        raise ValueError(f"latent_grid needs a VAE with a 2-D latent (vae2d), this one has {vae.config.latent_dim}")
    return decode_latents(vae, latent_grid_points(n, span))


@torch.no_grad()
def interpolate(vae: VAE, x0: torch.Tensor, x1: torch.Tensor, steps: int = 8) -> np.ndarray:
    """uint8 (steps, 28, 28): decode `steps` codes evenly spaced on the straight line from
    mu(x0) to mu(x1), both ends included. x0, x1: (1, 1, 28, 28) images in [-1, 1]."""
    steps = check_range("steps", steps, 2, 64, integer=True)
    device = next(vae.parameters()).device
    mu0 = vae.encode(check_images(x0).to(device))[0][:1]             # (1, latent_dim)
    mu1 = vae.encode(check_images(x1).to(device))[0][:1]
    t = torch.linspace(0, 1, steps).to(mu0).unsqueeze(1)            # (steps, 1)
    return to_uint8(vae.decode((1 - t) * mu0 + t * mu1))            # (steps, 28, 28)


# ----------------------------------------------------------------------------- training

def train_step(model: VAE, nets: dict, opts: dict, x: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, cfg=None) -> dict[str, float]:
    """One step on the negative ELBO, per pixel so that learning rates transfer between sizes."""
    recon, kl = nets["net"](x)
    return minimise(opts, (recon + model.config.beta * kl).mean() / 784)


_VAE_FAMILY = dict(model=VAE, config=VAEConfig, train_step=train_step,
                   train_defaults=dict(epochs=40, lr=1e-3, ema=0.0),
                   finetune_defaults=dict(steps=600, lr=1e-3, replay=0.0),
                   last_layers=lambda vae: [vae.decoder[5:]])          # the decoder's two transposed convs
FAMILY = Family(name="vae", **_VAE_FAMILY)
FAMILY_2D = Family(name="vae2d", arch_defaults={"latent_dim": 2}, compared=False, **_VAE_FAMILY)   # the map of the VAE tab
