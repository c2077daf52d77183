"""The fine-tuning benchmark on a CUDA GPU: one command, a few minutes.

    python -m bench.gpu_check                 # every family; prints steps/s and the figures

It runs bench.finetune's retargeting (default settings, held-out digits as drawings) with
training and diffusion sampling on the GPU, and prints steps/s per family with the
figures. Without CUDA it stops at once and says so.
"""

import argparse
import sys

import torch

import genai
from bench import finetune as bench
from genai import finetune as ft


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(bench.FAMILIES))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("bench.gpu_check needs a CUDA GPU, and torch sees none (torch.cuda.is_available() is False). "
                 "On a CPU, run `python -m bench.finetune` instead.")
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
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
