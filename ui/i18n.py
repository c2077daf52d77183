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
