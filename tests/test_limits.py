"""Hosting limits are enforced on the server and named in the error; the launch settings
keep the server private (local address, no share link, no analytics)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

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
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200), 0).save(path)
    monkeypatch.setattr(common, "MAX_IMAGE_PIXELS", 300 * 200 - 1)
    for api_name in ("/gan_discriminate", "/vae_encode", "/diffusion_img2img", "/gan_finetune_add"):
        with pytest.raises(Exception, match="image must have at most 59,999 pixels; this one is 300x200"):
            client.predict(image=handle_file(str(path)), api_name=api_name)


def test_limits_come_from_the_environment_once_at_start():
    code = "from ui import common, finetune; print(common.MAX_IMAGE_PIXELS, common.MAX_IMAGE_BYTES, finetune.MAX_STEPS)"
    env = dict(os.environ, GENAI_MAX_IMAGE_PIXELS="1000", GENAI_MAX_IMAGE_BYTES="2000", GENAI_FT_MAX_STEPS="7")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split() == ["1000", "2000", "7"]


def test_launch_settings_keep_the_server_private():
    code = ("import os; os.environ.pop('GRADIO_ANALYTICS_ENABLED', None); import app, gradio; "
            "print(os.environ['GRADIO_ANALYTICS_ENABLED'], app.LAUNCH['share'], app.demo.analytics_enabled)")
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_ANALYTICS_ENABLED"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split()[-3:] == ["False", "False", "False"]
    source = open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "app.py")).read()
    assert 'os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")' in source


def test_queue_settings_come_from_the_environment():
    code = ("import app; from ui import diffusion_tab; q = app.demo._queue; "
            "sample = next(f for f in app.demo.fns.values() if f.api_name == 'diffusion_sample'); "
            "print(q.max_size, q.default_concurrency_limit, app.LAUNCH['max_file_size'], sample.concurrency_limit, "
            "diffusion_tab.FRAME_S)")
    env = dict(os.environ, GENAI_QUEUE_SIZE="7", GENAI_CONCURRENCY="3", GENAI_MAX_IMAGE_BYTES="2000",
               GENAI_DIFFUSION_CONCURRENCY="5", GENAI_STREAM_FPS="4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.split()[-5:] == ["7", "3", "2000", "5", "0.25"]


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
