"""Handler time of each live control, called in process the way Gradio calls it.

    python -m bench.latency [--repeats 200]

For every control: the handler alone (what the target counts), then the handler plus the
PNG encoding Gradio does with its answer (gr.Image(format="png").postprocess). Every call
uses values not seen before, so no cache helps: these are the uncached costs.
"""

import argparse
import json
import os
import random
import tempfile
import time

from .load import percentile


def _controls(rng: random.Random):
    """(name, what it is, a function making one call's arguments, the handler, how it is called)."""
    import gradio as gr
    from ui import diffusion_tab, gan_tab, vae_tab

    seeds = iter(range(10_000, 10**9))

    def gan_args():                       # a fresh seed each call: _digit's cache never hits
        amounts = [0.0] * gan_tab.N_PCS
        amounts[rng.randrange(gan_tab.N_PCS)] = round(rng.uniform(-3, 3), 1) or 0.1
        return (next(seeds), rng.randrange(10), 0.8, *amounts)

    def vae_args():
        return tuple(round(rng.uniform(-2, 2), 2) for _ in range(vae_tab.DIMS))

    def click_args():                     # a click anywhere on the decoded-grid panel of the map
        return (rng.uniform(vae_tab.EDGE, vae_tab.PANEL - vae_tab.EDGE),
                rng.uniform(vae_tab.HEADER + vae_tab.EDGE, vae_tab.HEADER + vae_tab.PANEL - vae_tab.EDGE))

    def click(column, row):
        """A click: pick_point turns the pixel into (x, y); the sliders' change runs show_point."""
        x, y = vae_tab.pick_point(gr.SelectData(None, {"index": [column, row], "value": None}))
        return vae_tab.show_point(x, y)

    def forward_args():
        return (rng.randrange(1000), rng.randrange(1000))

    return [
        ("GAN latent slider", "gan_tab._show: G with six PC amounts, then D's verdict", gan_args, gan_tab._show),
        ("VAE slider", "vae_tab.show_code: decode 16 numbers", vae_args, vae_tab.show_code),
        ("Latent-map click", "vae_tab.pick_point + show_point: decode, redraw the marked map", click_args, click),
        ("Forward-noise slider", "diffusion_tab.forward: q(x_t | x_0), ᾱ_t, the plot's marker", forward_args,
         diffusion_tab.forward),
    ]


def _encode_pictures(outputs, encoder) -> None:
    """Encode every picture among a handler's outputs as Gradio does before answering."""
    import numpy as np
    from PIL import Image
    for out in outputs if isinstance(outputs, (tuple, list)) else (outputs,):
        if isinstance(out, (np.ndarray, Image.Image)):
            encoder.postprocess(out)


def app_threads() -> int:
    """The torch threads app.py runs its handlers with."""
    return int(os.environ.get("GENAI_THREADS", "1"))


def measure(repeats: int = 200, seed: int = 0) -> dict:
    """p50/p95 (ms) of each live control's handler, alone and with PNG encoding, with the
    torch threads the app uses."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(app_threads())
    try:
        return _measure(repeats, seed)
    finally:
        torch.set_num_threads(before)


def _measure(repeats: int, seed: int) -> dict:
    import gradio as gr
    import torch
    rng = random.Random(seed)
    controls = _controls(rng)
    encoder = gr.Image(format="png", type="numpy")
    encoder.GRADIO_CACHE = tempfile.mkdtemp(prefix="genai-bench-png-")
    results = {}
    for name, what, make_args, handler in controls:
        for _ in range(3):                             # load models and caches (directions, plots) first
            _encode_pictures(handler(*make_args()), encoder)
        alone, encoded = [], []
        for _ in range(repeats):
            args = make_args()
            t0 = time.perf_counter()
            outputs = handler(*args)
            t1 = time.perf_counter()
            _encode_pictures(outputs, encoder)
            t2 = time.perf_counter()
            alone.append((t1 - t0) * 1000)
            encoded.append((t2 - t0) * 1000)
        results[name] = {"what": what, "calls": repeats, "torch_threads": torch.get_num_threads(),
                         "p50_ms": percentile(alone, 50), "p95_ms": percentile(alone, 95),
                         "with_png_p50_ms": percentile(encoded, 50), "with_png_p95_ms": percentile(encoded, 95)}
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=200)
    args = p.parse_args(argv)
    print(json.dumps(measure(args.repeats), indent=1))


if __name__ == "__main__":
    main()
