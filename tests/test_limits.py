"""Hosting limits are enforced on the server and named in the error; the launch settings
keep the server private (local address, no share link, no analytics). Limits are checked as
behaviour a caller sees (what is refused, how many calls run at once, how fast frames come),
not as settings read back."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image, ImageFile

from genai.checks import MAX_BATCH, MAX_SEED
from local_client import local_client
from ui import common


@pytest.fixture
def seven(tmp_path):
    a = np.zeros((56, 56), np.uint8)
    a[8:12, 10:46] = 255
    a[12:50, 30:34] = 255
    path = tmp_path / "seven.png"
    Image.fromarray(a).save(path)
    return path


def test_upload_bytes_limit_is_enforced_by_the_server(client, seven, monkeypatch):
    assert isinstance(client.predict(handle_file(str(seven)), api_name="/gan_discriminate"), float)
    monkeypatch.setattr(common, "MAX_IMAGE_BYTES", 50)
    with pytest.raises(Exception, match="image must be at most 50 bytes; this file has"):
        client.predict(handle_file(str(seven)), api_name="/gan_discriminate")


def test_upload_pixel_limit_is_checked_before_decoding(client, tmp_path, monkeypatch):
    """Decoding is made impossible (PIL's loader raises): the size is refused all the same, so it
    was read from the header. The same file under the limit then fails to decode: the patch bites."""
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200), 0).save(path)
    monkeypatch.setattr(common, "MAX_IMAGE_PIXELS", 300 * 200 - 1)

    def no_decoding(self):
        raise RuntimeError("pixels decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    for api_name in ("/gan_discriminate", "/vae_encode", "/diffusion_img2img", "/gan_finetune_add"):
        with pytest.raises(Exception, match="image must have at most 59,999 pixels; this one is 300x200"):
            client.predict(image=handle_file(str(path)), api_name=api_name)
    monkeypatch.setattr(common, "MAX_IMAGE_PIXELS", 300 * 200)
    with pytest.raises(Exception, match="Could not read this file as a picture"):
        client.predict(image=handle_file(str(path)), api_name="/gan_discriminate")


def test_limits_come_from_the_environment_once_at_start():
    code = ("from ui import common, finetune; print(common.MAX_IMAGE_PIXELS, common.MAX_IMAGE_BYTES, "
            "finetune.MAX_STEPS, finetune.MAX_SECONDS, finetune.CONCURRENCY)")
    env = dict(os.environ, GENAI_MAX_IMAGE_PIXELS="1000", GENAI_MAX_IMAGE_BYTES="2000", GENAI_FT_MAX_STEPS="7",
               GENAI_FT_MAX_SECONDS="9", GENAI_FT_CONCURRENCY="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split() == ["1000", "2000", "7", "9.0", "3"]


def test_analytics_are_off_and_no_share_link():
    code = ("import os; os.environ.pop('GRADIO_ANALYTICS_ENABLED', None); import app, gradio; "
            "print(os.environ['GRADIO_ANALYTICS_ENABLED'], app.LAUNCH['share'], app.demo.analytics_enabled)")
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_ANALYTICS_ENABLED"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split()[-3:] == ["False", "False", "False"]


def test_the_queue_does_not_summarise_every_event_for_a_dashboard_no_one_opens(client):
    """Gradio's queue can rebuild a pandas table of its last 10,000 events after each one (for
    its monitoring page, which the app leaves off); the app turns that off."""
    import app
    queue = app.demo._queue
    before = queue.events_recorded
    client.predict(seed=3, api_name="/gan_generate")
    assert queue.events_recorded > before                 # the event was recorded ...
    assert queue.cached_event_analytics_summary == {"functions": {}}      # ... and never summarised


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (IPv4 and IPv6), from /proc/net."""
    import ipaddress
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:          # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    # /proc writes each 32-bit word in the host's byte order (little-endian here)
                    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                    found.add(str(ipaddress.ip_address(raw)))
    return found


def test_python_app_py_listens_on_this_machine_only(tmp_path, monkeypatch, cannot_run):
    """The real `python app.py`, started as a visitor's host would: its listening socket is
    127.0.0.1 only, and its log shows no share link."""
    from bench.coldstart import free_port, start, stop
    if not os.path.exists("/proc/net/tcp"):
        cannot_run("reads listening sockets from /proc/net/tcp")
    for name in ("GRADIO_SERVER_NAME", "GRADIO_SHARE"):       # as on a laptop: nothing set
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    proc, _ = start([sys.executable, "app.py"], port, tmp_path / "app.log")
    try:
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        stop(proc)
    assert "gradio.live" not in (tmp_path / "app.log").read_text()


def test_queue_settings_come_from_the_environment():
    code = ("import app, torch; from ui import stepwise; q = app.demo._queue; "
            "sample = next(f for f in app.demo.fns.values() if f.api_name == 'diffusion_sample'); "
            "print(q.max_size, q.default_concurrency_limit, app.LAUNCH['max_file_size'], sample.concurrency_limit, "
            "stepwise.FRAME_S, torch.get_num_threads(), stepwise.ALONE_LINE.slots)")
    env = dict(os.environ, GENAI_QUEUE_SIZE="7", GENAI_CONCURRENCY="3", GENAI_MAX_IMAGE_BYTES="2000",
               GENAI_DIFFUSION_CONCURRENCY="5", GENAI_STREAM_FPS="4", GENAI_THREADS="3", GENAI_ALONE_RUNS="6")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split()[-7:] == ["7", "3", "2000", "5", "0.25", "3", "6"]


def test_torch_uses_one_thread_by_default():
    """GENAI_THREADS unset: one torch thread per request, whatever the machine's cores."""
    env = {k: v for k, v in os.environ.items() if k not in ("GENAI_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", "import app, torch; print(torch.get_num_threads())"], env=env,
                         capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split()[-1] == "1"


def test_an_upload_over_the_byte_limit_is_refused_before_it_is_stored(app_url):
    """Gradio's own upload route refuses it (HTTP 413), so it never reaches the disk."""
    import httpx
    import app
    from ui import common
    assert app.LAUNCH["max_file_size"] == common.MAX_IMAGE_BYTES
    big = b"\0" * (common.MAX_IMAGE_BYTES + 1)
    answer = httpx.post(app_url.rstrip("/") + "/gradio_api/upload", files={"files": ("big.png", big, "image/png")},
                        timeout=60)
    assert answer.status_code == 413, answer.text[:200]
    assert "maximum allowed size" in answer.text


# ----------------------------------------------------------------------------- numbers a caller sends

SEEDED = {           # endpoint: (its seed parameter, other arguments that keep the call cheap)
    "/gan_generate": ("seed", {}), "/gan_edit": ("seed", {}), "/gan_interpolate": ("seed_b", {"frames": 2}),
    "/compare_families": ("seed", {"n": 2, "steps": 2}),
    "/failure_mode": ("seed", {"n": 2}), "/trade_off": ("seed", {"family": "gan", "n": 2}),
    "/playground_step": ("seed", {"steps": 1}),
}
FULL_RANGE = {       # these hand seeds to the package as they are
    "/vae_decode16": ("seed", {}), "/diffusion_sample": ("seed", {"steps": 1}), "/diffusion_compare": ("seed", {"steps": 1}),
    "/diffusion_img2img": ("seed", {"steps": 1}),
}


def test_seed_ranges_are_the_readmes(client, tmp_path):
    """README: seeds 0-2**31-1, what the seed boxes offer; the diffusion endpoints, /vae_decode16
    and the genai package take 0-2**63-1. The largest is accepted, one more is refused, naming the range."""
    seven = tmp_path / "one.png"                     # a stroke: the picture img2img starts from
    a = np.zeros((28, 28), np.uint8)
    a[6:22, 12:16] = 255
    Image.fromarray(a).save(seven)
    for table, high in ((SEEDED, 2**31 - 1), (FULL_RANGE, 2**63 - 1)):
        for api_name, (name, extra) in table.items():
            if api_name == "/diffusion_img2img":
                extra = {**extra, "image": handle_file(str(seven))}
            client.predict(**{name: high}, **extra, api_name=api_name)
            with pytest.raises(Exception, match=f"{name} must be a whole number (in 0-|from 0 to ){high}, got"):
                client.predict(**{name: high + 1}, **extra, api_name=api_name)
    with pytest.raises(ValueError, match=f"seed must be a whole number in 0-{MAX_SEED}"):
        common.model("gan").generate(labels=[1], seed=MAX_SEED + 1)


def test_at_most_1024_images_per_call():
    """genai.checks.MAX_BATCH bounds every batch a caller can ask for, in each family."""
    assert MAX_BATCH == 1024
    for family, kwargs in (("gan", {"labels": [1] * (MAX_BATCH + 1)}), ("vae", {"n": MAX_BATCH + 1}),
                           ("diffusion", {"labels": [1] * (MAX_BATCH + 1), "steps": 1})):
        with pytest.raises(ValueError, match="number of images must be a whole number in 1-1024"):
            common.model(family).generate(**kwargs)
    assert common.model("vae").generate(n=MAX_BATCH).shape == (MAX_BATCH, 28, 28)


# ----------------------------------------------------------------------------- enforced, as callers see it

def test_at_most_GENAI_CONCURRENCY_events_of_one_kind_run_at_once(app_url, at_once):
    """Three visitors train the 2-D playground at once (default lane, GENAI_CONCURRENCY = 2):
    the server runs two and queues the third."""
    clients = [local_client(app_url, download_files=False) for _ in range(3)]
    jobs = [c.submit(steps=400, api_name="/playground_step") for c in clients]
    most, intervals = at_once(jobs)
    assert most == 2, intervals


def test_at_most_GENAI_DIFFUSION_CONCURRENCY_streamed_runs_at_once(app_url, at_once):
    clients = [local_client(app_url, download_files=False) for _ in range(3)]
    jobs = [c.submit(seed=i, steps=20, api_name="/diffusion_sample") for i, c in enumerate(clients)]
    most, intervals = at_once(jobs)
    assert most == 2, intervals


def test_streamed_frames_come_at_most_GENAI_STREAM_FPS_a_second(app_url):
    """A 20-step run shows every step, paced: its 20 frames span at least 19 frame times
    (1/30 s each), though the model computes them far faster. A 300-step run sends at most
    one frame per frame time (plus its last), skipping the rest."""
    from ui.stepwise import FRAME_S
    c = local_client(app_url, download_files=False)
    for steps in (20, 300):
        arrived = []
        job = c.submit(seed=1, steps=steps, api_name="/diffusion_sample")
        for _ in job:
            arrived.append(time.monotonic())
        span = arrived[-1] - arrived[0]
        frames = len(job.outputs())
        if steps == 20:
            assert frames == 20 and span >= 19 * FRAME_S * 0.95, (frames, span)
        else:
            assert 2 <= frames <= span / FRAME_S + 2, (frames, span)


# ----------------------------------------------------------------------------- same seed, same pixels

SEEDED_CALLS = {     # every endpoint whose answer a seed (or nothing random) fixes, cheaply
    "/gan_generate": {"seed": 5}, "/gan_edit": {"seed": 5, "pc1": 2.0},
    "/gan_interpolate": {"seed_a": 5, "frames": 3}, "/vae_decode": {"x": 0.5, "y": -1.0},
    "/vae_decode16": {"seed": 5}, "/diffusion_forward": {"index": 3, "t": 300},
    "/diffusion_sample": {"seed": 5, "steps": 3}, "/diffusion_compare": {"seed": 5, "steps": 2},
    "/playground_step": {"seed": 5, "steps": 5}, "/failure_mode": {"seed": 5, "n": 2},
}


def answer_pixels(answer) -> list:
    """Every picture in an answer (a path, or lists and dicts holding paths), as arrays."""
    if isinstance(answer, str) and os.path.isfile(answer):
        with Image.open(answer) as im:
            return [np.asarray(im)]
    if isinstance(answer, (list, tuple)):
        return [p for a in answer for p in answer_pixels(a)]
    if isinstance(answer, dict):
        return [p for a in answer.values() for p in answer_pixels(a)]
    return []


def test_same_seed_same_pixels_in_every_new_session(app_url):
    """Each endpoint, asked twice by two new sessions (two clients, as two visitors), answers
    the same pixels."""
    for api_name, kwargs in SEEDED_CALLS.items():
        first, second = (answer_pixels(local_client(app_url).predict(**kwargs, api_name=api_name))
                         for _ in range(2))
        assert first and len(first) == len(second), api_name
        assert all(np.array_equal(a, b) for a, b in zip(first, second)), api_name
