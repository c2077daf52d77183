"""Shared fixtures: a running app (in process), a gradio_client, and a real browser."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genai-gradio-"))
# Presets are cached lazily: a fresh cache per run, so no stale pictures from older checkpoints.
os.environ.setdefault("GRADIO_EXAMPLES_CACHE", tempfile.mkdtemp(prefix="genai-examples-"))

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# In CI (.ci/run sets GENAI_REQUIRE_BROWSER=1; CI services set CI=true) nothing may skip silently.
IN_CI = os.environ.get("GENAI_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() == "true"


def skip_or_fail(why: str) -> None:
    """Skip a test that cannot run here; in CI, fail it: a check that did not run proves nothing."""
    if IN_CI:
        pytest.fail(why + "; in CI (GENAI_REQUIRE_BROWSER=1 or CI=true) a test that cannot run is a failure",
                    pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def cannot_run():
    """skip_or_fail, for a test whose requirement (a package, a file, the OS) is missing."""
    return skip_or_fail


@pytest.fixture(scope="session")
def app_url():
    """Launch app.demo once for the whole session; yields its URL."""
    import app
    _, url, _ = app.demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1",
                                server_port=None, **app.LAUNCH)
    yield url
    app.demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from local_client import local_client
    return local_client(app_url)


@pytest.fixture(scope="session")
def chromium():
    """The chromium path. Where it is missing, browser tests are skipped, except in CI, where a
    browser suite that did not run is a failure."""
    if not Path(CHROMIUM).exists():
        skip_or_fail("chromium is not installed (tests/run.sh installs it with apt: apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    """Debian's chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page (its own browser context) at 1280x720, the projector size."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


WAITING = {"STARTING", "JOINING_QUEUE", "IN_QUEUE", "SENDING_DATA", "QUEUE_FULL"}


def running_intervals(jobs, timeout: float = 300) -> list[tuple[float, float]]:
    """(started, ended) of each gradio_client job, in time.monotonic() seconds, watched through
    the public queue protocol: a job has started when the server sends process_starts (its
    status leaves the queue), ended when its result is in. Polled every 5 ms."""
    import time
    started, ended = [None] * len(jobs), [None] * len(jobs)
    deadline = time.monotonic() + timeout
    while None in ended:
        assert time.monotonic() < deadline, "jobs did not finish in time"
        now = time.monotonic()
        for i, job in enumerate(jobs):
            if ended[i] is None and job.done():
                ended[i] = now
            if started[i] is None and (ended[i] is not None or job.status().code.name not in WAITING):
                started[i] = now
        time.sleep(0.005)
    for job in jobs:
        job.result()                    # an error in a job is the test's error
    return list(zip(started, ended))


def most_at_once(intervals: list[tuple[float, float]], slack: float = 0.25) -> int:
    """The largest number of intervals that overlap at one moment. A job's end is seen by its
    client a little after the server has freed its slot (the answer still travels), so the
    next job may seem to start up to `slack` seconds before it."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e - slack, -1) for _, e in intervals],
                   key=lambda x: (x[0], x[1]))
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


@pytest.fixture(scope="session")
def at_once():
    """at_once(jobs) -> (the most jobs that ran at one moment, their (started, ended) intervals)."""
    def measure(jobs, timeout: float = 300):
        intervals = running_intervals(jobs, timeout)
        return most_at_once(intervals), intervals
    return measure


@pytest.fixture
def slow_engine(app_url, monkeypatch):
    """The app's diffusion engine at 20 ms a step or more, so that a 1000-step run is surely still
    going when a test presses Stop or closes the page (a quiet machine finishes one in ~10 s)."""
    import time

    from ui import diffusion_tab
    engine = diffusion_tab.engine()
    forward = engine.forward

    def slowed(*args):
        time.sleep(0.02)
        return forward(*args)

    monkeypatch.setattr(engine, "forward", slowed)
    return engine
