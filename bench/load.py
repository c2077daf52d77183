"""A light load generator: simulated students that speak Gradio's queue protocol as a browser does.

    python -m bench.load --url http://127.0.0.1:7860 --students 30 --interval 1 3 --duration 60 \\
        --kinds gan,vae --diffusion 5 --server-pid 1234 --json out.json

Each student is a thread with its own session and keep-alive connections. One slider event is
what the page does for one move: POST /gradio_api/queue/join with the event's fn_index, read the
session's SSE stream (/gradio_api/queue/data) to `process_completed`, then GET every image file
the answer names. A student moves every `interval` seconds (uniformly random); moves made while
an answer is pending collapse into one event sent when it arrives, like trigger_mode="always_last".
Diffusion students press Generate (DDIM, 50 steps, guidance 3), fetch every streamed frame, then
send the "finish" event the page chains after a run, and press again 1-3 s later.

It runs in its own process and uses only the standard library: gradio_client spends about 70 ms
of CPU per call, so as the load it would mostly measure itself.
"""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import threading
import time
import urllib.parse
import uuid

IMAGE_URL = re.compile(r'"(https?://[^"]+/gradio_api/file=[^"]+)"')
TIMEOUT_S = 60


# ----------------------------------------------------------------------------- the protocol

def read_config(url: str) -> dict:
    """The app's /config: {api_name: (fn_index, number of inputs)} for every event."""
    host = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=TIMEOUT_S)
    conn.request("GET", "/config")
    config = json.loads(conn.getresponse().read())
    conn.close()
    return {d["api_name"]: (d["id"], len(d["inputs"])) for d in config["dependencies"] if d.get("api_name")}


def page_inputs(data: list, n_inputs: int | None) -> list:
    """`data`, then None for each further input of an event that takes `n_inputs`: what the page
    sends empty (the fine-tune switch and its session, ...)."""
    return data + [None] * ((n_inputs or len(data)) - len(data))


class Session:
    """One browser tab: a session hash and two keep-alive connections (requests, event stream)."""

    def __init__(self, url: str):
        host = urllib.parse.urlsplit(url)
        self.host, self.port = host.hostname, host.port
        self.session_hash = uuid.uuid4().hex[:11]
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)

    def _request(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (0, 1):               # a keep-alive connection the server closed: reconnect once
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
                if attempt:
                    raise

    def call(self, fn_index: int, data: list, on_frame=None, on_message=None) -> dict:
        """Join the queue, read the stream to the end, fetch every image it names.
        Returns {"ok", "error", "frames", "output"} (output: the last message's data); on_frame(t) is
        called when a streamed frame's images are in, on_message(kind) when any message arrives
        (estimation, process_starts, ...: where the queue says the event is)."""
        body = json.dumps({"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
                           "session_hash": self.session_hash})
        status, answer = self._request("POST", "/gradio_api/queue/join", body)
        if status != 200:
            return {"ok": False, "error": f"join HTTP {status}: {answer[:120]!r}", "frames": 0}
        stream = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
        try:
            stream.request("GET", f"/gradio_api/queue/data?session_hash={self.session_hash}",
                           headers={"Accept": "text/event-stream"})
            response = stream.getresponse()
            if response.status != 200:
                return {"ok": False, "error": f"stream HTTP {response.status}", "frames": 0}
            frames = 0
            while True:
                line = response.readline()
                if not line:
                    return {"ok": False, "error": "stream ended before process_completed", "frames": frames}
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                kind = message.get("msg")
                if on_message is not None:
                    on_message(kind)
                if kind in ("process_generating", "process_completed"):
                    if not message.get("success", True):
                        return {"ok": False, "error": str(message.get("output"))[:200], "frames": frames}
                    if not self._fetch_images(line.decode()):
                        return {"ok": False, "error": "image fetch failed", "frames": frames}
                    frames += 1
                    if on_frame is not None:
                        on_frame(time.perf_counter())
                    if kind == "process_completed":
                        return {"ok": True, "error": None, "frames": frames,
                                "output": (message.get("output") or {}).get("data")}
                elif kind == "unexpected_error":
                    return {"ok": False, "error": message.get("message"), "frames": frames}
        except (OSError, http.client.HTTPException, ValueError) as e:
            return {"ok": False, "error": f"{type(e).__name__}: {e}", "frames": 0}
        finally:
            stream.close()

    def _fetch_images(self, text: str) -> bool:
        for url in dict.fromkeys(IMAGE_URL.findall(text)):          # each file once, in order
            path = url[url.index("/gradio_api/"):]
            status, _ = self._request("GET", path)
            if status != 200:
                return False
        return True


# ----------------------------------------------------------------------------- what students send

class Slider:
    """A student's slider settings, moved a little at each event (values on the widgets' steps)."""

    def __init__(self, kind: str, rng: random.Random):
        self.kind, self.rng = kind, rng
        if kind == "vae":
            self.values = [round(rng.uniform(-1.5, 1.5), 2) for _ in range(16)]
        else:                                     # the GAN tab's seed, digit, truncation, six PCs
            self.seed, self.digit = rng.randrange(100_000), rng.randrange(10)
            self.values = [0.0] * 6

    def move(self) -> list:
        i = self.rng.randrange(len(self.values))
        if self.kind == "vae":
            self.values[i] = round(min(max(self.values[i] + self.rng.choice((-1, 1)) * self.rng.randint(1, 20) / 100, -4), 4), 2)
            return list(self.values)
        self.values[i] = round(min(max(self.values[i] + self.rng.choice((-1, 1)) * self.rng.randint(1, 3) / 10, -3), 3), 1)
        return [self.seed, self.digit, 0.8, *self.values]


def slider_student(session, fn_index, kind, interval, start, end, rng, out, n_inputs=None):
    """Move every `interval` s until `end`; moves during a pending answer collapse into one.
    kind "vae" moves one of the 16 VAE sliders; any other kind sends the GAN tab's values.
    Inputs beyond the sliders' (the fine-tune switch and its session) are sent empty, as a page
    that never fine-tuned sends them: the shipped model draws."""
    slider = Slider(kind, rng)
    t_next = start + rng.uniform(0, interval[1])
    while True:
        now = time.perf_counter()
        if t_next >= end:
            return
        if t_next > now:
            time.sleep(t_next - now)
        sent = time.perf_counter()
        values = slider.move()
        result = session.call(fn_index, page_inputs(values, n_inputs))
        done = time.perf_counter()
        out.append({"kind": kind, "sent": sent, "latency": done - sent, "ok": result["ok"], "error": result["error"]})
        t_next += rng.uniform(*interval)
        if t_next < done:             # moved while waiting: always_last sends one event right away
            t_next = done


def diffusion_student(session, fn_index, finish_index, start, end, rng, out, n_inputs=6):
    """Generate, watch every frame, let the page's "finish" event write the GIF, think, repeat.
    (Inputs beyond the six settings, the fine-tune switch and its session, are sent empty.)"""
    time.sleep(max(0.0, start + rng.uniform(0, min(2.0, (end - start) / 4)) - time.perf_counter()))
    while time.perf_counter() < end:
        frames = []
        sent = time.perf_counter()
        settings = [rng.randrange(100_000), str(rng.randrange(10)), 50, "ddim", 0.0, 3.0]
        result = session.call(fn_index, page_inputs(settings, n_inputs), on_frame=frames.append)
        done = time.perf_counter()
        out.append({"kind": "diffusion", "sent": sent, "latency": done - sent, "ok": result["ok"],
                    "error": result["error"], "frames": result["frames"]})
        if result["ok"] and finish_index is not None:
            session.call(finish_index, [None])
        time.sleep(rng.uniform(1, 3))


# ----------------------------------------------------------------------------- a scenario

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarize(events: list, seconds: float) -> dict:
    """Latency percentiles (ms), throughput and errors for a list of events."""
    ok = [e["latency"] * 1000 for e in events if e["ok"]]
    errors = [e["error"] for e in events if not e["ok"]]
    return {"events": len(events), "errors": len(errors), "error_examples": sorted(set(map(str, errors)))[:3],
            "p50_ms": percentile(ok, 50), "p95_ms": percentile(ok, 95), "max_ms": max(ok) if ok else None,
            "mean_ms": statistics.fmean(ok) if ok else None, "per_s": len(ok) / seconds}


def run(url: str, students: int, interval=(1.0, 3.0), duration: float = 60.0, kinds=("gan", "vae"),
        diffusion: int = 0, server_pid: int | None = None, seed: int = 0,
        fn_names: dict | None = None) -> dict:
    """Run one scenario and return its summary. kinds are dealt round-robin to the slider students;
    fn_names maps a kind to the event it sends (defaults: the app's live slider events)."""
    config = read_config(url)
    page_run = "sample_live" if "sample_live" in config else "diffusion_sample"    # what the page sends
    vae_page = "show_code_page" if "show_code_page" in config else "show_code"            # (apps before the switch)
    names = {"gan": "_show", "vae": vae_page, "diffusion": page_run, "finish": "finish"}
    names.update(fn_names or {})
    rng = random.Random(seed)
    events: list = []
    threads = []
    start = time.perf_counter() + 0.5
    end = start + duration
    for i in range(students):
        kind = kinds[i % len(kinds)]
        fn_index, n_inputs = config[names.get(kind, kind)]
        args = (Session(url), fn_index, kind, interval, start, end, random.Random(rng.random()), events, n_inputs)
        threads.append(threading.Thread(target=slider_student, args=args, daemon=True))
    finish = config.get(names["finish"], (None,))[0]
    for i in range(diffusion):
        fn_index, n_inputs = config[names["diffusion"]]
        args = (Session(url), fn_index, finish, start, end, random.Random(rng.random()), events, n_inputs)
        threads.append(threading.Thread(target=diffusion_student, args=args, daemon=True))
    server_cpu0 = cpu_seconds(server_pid) if server_pid else None
    own0 = os.times()
    for t in threads:
        t.start()
    time.sleep(max(0.0, end - time.perf_counter()))
    server_cpu_window = cpu_seconds(server_pid) - server_cpu0 if server_pid else None
    for t in threads:
        t.join(timeout=TIMEOUT_S)
    own1 = os.times()
    server_cpu = cpu_seconds(server_pid) - server_cpu0 if server_pid else None
    wall = time.perf_counter() - start

    sliders = [e for e in events if e["kind"] != "diffusion"]
    result = {"url": url, "students": students, "interval_s": list(interval), "duration_s": duration,
              "diffusion_students": diffusion, "wall_s": wall,
              "sliders": summarize(sliders, duration),
              "by_kind": {k: summarize([e for e in sliders if e["kind"] == k], duration) for k in sorted({e["kind"] for e in sliders})},
              "diffusion": summarize([e for e in events if e["kind"] == "diffusion"], duration) if diffusion else None,
              "loadgen_cpu_s": (own1.user - own0.user) + (own1.system - own0.system)}
    if server_pid:
        n = len(events) + sum(1 for e in events if e["kind"] == "diffusion" and e["ok"])  # + the finish events
        result["server_cpu_s"] = server_cpu
        result["server_cpu_window_s"] = server_cpu_window
        result["server_cpu_ms_per_event"] = 1000 * server_cpu / max(len(sliders), 1) if not diffusion else None
        result["server_cpu_ms_per_request"] = 1000 * server_cpu / max(n, 1)
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--interval", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN_S", "MAX_S"))
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--kinds", default="gan,vae", help="slider kinds, dealt round-robin: gan, vae, or an api_name")
    p.add_argument("--diffusion", type=int, default=0, help="students generating DDIM-50 digits meanwhile")
    p.add_argument("--server-pid", type=int)
    p.add_argument("--fn", action="append", default=[], metavar="KIND=API_NAME",
                   help="send this event for a kind, e.g. gan=bench_gan_c2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the summary here")
    args = p.parse_args(argv)
    fn_names = dict(item.split("=", 1) for item in args.fn)
    result = run(args.url, args.students, tuple(args.interval), args.duration, args.kinds.split(","),
                 args.diffusion, args.server_pid, args.seed, fn_names)
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
