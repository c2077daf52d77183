"""Diffusion speed: the sampler's overhead, DDIM-50 with guidance, ours against diffusers.

    python -m bench.diffusion [--repeats 5]

All timings are medians over `repeats` rounds, and every comparison is measured side by side
in the same round (A, B, A, B, ...), since shared machines are noisy. The reference is
diffusers' UNet2DModel (block widths 24/48/40 at 28/14/7 px, no attention: about the same
parameter count as our U-Net) with DDIMScheduler set up like ours (trailing spacing, clipping),
random weights, the same batch and the same classifier-free guidance.
"""

import argparse
import contextlib
import json
import statistics
import time

import torch

STEPS, GUIDANCE = 50, 3.0


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def diffusers_reference():
    """(unet, scheduler) of diffusers, sized like ours; None if diffusers is not installed."""
    try:
        from diffusers import DDIMScheduler, UNet2DModel
    except ImportError:
        return None
    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=28, in_channels=1, out_channels=1, block_out_channels=(24, 48, 40),
                       layers_per_block=1, add_attention=False, norm_num_groups=8, num_class_embeds=11,
                       down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3).eval()
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
                              clip_sample=True, timestep_spacing="trailing", set_alpha_to_one=True)
    return unet, scheduler


@torch.no_grad()
def diffusers_sample(unet, scheduler, labels: list[int], seed: int = 0, steps: int = STEPS) -> torch.Tensor:
    """DDIM with guidance GUIDANCE: the loop from diffusers' pipelines, batched like ours."""
    g = torch.Generator().manual_seed(seed)
    y = torch.tensor(labels)
    null = torch.full_like(y, 10)
    x = torch.randn((len(labels), 1, 28, 28), generator=g)
    scheduler.set_timesteps(steps)
    for t in scheduler.timesteps:
        eps_y, eps_null = unet(torch.cat([x, x]), t, class_labels=torch.cat([y, null])).sample.chunk(2)
        x = scheduler.step(eps_null + GUIDANCE * (eps_y - eps_null), t, x, use_clipped_model_output=True).prev_sample
    return x


def measure(repeats: int = 5, steps: int = STEPS, threads: int | None = None) -> dict:
    """Medians of every timing; threads: torch threads (default: the app's, GENAI_THREADS or 1)."""
    from .latency import app_threads
    before = torch.get_num_threads()
    torch.set_num_threads(threads or app_threads())
    try:
        return _measure(repeats, steps)
    finally:
        torch.set_num_threads(before)


def _measure(repeats: int, steps: int) -> dict:
    import genai
    from genai.images import to_uint8
    model = genai.load("diffusion")
    unet = model.unet
    params = sum(p.numel() for p in unet.parameters())
    ts = model.schedule.timesteps(steps)
    ref = diffusers_reference()
    one, ten = [3], list(range(10))

    @torch.no_grad()
    def bare_forwards(labels):
        """What the sampler cannot avoid: `steps` U-Net calls at the guided batch (2B)."""
        B = len(labels)
        x = torch.randn(2 * B, 1, 28, 28)
        y = torch.tensor(labels + [10] * B)
        for t in ts:
            unet(x, torch.full((2 * B,), t), y)

    def ours(labels, autocast=False):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
        with ctx:
            return model.sample(labels, seed=0, steps=steps, guidance=GUIDANCE)

    times = {k: [] for k in ("bare1", "ours1", "bare10", "ours10", "ref1", "ref10", "bf16_1", "bf16_10")}
    ours(one), ours(ten), bare_forwards(one)                       # warm up
    if ref:
        diffusers_sample(*ref, one, 0, steps)
    for _ in range(repeats):
        times["bare1"].append(_timed(lambda: bare_forwards(one)))
        times["ours1"].append(_timed(lambda: ours(one)))
        times["bare10"].append(_timed(lambda: bare_forwards(ten)))
        times["ours10"].append(_timed(lambda: ours(ten)))
        times["bf16_1"].append(_timed(lambda: ours(one, autocast=True)))
        times["bf16_10"].append(_timed(lambda: ours(ten, autocast=True)))
        if ref:
            times["ref1"].append(_timed(lambda: diffusers_sample(*ref, one, 0, steps)))
            times["ref10"].append(_timed(lambda: diffusers_sample(*ref, ten, 0, steps)))
    med = {k: statistics.median(v) for k, v in times.items() if v}
    # Does bf16 change the picture? Largest difference in the final uint8 digits, 0-255.
    pixel_diff = int((torch.from_numpy(to_uint8(ours(ten))).int() - torch.from_numpy(to_uint8(ours(ten, True))).int())
                     .abs().max())
    result = {
        "steps": steps, "guidance": GUIDANCE, "repeats": repeats, "torch_threads": torch.get_num_threads(),
        "unet_params": params,
        "bare_forward_ms_per_step_b2": 1000 * med["bare1"] / steps,
        "sampler_ms_per_step_b2": 1000 * med["ours1"] / steps,
        "sampler_overhead_b2": med["ours1"] / med["bare1"] - 1,
        "bare_forward_ms_per_step_b20": 1000 * med["bare10"] / steps,
        "sampler_ms_per_step_b20": 1000 * med["ours10"] / steps,
        "sampler_overhead_b20": med["ours10"] / med["bare10"] - 1,
        "ddim_one_digit_s": med["ours1"], "ddim_ten_digits_s": med["ours10"],
        "bf16_one_digit_s": med["bf16_1"], "bf16_ten_digits_s": med["bf16_10"],
        "bf16_max_pixel_diff": pixel_diff,
    }
    if ref:
        result.update({
            "diffusers_params": sum(p.numel() for p in ref[0].parameters()),
            "diffusers_one_digit_s": med["ref1"], "diffusers_ten_digits_s": med["ref10"],
            "speedup_vs_diffusers_one": med["ref1"] / med["ours1"],
            "speedup_vs_diffusers_ten": med["ref10"] / med["ours10"],
        })
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=STEPS)
    args = p.parse_args(argv)
    print(json.dumps(measure(args.repeats, args.steps), indent=1))


if __name__ == "__main__":
    main()
