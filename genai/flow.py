"""Class-conditional flow matching: learn a velocity field that carries noise straight to digits.

Notation (Lipman et al. 2023, "Flow Matching"; Liu et al. 2023, "Rectified Flow"; the
objective behind Stable Diffusion 3 and Flux):
    x_0          noise, N(0, I)
    x_1          a clean image in [-1, 1]
    t            time in [0, 1]: t = 0 is noise, t = 1 is the image
    x_t          (1 - t) x_0 + t x_1: the straight line between them       (Liu eq. 1)
    u            x_1 - x_0: the velocity of that line, the same at every t  (the target)
    v_pred       the U-Net's guess of u from (x_t, t, y)
    x1_pred      x_t + (1 - t) v_pred: where the line ends if v_pred is right
    y, w         the digit (NULL_CLASS for none) and the guidance scale:
                 v = v(x_t, null) + w (v(x_t, y) - v(x_t, null))          (CFG, as diffusion)

Training regresses v_pred on u (conditional flow matching, Lipman eq. 9 with sigma_min = 0).
Sampling integrates dx/dt = v(x, t, y) from t = 0 to 1 with Euler steps (or Heun's: a
second look at the end of each step). Where diffusion needs 50 steps, a flow's paths are
nearly straight, so 10-20 Euler steps already draw a digit. The U-Net is diffusion's own
(`genai.diffusion.UNet`): only what it is asked to predict and how it is sampled differ.
"""

from dataclasses import dataclass
from typing import Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_range, check_seed
from .diffusion import NULL_CLASS, PairKernels, UNet, UNetConfig, cfg_combine, cfg_inputs, check_digits
from .family import Family, minimise
from .images import to_uint8

SAMPLERS = ("euler", "heun")
STEPS = 20            # the default: where python -m genai.evaluate finds more steps stop helping (README)
GUIDANCE = 1.25       # the default w: the least that python -m genai.evaluate finds 99% read right at (README)
MAX_STEPS = 200
TIME_SCALE = 1000     # t in [0, 1] is embedded as t * 1000, the range the U-Net's embedding was built for


@dataclass(frozen=True)
class FlowConfig:
    width: int = 32              # the U-Net's channels at 28x28, as diffusion's
    n_classes: int = 10          # plus one learned "no class" embedding for guidance


def unet_for(cfg: FlowConfig) -> UNet:
    return UNet(UNetConfig(width=cfg.width, n_classes=cfg.n_classes))


# ----------------------------------------------------------------------------- the path and the loss

def interpolate(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = (1 - t) x_0 + t x_1, one t per sample."""
    t = t.view(-1, *[1] * (x1.ndim - 1))
    return (1 - t) * x0 + t * x1


def predict_x1(x_t: torch.Tensor, v_pred: torch.Tensor, t: float) -> torch.Tensor:
    """Follow the velocity to the end of the line: x_1 = x_t + (1 - t) v."""
    return x_t + (1 - t) * v_pred


def flow_loss(unet: nn.Module, x1: torch.Tensor, y: torch.Tensor, p_uncond: float = 0.1,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Conditional flow matching: E ||(x_1 - x_0) - v_pred(x_t, t, y)||^2 over t ~ U(0, 1),
    with labels dropped to NULL_CLASS with probability p_uncond (for guidance)."""
    B = x1.shape[0]
    t = torch.rand(B, generator=generator).to(x1)
    x0 = torch.randn(x1.shape, generator=generator).to(x1)
    drop = torch.rand(B, generator=generator).to(x1.device) < p_uncond
    y = torch.where(drop, torch.full_like(y, NULL_CLASS), y)
    return F.mse_loss(unet(interpolate(x0, x1, t), t * TIME_SCALE, y), x1 - x0)


def euler_step(x_t: torch.Tensor, v: torch.Tensor, h: float) -> torch.Tensor:
    """x_{t+h} = x_t + h v(x_t, t)."""
    return x_t + h * v


def heun_step(x_t: torch.Tensor, v: torch.Tensor, v_next: torch.Tensor, h: float) -> torch.Tensor:
    """Heun's method: the average of the velocity at both ends of the Euler step."""
    return x_t + h * (v + v_next) / 2


class Step(NamedTuple):
    """What a sampler yields after each step."""
    index: int                # 0, 1, ... steps-1
    t: float                  # the time this step started from
    x_t: torch.Tensor         # the image after the step
    x1_pred: torch.Tensor     # where the straight line from here ends: the model's current guess
    v_pred: torch.Tensor      # the (guided) velocity


# ----------------------------------------------------------------------------- one run

class FlowRun:
    """One sampling run, advanced from outside like `diffusion.ReverseRun`, so the same engine
    batches both: `unet_inputs()`, one U-Net call, `advance(v)`. Heun asks twice per step;
    `advance` returns None after the first look."""

    def __init__(self, model: "FlowMatching", labels, seed: int = 0, steps: int = STEPS,
                 sampler: str = "euler", guidance: float = GUIDANCE):
        y, seed, steps, self.guidance = model._check(labels, seed, steps, sampler, guidance)
        self.model, self.sampler, self.i = model, sampler, 0
        self.ts = [i / steps for i in range(steps)]           # the time each step starts from
        self.h = 1 / steps
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn((len(y), 1, 28, 28), generator=g).to(model.device)   # x_0: noise
        self.y = y.to(model.device)
        self.v_first: torch.Tensor | None = None            # Heun: the velocity at the start of the step

    @property
    def done(self) -> bool:
        return self.i >= len(self.ts)

    def _x_and_t(self):
        if self.v_first is None:
            return self.x, self.ts[self.i]
        return euler_step(self.x, self.v_first, self.h), self.ts[self.i] + self.h

    def unet_inputs(self):
        """(x, t, y) for this look's U-Net call; t already scaled for the embedding."""
        x, t = self._x_and_t()
        return cfg_inputs(x, float(t * TIME_SCALE), self.y, self.guidance)

    def advance(self, v: torch.Tensor) -> Step | None:
        v = cfg_combine(v, self.y, self.guidance)
        i, t = self.i, self.ts[self.i]
        last = i == len(self.ts) - 1
        if self.sampler == "heun" and self.v_first is None and not last:   # the last step stays Euler
            self.v_first = v
            return None
        if self.v_first is not None:
            v_start, self.v_first = self.v_first, None
            self.x = heun_step(self.x, v_start, v, self.h)
            v = v_start
        else:
            self.x = euler_step(self.x, v, self.h)
        self.i += 1
        return Step(i, t, self.x, predict_x1(self.x, v, t + self.h), v)


# ----------------------------------------------------------------------------- the model

class FlowMatching(nn.Module):
    """A trained velocity U-Net: what `genai.load("flow")` returns."""

    family = "flow"

    def __init__(self, cfg: FlowConfig = FlowConfig()):
        super().__init__()
        self.config = cfg
        self.unet = unet_for(cfg)
        self.eval()

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    @torch.no_grad()
    def predict(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """v_pred for a batch (t already scaled), pair by pair as diffusion's (PairKernels)."""
        with PairKernels():
            return self.unet(x_t, t, y)

    def start(self, labels, **settings) -> FlowRun:
        return FlowRun(self, labels, **settings)

    def sample_steps(self, labels, seed: int = 0, steps: int = STEPS, sampler: str = "euler",
                     guidance: float = GUIDANCE) -> Iterator[Step]:
        """Integrate from noise to digits, one Step per yield. labels: digits 0-9, or None."""
        run = FlowRun(self, labels, seed, steps, sampler, guidance)
        while not run.done:
            step = run.advance(self.predict(*run.unet_inputs()))
            if step is not None:
                yield step

    def sample(self, labels, **kwargs) -> torch.Tensor:
        """Drain `sample_steps`: the final images, (B, 1, 28, 28) in [-1, 1]."""
        for step in self.sample_steps(labels, **kwargs):
            pass
        return step.x_t.clamp(-1, 1)

    def generate(self, labels=None, seed: int = 0, steps: int = STEPS, sampler: str = "euler",
                 guidance: float = GUIDANCE, n: int | None = None) -> np.ndarray:
        """uint8 (B, 28, 28) digits. labels: digits 0-9; or n images with no digit asked for."""
        if labels is None:
            labels = [None] * (n if n is not None else 1)
        return to_uint8(self.sample(labels, seed=seed, steps=steps, sampler=sampler, guidance=guidance))

    def _check(self, labels, seed, steps, sampler, guidance):
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
        return (check_digits(labels, self.config.n_classes), check_seed(seed),
                check_range("steps", steps, 1, MAX_STEPS, integer=True), check_range("guidance", guidance, 0.0, 20.0))


# ----------------------------------------------------------------------------- training

def train_step(model: FlowMatching, nets: dict, opts: dict, x: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, cfg=None) -> dict[str, float]:
    return minimise(opts, flow_loss(nets["unet"], x, y, generator=generator))


FAMILY = Family(
    name="flow", model=FlowMatching, config=FlowConfig, train_step=train_step,
    nets=lambda model: {"unet": model.unet}, averaged="unet", conditional=True, quick={"steps": 20},
    knobs=("steps", "guidance"),
    defaults={"steps": STEPS, "sampler": "euler", "guidance": GUIDANCE},
    frontier=("guidance", (1.0, 1.25, 1.4, 1.5, 2.0, 3.0), None),
    train_defaults=dict(epochs=100, lr=1e-3, batch_size=64),
    finetune_defaults=dict(steps=300, lr=1e-3, batch_size=16),        # diffusion's: the same U-Net
    last_layers=lambda model: [model.unet.class_emb, model.unet.up1, model.unet.out],
    class_embedding=lambda model: model.unet.class_emb,
)
