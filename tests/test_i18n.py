"""English and Simplified Chinese: every key has both, and a zh-CN browser sees Chinese in every
tab until the EN / 中文 selector switches it to English (and back); strings made at run time
follow the page's language too."""

import re

import gradio as gr
import pytest

import app  # noqa: F401  (building the page registers every string)
from ui.i18n import EN, ZH, lang, say

CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")   # ideographs, CJK and full-width punctuation


def test_every_key_has_english_and_chinese():
    assert EN and set(EN) == set(ZH)
    for key in EN:
        assert EN[key].strip(), key
        assert ZH[key].strip(), key


def test_chinese_strings_are_chinese():
    """Keys whose Chinese is a copy of the English are only symbols (e.g. "y = z₂", "GAN")."""
    for key, zh in ZH.items():
        assert CJK.search(zh) or zh == EN[key], (key, zh)


def _walk(block):
    yield block
    for child in getattr(block, "children", []):
        yield from _walk(child)


def test_at_most_one_translated_key_per_string():
    """The browser translates only the first key in a string: never join two t(...) results."""
    for block in _walk(app.demo):
        for name in ("label", "info", "value", "placeholder"):
            value = getattr(block, name, None)
            if isinstance(value, str):
                assert value.count("__i18n__") <= 1, (block, name, value[:120])


def _request(**headers) -> gr.Request:
    return gr.Request(headers=headers)


def test_lang_cookie_wins_then_browser_language():
    assert lang(None) == "en"                                       # no request: the public API's English
    assert lang(_request()) == "en"                                 # an API client sends neither
    assert lang(_request(cookie="genai-locale=zh-CN", **{"accept-language": "en-US,en"})) == "zh-CN"
    assert lang(_request(Cookie="a=1; genai-locale=en", **{"Accept-Language": "zh-CN,zh;q=0.9"})) == "en"
    for tag in ("zh-CN", "zh", "zh-Hans-CN", "zh-SG", "ZH-cn"):
        assert lang(_request(**{"accept-language": f"{tag},en;q=0.8"})) == "zh-CN", tag
    for tag in ("en-US,zh-CN;q=0.5", "zh-TW", "fr", ""):             # only the first language counts
        assert lang(_request(**{"accept-language": tag})) == "en", tag
    assert lang(_request(cookie="broken=\"; genai-locale", **{"accept-language": "zh"})) == "zh-CN"


def test_say_picks_one():
    assert say(None, "Step 3", "第 3 步") == "Step 3"
    assert say(_request(cookie="genai-locale=zh-CN"), "Step 3", "第 3 步") == "第 3 步"


def test_range_errors_come_in_the_pages_language():
    """A bad value's message, in Chinese for a Chinese page (handlers that take the request);
    English for the API and pages in English."""
    from ui.common import friendly
    from ui.i18n import chinese_error
    assert chinese_error("steps must be a whole number in 1-1000, got 0") == "steps 必须是 1 到 1000 之间的整数，收到的是 0"
    assert chinese_error("pc1 must be a number in -3 to 3, got 7") == "pc1 必须是 -3 到 3 之间的数，收到的是 7"
    assert chinese_error("No examples yet") == "No examples yet"

    @friendly
    def handler(steps, request: gr.Request = None):
        raise ValueError(f"steps must be a whole number in 1-1000, got {steps}")
    chinese = _request(cookie="genai-locale=zh-CN")
    for call in (lambda: handler(0, chinese), lambda: handler(0, request=chinese)):   # as Gradio passes it
        with pytest.raises(gr.Error, match="steps 必须是 1 到 1000 之间的整数"):
            call()
    with pytest.raises(gr.Error, match="whole number"):
        handler(0)


def test_every_direction_name_has_a_translation():
    """The GAN sliders' names (measured at run time) are looked up in a table of every possible name."""
    from ui import gan_tab
    assert set(gan_tab._direction_names()) <= set(gan_tab.DIRECTION_NAMES)


TABS = {  # tab name -> a string only that tab shows
    "GAN 生成对抗网络": "种子（决定噪声 z）",
    "VAE 变分自编码器": "画一个数字",
    "扩散模型": "① 前向：加噪声",
    "流匹配": "① 采样：噪声 → 数字",
    "二维演练场": "每帧训练步数",
}


def test_chinese_browser_then_switch_to_english_and_back(browser, app_url):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url + "?tab=gan")             # the lesson is the first tab
        # Made on the server at run time: D's verdict, and the direction names in the slider labels.
        page.locator("#gan-verdict").get_by_text("判别器认为这张图是真实手写的 7").wait_for()
        page.wait_for_function("() => /PC1 · → \\S*[\\u4e00-\\u9fff]/.test("
                               "document.querySelector('#gan-pc1 label')?.innerText)")
        page.get_by_role("button", name="🔗 复制此视图的链接").first.wait_for()
        page.get_by_text("微调：教它学你的笔迹").first.click()            # the fine-tune panel opens
        page.locator("#gan-ft-add").get_by_text("添加样例", exact=True).wait_for()
        for tab, text in TABS.items():
            page.get_by_role("tab", name=tab).click()
            page.get_by_text(text, exact=True).first.wait_for()
        assert page.get_by_text("原理讲解", exact=True).count() >= 3      # one panel per tab
        page.locator("#playground-status").get_by_text("个点：双月").wait_for()

        page.locator("#language").get_by_text("English", exact=True).click()
        page.get_by_role("tab", name="Diffusion", exact=True).wait_for()
        page.get_by_role("tab", name="GAN", exact=True).click()
        page.get_by_text("Seed (picks the noise z)", exact=True).wait_for()
        assert page.get_by_text("How it works", exact=True).count() >= 3
        page.locator("#gan-digit").get_by_text("3", exact=True).click()    # a new verdict, now in English
        page.locator("#gan-verdict").get_by_text("is a real handwritten 3").wait_for()

        page.reload()                                   # the choice is remembered
        page.get_by_text("Seed (picks the noise z)", exact=True).wait_for()
        page.locator("#language").get_by_text("中文", exact=True).click()
        page.get_by_text("种子（决定噪声 z）", exact=True).wait_for()
    finally:
        context.close()


def test_lang_query_parameter(browser, app_url):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url + "?tab=gan&lang=zh-CN")
        page.get_by_text("种子（决定噪声 z）", exact=True).wait_for()
        assert page.locator("#language input[value='zh-CN']").is_checked()
    finally:
        context.close()
