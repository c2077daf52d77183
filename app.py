"""genai playground: feel how GANs, VAEs and diffusion models make digits.

    python app.py          # http://127.0.0.1:7860

This file only assembles the tabs (ui/) and launches; the models live in genai/.
"""

import os

# No usage analytics leave the server (Gradio sends them unless told not to, before it is imported).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import torch

from ui import common, compare_tab, diffusion_tab, gan_tab, playground_tab, vae_tab
from ui.i18n import I18N, language_selector, t

# One thread per request: with two cores and many students, two requests running side by
# side beat one request fighting itself for both cores (measured: docs/benchmarks.md).
torch.set_num_threads(int(os.environ.get("GENAI_THREADS", "1")))

TITLE = "genai playground"
INTRO = ("Three ways a computer learns to write digits. **GAN**: a forger and a critic. "
         "**VAE**: squeeze every digit into a few numbers, then paint from them. "
         "**Diffusion**: learn to remove noise, then start from pure noise.")
INTRO_ZH = ("让计算机学会写数字的三种方法。**GAN（生成对抗网络）**：一个伪造者和一个鉴定者。"
            "**VAE（变分自编码器）**：把每个数字压缩成几个数，再从这几个数画出数字。"
            "**扩散模型**：学会去除噪声，然后从纯噪声出发。")
CSS = """
.gradio-container { max-width: 1400px !important; }
img { image-rendering: pixelated; }
[id^=playground-] img { image-rendering: auto; }
"""
# What every launch passes (here, the tests' in-process server, bench.server).
# Gradio refuses an upload over max_file_size before writing it to disk; pictures are checked
# again, in pixels too, when a handler reads them (ui.common.read_picture).
LAUNCH = dict(css=CSS, theme=gr.themes.Soft(), i18n=I18N, share=False, max_file_size=common.MAX_IMAGE_BYTES)

with common.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
    with gr.Row(equal_height=True):
        gr.Markdown(t("app.intro", f"# 🎨 {TITLE}\n{INTRO}", f"# 🎨 {TITLE}\n{INTRO_ZH}"))
        language_selector()
    with gr.Tabs() as tabs:
        built = [gan_tab.build(), vae_tab.build(), diffusion_tab.build(), compare_tab.build(),
                 playground_tab.build()]
    for tab in built:                 # leaving a tab pauses what it was training
        if tab.timer is not None:
            tabs.select(lambda: gr.Timer(active=False), None, tab.timer, api_visibility="private",
                        show_progress="hidden")
    common.restore_links(demo, built)     # ?tab=gan&seed=3 links set what they name
    common.free_sessions_on_leave(demo)   # a closed page's models are freed, not kept for an hour

# Events of one kind that run at once (two cores: two), and how many may wait.
demo.queue(default_concurrency_limit=int(os.environ.get("GENAI_CONCURRENCY", "2")),
           max_size=int(os.environ.get("GENAI_QUEUE_SIZE", "200")))


if __name__ == "__main__":
    # Spaces sets GRADIO_SERVER_NAME (0.0.0.0); everywhere else only this machine can connect.
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        **LAUNCH,
    )
