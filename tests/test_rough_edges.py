"""What a student touches, in a real browser (issue 16): plot legends that can be read, seeds
typed too large, status words that tell the truth, drawing pads that draw.

One page serves the whole module: each test leaves it where the next can start.
"""

import re

import pytest

SLOW = 60_000


@pytest.fixture(scope="module")
def tab(browser, app_url):
    """One English page at 1280x720 for every test here."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(app_url + "?tab=gan")
    page.locator("#gan-image img").wait_for()
    yield page
    context.close()


def legend_outside(page, plot: str) -> list:
    """The legend entries of the plot `plot` that lie (partly) outside its block, which hides
    them; fails when the plot has no legend entries at all."""
    entries = page.locator(f"{plot} .role-legend-label text")
    entries.first.wait_for(state="attached")
    return page.evaluate("""(plot) => {
        const block = document.querySelector(plot).getBoundingClientRect();
        return Array.from(document.querySelectorAll(`${plot} .role-legend-label text`)).filter((text) => {
            const r = text.getBoundingClientRect();
            return r.top < block.top || r.bottom > block.bottom || r.left < block.left || r.right > block.right;
        }).map((text) => text.textContent);
    }""", plot)


def draw_stroke(page, pad: str, x0=0.5, x1=0.5) -> None:
    """One downward stroke on the pad, without touching its toolbar first."""
    canvas = page.locator(f"{pad} canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + x0 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + x1 * box["width"], box["y"] + 0.8 * box["height"], steps=4)
    page.mouse.up()


def test_a_seed_typed_too_large_is_corrected_in_the_box_in_the_pages_words(tab):
    from playwright.sync_api import expect
    box = tab.locator("#gan-seed input")
    box.fill("100000000000000000000")
    expect(box).to_have_value("2147483647")
    note = tab.locator("#gan-seed .genai-range-note")
    expect(note).to_contain_text("Allowed: 0 to 2147483647")
    expect(note).to_contain_text("100000000000000000000")
    tab.locator("#language").get_by_text("中文").click()
    box.fill("-5")
    box.press("Tab")
    expect(box).to_have_value("0")
    expect(note).to_contain_text("允许范围：0 到 2147483647")
    tab.wait_for_timeout(1500)              # an answer from the server would have come by now
    assert tab.locator("[data-testid=toast-body]").count() == 0, tab.locator("[data-testid=toast-body]").all_inner_texts()
    tab.locator("#language").get_by_text("English").click()


def test_the_critics_pad_draws_at_once_and_again_after_clear_canvas(tab):
    from playwright.sync_api import expect
    verdict = tab.locator("#gan-sketch-verdict")
    draw_stroke(tab, "#gan-sketch")                          # no click on the brush first
    expect(verdict).to_contain_text("your drawing")
    tab.locator("#gan-sketch button[aria-label='Clear canvas']").click()
    expect(verdict).to_contain_text("Draw a digit")
    draw_stroke(tab, "#gan-sketch", 0.3, 0.6)
    expect(verdict).to_contain_text("your drawing")
    assert "Layer 1" not in tab.locator("#gan-sketch").inner_text()


def test_the_fine_tune_pad_is_empty_after_add_example(tab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
    tab.locator("#gan-ft").get_by_text("Fine-tune: teach it your handwriting").first.click()
    expect(tab.locator("#gan-ft-clear")).to_have_text("Clear examples")
    draw_stroke(tab, "#gan-ft-pad")
    progress = tab.locator("#gan-ft-progress")
    for _ in range(20):          # the stroke uploads in the background: until then, "Nothing drawn yet"
        tab.locator("#gan-ft-add").click()
        try:
            progress.get_by_text("1 example").wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            pass
    expect(progress).to_contain_text("1 example")
    tab.locator("#gan-ft-add").click()                       # the pad was emptied: nothing to add
    expect(tab.locator("[data-testid=toast-body]").last).to_contain_text("Nothing drawn yet")
    expect(progress).to_contain_text("1 example")
    tab.locator("[data-testid=toast-close]").first.click()


def test_a_fine_tune_ended_by_the_time_cap_says_so_and_its_legend_shows(tab):
    from playwright.sync_api import expect
    tab.locator("#gan-ft-source").get_by_text("Built-in digits").click()
    tab.locator("#gan-ft-steps [data-testid=number-input]").fill("1000")
    tab.locator("#gan-ft-seconds [data-testid=number-input]").fill("1")
    tab.locator("#gan-ft-start").click()
    progress = tab.locator("#gan-ft-progress")
    expect(progress).to_contain_text("Time's up: the 1 s time cap", timeout=120_000)
    expect(progress).not_to_contain_text("Stopped")
    assert legend_outside(tab, "#gan-ft-plot") == []


def test_the_training_replays_legend_is_inside_its_plot(tab):
    tab.get_by_role("tab", name="Compare & learn").click()
    assert legend_outside(tab, "#compare-plot") == []



def labels_cut_or_covering(page, scope: str) -> list:
    """The visible picture labels under `scope` that are cut short or lie over their picture,
    once the page has settled (pictures still loading move for a moment)."""
    for _ in range(40):
        found = _labels_cut_or_covering(page, scope)
        if not found:
            return found
        page.wait_for_timeout(250)
    return found


def _labels_cut_or_covering(page, scope: str) -> list:
    return page.evaluate("""(scope) => Array.from(document.querySelectorAll(
            scope.split(",").map((s) => `${s} label.float`).join(",")))
        .filter((label) => label.offsetParent !== null).filter((label) => {
            const r = label.getBoundingClientRect();
            const img = label.parentElement.querySelector("img");
            const covers = img && img.offsetParent !== null && r.bottom > img.getBoundingClientRect().top + 1;
            const cut = Array.from(label.querySelectorAll("*")).concat([label])
                .some((e) => e.scrollWidth > e.clientWidth + 1);
            return covers || cut;
        }).map((label) => label.textContent.trim())""", scope)


def test_picture_labels_are_whole_and_above_their_pictures(tab):
    tab.get_by_role("tab", name="GAN").click()
    tab.locator("#gan-neighbours img").wait_for()
    assert labels_cut_or_covering(tab, "#gan-image,#gan-neighbours,#gan-sketch") == []
    tab.get_by_role("tab", name="Diffusion").click()
    tab.get_by_role("tab", name="② Reverse: noise → digit").click()
    tab.get_by_text("predicted x₀: the U-Net's guess of the end").first.wait_for()
    assert labels_cut_or_covering(tab, "body") == []


def test_the_vae_pair_preset_keeps_the_first_picture(tab):
    from playwright.sync_api import expect
    tab.get_by_role("tab", name="VAE").click()
    draw_stroke(tab, "#vae-draw")
    recon = tab.locator("#vae-recon img")
    recon.wait_for()
    before = recon.get_attribute("src")
    tab.get_by_role("button", name="1 → 7").click()
    expect(tab.locator("#vae-strip img")).to_be_visible()
    tab.wait_for_timeout(1000)                 # a replaced first picture would have arrived with the strip
    assert recon.get_attribute("src") == before


def test_compare_has_a_how_it_works_panel_with_readable_code(tab):
    tab.get_by_role("tab", name="Compare & learn").click()
    tab.locator("#compare-explain").get_by_text("How it works").click()
    code = tab.locator("#compare-explain .explain-code .cm-content").first
    code.wait_for()
    sizes = tab.evaluate("""() => Array.from(document.querySelectorAll('#compare-explain .explain-code .cm-scroller'))
        .map((e) => [parseFloat(getComputedStyle(e.querySelector('.cm-line') || e).fontSize), e.scrollWidth - e.clientWidth])""")
    assert sizes and all(size >= 14 and overflow <= 1 for size, overflow in sizes), sizes


def test_first_use_is_built_at_start_and_a_failing_task_does_not_stop_it():
    import app
    from ui import common
    assert common.warm_up([lambda: 1 / 0, dict]) == ["<lambda>"]
    thread = app.warm_up_in_background()
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert common.warm_up(app.FIRST_USE) == []                 # everything it names exists and runs
    assert common.model.cache_info().currsize >= 5


def test_the_gan_link_carries_the_walk_and_the_language(tab, app_url):
    from playwright.sync_api import expect
    tab.goto(app_url + "?tab=gan")
    tab.locator("#gan-image img").wait_for()
    tab.locator("#gan-frames [data-testid=number-input]").fill("12")
    tab.locator("#gan-mode").get_by_text("linear").click()
    tab.locator("#gan-seed-b input").fill("77")
    tab.locator("#language").get_by_text("中文").click()
    tab.locator("button:visible", has_text="🔗").first.click()
    box = tab.locator("#gan-link textarea, #gan-link input").first
    expect(box).to_have_value(re.compile(r"frames=12"))
    link = box.input_value()
    assert "path=linear" in link and "seed_b=77" in link and "lang=zh-CN" in link, link
    tab.evaluate("localStorage.clear()")           # the link alone must bring the language back
    tab.goto(link.replace("frames=12", "frames=13"))
    expect(tab.locator("#gan-frames [data-testid=number-input]")).to_have_value("13")
    expect(tab.locator("#gan-mode input[value=linear]")).to_be_checked()
    expect(tab.locator("button[role=tab][data-tab-id=diffusion]")).to_have_text("扩散模型")
    tab.evaluate("localStorage.clear()")


def test_compare_has_presets_that_set_its_widgets(tab, app_url):
    from playwright.sync_api import expect
    tab.goto(app_url)
    tab.get_by_role("tab", name="Compare & learn").click()
    tab.get_by_role("button", name="3 steps: diffusion blurs, flow still draws").click()
    expect(tab.locator("#compare-steps [data-testid=number-input]")).to_have_value("3")
    expect(tab.locator("#compare-digit input[value='7']")).to_be_checked()


def copied_link(page, tab_id: str) -> str:
    """Press the visible 🔗 button and read the link it makes for tab `tab_id`."""
    from playwright.sync_api import expect
    page.locator("button:visible", has_text="🔗").first.click()
    box = page.locator(f"#{tab_id}-link textarea, #{tab_id}-link input").first
    expect(box).to_have_value(re.compile(r"^http"))
    return box.input_value()


def test_the_diffusion_views_and_the_playground_have_presets_that_set_show_and_link(tab, app_url):
    from playwright.sync_api import expect
    tab.goto(app_url + "?tab=diffusion")
    tab.get_by_role("button", name="a 3 at t = 300: half hidden (ᾱ ≈ 0.4)").click()          # ① forward
    expect(tab.locator("#diffusion-forward-t [data-testid=number-input]")).to_have_value("300")
    expect(tab.locator("#diffusion-forward-alpha-bar input")).to_have_value(re.compile(r"^0\.39"))
    tab.get_by_role("tab", name="③ Side by side").click()
    tab.get_by_role("button", name="only 10 steps: DDPM falls behind").click()
    expect(tab.locator("#diffusion-compare-steps [data-testid=number-input]")).to_have_value("10")
    expect(tab.locator("#diffusion-compare-samplers img")).to_have_count(3, timeout=SLOW)
    link = copied_link(tab, "diffusion")
    assert "dview=compare" in link and "csteps=10" in link and "cdigit=8" in link, link
    tab.get_by_role("tab", name="④ Image to image").click()
    tab.get_by_role("button", name="a 3 turned into an 8 (t = 600)").click()
    expect(tab.locator("#diffusion-t-start [data-testid=number-input]")).to_have_value("600")
    expect(tab.locator("#diffusion-img2img-result img")).to_be_visible(timeout=SLOW)
    tab.get_by_role("tab", name="2-D playground").click()
    expect(tab.locator("#playground-status")).to_contain_text("Step 0")      # the tab's first view, then the preset
    tab.get_by_role("button", name="a rare cluster (10%): who finds it?").click()
    expect(tab.locator("#playground-status")).to_contain_text("imbalanced")
    tab.get_by_role("button", name="GAN learning rate 0.03: too high").click()
    expect(tab.locator("#playground-lr-gan input")).to_have_value("0.03")
    expect(tab.locator("#playground-status")).to_contain_text(re.compile(r"Step [1-9]"), timeout=SLOW)   # it plays
    tab.locator("#playground-pause").click()
    assert "lr_gan=0.03" in copied_link(tab, "playground")
