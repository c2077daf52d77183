"""English and Simplified Chinese for every string on the page (Gradio's i18n).

    from ui.i18n import t
    gr.Button(t("gan.random_seed", "🎲 Random seed", "🎲 随机种子"))

`t` records both languages under one key and returns the key for the browser to translate:
the page follows the browser's language, English where it has no Chinese. Register every
string before `demo.launch(i18n=I18N)`, which sends the tables to the browser.

The browser translates only a whole key, so strings a handler makes at run time (with
numbers in them) pick their language on the server instead:

    def handler(x, request: gr.Request):
        return say(request, f"Step {x}", f"第 {x} 步")
"""

import json
import re
from http.cookies import CookieError, SimpleCookie

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


# Gradio 6.31's status tracker announces a finished event as `common.complete`, a key its own
# tables lack, so the raw key showed (in both languages) after any event with a progress display.
t("common.complete", "Done", "完成")


# ----------------------------------------------------------------------------- run-time strings
def both(en: str, zh: str) -> str:
    """A Markdown sentence made at run time, in both languages: the page shows the one it is in
    (app.py's CSS hides the other), so it follows a language switch without a new request."""
    return f'<span class="genai-en">{en}</span><span class="genai-zh">{zh}</span>'


COOKIE = "genai-locale"           # "en" or "zh-CN", written by genaiRemember below


def _chinese(tag: str) -> bool:
    """Whether a language tag gets our Chinese: zh, zh-CN, zh-SG, zh-Hans... (as LOAD_JS decides;
    Traditional Chinese, zh-TW, has no translation here)."""
    return re.fullmatch(r"zh(-(cn|sg|hans.*))?", tag.strip().lower()) is not None


def lang(request: gr.Request | None) -> str:
    """The visitor's language, "en" or "zh-CN": the page's choice (its cookie), else the
    browser's first language; English for a request with neither (API clients) or none."""
    if request is None:
        return "en"
    try:
        headers = {k.lower(): v for k, v in dict(getattr(request, "headers", None) or {}).items()}
    except (TypeError, ValueError, AttributeError):
        return "en"
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:
        pass
    if COOKIE in cookies:
        return "zh-CN" if cookies[COOKIE].value.lower().startswith("zh") else "en"
    first = headers.get("accept-language", "").split(",")[0].split(";")[0]
    return "zh-CN" if _chinese(first) else "en"


def say(request: gr.Request | None, en: str, zh: str) -> str:
    """`en` or `zh`, in the visitor's language (see `lang`)."""
    return zh if lang(request) == "zh-CN" else en


# The package's range checks (genai/checks.py and the tabs' own) all say "<name> must be <kind>
# in <low>-<high>, got <value>"; their Chinese, with the parameter's API name kept as it is.
_NUMBER = r"-?[\d.]+(?:e[+-]?\d+)?"
_RANGE_ERRORS = [
    (re.compile(rf"^(?P<name>.+?) must be a whole number in (?P<low>{_NUMBER})(?:-| to )(?P<high>{_NUMBER}), "
                r"got (?P<value>.*)$", re.S), "{name} 必须是 {low} 到 {high} 之间的整数，收到的是 {value}"),
    (re.compile(rf"^(?P<name>.+?) must be a number in (?P<low>{_NUMBER})(?:-| to )(?P<high>{_NUMBER}), "
                r"got (?P<value>.*)$", re.S), "{name} 必须是 {low} 到 {high} 之间的数，收到的是 {value}"),
]


def chinese_error(message: str) -> str:
    """The Chinese of a range-check message, or the message itself when it is not one."""
    for pattern, chinese in _RANGE_ERRORS:
        match = pattern.match(message)
        if match:
            return chinese.format(**match.groupdict())
    return message


# ----------------------------------------------------------------------------- switching language
# Gradio picks the browser's language and offers every language it knows under Settings →
# Language. The selector below switches between our two in one click: it calls Gradio's own
# `changeLocale` (exported by its core module, already loaded by the page), remembers the choice
# in localStorage, and honours ?lang=en / ?lang=zh-CN in a link. Both also set the cookie that
# `lang` reads, so strings made on the server follow the page.

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
    window.genaiLocale = locale;
    setTimeout(() => window.genaiTranslate?.(), 0);     // after Gradio's own re-render
    return true;
};
const genaiRemember = (locale) => {
    document.cookie = `genai-locale=${locale}; path=/; max-age=31536000; SameSite=Lax`;
};"""
SWITCH_JS = "async (locale) => {" + _FIND_CHANGE_LOCALE + """
    localStorage.setItem("genai-locale", locale);
    genaiRemember(locale);
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
    const shown = (locale || document.documentElement.lang || "en").startsWith("zh") ? "zh-CN" : "en";
    genaiRemember(shown);                 // before the first await: the page's first requests carry it
    window.genaiLocale = shown;
    setTimeout(() => window.genaiTranslate?.(), 0);
    if (locale && locale !== document.documentElement.lang) await genaiChangeLocale(locale);
    return shown;
}"""


# ----------------------------------------------------------------------------- words Gradio leaves behind
# Gradio translates a component's own strings, but some text on the page never follows a switch:
# tab labels (until clicked, even after a reload), preset buttons, its footer and toasts, and
# sentences a handler wrote. Short strings of the tables below are swapped in the page itself,
# text node by text node, when the language changes and wherever such text appears later.

def leftover(key: str, en: str, zh: str) -> str:
    """Register a short English string that the page shows as plain text (a preset's name, an
    error message) with its Chinese, for `translate_leftovers`; returns the English."""
    t(key, en, zh)
    return en


# Gradio's own words that stay English on its Chinese page (its zh-CN table lacks them).
for _key, _en, _zh in [("gradio.error", "Error", "错误"), ("gradio.warning", "Warning", "警告"),
                       ("gradio.info", "Info", "提示"), ("gradio.api", "Use via API", "通过 API 使用"),
                       ("gradio.built", "Built with Gradio", "使用 Gradio 构建"), ("gradio.settings", "Settings", "设置"),
                       ("gradio.runs", "Runs", "运行记录"), ("gradio.close", "Close", "关闭"),
                       # the native plots' axis and legend titles (their field names)
                       ("plot.step", "step", "步数"), ("plot.loss", "loss", "损失"), ("plot.series", "series", "曲线")]:
    leftover(_key, _en, _zh)

LEFTOVER_CHARS = 120          # longer texts are Markdown, which Gradio itself translates


def translate_leftovers() -> None:
    """Call once after every tab is built (it reads the finished tables): keeps the page's
    leftover English (or Chinese) in step with the chosen language. Runs in the browser only."""
    pairs = {EN[k]: ZH[k] for k in EN if k in ZH and EN[k] != ZH[k] and len(EN[k]) <= LEFTOVER_CHARS
             and not any(c in EN[k] for c in "*#`$\n")}
    table = json.dumps({"zh-CN": pairs, "en": {zh: en for en, zh in pairs.items()}}, ensure_ascii=False)
    js = f"""() => {{
        const tables = {table};
        const swap = (root) => {{
            const table = tables[window.genaiLocale || "en"];
            if (!table || !root) return;
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = root.nodeType === 3 ? root : walker.nextNode(); node; node = walker.nextNode()) {{
                const text = node.nodeValue.trim();
                if (text && Object.hasOwn(table, text) && !node.parentElement?.closest(".cm-editor, code, pre"))
                    node.nodeValue = node.nodeValue.replace(text, table[text]);
                if (root.nodeType === 3) break;
            }}
        }};
        window.genaiTranslate = () => swap(document.body);
        let pending = new Set();
        new MutationObserver((records) => {{
            if (!window.genaiLocale) return;
            const first = pending.size === 0;
            records.forEach((r) => r.type === "characterData" ? pending.add(r.target)
                : r.addedNodes.forEach((n) => pending.add(n)));
            if (first && pending.size) requestAnimationFrame(() => {{
                const nodes = pending;
                pending = new Set();
                nodes.forEach((n) => n.isConnected && swap(n));
            }});
        }}).observe(document.body, {{childList: true, subtree: true, characterData: true}});
        window.genaiTranslate();
    }}"""
    gr.on(None, None, None, None, js=js, api_visibility="private", queue=False)


def language_selector() -> gr.Radio:
    """EN / 中文 buttons that switch the page's language at once (no server round trip)."""
    radio = gr.Radio([("English", "en"), ("中文", "zh-CN")], value="en", label=t("app.language", "Language", "语言"),
                     show_label=False, container=False,
                     elem_id="language", min_width=160, scale=0)
    radio.input(None, radio, radio, js=SWITCH_JS, api_visibility="private", queue=False)
    gr.on(None, None, None, radio, js=LOAD_JS, api_visibility="private", queue=False)
    return radio
