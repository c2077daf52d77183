"""genai: four families of generative models for 28x28 digits, small enough to read.

    import genai
    genai.load("diffusion").generate(labels=[3, 3, 7], seed=0, steps=50)   # uint8 (3, 28, 28)
    genai.load("flow").generate(labels=[3, 3, 7], seed=0, steps=20)
    genai.load("gan").generate(labels=[0, 1, 2], seed=0)
    genai.load("vae").generate(n=4, seed=0)

Names: "gan", "vae" (16-D latent), "vae2d" (2-D latent), "diffusion", "flow", "classifier"
(genai/families.py); or the path of any checkpoint folder written by `python -m genai.train`.
"""

import os
from pathlib import Path

from .checkpoint import CheckpointError
from .families import NAMES

# GENAI_CHECKPOINTS points at another folder of shipped checkpoints (tests use tiny ones).
CHECKPOINTS = Path(os.environ.get("GENAI_CHECKPOINTS", Path(__file__).resolve().parent.parent / "checkpoints"))


def load(name: str, device: str = "cpu"):
    """Load a shipped model by name, or any checkpoint folder by path, ready to `generate`."""
    from .train import load_checkpoint_model
    if name in NAMES:
        folder = CHECKPOINTS / name
    elif isinstance(name, (str, Path)) and Path(name).is_dir() and (Path(name) / "config.json").is_file():
        folder = Path(name)
    else:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(NAMES)} or a checkpoint folder")
    return load_checkpoint_model(folder).to(device)


__all__ = ["load", "NAMES", "CheckpointError"]
