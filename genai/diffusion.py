"""Class-conditional denoising diffusion: a small U-Net, a noise schedule, DDPM and DDIM.

Notation (Ho et al. 2020, "DDPM"; Song et al. 2021, "DDIM"; Ho & Salimans 2022, "CFG"):
    T            number of noise levels, t = 0 .. T-1
    beta_t       noise added at step t                    (schedule.betas)
    alpha_bar_t  prod_{s<=t} (1 - beta_s)                 (schedule.alpha_bar)
    x_0          a clean image in [-1, 1]
    x_t          sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps      (DDPM eq. 4, add_noise)
    eps_pred     the U-Net's guess of eps from (x_t, t, y)
    x0_pred      (x_t - sqrt(1 - alpha_bar_t) eps_pred) / sqrt(alpha_bar_t)   (DDPM eq. 15)
    y            the digit 0..9, or NULL_CLASS = 10 for "no digit"
    w            guidance scale: eps = eps(x_t, null) + w (eps(x_t, y) - eps(x_t, null))   (CFG eq. 6)
                 w > 1 applies only while t/T lies in [guidance_from, guidance_to): the guidance
                 interval of Kynkäänniemi et al. 2024; elsewhere w = 1, the plain conditional model

The schedule and the step functions have no parameters; the U-Net has nothing but
parameters. `sample_steps` is a generator that yields every step, so the app can
stream it; `sample` drains it.
"""

import math
from dataclasses import dataclass
from typing import Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .checks import check_images, check_labels, check_range, check_seed
from .family import Family, minimise
from .images import to_uint8

NULL_CLASS = 10
SAMPLERS = ("ddim", "ddpm")
GUIDANCE = 1.25       # the default w: the least that python -m genai.evaluate finds reading 99.5% right, with ETA (README)
ETA = 0.5             # the default DDIM η: a little fresh noise each step lets a guided run undo its slips (README)


@dataclass(frozen=True)
class UNetConfig:
    width: int = 32              # channels at 28x28; 2x at 14x14 and 7x7
    n_classes: int = 10          # plus one learned "no class" embedding for guidance
    T: int = 1000                # number of noise levels
    beta_start: float = 1e-4     # linear schedule of DDPM
    beta_end: float = 0.02
    # The guidance interval (Kynkäänniemi et al. 2024), as fractions of T: w > 1 only while
    # guidance_from <= t/T < guidance_to. Guidance at the noisiest levels, where the digit's
    # layout is decided, makes every seed draw the same typical digit; near the clean end it
    # does little. (0, 1) guides every step, as CFG does.
    guidance_from: float = 0.0
    guidance_to: float = 1.0
    # Self-attention between the two 7x7 blocks (DDPM puts it at its low resolutions): every
    # position sees the whole digit at once. 0 = none (the shipped checkpoints), else heads.
    attention_heads: int = 0
    # How t and y steer each residual block: False adds their embedding to the features (DDPM);
    # True scales and shifts the normalised features by it, "adaptive group norm" (Dhariwal &
    # Nichol 2021, whose ablation found it better). False = the shipped checkpoints.
    scale_shift: bool = False


# ----------------------------------------------------------------------------- schedule

class NoiseSchedule:
    """The forward process q(x_t | x_0) for a linear beta schedule."""

    def __init__(self, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        self.T = T
        self.betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
        self.alpha_bar = torch.cumprod(1 - self.betas, 0)

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Sample q(x_t | x_0): sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise, one t per
        sample; x0 of any shape (B, ...): images (B, 1, 28, 28) or points (B, 2)."""
        a = self.alpha_bar.to(x0.device)[t].float().view(-1, *[1] * (x0.ndim - 1))
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def alpha_bar_at(self, t: int) -> float:
        """alpha_bar_t, with alpha_bar_{-1} = 1 (no noise before the first step)."""
        return 1.0 if t < 0 else float(self.alpha_bar[t])

    def timesteps(self, steps: int) -> list[int]:
        """`steps` evenly spaced noise levels from T-1 down ("trailing" spacing, Lin et al.
        2024): even one step starts from pure noise. steps = T visits every level."""
        steps = check_range("steps", steps, 1, self.T, integer=True)
        return [round(self.T - i * self.T / steps) - 1 for i in range(steps)]


def q_sample(schedule: NoiseSchedule, x0: torch.Tensor, t: int, seed: int = 0):
    """Draw x_t ~ q(x_t | x_0) (DDPM eq. 4) with the noise eps drawn from `seed`; returns
    (x_t, eps). With the same seed, x_t is exactly where `sample_steps(x_start=x0,
    t_start=t, seed=seed)` starts its image-to-image run."""
    x0 = check_images(x0)
    t = check_range("t", t, 0, schedule.T - 1, integer=True)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(check_seed(seed)))
    return schedule.add_noise(x0, eps, torch.full((x0.shape[0],), t)), eps


# ----------------------------------------------------------------------------- steps

def predict_x0(x_t, eps_pred, alpha_bar_t: float):
    """DDPM eq. 15: invert x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps for x_0."""
    return (x_t - math.sqrt(1 - alpha_bar_t) * eps_pred) / math.sqrt(alpha_bar_t)


def ddpm_step(x_t, eps_pred, alpha_bar_t: float, alpha_bar_prev: float, noise, clip: bool = True):
    """One ancestral step x_t -> x_{t_prev} (DDPM eqs. 6-7), valid for skipped steps too.
    Returns (x_prev, x0_pred)."""
    alpha = alpha_bar_t / alpha_bar_prev              # the effective 1 - beta over the jump
    beta = 1 - alpha
    x0_pred = predict_x0(x_t, eps_pred, alpha_bar_t)
    if clip:
        x0_pred = x0_pred.clamp(-1, 1)
    # Posterior mean mu~(x_t, x_0) of q(x_{t-1} | x_t, x_0), eq. 7.
    mean = (math.sqrt(alpha_bar_prev) * beta / (1 - alpha_bar_t)) * x0_pred \
        + (math.sqrt(alpha) * (1 - alpha_bar_prev) / (1 - alpha_bar_t)) * x_t
    variance = max((1 - alpha_bar_prev) / (1 - alpha_bar_t) * beta, 1e-20)   # beta~_t
    if alpha_bar_prev == 1.0:                      # the last step adds no noise
        return mean, x0_pred
    return mean + math.sqrt(variance) * noise, x0_pred


def ddim_step(x_t, eps_pred, alpha_bar_t: float, alpha_bar_prev: float, noise, eta: float = 0.0,
              clip: bool = True):
    """One DDIM step (Song et al. eq. 12); eta = 0 is deterministic, eta = 1 is DDPM-like.
    Returns (x_prev, x0_pred).

    With clip, the noise is re-derived from the clipped x0_pred (as GLIDE does; diffusers'
    use_clipped_model_output=True), so that x_prev stays a consistent mix of an image and
    unit noise. Without it, guidance w > 1 inflates eps_pred, the excess is carried from step
    to step, and at w = 2 most of our digits dissolve into blobs."""
    x0_pred = predict_x0(x_t, eps_pred, alpha_bar_t)
    if clip:
        x0_pred = x0_pred.clamp(-1, 1)
        eps_pred = (x_t - math.sqrt(alpha_bar_t) * x0_pred) / math.sqrt(1 - alpha_bar_t)
    sigma = eta * math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t) * (1 - alpha_bar_t / alpha_bar_prev))
    direction = math.sqrt(max(1 - alpha_bar_prev - sigma**2, 0.0)) * eps_pred   # "direction pointing to x_t"
    x_prev = math.sqrt(alpha_bar_prev) * x0_pred + direction
    if eta > 0:
        x_prev = x_prev + sigma * noise
    return x_prev, x0_pred


class Step(NamedTuple):
    """What a sampler yields after each step."""
    index: int                # 0, 1, ... steps-1
    t: int                    # the noise level this step started from
    x_t: torch.Tensor         # the image after the step, x_{t_prev}
    x0_pred: torch.Tensor     # the model's current guess of the clean image
    eps_pred: torch.Tensor    # the (guided) predicted noise


# ----------------------------------------------------------------------------- U-Net

def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of t (Vaswani et al. 2017), (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with the time+class embedding in between: added to the
    features, or (scale_shift) scaling and shifting them after the second GroupNorm."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, scale_shift: bool = False):
        super().__init__()
        self.scale_shift = scale_shift
        self.norm1, self.conv1 = nn.GroupNorm(8, c_in), nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.emb = nn.Linear(emb_dim, 2 * c_out if scale_shift else c_out)
        self.norm2, self.conv2 = nn.GroupNorm(8, c_out), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        e = self.emb(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift                # AdaGN(h, e) = (1 + s) GroupNorm(h) + b
        else:
            h = self.norm2(h + e)
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention over the positions of a small feature map, with a residual.
    1x1 convolutions make the queries, keys and values, so PairKernels batches them too."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        if heads < 1 or channels % heads:
            raise ValueError(f"attention_heads must divide the {channels} channels at 7x7; got {heads}")
        self.heads = heads
        self.norm = nn.GroupNorm(8, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, self.heads, C // self.heads, H * W).unbind(1)
        weights = torch.softmax(q.transpose(-1, -2) @ k / math.sqrt(C // self.heads), -1)  # (B, h, HW, HW)
        out = (v @ weights.transpose(-1, -2)).reshape(B, C, H, W)                           # sum_j w_ij v_j
        return x + self.proj(out)


class UNet(nn.Module):
    """eps_pred = UNet(x_t, t, y). Resolutions 28 -> 14 -> 7 -> 14 -> 28, skips between."""

    def __init__(self, cfg: UNetConfig = UNetConfig()):
        super().__init__()
        C, E, S = cfg.width, 4 * cfg.width, cfg.scale_shift
        self.time_mlp = nn.Sequential(nn.Linear(C, E), nn.SiLU(), nn.Linear(E, E))
        self.class_emb = nn.Embedding(cfg.n_classes + 1, E)          # last row: NULL_CLASS
        self.width = C
        self.inp = nn.Conv2d(1, C, 3, 1, 1)
        self.down1 = ResBlock(C, C, E, S)                              # 28x28
        self.pool1 = nn.Conv2d(C, C, 3, 2, 1)                          # -> 14x14
        self.down2 = ResBlock(C, 2 * C, E, S)
        self.pool2 = nn.Conv2d(2 * C, 2 * C, 3, 2, 1)                  # -> 7x7
        self.mid1 = ResBlock(2 * C, 2 * C, E, S)
        self.mid2 = ResBlock(2 * C, 2 * C, E, S)
        self.attn = SelfAttention(2 * C, cfg.attention_heads) if cfg.attention_heads else nn.Identity()
        self.up2 = ResBlock(4 * C, 2 * C, E, S)                        # 14x14, after concat
        self.up1 = ResBlock(3 * C, C, E, S)                            # 28x28, after concat
        self.out = nn.Sequential(nn.GroupNorm(8, C), nn.SiLU(), nn.Conv2d(C, 1, 3, 1, 1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        B, _, H, W = x.shape
        emb = self.time_mlp(timestep_embedding(t, self.width)) + self.class_emb(y)   # (B, E)
        h0 = self.down1(self.inp(x), emb)                               # (B, C, 28, 28)
        h1 = self.down2(self.pool1(h0), emb)                            # (B, 2C, 14, 14)
        h = self.mid2(self.attn(self.mid1(self.pool2(h1), emb)), emb)   # (B, 2C, 7, 7)
        h = F.interpolate(h, size=h1.shape[-2:], mode="nearest")        # (B, 2C, 14, 14)
        h = self.up2(torch.cat([h, h1], 1), emb)                        # (B, 2C, 14, 14)
        h = F.interpolate(h, size=(H, W), mode="nearest")               # (B, 2C, 28, 28)
        h = self.up1(torch.cat([h, h0], 1), emb)                        # (B, C, 28, 28)
        return self.out(h)                                              # (B, 1, 28, 28)


def min_snr_weight(schedule: NoiseSchedule, t: torch.Tensor, gamma: float) -> torch.Tensor:
    """Min-SNR-gamma weights for an eps loss (Hang et al. 2023): min(SNR_t, gamma) / SNR_t,
    SNR_t = alpha_bar_t / (1 - alpha_bar_t). Levels with little noise (SNR_t > gamma), where
    the simple loss spends most of its gradient on fine detail, count less; the noisy levels,
    where the digit's layout is decided, keep weight 1."""
    snr = (schedule.alpha_bar / (1 - schedule.alpha_bar)).to(t.device)[t]
    return (snr.clamp(max=gamma) / snr).float()


def diffusion_loss(model: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor, y: torch.Tensor,
                   p_uncond: float = 0.1, generator: torch.Generator | None = None,
                   min_snr: float = 0.0) -> torch.Tensor:
    """DDPM's simple loss E ||eps - eps_pred(x_t, t, y)||^2, with labels dropped to
    NULL_CLASS with probability p_uncond so the same net learns the unconditional model.
    min_snr > 0 weights each sample's error by min_snr_weight (gamma = min_snr)."""
    B = x0.shape[0]
    t = torch.randint(0, schedule.T, (B,), generator=generator).to(x0.device)
    noise = torch.randn(x0.shape, generator=generator).to(x0)
    drop = torch.rand(B, generator=generator).to(x0.device) < p_uncond
    y = torch.where(drop, torch.full_like(y, NULL_CLASS), y)
    eps_pred = model(schedule.add_noise(x0, noise, t), t, y)
    if not min_snr:
        return F.mse_loss(eps_pred, noise)
    per_sample = (eps_pred - noise).square().flatten(1).mean(1)
    return (min_snr_weight(schedule, t, min_snr) * per_sample).mean()


# ----------------------------------------------------------------------------- one sample at a time

PAIR = 2              # samples per kernel call in PairKernels: one guided run's batch


class PairKernels(TorchFunctionMode):
    """Inside this mode, linear layers and convolutions see the batch two samples at a time.

    Why: a batched engine (genai.engine) runs many visitors' samples in one U-Net call, and a
    visitor's picture must not depend on who else was in the batch. The per-sample layers
    (GroupNorm, SiLU, upsampling) already compute each sample alone, but the CPU's fast kernels
    for matrix products and convolutions pick their blocking by batch size, and a different
    summation order changes the last bits. Cut into pairs, every call has the same shape
    whatever the batch: a guided run's pair (x_t with its digit, x_t with none) is computed
    the same way alone or in a crowd (the engine never puts two runs in one pair)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func not in (F.linear, F.conv2d):
            return func(*args, **kwargs)
        x, rest = args[0], args[1:]
        B = x.shape[0]
        if B % PAIR:                                                # an odd batch: one blank sample more
            x = torch.cat([x, x.new_zeros((PAIR - B % PAIR, *x.shape[1:]))])
        return torch.cat([func(x[i:i + PAIR], *rest, **kwargs) for i in range(0, len(x), PAIR)])[:B]


# ----------------------------------------------------------------------------- guidance

def check_digits(labels, n_classes: int) -> torch.Tensor:
    """The digits asked for as an int64 tensor; None means "no digit" (NULL_CLASS)."""
    if labels is not None and not torch.is_tensor(labels):
        labels = [NULL_CLASS if l is None else l for l in np.ravel(np.asarray(labels, object))]
    return check_labels(labels, n_classes + 1)


def is_guided(y: torch.Tensor, w: float) -> bool:
    """Whether CFG needs the unconditional pass: not for w = 1 or when no image asks for a digit."""
    return not (w == 1.0 or bool((y == NULL_CLASS).all()))


def cfg_inputs(x_t: torch.Tensor, t: int | float, y: torch.Tensor, w: float):
    """The U-Net's batch for one guided step: (x, t, y), with x_t twice, once with no digit.
    t: diffusion's whole timestep, or flow matching's time already scaled for the embedding."""
    dtype = torch.float32 if isinstance(t, float) else torch.long
    tt = torch.full((x_t.shape[0],), t, dtype=dtype, device=x_t.device)
    if not is_guided(y, w):
        return x_t, tt, y
    return torch.cat([x_t, x_t]), torch.cat([tt, tt]), torch.cat([y, torch.full_like(y, NULL_CLASS)])


def cfg_combine(eps: torch.Tensor, y: torch.Tensor, w: float) -> torch.Tensor:
    """CFG eq. 6 on the U-Net's answer to cfg_inputs: eps_null + w (eps_y - eps_null)."""
    if not is_guided(y, w):
        return eps
    eps_y, eps_null = eps.chunk(2)
    return eps_null + w * (eps_y - eps_null)


# ----------------------------------------------------------------------------- one run

class ReverseRun:
    """One reverse-diffusion run, advanced a step at a time from outside.

    Each step is: `unet_inputs()`, one U-Net call on them, `advance(eps)`. `sample_steps`
    drives one run this way; `genai.engine.Engine` drives many runs at once and puts all
    their U-Net inputs into one batch. The noise comes from the run's own generator, so a
    run's pictures depend only on its own settings."""

    def __init__(self, model: "Diffusion", labels, seed: int = 0, steps: int = 50, sampler: str = "ddim",
                 eta: float = ETA, guidance: float = GUIDANCE, x_start: torch.Tensor | None = None,
                 t_start: int | None = None):
        y, seed, steps, self.eta, self.guidance = model._check(labels, seed, steps, sampler, eta, guidance)
        self.model, self.sampler, self.i = model, sampler, 0
        self.g = torch.Generator().manual_seed(seed)
        self.ts = model.schedule.timesteps(steps)
        x = torch.randn((len(y), 1, 28, 28), generator=self.g)            # x_T
        if x_start is not None:                                           # image to image (SDEdit)
            t_start = check_range("t_start", t_start, 0, model.schedule.T - 1, integer=True)
            x_start = check_images(x_start)
            x = model.schedule.add_noise(x_start.expand(len(y), -1, -1, -1), x, torch.full((len(y),), t_start))
            self.ts = [t for t in self.ts if t <= t_start] or [0]
        self.x, self.y = x.to(model.device), y.to(model.device)

    @property
    def done(self) -> bool:
        return self.i >= len(self.ts)

    def _w(self) -> float:
        return self.model.guidance_at(self.ts[self.i], self.guidance)

    def unet_inputs(self):
        """(x, t, y) for this step's U-Net call."""
        return cfg_inputs(self.x, self.ts[self.i], self.y, self._w())

    def advance(self, eps: torch.Tensor) -> Step:
        """Take the step from the U-Net's answer to unet_inputs(): guidance, then DDPM or DDIM."""
        i, t = self.i, self.ts[self.i]
        t_prev = self.ts[i + 1] if i + 1 < len(self.ts) else -1
        eps = cfg_combine(eps, self.y, self._w())
        noise = torch.randn(self.x.shape, generator=self.g).to(self.x.device)
        ab, ab_prev = self.model.schedule.alpha_bar_at(t), self.model.schedule.alpha_bar_at(t_prev)
        if self.sampler == "ddpm":
            self.x, x0 = ddpm_step(self.x, eps, ab, ab_prev, noise)
        else:
            self.x, x0 = ddim_step(self.x, eps, ab, ab_prev, noise, self.eta)
        self.i += 1
        return Step(i, t, self.x, x0, eps)


# ----------------------------------------------------------------------------- the model

class Diffusion(nn.Module):
    """A trained U-Net with its schedule: what `genai.load("diffusion")` returns."""

    family = "diffusion"

    def __init__(self, cfg: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = cfg
        self.unet = UNet(cfg)
        self.schedule = NoiseSchedule(cfg.T, cfg.beta_start, cfg.beta_end)
        self.eval()

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    def guidance_at(self, t: int, guidance: float) -> float:
        """The guidance scale w actually used at noise level t (every sampler asks here):
        w inside the guidance interval, at most 1 outside it. Only the push beyond the
        conditional model (w > 1) is limited; w <= 1 (down to the unconditional w = 0)
        applies at every step."""
        lo, hi = self.config.guidance_from * self.schedule.T, self.config.guidance_to * self.schedule.T
        return guidance if lo <= t < hi else min(guidance, 1.0)

    @torch.no_grad()
    def predict_eps(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """eps_pred for a batch, computed pair by pair (PairKernels)."""
        with PairKernels():
            return self.unet(x_t, t, y)

    def predict(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What genai.engine asks every model it batches for: here, eps_pred."""
        return self.predict_eps(x_t, t, y)

    def start(self, labels, **settings) -> ReverseRun:
        """A run for genai.engine to step: see ReverseRun."""
        return ReverseRun(self, labels, **settings)

    def guided_eps(self, x_t: torch.Tensor, t: int, y: torch.Tensor, guidance: float) -> torch.Tensor:
        """Classifier-free guidance: eps_null + w (eps_y - eps_null); one batched U-Net call.
        Images with y = NULL_CLASS, and any w = 1, need only the conditional pass."""
        w = self.guidance_at(t, guidance)
        return cfg_combine(self.predict_eps(*cfg_inputs(x_t, t, y, w)), y, w)

    def sample_steps(self, labels, seed: int = 0, steps: int = 50, sampler: str = "ddim",
                     eta: float = ETA, guidance: float = GUIDANCE, x_start: torch.Tensor | None = None,
                     t_start: int | None = None) -> Iterator[Step]:
        """Reverse diffusion, one Step per yield. labels: digits 0-9, or None for "no digit".
        With x_start and t_start, start from x_start noised to t_start instead of pure
        noise (image to image, SDEdit-style)."""
        run = ReverseRun(self, labels, seed, steps, sampler, eta, guidance, x_start, t_start)
        while not run.done:
            yield run.advance(self.predict_eps(*run.unet_inputs()))

    def sample(self, labels, **kwargs) -> torch.Tensor:
        """Drain `sample_steps`: the final images, (B, 1, 28, 28) in [-1, 1]."""
        for step in self.sample_steps(labels, **kwargs):
            pass
        return step.x_t.clamp(-1, 1)

    def generate(self, labels=None, seed: int = 0, steps: int = 50, sampler: str = "ddim",
                 eta: float = ETA, guidance: float = GUIDANCE, n: int | None = None) -> np.ndarray:
        """uint8 (B, 28, 28) digits. labels: digits 0-9; or n images with no digit asked for."""
        if labels is None:
            labels = [None] * (n if n is not None else 1)
        return to_uint8(self.sample(labels, seed=seed, steps=steps, sampler=sampler, eta=eta,
                                    guidance=guidance))

    def _check(self, labels, seed, steps, sampler, eta, guidance):
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
        y = check_digits(labels, self.config.n_classes)
        return (y, check_seed(seed), check_range("steps", steps, 1, self.schedule.T, integer=True),
                check_range("eta", eta, 0.0, 1.0), check_range("guidance", guidance, 0.0, 20.0))


# ----------------------------------------------------------------------------- training

def train_step(model: Diffusion, nets: dict, opts: dict, x: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, cfg=None) -> dict[str, float]:
    return minimise(opts, diffusion_loss(nets["unet"], model.schedule, x, y, generator=generator,
                                         min_snr=getattr(cfg, "min_snr", 0.0)))


FAMILY = Family(
    name="diffusion", model=Diffusion, config=UNetConfig, train_step=train_step,
    nets=lambda model: {"unet": model.unet}, averaged="unet", conditional=True, quick={"steps": 20},
    knobs=("steps", "guidance"),
    defaults={"steps": 50, "sampler": "ddim", "eta": ETA, "guidance": GUIDANCE},
    frontier=("guidance", (1.0, 1.25, 1.5, 2.0, 3.0), None),
    train_defaults=dict(epochs=100, lr=1e-3, batch_size=128),
    # Smaller batches, more steps: 300 steps of 16 retargeted 85% where 150 of 32 reached 48%
    # (docs/finetune.md).
    finetune_defaults=dict(steps=300, lr=1e-3, batch_size=16),
    last_layers=lambda model: [model.unet.class_emb, model.unet.up1, model.unet.out],
    class_embedding=lambda model: model.unet.class_emb,
)
