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
    G's weights (Karras et al. 2018): the EMA generator is the one shipped. Without a
    mode-seeking term (Mao et al. 2019) G learnt to ignore z and draw one digit per class.
    With an auxiliary classifier (AC-GAN, Odena et al. 2017) D also names the digit, and
    G is rewarded when its digits are named as the class asked for: the projection term
    alone let G draw 4s that read as 9s. Optionally, D sees its inputs through
    DiffAugment (Zhao et al. 2020): the same random, differentiable shifts and cutouts of
    real and fake digits, so on 4,000 digits D cannot simply memorise the training set.
"""

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .checks import check_count, check_images, check_labels, check_range, check_seed
from .family import Family
from .images import to_uint8

TRUNCATION = 1.0      # the app's default psi: see the frontier python -m genai.evaluate draws (README)


@dataclass(frozen=True)
class GANConfig:
    z_dim: int = 64        # latent size
    width: int = 64        # channels of the widest conv layer; the rest scale with it
    n_classes: int = 10
    aux_classifier: float = 0.0   # AC-GAN: weight of D's digit-classification loss; 0 = no classifier head
    d_width: int = 0       # D's channels, where it differs from G's width; 0 = width. D only trains: the app draws with G


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
        C = cfg.d_width or cfg.width
        self.body = nn.Sequential(
            spectral_norm(nn.Conv2d(1, C // 2, 4, 2, 1)), nn.LeakyReLU(0.2),   # (B, C/2, 14, 14)
            spectral_norm(nn.Conv2d(C // 2, C, 4, 2, 1)), nn.LeakyReLU(0.2),   # (B, C, 7, 7)
            spectral_norm(nn.Conv2d(C, 2 * C, 3, 2, 1)), nn.LeakyReLU(0.2),    # (B, 2C, 4, 4)
            nn.Flatten(),
        )
        self.out = spectral_norm(nn.Linear(2 * C * 16, 1))
        self.project = spectral_norm(nn.Embedding(cfg.n_classes, 2 * C * 16))
        self.aux_weight = cfg.aux_classifier
        self.classify = spectral_norm(nn.Linear(2 * C * 16, cfg.n_classes)) if cfg.aux_classifier else None

    def forward(self, x: torch.Tensor, y: torch.Tensor, digits: bool = False):
        """The realness logit (B,); with digits=True also the auxiliary classifier's digit
        logits (B, n_classes), from the same features."""
        h = self.body(x)                                              # (B, 2C*16)
        logit = self.out(h).squeeze(1) + (self.project(y) * h).sum(1)  # (B,)
        return (logit, self.classify(h)) if digits else logit


def verdicts(D: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """(realness logits (B,), digit logits (B, n_classes) or None): the digit logits only
    when D has an AC-GAN head (the 2-D playground's D has none). Under DDP, D is called
    through its wrapper, so gradients still sync, and the head is looked for inside it."""
    if getattr(getattr(D, "module", D), "classify", None) is None:
        return D(x, y), None
    return D(x, y, digits=True)


def aux_class_loss(D: nn.Module, digit_logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AC-GAN's extra term, weighted: -log P(digit = y | x) by D's classifier head."""
    return getattr(D, "module", D).aux_weight * F.cross_entropy(digit_logits, y)


# ----------------------------------------------------------------------------- DiffAugment

def translate(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by a whole number of pixels, up to ratio * size each way; paper
    (-1) fills what moves in. Gathering pixels by index keeps gradients flowing to G."""
    B, _, H, W = x.shape
    reach = int(H * ratio + 0.5)
    shift = torch.randint(-reach, reach + 1, (B, 2, 1), generator=generator).to(x.device)
    rows = torch.arange(H, device=x.device).view(1, H) - shift[:, 0]          # (B, H) source rows
    cols = torch.arange(W, device=x.device).view(1, W) - shift[:, 1]          # (B, W) source cols
    inside = ((rows >= 0) & (rows < H)).view(B, 1, H, 1) & ((cols >= 0) & (cols < W)).view(B, 1, 1, W)
    gathered = x.gather(2, rows.clamp(0, H - 1).view(B, 1, H, 1).expand(B, x.shape[1], H, W))
    gathered = gathered.gather(3, cols.clamp(0, W - 1).view(B, 1, 1, W).expand(B, x.shape[1], H, W))
    return torch.where(inside, gathered, torch.full_like(x, -1.0))


def cutout(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    """Paint one square of side ratio * size, at a random place, with paper (-1)."""
    B, _, H, W = x.shape
    size = int(H * ratio + 0.5)
    corner = torch.randint(-(size // 2), H - size // 2 + 1, (B, 2, 1), generator=generator).to(x.device)
    rows = torch.arange(H, device=x.device).view(1, H) - corner[:, 0]
    cols = torch.arange(W, device=x.device).view(1, W) - corner[:, 1]
    hole = ((rows >= 0) & (rows < size)).view(B, 1, H, 1) & ((cols >= 0) & (cols < size)).view(B, 1, 1, W)
    return x.masked_fill(hole, -1.0)


AUGMENTS = {"translation": translate, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): T(x) for a comma-separated policy such as
    "translation,cutout"; "" = no augmentation. Applied to real AND fake digits before
    D, in D's step and in G's, so D never sees an un-augmented digit and G is not pushed
    to draw shifted or holed digits: the augmentations do not leak into its samples."""
    for name in filter(None, policy.split(",")):
        if name not in AUGMENTS:
            raise ValueError(f"DiffAugment policy must name some of {', '.join(AUGMENTS)}, got {name!r}")
        x = AUGMENTS[name](x, generator)
    return x


def d_loss(D: nn.Module, G: nn.Module, x: torch.Tensor, y: torch.Tensor, z: torch.Tensor,
           real_target: float = 0.9, policy: str = "", generator: torch.Generator | None = None,
           r1: float = 0.0) -> torch.Tensor:
    """L_D = -E[log D(T(x))] - E[log(1 - D(T(G(z))))], with real labels smoothed to
    `real_target` and T the DiffAugment `policy` (identity when ""). With an auxiliary
    classifier, plus its loss on the real digits; with r1 > 0, plus r1_penalty(r1)."""
    with torch.no_grad():                                 # D's step leaves G alone
        fake = G(z, y)
    both = diff_augment(torch.cat([x, fake]), policy, generator)
    if r1:
        both.requires_grad_()                             # R1 needs D's gradient at the inputs
    logits, digits = verdicts(D, both, torch.cat([y, y]))   # one pass, so DDP sees D once
    real_logit, fake_logit = logits.chunk(2)
    loss = (F.binary_cross_entropy_with_logits(real_logit, torch.full_like(real_logit, real_target))
            + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
    if r1:
        loss = loss + r1_penalty(real_logit, both, r1)
    return loss if digits is None else loss + aux_class_loss(D, digits[:len(x)], y)


def r1_penalty(real_logit: torch.Tensor, inputs: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): (gamma / 2) E[||grad_x D(x)||^2] on real digits only, so
    D stays flat where the data are and G is not pushed around by a jagged D. `inputs` are
    the tensor D saw; each logit depends on its own image only, so the gradient of their sum
    is each real digit's own gradient (zero on the fakes' rows)."""
    grad, = torch.autograd.grad(real_logit.sum(), inputs, create_graph=True)
    return gamma / 2 * grad[:len(real_logit)].pow(2).sum(dim=(1, 2, 3)).mean()


def g_loss(D: nn.Module, G: nn.Module, y: torch.Tensor, z: torch.Tensor, policy: str = "",
           generator: torch.Generator | None = None) -> torch.Tensor:
    """L_G = -E[log D(T(G(z)))]: strong gradients even when D easily spots the fakes.
    With an auxiliary classifier, plus its loss on the fakes: G's digits must read as y."""
    logit, digits = verdicts(D, diff_augment(G(z, y), policy, generator), y)
    loss = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
    return loss if digits is None else loss + aux_class_loss(D, digits, y)


def mode_seeking_loss(G: nn.Module, y: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor,
                      eps: float = 1e-5) -> torch.Tensor:
    """Mode seeking (Mao et al. 2019, MSGAN): two latents that give nearly the same image
    are penalised, so G cannot ignore z and draw one digit per class.
        ratio = mean|G(z1, y) - G(z2, y)| / mean|z1 - z2|,   loss = 1 / (ratio + eps)"""
    ratio = (G(z1, y) - G(z2, y)).abs().mean() / (z1 - z2).abs().mean()
    return 1 / (ratio + eps)


class GAN(nn.Module):
    """The pair as shipped: the EMA generator and the discriminator trained against it."""

    family = "gan"

    def __init__(self, cfg: GANConfig = GANConfig()):
        super().__init__()
        self.config = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        self.eval()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

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
        h = self.generator.features(z.to(self.device), y.to(self.device))    # seeds are drawn on the CPU
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
        x, y = check_images(x).to(self.device), check_labels(labels, self.config.n_classes).to(self.device)
        return torch.sigmoid(self.discriminator(x, y)).cpu()

    @torch.no_grad()
    def principal_directions(self, k: int = 8, n: int = 4096, seed: int = 0):
        """GANSpace (Härkönen et al. 2020): PCA of the first-layer features over random
        latents and labels. Returns (directions (k, D), stds (k,)), largest variance first.
        (Computed through the layer's small input space: see feature_directions.)"""
        return feature_directions(self, k, n, seed)


# ----------------------------------------------------------------------------- latent walks

def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Straight line from z0 to z1: (1 - t) z0 + t z1. t: a number, or (N,) -> (N, D)."""
    t = torch.as_tensor(t, dtype=z0.dtype)
    t = t.reshape(-1, 1) if t.ndim else t
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Great-circle path (Shoemake 1985; White 2016 for GAN latents):
        z(t) = sin((1 - t) omega) / sin(omega) z0 + sin(t omega) / sin(omega) z1,
    omega the angle between z0 and z1. Gaussian latents in many dimensions all have
    a norm close to sqrt(D); a straight line cuts through the short, untypical middle,
    the arc keeps the norm (exactly, when |z0| = |z1|). t: a number, or (N,) -> (N, D)."""
    t = torch.as_tensor(t, dtype=z0.dtype)
    t = t.reshape(-1, 1) if t.ndim else t
    cos = (z0 @ z1 / (z0.norm() * z1.norm()).clamp_min(1e-12)).clamp(-1, 1)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4:                           # (nearly) parallel: the arc is the line
        return lerp(z0, z1, t)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


PATHS = {"linear": lerp, "spherical": slerp}
MAX_FRAMES = 32


@torch.no_grad()
def interpolate(gan: GAN, seed_a: int, seed_b: int, label_a: int, label_b: int | None = None,
                frames: int = 8, mode: str = "spherical", truncation: float = 1.0) -> np.ndarray:
    """uint8 (frames, 28, 28): a walk from seed_a's digit to seed_b's. z follows `mode`
    ("linear" or "spherical"); the label embedding moves in a straight line from label_a
    to label_b (default: the same digit), so a 3 can melt into an 8."""
    if mode not in PATHS:
        raise ValueError(f"mode must be one of {', '.join(PATHS)}, got {mode!r}")
    frames = check_range("frames", frames, 2, MAX_FRAMES, integer=True)
    label_b = label_a if label_b is None else label_b
    y = check_labels([label_a, label_b], gan.config.n_classes).to(gan.device)
    z0, z1 = gan.latents(1, seed_a, truncation)[0], gan.latents(1, seed_b, truncation)[0]
    t = torch.linspace(0, 1, frames)
    z = PATHS[mode](z0, z1, t).to(gan.device)              # (frames, z_dim)
    t = t.to(gan.device)
    G = gan.generator
    e = lerp(G.embed(y[0]), G.embed(y[1]), t)              # (frames, z_dim)
    return to_uint8(G.body(G.fc(torch.cat([z, e], 1))))


# ----------------------------------------------------------------------------- GANSpace, fast

@torch.no_grad()
def feature_directions(gan: GAN, k: int = 8, n: int = 4096, seed: int = 0):
    """The same PCA as GAN.principal_directions, in well under a second instead of a minute.

    The first layer is affine: h = W u + b with u = [z, embed(y)] (2 * z_dim numbers) and
    h = 2C*7*7 features. So the centred features are U W^T with U the centred inputs, and
    with U = Q R (QR, Q orthonormal) their SVD is Q times the SVD of the small R W^T
    (2 z_dim x 2C*7*7): same singular values and directions. Returns (directions (k, D), stds (k,))."""
    k = check_range("k", k, 1, 2 * gan.config.z_dim, integer=True)
    z = torch.randn(n, gan.config.z_dim, generator=torch.Generator().manual_seed(seed)).to(gan.device)
    y = (torch.arange(n) % gan.config.n_classes).to(gan.device)
    G = gan.generator
    u = torch.cat([z, G.embed(y)], 1)
    u = u - u.mean(0)                                      # (n, 2 z_dim)
    _, R = torch.linalg.qr(u)
    _, S, V = torch.linalg.svd(R @ G.fc.weight.T, full_matrices=False)
    # An SVD may return any direction or its opposite, and which one follows the BLAS and its
    # thread count: fix the sign (largest entry positive, as scikit-learn's svd_flip), so the
    # server and the page's exported model move a slider the same way on every machine.
    V = V[:k]
    V = V * torch.sign(V.gather(1, V.abs().argmax(1, keepdim=True)))
    return V, S[:k] / (n - 1) ** 0.5


# ----------------------------------------------------------------------------- naming directions

# What moving along a direction can do, as (word when the statistic falls, word when it rises).
STAT_WORDS = {
    "ink": ("thinner strokes", "thicker strokes"),
    "slant": ("leans left", "leans right"),
    "width": ("narrower", "wider"),
    "height": ("shorter", "taller"),
    "x": ("moves left", "moves right"),
    "y": ("moves up", "moves down"),
}


def image_stats(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Simple measurements of digits (B, 1, 28, 28) in [-1, 1], each (B,), from the ink's
    moments: amount of ink, centre (x right, y down), spread (width, height) and slant
    (how far x shifts per row upwards: -cov(x, y) / var(y), > 0 leans right)."""
    ink = (x.squeeze(1) + 1) / 2                            # (B, H, W), 0 = paper
    B, H, W = ink.shape
    mass = ink.sum((1, 2)).clamp_min(1e-6)
    rows = torch.arange(H, dtype=ink.dtype, device=ink.device).view(1, H, 1)
    cols = torch.arange(W, dtype=ink.dtype, device=ink.device).view(1, 1, W)
    cx = (ink * cols).sum((1, 2)) / mass
    cy = (ink * rows).sum((1, 2)) / mass
    dx, dy = cols - cx.view(B, 1, 1), rows - cy.view(B, 1, 1)
    var_x = (ink * dx**2).sum((1, 2)) / mass
    var_y = (ink * dy**2).sum((1, 2)) / mass
    cov = (ink * dx * dy).sum((1, 2)) / mass
    return {"ink": mass / (H * W), "slant": -cov / var_y.clamp_min(1e-6),
            "width": var_x.sqrt(), "height": var_y.sqrt(), "x": cx, "y": cy}


@torch.no_grad()
def describe_directions(gan: GAN, directions: torch.Tensor, stds: torch.Tensor,
                        n: int = 50, step: float = 2.0, seed: int = 0) -> list[str]:
    """Name each feature direction by the statistics it changes most, e.g. "thicker strokes"
    or "leans right, wider".

    For n random digits, move h by -step and +step stds along the direction and measure
    image_stats; each change is divided by how much that statistic varies between digits,
    so ink and slant compete on equal terms. The largest effect names the direction (its
    sign picks the word in STAT_WORDS); the runner-up joins it when at least half as
    large. A direction that moves nothing by a fifth of that spread is a "subtle change"."""
    z = torch.randn(n, gan.config.z_dim, generator=torch.Generator().manual_seed(seed)).to(gan.device)
    y = (torch.arange(n) % gan.config.n_classes).to(gan.device)
    G = gan.generator
    h = G.features(z, y)
    spread = {k: v.std().clamp_min(1e-6) for k, v in image_stats(G.body(h)).items()}
    names = []
    for d, s in zip(directions, stds):
        plus, minus = image_stats(G.body(h + step * s * d)), image_stats(G.body(h - step * s * d))
        effect = {k: ((plus[k] - minus[k]).mean() / spread[k]).item() for k in STAT_WORDS}
        first, second = sorted(effect, key=lambda k: -abs(effect[k]))[:2]
        words = [STAT_WORDS[k][effect[k] > 0] for k in (first, second)
                 if abs(effect[k]) >= max(0.2, abs(effect[first]) / 2)]
        names.append(", ".join(words) or "subtle change")
    return names


# ----------------------------------------------------------------------------- training

def new_discriminator(gan: GAN, arch: GANConfig) -> GAN:
    """The trained GAN with a fresh D of arch's width (d_width) and AC-GAN weight: a trained
    generator continued against a stronger critic, without training G again from the start."""
    gan.config = replace(gan.config, d_width=arch.d_width, aux_classifier=arch.aux_classifier)
    gan.discriminator = Discriminator(gan.config).to(gan.device)
    return gan


def train_step(model: GAN, nets: dict, opts: dict, x: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, cfg=None) -> dict[str, float]:
    """One step for each player on a batch; returns the losses for the history. cfg may set
    mode_seeking (its weight), diff_augment (D's augmentation policy) and r1 (R1's gamma)."""
    mode_seeking, policy = getattr(cfg, "mode_seeking", 0.0), getattr(cfg, "diff_augment", "")
    G, D = nets["G"], nets["D"]
    z = torch.randn(len(x), model.config.z_dim, generator=generator).to(x)
    # (1) update D: maximise log D(x) + log(1 - D(G(z)))
    loss_d = d_loss(D, G, x, y, z, policy=policy, generator=generator, r1=getattr(cfg, "r1", 0.0))
    opts["D"].zero_grad(set_to_none=True); loss_d.backward(); opts["D"].step()
    # (2) update G: maximise log D(G(z))
    loss_g = g_loss(D, G, y, z, policy, generator)
    losses = {"loss_d": loss_d.item(), "loss_g": loss_g.item()}
    if mode_seeking:             # ... while two latents still give two different digits
        z2 = torch.randn(len(x), model.config.z_dim, generator=generator).to(x)
        loss_ms = mode_seeking_loss(G, y, z, z2)
        loss_g = loss_g + mode_seeking * loss_ms
        losses["mode_seeking"] = loss_ms.item()
    opts["G"].zero_grad(set_to_none=True); loss_g.backward(); opts["G"].step()
    return losses


FAMILY = Family(
    name="gan", model=GAN, config=GANConfig, train_step=train_step,
    nets=lambda gan: {"G": gan.generator, "D": gan.discriminator},
    averaged="G", betas=(0.5, 0.999), conditional=True,        # DCGAN's beta1 = 0.5
    defaults={"truncation": TRUNCATION},
    frontier=("truncation", (0.3, 0.5, 0.7, 0.8, 1.0, 1.2), 1.0),   # untruncated, measured in full too
    arch_defaults={"aux_classifier": 1.0},                     # AC-GAN: see the notes at the top
    train_defaults=dict(epochs=60, lr=2e-4, mode_seeking=1.0),
    finetune_defaults=dict(steps=400, lr=2e-4),                # lr 1e-3 retargeted only 16% and broke class 0
    new_critic=new_discriminator,
    tuned=lambda gan: gan.generator,                           # D always trains fully: it must see the new look first
    last_layers=lambda gan: [gan.generator.embed, gan.generator.body[6:]],   # the last upsampling stage and output conv
    class_embedding=lambda gan: gan.generator.embed,
)
