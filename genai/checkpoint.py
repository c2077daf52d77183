"""Self-describing checkpoint folders.

    checkpoints/diffusion/
        model.safetensors   weights (fp16 where that changes no visible pixel)
        config.json         family, architecture, training settings, data, steps,
                            seconds, metrics, format version
        history.json        loss curves and the fixed-noise sample grids over training
        history/*.png       those grids

Loading needs no flags and never unpickles anything: safetensors holds raw tensors
and the config is JSON.
"""

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

FORMAT_VERSION = 1
WEIGHTS, CONFIG, HISTORY = "model.safetensors", "config.json", "history.json"


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, truncated, tampered with or mismatched."""


def save(folder: str | Path, state: dict[str, torch.Tensor], config: dict,
         history: dict | None = None, half: bool = True) -> Path:
    """Write weights, config and (optionally) history into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in state.items()}
    save_file(tensors, folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps({"format_version": FORMAT_VERSION, **config}, indent=2))
    if history is not None:
        (folder / HISTORY).write_text(json.dumps(history))
    return folder


def read_config(folder: str | Path) -> dict:
    """Read and check config.json of a checkpoint folder."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise CheckpointError(f"{folder} is not a checkpoint folder: {CONFIG} is missing")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(config, dict) or config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: format_version must be {FORMAT_VERSION}")
    return config


def load_state(folder: str | Path) -> dict[str, torch.Tensor]:
    """Read the weights as float32 CPU tensors."""
    path = Path(folder) / WEIGHTS
    if not path.is_file():
        raise CheckpointError(f"{folder}: {WEIGHTS} is missing")
    try:
        state = load_file(path, device="cpu")
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is truncated or corrupt: {e}") from e
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def load_into(module: torch.nn.Module, state: dict[str, torch.Tensor], where: str = "checkpoint") -> None:
    """Copy `state` into `module`, failing clearly if names or shapes do not match the config."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
             if k in state and state[k].shape != v.shape]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"{where}: weights do not match the architecture in its config "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}, shape {wrong[:3]})")
    for k, v in state.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"{where}: tensor {k} holds NaN or infinity")
    module.load_state_dict(state)


def read_history(folder: str | Path) -> dict:
    """Loss curves and sample-grid snapshots, or an empty history."""
    path = Path(folder) / HISTORY
    return json.loads(path.read_text()) if path.is_file() else {"losses": [], "snapshots": []}
