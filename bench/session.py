"""Server CPU per call in a new session and in an existing one: the app against a trivial app.

    python -m bench.session [--calls 60] [--json out.json]

Starts two servers side by side: `python app.py` and a trivial Gradio app (one handler that
returns a precomputed 224x224 PNG, nothing else on the page). For each it makes `--calls`
sequential REST calls of /gan_generate (the trivial app: /trivial) as a notebook does:
POST /gradio_api/call/<name> then read the answer's event stream. "new": no session_hash, so
each call is a new session (every plain REST call, every page load); "existing": every call
sends the same session_hash, as a browser tab does. The server's CPU time (utime + stime, from
/proc) is divided by the number of calls. The two servers are measured in alternation, in the
same run, so a busy machine moves both.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import uuid

from .load import cpu_seconds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def serve_trivial(port: int) -> None:
    """The trivial app: one event, one precomputed picture."""
    import gradio as gr
    import numpy as np
    picture = np.kron(np.random.default_rng(0).integers(0, 255, (28, 28), dtype=np.uint8), np.ones((8, 8), np.uint8))
    with gr.Blocks() as demo:
        seed = gr.Number(42)
        image = gr.Image(format="png", type="numpy")
        seed.change(lambda s: picture, seed, image, api_name="trivial")
    demo.queue(default_concurrency_limit=2).launch(server_name="127.0.0.1", server_port=port, quiet=True)


def start(args: list[str], port: int) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/config")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{args} did not start on port {port}")


def call(port: int, name: str, data: list, session_hash: str | None) -> None:
    """One REST call, as gradio_client or curl makes it, read to its end."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {"data": data}
    if session_hash:
        body["session_hash"] = session_hash
    conn.request("POST", f"/gradio_api/call/{name}", json.dumps(body), {"Content-Type": "application/json"})
    event_id = json.loads(conn.getresponse().read())["event_id"]
    conn.request("GET", f"/gradio_api/call/{name}/{event_id}")
    text = conn.getresponse().read().decode()
    if "event: complete" not in text:
        raise RuntimeError(f"{name} failed: {text[:200]}")


def per_call_ms(proc, port, name, data, calls, session_hash) -> float:
    call(port, name, data, session_hash)                      # warm: models, caches
    before = cpu_seconds(proc.pid)
    for _ in range(calls):
        call(port, name, data, session_hash)
    return 1000 * (cpu_seconds(proc.pid) - before) / calls


def run(calls: int = 60, rounds: int = 3) -> dict:
    app = start(["app.py"], 7881)
    trivial = start(["-m", "bench.session", "--serve-trivial", "7882"], 7882)
    try:
        keep = uuid.uuid4().hex[:11]
        results = {key: [] for key in ("app_new", "app_existing", "trivial_new", "trivial_existing")}
        for _ in range(rounds):                               # alternate, so both see the same machine
            results["app_new"].append(per_call_ms(app, 7881, "gan_generate", [42, 7, 0.7], calls, None))
            results["trivial_new"].append(per_call_ms(trivial, 7882, "trivial", [42], calls, None))
            results["app_existing"].append(per_call_ms(app, 7881, "gan_generate", [42, 7, 0.7], calls, keep))
            results["trivial_existing"].append(per_call_ms(trivial, 7882, "trivial", [42], calls, keep))
    finally:
        app.kill()
        trivial.kill()
    out = {key: sorted(values)[len(values) // 2] for key, values in results.items()}    # medians
    out["new_session_ratio"] = out["app_new"] / out["trivial_new"]
    out["calls"], out["rounds"] = calls, rounds
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json")
    p.add_argument("--serve-trivial", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_trivial:
        return serve_trivial(args.serve_trivial)
    result = run(args.calls, args.rounds)
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
