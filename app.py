"""genai playground: feel how GANs, VAEs, diffusion and flow matching models make digits.

    python app.py          # http://127.0.0.1:7860

This file only assembles the tabs (ui/) and launches; the models live in genai/.
"""

import functools
import os
import threading

# No usage analytics leave the server (Gradio sends them unless told not to, before it is imported).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# After every event Gradio's queue rebuilds a pandas summary of its last 10,000 events, for a
# monitoring dashboard this app never opens: 6 to 12 ms of server CPU an event on this machine
# (docs/suite.md). Recomputed every 10^9 events, it is never computed.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(10**9))

import gradio as gr  # noqa: E402
import torch

from genai import families
from genai.images import to_uint8
from ui import common, compare_tab, diffusion_tab, flow_tab, gan_tab, lesson_tab, links, live, playground_tab, sessions, vae_tab
from ui.i18n import I18N, language_selector, t, translate_leftovers

# One thread per request: with two cores and many students, two requests running side by
# side beat one request fighting itself for both cores (measured: docs/benchmarks.md).
torch.set_num_threads(int(os.environ.get("GENAI_THREADS", "1")))
sessions.one_arena()            # what visitors leave behind can go back to the system (ui/sessions.py)

TITLE = "genai playground"
INTRO = ("Four ways a computer learns to write digits. **GAN**: a forger and a critic. "
         "**VAE**: squeeze every digit into a few numbers, then paint from them. "
         "**Diffusion**: learn to remove noise, then start from pure noise. "
         "**Flow matching**: learn which way noise should move to become a digit, then follow it.")
INTRO_ZH = ("让计算机学会写数字的四种方法。**GAN（生成对抗网络）**：一个伪造者和一个鉴定者。"
            "**VAE（变分自编码器）**：把每个数字压缩成几个数，再从这几个数画出数字。"
            "**扩散模型**：学会去除噪声，然后从纯噪声出发。"
            "**流匹配**：学会噪声该往哪个方向移动才能变成数字，然后沿着它走。")
CSS = """
/* ---- readable and complete (issue 16: legends, projector, labels) ---- */
/* A native plot's block has a fixed height and hides what overflows it, yet Gradio sizes the
   chart to the whole block, label included: the legend below the chart was cut off. The chart
   now gets what the label leaves. */
.block:has(> .vega-embed) { display: flex; flex-direction: column; }
.block > .vega-embed { flex: 1 1 0; min-height: 0; }
/* Picture labels sit above the picture, whole, instead of floating over its top and being cut
   short; the picture takes what the label leaves of a fixed-height block. */
.block:has(> label.float) { display: flex; flex-direction: column; }
.block > label.float { position: static !important; white-space: normal; max-width: 100%; width: fit-content;
                       height: auto; flex: none; }
.block > label.float span { white-space: normal; }
.block:has(> label.float) > .image-container { flex: 1 1 auto; min-height: 0; }
/* The How-it-works code: projector-sized, wrapped instead of cut at the right edge. */
.explain-code .cm-scroller, .explain-code .cm-content { font-size: 15px !important; }
/* Sentences made on the server carry both languages (ui.i18n.both); the page shows its own. */
html:not([lang^=zh]) .genai-zh, html[lang^=zh] .genai-en { display: none; }
/* Subscripts and superscripts (x_t in the texts) at the 14 px floor too. */
sub, sup { font-size: max(0.75em, 14px); }
/* The note under a number box whose typed value was out of range (common.keep_numbers_in_range). */
.genai-range-note { padding: 4px 8px; font-size: 15px; color: #7c2d12; background: #ffedd5; border-radius: 4px; }
/* The header in one line (the language buttons side by side), and at 150 % zoom on a 1280×720
   projector (an 853×480 page) a smaller title and folded intro, the page's full width and narrower
   tab buttons: the tabs, in one row, end in the first third. */
#language { flex: 0 0 auto !important; width: auto !important; }
#language .wrap { flex-wrap: nowrap; }
@media (max-height: 560px) {
    #title h1 { font-size: 24px; margin: 0; }
    #intro { padding-block: 2px !important; }
    .tab-container > button[role=tab] { padding-left: 10px !important; padding-right: 10px !important; }
}
/* (Gradio scopes rules inside @media to the page's content; the page's own width is set outside it,
   so that rule nests its @media instead.) */
.gradio-container > .main.fillable { @media (max-height: 560px) { max-width: none !important; } }
/* ---- end of issue 16 block ---- */
.gradio-container { max-width: 1400px !important; }
img { image-rendering: pixelated; }
[id^=playground-] img { image-rendering: auto; }
"""
CSS += lesson_tab.CSS                 # the lesson's steps, questions, presenter mode and join card
# ---- phones (390 px wide and up; ui/lesson_tab.py's test checks every tab there) ----
CSS += """
@media (max-width: 640px) {
    #app-header { flex-direction: column !important; }
    #app-header > * { width: 100% !important; min-width: 0 !important; }
    #language { order: -1; align-self: flex-end; }
}
"""
# Readable on a projector (issue 16): no text under 14 px, every text at WCAG AA contrast (4.5:1) or
# more. Soft's own sizes start at 9 px, its labels are indigo-500 on indigo-100 (3.6:1) and its
# grey text neutral-400 (2.4:1); tests/test_projector.py measures the page.
THEME = gr.themes.Soft(text_size=gr.themes.Size(xxs="14px", xs="14px", sm="14px", md="16px", lg="18px",
                                                xl="22px", xxl="26px")).set(
    block_label_text_color="*primary_800", block_title_text_color="*primary_800",
    body_text_color_subdued="*neutral_600", color_accent="*primary_700",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_600",
    checkbox_label_background_fill_selected="*primary_700", slider_color="*primary_700",
)
# What every launch passes (here, the tests' in-process server, bench.server).
# Gradio refuses an upload over max_file_size before writing it to disk; pictures are checked
# again, in pixels too, when a handler reads them (ui.common.read_picture).
LAUNCH = dict(css=CSS, theme=THEME, i18n=I18N, share=False, max_file_size=common.MAX_IMAGE_BYTES,
              app_kwargs={"routes": live.ROUTES})      # the in-page models and their runtime (ui/live.py)

with common.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
    with gr.Row(equal_height=True, elem_id="app-header"):
        gr.Markdown(t("app.title", f"# 🎨 {TITLE}", f"# 🎨 {TITLE}"), elem_id="title")
        language_selector()
    # Folded: on a projector the tabs' pictures, not the intro, belong above the fold.
    with gr.Accordion(t("app.about", "What is this? Four ways to make digits", "这是什么？四种画数字的方法"),
                      open=False, elem_id="intro"):
        gr.Markdown(t("app.intro", INTRO, INTRO_ZH))
    # Tabs wrap onto a second row on a phone: a menu would hide them, and links open tabs by their buttons.
    with gr.Tabs(overflow_behavior="wrap") as tabs:
        built = [lesson_tab.build(), gan_tab.build(), vae_tab.build(), diffusion_tab.build(), flow_tab.build(),
                 compare_tab.build(), playground_tab.build()]
    for tab in built:                 # leaving a tab pauses what it was training
        if tab.timer is not None:
            tabs.select(lambda: gr.Timer(active=False), None, tab.timer, api_visibility="private",
                        show_progress="hidden")
    boxes = links.restore_links(demo, built)     # ?tab=gan&seed=3 links set what they name
    lesson_tab.connect_views(built, boxes)        # each lesson step's button opens its view the same way
    sessions.free_sessions_on_leave(demo)   # a closed page's models are freed, not kept for an hour
    translate_leftovers()                 # after every tab: tab labels, presets, toasts follow the language
    common.keep_brush_on(demo)            # drawing pads draw at once, also after Clear canvas
    common.keep_numbers_in_range(demo)    # a seed of 10^20 is corrected in the box, in the page's words

sessions.lazy_session_configs()      # a new session (page load, REST call) builds no config it never reads

# Events of one kind that run at once (two cores: two), and how many may wait.
demo.queue(default_concurrency_limit=int(os.environ.get("GENAI_CONCURRENCY", "2")),
           max_size=int(os.environ.get("GENAI_QUEUE_SIZE", "200")))

# What a first visit builds lazily, built in the background as the server starts instead, so the
# first visitor does not wait for it (the tab's example caches are still filled on first click).
FIRST_USE = [*(functools.partial(common.model, name) for name in families.NAMES),
             gan_tab._direction_names, functools.partial(gan_tab._neighbours, 42, 7, gan_tab.TRUNCATION),
             vae_tab.base_map, vae_tab.real_codes,
             lambda: vae_tab.encode_digit(to_uint8(compare_tab._held_out()[0][:1])[0]),
             diffusion_tab._schedule_plot, diffusion_tab._held_out_digits,
             *(functools.partial(compare_tab.first_run, name) for name in ("diffusion", "flow")),
             functools.partial(flow_tab.few_pictures, 0, 3, flow_tab.GUIDANCE),
             functools.partial(diffusion_tab.sample_final, "3", 0, "ddim", 2),        # each engine's thread, a first tick
             functools.partial(flow_tab.sample_final, "3", 0, "euler", 2),
             functools.partial(playground_tab.playground_step, steps=2),            # the playground's first training
             *(functools.partial(compare_tab._warm_up, family) for family in compare_tab.FAMILIES),
             *(functools.partial(compare_tab._history, name) for name in compare_tab.HISTORIES),
             functools.partial(compare_tab._vae_gaussian, compare_tab.DEFAULTS["digit"])]


def warm_up_in_background() -> threading.Thread:
    """Start building FIRST_USE in a daemon thread; the server answers pages meanwhile."""
    thread = threading.Thread(target=common.warm_up, args=(FIRST_USE,), name="warm-up", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    warm_up_in_background()
    # Spaces sets GRADIO_SERVER_NAME (0.0.0.0); everywhere else only this machine can connect.
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        **LAUNCH,
    )
