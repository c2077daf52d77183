"""A GAN, a VAE, a diffusion model and a flow of points in a plane, small enough to train live.

On 28x28 digits training takes minutes; on points in a plane it takes seconds, and every
part of a model can be drawn. The four families are those of genai/gan.py, genai/vae.py,
genai/diffusion.py and genai/flow.py with the convolutions swapped for small MLPs (points
have no pixels to convolve). Their losses and samplers are the very same functions:

    GAN        d_loss, g_loss                                   genai.gan
    VAE        VAE.reparameterize                               genai.vae
    diffusion  NoiseSchedule, diffusion_loss, timestep_embedding,
               ddim_step, ddpm_step, Step                       genai.diffusion
    flow       flow_loss, euler_step, predict_x1, Step,
               TIME_SCALE (and diffusion's timestep_embedding)  genai.flow

Notation (as in those files):
    x            a point of the plane, (B, 2); the presets lie in about [-2, 2]^2
    z            a 2-D latent point: 2-D so that where a model sends it can be drawn; the GAN
                 draws it from N(0, I), the VAE from its learned prior p(z)
    G(z), D(x)   the GAN's generator and discriminator (D gives a logit)
    mu, logvar   the VAE encoder's Gaussian q(z | x); its decoder's mean is x_hat = decoder(z)
    u_k, w_k     the VAE prior's K pseudo-points and weights: p(z) = sum_k w_k q(z | u_k)
    sigma        the VAE decoder's fixed noise: p(x | z) = N(x_hat, sigma^2 I)
    eps_pred     the diffusion MLP's guess of the noise in x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps
    v_pred       the flow MLP's guess of the velocity x_1 - x_0 at x_t = (1 - t) x_0 + t x_1, where
                 (as in genai.flow) x_0 is noise, x_1 a data point and t runs from 0 (noise) to 1
    SW           the sliced Wasserstein distance between generated and real points
    straightness a path's length over the distance from its start to its end (1 = a straight line)

What differs from the digits, each named where it lives, all measured on the presets:
    the GAN's Adam has no momentum (betas (0, 0.9)) and G learns at a quarter of D's rate
    (G_LR_FACTOR); the VAE's decoder, like G, is a ReLU network, and its prior is learned, not
    N(0, I) (ToyVAE); the diffusion and flow MLPs see Fourier features of x (FourierFeatures)
    and train on four times as many points per step (ToyDiffusion.batch, ToyFlow.batch); the GAN
    generator and the diffusion and flow MLPs that draw are exponential moving averages of the
    trained ones, as for the digits but with a shorter memory (0.99); the VAE's likelihood is a
    Gaussian around the decoded point, not Bernoulli pixels; points have no labels, so the
    diffusion and flow models have no guidance.

Training is a `Run` (a model, its optimisers, a step count, a distance curve) advanced by
`train(run, data, steps)`; the same loop serves the app, the benchmark and the tests.
"""

import copy
import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch
from torch import nn

from . import flow
from .checks import check_range, check_seed
from .diffusion import SAMPLERS, NoiseSchedule, Step, ddim_step, ddpm_step, diffusion_loss, timestep_embedding
from .gan import d_loss, g_loss
from .train import ema_update
from .vae import VAE

FAMILIES = ("gan", "vae", "diffusion", "flow")
PRESETS = ("moons", "ring", "spiral", "gaussians", "checkerboard", "imbalanced")
# "imbalanced": a large cluster and a rare one, 10% of the points, far apart. RARE says where the
# rare one is (centre, radius of its disc, its share of the data); rare_mass() measures a model.
RARE = ((1.3, 1.0), 0.6, 0.1)
PLANE = 3.0                  # every picture shows [-PLANE, PLANE]^2, data and latent planes alike
MIN_POINTS, MAX_POINTS = 10, 2000
WIDTHS = (16, 256)           # allowed hidden sizes
LRS = (1e-5, 1e-1)           # allowed learning rates
# Learning rates that reached the presets' shapes fastest (python -m bench.toy2d); the GAN's two
# players circle each other and drift apart above about 0.005, the VAE and diffusion just learn
# faster. The flow is indifferent between 0.003 and 0.03 (docs/toy2d_flow.md): diffusion's rate.
LEARNING_RATES = {"gan": 4e-3, "vae": 1e-2, "diffusion": 1e-2, "flow": 1e-2}
# The GAN's rate is D's; G takes smaller steps, so that D stays ahead and its gradients tell G
# where the data are (the two time-scale update rule, Heusel et al. 2017). On the checkerboard,
# 1000 steps reached SW 0.06 with a quarter against 0.08 with equal rates (three seeds).
G_LR_FACTOR = 0.25
SAMPLE_STEPS = 40            # diffusion and flow sampling steps for pictures and distances


@dataclass(frozen=True)
class ToyConfig:
    width: int = 64          # hidden units in each of an MLP's three hidden layers
    z_dim: int = 2           # GAN and VAE latent size
    # VAE decoder noise. Samples are decoder means, so spread narrower than sigma is lost: with
    # 0.15, the ring and the eight Gaussians came out as thin lines and dots (recall 27% and 18%
    # after 1200 steps); with 0.07, 71% and 78%, and no worse elsewhere
    sigma: float = 0.07
    prior_points: int = 64   # K, the VAE prior's pseudo-points (with equal weights, 16 or 32 drew uneven squares)
    T: int = 1000            # diffusion noise levels, linear schedule as for the digits
    t_dim: int = 32          # size of the diffusion MLP's timestep embedding
    octaves: int = 4         # Fourier features of x: sin and cos at 1, 2, 4, 8 times the base frequency
    ema: float = 0.99        # EMA decay of the weights that draw (GAN generator, diffusion and flow MLPs)


def mlp(n_in: int, width: int, n_out: int, act=nn.SiLU) -> nn.Sequential:
    """n_in -> width -> width -> width -> n_out, an activation between layers."""
    return nn.Sequential(nn.Linear(n_in, width), act(), nn.Linear(width, width), act(),
                         nn.Linear(width, width), act(), nn.Linear(width, n_out))


def adam(params, lr: float, **kwargs) -> torch.optim.Adam:
    """Adam with its update fused into one kernel for all the parameters: these networks are so
    small that a step costs more in per-tensor overhead than in arithmetic (a GAN step of batch
    256, one thread on a 2-core CPU: 4.6 ms with torch's default Adam, 2.4 ms fused)."""
    return torch.optim.Adam(params, lr, fused=True, **kwargs)


class FourierFeatures(nn.Module):
    """x (B, 2) -> [x, sin(2^k w x), cos(2^k w x) for k < octaves], (B, 2 + 4 * octaves).

    An MLP fed raw coordinates learns smooth functions first and sharp edges (a checkerboard,
    a thin moon) only slowly, "spectral bias"; the same MLP fed these features learns them in
    far fewer steps (Tancik et al. 2020). w = pi / 2: the slowest wave spans the data."""

    def __init__(self, octaves: int):
        super().__init__()
        self.register_buffer("freqs", (math.pi / 2) * 2.0 ** torch.arange(octaves), persistent=False)
        self.size = 2 + 4 * octaves

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = (x[:, :, None] * self.freqs).flatten(1)                 # (B, 2 * octaves)
        return torch.cat([x, angles.sin(), angles.cos()], 1)


# ----------------------------------------------------------------------------- data

def preset(name: str, n: int = 1000, seed: int = 0) -> torch.Tensor:
    """n points (n, 2) of a named shape: moons, ring, spiral, gaussians (eight of them in a
    circle), checkerboard, or imbalanced (two clusters, the rare one with 10% of the points).
    All fit in about [-2, 2]^2 with a spread near 1."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r:.40}")
    n = check_range("number of points", n, MIN_POINTS, MAX_POINTS, integer=True)
    g = torch.Generator().manual_seed(check_seed(seed))
    u = torch.rand(n, generator=g)
    noise = torch.randn(n, 2, generator=g)
    if name == "moons":                       # two interleaved half circles
        t = u * 2 * math.pi                   # first half of the turn: upper moon, second: lower
        upper = t < math.pi
        x = torch.where(upper, torch.cos(t), 1 - torch.cos(t - math.pi))
        y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t - math.pi))
        points = 1.3 * torch.stack([x - 0.5, y - 0.25], 1) + 0.08 * noise
    elif name == "ring":
        t = u * 2 * math.pi
        points = 1.6 * torch.stack([t.cos(), t.sin()], 1) + 0.08 * noise
    elif name == "spiral":                    # one and a half turns, evenly spread along its length
        r = u.sqrt()
        t = 3 * math.pi * r
        points = (0.2 + 1.6 * r)[:, None] * torch.stack([t.cos(), t.sin()], 1) + 0.07 * noise
    elif name == "gaussians":
        k = torch.randint(0, 8, (n,), generator=g)
        angle = k * math.pi / 4
        points = 1.6 * torch.stack([angle.cos(), angle.sin()], 1) + 0.1 * noise
    elif name == "imbalanced":                # 90% in a wide cluster, 10% in a small one (RARE)
        (cx, cy), _, share = RARE
        rare = (torch.arange(n) < round(share * n))[:, None]          # exactly 10%, whatever n
        points = torch.where(rare, torch.tensor([cx, cy]) + 0.15 * noise,
                             torch.tensor([-0.9, -0.4]) + 0.4 * noise)
    else:                                     # checkerboard: 8 of the 16 unit squares of [-2, 2]^2
        cell = torch.randint(0, 8, (n,), generator=g)
        row = cell // 2
        col = 2 * (cell % 2) + row % 2
        offset = torch.rand(n, 2, generator=g)
        points = torch.stack([col + offset[:, 0], row + offset[:, 1]], 1) - 2
    return points


def rare_mass(points: torch.Tensor) -> float:
    """The share of points (N, 2) on the "imbalanced" preset's rare cluster (inside RARE's disc):
    0.10 for its data; a model that drops the cluster scores near 0, one that inflates it more."""
    (cx, cy), radius, _ = RARE
    points = torch.as_tensor(points, dtype=torch.float32)
    return ((points - torch.tensor([cx, cy])).norm(dim=1) <= radius).float().mean().item()


def check_points(points) -> torch.Tensor:
    """Points as a float tensor (N, 2), MIN_POINTS <= N <= MAX_POINTS, finite, inside the plane."""
    try:
        x = torch.as_tensor(points, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"points must be a list of [x, y] pairs, got {points!r:.60}") from None
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {tuple(x.shape)}")
    if not MIN_POINTS <= len(x) <= MAX_POINTS:
        raise ValueError(f"need {MIN_POINTS}-{MAX_POINTS} points to train on, got {len(x)}")
    if not torch.isfinite(x).all():
        raise ValueError("points contain NaN or infinity")
    if x.abs().max() > PLANE:
        raise ValueError(f"points must lie in [-{PLANE:g}, {PLANE:g}] on both axes")
    return x


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: int = 64, quantiles: int = 256) -> float:
    """Sliced Wasserstein-2 distance between two point clouds (N, 2) and (M, 2).

    Project both onto `directions` lines through the origin, evenly spaced in angle; along
    each line the 1-D optimal transport pairs the two sets' quantiles (their sorted
    projections), so compare `quantiles` evenly spaced ones; SW = sqrt(mean squared
    difference). In the points' units: 0 for identical clouds, |v| / sqrt(2) for a cloud
    and its copy moved by v, about 0.04 for two samples of 1000 from one preset."""
    angle = torch.arange(directions) * math.pi / directions
    lines = torch.stack([angle.cos(), angle.sin()], 1)            # (K, 2)
    q = (torch.arange(quantiles) + 0.5) / quantiles

    def quantile_function(x):                                     # (K, Q): sorted projections at q
        projected = np.sort((lines @ x.detach().float().T).numpy(), axis=1)   # (K, N); numpy sorts
        return projected[:, (q * len(x)).long().numpy()]                       # rows ~15x faster than torch

    return float(np.sqrt(np.mean((quantile_function(a) - quantile_function(b)) ** 2)))


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Precision and recall of generated points against real ones (Kynkäänniemi et al. 2019).

    Around each real point draw a disc reaching to its k-th nearest real neighbour: their
    union is an estimate of where the data live. Precision is the share of generated points
    inside it (low: points between the moons, streaks across the checkerboard's gaps); recall
    swaps the roles, the share of real points inside the generated points' discs (low: a
    missed mode). SW mixes the two into one number; these tell them apart."""
    def inside(points, cloud):                                  # is each point in a disc around cloud?
        radii = torch.cdist(cloud, cloud).kthvalue(k + 1, dim=1).values      # + 1: itself, at 0
        return (torch.cdist(points, cloud) <= radii).any(1).float().mean().item()

    real, fake = real.detach().float(), fake.detach().float()
    return inside(fake, real), inside(real, fake)


def plane_grid(n: int, span: float = PLANE) -> torch.Tensor:
    """(n*n, 2) points of an n x n grid over [-span, span]^2, row by row from the top left
    (x grows to the right, y upwards): the pixels of a heat map or the feet of arrows."""
    ticks = torch.linspace(-span, span, n)
    y, x = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], 1)


def grid_lines(lines: int = 9, points: int = 40, span: float = 2.0) -> torch.Tensor:
    """(2 * lines, points, 2): the horizontal, then vertical lines of a square grid over
    [-span, span]^2, each as a polyline. Mapped through a network they show how it bends the plane."""
    ticks, along = torch.linspace(-span, span, lines), torch.linspace(-span, span, points)
    horizontal = torch.stack([along.expand(lines, -1), ticks[:, None].expand(-1, points)], 2)
    return torch.cat([horizontal, horizontal.flip(2)])


# ----------------------------------------------------------------------------- GAN

class Generator2D(nn.Module):
    """z (B, z_dim) -> x (B, 2). ReLUs: G folds the latent plane piece by piece."""

    def __init__(self, cfg: ToyConfig):
        super().__init__()
        self.net = mlp(cfg.z_dim, cfg.width, 2, nn.ReLU)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)             # y: accepted for genai.gan's losses, unused (unconditional)


class Discriminator2D(nn.Module):
    """x (B, 2) -> the logit of P(x is real), (B,)."""

    def __init__(self, cfg: ToyConfig):
        super().__init__()
        self.net = mlp(2, cfg.width, 1, lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


class ToyGAN(nn.Module):
    """G and D of two MLPs, trained with the digits' losses (genai.gan.d_loss, g_loss)."""

    family = "gan"
    batch = 256                  # points per training step, drawn with replacement from the data

    def __init__(self, cfg: ToyConfig = ToyConfig()):
        super().__init__()
        self.config = cfg
        self.generator = Generator2D(cfg)                       # trained
        self.discriminator = Discriminator2D(cfg)
        self.generator_ema = copy.deepcopy(self.generator)      # an average of recent G's: draws the samples

    def optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Adam for each player with no momentum, betas (0, 0.9) as in SNGAN and BigGAN. With the
        digits' beta1 = 0.5, these small players overshoot and circle each other: on eight
        Gaussians and the checkerboard, runs with 0.5 kept losing modes, with 0 they did not.
        D learns at lr, G at G_LR_FACTOR * lr (its param group's "lr_factor", which set_lr keeps)."""
        g_params = [{"params": self.generator.parameters(), "lr_factor": G_LR_FACTOR}]
        return [adam(self.discriminator.parameters(), lr, betas=(0.0, 0.9)),
                adam(g_params, G_LR_FACTOR * lr, betas=(0.0, 0.9))]

    def train_step(self, x: torch.Tensor, optimizers, generator: torch.Generator, step: int) -> dict[str, float]:
        opt_d, opt_g = optimizers
        y = torch.zeros(len(x), dtype=torch.long)        # the toy models have no labels; the losses pass one
        # (1) update D: maximise log D(x) + log(1 - D(G(z)))
        z = torch.randn(len(x), self.config.z_dim, generator=generator)
        loss_d = d_loss(self.discriminator, self.generator, x, y, z)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # (2) update G: maximise log D(G(z))
        z = torch.randn(len(x), self.config.z_dim, generator=generator)
        loss_g = g_loss(self.discriminator, self.generator, y, z)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        ema_update(self.generator_ema, self.generator, min(self.config.ema, (1 + step) / (10 + step)))
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item()}

    def latents(self, n: int, seed: int) -> torch.Tensor:
        return torch.randn(n, self.config.z_dim, generator=torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n generated points G(z), (n, 2)."""
        return self.generator_ema(self.latents(n, seed))

    @torch.no_grad()
    def realness(self, x: torch.Tensor) -> torch.Tensor:
        """D's probability that each point is real, (B,): over a grid, the heat map."""
        return torch.sigmoid(self.discriminator(x))

    @torch.no_grad()
    def map_lines(self, lines: torch.Tensor) -> torch.Tensor:
        """Where G sends polylines of the latent plane (L, P, 2) -> (L, P, 2) in the data plane."""
        return self.generator_ema(lines.reshape(-1, 2)).reshape(lines.shape)


# ----------------------------------------------------------------------------- VAE

def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))), summed over the last axis (broadcasting)."""
    return -0.5 * ((z - mu) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)


class ToyVAE(nn.Module):
    """Encoder x -> (mu, logvar) of q(z | x); decoder z -> x_hat, the mean of p(x | z); and a
    learned prior, a VampPrior (Tomczak & Welling 2018): a mixture of the encoder's own
    Gaussians at K "pseudo-points" u_k of the data plane, which training moves like weights,
        p(z) = sum_k w_k q(z | u_k),
    with the mixture weights w_k learned too (with equal weights, a piece of the data gets as
    many samples as pseudo-points happen to sit on it: eight Gaussians, SW 0.22 -> 0.10).

    Why not the digits' N(0, I): the encoder puts each piece of the data (the squares of the
    checkerboard) in its own patch of the latent plane, with gaps between the patches; a fixed
    N(0, I) still puts mass in the gaps, and the decoder draws what lies there as points
    between the pieces. A learned prior keeps its mass on the patches. On the checkerboard
    after 1200 steps (three seeds), the share of samples on the squares: 73% with N(0, I), 97%
    with this prior; N(0, I) stayed at or below 80% after 4000 steps, whatever sigma.

    Loss per point, the negative ELBO in nats (up to a constant):
        recon = |x - x_hat|^2 / (2 sigma^2)       (-log N(x; x_hat, sigma^2 I))
        kl    = log q(z | x) - log p(z)           at the sampled z: a one-sample estimate of
                                                  KL(q(z | x) || p(z)), which has no closed form here"""

    family = "vae"
    batch = 256

    def __init__(self, cfg: ToyConfig = ToyConfig()):
        super().__init__()
        self.config = cfg
        self.encoder = mlp(2, cfg.width, 2 * cfg.z_dim)
        # ReLUs, as in G: the decoder folds the latent plane piece by piece, and its kinks keep
        # apart shapes that smooth SiLUs smear into one another (on the checkerboard with
        # sigma 0.15, SW after 1000 steps 0.064 and 0.089 for two seeds; SiLUs 0.101 and 0.100)
        self.decoder = mlp(cfg.z_dim, cfg.width, 2, nn.ReLU)
        self.pseudo_points = nn.Parameter(4 * torch.rand(cfg.prior_points, 2) - 2)    # u_k, spread over [-2, 2]^2
        self.prior_logits = nn.Parameter(torch.zeros(cfg.prior_points))               # log w_k, up to a constant

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def prior(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The K components of p(z): the encoder's (mu, logvar) at the pseudo-points, (K, z_dim)
        each, and their log weights log w_k, (K,)."""
        return *self.encode(self.pseudo_points), self.prior_logits.log_softmax(0)

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean (recon, kl) over the batch."""
        mu, logvar = self.encode(x)
        z = VAE.reparameterize(mu, logvar, generator)
        recon = (x - self.decoder(z)).pow(2).sum(1) / (2 * self.config.sigma ** 2)
        prior_mu, prior_logvar, log_w = self.prior()
        log_p = torch.logsumexp(log_w + log_normal(z[:, None], prior_mu, prior_logvar), 1)
        return recon.mean(), (log_normal(z, mu, logvar) - log_p).mean()

    def optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        return [adam(self.parameters(), lr)]

    def train_step(self, x: torch.Tensor, optimizers, generator: torch.Generator, step: int) -> dict[str, float]:
        recon, kl = self.loss(x, generator)
        optimizers[0].zero_grad()
        (recon + kl).backward()
        optimizers[0].step()
        return {"recon": recon.item(), "kl": kl.item()}

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n generated points, (n, 2): pick a component k of the prior, draw z from it, decode (x_hat)."""
        g = torch.Generator().manual_seed(seed)
        prior_mu, prior_logvar, log_w = self.prior()
        if not torch.isfinite(log_w).all():               # a diverged model (NaN weights): nothing to draw
            return torch.full((n, 2), float("nan"))
        k = torch.multinomial(log_w.exp(), n, replacement=True, generator=g)
        z = VAE.reparameterize(prior_mu[k], prior_logvar[k], g)
        return self.decoder(z)

    @torch.no_grad()
    def encode_points(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's map: where each data point lands in the latent plane (its mu), (B, 2)."""
        return self.encode(x)[0]

    @torch.no_grad()
    def map_lines(self, lines: torch.Tensor) -> torch.Tensor:
        """The decoder's map: where polylines of the latent plane (L, P, 2) land in the data plane."""
        return self.decoder(lines.reshape(-1, 2)).reshape(lines.shape)


# ----------------------------------------------------------------------------- diffusion

class Denoiser2D(nn.Module):
    """eps_pred = Denoiser2D(x_t, t): an MLP on the point and its noise level's embedding.
    ToyFlow asks the same network for v_pred, its t in [0, 1] scaled to the same range."""

    def __init__(self, cfg: ToyConfig):
        super().__init__()
        self.t_dim = cfg.t_dim
        self.features = FourierFeatures(cfg.octaves)
        self.net = mlp(self.features.size + cfg.t_dim, cfg.width, 2)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # y: accepted for genai.diffusion's loss, unused (unconditional)
        return self.net(torch.cat([self.features(x), timestep_embedding(t, self.t_dim)], 1))


class ToyDiffusion(nn.Module):
    """The digits' diffusion, for points: the same schedule (T = 1000, linear betas), the same
    loss and the same DDPM/DDIM steps, with Denoiser2D in place of the U-Net."""

    family = "diffusion"
    # Each point of a batch teaches the denoiser at one random noise level, so its loss is far
    # noisier than the others'; four times the points cost a quarter more per step and learn
    # faster per second (checkerboard, 1200 steps, three seeds: points on the squares 79% -> 89%).
    batch = 1024

    def __init__(self, cfg: ToyConfig = ToyConfig()):
        super().__init__()
        self.config = cfg
        self.denoiser = Denoiser2D(cfg)                         # trained
        self.denoiser_ema = copy.deepcopy(self.denoiser)        # an average of recent ones: samples
        self.schedule = NoiseSchedule(cfg.T)

    def optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        return [adam(self.denoiser.parameters(), lr)]

    def train_step(self, x: torch.Tensor, optimizers, generator: torch.Generator, step: int) -> dict[str, float]:
        y = torch.zeros(len(x), dtype=torch.long)        # no labels, so nothing to drop: p_uncond = 0
        loss = diffusion_loss(self.denoiser, self.schedule, x, y, p_uncond=0.0, generator=generator)
        optimizers[0].zero_grad()
        loss.backward()
        optimizers[0].step()
        ema_update(self.denoiser_ema, self.denoiser, min(self.config.ema, (1 + step) / (10 + step)))
        return {"loss": loss.item()}

    @torch.no_grad()
    def eps(self, x_t: torch.Tensor, t: int) -> torch.Tensor:
        return self.denoiser_ema(x_t, torch.full((len(x_t),), t, dtype=torch.long))

    @torch.no_grad()
    def sample_steps(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS,
                     sampler: str = "ddpm") -> Iterator[Step]:
        """Reverse diffusion from n points of pure noise, one Step per yield: the digits'
        sampler, step for step, without clipping (points are not limited to [-1, 1])."""
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r:.20}")
        g = torch.Generator().manual_seed(seed)
        ts = self.schedule.timesteps(steps)
        x = torch.randn(n, 2, generator=g)
        for i, t in enumerate(ts):
            t_prev = ts[i + 1] if i + 1 < len(ts) else -1
            eps = self.eps(x, t)
            noise = torch.randn(x.shape, generator=g)
            ab, ab_prev = self.schedule.alpha_bar_at(t), self.schedule.alpha_bar_at(t_prev)
            step = ddpm_step if sampler == "ddpm" else ddim_step
            x, x0 = step(x, eps, ab, ab_prev, noise, clip=False)
            yield Step(i, t, x, x0, eps)

    def sample(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS, sampler: str = "ddpm") -> torch.Tensor:
        """Drain `sample_steps`: n generated points, (n, 2)."""
        for step in self.sample_steps(n, seed, steps, sampler):
            pass
        return step.x_t

    def trajectories(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS, sampler: str = "ddpm") -> torch.Tensor:
        """(steps + 1, n, 2): n points from pure noise (row 0) to generated points (last row)."""
        x_T = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))   # what sample_steps starts from
        return torch.stack([x_T] + [s.x_t for s in self.sample_steps(n, seed, steps, sampler)])

    @torch.no_grad()
    def denoising_field(self, t: int, points: torch.Tensor) -> torch.Tensor:
        """The learned denoising vector field at noise level t: at each point x_t (B, 2),
        the noise the model would remove, -sqrt(1 - ab_t) eps_pred. It points from x_t
        towards sqrt(ab_t) x0_pred, the shrunken guess of the clean point."""
        t = check_range("t", t, 0, self.schedule.T - 1, integer=True)
        return -math.sqrt(1 - self.schedule.alpha_bar_at(t)) * self.eps(points, t)


# ----------------------------------------------------------------------------- flow matching

class ToyFlow(nn.Module):
    """The digits' flow matching (genai.flow), for points: the same straight path from noise x_0
    to data x_1, the same loss and the same Euler steps, with Denoiser2D's MLP predicting the
    velocity v_pred in place of the U-Net. Where diffusion's paths wander (DDPM adds fresh noise
    at every step), a flow's follow its velocity field: far straighter, yet not straight, since
    the field averages the lines through each point and a path heads first for the middle of the
    data (`straightness`, docs/toy2d_flow.md)."""

    family = "flow"
    batch = 1024                 # as diffusion's: each point teaches the field at one random t

    def __init__(self, cfg: ToyConfig = ToyConfig()):
        super().__init__()
        self.config = cfg
        self.velocity = Denoiser2D(cfg)                         # trained
        self.velocity_ema = copy.deepcopy(self.velocity)        # an average of recent ones: samples

    def optimizers(self, lr: float) -> list[torch.optim.Optimizer]:
        return [adam(self.velocity.parameters(), lr)]

    def train_step(self, x: torch.Tensor, optimizers, generator: torch.Generator, step: int) -> dict[str, float]:
        y = torch.zeros(len(x), dtype=torch.long)        # no labels, so nothing to drop: p_uncond = 0
        loss = flow.flow_loss(self.velocity, x, y, p_uncond=0.0, generator=generator)
        optimizers[0].zero_grad()
        loss.backward()
        optimizers[0].step()
        ema_update(self.velocity_ema, self.velocity, min(self.config.ema, (1 + step) / (10 + step)))
        return {"loss": loss.item()}

    @torch.no_grad()
    def v(self, x_t: torch.Tensor, t: float) -> torch.Tensor:
        return self.velocity_ema(x_t, torch.full((len(x_t),), t * flow.TIME_SCALE))

    @torch.no_grad()
    def sample_steps(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS) -> Iterator[flow.Step]:
        """Integrate dx/dt = v(x, t) from n points of noise at t = 0 to t = 1 with Euler steps,
        one genai.flow.Step per yield."""
        steps = check_range("steps", steps, 1, flow.MAX_STEPS, integer=True)
        x, h = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)), 1 / steps
        for i in range(steps):
            t = i / steps                                   # the time this step starts from, as FlowRun's
            v = self.v(x, t)
            x = flow.euler_step(x, v, h)
            yield flow.Step(i, t, x, flow.predict_x1(x, v, t + h), v)

    def sample(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS) -> torch.Tensor:
        """Drain `sample_steps`: n generated points, (n, 2)."""
        for step in self.sample_steps(n, seed, steps):
            pass
        return step.x_t

    def trajectories(self, n: int, seed: int = 0, steps: int = SAMPLE_STEPS) -> torch.Tensor:
        """(steps + 1, n, 2): n points from noise (row 0) to generated points (last row)."""
        x_0 = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))   # what sample_steps starts from
        return torch.stack([x_0] + [s.x_t for s in self.sample_steps(n, seed, steps)])

    @torch.no_grad()
    def velocity_field(self, t: float, points: torch.Tensor) -> torch.Tensor:
        """The learned velocity v(x_t, t) at each point (B, 2), at time t in [0, 1] (0 = noise)."""
        return self.v(points, check_range("t", t, 0.0, 1.0))


def straightness(paths: torch.Tensor) -> float:
    """How straight paths (steps + 1, n, 2) are: their summed length over the summed distance
    from start to end. 1.0 when every path is a straight line, more the more they wander.
    (Sums, not a mean of ratios: a path that ends near where it began would weigh without bound.)"""
    paths = torch.as_tensor(paths, dtype=torch.float64)
    length = (paths[1:] - paths[:-1]).norm(dim=-1).sum()
    chord = (paths[-1] - paths[0]).norm(dim=-1).sum()
    return (length / chord).item()


MODELS = {"gan": ToyGAN, "vae": ToyVAE, "diffusion": ToyDiffusion, "flow": ToyFlow}


# ----------------------------------------------------------------------------- training

@dataclass
class Run:
    """One family in training: its model and optimisers, the steps taken, and the distance
    curve [(step, SW), ...]. `generator` draws batches and noise, so a seed fixes the run."""
    model: nn.Module
    optimizers: list
    generator: torch.Generator
    step: int = 0
    history: list = field(default_factory=list)
    losses: dict = field(default_factory=dict)


def check_family(family: str) -> str:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r:.40}")
    return family


def new_run(family: str, width: int = ToyConfig.width, lr: float | None = None, seed: int = 0) -> Run:
    """A freshly initialised model of `family` (one of FAMILIES), seeded; lr defaults
    to the family's LEARNING_RATES."""
    check_family(family)
    width = check_range("width", width, *WIDTHS, integer=True)
    lr = check_range("learning rate", LEARNING_RATES[family] if lr is None else lr, *LRS)
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):          # seeded weights, the global RNG left alone
        torch.manual_seed(seed)
        model = MODELS[family](ToyConfig(width=width))
    return Run(model, model.optimizers(lr), torch.Generator().manual_seed(seed))


def set_lr(run: Run, lr: float) -> None:
    """Change the learning rate of a run in progress (Adam's moments are kept). A param group
    with an "lr_factor" (the GAN's generator) keeps learning at that multiple of lr."""
    lr = check_range("learning rate", lr, *LRS)
    for opt in run.optimizers:
        for group in opt.param_groups:
            group["lr"] = lr * group.get("lr_factor", 1.0)


def train(run: Run, data: torch.Tensor, steps: int, batch: int | None = None) -> Run:
    """Advance a run by `steps` steps, each on `batch` points (default: the family's own) drawn
    from `data` with replacement."""
    steps = check_range("steps", steps, 0, 100_000, integer=True)
    batch = batch or run.model.batch
    run.model.train()
    for _ in range(steps):
        x = data[torch.randint(0, len(data), (batch,), generator=run.generator)]
        run.losses = run.model.train_step(x, run.optimizers, run.generator, run.step)
        run.step += 1
    run.model.eval()
    return run


def measure(run: Run, data: torch.Tensor, samples: torch.Tensor | None = None, seed: int = 0) -> float:
    """SW between the run's samples (n = len(data) unless given) and the data; appended to its history."""
    if samples is None:
        samples = run.model.sample(len(data), seed)
    distance = sliced_wasserstein(samples, data) if torch.isfinite(samples).all() else float("nan")
    run.history.append((run.step, distance))
    return distance
