"""The 2-D playground against the clock: how close each family gets to each preset in 15 s.

    python -m bench.toy2d            # prints a markdown table, writes docs/toy2d.md and docs/toy2d.png
    python -m bench.toy2d --quick    # the same, printed only (what `python -m bench` runs)
    python -m bench.toy2d --quick --presets checkerboard     # some presets only

"In the tab" calls the tab's own frame handler (ui.playground_tab._advance) as Play does,
with its defaults: every frame, each family takes `steps per frame` steps on
the same 1000 points, then the frame is drawn (samples, distances, every view) and
encoded as PNGs, and the next frame waits for the next tick of the page's timer (every
tab.TICK_S s; ticks that come during a frame are skipped). So the families share the 15 s,
drawing included; only the network is left out. The distance is the sliced Wasserstein
distance (genai.toy2d) between 1000 generated points and the data, beside precision and
recall; "floor" is two samples of the preset itself, the best any model can show. The full
run also plays each family alone (the others unticked under Train), to show what their
sharing costs.
Torch uses one thread, as the app does; nothing else should load the CPU meanwhile.
"""

import argparse
import io
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genai import toy2d
from ui import playground_tab as tab

SECONDS = 15.0
# With one family ticked a frame is short, and at the tab's 25 steps a frame the redraw takes
# much of the time (the GAN on the checkerboard: 1950 steps in 15 s; at 50 a frame, 3500)
SOLO_FRAME_STEPS = 50
ROOT = Path(__file__).resolve().parent.parent


def in_the_tab(preset: str, seconds: float = SECONDS, families=toy2d.FAMILIES,
               frame_steps: int = tab.DEFAULTS["frame_steps"]) -> dict:
    """Play for `seconds` as the tab does, with `families` ticked; the distances (SW), precision
    and recall, steps and frames at the end."""
    d, lrs = tab.DEFAULTS, [tab.LR_DEFAULTS[f] for f in toy2d.FAMILIES]
    settings = (preset, d["width"], d["seed"], d["t"])
    session, *_ = tab._choose_data(None, *settings, None, *lrs)   # the first view, before ▶ Play
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        session, _, status, *pictures = tab._advance(session, *settings, frame_steps, list(families), None, *lrs)
        for p in pictures:                                        # what Gradio does with each new picture
            if isinstance(p, np.ndarray):
                Image.fromarray(p).save(io.BytesIO(), format="PNG")
        frames += 1
        next_tick = math.ceil((time.perf_counter() - start) / tab.TICK_S) * tab.TICK_S
        time.sleep(max(0.0, min(next_tick, seconds) - (time.perf_counter() - start)))
    elapsed = time.perf_counter() - start
    runs, data = {f: session["runs"][f] for f in families}, session["data"]
    floor_points = toy2d.preset(preset, tab.N_SAMPLES, d["seed"] + 1)       # the tab's floor: another sample
    return {"distance": {f: r.history[-1][1] for f, r in runs.items()}, "steps": runs[families[0]].step,
            "frames": frames, "fps": frames / elapsed, "floor": session["floor"],
            "precision_recall": {f: toy2d.precision_recall(data, r.model.sample(tab.N_SAMPLES, tab.SAMPLE_SEED))
                                 for f, r in runs.items()} | {"floor": toy2d.precision_recall(data, floor_points)},
            "pictures": [p[:tab.BIG] for p in pictures[1:-1] if isinstance(p, np.ndarray)]}   # real vs generated


def table(results: dict, solo: dict | None) -> str:
    d = tab.DEFAULTS
    rates = ", ".join(f"{f} {lr:g}" for f, lr in tab.LR_DEFAULTS.items())
    batches = ", ".join(f"{f} {toy2d.MODELS[f].batch}" for f in toy2d.FAMILIES)
    lines = [f"After {SECONDS:g} s of ▶ Play (width {d['width']}, learning rates {rates}, {d['frame_steps']} "
             f"steps per frame, batches {batches}, seed {d['seed']}), each cell: the sliced Wasserstein "
             "distance to the data (lower is better), then precision / recall in % "
             "(genai.toy2d.precision_recall: the share of generated points that lie on the data, and of "
             "data points that the generated ones cover; higher is better):", "",
             f"| preset | {' | '.join(tab.NAMES[f] for f in toy2d.FAMILIES)} | floor | steps per family | frames/s |",
             "|---|" + "---|" * (len(toy2d.FAMILIES) + 3)]
    for preset, r in results.items():
        pr = {k: f"{100 * prec:.0f} / {100 * rec:.0f}" for k, (prec, rec) in r["precision_recall"].items()}
        cells = [f"{r['distance'][f]:.3f} · {pr[f]}" for f in toy2d.FAMILIES]
        lines.append(f"| {preset} | {' | '.join(cells)} | {r['floor']:.3f} · {pr['floor']} | {r['steps']} "
                     f"| {r['fps']:.1f} |")
    if solo:
        lines += ["", f"Each family alone in the tab for {SECONDS:g} s (the others unticked under *Train*, "
                  f"{SOLO_FRAME_STEPS} steps per frame); each cell: SW · precision / recall (steps, frames/s):", "",
                  f"| preset | {' | '.join(tab.NAMES[f] for f in toy2d.FAMILIES)} |",
                  "|---|" + "---|" * len(toy2d.FAMILIES)]
        for preset, row in solo.items():
            cells = []
            for f in toy2d.FAMILIES:
                r = row[f]
                prec, rec = r["precision_recall"][f]
                cells.append(f"{r['distance'][f]:.3f} · {100 * prec:.0f} / {100 * rec:.0f} ({r['steps']}, {r['fps']:.1f})")
            lines.append(f"| {preset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the tab run only; print, write nothing")
    parser.add_argument("--presets", nargs="+", choices=toy2d.PRESETS, default=toy2d.PRESETS,
                        metavar="PRESET", help=f"presets to run (default all: {' '.join(toy2d.PRESETS)})")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    load = os.getloadavg()[0]                   # others' work on the machine skews every number here
    tab._render(tab._new_session("moons", tab.LR_DEFAULTS, 64, 0), 150)     # warm up (imports, caches)
    results = {p: in_the_tab(p) for p in args.presets}
    solo = None if args.quick else {p: {f: in_the_tab(p, families=[f], frame_steps=SOLO_FRAME_STEPS)
                                        for f in toy2d.FAMILIES} for p in args.presets}
    report = table(results, solo) + f"\n\nLoad average (1 min) when the run started: {load:.1f}."
    print(report)
    if args.quick:
        return
    rows = [[r["pictures"] for r in results.values()],
            [[row[f]["pictures"][0] for f in toy2d.FAMILIES] for row in solo.values()]]
    for name, pictures in zip(("toy2d.png", "toy2d_alone.png"), rows):
        picture = np.concatenate([np.concatenate(row, 1) for row in pictures], 0)
        Image.fromarray(picture).resize((picture.shape[1] // 2, picture.shape[0] // 2), Image.LANCZOS).save(ROOT / "docs" / name)
    (ROOT / "docs" / "toy2d.md").write_text(
        f"# The 2-D playground in {SECONDS:g} seconds\n\n"
        f"`python -m bench.toy2d` on {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, one torch thread, {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
        f"{report}\n\n![Real (grey) and generated points after {SECONDS:g} s, one row per preset; "
        f"columns {', '.join(tab.NAMES[f] for f in toy2d.FAMILIES)}](toy2d.png)\n\n"
        f"Each family alone ({SOLO_FRAME_STEPS} steps per frame), the same layout:\n\n"
        f"![Each family alone for {SECONDS:g} s](toy2d_alone.png)\n")


if __name__ == "__main__":
    main()
