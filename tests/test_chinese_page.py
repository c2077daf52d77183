"""The 中文 page has no English left in it (issue 16): switched on an English browser, and on a
zh-CN browser, every tab, sub-tab and panel, an error toast and the plots' own text."""

import re

import pytest

SLOW = 60_000
# Names, symbols and code that stay as they are on the Chinese page.
ALLOWED = {"GAN", "VAE", "DDPM", "DDIM", "U-Net", "KL", "PNG", "GIF", "ELBO", "LoRA", "PCA", "GANSpace", "AC-GAN",
           "Adam", "MNIST", "RMS", "API", "CPU", "GPU", "SW", "Wasserstein", "Mao", "README", "Gradio", "genai",
           "playground", "English", "PC", "xt", "zip", "ms", "ψ", "Heun", "Lipman", "Liu"}
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]")

# The page's visible text, without code, formulas and the language selector.
VISIBLE_TEXT = """() => {
    const parts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const e = node.parentElement;
        if (!e || !node.nodeValue.trim() || e.closest("code, pre, .katex, .explain-code, script, style, #language"))
            continue;
        if (e.checkVisibility({checkVisibilityCSS: true, checkOpacity: true})) parts.push(node.nodeValue);
    }
    return parts.join("\\n");
}"""


def english_words(page) -> list[str]:
    return sorted({w for w in WORD.findall(page.evaluate(VISIBLE_TEXT)) if w not in ALLOWED})


def open_panels(page) -> None:
    """Open the visible tab's closed accordions (How it works, Fine-tune)."""
    for title in ("原理讲解", "微调：教它学你的笔迹"):
        for header in page.get_by_text(title, exact=True).all():
            if header.is_visible():
                header.click()


def visit_everything(page) -> dict[str, list[str]]:
    """Every top tab and sub-tab, panels open: the English words found in each."""
    found = {}
    tabs = page.locator("button[role=tab]:visible")
    n_top = tabs.count()                           # the first tab (GAN) has no sub-tabs
    for i in range(n_top):
        name = tabs.nth(i).inner_text()
        tabs.nth(i).click()
        page.wait_for_timeout(500)
        open_panels(page)
        found[name] = english_words(page)
        for j in range(n_top, tabs.count()):       # its sub-tabs, if any
            label = tabs.nth(j).inner_text()
            tabs.nth(j).click()
            page.wait_for_timeout(300)
            found[f"{name} / {label}"] = english_words(page)
    return found


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_chinese_page_has_no_english_left(browser, app_url, locale):
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    try:
        page.goto(app_url + "?tab=gan")
        page.locator("#gan-image img").wait_for()
        if locale == "en-US":
            page.locator("#language").get_by_text("中文").click()
        expect(page.locator("button[role=tab][data-tab-id=diffusion]")).to_have_text("扩散模型")      # without clicking it
        # one error of each kind: nothing drawn (a toast) and a number out of range (the box's note)
        page.locator("#gan-ft").get_by_text("微调：教它学你的笔迹").first.click()
        page.locator("#gan-ft-add").click()
        expect(page.locator("[data-testid=toast-body]").first).to_contain_text("还没有画任何东西")
        assert english_words(page) == []
        page.locator("#gan-seed input").fill("99999999999")
        expect(page.locator("#gan-seed .genai-range-note")).to_contain_text("允许范围")
        found = {tab: words for tab, words in visit_everything(page).items() if words}
        assert found == {}
        # the pictures the page draws itself (ui/live.py) come with their words in Chinese
        for tabs, picture in ((["VAE 变分自编码器"], "vae_map.zh-CN.png"),
                              (["扩散模型", "① 前向：加噪声"], "schedule_plot.zh-CN.json")):
            for tab in tabs:
                page.get_by_role("tab", name=tab, exact=True).click()
            page.wait_for_function("""(name) => performance.getEntriesByType("resource")
                .some((r) => r.name.endsWith("/" + name))""", arg=picture)
        # the text the plot draws itself: legend and axis titles
        page.get_by_role("tab", name="对比与学习").click()
        legend = page.locator("#compare-plot .role-legend-label text").first
        legend.wait_for(state="attached")
        drawn = " ".join(page.locator("#compare-plot svg text").all_text_contents())
        assert "损失" in drawn and not [w for w in WORD.findall(drawn) if w not in ALLOWED], drawn
    finally:
        context.close()



def test_a_preset_run_is_described_in_the_pages_language(browser, app_url):
    """The presets' pictures are cached once for everyone; the words beside them are said per page."""
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(SLOW)
    try:
        page.goto(app_url + "?tab=diffusion&dview=reverse")
        page.get_by_role("button", name="只用 10 步 DDIM").click()
        expect(page.locator("#diffusion-steps [data-testid=number-input]")).to_have_value("10")
        expect(page.locator("#diffusion-status textarea")).to_have_value(
            re.compile(r"^第 10/10 步，t=\d+（示例：按 ▶ 生成 观看每一步）$"))
        expect(page.locator("#diffusion-xt img")).to_be_visible()
    finally:
        context.close()

# ----------------------------------------------------------------------------- text drawn inside pictures

class PageRequest:
    """What the handlers read of a page's request: its language cookie (ui.i18n.lang)."""
    def __init__(self, locale: str):
        self.headers = {"cookie": f"genai-locale={locale}"}


def english_in(texts) -> list[str]:
    """The English words of drawn texts, apart from names and symbols (x, z, t, D, G, SW...)."""
    symbols = ALLOWED | {"x", "z", "t", "D", "G"}
    return sorted({w for text in texts for w in WORD.findall(text) if w not in symbols})


@pytest.fixture
def drawn_texts(monkeypatch):
    """Every text the PIL pictures draw from now on (they all take their font from ui.fonts.pil_font)."""
    from ui import fonts, playground_tab
    texts = []
    pil_font = fonts.pil_font

    def spy(size, text=""):
        texts.append(text)
        return pil_font(size, text)

    monkeypatch.setattr(fonts, "pil_font", spy)
    playground_tab._label.cache_clear()                   # its tiles are cached by text
    yield texts
    playground_tab._label.cache_clear()


def playground_views(locale: str) -> list:
    """The playground's pictures (data, three families, distance plot) for a page in `locale`."""
    from genai import toy2d
    from ui import playground_tab
    lrs = [toy2d.LEARNING_RATES[f] for f in playground_tab.FAMILIES]
    _, _, *pictures = playground_tab._choose_data(None, "imbalanced", 16, 0, 150, PageRequest(locale), *lrs)
    return pictures


def test_the_text_inside_pictures_is_drawn_in_the_pages_language(drawn_texts, cannot_run):
    import numpy as np
    from ui import diffusion_tab, fonts, vae_tab
    if fonts.cjk_font() is None:
        cannot_run("no CJK font (Debian's fonts-noto-cjk): Chinese in pictures would be drawn as boxes")
    # the schedule plot: its legend and axis title, as matplotlib holds them
    for lang, words in (("en", ["the digit left", "the noise", "noise level t"]), ("zh-CN", ["剩下的数字", "噪声", "噪声级别"])):
        _, ax = diffusion_tab._schedule_figure(lang)
        texts = [text.get_text() for text in ax.get_legend().get_texts()] + [ax.get_xlabel()]
        assert all(any(w in text for text in texts) for w in words), texts
        assert (english_in(texts) == []) == (lang == "zh-CN"), texts
    # the VAE map's titles and every playground panel, drawn for a Chinese page, then an English one
    vae_tab.base_map.__wrapped__("zh-CN")
    zh_pictures = playground_views("zh-CN")
    assert len(drawn_texts) >= 12 and english_in(drawn_texts) == [], drawn_texts
    assert fonts.has_cjk("".join(drawn_texts)) and "CJK" in fonts.pil_font(17, "解码器").getname()[0]
    drawn_texts.clear()
    vae_tab.base_map.__wrapped__("en")
    en_pictures = playground_views("en")
    for english in ("decoder: the digit it paints at each z", "encoder: where 1,000 real digits land",
                    "Data: 1000 points · click to add", "GAN · step 0", "D(x): green = 'real'", "G(z) of a z-grid",
                    "encoder: x -> z (±3)", "noise -> points", "denoising field, t=150", "Distance to the data (SW)"):
        assert english in drawn_texts, (english, drawn_texts)
    assert not fonts.has_cjk("".join(drawn_texts))
    # what the handlers return for each page: every picture differs from the English one
    assert all(not np.array_equal(zh, en) for zh, en in zip(zh_pictures, en_pictures))
    zh, en = PageRequest("zh-CN"), PageRequest("en")
    assert not np.array_equal(diffusion_tab.forward(0, 300, request=zh)[2], diffusion_tab.forward(0, 300, request=en)[2])
    assert np.array_equal(diffusion_tab.forward(0, 300)[2], diffusion_tab.forward(0, 300, request=en)[2])   # API: English
    assert not np.array_equal(np.asarray(vae_tab.show_point(1.0, 1.0, request=zh)[1]),
                              np.asarray(vae_tab.show_point(1.0, 1.0, request=en)[1]))


@pytest.mark.filterwarnings("ignore:Glyph")
def test_without_a_cjk_font_chinese_pictures_still_draw(monkeypatch):
    from ui import diffusion_tab, fonts, playground_tab
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    fonts._cjk_pil_font.cache_clear()
    playground_tab._label.cache_clear()
    try:
        assert fonts.matplotlib_family("zh-CN") is None
        assert len(playground_views("zh-CN")) == 2 + len(playground_tab.FAMILIES)
        diffusion_tab._schedule_plot.__wrapped__("zh-CN")
    finally:
        fonts._cjk_pil_font.cache_clear()
        playground_tab._label.cache_clear()


def test_greek_letters_in_pictures_are_drawn_not_boxed():
    """The trade-off rows are labelled ψ and w: the default PIL font has no ψ and draws a box."""
    import numpy as np
    from PIL import Image, ImageDraw
    from ui import fonts

    def ink(text, font):
        canvas = Image.new("L", (60, 40), 0)
        ImageDraw.Draw(canvas).text((5, 5), text, fill=255, font=font)
        return np.asarray(canvas)

    psi = ink("ψ", fonts.pil_font(24, "ψ = 1"))
    assert psi.any() and not np.array_equal(psi, ink("\ue000", fonts.pil_font(24, "ψ = 1")))   # a private-use char: a box
    assert fonts.pil_font(24, "w = 1") is fonts.pil_font(24, "")          # Latin text keeps the default font
