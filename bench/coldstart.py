"""Start servers as subprocesses and time a cold start: `python app.py` to the first page served.

    python -m bench.coldstart [--runs 2]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int, log: Path, timeout_s: float = 300,
          env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[subprocess.Popen, float]:
    """Start a server on `port` (with extra environment variables `env`, in folder `cwd`); returns (process,
    seconds until GET / answered 200). Raises RuntimeError (with the log's tail) if it dies
    or takes longer than timeout_s."""
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
               GRADIO_TEMP_DIR=os.environ.get("GRADIO_TEMP_DIR") or tempfile.mkdtemp(prefix="genai-bench-"),
               **(env or {}))
    t0 = time.perf_counter()
    out = open(log, "w")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc, time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > timeout_s:
            stop(proc)
            raise RuntimeError(f"{' '.join(command)} served nothing in {timeout_s:.0f} s:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server we started (by its own pid), politely first."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(runs: int = 2, logs: Path | None = None) -> dict:
    """Seconds from `python app.py` to the first page served, per run (each a new process)."""
    logs = logs or Path(tempfile.mkdtemp(prefix="genai-bench-logs-"))
    seconds = []
    for i in range(runs):
        proc, s = start([sys.executable, "app.py"], free_port(), logs / f"coldstart-{i}.log")
        stop(proc)
        seconds.append(s)
    return {"runs_s": seconds, "first_s": seconds[0], "median_s": sorted(seconds)[len(seconds) // 2]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args(argv)
    print(json.dumps(measure(args.runs), indent=1))


if __name__ == "__main__":
    main()
