"""The diffusion tab (placeholder until it is written)."""

import gradio as gr

from . import common


def build() -> common.Tab:
    with gr.Tab("diffusion", id="diffusion"):
        gr.Markdown("coming soon")
    return common.Tab("diffusion")
