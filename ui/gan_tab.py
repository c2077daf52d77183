"""The gan tab (placeholder until it is written)."""

import gradio as gr

from . import common


def build() -> common.Tab:
    with gr.Tab("gan", id="gan"):
        gr.Markdown("coming soon")
    return common.Tab("gan")
