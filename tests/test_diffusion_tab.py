"""The Diffusion tab through a real client and a real browser: every endpoint (streaming too),
determinism, bad input, and what a visitor sees while a run streams."""

import numpy as np
import pytest
import torch
from gradio_client import handle_file
from PIL import Image, ImageDraw

from genai.diffusion import GUIDANCE
from live_pictures import picture, wait_for_new_picture
from ui import common

STEPS = 10


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


@pytest.fixture(scope="module")
def drawing(tmp_path_factory):
    """A white "7" on black, the way a visitor might upload one."""
    path = tmp_path_factory.mktemp("drawings") / "seven.png"
    im = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(im).line([(60, 60), (220, 60), (110, 240)], fill=255, width=22)
    im.save(path)
    return path


# ----------------------------------------------------------------------------- /diffusion_forward

def test_forward_returns_the_noised_digit_and_alpha_bar(client):
    image, alpha_bar, plot = client.predict(index=3, t=500, api_name="/diffusion_forward")
    assert pixels(image).shape[:2] == (28 * common.SCALE, 28 * common.SCALE)
    beta = np.linspace(1e-4, 0.02, 1000)                       # DDPM's linear schedule, T = 1000
    assert alpha_bar == pytest.approx(np.cumprod(1 - beta)[500], abs=1e-4)
    assert pixels(plot).ndim == 3


def test_forward_is_deterministic_and_moves_with_t(client):
    first = pixels(client.predict(index=7, t=100, api_name="/diffusion_forward")[0])
    again = pixels(client.predict(index=7, t=100, api_name="/diffusion_forward")[0])
    later = pixels(client.predict(index=7, t=900, api_name="/diffusion_forward")[0])
    assert np.array_equal(first, again)
    assert not np.array_equal(first, later)
    _, ab_0, plot_0 = client.predict(index=7, t=0, api_name="/diffusion_forward")
    _, ab_999, plot_999 = client.predict(index=7, t=999, api_name="/diffusion_forward")
    assert ab_0 > 0.99 and ab_999 < 0.01
    assert not np.array_equal(pixels(plot_0), pixels(plot_999))      # the marker moved


@pytest.mark.parametrize("kwargs, message", [
    ({"index": 3, "t": 1000}, "1000"),
    ({"index": 3, "t": 2.5}, "t must be a whole number in 0-999"),
    ({"index": -1, "t": 10}, "index must be a whole number in 0-999"),
    ({"index": 1000, "t": 10}, "index must be a whole number in 0-999"),
    ({"index": 1.5, "t": 10}, "index must be a whole number in 0-999"),
])
def test_forward_rejects_bad_values(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(**kwargs, api_name="/diffusion_forward")


# ----------------------------------------------------------------------------- /diffusion_sample

def test_sample_streams_every_step(client):
    job = client.submit(seed=1, label=4, steps=STEPS, api_name="/diffusion_sample")
    frames = list(job)
    assert len(frames) > 1
    assert frames[-1][2] == f"step {STEPS}/{STEPS}, t=99"
    assert frames[-1][3] == STEPS
    assert [f[3] for f in frames] == sorted(f[3] for f in frames)    # steps arrive in order
    assert not np.array_equal(pixels(frames[0][0]), pixels(frames[-1][0]))


def test_sample_needs_only_a_seed(client):
    """Defaults: a 3, DDIM, 50 steps, the package's default w: the last frame is the package's sample,
    pixel for pixel."""
    x_t, x0, status, step = client.predict(seed=5, api_name="/diffusion_sample")
    assert status.startswith("step 50/50") and step == 50
    expected = common.picture(common.model("diffusion").generate([3], seed=5, steps=50, guidance=GUIDANCE))
    assert np.array_equal(pixels(x_t), expected)
    assert np.abs(pixels(x0).astype(int) - expected).mean() < 2         # at t = 0 the prediction is the digit


def test_sample_is_deterministic(client):
    def final(**kwargs):
        return pixels(client.predict(steps=5, api_name="/diffusion_sample", **kwargs)[0])
    assert np.array_equal(final(seed=3, label="2"), final(seed=3, label=2))
    assert not np.array_equal(final(seed=3, label=2), final(seed=4, label=2))
    ddpm = final(seed=3, label=2, sampler="ddpm")
    assert np.array_equal(ddpm, final(seed=3, label=2, sampler="ddpm"))


@pytest.mark.parametrize("label", [-1, "-1", "none", "None", 0, "9"])
def test_sample_accepts_every_spelling_of_a_label(client, label):
    assert client.predict(seed=0, label=label, steps=2, api_name="/diffusion_sample")[3] == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"label": 10}, "label must be a digit 0-9"),
    ({"label": "seven"}, "label must be a digit 0-9"),
    ({"label": 2.5}, "label must be a digit 0-9"),
    ({"sampler": "euler"}, "ddim"),
    ({"steps": 0}, "steps must be a whole number in 1-1000"),
    ({"steps": 1001}, "steps must be a whole number in 1-1000"),
    ({"steps": 2.5}, "steps must be a whole number in 1-1000"),
    ({"eta": 2}, "eta must be a number in 0-1"),
    ({"guidance": -1}, "guidance must be a number in 0-20"),
    ({"seed": -3}, "seed must be a whole number in 0-"),
    ({"seed": 1.5}, "seed must be a whole number"),
])
def test_sample_rejects_bad_values(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(**{"seed": 0, "steps": 2, **kwargs}, api_name="/diffusion_sample")


# ----------------------------------------------------------------------------- /diffusion_compare

def test_compare_shows_three_guidance_scales_and_three_samplers(client):
    guidance_row, sampler_row = client.predict(seed=2, label=8, steps=4, guidance_a=0, guidance_b=1,
                                               guidance_c=5, api_name="/diffusion_compare")
    assert [item["caption"] for item in guidance_row] == ["guidance w = 0", "guidance w = 1", "guidance w = 5"]
    assert [item["caption"].split(",")[0] for item in sampler_row] == ["DDIM", "DDIM", "DDPM"]
    images = [pixels(item["image"]) for item in guidance_row + sampler_row]
    assert all(im.shape[:2] == (224, 224) for im in images)
    assert not np.array_equal(images[0], images[2])      # guidance changes the digit
    again = client.predict(seed=2, label=8, steps=4, guidance_a=0, guidance_b=1, guidance_c=5,
                           api_name="/diffusion_compare")
    assert np.array_equal(pixels(again[1][2]["image"]), images[5])


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 251}, "250"),
    ({"label": 11}, "label must be a digit 0-9"),
    ({"guidance_a": 25}, "guidance must be a number in 0-20"),
])
def test_compare_rejects_bad_values(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(**{"seed": 0, "steps": 2, **kwargs}, api_name="/diffusion_compare")


# ----------------------------------------------------------------------------- /diffusion_img2img

def test_img2img_noises_then_denoises(client, drawing):
    start, result = client.predict(image=handle_file(drawing), t_start=400, label=7, seed=1, steps=20,
                                   api_name="/diffusion_img2img")
    assert pixels(start).shape[:2] == pixels(result).shape[:2] == (224, 224)
    again = client.predict(image=handle_file(drawing), t_start=400, label=7, seed=1, steps=20,
                           api_name="/diffusion_img2img")
    assert np.array_equal(pixels(result), pixels(again[1]))
    little = client.predict(image=handle_file(drawing), t_start=50, label=7, seed=1, steps=20,
                            api_name="/diffusion_img2img")[0]
    assert not np.array_equal(pixels(start), pixels(little))       # more noise at a higher t


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "CMYK"])
def test_img2img_reads_any_image_mode(client, drawing, tmp_path, mode):
    path = tmp_path / f"seven-{mode.replace(';', '')}.png"
    im = Image.open(drawing).convert(mode)
    if mode == "CMYK":
        path = path.with_suffix(".jpg")
    im.save(path)
    result = client.predict(image=handle_file(path), t_start=200, label=7, seed=0, steps=10,
                            api_name="/diffusion_img2img")[1]
    digit = pixels(result)[::common.SCALE, ::common.SCALE]              # back to 28x28
    x = torch.from_numpy(digit.astype(np.float32) / 127.5 - 1).reshape(1, 1, 28, 28)
    assert common.model("classifier").predict(x)[0].item() == 7          # still the drawn 7, whatever the mode


def test_img2img_rejects_bad_input(client, drawing, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 0).save(blank)
    with pytest.raises(Exception, match="blank"):
        client.predict(image=handle_file(blank), api_name="/diffusion_img2img")
    with pytest.raises(Exception, match="Nothing drawn"):
        client.predict(image=None, api_name="/diffusion_img2img")
    with pytest.raises(Exception, match="t_start must be a whole number in 0-999"):
        client.predict(image=handle_file(drawing), t_start=1000, api_name="/diffusion_img2img")
    with pytest.raises(Exception, match="label must be a digit 0-9"):
        client.predict(image=handle_file(drawing), label="x", api_name="/diffusion_img2img")


def test_unit_parse_label():
    from ui.diffusion_tab import parse_label
    assert [parse_label(v) for v in ("none", -1, "-1", 0, "7", 7.0)] == [None, None, None, 0, 7, 7]
    for bad in (10, -2, "", None, True, 1.5, "3.0", float("nan")):
        with pytest.raises(ValueError, match="label must be a digit 0-9"):
            parse_label(bad)


# ----------------------------------------------------------------------------- in the browser

def open_diffusion(page, app_url, query=""):
    page.set_default_timeout(120_000)          # generous: CI machines can be slow (not an assertion)
    page.goto(app_url + query)
    page.get_by_role("tab", name="Diffusion").click()


def test_forward_slider_moves_the_picture(page, app_url):
    open_diffusion(page, app_url)
    page.locator("#diffusion-forward-xt img").wait_for()
    before = picture(page, "diffusion-forward-xt")
    page.locator("#diffusion-forward-t [data-testid=number-input]").fill("800")
    page.locator("#diffusion-forward-t [data-testid=number-input]").press("Enter")
    shown = wait_for_new_picture(page, "diffusion-forward-xt", before)
    slider = page.locator("#diffusion-forward-t [data-testid=range-input]")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    wait_for_new_picture(page, "diffusion-forward-xt", shown)
    assert page.locator("#diffusion-forward-alpha-bar input").input_value() != ""


def test_a_run_streams_frames_then_replays(page, app_url, artifacts):
    open_diffusion(page, app_url)
    page.get_by_role("tab", name="② Reverse").click()
    steps_box = page.locator("#diffusion-steps [data-testid=number-input]")
    steps_box.fill(str(STEPS))
    steps_box.press("Enter")
    # Record every picture the x_t image shows while the run streams.
    page.evaluate("""() => {
        window.diffusionFrames = [];
        const root = document.querySelector('#diffusion-xt');
        new MutationObserver(() => {
            const img = root.querySelector('img');
            if (img && window.diffusionFrames.at(-1) !== img.src) window.diffusionFrames.push(img.src);
        }).observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    }""")
    page.locator("#diffusion-generate").click()
    page.wait_for_function(
        f"() => document.querySelector('#diffusion-status textarea').value.startsWith('step {STEPS}/{STEPS}')")
    frames = page.evaluate("window.diffusionFrames")
    page.wait_for_function("() => !document.querySelector('#diffusion-generate').disabled")   # ready again
    assert len(set(frames)) >= 3, f"only {len(set(frames))} distinct frames streamed"
    # Afterwards the slider replays stored steps and the GIF is offered.
    page.wait_for_function("() => { const b = document.querySelector('#diffusion-gif');"
                           " return b && !b.disabled && !b.querySelector('button:disabled'); }")
    scrub = page.locator("#diffusion-scrub [data-testid=range-input]")
    page.wait_for_function("() => !document.querySelector('#diffusion-scrub [data-testid=range-input]').disabled")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "diffusion.png"))
    last = page.locator("#diffusion-xt img").get_attribute("src")
    scrub.focus()
    for _ in range(STEPS - 2):
        scrub.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('#diffusion-status textarea').value.includes('(replay)')")
    assert page.locator("#diffusion-xt img").get_attribute("src") != last


def test_stop_keeps_what_was_computed(page, app_url, slow_engine):
    open_diffusion(page, app_url, "?tab=diffusion&dview=reverse&sampler=ddpm&steps=1000")
    page.wait_for_function(
        "() => document.querySelector('#diffusion-steps [data-testid=number-input]')?.value === '1000'")
    page.locator("#diffusion-generate").click()
    page.wait_for_function("() => document.querySelector('#diffusion-status textarea').value.startsWith('step ')")
    page.locator("#diffusion-stop").click()
    page.wait_for_function("() => document.querySelector('#diffusion-status textarea').value.endsWith(' (stopped)')")
    page.wait_for_function("() => !document.querySelector('#diffusion-scrub [data-testid=range-input]').disabled")
    status = page.locator("#diffusion-status textarea").input_value()
    shown, total = map(int, status.split()[1].rstrip(",").split("/"))
    stored = int(page.locator("#diffusion-scrub [data-testid=range-input]").get_attribute("max"))
    assert total == 1000
    assert 1 <= shown == stored < total, status     # stopped early; the replay holds every step shown
    # The run really ended: no later frame overwrites the stopped status (a live run shows ~20 a second).
    page.wait_for_timeout(500)
    assert page.locator("#diffusion-status textarea").input_value() == status


def test_a_link_restores_the_view_it_was_made_on(page, app_url):
    open_diffusion(page, app_url, "?tab=diffusion&dview=reverse&dseed=42&steps=12&sampler=ddpm")
    page.locator("#diffusion-generate").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#diffusion-seed input')?.value === '42'")
    assert page.locator("#diffusion-steps [data-testid=number-input]").input_value() == "12"
    page.get_by_role("tab", name="③ Side by side").click()
    page.get_by_role("button", name="Copy link to this view").click()
    link = page.locator("#diffusion-link textarea, #diffusion-link input").first
    page.wait_for_function("() => document.querySelector('#diffusion-link textarea, #diffusion-link input')"
                           ".value.includes('dview=compare')")
    assert "dseed=42" in link.input_value() and "steps=12" in link.input_value()
