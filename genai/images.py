"""Conversions between model tensors and pictures.

Models work on float tensors in [-1, 1] of shape (B, 1, 28, 28), digits bright on
dark. People see uint8 arrays (B, 28, 28) and PIL images. Everything that crosses
that border goes through this file.
"""

import numpy as np
import torch
from PIL import Image, ImageOps

SIZE = 28


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(B, 1, H, W) floats in [-1, 1] -> (B, H, W) uint8, 0 = dark, 255 = bright."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return x.to(torch.uint8).squeeze(1).numpy()


def from_uint8(a: np.ndarray) -> torch.Tensor:
    """(B, H, W) or (H, W) uint8 -> (B, 1, H, W) floats in [-1, 1]."""
    a = np.asarray(a)
    if a.dtype != np.uint8:
        raise TypeError(f"expected a uint8 array, got dtype {a.dtype}")
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected shape (H, W) or (B, H, W), got {a.shape}")
    return torch.from_numpy(a.astype(np.float32) / 127.5 - 1).unsqueeze(1)


def grid(images: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile (B, H, W) uint8 images into one (rows*(H+pad)+pad, ...) uint8 picture."""
    images = np.asarray(images)
    B, H, W = images.shape
    cols = cols or int(np.ceil(np.sqrt(B)))
    rows = int(np.ceil(B / cols))
    out = np.zeros((rows * (H + pad) + pad, cols * (W + pad) + pad), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (H + pad):pad + r * (H + pad) + H, pad + c * (W + pad):pad + c * (W + pad) + W] = img
    return out


def upscale(image: np.ndarray, factor: int = 8) -> np.ndarray:
    """Nearest-neighbour upscaling, so every model pixel stays a crisp square."""
    return np.kron(np.asarray(image), np.ones((factor, factor), np.uint8))


def prepare_digit(image: Image.Image | np.ndarray, max_pixels: int = 4096 * 4096) -> np.ndarray:
    """Turn any user picture into a (28, 28) uint8 digit, bright on dark, MNIST-style.

    Accepts every PIL mode. Transparent pixels count as background; a picture whose
    background is lighter than its strokes is inverted. The strokes are cropped,
    scaled to fit a 20x20 box and centred by their centre of mass, as MNIST was made.
    Raises ValueError for an empty picture (nothing drawn).
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    if image.width * image.height > max_pixels:
        raise ValueError(f"image has {image.width}x{image.height} pixels; at most {max_pixels} allowed")
    if image.width == 0 or image.height == 0:
        raise ValueError("image is empty (0 pixels)")
    a = _ink(image)
    if a.max() - a.min() < 0.1:
        raise ValueError("the picture is blank: draw or upload a digit")
    a = (a - a.min()) / (a.max() - a.min())
    ys, xs = np.nonzero(a > 0.1)
    a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = a.shape
    scale = 20 / max(h, w)
    small = Image.fromarray((a * 255).astype(np.uint8)).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)
    s = np.asarray(small, np.float32)
    total = s.sum() or 1.0
    cy = (s.sum(1) * np.arange(s.shape[0])).sum() / total
    cx = (s.sum(0) * np.arange(s.shape[1])).sum() / total
    top = int(round(14 - cy)); left = int(round(14 - cx))
    top = min(max(top, 0), SIZE - s.shape[0]); left = min(max(left, 0), SIZE - s.shape[1])
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top:top + s.shape[0], left:left + s.shape[1]] = s
    return out.clip(0, 255).astype(np.uint8)


def _ink(image: Image.Image) -> np.ndarray:
    """Amount of ink per pixel in [0, 1], whatever the mode and polarity."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if image.mode in ("I;16", "I", "F"):
        a = np.asarray(image, np.float64)
        a = (a - a.min()) / ((a.max() - a.min()) or 1.0)
        gray = a
    else:
        rgba = image.convert("RGBA")
        gray = np.asarray(ImageOps.grayscale(rgba.convert("RGB")), np.float64) / 255
        if has_alpha:
            alpha = np.asarray(rgba, np.float64)[..., 3] / 255
            if alpha.min() < 0.99:
                # Strokes on a transparent canvas (a sketchpad): opacity is the ink.
                return alpha
    # Light background means dark ink: invert so digits end up bright on dark.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 1 - gray if np.median(border) > 0.5 else gray
