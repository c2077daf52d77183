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
        # the text the plot draws itself: legend and axis titles
        page.get_by_role("tab", name="对比与学习").click()
        legend = page.locator("#compare-plot .role-legend-label text").first
        legend.wait_for(state="attached")
        drawn = " ".join(page.locator("#compare-plot svg text").all_text_contents())
        assert "损失" in drawn and not [w for w in WORD.findall(drawn) if w not in ALLOWED], drawn
    finally:
        context.close()
