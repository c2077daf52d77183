"""First use against later uses: start `python app.py` fresh, then time the first call of each main
view and its next few, through gradio_client.

    python -m bench.firstuse                 # 4 later uses per view; prints, writes docs/firstuse.md
    python -m bench.firstuse --at-once       # the visitor arrives the moment the page is up
    python -m bench.firstuse --quick         # 2 later uses, printed only (what `python -m bench` runs)

Target (issue 16): the first use of every view within 1.5x of its later uses. What a first request
would otherwise build (models, the VAE map, caches, the engine) is built in the background as the
server starts (app.FIRST_USE); by default the visitor arrives when that is done (the server logs
"warm-up: done"), as a class does on a server started before it. The views run one after another,
in the order below, each call with new settings (another seed) so that no answer comes from a cache.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import coldstart

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DRAWINGS = sorted((ROOT / "ui" / "examples" / "vae").glob("*.png"))   # real test digits, as drawings
TARGET = 1.5


def views(handle_file) -> list[tuple[str, str, callable]]:
    """(what a visitor does, endpoint, the arguments of its i-th use)."""
    def drawing(i):
        return handle_file(str(DRAWINGS[i % len(DRAWINGS)]))
    return [
        ("GAN: a digit", "/gan_generate", lambda i: dict(seed=42 + i, label=7)),
        ("GAN: a direction slider", "/gan_edit", lambda i: dict(seed=42 + i, label=7, pc1=0.5)),
        ("VAE: a point of the 2-D map", "/vae_decode", lambda i: dict(x=0.3 * i - 1, y=0.5 - 0.2 * i)),
        ("VAE: reconstruct a drawing", "/vae_encode", lambda i: dict(image=drawing(i))),
        ("VAE: walk between two drawings", "/vae_interpolate", lambda i: dict(image_a=drawing(i), image_b=drawing(i + 1))),
        ("Diffusion: forward noise", "/diffusion_forward", lambda i: dict(index=i, t=250 + i)),
        ("Diffusion: a 50-step DDIM run, streamed", "/diffusion_sample", lambda i: dict(seed=i, label="3", steps=50)),
        ("Diffusion: side by side, 50 steps", "/diffusion_compare", lambda i: dict(seed=i, label="3", steps=50)),
        ("Diffusion: image to image", "/diffusion_img2img", lambda i: dict(image=drawing(i), seed=i)),
        ("Flow matching: a 20-step run, streamed", "/flow_sample", lambda i: dict(seed=i, label="3")),
        ("Compare & learn: three families", "/compare_families", lambda i: dict(digit=3, seed=i)),
        ("Compare & learn: a training snapshot", "/training_history", lambda i: dict(checkpoint="diffusion", snapshot=i)),
        ("2-D playground: 50 steps of a GAN", "/playground_step", lambda i: dict(family="gan", steps=50, seed=i)),
    ]


def timed(client, api_name: str, kwargs: dict) -> tuple[float, float]:
    """(seconds to the first answer, seconds to the whole answer) of one call: the same for a plain
    call; a streamed run's first frame, then its last."""
    t0 = time.perf_counter()
    job = client.submit(api_name=api_name, **kwargs)
    first = None
    for _ in job:
        first = first or time.perf_counter() - t0
    job.result()                                    # an error in the call is the bench's error
    total = time.perf_counter() - t0
    return first or total, total


def uses(url: str, later: int = 4, only=None) -> dict:
    """Time each view's first use and `later` more, in one client session, against the app at `url`."""
    from gradio_client import Client, handle_file
    t0 = time.perf_counter()
    client = Client(url, verbose=False)
    results = {"connect_s": time.perf_counter() - t0, "views": {}}
    for name, api_name, arguments in views(handle_file):
        if only and api_name not in only:
            continue
        try:
            runs = [timed(client, api_name, arguments(i)) for i in range(1 + later)]
        except Exception as e:                  # noqa: BLE001 -- a view that fails is reported, the others go on
            results["views"][name] = {"endpoint": api_name, "error": f"{type(e).__name__}: {str(e)[:200]}"}
            continue
        first, rest = runs[0][1], [total for _, total in runs[1:]]
        median = statistics.median(rest) if rest else None
        results["views"][name] = {
            "endpoint": api_name, "first_s": first, "first_frame_s": runs[0][0], "later_s": rest,
            "later_median_s": median, "later_first_frame_median_s": statistics.median([f for f, _ in runs[1:]]) if rest else None,
            "ratio": first / median if median else None}
    return results


def warmed(log: Path, timeout_s: float = 600) -> float:
    """Wait for the server's "warm-up: done in X s" line in its log; returns X."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(r"warm-up: done in ([\d.]+) s", log.read_text())
        if found:
            return float(found.group(1))
        time.sleep(0.2)
    raise RuntimeError(f"no 'warm-up: done' in {log} after {timeout_s:.0f} s")


def measure(later: int = 4, at_once: bool = False, log_dir: Path | None = None) -> dict:
    """A fresh `python app.py`: seconds to its first page (and to the end of its warm-up, unless
    `at_once`), then every view's first and later uses."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="genai-bench-firstuse-"))
    load_before = os.getloadavg()[0]
    port = coldstart.free_port()
    proc, page_s = coldstart.start([sys.executable, "app.py"], port, log_dir / "app.log",
                                   env={"PYTHONUNBUFFERED": "1"})
    try:
        warm_up_s = None if at_once else warmed(log_dir / "app.log")
        results = uses(f"http://127.0.0.1:{port}/", later)
    finally:
        coldstart.stop(proc)
    results.update(first_page_s=page_s, warm_up_s=warm_up_s, load_average_before=load_before,
                   load_average_after=os.getloadavg()[0], cores=os.cpu_count(),
                   date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    return results


def table(results: dict) -> str:
    """The results as Markdown."""
    lines = ["| view | endpoint | first use | later uses (median) | first / later |",
             "|---|---|---|---|---|"]
    for name, v in results["views"].items():
        if "error" in v:
            lines.append(f"| {name} | `{v['endpoint']}` | failed: {v['error']} | — | — |")
            continue
        later = "—" if v["later_median_s"] is None else f"{v['later_median_s']:.2f} s"
        ratio = "—" if v["ratio"] is None else f"{v['ratio']:.2f}×" + ("" if v["ratio"] <= TARGET else " (over 1.5×)")
        frame = (f" (first frame {v['first_frame_s']:.2f} s; later {v['later_first_frame_median_s']:.2f} s)"
                 if v["first_frame_s"] < 0.95 * v["first_s"] and v["later_first_frame_median_s"] is not None else "")
        lines.append(f"| {name} | `{v['endpoint']}` | {v['first_s']:.2f} s{frame} | {later} | {ratio} |")
    return "\n".join(lines)


def report(results: dict) -> str:
    ratios = [v["ratio"] for v in results["views"].values() if v.get("ratio") is not None]
    met = sum(r <= TARGET for r in ratios)
    return (f"# First use against later uses\n\n"
            f"`python -m bench.firstuse` on {results['date']}, {results['cores']} cores, load average "
            f"{results['load_average_before']:.1f} before and {results['load_average_after']:.1f} after "
            f"(other jobs on the machine; quiet is about 0). A fresh `python app.py` served its first page in "
            f"{results['first_page_s']:.1f} s; " + (
                "the client came at once" if results["warm_up_s"] is None else
                f"its warm-up (app.FIRST_USE) was done {results['warm_up_s']:.1f} s after it began, then the client came") +
            f" and used each view, in this order: its first call (connecting took {results['connect_s']:.2f} s "
            f"before it), then {max(len(v.get('later_s', [])) for v in results['views'].values())} "
            f"more with other settings (seeds), one at a time.\n\n"
            f"Target: the first use within {TARGET}× of the later ones. Met by {met} of {len(ratios)} views.\n\n"
            + table(results) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.firstuse", description=__doc__.split("\n\n")[0])
    p.add_argument("--uses", type=int, default=4, help="later uses of each view (default 4)")
    p.add_argument("--at-once", action="store_true", help="come the moment the page is up, not after the warm-up")
    p.add_argument("--no-write", action="store_true", help="print only; do not write docs/firstuse.md")
    p.add_argument("--quick", action="store_true", help="2 later uses; print, write nothing")
    args = p.parse_args(argv)
    results = measure(2 if args.quick else args.uses, args.at_once)
    text = report(results)
    print(text)
    if not (args.no_write or args.quick):
        (DOCS / "firstuse.md").write_text(text)
        (DOCS / "firstuse.json").write_text(json.dumps(results, indent=1))
        print(f"wrote {DOCS / 'firstuse.md'}")


if __name__ == "__main__":
    main()
