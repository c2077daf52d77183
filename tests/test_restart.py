"""Two real servers (`python app.py`, each its own process): the same seed and settings give
byte-identical pictures after a restart, and a full queue turns callers away with a message
that names the limit, while the server goes on serving (issue 6).

The calls speak Gradio's queue protocol through bench.load, as a browser does.
"""

import json
import sys
import threading
import time

import pytest

from bench.coldstart import free_port, start, stop
from bench.load import IMAGE_URL, Session, read_config

CALLS = {                      # api_name: every input, as the page would send them
    "gan_generate": [1234, 3, 0.7],
    "gan_interpolate": [42, 43, 7, 6, "spherical", "same", 0.7],
    "vae_decode": [0.5, -1.0],
    "vae_decode16": [7] + [None] * 16,
    "diffusion_sample": [5, "8", 6, "ddim", 0.0, 2.0],
    "diffusion_compare": [5, "8", 6, 0, 1, 2],
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The URLs of two servers started one after the other; the second holds at most one
    waiting event."""
    logs = tmp_path_factory.mktemp("restart")
    procs, urls = [], []
    try:
        for name, env in (("first", {}), ("second", {"GENAI_QUEUE_SIZE": "1"})):
            port = free_port()
            procs.append(start([sys.executable, "app.py"], port, logs / f"{name}.log", env=env)[0])
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for proc in procs:
            stop(proc)


def pictures(url: str) -> dict[str, list[bytes]]:
    """Every file each call in CALLS returns, as bytes."""
    api = read_config(url)
    session = Session(url)
    out = {}
    for name, data in CALLS.items():
        answer = session.call(api[name][0], data)
        assert answer["ok"], (name, answer)
        urls = list(dict.fromkeys(IMAGE_URL.findall(json.dumps(answer["output"]))))
        assert urls, (name, answer["output"])
        out[name] = []
        for file_url in urls:
            status, body = session._request("GET", file_url[file_url.index("/gradio_api/"):])
            assert status == 200
            out[name].append(body)
    return out


def test_same_seed_same_bytes_after_a_restart(servers):
    first, second = (pictures(url) for url in servers)
    for name in CALLS:
        assert first[name] == second[name], f"{name} differs between the two servers"


def test_a_full_queue_says_so_and_the_server_keeps_serving(servers):
    url = servers[1]
    api = read_config(url)
    slow = api["diffusion_sample"][0]               # DDPM, 300 steps: seconds of work each
    answers = []

    def run():
        answers.append(Session(url).call(slow, [1, "3", 300, "ddpm", 0.0, 2.0]))

    runners = [threading.Thread(target=run, daemon=True) for _ in range(3)]   # two run, one waits
    for thread in runners:
        thread.start()
        time.sleep(0.5)
    status, body = Session(url)._request(
        "POST", "/gradio_api/queue/join",
        '{"data": [1, "3", 300, "ddpm", 0.0, 2.0], "fn_index": %d, "session_hash": "over"}' % slow)
    assert status == 503
    assert b"Queue is full. Max size is 1" in body
    for thread in runners:
        thread.join(timeout=600)
    assert len(answers) == 3 and all(a["ok"] for a in answers), answers
    assert pictures(url)                             # and it still answers everyone after
