"""English and Simplified Chinese for every string on the page (Gradio's i18n).

    from ui.i18n import t
    gr.Button(t("gan.random_seed", "🎲 Random seed", "🎲 随机种子"))

`t` records both languages under one key and returns the key for the browser to translate:
the page follows the browser's language, English where it has no Chinese. Register every
string before `demo.launch(i18n=I18N)`, which sends the tables to the browser.
"""

import gradio as gr

EN: dict[str, str] = {}
ZH: dict[str, str] = {}
I18N = gr.I18n(en=EN, **{"zh-CN": ZH})          # holds the two dicts; t() fills them


def t(key: str, en: str, zh: str):
    """The translatable string `key`, English `en`, Chinese `zh`."""
    if EN.get(key, en) != en or ZH.get(key, zh) != zh:
        raise ValueError(f"i18n key {key!r} is already used for other text")
    EN[key], ZH[key] = en, zh
    return I18N(key)


# ----------------------------------------------------------------------------- switching language
# Gradio picks the browser's language and offers every language it knows under Settings →
# Language. The selector below switches between our two in one click: it calls Gradio's own
# `changeLocale` (exported by its core module, already loaded by the page), remembers the choice
# in localStorage, and honours ?lang=en / ?lang=zh-CN in a link.

_FIND_CHANGE_LOCALE = """
const genaiChangeLocale = async (locale) => {
    const core = performance.getEntriesByType("resource").map(e => e.name)
        .find(name => /\\/assets\\/core-[^/]*\\.js$/.test(name));
    const module = core && await import(core);
    if (typeof module?.changeLocale !== "function") {
        console.warn("genai: Gradio's changeLocale was not found; use Settings → Language");
        return false;
    }
    module.changeLocale(locale);
    return true;
};"""
SWITCH_JS = "async (locale) => {" + _FIND_CHANGE_LOCALE + """
    localStorage.setItem("genai-locale", locale);
    await genaiChangeLocale(locale);
    return locale;
}"""
# On load: a ?lang= link or a remembered choice wins; a Chinese browser that Gradio does not map
# to zh-CN (plain "zh", "zh-Hans", "zh-SG") gets Chinese too. Returns what the selector shows.
LOAD_JS = "async () => {" + _FIND_CHANGE_LOCALE + """
    const asked = new URLSearchParams(window.location.search).get("lang")
        || localStorage.getItem("genai-locale")
        || (/^zh(-(CN|SG|Hans.*))?$/i.test(navigator.language) ? "zh-CN" : null);
    const locale = asked && /^zh/i.test(asked) ? "zh-CN" : asked ? "en" : null;
    if (locale && locale !== document.documentElement.lang) await genaiChangeLocale(locale);
    return (locale || document.documentElement.lang || "en").startsWith("zh") ? "zh-CN" : "en";
}"""


def language_selector() -> gr.Radio:
    """EN / 中文 buttons that switch the page's language at once (no server round trip)."""
    radio = gr.Radio([("English", "en"), ("中文", "zh-CN")], value="en", label=t("app.language", "Language", "语言"),
                     show_label=False, container=False,
                     elem_id="language", min_width=160, scale=0)
    radio.input(None, radio, radio, js=SWITCH_JS, api_visibility="private", queue=False)
    gr.on(None, None, None, radio, js=LOAD_JS, api_visibility="private", queue=False)
    return radio
