"""A visitor's fine-tuned model in the tabs' own views (issue 16, item 3): the switch turns on when
a fine-tune ends, the views draw with that model, the switch goes back, and nobody else sees it;
a step-wise run of a tuned model runs alone, frame for frame the tuned model's own sampler."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from genai.gan import TRUNCATION, interpolate
from genai.vae import decode_latents
from ui import common, diffusion_tab, finetune, gan_tab, stepwise, vae_tab

SLOW = 120_000      # ms: an upper bound for a busy 2-core machine, not a speed requirement

# The 28x28 digit block `id` shows: the page's canvas while the page draws it, else the server's
# picture (224 px, every model pixel an 8x8 square: sampled at the squares' centres).
SHOWN_JS = """(id) => {
    const block = document.getElementById(id);
    const canvas = block?.querySelector('canvas.genai-live'), img = block?.querySelector('img');
    const source = canvas || img;
    if (!source || (!canvas && !(img.complete && img.naturalWidth))) return null;
    const out = document.createElement('canvas');
    out.width = out.height = 28;
    const ctx = out.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(source, 0, 0, 28, 28);
    return Array.from(ctx.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)).join(',');
}"""


def as_text(digit: np.ndarray) -> str:
    return ",".join(str(v) for v in digit.ravel())


def wait_shown(page, elem_id: str, expected: str | None = None, other_than: str | None = None) -> str:
    """Wait until block `elem_id` shows `expected` (or anything but `other_than`); returns what it shows."""
    page.wait_for_function(f"""([id, expected, other]) => {{
        const shown = ({SHOWN_JS})(id);
        return shown !== null && (expected === null || shown === expected) && (other === null || shown !== other);
    }}""", arg=[elem_id, expected, other_than], timeout=SLOW)
    return page.evaluate(SHOWN_JS, elem_id)


def open_gan_at_digit_1(page, url):
    page.set_default_timeout(SLOW)
    page.goto(url)
    page.get_by_role("tab", name="GAN").click()
    page.locator("#gan-image img").wait_for()
    page.locator("#gan-digit input[value='1']").check()


def test_the_gan_tab_draws_your_fine_tuned_model_and_no_one_elses(browser, app_url, artifacts):
    from playwright.sync_api import expect
    shipped = as_text(gan_tab._digit(42, 1, TRUNCATION))          # seed 42, digit 1, the default ψ
    yours_label = "G(z, y) · ★ your fine-tuned model"
    alice = browser.new_context(viewport={"width": 1280, "height": 720})
    page = alice.new_page()
    try:
        open_gan_at_digit_1(page, app_url)
        wait_shown(page, "gan-image", shipped)
        switch = page.locator("#gan-model")
        expect(switch.locator("input[value='yours']")).to_be_disabled()

        # A short fine-tune: built-in 7s teach class 1.
        page.locator("#gan-ft").get_by_text("Fine-tune: teach it your handwriting").click()
        page.locator("#gan-ft-source input[value='builtin']").check()
        page.locator("#gan-ft-steps [data-testid=number-input]").fill("5")
        page.locator("#gan-ft-start").click()
        expect(page.locator("#gan-ft-progress")).to_contain_text("Done", timeout=SLOW)

        # The switch turns on by itself; the main picture is the tuned model's, and says so.
        expect(switch.locator("input[value='yours']")).to_be_checked(timeout=SLOW)
        expect(switch.locator("input[value='yours']")).to_be_enabled()
        expect(page.locator("#gan-image")).to_contain_text(yours_label, timeout=SLOW)
        wait_shown(page, "gan-image", other_than=shipped)
        assert page.locator("#gan-image canvas.genai-live").count() == 0     # the page's shipped model stepped aside
        page.locator("#gan-image").screenshot(path=str(artifacts / "gan-your-model.png"))

        # Back to the shipped model: its picture again, unmarked.
        switch.get_by_text("shipped", exact=True).click()
        wait_shown(page, "gan-image", shipped)
        expect(page.locator("#gan-image")).not_to_contain_text(yours_label, timeout=SLOW)

        # Another visitor, at the same time, sees only the shipped model.
        bob = browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            other = bob.new_page()
            open_gan_at_digit_1(other, app_url)
            wait_shown(other, "gan-image", shipped)
            expect(other.locator("#gan-model input[value='yours']")).to_be_disabled()
            expect(other.locator("#gan-model input[value='shipped']")).to_be_checked()
        finally:
            bob.close()
    finally:
        alice.close()


def nudged(family: str) -> torch.nn.Module:
    """The shipped model with every weight nudged: a stand-in for a visitor's fine-tune."""
    g = torch.Generator().manual_seed(0)
    weights = {k: v + 0.02 * torch.randn(v.shape, generator=g) if v.is_floating_point() else v.clone()
               for k, v in common.model(family).state_dict().items()}
    return finetune._build(family, weights)


def test_the_gan_handlers_draw_with_the_model_the_switch_chose():
    tuned = nudged("gan")
    session, settings = finetune.Session(model=tuned), (42, 1, TRUNCATION, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    shipped = gan_tab._show_all(*settings)
    assert gan_tab._show_all(*settings, session, finetune.SHIPPED)[0].tobytes() == shipped[0].tobytes()
    image, verdict, neighbours = gan_tab._show_all(*settings, session, finetune.YOURS)
    assert not np.array_equal(image, shipped[0]) and not np.array_equal(neighbours, shipped[2])
    assert np.array_equal(image, common.picture(tuned.generate([1], seed=42, truncation=TRUNCATION)[0]))
    strip, _ = gan_tab._walk_page(42, 43, 1, 4, "spherical", "same", TRUNCATION, session, finetune.YOURS)
    assert np.array_equal(strip, common.picture(interpolate(tuned, 42, 43, 1, 1, 4, "spherical", TRUNCATION),
                                                scale=4, cols=4))
    # After a preset: redrawn with the visitor's model; with none, the preset's own pictures stay.
    assert np.array_equal(gan_tab._show_tuned_preset(*settings, session, finetune.YOURS)[0], image)
    assert not any(isinstance(v, np.ndarray) for v in gan_tab._show_tuned_preset(*settings, None, finetune.YOURS))


def test_the_vae_sliders_decode_with_the_model_the_switch_chose():
    tuned = nudged("vae")
    session, z = finetune.Session(model=tuned), vae_tab.prior_code(0)
    shipped = vae_tab.show_code_page(*z, session, finetune.SHIPPED)
    yours = vae_tab.show_code_page(*z, session, finetune.YOURS)
    assert np.array_equal(shipped, vae_tab.show_code(*z)) and not np.array_equal(yours, shipped)
    assert np.array_equal(yours, common.picture(decode_latents(tuned, list(z))))


# ----------------------------------------------------------------------------- step-wise runs

def run_page(session, choice, seed=2, label="3", steps=4):
    """Drain the Diffusion tab's page handler: (its first update, its last update). In a thread of
    its own: the browser tests' Playwright keeps an event loop running in this one."""
    async def drain():
        updates = [u async for u in diffusion_tab.sample_live(seed, label, steps, "ddim", 0.0, 1.5, session, choice)]
        return updates[0], updates[-1]
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, drain()).result()


def test_a_diffusion_run_with_your_model_is_your_models_own_and_runs_alone():
    tuned, shared = nudged("diffusion"), diffusion_tab.VIEW.engine()
    session = finetune.Session(model=tuned)
    ticks = shared.ticks
    first, last = run_page(session, finetune.YOURS)
    run = first[-2]                             # the first update: labels, status, scrubber, run, Stop
    assert run["yours"] and run["job"].engine is not shared and shared.ticks == ticks     # not in the batch
    expected = [diffusion_tab._keep(step) for step in tuned.sample_steps([3], seed=2, steps=4, sampler="ddim",
                                                                         eta=0.0, guidance=1.5)]
    assert len(run["frames"]) == 4
    for got, want in zip(run["frames"], expected):
        assert all(np.array_equal(a, b) for a, b in zip(got, want))
    assert last[:2] == tuple(stepwise.frame_html(p) for p in expected[-1])           # what the page was sent
    assert last[2].startswith("your model · step 4/4")
    assert [str(update.label) for update in first[:2]] == [str(label) for label in diffusion_tab.LABELS_YOURS]

    # The same settings with the switch on "shipped": the shipped model's pictures, in the shared batch.
    first, _ = run_page(session, finetune.SHIPPED)
    shipped = first[-2]
    assert not shipped["yours"] and shipped["job"].engine is shared
    shared.drain(shipped["job"])
    assert not np.array_equal(shipped["frames"][-1][0], run["frames"][-1][0])


def test_flipping_the_switch_in_the_flow_tab_runs_again_with_the_model_chosen(browser, app_url):
    """The stepwise tabs (flow shown; diffusion shares ui/stepwise.run_again_on_flip): a flip
    presses ▶ Generate, as the GAN and VAE views redraw at once."""
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(SLOW)
    try:
        page.goto(f"{app_url}?tab=flow&fsteps=3")
        expect(page.locator("#flow-steps [data-testid=number-input]")).to_have_value("3")
        page.locator("#flow-ft").get_by_text("Fine-tune: teach it your handwriting").click()
        page.locator("#flow-ft-source input[value='builtin']").check()
        page.locator("#flow-ft-steps [data-testid=number-input]").fill("5")
        page.locator("#flow-ft-start").click()
        expect(page.locator("#flow-ft-progress")).to_contain_text("Done", timeout=SLOW)
        switch = page.locator("#flow-model")
        expect(switch.locator("input[value='yours']")).to_be_checked(timeout=SLOW)
        status = page.locator("#flow-status textarea")
        expect(status).to_have_value("press ▶ Generate")             # a fine-tune ending starts no run

        switch.get_by_text("shipped", exact=True).click()
        expect(status).to_have_value(re.compile(r"^step 3/3"), timeout=SLOW)           # ran, shipped, unpressed
        switch.get_by_text("★ your fine-tuned", exact=False).click()
        expect(status).to_have_value(re.compile(r"^your model · step 3/3"), timeout=SLOW)
    finally:
        context.close()
