"""Input checks shared by every family: each bad value gets an error naming what is allowed."""

import math

import numpy as np
import torch

MAX_BATCH = 1024                 # images per call; bounds memory for any caller
MAX_SEED = 2**63 - 1


def check_labels(labels, n_classes: int = 10) -> torch.Tensor:
    """Labels as an int64 tensor, or a clear error naming the allowed values 0..n_classes-1."""
    allowed = f"digits 0-{n_classes - 1}"
    try:
        y = labels.reshape(-1) if torch.is_tensor(labels) else torch.as_tensor(np.asarray(labels, np.float64).reshape(-1))
    except (TypeError, ValueError):
        raise ValueError(f"labels must be {allowed}, got {labels!r:.60}") from None
    if y.numel() == 0:
        raise ValueError(f"labels must not be empty; give {allowed}")
    if y.is_floating_point() and not (torch.isfinite(y).all() and torch.equal(y, y.round())):
        raise ValueError(f"labels must be whole numbers, {allowed}; got {y.tolist()[:5]}")
    y = y.long()
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must be {allowed}, got {y.tolist()[:10]}")
    check_count(len(y))
    return y


def check_count(n) -> int:
    """A number of images in 1..MAX_BATCH."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_BATCH:
        raise ValueError(f"number of images must be a whole number in 1-{MAX_BATCH}, got {n!r}")
    return int(n)


def check_seed(seed) -> int:
    """A seed: a whole number in 0..2**63-1."""
    if isinstance(seed, float) and math.isfinite(seed) and seed == int(seed):
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number in 0-{MAX_SEED}, got {seed!r}")
    return int(seed)


def check_range(name: str, value, low: float, high: float, integer: bool = False):
    """A finite number in [low, high] (whole if `integer`), or an error naming the range."""
    kind = "a whole number" if integer else "a number"
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and low <= value <= high and (not integer or value == int(value))
    if not ok:
        bounds = f"{int(low)}-{int(high)}" if integer else f"{low:g}-{high:g}"   # 2147483647, not 2.14748e+09
        raise ValueError(f"{name} must be {kind} in {bounds}, got {value!r:.40}")
    return int(value) if integer else float(value)


def check_images(x: torch.Tensor) -> torch.Tensor:
    """A float batch (B, 1, 28, 28) of finite values in [-1, 1]."""
    if not torch.is_tensor(x) or not x.is_floating_point():
        raise TypeError(f"images must be a float tensor, got {type(x).__name__} {getattr(x, 'dtype', '')}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (B, 1, 28, 28), got {tuple(x.shape)}")
    check_count(x.shape[0])
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or infinity")
    return x.clamp(-1, 1)
