"""The GAN tab: a generator G turns noise z into a digit; a critic D judges it.

Seed, digit and truncation pick z; six sliders push G's first-layer features along
GANSpace directions; a walk between two seeds shows the latent space is smooth; and
D gives its verdict on any digit, a drawn one too. The math lives in genai/gan.py.
"""

import functools
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from genai.checks import check_range
from genai.gan import (MAX_FRAMES, PATHS, STAT_WORDS, TRUNCATION, describe_directions, feature_directions,
                       interpolate)
from genai.images import from_uint8, to_uint8

from . import common, explain, finetune, links
from .i18n import both, leftover, t
from .live import fallback, live_view

INTRO = ("A generator **G** turns noise **z** (64 random numbers, fixed by the seed) into a digit; "
         "a critic **D** learns to tell real digits from G's fakes, and G learns to fool it. "
         "Change the seed for new noise, drag the sliders to steer G, ask D what it thinks.")
N_PCS = 6                  # latent sliders
PC_RANGE = 3.0             # slider range, in standard deviations of each direction
TRUNC_MAX = 1.5
DIGITS = list(range(10))
DEFAULTS = {"seed": 42, "digit": 7, "trunc": TRUNCATION, "frames": 8, "mode": "spherical"}
NEIGHBOURS, NEIGHBOUR_COLS, NEIGHBOUR_SCALE = 8, 4, 3
GIF_SCALE, GIF_MS = 6, 120
IMAGE_LABEL = "G(z, y)"
IMAGE_YOURS = t("gan.image_yours", "G(z, y) · ★ your fine-tuned model", "G(z, y) · ★ 你微调的模型")
SAME = "same"              # the "to digit" choice that keeps the first digit
PRESETS = [                # seed, digit, truncation, pc1..pc6
    ([42, 7, TRUNCATION] + [0.0] * N_PCS, leftover("gan.preset.7", f"a 7, ψ {TRUNCATION:g}", f"一个 7，ψ {TRUNCATION:g}")),
    ([3, 3, 0.0] + [0.0] * N_PCS, leftover("gan.preset.average", "the average 3 (ψ 0)", "平均的 3（ψ 0）")),
    ([2024, 5, 1.5] + [0.0] * N_PCS, leftover("gan.preset.wild", "a wild 5 (ψ 1.5)", "一个狂野的 5（ψ 1.5）")),
    ([8, 8, TRUNCATION, 2.5] + [0.0] * (N_PCS - 1), leftover("gan.preset.pc1", "an 8 pushed along PC1", "沿 PC1 推动的 8")),
    ([1234, 2, TRUNCATION, 0.0, -2.5, 2.0] + [0.0] * (N_PCS - 3), leftover("gan.preset.pc23", "a 2, PC2 and PC3", "一个 2，PC2 和 PC3")),
]


# ----------------------------------------------------------------------------- checking values
# These raise ValueError; common.friendly turns it into the gr.Error the visitor reads.


def _settings(seed, label, truncation, amounts=(), seed_name="seed"):
    """Checked (seed, label, truncation, amounts) from widget or API values."""
    seed = check_range(seed_name, seed, 0, common.SEED_MAX, integer=True)
    label = common.digit("label (the digit)", label)
    truncation = common.number("truncation ψ", truncation, 0.0, TRUNC_MAX)
    amounts = tuple(common.number(f"pc{i + 1}", a, -PC_RANGE, PC_RANGE) for i, a in enumerate(amounts))
    return seed, label, truncation, amounts


# ----------------------------------------------------------------------------- model calls (cached)

@functools.cache
def _directions() -> tuple[torch.Tensor, torch.Tensor]:
    """The first N_PCS GANSpace directions of G's first layer and their stds, once per process."""
    return feature_directions(common.model("gan"), k=N_PCS)


@functools.cache
def _direction_names() -> tuple[str, ...]:
    """What each direction does to the digits, measured once per process (about a second)."""
    return tuple(describe_directions(common.model("gan"), *_directions()))


def _draw(gan, seed: int, label: int, truncation: float, amounts: tuple[float, ...] = ()) -> np.ndarray:
    """uint8 (28, 28): G(z, y) with the features moved `amounts` stds along the directions.
    A visitor's fine-tuned G is moved along the shipped G's directions: fine-tuning changes its
    first layer little, and measuring and naming new ones would cost a second per tune."""
    z = gan.latents(1, seed, truncation)
    if not any(amounts):
        return to_uint8(gan.render(z, [label]))[0]
    directions, stds = _directions()
    return to_uint8(gan.render(z, [label], directions, torch.tensor([amounts]) * stds))[0]


@functools.lru_cache(maxsize=1024)
def _digit(seed: int, label: int, truncation: float, amounts: tuple[float, ...] = ()) -> np.ndarray:
    """_draw with the shipped G, cached (a visitor's own G is never cached: it is theirs alone)."""
    return _draw(common.model("gan"), seed, label, truncation, amounts)


def _draw_neighbours(gan, seed: int, label: int, truncation: float) -> np.ndarray:
    """A picture of the digits for seeds seed+1 .. seed+8."""
    z = torch.cat([gan.latents(1, seed + i, truncation) for i in range(1, NEIGHBOURS + 1)])
    digits = to_uint8(gan.render(z, [label] * NEIGHBOURS))          # one batch: 8x cheaper than 8 calls
    return common.picture(digits, scale=NEIGHBOUR_SCALE, cols=NEIGHBOUR_COLS)


@functools.lru_cache(maxsize=256)
def _neighbours(seed: int, label: int, truncation: float) -> np.ndarray:
    return _draw_neighbours(common.model("gan"), seed, label, truncation)


def _realness(digit: np.ndarray, label: int, gan=None) -> float:
    """D's probability that a uint8 (28, 28) digit is a real `label` (the shipped D unless given a GAN)."""
    return float((gan or common.model("gan")).realness(from_uint8(digit), [label])[0])


def _verdict(p: float, label: int, drawn: bool) -> str:
    """D's verdict on the picture (or the visitor's drawing), in both languages (the page shows its own)."""
    return both(f"**D(x) = {p:.0%}**: the critic's probability that {'your drawing' if drawn else 'this picture'} "
                f"is a real handwritten {label}, not one of G's fakes.",
                f"**D(x) = {p:.0%}**：判别器认为{'你画的数字' if drawn else '这张图'}是真实手写的 {label}"
                f"（而不是 G 的伪造品）的概率。")


# What describe_directions can call a direction (one word of genai.gan.STAT_WORDS, or two of
# different statistics), each under its own key, so the slider labels follow the page's language.
WORDS_ZH = {"thinner strokes": "笔画变细", "thicker strokes": "笔画变粗", "leans left": "向左倾斜",
            "leans right": "向右倾斜", "narrower": "变窄", "wider": "变宽", "shorter": "变矮", "taller": "变高",
            "moves left": "左移", "moves right": "右移", "moves up": "上移", "moves down": "下移",
            "subtle change": "变化细微"}


def _direction_names_i18n() -> dict:
    """Every name a direction can get -> its translatable key."""
    words = [(stat, word) for stat, pair in STAT_WORDS.items() for word in pair]
    names = [("subtle change",)] + [(word,) for _, word in words] + \
        [(a, b) for stat_a, a in words for stat_b, b in words if stat_a != stat_b]
    keys = {}
    for name in names:
        en = ", ".join(name)
        keys[en] = t(f"gan.direction.{en}", en, "，".join(WORDS_ZH[w] for w in name))
    return keys


DIRECTION_NAMES = _direction_names_i18n()


def _gif(frames: np.ndarray) -> str:
    """Write frames as a looping GIF (there and back) into a temp file; returns its path.
    GIFs older than an hour are removed, so the folder never grows without bound."""
    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / "genai-gan"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("walk-*.gif"):
        if time.time() - old.stat().st_mtime > 3600:
            old.unlink(missing_ok=True)
    pictures = [Image.fromarray(common.picture(f, scale=GIF_SCALE)) for f in frames]
    loop = pictures + pictures[-2:0:-1]
    with tempfile.NamedTemporaryFile(dir=folder, prefix="walk-", suffix=".gif", delete=False) as f:
        loop[0].save(f, format="GIF", save_all=True, append_images=loop[1:], duration=GIF_MS, loop=0)
    return f.name


# ----------------------------------------------------------------------------- public API

@common.friendly
def gan_generate(seed, label=DEFAULTS["digit"], truncation=DEFAULTS["trunc"]):
    """One digit G(z, y) for a seed, a label 0-9 and a truncation ψ in 0-1.5 (224x224 PNG)."""
    seed, label, truncation, _ = _settings(seed, label, truncation)
    return common.picture(_digit(seed, label, truncation))


@common.friendly
def gan_edit(seed, label=DEFAULTS["digit"], truncation=DEFAULTS["trunc"],
             pc1=0.0, pc2=0.0, pc3=0.0, pc4=0.0, pc5=0.0, pc6=0.0):
    """The digit with its features moved along the six GANSpace directions (amounts in
    stds, -3 to 3; names via the tab's slider labels)."""
    seed, label, truncation, amounts = _settings(seed, label, truncation, (pc1, pc2, pc3, pc4, pc5, pc6))
    return common.picture(_digit(seed, label, truncation, amounts))


@common.friendly
def gan_interpolate(seed_a, seed_b=DEFAULTS["seed"] + 1, label=DEFAULTS["digit"], frames=DEFAULTS["frames"],
                    mode=DEFAULTS["mode"], label_b=SAME, truncation=DEFAULTS["trunc"]):
    """A walk from seed_a to seed_b, "linear" or "spherical" in z: a strip of `frames`
    (2-32) digits and a looping GIF. label_b: another digit 0-9 to morph into, or "same"."""
    return _walk(common.model("gan"), seed_a, seed_b, label, frames, mode, label_b, truncation)


def _walk(gan, seed_a, seed_b, label, frames, mode, label_b, truncation):
    """gan_interpolate with a given GAN: the shipped one, or a visitor's own."""
    seed_a, label, truncation, _ = _settings(seed_a, label, truncation, seed_name="seed_a")
    seed_b = check_range("seed_b", seed_b, 0, common.SEED_MAX, integer=True)
    frames = check_range("frames", frames, 2, MAX_FRAMES, integer=True)
    if mode not in PATHS:
        raise ValueError(f"mode must be one of {', '.join(map(repr, PATHS))}, got {mode!r:.40}")
    label_b = label if label_b in (SAME, None) else common.digit('label_b (a digit, or "same")', label_b)
    walk = interpolate(gan, seed_a, seed_b, label, label_b, frames, mode, truncation)
    return common.picture(walk, scale=4, cols=frames), _gif(walk)


@common.friendly
def gan_discriminate(image, label=DEFAULTS["digit"]):
    """D's probability (0-1) that an uploaded picture is a real handwritten `label` (0-9).
    Any image file; it is cropped, scaled and centred like MNIST first."""
    label = common.digit("label (the digit)", label)
    return round(_realness(common.read_picture(image), label), 4)


# ----------------------------------------------------------------------------- page handlers

@common.friendly
def _show(seed, label, truncation, pc1=0.0, pc2=0.0, pc3=0.0, pc4=0.0, pc5=0.0, pc6=0.0,
          session=None, choice=None, request: gr.Request = None):
    """Main image and verdict for the widgets' values (a cleared seed box changes nothing),
    drawn by the visitor's fine-tuned GAN when the switch (`choice`) asks for it."""
    if seed is None:
        return gr.update(), gr.update()
    seed, label, truncation, amounts = _settings(seed, label, truncation, (pc1, pc2, pc3, pc4, pc5, pc6))
    if finetune.uses_tuned(session, choice):
        gan = session.model
        digit = _draw(gan, seed, label, truncation, amounts)
    else:
        gan, digit = None, _digit(seed, label, truncation, amounts)
    return common.picture(digit), _verdict(_realness(digit, label, gan), label, False)


@common.friendly
def _show_all(seed, label, truncation, pc1=0.0, pc2=0.0, pc3=0.0, pc4=0.0, pc5=0.0, pc6=0.0,
              session=None, choice=None, request: gr.Request = None):
    """Main image, verdict and the neighbouring seeds."""
    image, verdict = _show(seed, label, truncation, pc1, pc2, pc3, pc4, pc5, pc6, session, choice, request)
    if seed is None:
        return image, verdict, gr.update()
    seed, label, truncation, _ = _settings(seed, label, truncation)
    if finetune.uses_tuned(session, choice):
        return image, verdict, _draw_neighbours(session.model, seed, label, truncation)
    return image, verdict, _neighbours(seed, label, truncation)


@common.friendly
def _show_model(seed, label, truncation, pc1, pc2, pc3, pc4, pc5, pc6, session, choice, request: gr.Request = None):
    """The switch moved (or the visitor's model changed): every view again, the main picture's
    label saying whose model drew it."""
    image, verdict, neighbours = _show_all(seed, label, truncation, pc1, pc2, pc3, pc4, pc5, pc6, session, choice,
                                           request)
    label = IMAGE_YOURS if finetune.uses_tuned(session, choice) else IMAGE_LABEL
    return gr.update(label=label) if seed is None else gr.update(value=image, label=label), verdict, neighbours


def _show_tuned_preset(seed, label, truncation, pc1, pc2, pc3, pc4, pc5, pc6, session, choice,
                       request: gr.Request = None):
    """After a preset: its cached pictures are the shipped model's; redraw them with the visitor's own."""
    if not finetune.uses_tuned(session, choice):
        return gr.skip(), gr.skip(), gr.skip()
    return _show_all(seed, label, truncation, pc1, pc2, pc3, pc4, pc5, pc6, session, choice, request)


@common.friendly
def _walk_page(seed_a, seed_b, label, frames, mode, label_b, truncation, session=None, choice=None):
    """The Walk button: gan_interpolate with the model the switch chose."""
    return _walk(finetune.session_model(session, "gan", choice), seed_a, seed_b, label, frames, mode, label_b,
                 truncation)


def _pick_neighbour(seed, evt: gr.SelectData):
    """A click on the neighbours picture -> that neighbour's seed."""
    if seed is None or not evt.index:
        return gr.update()
    x, y = evt.index[:2]
    cell = (28 + 2) * NEIGHBOUR_SCALE                 # a digit plus the grid's padding
    col = min(max(int(x) // cell, 0), NEIGHBOUR_COLS - 1)
    row = min(max(int(y) // cell, 0), NEIGHBOURS // NEIGHBOUR_COLS - 1)
    return min(int(seed) + 1 + row * NEIGHBOUR_COLS + col, common.SEED_MAX)


@common.friendly
def _judge_drawing(sketch, label, session=None, choice=None, request: gr.Request = None):
    """D's verdict on the visitor's drawing (their fine-tuned D when the switch says so); a blank
    canvas just gets a hint."""
    try:
        digit = common.drawing_to_digit(common.strokes(sketch))
    except gr.Error:
        return DRAW_HINT
    label = common.digit("digit", label)
    return _verdict(_realness(digit, label, finetune.session_model(session, "gan", choice)), label, True)


DRAW_HINT = t("gan.draw_hint", "Draw a digit on the canvas, pick which digit it is, and D judges it.",
              "在画布上画一个数字，选好它是几，D 就会给出判断。")


# ----------------------------------------------------------------------------- layout

def build() -> links.Tab:
    with gr.Tab(t("tab.gan", "GAN", "GAN 生成对抗网络"), id="gan"):
        gr.Markdown(t("gan.intro", INTRO,
                      "生成器 **G** 把噪声 **z**（64 个随机数，由种子决定）变成一个数字；判别器 **D** 学着分辨"
                      "真实的数字和 G 的伪造品，而 G 学着骗过它。换个种子得到新的噪声，拖动滑块操控 G，"
                      "再问问 D 怎么看。"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=280):
                with gr.Row():
                    seed = gr.Number(DEFAULTS["seed"], label=t("gan.seed", "Seed (picks the noise z)", "种子（决定噪声 z）"), precision=0,
                                     minimum=0, maximum=common.SEED_MAX, elem_id="gan-seed", scale=4)
                    dice = gr.Button("🎲", elem_id="gan-dice", scale=1, min_width=50)
                digit = gr.Radio(DIGITS, value=DEFAULTS["digit"], label=t("gan.digit", "Digit y", "数字 y"), elem_id="gan-digit")
                trunc = gr.Slider(0.0, TRUNC_MAX, value=DEFAULTS["trunc"], step=0.05, elem_id="gan-trunc",
                                  label=t("gan.truncation", "Truncation ψ — lower = more typical digits", "截断 ψ —— 越小，数字越典型"))
                neighbours = common.image_output(t("gan.neighbours", "Neighbours: seeds +1 … +8 (click one)", "相邻种子 +1 … +8（点击一个）"),
                                                 height=150,
                                                 elem_id="gan-neighbours")
            with gr.Column(scale=3, min_width=280):
                switch = finetune.model_switch("gan-model")
                image = common.image_output(IMAGE_LABEL, height=300, elem_id="gan-image")
                verdict = gr.Markdown(elem_id="gan-verdict")
                # The page draws image, verdict and neighbours itself while the sliders move (ui/live.py).
                in_page = live_view("gan", fallbacks=2, seed="gan-seed", digit="gan-digit", trunc="gan-trunc",
                                    pcs=[f"gan-pc{i + 1}" for i in range(N_PCS)], image="gan-image",
                                    verdict="gan-verdict", neighbours="gan-neighbours", neighbours_n=NEIGHBOURS,
                                    neighbours_cols=NEIGHBOUR_COLS, seed_max=common.SEED_MAX,
                                    model_switch="gan-model")       # "your model": the server draws
            with gr.Column(scale=3, min_width=280):
                pcs = [gr.Slider(-PC_RANGE, PC_RANGE, value=0.0, step=0.1, label=f"PC{i + 1}",
                                 elem_id=f"gan-pc{i + 1}") for i in range(N_PCS)]
                reset = gr.Button(t("gan.reset", "Reset sliders", "重置滑块"), size="sm", elem_id="gan-reset")
                gr.Markdown(t("gan.sliders_note",
                              "Sliders move G's first-layer features along the directions they vary most "
                              "(GANSpace PCA), in standard deviations; → says what dragging right did most "
                              "to 50 sample digits.",
                              "滑块沿着 G 第一层特征变化最大的方向（GANSpace 主成分分析）移动特征，单位是标准差；"
                              "→ 后面写的是向右拖动时对 50 个样本数字影响最大的变化。"))

        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                gr.Markdown(t("gan.walk_title",
                              "### Walk between two seeds\nFrom this seed and digit to another: "
                              "a straight line in z, or an arc that keeps z as long as typical noise is.",
                              "### 在两个种子之间漫步\n从当前的种子和数字走到另一个：在 z 空间里走直线，"
                              "或者走一段圆弧，让 z 的长度始终和典型的噪声一样。"))
                with gr.Row():
                    seed_b = gr.Number(DEFAULTS["seed"] + 1, label=t("gan.to_seed", "To seed", "目标种子"), precision=0, minimum=0,
                                       maximum=common.SEED_MAX, elem_id="gan-seed-b", min_width=120)
                    dice_b = gr.Button("🎲", scale=0, min_width=50)
                    label_b = gr.Dropdown([(t("gan.same_digit", "same digit", "同一个数字"), SAME)] + [(str(d), d) for d in DIGITS], value=SAME,
                                          label=t("gan.to_digit", "To digit", "目标数字"), elem_id="gan-to-digit", min_width=110)
                    frames = gr.Slider(2, MAX_FRAMES, value=DEFAULTS["frames"], step=1, label=t("gan.frames", "Frames", "帧数"),
                                       elem_id="gan-frames", min_width=140)
                    mode = gr.Radio([(t(f"gan.path.{p}", p, {"linear": "直线", "spherical": "球面"}[p]), p) for p in PATHS],
                                    value=DEFAULTS["mode"], label=t("gan.path", "Path", "路径"), elem_id="gan-mode",
                                    min_width=180)
                walk_button = gr.Button(t("gan.walk", "Walk", "开始漫步"), variant="primary", elem_id="gan-walk")
                strip = common.image_output(t("gan.strip", "The walk, frame by frame", "漫步路径，逐帧展示"), elem_id="gan-strip")
                gif = common.image_output(t("gan.gif", "As an animation (GIF)", "动画（GIF）"), height=200, elem_id="gan-gif")
            with gr.Column(scale=2):
                gr.Markdown(t("gan.critic_title", "### Ask the critic\nDraw a digit: D says how real it looks, as a digit you name.",
                              "### 问问判别器\n画一个数字：D 会判断它作为你所说的那个数字看起来有多真实。"))
                sketch = common.sketchpad(t("gan.your_digit", "Your digit", "你的数字"), elem_id="gan-sketch")
                drawn_label = gr.Radio(DIGITS, value=DEFAULTS["digit"], label=t("gan.drew", "I drew a", "我画的是"), elem_id="gan-drawn-digit")
                sketch_verdict = gr.Markdown(DRAW_HINT, elem_id="gan-sketch-verdict")

        # API-only inputs and outputs (never shown).
        api_file = common.picture_file("image")
        api_label = gr.Number(DEFAULTS["digit"], visible=False, label="label")
        api_probability = gr.Number(visible=False, label="probability")

        presets = gr.Examples([values for values, _ in PRESETS], inputs=[seed, digit, trunc, *pcs],
                    outputs=[image, verdict, neighbours], fn=_show_all, cache_examples=True,
                    cache_mode="lazy", example_labels=[name for _, name in PRESETS], label=t("gan.presets", "Try these", "试试这些"),
                    api_name="gan_example", api_visibility="private")
        fields = {"seed": seed, "digit": digit, "trunc": trunc, **{f"pc{i + 1}": s for i, s in enumerate(pcs)},
                  "seed_b": seed_b, "to": label_b, "frames": frames, "path": mode}      # the walk's settings last
        links.link_button("gan", fields)
        explain.panel("gan")
        tuning = finetune.panel("gan", switch)

    # ------------------------------------------------------------------------- events
    settings = [seed, digit, trunc, *pcs]
    live = dict(trigger_mode="always_last", show_progress="hidden", api_visibility="private")

    @common.friendly
    def first_view(request: gr.Request):
        """The view for the URL's settings (or the defaults): the same values a link restores
        into the widgets, so whichever answer lands last shows the same picture."""
        values = list(links.url_values(request, "gan", fields).values())
        return _show_all(*values[:3 + N_PCS], request=request)

    @common.friendly
    def name_sliders():
        """Slider labels that say what each direction does (measured once, ~1 s the first time)."""
        # The browser translates the one key that follows the "PC1 · → " prefix.
        return [gr.Slider(label=f"PC{i + 1} · → " + str(DIRECTION_NAMES.get(name, name)))
                for i, name in enumerate(_direction_names())]

    # No triggers and no inputs: runs once when the page loads; the names follow.
    gr.on(None, first_view, None, [image, verdict, neighbours], show_progress="hidden",
          api_visibility="private").then(name_sliders, None, pcs, show_progress="hidden",
                                         api_visibility="private")
    # The server draws only when the page cannot (live.fallback). .change alone: it fires while
    # dragging and for resets and links (adding .input sent each move twice).
    fallback(in_page, settings + tuning.inputs, [image, verdict, neighbours], _show_all,
             [seed.change, digit.change, trunc.change], **live)
    fallback(in_page, settings + tuning.inputs, [image, verdict], _show, [s.change for s in pcs], **live)
    # The visitor's own model: drawn by the server (the page holds only the shipped one), also
    # after a preset, whose cached pictures are the shipped model's.
    tuning.redraw(_show_model, settings + tuning.inputs, [image, verdict, neighbours])
    presets.load_input_event.then(_show_tuned_preset, settings + tuning.inputs, [image, verdict, neighbours], **live)
    dice.click(common.new_seed, None, seed, api_visibility="private")
    dice_b.click(common.new_seed, None, seed_b, api_visibility="private")
    reset.click(lambda: [0.0] * N_PCS, None, pcs, api_visibility="private")
    neighbours.select(_pick_neighbour, seed, seed, api_visibility="private")
    gr.on([sketch.change, drawn_label.change], _judge_drawing, [sketch, drawn_label, *tuning.inputs], sketch_verdict,
          **live)
    tuning.redraw(_judge_drawing, [sketch, drawn_label, *tuning.inputs], sketch_verdict)

    # Public endpoints. preprocess=False hands the raw values to the handlers, which check
    # them all and answer bad ones with a gr.Error naming what is allowed.
    walk_inputs = [seed, seed_b, digit, frames, mode, label_b, trunc]
    walk_button.click(_walk_page, walk_inputs + tuning.inputs, [strip, gif], api_visibility="private", preprocess=False)
    gr.on([], gan_interpolate, walk_inputs, [strip, gif], api_name="gan_interpolate", preprocess=False)
    gr.on([], gan_generate, [seed, digit, trunc], image, api_name="gan_generate", preprocess=False)
    gr.on([], gan_edit, settings, image, api_name="gan_edit", preprocess=False)
    # (Gradio checks the file was uploaded before the handler sees it, preprocess or not)
    gr.on([], gan_discriminate, [api_file, api_label], api_probability, api_name="gan_discriminate",
          preprocess=False)
    return links.Tab("gan", url_fields=fields)
