"""The 2-D playground tab through its public API (gradio_client) and in a real browser.

Until app.py mounts the tab, these tests serve it in a small Blocks of their own; once
app.py has `playground_tab.build()`, they test the real app instead."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from local_client import local_client

ROOT = Path(__file__).resolve().parent.parent
FRAME_STEPS = 25                       # the tab's default steps per frame


def mounted() -> bool:
    return "playground_tab.build()" in (ROOT / "app.py").read_text()


@pytest.fixture(scope="module")
def url(request):
    """The app's URL when it mounts the tab; else a Blocks with just this tab, in process."""
    if mounted():
        yield request.getfixturevalue("app_url")
        return
    import gradio as gr
    import torch
    from ui import playground_tab
    from ui.i18n import I18N
    torch.set_num_threads(1)           # as app.py does: tiny MLPs crawl when threads fight over 2 cores
    with gr.Blocks() as demo:
        with gr.Tabs():
            playground_tab.build()
    demo.queue(default_concurrency_limit=2)
    _, local_url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                                  i18n=I18N)
    yield local_url
    demo.close()


@pytest.fixture(scope="module")
def api(url):
    return local_client(url)


@pytest.fixture
def tab(browser, url):
    """A fresh 1280x720 page on the playground tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)          # generous: a busy 2-core machine (not an assertion)
    page.goto(url + "?tab=playground")
    page.get_by_role("tab", name="2-D playground").click()
    page.locator("#playground-gan img").wait_for()
    yield page
    context.close()


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# ----------------------------------------------------------------------------- /playground_step

def test_step_with_only_a_seed_trains_and_draws(api):
    picture, distance = api.predict(seed=3, api_name="/playground_step")
    assert pixels(picture).shape == (450, 300, 3)
    _, untrained = api.predict(seed=3, steps=0, api_name="/playground_step")
    assert isinstance(distance, float) and 0 < distance < 0.5 * untrained    # 200 steps at least halve it
    again, same = api.predict(seed=3, api_name="/playground_step")
    assert same == distance and np.array_equal(pixels(again), pixels(picture))


@pytest.mark.parametrize("family", ["gan", "vae", "diffusion", "flow"])
def test_training_brings_each_family_closer(api, family):
    _, before = api.predict("ring", family, 0, api_name="/playground_step")
    picture, after = api.predict("ring", family, 300, api_name="/playground_step")
    assert after < 0.5 * before                # measured on this seed: 1.1 -> 0.10 (GAN), 0.06 (VAE), 201 -> 0.05, 0.36 -> 0.035 (flow)
    assert pixels(picture).shape == (450, 300, 3)


def test_own_points_replace_the_preset(api):
    square = [[x, y] for x in (-1.0, 1.0) for y in (-1.0, 1.0)] * 5          # 20 points
    picture, distance = api.predict(family="vae", steps=20, points=square, api_name="/playground_step")
    assert pixels(picture).shape == (450, 300, 3) and distance > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"preset": "square"}, "preset must be one of moons, ring, spiral, gaussians, checkerboard"),
    ({"family": "rnn"}, "family must be one of gan, vae, diffusion, flow"),
    ({"steps": -1}, "steps must be a whole number in 0-3000"),
    ({"steps": 5000}, "steps must be a whole number in 0-3000"),
    ({"steps": 2.5}, "steps must be a whole number"),
    ({"lr": 0.0}, "learning rate must be a number in 0.0001 to 0.03"),
    ({"lr": 1.0}, "learning rate must be a number in 0.0001 to 0.03"),
    ({"lr": "fast"}, "learning rate must be a number"),
    ({"width": 8}, "width must be a whole number in 16-256"),
    ({"seed": -1}, "seed must be a whole number in 0-2147483647"),
    ({"seed": None}, "seed must be a whole number"),
    ({"points": [[0, 0]] * 3}, "need 10-2000 points to train on, got 3"),
    ({"points": [[0, 0]] * 2001}, "need 10-2000 points to train on, got 2001"),
    ({"points": [[0, 9]] * 20}, r"points must lie in \[-3, 3\]"),
    ({"points": [[0, 0, 0]] * 20}, r"points must have shape \(N, 2\)"),
    ({"points": "a circle"}, r"points must be a list of \[x, y\] pairs"),
])
def test_bad_values_are_named(api, kwargs, message):
    with pytest.raises(Exception, match=message):
        api.predict(**kwargs, api_name="/playground_step")


def test_nan_is_refused_by_the_handler():
    """JSON clients cannot send NaN; Python callers can."""
    import gradio as gr
    from ui import playground_tab
    for bad in (math.nan, math.inf):
        with pytest.raises(gr.Error, match="learning rate must be a number in 0.0001 to 0.03"):
            playground_tab.playground_step(lr=bad)
        with pytest.raises(gr.Error, match="steps must be a whole number"):
            playground_tab.playground_step(steps=bad)
        with pytest.raises(gr.Error, match="points contain NaN or infinity"):
            playground_tab.playground_step(points=[[0.0, bad]] * 10)


def test_only_the_step_endpoint_is_public(api):
    endpoints = api.view_api(print_info=False, return_format="dict")["named_endpoints"]
    mine = [name for name in endpoints if "playground" in name]
    assert mine == ["/playground_step"]
    names = [p["parameter_name"] for p in endpoints["/playground_step"]["parameters"]]
    assert names == ["preset", "family", "steps", "lr", "width", "seed", "points"]


# ----------------------------------------------------------------------------- in the browser

def step_shown(page) -> int:
    text = page.locator("#playground-status").inner_text()
    return int(re.search(r"Step (\d+)", text).group(1))


def wait_until_still(page) -> None:
    """Wait until the step count has stopped changing (a frame asked for before Pause may
    still arrive): the same value in four checks 0.5 s apart."""
    page.wait_for_function("""() => {
        const m = document.querySelector('#playground-status')?.innerText.match(/Step (\\d+)/);
        const now = m ? m[1] : null, w = window;
        if (now !== w.__lastStep) { w.__lastStep = now; w.__same = 0; return false; }
        return ++w.__same >= 4;
    }""", polling=500)


def test_play_pause_step(tab, artifacts):
    plot = tab.locator("#playground-plot img")
    gan = tab.locator("#playground-gan img")
    tab.wait_for_function("() => /Step 0\\b/.test(document.querySelector('#playground-status').innerText)")
    first = gan.get_attribute("src")
    tab.locator("#playground-play").click()
    # Training runs: the pictures change frame after frame.
    tab.wait_for_function("s => document.querySelector('#playground-gan img').src !== s", arg=first)
    second = plot.get_attribute("src")
    tab.wait_for_function("s => document.querySelector('#playground-plot img').src !== s", arg=second)
    tab.wait_for_function("() => /Step ([1-9]\\d{2,})/.test(document.querySelector('#playground-status').innerText)")
    tab.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(path=str(artifacts / "playground.png"))
    tab.locator("#playground-pause").click()
    wait_until_still(tab)
    paused = step_shown(tab)
    assert paused > 0
    shown = plot.get_attribute("src")
    tab.locator("#playground-step").click()
    tab.wait_for_function(f"() => /Step {paused + FRAME_STEPS}\\b/.test(document.querySelector('#playground-status').innerText)")
    tab.wait_for_function("s => document.querySelector('#playground-plot img').src !== s", arg=shown)
    wait_until_still(tab)
    assert step_shown(tab) == paused + FRAME_STEPS          # one frame, and nothing after it


def test_four_columns_and_unticked_families_wait(tab):
    tab.wait_for_function("() => /Step 0\\b/.test(document.querySelector('#playground-status').innerText)")
    columns = [tab.locator(f"#playground-{f} img") for f in ("gan", "vae", "diffusion", "flow")]
    for column in columns:
        column.wait_for()
    lefts = [column.bounding_box()["x"] for column in columns]
    assert lefts == sorted(lefts) and len(set(lefts)) == 4                     # side by side, in this order
    vae, flow = (tab.locator(f"#playground-{f} img").get_attribute("src") for f in ("vae", "flow"))
    for name in ("VAE", "Diffusion"):
        tab.locator("#playground-train").get_by_label(name, exact=True).uncheck()
    tab.locator("#playground-step").click()
    tab.wait_for_function(f"() => /GAN {FRAME_STEPS} · VAE 0 · Diffusion 0 · Flow {FRAME_STEPS}/.test("
                          "document.querySelector('#playground-status').innerText)")
    tab.wait_for_function("s => document.querySelector('#playground-flow img').src !== s", arg=flow)
    assert tab.locator("#playground-vae img").get_attribute("src") == vae     # not redrawn


def test_leaving_the_tab_pauses_training(tab):
    tab.wait_for_function("() => /Step 0\\b/.test(document.querySelector('#playground-status').innerText)")
    tab.locator("#playground-play").click()
    tab.wait_for_function("() => /Step [1-9]/.test(document.querySelector('#playground-status').innerText)")
    tab.get_by_role("tab", name="GAN", exact=True).click()
    tab.wait_for_timeout(1500)                              # a frame asked for before leaving may still land
    # (Gradio may list a tab twice, in the bar and in its overflow menu: the first is the bar's)
    tab.get_by_role("tab", name="2-D playground", exact=True).first.click()
    tab.locator("#playground-status").wait_for(state="visible")      # back on the playground
    wait_until_still(tab)
    left = step_shown(tab)
    tab.wait_for_timeout(2000)
    assert step_shown(tab) == left                          # nobody watching, nothing training


def test_clicking_the_data_adds_points(tab):
    data = tab.locator("#playground-data-image img")
    data.wait_for()
    before = data.get_attribute("src")
    count = int(re.search(r"(\d+) points", tab.locator("#playground-status").inner_text()).group(1))
    box = data.bounding_box()
    data.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.2})
    tab.wait_for_function("s => document.querySelector('#playground-data-image img').src !== s", arg=before)
    tab.wait_for_function(f"() => document.querySelector('#playground-status').innerText.includes('{count + 20} points')")
    assert "my points" in tab.locator("#playground-status").inner_text()
    assert tab.locator("#playground-data input").input_value().startswith("My points")


def test_clear_then_play_asks_for_points(tab):
    tab.locator("#playground-clear").click()
    tab.wait_for_function("() => document.querySelector('#playground-status').innerText.includes(' 0 points')")
    tab.locator("#playground-play").click()
    tab.get_by_text("Place at least 10 points first").first.wait_for()


@pytest.mark.skipif(not mounted(), reason="app.py restores links; it does not mount this tab yet")
def test_a_link_restores_the_playground(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url + "?tab=playground&data=ring&seed=5&width=32&spf=10")
    page.wait_for_function("() => document.querySelector('#playground-status')?.innerText.includes('ring')")
    assert page.locator("#playground-data input").input_value() == "Ring"
    assert page.locator("#playground-width [data-testid=number-input]").input_value() == "32"
    assert page.locator("#playground-frame-steps [data-testid=number-input]").input_value() == "10"
    context.close()


def test_a_bad_setting_pauses_instead_of_failing_every_tick():
    """A cleared seed box while playing: one warning and the timer stops (no error per tick)."""
    import gradio as gr
    from ui import playground_tab as tab
    lrs = [tab.LR_DEFAULTS[f] for f in tab.FAMILIES]
    state, *views = tab._choose_data(None, "ring", 32, 0, 150, None, *lrs)
    with pytest.warns(UserWarning, match="Paused: seed must be a whole number"):
        state, timer, *rest = tab._advance(state, "ring", 32, None, 150, 5, None, None, *lrs)
    assert isinstance(timer, gr.Timer) and timer.active is False
    with pytest.warns(UserWarning, match=r"Paused: need 4 learning rates \(gan, vae, diffusion, flow\), got 3"):
        state, timer, *rest = tab._advance(state, "ring", 32, 0, 150, 5, None, None, *lrs[:3])
    state, timer, status, *pictures = tab._advance(state, "ring", 32, 0, 150, 5, None, None, *lrs)
    assert "Step 5" in status and len(pictures) == 6                 # data, four families, distance plot


def test_the_vae_latent_views_zoom_out_to_hold_the_prior():
    import numpy as np
    from ui import playground_tab as tab
    ones = np.ones((4, 2))
    assert tab._latent_span(np.zeros((4, 2)), ones) == 3                         # reach 2: the first span
    assert tab._latent_span(np.array([[5.0, 0.0]]), 0.5 * ones[:1]) == 6           # reach 6
    assert tab._latent_span(np.array([[1e6, 0.0]]), ones[:1]) == tab.LATENT_SPANS[-1]
    assert tab._latent_span(np.array([[np.nan, 0.0]]), ones[:1]) == 3              # a diverged model


def test_only_ticked_families_train_and_are_redrawn():
    from ui import playground_tab as tab
    lrs = [tab.LR_DEFAULTS[f] for f in tab.FAMILIES]
    state, *_ = tab._choose_data(None, "ring", 32, 0, 150, None, *lrs)
    state, timer, status, data, *pictures, plot = tab._advance(state, "ring", 32, 0, 150, 5, ["vae", "flow"], None, *lrs)
    assert {f: run.step for f, run in state["runs"].items()} == {"gan": 0, "vae": 5, "diffusion": 0, "flow": 5}
    assert status.startswith("**Steps** GAN 0 · VAE 5 · Diffusion 0 · Flow 5")
    assert [isinstance(p, dict) for p in pictures] == [True, False, True, False]   # gr.update(): kept as they are
    state, timer, status, *_ = tab._advance(state, "ring", 32, 0, 150, 5, None, None, *lrs)    # None: all of them
    assert "GAN 5 · VAE 10 · Diffusion 5 · Flow 10" in status
    with pytest.warns(UserWarning, match="Paused: families to train must be a list of gan, vae, diffusion, flow"):
        state, timer, *_ = tab._advance(state, "ring", 32, 0, 150, 5, ["rnn"], None, *lrs)
    assert timer.active is False


def test_drawing_survives_a_diverged_model():
    """NaN weights (too high a learning rate): every picture is still drawn, the distance is NaN."""
    import torch
    from ui import playground_tab as tab
    state, *_ = tab._choose_data(None, "moons", 32, 0, 150, None, *(tab.LR_DEFAULTS[f] for f in tab.FAMILIES))
    for run in state["runs"].values():
        for p in run.model.parameters():
            p.data.fill_(float("nan"))
    status, data, *pictures, plot = tab._render(state, 150)
    assert [p.shape for p in pictures] == [(450, 300, 3)] * 4 and plot.shape == (150, 300, 3)
    assert all(math.isnan(run.history[-1][1]) for run in state["runs"].values())
    assert torch.isnan(state["runs"]["gan"].model.sample(3)).all()
