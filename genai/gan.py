"""A class-conditional DCGAN for 28x28 digits.

Notation (Goodfellow et al. 2014; Radford et al. 2015):
    z        latent noise, z ~ N(0, I)               (B, z_dim)
    y        digit label 0..9                         (B,)
    G(z, y)  generator: an image in [-1, 1]           (B, 1, 28, 28)
    D(x, y)  discriminator: the *logit* of P(x is real | y); D's probability is sigmoid(logit)

Objectives, written with the probability D = sigmoid(logit):
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))]      (d_loss)
    L_G = -E[log D(G(z))]                          (g_loss, the non-saturating loss)

Tricks that keep it stable on 5,000 digits, each named where it lives:
    spectral norm on every D layer (Miyato et al. 2018), a projection discriminator
    for the label (Miyato & Koyama 2018), one-sided label smoothing (real target 0.9,
    Salimans et al. 2016), Adam with beta1 = 0.5, and an exponential moving average of
    G's weights (Karras et al. 2018): the EMA generator is the one shipped.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .checks import check_count, check_images, check_labels, check_range, check_seed
from .images import to_uint8


@dataclass(frozen=True)
class GANConfig:
    z_dim: int = 64        # latent size
    width: int = 64        # channels of the widest conv layer; the rest scale with it
    n_classes: int = 10


class Generator(nn.Module):
    """(z, y) -> image. A linear layer makes a 7x7 map, two transposed convs double it twice."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        C = cfg.width
        self.embed = nn.Embedding(cfg.n_classes, cfg.z_dim)
        self.fc = nn.Linear(2 * cfg.z_dim, 2 * C * 7 * 7)          # GANSpace edits happen here
        self.body = nn.Sequential(
            nn.Unflatten(1, (2 * C, 7, 7)), nn.BatchNorm2d(2 * C), nn.ReLU(),  # (B, 2C, 7, 7)
            nn.ConvTranspose2d(2 * C, C, 4, 2, 1), nn.BatchNorm2d(C), nn.ReLU(),  # (B, C, 14, 14)
            nn.ConvTranspose2d(C, C // 2, 4, 2, 1), nn.BatchNorm2d(C // 2), nn.ReLU(),  # (B, C/2, 28, 28)
            nn.Conv2d(C // 2, 1, 3, 1, 1), nn.Tanh(),                   # (B, 1, 28, 28)
        )

    def features(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The first layer's output h, where latent directions are found and applied."""
        return self.fc(torch.cat([z, self.embed(y)], 1))            # (B, 2C*7*7)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(self.features(z, y))


class Discriminator(nn.Module):
    """(x, y) -> logit. Spectral-normed convs, then a projection term for the label."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        C = cfg.width
        self.body = nn.Sequential(
            spectral_norm(nn.Conv2d(1, C // 2, 4, 2, 1)), nn.LeakyReLU(0.2),   # (B, C/2, 14, 14)
            spectral_norm(nn.Conv2d(C // 2, C, 4, 2, 1)), nn.LeakyReLU(0.2),   # (B, C, 7, 7)
            spectral_norm(nn.Conv2d(C, 2 * C, 3, 2, 1)), nn.LeakyReLU(0.2),    # (B, 2C, 4, 4)
            nn.Flatten(),
        )
        self.out = spectral_norm(nn.Linear(2 * C * 16, 1))
        self.project = spectral_norm(nn.Embedding(cfg.n_classes, 2 * C * 16))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.body(x)                                              # (B, 2C*16)
        return self.out(h).squeeze(1) + (self.project(y) * h).sum(1)  # (B,)


def d_loss(D: nn.Module, G: nn.Module, x: torch.Tensor, y: torch.Tensor, z: torch.Tensor,
           real_target: float = 0.9) -> torch.Tensor:
    """L_D = -E[log D(x)] - E[log(1 - D(G(z)))], with real labels smoothed to `real_target`."""
    with torch.no_grad():                                 # D's step leaves G alone
        fake = G(z, y)
    logits = D(torch.cat([x, fake]), torch.cat([y, y]))   # one pass, so DDP sees D once
    real_logit, fake_logit = logits.chunk(2)
    return (F.binary_cross_entropy_with_logits(real_logit, torch.full_like(real_logit, real_target))
            + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))


def g_loss(D: nn.Module, G: nn.Module, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """L_G = -E[log D(G(z))]: strong gradients even when D easily spots the fakes."""
    logit = D(G(z, y), y)
    return F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))


class GAN(nn.Module):
    """The pair as shipped: the EMA generator and the discriminator trained against it."""

    family = "gan"

    def __init__(self, cfg: GANConfig = GANConfig()):
        super().__init__()
        self.config = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        self.eval()

    def latents(self, n: int, seed: int, truncation: float = 1.0) -> torch.Tensor:
        """n latent vectors from a seed. truncation psi < 1 pulls them toward the mean
        (z = psi * z, the StyleGAN truncation trick): more typical, less varied digits."""
        n, seed = check_count(n), check_seed(seed)
        truncation = check_range("truncation", truncation, 0.0, 3.0)
        z = torch.randn(n, self.config.z_dim, generator=torch.Generator().manual_seed(seed))
        return z * truncation

    @torch.no_grad()
    def render(self, z: torch.Tensor, labels, directions: torch.Tensor | None = None,
               amounts: torch.Tensor | None = None) -> torch.Tensor:
        """Images from latents, optionally moved along feature-space directions:
        h = features(z, y) + sum_k amounts[k] * directions[k]."""
        y = check_labels(labels, self.config.n_classes)
        if len(y) != len(z):
            raise ValueError(f"got {len(z)} latents but {len(y)} labels")
        h = self.generator.features(z, y)
        if directions is not None:
            h = h + amounts.to(h) @ directions.to(h)
        return self.generator.body(h)

    def generate(self, labels, seed: int = 0, truncation: float = 1.0) -> np.ndarray:
        """uint8 (B, 28, 28) digits, one per label, from a seed."""
        y = check_labels(labels, self.config.n_classes)
        return to_uint8(self.render(self.latents(len(y), seed, truncation), y))

    @torch.no_grad()
    def realness(self, x: torch.Tensor, labels) -> torch.Tensor:
        """D's verdict: the probability that each image is a real digit of its label."""
        return torch.sigmoid(self.discriminator(check_images(x), check_labels(labels, self.config.n_classes)))

    @torch.no_grad()
    def principal_directions(self, k: int = 8, n: int = 4096, seed: int = 0):
        """GANSpace (Härkönen et al. 2020): PCA of the first-layer features over random
        latents and labels. Returns (directions (k, D), stds (k,)), largest variance first."""
        z = torch.randn(n, self.config.z_dim, generator=torch.Generator().manual_seed(seed))
        y = torch.arange(n) % self.config.n_classes
        h = self.generator.features(z, y)
        h = h - h.mean(0)
        _, S, V = torch.linalg.svd(h, full_matrices=False)
        return V[:k], S[:k] / (n - 1) ** 0.5
