"""The Lesson tab: every step in both languages, on a projector (1280x720) and a phone (390x844),
opens its view and answers its question; the join card's QR code; the first GAN trains live;
every tab fits a phone, where a slider drags and the sketchpad draws by touch."""

import copy
import re

import gradio as gr
import pytest

from ui import lesson_tab

# ----------------------------------------------------------------------------- without a browser


def test_every_step_has_two_languages_one_right_answer_and_a_valid_view():
    assert 7 <= len(lesson_tab.STEPS) <= 10
    tabs = {"gan", "vae", "diffusion", "compare", "playground"}
    for step in lesson_tab.STEPS:
        for en, zh in (step.title, step.text, step.question, step.why):
            assert en.strip() and re.search(r"[\u4e00-\u9fff]", zh), step.key
        assert sum(c.right for c in step.choices) == 1, step.key
        assert not step.view or step.view["tab"] in tabs, step.key


def test_the_views_are_valid_links():
    """Each step's link sets only widgets its tab exposes to links, with values they accept."""
    import app  # noqa: F401  (builds the tabs)
    from ui.links import parse_query_value
    built = {tab.id: tab for tab in _built_tabs()}
    for step in lesson_tab.STEPS:
        for key, raw in step.view.items():
            if key == "tab":
                continue
            component = built[step.view["tab"]].url_fields[key]
            assert parse_query_value(component, raw) is not None, (step.key, key, raw)


def _built_tabs():
    import app
    return [tab for tab in app.built]


def test_the_collapse_steps_numbers_are_what_its_view_measures():
    """The step quotes the Compare view it opens (the failure mode, its digit, the default seed
    and count): both numbers, in both languages, must be the ones that view shows."""
    from ui import compare_tab
    step = next(s for s in lesson_tab.STEPS if s.key == "collapse")
    numbers = compare_tab.failure_mode(step.view["cmode"], int(step.view["cdigit"]))[-1]
    measured = [f"{numbers[which]['pixel_diversity']:.2f}" for which in ("healthy", "failed")]
    for text in step.why:
        assert re.findall(r"0\.\d\d", text) == measured, (text, measured)


def test_join_qr_makes_an_svg_and_checks_the_address():
    svg = lesson_tab.join_qr("https://someone-genai.hf.space/?step=3")
    assert svg.startswith("<svg") and "viewBox" in svg
    for bad in ("javascript:alert(1)", "ftp://x/", 3, None, "https://", "http://" + "a" * 400):
        with pytest.raises(ValueError, match="http:// or https://|must name a host"):
            lesson_tab.join_qr(bad)


def test_faults_table_in_both_languages():
    english = lesson_tab.show_faults()
    assert "UnboundLocalError" in english and "NameError" in english and english.count("\n| ") == 7
    chinese = lesson_tab.show_faults(gr.Request(headers={"cookie": "genai-locale=zh-CN"}))
    assert "运行后发生了什么" in chinese and "UnboundLocalError" in chinese


def test_class_histogram_of_unconditional_samples(monkeypatch):
    monkeypatch.setattr(lesson_tab, "HIST_N", {"vae": 20, "diffusion": 4})
    monkeypatch.setattr(lesson_tab, "HIST_STEPS", 2)
    lesson_tab._class_shares.cache_clear()
    try:
        shares = lesson_tab._class_shares()
        for name in ("data", "vae", "diffusion"):
            assert shares[name].shape == (10,) and abs(shares[name].sum() - 1) < 1e-9
        assert abs(shares["data"] - 0.1).max() < 0.02                  # the digits come 500 a class
        table = lesson_tab.count_classes()
        assert table.count("\n| ") == 3 and "Furthest from the data" in table      # 3 rows under the header
    finally:
        lesson_tab._class_shares.cache_clear()


def test_one_training_per_page():
    with pytest.raises(gr.Error, match="already training"):
        next(lesson_tab.train_first_gan({"running": True}))
    with pytest.raises(gr.Error, match="seconds must be a number in 1-"):
        next(lesson_tab.train_first_gan({}, seconds=10_000))


def test_stop_ends_the_first_gan_with_a_last_message_from_its_own_stream():
    """Stop only raises a flag; the run's stream then says it stopped, last, and ends (no second
    writer of the status to race it). A Stop pressed before Train's next press is forgotten."""
    session = {}
    lesson_tab.stop_first_gan(session)                  # a Stop left over from an earlier run...
    lesson_tab.arm_first_gan(session)                   # ...is cleared when Train is pressed
    run = lesson_tab.train_first_gan(session, seconds=20)
    *_, status = next(run)
    assert status.startswith("step ")
    lesson_tab.stop_first_gan(session)
    *_, status = next(run)
    assert re.fullmatch(r"Stopped at step \d+, after \d+ s\.", status), status
    assert list(run) == [] and not session["running"]


def test_a_page_that_leaves_stops_its_first_gan():
    """Freeing a closed page's state (ui.sessions runs each gr.State's delete_callback) stops its
    run at the next report, instead of training for nobody until the cap."""
    with gr.Blocks() as panel:
        lesson_tab._first_gan_panel()
    (state,) = [block for block in panel.blocks.values() if isinstance(block, gr.State)]
    session = copy.deepcopy(state.value)        # what Gradio gives each new session
    lesson_tab.arm_first_gan(session)
    run = lesson_tab.train_first_gan(session, seconds=20)
    next(run)
    state.delete_callback(session)
    *_, (*_, status) = run
    assert status.startswith("Stopped at step ") and not session["running"], status


# ----------------------------------------------------------------------------- in a browser

SLOW = 90_000       # ms: a bound for a busy 2-core machine, not a speed requirement
# How each step's view shows that it opened: the widget its link set.
OPENED = {
    1: ("#compare-digit input[value='6']", "checked"),
    2: ("#gan-trunc input[type=number]", "0"),
    3: ("#compare-digit input[value='3']", "checked"),
    4: ("#vae-x input[type=number]", "0.8"),
    5: ("#diffusion-forward-t input[type=number]", "500"),
    6: ("#diffusion-compare", "visible"),
    7: ("#compare-digit input[value='5']", "checked"),
    8: ("#playground-data input", {"en": "Imbalanced: a rare cluster with 10%", "zh-CN": "不均衡：一个只占 10% 的稀有簇"}),
}
RIGHT = {"en": "Right.", "zh-CN": "答对了"}
SIZES = {"projector": {"viewport": {"width": 1280, "height": 720}},
         "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}}


def _context(browser, size, lang):
    context = browser.new_context(locale=lang, **SIZES[size])
    page = context.new_page()
    page.set_default_timeout(SLOW)
    return context, page


def _fits(page):
    """Nothing makes the page scroll sideways."""
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner)


# Every step's view opens in English on a projector and in Chinese on a phone (both sizes, both
# languages); the other two walks check the steps and questions only, which need no server.
WALKS = [("en", "projector", True), ("zh-CN", "phone", True), ("zh-CN", "projector", False), ("en", "phone", False)]


@pytest.mark.parametrize("lang,size,open_views", WALKS)
def test_walk_the_whole_lesson(browser, app_url, artifacts, lang, size, open_views):
    from playwright.sync_api import expect
    context, page = _context(browser, size, lang)
    try:
        page.goto(f"{app_url}?lang={lang}")
        n = len(lesson_tab.STEPS)
        for number in range(1, n + 1):
            step = page.locator(f"#lesson-step-{number}")
            expect(step).to_be_visible()
            expect(page.locator(f"#lesson-step-{number % n + 1}")).to_be_hidden()     # one step at a time
            expect(page.locator(".lesson-count")).to_have_text(f"{number} / {n}")
            _fits(page)
            question = page.locator(f"#lesson-q{number}")
            question.locator("label", has=page.locator("input[data-right='0']")).first.click()
            expect(question.locator("[data-verdict=wrong]")).to_be_visible()
            question.locator("label", has=page.locator("input[data-right='1']")).click()
            expect(question.locator("[data-verdict=right]")).to_contain_text(RIGHT[lang])
            expect(question.locator("[data-verdict=wrong]")).to_be_hidden()
            if number == 2 and size == "projector":
                page.screenshot(path=str(artifacts / f"lesson-{lang}.png"))
            if open_views and number in OPENED:
                page.locator(f"#lesson-open-{number}").click()
                selector, want = OPENED[number]
                target = page.locator(selector)
                if want == "checked":
                    expect(target).to_be_checked()
                elif want == "visible":
                    expect(target).to_be_visible()
                else:
                    expect(target).to_have_value(want[lang] if isinstance(want, dict) else want)
                _fits(page)
                page.locator("button[role=tab][data-tab-id=lesson]").click()
            page.locator(".lesson-next").click()
        expect(page.locator(f"#lesson-step-{n}")).to_be_visible()                  # next stops at the end
        assert page.url.endswith(f"?lang={lang}&tab=lesson&step={n}") or f"step={n}" in page.url
    finally:
        context.close()


def test_a_link_opens_a_step_in_presenter_mode_with_a_join_card(browser, app_url, artifacts):
    from playwright.sync_api import expect
    context, page = _context(browser, "projector", "en")
    try:
        page.goto(f"{app_url}?tab=lesson&step=5&present=1")
        expect(page.locator("#lesson-step-5")).to_be_visible()
        expect(page.locator("#app-header")).to_be_hidden()                        # presenter: controls hidden
        expect(page.locator(".lesson-links")).to_be_hidden()
        size = page.locator("#lesson-step-5 .lesson-text p").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24                                                         # large type
        page.keyboard.press("PageDown")                                           # a presenter's clicker
        expect(page.locator("#lesson-step-6")).to_be_visible()
        page.locator(".lesson-join-open").click()
        expect(page.locator(".lesson-join-qr svg")).to_be_visible()
        expect(page.locator(".lesson-join-link")).to_have_text(re.compile(r"/\?step=6$"))
        page.screenshot(path=str(artifacts / "lesson-join.png"))
        page.keyboard.press("ArrowRight")                                         # the card follows the step
        expect(page.locator(".lesson-join-link")).to_have_text(re.compile(r"/\?step=7$"))
        page.keyboard.press("Escape")
        expect(page.locator(".lesson-join-qr")).to_be_hidden()
        expect(page.locator("#app-header")).to_be_visible()
        link = page.locator(".lesson-join-link").text_content()
        page.goto("http://" + link)                                               # a student types the link
        expect(page.locator("#lesson-step-7")).to_be_visible()
    finally:
        context.close()


def test_first_gan_page_shows_the_faults_and_trains_live_with_stop(browser, app_url):
    from playwright.sync_api import expect
    context, page = _context(browser, "projector", "en")
    try:
        page.goto(f"{app_url}?step={len(lesson_tab.STEPS)}")
        page.locator("#lesson-fg-naive").click()
        expect(page.locator("#lesson-fg-faults")).to_contain_text("UnboundLocalError")
        expect(page.locator("#lesson-fg-faults")).to_contain_text("NameError: name 'data_loader' is not defined")
        page.locator("#lesson-fg-train").click()
        image = page.locator("#lesson-fg-samples img")
        expect(image).to_be_visible()
        first = image.get_attribute("src")
        expect(page.locator("#lesson-fg-status")).to_contain_text("step")
        page.wait_for_function("([s, first]) => document.querySelector(s)?.src !== first",
                               arg=["#lesson-fg-samples img", first])          # samples stream
        page.locator("#lesson-fg-stop").click()
        expect(page.locator("#lesson-fg-status")).to_contain_text("Stopped at step")
        stopped = page.locator("#lesson-fg-status").text_content()
        page.wait_for_timeout(2500)
        assert page.locator("#lesson-fg-status").text_content() == stopped      # nothing runs after Stop
        page.locator("#lesson-fg-train").click()                                # the page may train again
        expect(page.locator("#lesson-fg-status")).not_to_have_text(stopped)
        page.locator("#lesson-fg-stop").click()
    finally:
        context.close()


def _touch(cdp, kind, x, y):
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]})


def _swipe(page, box, start, end, steps=6):
    """A finger drawn across `box` from fraction `start` to `end` (x, y), as real touch events."""
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
    x1, y1 = box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"]
    _touch(cdp, "touchStart", x0, y0)
    for i in range(1, steps + 1):
        _touch(cdp, "touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    _touch(cdp, "touchEnd", x1, y1)


def test_every_tab_on_a_phone_fits_and_works_by_touch(browser, app_url, artifacts):
    from playwright.sync_api import expect
    context, page = _context(browser, "phone", "en")
    try:
        page.goto(app_url)
        expect(page.locator("#lesson-step-1")).to_be_visible()
        page.screenshot(path=str(artifacts / "lesson-phone.png"))
        for tab in ("gan", "vae", "diffusion", "flow", "compare", "playground", "lesson"):
            button = page.locator(f"button[role=tab][data-tab-id={tab}]").first    # (diffusion has a "compare" too)
            button.tap()                                                              # every tab in reach
            expect(button).to_have_attribute("aria-selected", "true")
            page.wait_for_timeout(300)
            _fits(page)
        page.locator("button[role=tab][data-tab-id=gan]").first.tap()
        trunc = page.locator("#gan-trunc")
        trunc.scroll_into_view_if_needed()
        number = trunc.locator("input[type=number]")
        before = number.input_value()
        _swipe(page, trunc.locator("input[type=range]").bounding_box(), (0.3, 0.5), (0.95, 0.5))
        expect(number).not_to_have_value(before)                                  # the slider drags
        sketch = page.locator("#gan-sketch")
        sketch.scroll_into_view_if_needed()
        sketch.locator("button[aria-label='Brush']").tap()
        verdict = page.locator("#gan-sketch-verdict")
        hint = verdict.text_content()
        _swipe(page, sketch.locator("canvas").first.bounding_box(), (0.35, 0.2), (0.6, 0.8))
        expect(verdict).not_to_have_text(hint)                                    # the drawing reached D
        _fits(page)
    finally:
        context.close()
