"""The fine-tuning benchmark on a CUDA GPU: one command, a few minutes.

    python -m bench.gpu_check                 # every family; prints steps/s and the figures

First it runs every model's public methods on the GPU and compares the pictures with the
CPU's (a device mix-up fails here, not in front of a class). Then it runs bench.finetune's retargeting (default settings, held-out digits as drawings) with
training and diffusion sampling on the GPU, and prints steps/s per family with the
figures. Without CUDA it stops at once and says so.
"""

import argparse
import sys

import numpy as np
import torch

import genai
from bench import finetune as bench
from genai import finetune as ft
from genai.images import from_uint8, to_uint8
from genai.gan import describe_directions, feature_directions, interpolate
from genai.vae import decode_latents


def model_calls(device: str) -> dict[str, np.ndarray]:
    """uint8 pictures from each model's public methods, with the model on `device`."""
    gan, vae, diffusion = (genai.load(name, device=device) for name in ("gan", "vae", "diffusion"))
    x = from_uint8(gan.generate([3, 7], seed=1))
    directions, stds = feature_directions(gan, k=6)
    return {
        "gan.generate": gan.generate([3, 7], seed=1),
        "gan.render (moved along a direction)": to_uint8(gan.render(gan.latents(2, 1), [3, 7], directions,
                                                                    torch.ones(2, 6) * stds)),
        "gan.realness": (gan.realness(x, [3, 7]).numpy() * 255).round().astype(np.uint8),
        "gan interpolate": interpolate(gan, 1, 2, 3, 8, frames=4),
        "gan describe_directions": np.array([len(describe_directions(gan, directions, stds, n=10))]),
        "vae.generate": vae.generate(n=2, seed=1),
        "vae.reconstruct": to_uint8(vae.reconstruct(x.to(device))),
        "vae decode_latents": decode_latents(vae, np.zeros(vae.config.latent_dim)),
        "diffusion.generate": diffusion.generate([3, 7], seed=1, steps=10),
    }


def compare_devices() -> None:
    """Every public model call on CUDA gives (nearly) the CPU's pixels."""
    cpu, cuda = model_calls("cpu"), model_calls("cuda")
    for name in cpu:
        diff = np.abs(cpu[name].astype(int) - cuda[name].astype(int)).max()
        print(f"{name}: CUDA vs CPU, largest pixel difference {diff}/255", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(bench.FAMILIES))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("bench.gpu_check needs a CUDA GPU, and torch sees none (torch.cuda.is_available() is False). "
                 "On a CPU, run `python -m bench.finetune` instead.")
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    compare_devices()
    rows = []
    for family in [f for f in args.families.split(",") if f]:
        # A 5-step warm-up (CUDA context, kernels), so the timed run is not charged for it.
        ft.run(genai.load(family), family, bench.drawings(7), None, ft.default_config(family, steps=5, device="cuda"))
        rows.append(bench.retarget(family, device="cuda"))
        r = rows[-1]
        print(f"{family}: {r['steps']} steps in {r['seconds']:.1f} s = {r['steps_per_second']:.1f} steps/s", flush=True)
    print(bench.table(rows, "cuda"))


if __name__ == "__main__":
    main()
