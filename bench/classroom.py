"""A class on two cores, before and after the batched engine, side by side in one run.

    python -m bench.classroom [--before COMMIT] [--duration 60] [--json out.json]

1. Engine throughput (in process, one torch thread): 8 overlapping DDIM-50 guided runs through
   genai.engine against one run alone; also with the plain (batch-dependent) kernels, to show
   what byte-identical pictures cost.
2. Server CPU per streamed 50-step run, as the page runs it (every frame read, every image
   fetched): the app at COMMIT (default: the last commit before the engine) against this one.
3. The class: 30 students on GAN/VAE sliders (an event every 1-3 s each) while 5 more generate
   DDIM-50 guided runs back to back; and 60 students. Old and new app, one after the other, and the
   new app with its engine thread at the request threads' priority (GENAI_ENGINE_NICE=0).
The old app runs from a git worktree of COMMIT in a temporary folder.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import coldstart, load

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "9d543cc"          # the last commit before the engine, cheap frames and lazy sessions
CLASS_PACE = (1.0, 3.0)


def log(message: str) -> None:
    print(f"[classroom {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------- 1. the engine alone

def engine_throughput(runs: int = 8, steps: int = 50, repeats: int = 3) -> dict:
    """Wall time of `runs` overlapping runs against one alone, pair and plain kernels."""
    import torch

    import genai
    from genai.engine import Engine
    torch.set_num_threads(1)
    model = genai.load("diffusion")

    def wall(n: int) -> float:
        engine = Engine(model, threaded=False)
        jobs = [engine.submit([d % 10], seed=d, steps=steps) for d in range(n)]
        start = time.perf_counter()
        while not all(job.over for job in jobs):
            engine.step()
        return time.perf_counter() - start

    out = {}
    for kernels in ("pairs", "plain"):
        if kernels == "plain":                               # the U-Net's own batched kernels
            model.predict_eps = lambda x, t, y: model.unet(x, t, y)
        with torch.no_grad():
            wall(1)                                          # warm
            alone = statistics.median(wall(1) for _ in range(repeats))
            together = statistics.median(wall(runs) for _ in range(repeats))
        out[kernels] = {"one_run_s": alone, "together_s": together, "ratio": together / alone}
    del model.predict_eps
    out["runs"], out["steps"] = runs, steps
    return out


# ----------------------------------------------------------------------------- 2. and 3. against a server

def start_app(folder: Path, logs: Path, name: str, env: dict | None = None):
    port = coldstart.free_port()
    proc, seconds = coldstart.start([sys.executable, "app.py"], port, logs / f"{name}.log", cwd=folder, env=env)
    log(f"{name} up in {seconds:.1f} s")
    return proc, f"http://127.0.0.1:{port}"


def stream_cpu(url: str, pid: int, runs: int = 5) -> dict:
    """Server CPU seconds per streamed DDIM-50 guided run, one run at a time."""
    config = load.read_config(url)
    fn, n_inputs = config["sample_live" if "sample_live" in config else "diffusion_sample"]
    session = load.Session(url)

    def run(seed: int) -> dict:
        data = [seed, str(seed % 10), 50, "ddim", 0.0, 3.0]
        result = session.call(fn, load.page_inputs(data, n_inputs))
        assert result["ok"], result            # a refused run has no frames: not a measurement
        return result

    run(0)          # warm
    before, frames = load.cpu_seconds(pid), []
    start = time.perf_counter()
    for seed in range(runs):
        frames.append(run(seed)["frames"])
    return {"server_cpu_s_per_run": (load.cpu_seconds(pid) - before) / runs,
            "wall_s_per_run": (time.perf_counter() - start) / runs, "frames_per_run": statistics.mean(frames)}


def scenario(url: str, pid: int, students: int, diffusion: int, duration: float) -> dict:
    return load.run(url, students, CLASS_PACE, duration, ("gan", "vae"), diffusion, pid)


def before_worktree(commit: str) -> Path:
    folder = Path(tempfile.gettempdir()) / f"genai-before-{commit}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), commit], cwd=ROOT, check=True,
                       capture_output=True)
    return folder


def run(before: str = BEFORE, duration: float = 60.0, logs: Path | None = None) -> dict:
    logs = logs or Path(tempfile.mkdtemp(prefix="genai-classroom-"))
    results = {"before_commit": before, "duration_s": duration}
    log("engine throughput, in process")
    results["engine"] = engine_throughput()
    # "same_priority": the engine's thread at nice 0, as urgent as the request threads (the option
    # the shipped nice 10 is measured against).
    for name, folder, env, sizes in (("before", before_worktree(before), None, (30, 60)), ("after", ROOT, None, (30, 60)),
                                     ("same_priority", ROOT, {"GENAI_ENGINE_NICE": "0"}, (30,))):
        proc, url = start_app(folder, logs, f"app-{name}", env)
        try:
            load.run(url, 4, (0.2, 0.4), 3, ("gan", "vae"), 1, proc.pid)      # warm: models, caches
            results[f"{name}_stream"] = stream_cpu(url, proc.pid)
            for students in sizes:
                result = scenario(url, proc.pid, students, 5, duration)
                results[f"{name}_class{students}"] = result
                s, d = result["sliders"], result["diffusion"]
                log(f"{name}, {students} students + 5 generating: sliders p95 {s['p95_ms'] or 0:.0f} ms, "
                    f"diffusion p95 {(d['p95_ms'] or 0) / 1000:.1f} s, errors {s['errors'] + d['errors']}")
        finally:
            coldstart.stop(proc)
    return results


def table(r: dict) -> list[str]:
    """The markdown rows: targets beside the measured values, old app beside new."""
    def ms(x):
        return "—" if x is None else f"{x:.0f} ms"

    lines = ["| what | target | before | after |", "| --- | --- | ---: | ---: |"]
    for n in (30, 60):
        b, a = r.get(f"before_class{n}"), r.get(f"after_class{n}")
        if not (a and b):
            continue
        target = " ≤ 100 ms" if n == 30 else ""
        lines.append(f"| {n} students on sliders + 5 generating: slider p95 |{target} | {ms(b['sliders']['p95_ms'])} | "
                     f"{ms(a['sliders']['p95_ms'])} |")
        lines.append(f"| {n} students + 5 generating: diffusion run p95 (DDIM-50, every frame) | {'≤ 4 s' if n == 30 else ''} | "
                     f"{(b['diffusion']['p95_ms'] or 0) / 1000:.1f} s ({b['diffusion']['events']} runs) | "
                     f"{(a['diffusion']['p95_ms'] or 0) / 1000:.1f} s ({a['diffusion']['events']} runs) |")
        errors = [x["sliders"]["errors"] + x["diffusion"]["errors"] for x in (b, a)]
        lines.append(f"| {n} students: errors | {'0' if n == 30 else ''} | {errors[0]} | {errors[1]} |")
    p = r.get("same_priority_class30")
    if p:
        lines.append(f"| 30 students + 5 generating, engine thread at the requests' priority (nice 0, not 10): "
                     f"slider p95 / diffusion p95 | | | {ms(p['sliders']['p95_ms'])} / "
                     f"{(p['diffusion']['p95_ms'] or 0) / 1000:.1f} s |")
    b, a = r.get("before_stream"), r.get("after_stream")
    if a and b:
        lines.append(f"| server CPU per streamed 50-step run | ≤ 0.4 s | {b['server_cpu_s_per_run']:.2f} s "
                     f"({b['frames_per_run']:.0f} frames) | {a['server_cpu_s_per_run']:.2f} s ({a['frames_per_run']:.0f} frames) |")
    e = r.get("engine")
    if e:
        for kernels, name in (("pairs", "kernels in pairs (shipped: pictures byte-identical)"),
                              ("plain", "plain batched kernels (pictures differ in the last bits)")):
            x = e[kernels]
            lines.append(f"| {e['runs']} overlapping DDIM-{e['steps']} guided runs vs one alone, {name} | ≤ 3× | | "
                         f"{x['ratio']:.1f}× ({x['together_s']:.2f} s vs {x['one_run_s']:.2f} s) |")
    s = r.get("session")
    if s:
        lines.append(f"| GAN call in a new session: server CPU vs a trivial app's | ≤ 2× | | {s['new_session_ratio']:.2f}× "
                     f"({s['app_new']:.1f} vs {s['trivial_new']:.1f} ms; existing session {s['app_existing']:.1f} ms) |")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default=BEFORE)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--engine-only", action="store_true")
    p.add_argument("--json")
    args = p.parse_args(argv)
    result = {"engine": engine_throughput()} if args.engine_only else run(args.before, args.duration)
    if not args.engine_only:
        from . import session
        log("server CPU per call in a new session")
        result["session"] = session.run()
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    print("\n".join(table(result)))


if __name__ == "__main__":
    main()
