"""The Fine-tune panel through real clients: two sessions, every family, the download,
Stop, Reset and bad input; and once in a real browser. The panels are mounted in a small
Blocks of their own, the way a tab mounts one, so this runs before the tabs adopt it."""

import hashlib
import time
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import handle_file
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from PIL import Image, ImageDraw

import genai
from local_client import local_client
from ui import common
from ui import finetune as panel
from ui.i18n import I18N

FAMILIES = ("gan", "vae", "diffusion")


@pytest.fixture(scope="module")
def url():
    with gr.Blocks() as demo:
        for family in FAMILIES:
            panel.panel(family)
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                            i18n=I18N)      # the panel's strings are translation keys, as in the app
    yield url
    demo.close()


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    """Three 7s drawn three ways: white on black, black on white, and strokes on a transparent canvas."""
    folder = tmp_path_factory.mktemp("drawings")
    paths = []
    for i, (mode, paper, ink) in enumerate([("L", 0, 255), ("RGB", "white", "black"), ("RGBA", (0, 0, 0, 0), "black")]):
        im = Image.new(mode, (280 + 40 * i, 280), paper)
        ImageDraw.Draw(im).line([(60, 60 + 10 * i), (220, 60), (110 + 10 * i, 240)], fill=ink, width=22)
        paths.append(folder / f"seven_{i}.png")
        im.save(paths[-1])
    blank = folder / "blank.png"
    Image.new("L", (280, 280), 0).save(blank)
    notes = folder / "notes.txt"
    notes.write_text("not a picture")
    return {"sevens": paths, "blank": blank, "notes": notes}


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def checksums() -> dict[str, str]:
    """sha256 of every file of the pretrained checkpoints the panels start from."""
    files = [p for f in FAMILIES for p in sorted((genai.CHECKPOINTS / f).rglob("*")) if p.is_file()]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def unzip(download, into: Path) -> Path:
    path = download["value"] if isinstance(download, dict) else download
    with zipfile.ZipFile(path) as z:
        z.extractall(into)
        (folder,) = {name.split("/")[0] for name in z.namelist()}
    return into / folder


# ----------------------------------------------------------------------------- two sessions

def test_one_session_finetunes_every_family_and_no_one_else_sees_it(url, drawings, tmp_path):
    before = checksums()
    alice, bob = local_client(url), local_client(url)
    for family in FAMILIES:
        for path in drawings["sevens"]:
            gallery, message, _ = alice.predict(image=handle_file(path), api_name=f"/{family}_finetune_add")
        assert len(gallery) == 3 and "3 examples" in message
        pretrained, bobs = bob.predict(label=1, api_name=f"/{family}_finetune_preview")
        assert np.array_equal(pixels(pretrained), pixels(bobs))

        plot, after, progress, download = alice.predict(label=1, steps=3, api_name=f"/{family}_finetune")
        assert "Step 3 / 3" in progress and "Done" in progress
        assert len(plot["data"]) >= 3
        assert not np.array_equal(pixels(after), pixels(pretrained)), f"{family}: the samples did not change"

        # Bob's session still sees the pretrained model; Alice's preview shows her model.
        _, bobs = bob.predict(label=1, api_name=f"/{family}_finetune_preview")
        assert np.array_equal(pixels(bobs), pixels(pretrained))
        _, alices = alice.predict(label=1, api_name=f"/{family}_finetune_preview")
        assert np.array_equal(pixels(alices), pixels(after))

        # The download is a checkpoint folder that reproduces Alice's samples exactly.
        tuned = genai.load(str(unzip(download, tmp_path / family)))
        again = common.picture(panel.samples(tuned, family, 1), scale=3)
        assert np.array_equal(again, pixels(after))
    assert checksums() == before, "the pretrained checkpoint files changed"


def test_stop_keeps_what_was_learned_and_reset_goes_back(url):
    c = local_client(url)
    pretrained, _ = c.predict(label="3", api_name="/gan_finetune_preview")   # the API lists digits as "0".."9"
    job = c.submit(source="builtin", classes=[8], label="3", steps=1000, seconds=100, api_name="/gan_finetune")
    deadline = time.time() + 120
    while len(job.outputs()) < 2 and not job.done() and time.time() < deadline:   # training has begun
        time.sleep(0.2)
    assert "Stopping" in c.predict(api_name="/gan_finetune_stop")
    plot, after, progress, download = job.result(timeout=120)
    assert "Stopped: kept what was learned" in progress and "/ 1000" in progress
    assert not np.array_equal(pixels(after), pixels(pretrained))
    assert download["value"].endswith(".zip")

    plot, after, progress, download = c.predict(label=3, api_name="/gan_finetune_reset")
    assert np.array_equal(pixels(after), pixels(pretrained)) and "pretrained" in progress
    assert download["value"] is None and plot is None


def test_examples_can_be_removed_and_cleared(url, drawings):
    c = local_client(url)
    for path in drawings["sevens"]:
        c.predict(image=handle_file(path), api_name="/vae_finetune_add")
    gallery, message, _ = c.predict(index=0, api_name="/vae_finetune_remove")
    assert len(gallery) == 2 and "2 left" in message
    gallery, _, _ = c.predict(api_name="/vae_finetune_clear")
    assert gallery == []


# ----------------------------------------------------------------------------- bad input

def raises(c, match, api_name, **kwargs):
    with pytest.raises(Exception, match=match):
        c.predict(api_name=api_name, **kwargs)


def test_bad_input_gets_a_clear_message(url, drawings):
    c = local_client(url)
    raises(c, "No examples yet", "/gan_finetune")
    assert "Nothing to stop" in c.predict(api_name="/gan_finetune_stop")
    raises(c, "blank", "/gan_finetune_add", image=handle_file(drawings["blank"]))
    raises(c, "Could not read this file as a picture", "/gan_finetune_add", image=handle_file(drawings["notes"]))
    raises(c, "Click an example", "/gan_finetune_remove", index=None)
    c.predict(image=handle_file(drawings["sevens"][0]), api_name="/gan_finetune_add")
    raises(c, "index must be a whole number in 0-0", "/gan_finetune_remove", index=4)
    for kwargs, match in [
        ({"steps": 0}, f"steps must be a whole number in 1-{panel.MAX_STEPS}"),
        ({"steps": panel.MAX_STEPS + 1}, f"steps must be a whole number in 1-{panel.MAX_STEPS}"),
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"lr": 0.5}, "Learning rate must be a number from 0.00001 to 0.01"),
        ({"lr": None}, "Learning rate must be a number"),
        ({"seconds": 0}, "time cap"),
        ({"seconds": panel.MAX_SECONDS + 1}, rf"time cap \(seconds\) must be a number in 1-{panel.MAX_SECONDS:g}, got"),
        ({"params": "everything"}, "one of all, last, lora"),
        ({"label": 12}, "0-9"),
        ({"source": "the web"}, "drawings, builtin"),
        ({"source": "builtin", "classes": []}, "Tick at least one digit"),
        ({"source": "builtin", "classes": [11]}, "built-in digit must be a whole number in 0-9"),
    ]:
        raises(c, match, "/gan_finetune", **kwargs)
    raises(c, "0-9", "/diffusion_finetune_preview", label=-1)


def test_at_most_GENAI_FT_CONCURRENCY_fine_tunes_run_at_once(url, at_once):
    """Two visitors press Start together: with GENAI_FT_CONCURRENCY = 1 the second run starts
    only when the first has ended (each stops at its 1 s time cap)."""
    assert panel.CONCURRENCY == 1
    jobs = [local_client(url, download_files=False).submit("builtin", ["7"], "1", panel.MAX_STEPS, 1e-3, "all", 1,
                                                      api_name="/gan_finetune") for _ in range(2)]
    most, intervals = at_once(jobs)
    assert most == 1, intervals


def test_the_gallery_holds_at_most_32_examples(url, drawings):
    c = local_client(url, download_files=False)          # the thumbnails need not travel
    for _ in range(panel.MAX_EXAMPLES):
        c.predict(image=handle_file(drawings["sevens"][0]), api_name="/vae_finetune_add")
    raises(c, "32 examples, the most allowed", "/vae_finetune_add", image=handle_file(drawings["sevens"][1]))


# ----------------------------------------------------------------------------- a real browser

def test_in_a_browser_draw_add_start_twice_stop(url, browser, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(url)
        page.get_by_text("Fine-tune: teach it your handwriting").first.click()
        pad = page.locator("#gan-ft-pad")
        pad.scroll_into_view_if_needed()
        pad.locator("button[aria-label='Brush']").click()              # strokes draw only with the brush on
        box = pad.locator("canvas").first.bounding_box()
        x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
        page.mouse.move(x0 + 0.25 * w, y0 + 0.2 * h)                      # a rough 7
        page.mouse.down()
        for fx, fy in [(0.75, 0.2), (0.45, 0.85)]:
            page.mouse.move(x0 + fx * w, y0 + fy * h, steps=4)
        page.mouse.up()
        added = page.locator("#gan-ft-progress").get_by_text("1 example")
        for _ in range(20):             # the stroke uploads in the background: until then, "Nothing drawn yet"
            page.locator("#gan-ft-add").click()
            try:
                added.wait_for(timeout=3_000)
                break
            except PlaywrightTimeout:
                pass
        added.wait_for()
        page.locator("#gan-ft-steps [data-testid=number-input]").fill("1000")
        page.locator("#gan-ft-start").click()
        page.locator("#gan-ft-progress progress").wait_for(timeout=120_000)
        page.locator("#gan-ft-start").click()                          # a second Start while one runs
        page.get_by_text("already running").first.wait_for()
        page.locator("#gan-ft-stop").click()
        page.locator("#gan-ft-progress").get_by_text("Stopped: kept what was learned").wait_for(timeout=120_000)
        page.locator("#gan-ft").screenshot(path=str(artifacts / "finetune.png"))
    finally:
        context.close()
