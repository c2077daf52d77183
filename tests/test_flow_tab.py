"""The Flow matching tab: /flow_sample streams every step and ends on the package's sample,
/flow_few_steps draws both families at 1-20 steps, bad values are refused by name, and in the
page a run streams its three pictures, then replays."""

import re

import numpy as np
import pytest
from PIL import Image

from genai.flow import GUIDANCE
from ui import common


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def test_sample_streams_every_step_and_ends_on_the_package_sample(client):
    frames = list(client.submit(seed=2, label=7, steps=5, api_name="/flow_sample"))
    assert [f[4] for f in frames] == [1, 2, 3, 4, 5]                     # every step of a short run, in order
    assert [f[3] for f in frames] == [f"step {i}/5, t={(i - 1) / 5:.2f}" for i in range(1, 6)]
    x_t, x1, v, _, _ = frames[-1]
    expected = common.picture(common.model("flow").generate([7], seed=2, steps=5, guidance=GUIDANCE))
    assert np.array_equal(pixels(x_t), expected)
    # the last step's predicted end is where it landed; the velocity is not a flat grey
    assert np.abs(pixels(x1).astype(int) - expected).mean() < 2
    assert pixels(v).std() > 5
    assert not np.array_equal(pixels(frames[0][0]), expected)


def test_heun_and_euler_differ_and_each_repeats(client):
    def final(sampler):
        return pixels(client.predict(seed=1, label="3", steps=3, sampler=sampler, api_name="/flow_sample")[0])
    assert np.array_equal(final("heun"), final("heun"))
    assert not np.array_equal(final("heun"), final("euler"))


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=0), "steps must be a whole number in 1-200"),
    (dict(sampler="rk4"), "sampler must be one of euler, heun"),
    (dict(guidance=25), "guidance must be a number in 0-20"),
    (dict(label=12), "label must be a digit 0-9"),
    (dict(seed=-3), "seed must be a whole number"),
])
def test_sample_refuses_bad_values_by_name(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(**{"seed": 0, **kwargs}, api_name="/flow_sample")


def test_few_steps_draws_both_families_at_each_count(client):
    flow_row, diffusion_row = client.predict(seed=0, label="4", guidance=GUIDANCE, api_name="/flow_few_steps")
    assert [x["caption"] for x in flow_row] == \
        ["flow (Euler), 1 step", "flow (Euler), 2 steps", "flow (Euler), 4 steps", "flow (Euler), 8 steps",
         "flow (Euler), 20 steps"]
    assert [x["caption"] for x in diffusion_row][-1] == "diffusion (DDIM), 20 steps"
    flow_20 = pixels(flow_row[-1]["image"])
    assert np.array_equal(flow_20, common.picture(common.model("flow").generate([4], seed=0, steps=20)))


def test_browser_streams_a_run_then_replays_it(page, app_url, artifacts):
    from playwright.sync_api import expect
    page.set_default_timeout(120_000)
    page.goto(app_url + "?tab=flow&fsteps=6&fdigit=5")
    expect(page.locator("#flow-steps [data-testid=number-input]")).to_have_value("6")
    page.locator("#flow-generate").click()
    status = page.locator("#flow-status textarea")
    expect(status).to_have_value("step 6/6, t=0.83")
    for name in ("xt", "x1", "v"):
        expect(page.locator(f"#flow-{name} img")).to_be_visible()
    final = page.locator("#flow-xt img").get_attribute("src")
    scrub = page.locator("#flow-scrub [data-testid=range-input]")
    expect(scrub).to_be_enabled()
    scrub.focus()
    scrub.press("Home")
    expect(status).to_have_value("step 1/6, t=0.00 (replay)")
    assert page.locator("#flow-xt img").get_attribute("src") != final
    page.screenshot(path=str(artifacts / "flow.png"), full_page=False)


def test_browser_stop_says_stopped_and_keeps_the_steps_taken(page, app_url, monkeypatch):
    """Stop is live only during a run; pressed mid-run it ends the run, the status says so on the
    step the replay ends on, and Generate is back."""
    import time

    from playwright.sync_api import expect
    from ui import flow_tab
    engine = flow_tab.VIEW.engine()
    forward = engine.forward

    def slowed(*args):                        # a 200-step run surely still going when Stop is pressed
        time.sleep(0.03)
        return forward(*args)

    monkeypatch.setattr(engine, "forward", slowed)
    page.set_default_timeout(120_000)
    page.goto(app_url + "?tab=flow&fsteps=200")
    expect(page.locator("#flow-steps [data-testid=number-input]")).to_have_value("200")
    stop, status = page.locator("#flow-stop"), page.locator("#flow-status textarea")
    expect(stop).to_be_disabled()
    page.locator("#flow-generate").click()
    expect(status).to_have_value(re.compile(r"^step \d+/200"))
    stop.click()
    expect(status).to_have_value(re.compile(r"^step \d+/200, t=[\d.]+ \(stopped\)$"))
    expect(page.locator("#flow-generate")).to_be_enabled()
    expect(stop).to_be_disabled()
    shown = int(status.input_value().split()[1].split("/")[0])
    expect(page.locator("#flow-scrub [data-testid=range-input]")).to_have_attribute("max", str(shown))
