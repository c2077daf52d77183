"""Run every benchmark and write docs/benchmarks.md (one table, targets beside measured values).

    python -m bench            # the full run: 60 s scenarios, about 12 minutes on 2 CPU cores
    python -m bench --quick    # the same steps, shortened: about 6 minutes, numbers noisier

Steps, in order: handler times (in process), diffusion speed (in process), cold start of
`python app.py`, classroom load on that app (a class, a burst, growth from 1 to 60 students),
then `python -m bench.server` (the app plus comparison endpoints) for the browser and for what
batching, concurrency pools and torch threads change, with the trivial-handler baseline.
Also runs bench.finetune, bench.toy2d and bench.firstuse when they exist. Nothing else may load the CPU meanwhile.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import coldstart

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GROWTH = (1, 5, 10, 30, 60)
CLASS_PACE, BURST_PACE = (1.0, 3.0), (0.1, 0.3)

# seconds per scenario (class and burst, each growth level, each variant), presses, repeats
FULL = dict(scenario=60, growth=20, variant=20, handler_repeats=200, diffusion_repeats=3, coldstarts=2,
            presses=20, stream_runs=2)
QUICK = dict(scenario=12, growth=5, variant=6, handler_repeats=30, diffusion_repeats=2, coldstarts=1,
             presses=6, stream_runs=1)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine() -> dict:
    """What the numbers were measured on."""
    import gradio
    import torch
    model = platform.processor() or "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    busy = subprocess.run(["pgrep", "-f", "genai.train"], capture_output=True, text=True).stdout.split()
    return {"cpu": model, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "gradio": gradio.__version__, "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "training_running": bool(busy), "load_average_1min": os.getloadavg()[0]}


def run_load(url: str, pid: int, logs: Path, name: str, students: int, pace, duration: float,
             kinds: str = "gan,vae", diffusion: int = 0, fn: str | None = None) -> dict:
    """One scenario, driven by bench.load in its own process."""
    out = logs / f"load-{name}.json"
    command = [sys.executable, "-m", "bench.load", "--url", url, "--students", str(students),
               "--interval", str(pace[0]), str(pace[1]), "--duration", str(duration), "--kinds", kinds,
               "--diffusion", str(diffusion), "--server-pid", str(pid), "--json", str(out)]
    if fn:
        command += ["--fn", fn]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=duration + 300)
    result = json.loads(out.read_text())
    s = result["sliders"]
    log(f"  {name}: {students} students, sliders p50 {s['p50_ms'] or 0:.0f} ms, p95 {s['p95_ms'] or 0:.0f} ms, "
        f"{s['per_s']:.1f}/s, {s['errors']} errors")
    return result


def warm(url: str, pid: int, logs: Path, diffusion: bool, fn: str | None = None) -> None:
    """A few events of each kind first, so first-call costs (model loads, caches) are not measured."""
    run_load(url, pid, logs, "warmup", 4, (0.2, 0.4), 3, "gan,vae" if not fn else "gan",
             diffusion=1 if diffusion else 0, fn=fn)


def app_scenarios(cfg: dict, logs: Path, results: dict) -> None:
    """Cold start of `python app.py`, then the class, the burst and the growth curve on it."""
    seconds = []
    for i in range(cfg["coldstarts"]):
        port = coldstart.free_port()
        proc, s = coldstart.start([sys.executable, "app.py"], port, logs / f"app-{i}.log")
        seconds.append(s)
        log(f"cold start {i + 1}: {s:.1f} s")
        if i < cfg["coldstarts"] - 1:
            coldstart.stop(proc)
    results["coldstart"] = {"runs_s": seconds, "first_s": seconds[0], "median_s": sorted(seconds)[len(seconds) // 2]}
    url = f"http://127.0.0.1:{port}"
    try:
        warm(url, proc.pid, logs, diffusion=True)
        results["class"] = run_load(url, proc.pid, logs, "class", 30, CLASS_PACE, cfg["scenario"], diffusion=5)
        results["burst"] = run_load(url, proc.pid, logs, "burst", 30, BURST_PACE, cfg["scenario"])
        results["growth"] = {n: run_load(url, proc.pid, logs, f"growth-{n}", n, CLASS_PACE, cfg["growth"])
                             for n in GROWTH}
    finally:
        coldstart.stop(proc)


def bench_server(threads: int | None, logs: Path, name: str):
    port = coldstart.free_port()
    command = [sys.executable, "-m", "bench.server", "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    proc, s = coldstart.start(command, port, logs / f"{name}.log")
    log(f"{name} up in {s:.1f} s")
    return proc, f"http://127.0.0.1:{port}"


def server_scenarios(cfg: dict, logs: Path, results: dict, skip: set) -> None:
    """Browser, trivial baseline and the batching / concurrency / threads variants."""
    variants = results.setdefault("variants", {})
    threads = int(os.environ.get("GENAI_THREADS", "1"))       # what app.py uses
    other = 2 if threads == 1 else 1
    results["app_threads"] = threads
    proc, url = bench_server(None, logs, "bench-server")
    try:
        if "browser" not in skip:
            from . import browser
            if Path(browser.CHROMIUM).exists():
                log("browser: slider presses and a streamed run")
                results["browser"] = browser.measure(url, cfg["presses"], cfg["stream_runs"])
                log("browser: the live views, in the page")
                results["browser_live"] = browser.measure_live(url, cfg["presses"], server_side=False)
            else:
                log("browser: skipped, chromium is not installed")
        if "load" not in skip:
            warm(url, proc.pid, logs, diffusion=False, fn="gan=bench_gan_batch")
            results["trivial_burst"] = run_load(url, proc.pid, logs, "trivial-burst", 30, BURST_PACE,
                                                cfg["scenario"], "gan", fn="gan=bench_trivial")
            for fn in ("bench_gan_c1", "bench_gan_c2", "bench_gan_c4", "bench_gan_batch"):
                variants[f"{fn}/threads={threads}"] = run_load(url, proc.pid, logs, f"{fn}-t{threads}", 30, BURST_PACE,
                                                             cfg["variant"], "gan", fn=f"gan={fn}")
    finally:
        coldstart.stop(proc)
    if "load" in skip:
        return
    proc, url = bench_server(other, logs, f"bench-server-{other}threads")
    try:
        warm(url, proc.pid, logs, diffusion=False, fn="gan=bench_gan_batch")
        for fn in ("bench_gan_c2", "bench_gan_batch"):
            variants[f"{fn}/threads={other}"] = run_load(url, proc.pid, logs, f"{fn}-t{other}", 30, BURST_PACE,
                                                         cfg["variant"], "gan", fn=f"gan={fn}")
    finally:
        coldstart.stop(proc)


def other_benchmarks(quick: bool, logs: Path, results: dict) -> None:
    """Hook: bench.finetune, bench.toy2d (another engineer's) and bench.firstuse, run as
    `python -m bench.<name> --quick` when they exist and have that flag; their stdout tail goes into the report."""
    for name in ("finetune", "toy2d", "firstuse"):
        spec = importlib.util.find_spec(f"bench.{name}")
        if spec is None or '"--quick"' not in Path(spec.origin).read_text():
            log(f"bench.{name}: skipped (missing, or it has no --quick flag)")
            continue
        command = [sys.executable, "-m", f"bench.{name}", "--quick"]      # the short run: this suite has 15 minutes
        log(f"bench.{name}")
        try:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
            results[name] = {"returncode": done.returncode, "output": done.stdout[-4000:],
                             "error": done.stderr[-1000:] if done.returncode else ""}
        except subprocess.TimeoutExpired:
            results[name] = {"returncode": None, "output": "", "error": "timed out after 300 s"}


# ----------------------------------------------------------------------------- the report

def _ms(v) -> str:
    return "—" if v is None else f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"


def _verdict(ok) -> str:
    return "—" if ok is None else "**PASS**" if ok else "**MISS**"


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    """(what, target, measured, verdict) for every target of the issue that was measured."""
    out = []
    for name, h in r.get("handlers", {}).items():
        out.append((f"Handler time: {name}", "p50 ≤ 15 ms",
                    f"p50 {_ms(h['p50_ms'])}, p95 {_ms(h['p95_ms'])} (with PNG encoding: p50 {_ms(h['with_png_p50_ms'])})",
                    _verdict(h["p50_ms"] <= 15)))
    b = r.get("browser", {})
    for name in ("GAN latent slider", "VAE slider", "Forward-noise slider", "Trivial handler (baseline)"):
        if name in b:
            x = b[name]
            target = "p50 ≤ 80 ms" if "Trivial" not in name else "reference"
            out.append((f"Browser, server path (runtime blocked): key press → new image, {name}", target,
                        f"p50 {_ms(x['p50_ms'])}, p95 {_ms(x['p95_ms'])} ({x['measured']} presses, "
                        f"{x['queue_requests_per_press']:.1f} requests each)",
                        _verdict(x["p50_ms"] is not None and x["p50_ms"] <= 80) if "Trivial" not in name else "—"))
    live = r.get("browser_live", {})
    for name in ("GAN latent slider", "VAE slider", "Forward-noise slider"):
        if name in live:
            x = live[name]
            out.append((f"Browser, model in the page: key press → new picture, {name}", "p50 ≤ 25 ms, p95 ≤ 50 ms",
                        f"p50 {_ms(x['p50_ms'])}, p95 {_ms(x['p95_ms'])} ({x['measured']} presses, "
                        f"{x['requests_per_press']:.1f} requests each)",
                        _verdict(x["p50_ms"] is not None and x["p50_ms"] <= 25 and x["p95_ms"] <= 50
                                 and x["requests_per_press"] == 0)))
    f = live.get("first_load")
    if f:
        out.append(("First load: bytes transferred until the GAN sliders draw in the page (runtime and models)",
                    "≤ 5 MB", f"{f['bytes'] / 1e6:.1f} MB ({f['runtime_and_models_bytes'] / 1e6:.1f} MB); "
                    f"a reload: {f['reload_bytes'] / 1e6:.2f} MB", _verdict(f["runtime_and_models_bytes"] <= 5e6)))
        out.append(("First load: first picture, first live picture (without the runtime: first picture)",
                    "not > 1 s slower", f"{f['first_picture_s']:.1f} s, {f['first_live_picture_s']:.1f} s "
                    f"({f['first_picture_without_runtime_s']:.1f} s)",
                    _verdict(f["first_picture_s"] <= f["first_picture_without_runtime_s"] + 1)))
    d = r.get("diffusion")
    if d:
        out.append(("Diffusion: sampler overhead per step vs bare U-Net forward, same batch", "≤ 10%",
                    f"{d['sampler_overhead_b2']:+.1%} at batch 2 ({d['sampler_ms_per_step_b2']:.1f} vs "
                    f"{d['bare_forward_ms_per_step_b2']:.1f} ms), {d['sampler_overhead_b20']:+.1%} at batch 20",
                    _verdict(max(d["sampler_overhead_b2"], d["sampler_overhead_b20"]) <= 0.10)))
        out.append((f"DDIM {d['steps']} steps, guidance {d['guidance']:g}, one digit", "≤ 0.6 s",
                    f"{d['ddim_one_digit_s']:.2f} s", _verdict(d["ddim_one_digit_s"] <= 0.6)))
        out.append((f"DDIM {d['steps']} steps, guidance {d['guidance']:g}, ten digits", "≤ 2 s",
                    f"{d['ddim_ten_digits_s']:.2f} s", _verdict(d["ddim_ten_digits_s"] <= 2)))
        if "speedup_vs_diffusers_one" in d:
            out.append((f"Ours vs diffusers UNet2DModel + DDIMScheduler ({d['unet_params'] / 1e3:.0f}k vs "
                        f"{d['diffusers_params'] / 1e3:.0f}k parameters), same batch and guidance", "≥ 1.5× faster",
                        f"{d['speedup_vs_diffusers_one']:.2f}× (one digit: {d['diffusers_one_digit_s']:.2f} s), "
                        f"{d['speedup_vs_diffusers_ten']:.2f}× (ten: {d['diffusers_ten_digits_s']:.2f} s)",
                        _verdict(min(d["speedup_vs_diffusers_one"], d["speedup_vs_diffusers_ten"]) >= 1.5)))
    s = b.get("streaming")
    if s and s.get("runs"):
        out.append(("Streaming a 50-step run: distinct frames shown per second in the browser", "≥ 20 /s",
                    f"{s['browser_fps']:.1f} /s ({s['frames_shown']:.0f} of {s['server_steps']:.0f} steps shown; "
                    f"server sent {s['server_fps']:.1f} /s)", _verdict(s["browser_fps"] >= 20)))
        out.append(("Streaming: last frame on screen after the server's last step", "≤ 0.5 s",
                    f"{s['finish_lag_s']:.2f} s", _verdict(s["finish_lag_s"] <= 0.5)))
    c = r.get("coldstart")
    if c:
        again = ", ".join(f"{x:.1f} s" for x in c["runs_s"][1:])
        out.append(("Cold start: `python app.py` → first page served", "≤ 8 s",
                    f"{c['first_s']:.1f} s" + (f" (the next start: {again})" if again else ""),
                    _verdict(c["first_s"] <= 8)))
    k = r.get("class")
    if k:
        sl, df = k["sliders"], k["diffusion"]
        out.append(("A class: 30 students, a slider event every 1–3 s, 5 of them generating DDIM-50",
                    "slider p95 ≤ 150 ms", f"p50 {_ms(sl['p50_ms'])}, p95 {_ms(sl['p95_ms'])} ({sl['events']} events; "
                    + ", ".join(f"{kind.upper()} p95 {_ms(x['p95_ms'])}" for kind, x in k.get("by_kind", {}).items()) + ")",
                    _verdict(sl["p95_ms"] is not None and sl["p95_ms"] <= 150)))
        out.append(("A class: diffusion runs (DDIM-50, streamed, every frame fetched)", "p95 ≤ 5 s",
                    f"p50 {df['p50_ms'] / 1000:.2f} s, p95 {df['p95_ms'] / 1000:.2f} s ({df['events']} runs)"
                    if df and df["p95_ms"] else "—", _verdict(df and df["p95_ms"] and df["p95_ms"] <= 5000)))
        errors = sl["errors"] + (df["errors"] if df else 0)
        out.append(("A class: errors", "0", str(errors), _verdict(errors == 0)))
    u, t = r.get("burst"), r.get("trivial_burst")
    if u:
        sl = u["sliders"]
        out.append(("A burst: 30 students dragging (an event every 0.1–0.3 s each)", "0 errors; report",
                    f"{sl['errors']} errors; p50 {_ms(sl['p50_ms'])}, p95 {_ms(sl['p95_ms'])}, {sl['per_s']:.1f} events/s",
                    _verdict(sl["errors"] == 0)))
        if t:
            ratio = u["server_cpu_ms_per_event"] / t["server_cpu_ms_per_event"]
            out.append(("A burst: server CPU per slider event vs a trivial handler returning the same-size PNG",
                        "≤ 1.5×", f"{ratio:.2f}× ({u['server_cpu_ms_per_event']:.1f} vs {t['server_cpu_ms_per_event']:.1f} ms;"
                        f" trivial burst p50 {_ms(t['sliders']['p50_ms'])}, p95 {_ms(t['sliders']['p95_ms'])},"
                        f" {t['sliders']['per_s']:.1f}/s)", _verdict(ratio <= 1.5)))
    return out


def growth_table(r: dict) -> list[str]:
    g = r.get("growth")
    if not g:
        return []
    lines = ["| students | events | p50 | p95 | events/s | server CPU per event | errors |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n, x in g.items():
        s = x["sliders"]
        lines.append(f"| {n} | {s['events']} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {s['per_s']:.1f} | "
                     f"{x['server_cpu_ms_per_event']:.1f} ms | {s['errors']} |")
    return lines


def variant_table(r: dict) -> list[str]:
    v = dict(r.get("variants", {}))
    if r.get("trivial_burst"):
        v = {f"bench_trivial/threads={r.get('app_threads', 1)}": r["trivial_burst"], **v}
    if not v:
        return []
    label = {"bench_trivial": "trivial handler (no model), pool 2", "bench_gan_c1": "GAN slider, pool of 1",
             "bench_gan_c2": "GAN slider, pool of 2", "bench_gan_c4": "GAN slider, pool of 4",
             "bench_gan_batch": "GAN slider, `batch=True` (≤ 16), pool of 1"}
    lines = ["| variant | torch threads | p50 | p95 | events/s | server CPU per event | errors |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, x in v.items():
        fn, threads = key.split("/threads=")
        s = x["sliders"]
        lines.append(f"| {label.get(fn, fn)} | {threads} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {s['per_s']:.1f} | "
                     f"{x['server_cpu_ms_per_event']:.1f} ms | {s['errors']} |")
    return lines


def notes(r: dict) -> list[str]:
    """Short notes computed from the numbers: what batching, pools and threads changed."""
    v, out = r.get("variants", {}), []

    def get(key):
        x = v.get(key)
        return x and x["sliders"]

    t = r.get("app_threads", 1)
    other = 2 if t == 1 else 1
    c2, batch = get(f"bench_gan_c2/threads={t}"), get(f"bench_gan_batch/threads={t}")
    if c2 and batch and c2["p95_ms"] and batch["p95_ms"]:
        out.append(f"**Dynamic batching** (`batch=True`, up to {16} events per call) under the burst: p95 "
                   f"{_ms(c2['p95_ms'])} → {_ms(batch['p95_ms'])}, throughput {c2['per_s']:.1f} → {batch['per_s']:.1f} events/s, "
                   f"server CPU per event {v[f'bench_gan_c2/threads={t}']['server_cpu_ms_per_event']:.1f} → "
                   f"{v[f'bench_gan_batch/threads={t}']['server_cpu_ms_per_event']:.1f} ms "
                   "(one forward pass of G and D serves many students; Gradio's per-event cost stays).")
    pools = [(n, get(f"bench_gan_c{n}/threads={t}")) for n in (1, 2, 4)]
    if all(p for _, p in pools) and all(p["p95_ms"] for _, p in pools):
        best = max(pools, key=lambda p: p[1]["per_s"])[0]
        out.append("**Concurrency pool** (events of one kind running at once), under the burst: " + ", ".join(
            f"pool of {n}: p95 {_ms(p['p95_ms'])}, {p['per_s']:.1f}/s" for n, p in pools) +
            f"; the most events per second with a pool of {best}.")
    for fn, name in (("bench_gan_c2", "pool of 2"), ("bench_gan_batch", "batched")):
        a, b = get(f"{fn}/threads={t}"), get(f"{fn}/threads={other}")
        if a and b and a["p95_ms"] and b["p95_ms"]:
            out.append(f"**Torch threads** ({name}): {t} (the app's setting) → {other}: p95 "
                       f"{_ms(a['p95_ms'])} → {_ms(b['p95_ms'])}, {a['per_s']:.1f} → {b['per_s']:.1f} events/s.")
    d = r.get("diffusion")
    if d:
        faster = d["bf16_ten_digits_s"] < 0.9 * d["ddim_ten_digits_s"]
        out.append(f"**bf16 autocast** for DDIM-50: one digit {d['ddim_one_digit_s']:.2f} → {d['bf16_one_digit_s']:.2f} s, "
                   f"ten {d['ddim_ten_digits_s']:.2f} → {d['bf16_ten_digits_s']:.2f} s; final digits differ by up to "
                   f"{d['bf16_max_pixel_diff']}/255. " + ("Faster here." if faster else
                                                         "Not faster on this CPU (no avx512_bf16/AMX), so float32 stays."))
    for key in ("class", "burst"):
        x = r.get(key)
        if x:
            out.append(f"Load generator CPU in the {key} scenario: {x['loadgen_cpu_s']:.1f} s over {x['duration_s']:.0f} s "
                       f"(it shares the 2 cores with the server).")
    return out


def plot_growth(r: dict, path: Path) -> None:
    """Latency (p50, p95) and throughput against the number of students."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    g = r["growth"]
    n = [int(k) for k in g]
    p50 = [g[k]["sliders"]["p50_ms"] or 0 for k in g]
    p95 = [g[k]["sliders"]["p95_ms"] or 0 for k in g]
    rate = [g[k]["sliders"]["per_s"] for k in g]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot(n, p50, "o-", color="tab:blue", label="p50 latency")
    ax.plot(n, p95, "s--", color="tab:blue", alpha=0.7, label="p95 latency")
    ax.axhline(150, color="tab:red", lw=1, ls=":", label="target p95 150 ms")
    ax.set(xlabel="students moving sliders (one event every 1–3 s each)", ylabel="slider event → image fetched (ms)",
           xscale="log", xticks=n, xticklabels=[str(k) for k in n])
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.plot(n, rate, "^-", color="tab:orange", label="events/s answered")
    ax2.plot(n, [k / 2 for k in n], ":", color="tab:orange", alpha=0.5, label="events/s offered (≈ students / 2)")
    ax2.set_ylabel("events per second")
    ax2.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, loc="upper left", fontsize=8, frameon=False)
    ax.set_title(f"Growth on {r['machine']['cores']} CPU cores (GAN and VAE sliders)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(r: dict) -> str:
    m = r["machine"]
    lines = ["# Benchmarks", "",
             f"Measured by `python -m bench{' --quick' if r['quick'] else ''}` on {m['date']}: **{m['cpu']}**, "
             f"{m['cores']} cores, torch {m['torch']} with {r.get('app_threads', 1)} thread(s) as in the app "
             f"(`GENAI_THREADS`, default 1; the variants below try others), gradio {m['gradio']}, "
             f"Python {m['python']}; the whole run took {r['seconds'] / 60:.1f} min."
             + (" **Quick mode: short scenarios, noisier numbers.**" if r["quick"] else "")
             + (" **Warning: a training run was using the CPU, the numbers are not representative.**"
                if m["training_running"] else "")
             + (f" Load average (1 min) {m['load_average_1min']:.1f} at the start and "
                f"{m.get('load_average_1min_at_end', float('nan')):.1f} at the end (2 cores: other work was running)."
                if m.get("load_average_1min", 0) > 1.0 else ""), "",
             "Medians and percentiles over repeated runs; every ratio is measured side by side in the same run. "
             "Load comes from `bench/load.py`, a separate process that speaks Gradio's queue protocol as the page "
             "does (join, read the event stream, fetch each image); latency is from sending the event to having the "
             "image file.", "",
             "| what | target | measured | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(r)]
    g = growth_table(r)
    if g:
        lines += ["", "## Growth: 1 to 60 students", "",
                  f"Each student moves a GAN or VAE slider every 1–3 s for {r['cfg']['growth']} s.", "",
                  "![latency and throughput against students](growth.png)", ""] + g
    v = variant_table(r)
    if v:
        lines += ["", "## What batching, concurrency pools and threads change", "",
                  f"`python -m bench.server` serves the app plus the GAN slider's work (G with six PC amounts, then D's "
                  f"verdict, no cache) under several settings, and a trivial handler that returns a same-size PNG. "
                  f"Each row: 30 students dragging (an event every 0.1–0.3 s), {r['cfg']['variant']} s "
                  f"({r['cfg']['scenario']} s for the trivial handler).", ""] + v
    if r.get("classroom"):
        from .classroom import table
        lines += ["", "## A class on two cores: before and after the batched engine", "",
                  f"`python -m bench.classroom`: the app at commit {r['classroom']['before_commit']} (before the engine, "
                  "inline frames and lazy sessions) and this one, one after the other in this run, under the same "
                  f"load ({r['classroom']['duration_s']:.0f} s each; diffusion students fetch every frame).", ""]
        lines += table(r["classroom"])
    n = notes(r)
    n += [f"**{name} failed** ({error}); its rows are missing." for name, error in r.get("failures", {}).items()]
    if n:
        lines += ["", "## Notes", ""] + [f"- {x}" for x in n]
    for name in ("finetune", "toy2d", "firstuse"):
        x = r.get(name)
        if x:
            lines += ["", f"## bench.{name}", "", x["output"].strip() or "(no output)"]
            if x["error"]:
                lines += ["", f"bench.{name} failed: `{x['error'].strip().splitlines()[-1] if x['error'].strip() else '?'}`"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shortened run, about 6 minutes")
    p.add_argument("--skip", default="", help="comma-separated: handlers,diffusion,load,browser,classroom,others")
    p.add_argument("--out", type=Path, default=DOCS, help="folder for benchmarks.md, growth.png, benchmarks.json")
    p.add_argument("--render", action="store_true", help="only rewrite benchmarks.md and growth.png from benchmarks.json")
    args = p.parse_args(argv)
    if args.render:
        results = json.loads((args.out / "benchmarks.json").read_text())
        if results.get("growth"):
            plot_growth(results, args.out / "growth.png")
        (args.out / "benchmarks.md").write_text(report(results))
        return
    skip = set(filter(None, args.skip.split(",")))
    cfg = QUICK if args.quick else FULL
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genai-bench-gradio-"))
    logs = Path(tempfile.mkdtemp(prefix="genai-bench-logs-"))
    t0 = time.perf_counter()
    results = {"quick": args.quick, "cfg": cfg, "machine": machine(), "app_threads": int(os.environ.get("GENAI_THREADS", "1"))}
    if results["machine"]["training_running"]:
        log("WARNING: genai.train is running: the numbers will not be representative")
    log(f"logs in {logs}")
    def section(name, fn, *args):
        """Run one step; a failure is logged and reported, and the others still run."""
        try:
            fn(*args)
        except Exception as e:                              # noqa: BLE001 - report it, keep going
            log(f"{name} FAILED: {type(e).__name__}: {e}")
            results.setdefault("failures", {})[name] = f"{type(e).__name__}: {str(e)[:300]}"

    if "handlers" not in skip:
        from . import latency
        log("handler times")
        section("handlers", lambda: results.__setitem__("handlers", latency.measure(cfg["handler_repeats"])))
    if "diffusion" not in skip:
        from . import diffusion
        log("diffusion speed")
        section("diffusion", lambda: results.__setitem__("diffusion", diffusion.measure(cfg["diffusion_repeats"])))
    if "load" not in skip:
        section("app scenarios", app_scenarios, cfg, logs, results)
    if not {"load", "browser"} <= skip:
        section("bench.server scenarios", server_scenarios, cfg, logs, results, skip)
    if "classroom" not in skip:
        from . import classroom, session
        log("classroom: the old app against this one, engine throughput, new sessions")
        section("classroom", lambda: results.__setitem__("classroom", {
            **classroom.run(duration=cfg["scenario"], logs=logs), "session": session.run(rounds=cfg["coldstarts"] + 1)}))
    if "others" not in skip:
        section("others", other_benchmarks, args.quick, logs, results)
    results["seconds"] = time.perf_counter() - t0
    results["machine"]["load_average_1min_at_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps(results, indent=1, default=str))
    if results.get("growth"):
        plot_growth(results, args.out / "growth.png")
    text = report(results)
    (args.out / "benchmarks.md").write_text(text)
    print(text)
    log(f"done in {results['seconds'] / 60:.1f} min: {args.out / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
