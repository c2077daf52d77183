"""What a student sees, measured in a real browser (Playwright driving Debian's Chromium).

    python -m bench.browser --url http://127.0.0.1:7871 [--presses 20]

The URL must be a `python -m bench.server` (the app plus its trivial slider and stream log).
1. Slider key press -> new image on screen: a keydown listener stamps performance.now(); the
   output image's `load` event, then the next animation frame, stamps the end. One press at a
   time, each after the last image is in; also counts the queue requests each press causes.
2. Streaming: press ▶ Generate (DDIM, 50 steps, the page's defaults) and stamp every new x_t
   frame the page loads; the server stamps each step it sends (bench_stream_log). Frames per
   second as the browser shows them, and how long after the server's last step the last frame
   is on screen (both clocks are this machine's wall clock).
3. The live views (ui/live.py), in the page: key press -> the page's canvas redrawn and the next
   frame painted, for the GAN, VAE and forward-noise sliders, with every request counted; beside
   the same presses with the runtime blocked (the server path, as 1.). First load: bytes
   transferred until the GAN view is live, time to the first picture and to the first live one,
   and the bytes of a reload (what the browser's cache saves).
"""

import argparse
import json
import shutil
import statistics
import time
import urllib.request

from .load import percentile

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

INSTRUMENT = """([sliderId, imageId]) => {
    const b = window.__bench = {t0: null, done: true, times: [], loads: [], seen: new WeakSet()};
    const root = document.getElementById(imageId);
    const hook = (img) => {
        if (b.seen.has(img)) return;
        b.seen.add(img);
        img.addEventListener('load', () => {
            const src = img.currentSrc || img.src;
            requestAnimationFrame(() => {
                const now = performance.now();
                b.loads.push([performance.timeOrigin + now, src]);
                if (b.t0 !== null && !b.done) { b.times.push(now - b.t0); b.done = true; }
            });
        });
    };
    root.querySelectorAll('img').forEach(hook);
    new MutationObserver(() => root.querySelectorAll('img').forEach(hook))
        .observe(root, {subtree: true, childList: true});
    if (sliderId) {
        const input = document.querySelector('#' + sliderId + ' [data-testid=range-input]');
        input.addEventListener('keydown', () => { b.t0 = performance.now(); b.done = false; }, true);
    }
}"""

# (what, tab to open, sub-tab to open, slider elem_id, image elem_id)
CONTROLS = [
    ("Trivial handler (baseline)", None, None, "bench-slider", "bench-image"),
    ("GAN latent slider", "GAN", None, "gan-pc1", "gan-image"),
    ("VAE slider", "VAE", None, "vae-z1", "vae-decoded16"),
    ("Forward-noise slider", "Diffusion", None, "diffusion-forward-t", "diffusion-forward-xt"),
]


def _open(page, tab, subtab):
    if tab:
        page.get_by_role("tab", name=tab, exact=True).click()
    if subtab:
        page.get_by_role("tab", name=subtab).click()


def slider_latency(page, tab, subtab, slider_id, image_id, presses: int) -> dict:
    """Press → picture on screen, `presses` times (right, then back left), one at a time."""
    _open(page, tab, subtab)
    slider = page.locator(f"#{slider_id} [data-testid=range-input]")
    slider.scroll_into_view_if_needed()
    page.locator(f"#{image_id} img").first.wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(500)                        # let the first view's events finish
    page.evaluate(INSTRUMENT, [slider_id, image_id])
    joins = []

    def count_join(request):
        if "/queue/join" in request.url:
            joins.append(1)

    page.on("request", count_join)
    missed, requests = 0, []
    for i in range(presses):
        slider.focus()                                # a re-rendered slider (new label) loses focus
        before = len(joins)
        page.keyboard.press("ArrowRight" if i < (presses + 1) // 2 else "ArrowLeft")
        try:
            page.wait_for_function("window.__bench.done", timeout=10_000, polling="raf")
        except Exception:                             # no new picture (same pixels, same file): skip
            missed += 1
            page.evaluate("window.__bench.done = true")
        page.wait_for_timeout(250)                    # let any follow-up request finish
        requests.append(len(joins) - before)
    times = page.evaluate("window.__bench.times")
    page.remove_listener("request", count_join)
    return {"presses": presses, "measured": len(times), "missed": missed,
            "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
            "queue_requests_per_press": statistics.mean(requests) if requests else None}


LIVE_INSTRUMENT = """([sliderId, view]) => {
    const b = window.__live = {t0: null, count: 0, done: true, times: []};
    const drawn = () => window.genaiLive?.state.drawn[view]?.count ?? 0;
    const input = document.querySelector('#' + sliderId + ' [data-testid=range-input]');
    input.addEventListener('keydown', () => { b.t0 = performance.now(); b.count = drawn(); b.done = false; }, true);
    const frame = () => {                     // the first frame painted after the canvas was redrawn
        if (!b.done && drawn() > b.count) { b.times.push(performance.now() - b.t0); b.done = true; }
        requestAnimationFrame(frame);
    };
    frame();
}"""

# (what, tab to open, slider elem_id, live view)
LIVE = [
    ("GAN latent slider", "GAN", "gan-pc1", "gan"),
    ("VAE slider", "VAE", "vae-z1", "vae16"),
    ("Forward-noise slider", "Diffusion", "diffusion-forward-t", "forward"),
]


def live_latency(page, tab, slider_id, view, presses: int) -> dict:
    """Press → the page's own picture on screen, `presses` times, and every request a press causes."""
    _open(page, tab, None)
    page.wait_for_function(f"window.genaiLive?.state.ready['{view}'] === true", timeout=120_000)
    slider = page.locator(f"#{slider_id} [data-testid=range-input]")
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)                       # let the tab's first server view land
    page.evaluate(LIVE_INSTRUMENT, [slider_id, view])
    requests = []

    def count(request):
        requests.append(request.url)

    page.on("request", count)
    missed = 0
    for i in range(presses):
        slider.focus()
        page.keyboard.press("ArrowRight" if i < (presses + 1) // 2 else "ArrowLeft")
        try:
            page.wait_for_function("window.__live.done", timeout=10_000, polling="raf")
        except Exception:
            missed += 1
            page.evaluate("window.__live.done = true")
    page.wait_for_timeout(250)
    page.remove_listener("request", count)
    times = page.evaluate("window.__live.times")
    return {"presses": presses, "measured": len(times), "missed": missed,
            "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
            "requests_per_press": len(requests) / presses}


def first_load(context, url: str) -> dict:
    """Bytes over the wire until the GAN view draws in the page; seconds to the first picture
    (the server's) and to the first live one; then the bytes of a reload, from the browser's cache."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes, urls = {}, {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def load():
        sizes.clear()
        t0 = time.perf_counter()
        page.goto(url)
        page.locator("#gan-image img").first.wait_for(state="visible", timeout=120_000)
        picture = time.perf_counter() - t0
        page.wait_for_function("window.genaiLive?.state.ready.gan === true", timeout=120_000)
        live = time.perf_counter() - t0
        page.wait_for_timeout(500)
        ours = sum(n for rid, n in sizes.items() if "/genai/static/" in urls.get(rid, ""))
        return {"first_picture_s": picture, "first_live_picture_s": live,
                "bytes": sum(sizes.values()), "runtime_and_models_bytes": ours}

    first = load()
    again = load()
    page.close()
    return {**first, "reload_bytes": again["bytes"], "reload_runtime_and_models_bytes": again["runtime_and_models_bytes"],
            "reload_first_live_picture_s": again["first_live_picture_s"]}


def page_load_without_runtime(context, url: str) -> float:
    """Seconds to the first picture when the page loads no runtime (the server path)."""
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.locator("#gan-image img").first.wait_for(state="visible", timeout=120_000)
    seconds = time.perf_counter() - t0
    page.close()
    return seconds


def _server_stream_log(url: str) -> list[float]:
    """The epoch times of each step the server yielded in the last /diffusion_sample run."""
    request = urllib.request.Request(f"{url.rstrip('/')}/gradio_api/call/bench_stream_log", data=b'{"data": []}',
                                     headers={"Content-Type": "application/json"})
    event_id = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    text = urllib.request.urlopen(f"{url.rstrip('/')}/gradio_api/call/bench_stream_log/{event_id}", timeout=30).read()
    for line in text.decode().splitlines():
        if line.startswith("data:") and line[5:].strip() not in ("null", ""):
            return json.loads(line[5:])[0]
    return []


def streaming(page, url: str, runs: int = 2, steps: int = 50) -> dict:
    """Frames per second shown during a `steps`-step run, and the last frame's lag behind the server."""
    _open(page, "Diffusion", "② Reverse: noise → digit")
    page.locator("#diffusion-generate").wait_for(state="visible")
    results = []
    for _ in range(runs):
        page.evaluate(INSTRUMENT, [None, "diffusion-xt"])
        page.locator("#diffusion-generate").click()
        # The status still reads "step 50/50" from the last run until this run's first frame
        # arrives, so wait for a frame of this run (the instrument just emptied the list) too.
        page.wait_for_function(f"window.__bench.loads.length > 0 && document.querySelector("
                               f"'#diffusion-status textarea, #diffusion-status input')"
                               f"?.value?.startsWith('step {steps}/{steps}')", timeout=120_000)
        page.wait_for_timeout(1500)                   # the last frame, the GIF, the replay slider
        loads = page.evaluate("window.__bench.loads")
        server = _server_stream_log(url)
        shown, seen = [], set()
        for t, src in loads:                          # distinct frames, in the order they appeared
            if src not in seen:
                seen.add(src)
                shown.append(t / 1000)
        if len(shown) < 2 or len(server) < 2:
            continue
        results.append({"frames_shown": len(shown), "server_steps": len(server),
                        "browser_fps": (len(shown) - 1) / (shown[-1] - shown[0]),
                        "server_fps": (len(server) - 1) / (server[-1] - server[0]),
                        "finish_lag_s": shown[-1] - server[-1], "run_s": server[-1] - server[0]})
        page.wait_for_timeout(500)
    if not results:
        return {"runs": 0}
    return {"runs": len(results), **{k: statistics.median(r[k] for r in results) for k in results[0]}}


def measure_live(url: str, presses: int = 20, server_side: bool = True) -> dict:
    """The live views (3. above), and (server_side) the same presses on the server path, side by side."""
    from playwright.sync_api import sync_playwright
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            out["first_load"] = first_load(context, url)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            for what, tab, slider_id, view in LIVE:
                out[what] = live_latency(page, tab, slider_id, view, presses)
            context.close()
            server = browser.new_context(viewport={"width": 1280, "height": 720})
            server.route("**/genai/static/**", lambda route: route.abort())     # no runtime: the server draws
            out["first_load"]["first_picture_without_runtime_s"] = page_load_without_runtime(server, url)
            if not server_side:
                return out
            page = server.new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.locator("#gan-image img").first.wait_for(state="visible", timeout=120_000)
            for what, tab, subtab, slider_id, image_id in CONTROLS[1:]:
                out[what + " (server path)"] = slider_latency(page, tab, subtab, slider_id, image_id, presses)
        finally:
            browser.close()
    return out


def measure(url: str, presses: int = 20, stream_runs: int = 2, controls=CONTROLS) -> dict:
    """The server path (1. and 2. above): the page runs no model (its runtime is blocked)."""
    from playwright.sync_api import sync_playwright
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.route("**/genai/static/**", lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(60_000)
            t0 = time.perf_counter()
            page.goto(url + "?tab=gan")             # the lesson is the first tab
            page.locator("#gan-image img").first.wait_for(state="visible", timeout=120_000)
            out["first_image_s"] = time.perf_counter() - t0
            for what, tab, subtab, slider_id, image_id in controls:
                out[what] = slider_latency(page, tab, subtab, slider_id, image_id, presses)
            if stream_runs:
                out["streaming"] = streaming(page, url, stream_runs)
        finally:
            browser.close()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--presses", type=int, default=20)
    p.add_argument("--stream-runs", type=int, default=2)
    p.add_argument("--live-only", action="store_true", help="only 3.: the live views beside the server path")
    args = p.parse_args(argv)
    out = {} if args.live_only else measure(args.url, args.presses, args.stream_runs)
    out["live"] = measure_live(args.url, args.presses)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
