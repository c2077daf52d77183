"""The projector view (issue 16): at 1280x720 every text is at least 14 px and reaches WCAG AA
contrast (4.5:1) against what is behind it; the intro folds away; each tab's main control and
picture are above the fold."""

from test_rough_edges import tab  # noqa: F401 -- the same one English page per module

MIN_PX = 14
MIN_CONTRAST = 4.5

# Every visible text's font size and contrast (WCAG 2 relative luminance; the background is the
# first opaque one behind the text, its alpha blended over white).
TEXT_STYLES = """() => {
    const rgba = (c) => (c.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number).concat([1]).slice(0, 4);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]));
    const background = (e) => {
        const layers = [];
        for (let x = e; x; x = x.parentElement) {
            const c = rgba(getComputedStyle(x).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break;
        }
        return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const e = node.parentElement, text = node.nodeValue.trim();
        if (!e || !text || e.closest("script, style, .katex-mathml, .sr-only, svg, .genai-range-note")) continue;
        if (!e.checkVisibility({checkVisibilityCSS: true, checkOpacity: true})) continue;
        const style = getComputedStyle(e);
        const fg = rgba(style.color), bg = background(e);
        const [a, b] = [lum(over(fg, bg)), lum(bg)].sort((x, y) => y - x);
        out.push({text: text.slice(0, 40), px: parseFloat(style.fontSize), contrast: (a + 0.05) / (b + 0.05),
                  where: (e.closest("[id]") || e).id});
    }
    return out;
}"""


def problems(page) -> list[str]:
    return sorted({f"{s['where']}: {s['text']!r} {s['px']:.0f}px {s['contrast']:.1f}:1"
                   for s in page.evaluate(TEXT_STYLES) if s["px"] < MIN_PX or s["contrast"] < MIN_CONTRAST})


# Each tab's main control and main picture (top tab, then the elements): each must start in the
# first screen, at least 48 px of it showing.
MAIN = {"GAN": ["#gan-seed", "#gan-image img"], "VAE": ["#vae-map img", "#vae-decoded2d img"],   # the map is clicked
        "Diffusion": ["#diffusion-forward-t", "#diffusion-forward-xt img"],
        "Compare & learn": ["#compare-run", "#compare-gan"],
        "2-D playground": ["#playground-play", "#playground-data-image"]}


def test_the_intro_folds_and_each_tabs_main_control_and_picture_are_above_the_fold(tab):
    intro = tab.locator("#intro")
    assert not tab.get_by_text("a forger and a critic").first.is_visible()      # folded at first
    intro.get_by_text("What is this?").click()
    tab.get_by_text("a forger and a critic").first.wait_for()
    intro.get_by_text("What is this?").click()
    tab.get_by_text("a forger and a critic").first.wait_for(state="hidden")
    below = {}
    for name, selectors in MAIN.items():
        tab.get_by_role("tab", name=name, exact=True).click()
        tab.evaluate("window.scrollTo(0, 0)")
        for selector in selectors:
            element = tab.locator(selector).first
            element.wait_for()
            box = element.bounding_box()
            if box["y"] + min(box["height"], 48) > 720:           # at least its first 48 px in view
                below[selector] = box["y"]
    assert below == {}


def test_every_text_is_14px_and_readable_on_every_tab(tab):
    found = {}
    tabs = tab.locator("button[role=tab]:visible")
    for i in range(tabs.count()):
        name = tabs.nth(i).inner_text()
        tabs.nth(i).click()
        tab.wait_for_timeout(800)
        found[name] = problems(tab)
    assert {k: v for k, v in found.items() if v} == {}


# 150 % zoom on a 1280x720 projector: the page is 853x480 CSS pixels.
ZOOMED = {"width": 853, "height": 480}
# Whether an element (a selector that starts with its component's id) can be seen and clicked:
# enough of it in the window, and at the centre of what shows, nothing of another component on top.
REACHABLE = """(selector) => {
    const e = document.querySelector(selector), owner = document.querySelector(selector.split(" ")[0]);
    const r = e.getBoundingClientRect();
    const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
    const left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth);
    if (bottom - top < Math.min(48, r.height) || right - left < Math.min(48, r.width))
        return `only ${Math.round(bottom - top)}x${Math.round(right - left)} px in view`;
    const hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
    return hit && owner.contains(hit) ? "" : `covered by ${hit?.tagName}#${hit?.id}.${hit?.className}`;
}"""


def test_at_150_percent_zoom_the_header_keeps_to_a_third_and_each_tabs_main_parts_are_reachable(browser, app_url):
    context = browser.new_context(viewport=ZOOMED, device_scale_factor=1.5, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url + "?tab=gan")
        page.locator("#gan-image img").wait_for()
        tabs = page.locator("[role=tablist]").first.bounding_box()
        assert tabs["y"] + tabs["height"] <= ZOOMED["height"] / 3, tabs
        unreachable = {}
        for name, selectors in MAIN.items():
            page.get_by_role("tab", name=name, exact=True).click()
            for selector in selectors:
                element = page.locator(selector).first
                element.wait_for()
                element.scroll_into_view_if_needed()
                why = page.evaluate(REACHABLE, selector)
                if why:
                    unreachable[selector] = why
        assert unreachable == {}
    finally:
        context.close()
