"""English and Simplified Chinese: every key has both, and a zh-CN browser sees Chinese in every
tab until the EN / 中文 selector switches it to English (and back)."""

import re

import pytest

import app  # noqa: F401  (building the page registers every string)
from ui.i18n import EN, ZH

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


TABS = {  # tab name -> a string only that tab shows
    "GAN 生成对抗网络": "种子（决定噪声 z）",
    "VAE 变分自编码器": "画一个数字",
    "扩散模型": "① 前向：加噪声",
}


def test_chinese_browser_then_switch_to_english_and_back(browser, app_url):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url)
        for tab, text in TABS.items():
            page.get_by_role("tab", name=tab).click()
            page.get_by_text(text, exact=True).first.wait_for()
        assert page.get_by_text("原理讲解", exact=True).count() >= 3      # one panel per tab

        page.locator("#language").get_by_text("English", exact=True).click()
        page.get_by_role("tab", name="Diffusion", exact=True).wait_for()
        page.get_by_role("tab", name="GAN", exact=True).click()
        page.get_by_text("Seed (picks the noise z)", exact=True).wait_for()
        assert page.get_by_text("How it works", exact=True).count() >= 3

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
        page.goto(app_url + "?lang=zh-CN")
        page.get_by_text("种子（决定噪声 z）", exact=True).wait_for()
        assert page.locator("#language input[value='zh-CN']").is_checked()
    finally:
        context.close()
