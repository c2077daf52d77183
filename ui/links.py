"""Shareable links: a URL (?tab=gan&seed=3&lang=zh-CN) that opens a tab with the settings it names.

Each tab's build() returns a `Tab` naming the widgets a link may set; `link_button` puts the
🔗 button under a tab's controls; `restore_links` makes the page apply a link when it opens.
A link's values are never trusted: `parse_query_value` clips numbers and checks choices.
"""

import functools
import json
import urllib.parse
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from .i18n import t


@dataclass
class Tab:
    """What a tab's build() returns: its id, the components a URL can set (by query key), and
    a timer that must stop when the visitor opens another tab (training nobody watches)."""
    id: str
    url_fields: dict[str, gr.components.Component] = field(default_factory=dict)
    timer: gr.Timer | None = None


def link_button(tab_id: str, fields: dict[str, gr.components.Component]) -> None:
    """A 🔗 button and a box showing a URL that restores this tab's current settings;
    the button also copies it to the clipboard. Runs in the browser only."""
    with gr.Row():
        button = gr.Button(t("common.copy_link", "🔗 Copy link to this view", "🔗 复制此视图的链接"),
                           size="sm", scale=0, min_width=220)
        box = gr.Textbox(label=t("common.link_label", "Link to this view", "此视图的链接"), show_label=False, placeholder=t("common.link_here", "the link appears here", "链接会显示在这里"),
                         scale=3, interactive=False, buttons=["copy"], elem_id=f"{tab_id}-link")
    keys = json.dumps(list(fields))
    js = f"""(...values) => {{
        const url = new URL(window.location.href);
        url.search = "";
        url.searchParams.set("tab", "{tab_id}");
        {keys}.forEach((key, i) => url.searchParams.set(key, values[i]));
        // the page's language too: a teacher's Chinese link opens Chinese (ui.i18n's LOAD_JS reads it)
        url.searchParams.set("lang", localStorage.getItem("genai-locale") || document.documentElement.lang || "en");
        const link = url.toString();
        navigator.clipboard?.writeText(link).catch(() => {{}});
        return link;
    }}"""
    button.click(None, inputs=list(fields.values()), outputs=box, js=js, api_visibility="private")


def parse_query_value(component, raw: str):
    """A query-string value -> a valid value for `component`, or None if it does not fit.
    Never trusts the URL: numbers are clipped to the widget's range, choices checked."""
    try:
        if isinstance(component, gr.Slider):
            value = float(raw)
            if not np.isfinite(value):
                return None
            value = min(max(value, component.minimum), component.maximum)
            return int(round(value)) if float(component.step).is_integer() and float(component.minimum).is_integer() else value
        if isinstance(component, gr.Number):
            value = float(raw)
            if not np.isfinite(value):
                return None
            lo = component.minimum if component.minimum is not None else -np.inf
            hi = component.maximum if component.maximum is not None else np.inf
            value = min(max(value, lo), hi)
            return int(value) if component.precision == 0 else value
        if isinstance(component, gr.Checkbox):
            return raw.lower() in ("1", "true", "yes", "on")
        if isinstance(component, (gr.Dropdown, gr.Radio)):
            choices = [c[1] if isinstance(c, (tuple, list)) else c for c in component.choices]
            for c in choices:
                if str(c) == raw:
                    return c
            return None
        if isinstance(component, gr.Textbox):
            return raw[:200]
    except (TypeError, ValueError, OverflowError):
        return None
    return None


def _from_link(params: dict, tab_id: str, key: str, component):
    """The link's value for one of tab `tab_id`'s widgets, or None: not in the link, not a valid
    value, or the link is for another tab (tabs share names such as seed; a link without
    tab= sets every tab's)."""
    if params.get("tab", tab_id) != tab_id or key not in params:
        return None
    return parse_query_value(component, params[key])


def url_values(request: gr.Request | None, tab_id: str, fields: dict[str, gr.components.Component]) -> dict:
    """A tab's widget values for the page's URL: the link's where it gives them, else the defaults.
    For a tab's first picture, so it shows what `restore_links` puts into the widgets."""
    params = dict(request.query_params) if request is not None else {}
    values = {}
    for key, component in fields.items():
        value = _from_link(params, tab_id, key, component)
        values[key] = component.value if value is None else value
    return values


def link_updates(query: str, tab: Tab) -> list:
    """One tab's widget updates for a link's query string ("tab=gan&seed=3"): a value where
    the link gives a valid one, else no change."""
    params = dict(urllib.parse.parse_qsl(query.lstrip("?")))
    values = (_from_link(params, tab.id, key, comp) for key, comp in tab.url_fields.items())
    return [gr.update() if value is None else value for value in values]


def restore_links(demo: gr.Blocks, tabs: list[Tab]) -> list[gr.Textbox]:
    """Make a link (?tab=gan&seed=3) set the widgets it names when the page opens. Returns each
    tab's hidden box: an event that writes a link's query into one restores that view too.

    The browser does the first part: it clicks the named tab, and hands the query string to
    a hidden box of each tab the link has values for; that box's change event sets the
    tab's widgets. A page opened without a link runs nothing on the server. This matters
    for speed: Gradio 6's page updates the loading status of every component any event has
    touched, on every later event, so a restore that touched every tab's widgets made each
    slider answer ~100 ms slower (docs/benchmarks.md)."""
    boxes = []
    for tab in tabs:
        box = gr.Textbox("", visible=False)
        box.change(functools.partial(link_updates, tab=tab), box, list(tab.url_fields.values()),
                   api_visibility="private", show_progress="hidden", queue=False)
        boxes.append(box)
    keys = json.dumps({tab.id: list(tab.url_fields) for tab in tabs})
    js = f"""() => {{
        const keys = {keys};
        const params = new URLSearchParams(window.location.search);
        const asked = params.get("tab");
        if (Object.hasOwn(keys, asked))
            document.querySelector(`button[role=tab][data-tab-id="${{asked}}"]`)?.click();
        return Object.keys(keys).map((id) => (asked === null || asked === id) &&
            keys[id].some((key) => params.has(key)) ? window.location.search : "");
    }}"""
    demo.load(None, None, boxes, js=js, api_visibility="private", show_progress="hidden")
    return boxes
