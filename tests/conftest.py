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
    from gradio_client import Client
    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def chromium():
    """The chromium path. Where it is missing, browser tests are skipped, except in CI
    (GENAI_REQUIRE_BROWSER=1, set by .ci/run), where a browser suite that did not run is a failure."""
    if not Path(CHROMIUM).exists():
        why = "chromium is not installed (tests/run.sh installs it with apt: apt-get install -y chromium)"
        if os.environ.get("GENAI_REQUIRE_BROWSER") == "1":
            pytest.fail(why + "; GENAI_REQUIRE_BROWSER=1 forbids skipping the browser tests", pytrace=False)
        pytest.skip(why)
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
