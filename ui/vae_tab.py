"""The vae tab (placeholder until it is written)."""

import gradio as gr

from . import common


def build() -> common.Tab:
    with gr.Tab("vae", id="vae"):
        gr.Markdown("coming soon")
    return common.Tab("vae")
