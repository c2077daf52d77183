"""The 2-D playground tab: train a GAN, a VAE, a diffusion model and a flow live, side by side,
on the same points in a plane: a preset shape, or points you place by clicking.

Play runs a gr.Timer: each tick advances every family by `steps per frame` steps and
redraws. Each visitor trains their own models (a per-session gr.State); nothing here is
shared between visitors. The models and their math live in genai/toy2d.py; this file only
turns widget values into calls and results into pictures (drawn with numpy and PIL,
a few milliseconds a frame).

Public API (see the README): /playground_step.
"""

import functools
import math
import threading

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw

from genai import toy2d
from genai.checks import check_range
from genai.toy2d import FAMILIES, MAX_POINTS, MIN_POINTS, PLANE

from . import common, explain, fonts, i18n, links
from .i18n import say, t as tr  # `t` is the noise level here

INTRO = ("**Four generative models, one set of points, trained live.** Pick a shape or click on the data "
         "to add points, then press **▶ Play**. Each family has its own learning rate: the GAN's two "
         "players fall out of step when it is much higher. Untick a family under **Train** to pause "
         "it: the others get its share of the CPU (the GAN needs a few thousand steps for the "
         "checkerboard).")
INTRO_ZH = ("**四种生成模型，同一组点，现场训练。** 选一个形状，或在数据图上点击添加点，然后按 **▶ 播放**。"
            "每种模型有自己的学习率：GAN 的学习率调得高很多时，它的两个玩家就会步调失衡。"
            "在 **训练哪些模型** 中取消勾选某个模型即可暂停它，其余模型会分到它的那份 CPU"
            "（GAN 要几千步才能学会棋盘格）。")
READING = ("**Reading the pictures.** *Top*: real points (grey) and 1,000 generated ones, the same "
           "noise every frame; SW is the sliced Wasserstein distance (lower = closer; the dashed "
           "line is two samples of the data). *GAN*: the critic D's belief that a spot is real, "
           "and where G sends a square grid of noise z. *VAE*: where the encoder puts each data "
           "point in the latent plane (same colours as the data; rings: the learned prior, one "
           "Gaussian per pseudo-point, at 1 σ; the view zooms out as they spread), and where the "
           "decoder sends a grid of z. *Diffusion*: 40 points travelling from noise to data, and "
           "the step the model would take at each spot at noise level t. *Flow*: the same for flow "
           "matching, and its velocity at time 1 − t/1000 (a flow's time runs from 0, noise, to 1, data, "
           "so one slider shows both at the same noise). \"straightness\" is the paths' length over the "
           "distance from start to end: 1 is a straight line. A flow's paths come out far straighter "
           "than diffusion's, which take a fresh random step at each step (DDPM); they still bend, "
           "heading first for the middle of the data, then for their own point.")
READING_ZH = ("**怎么看这些图。** *上方*：真实的点（灰色）和 1,000 个生成的点，每一帧都用同一批噪声；"
              "SW 是切片 Wasserstein 距离（越低越接近；虚线是数据自身两次采样之间的距离）。"
              "*GAN*：判别器 D 认为某处是真实数据的把握，以及 G 把一个方形的噪声 z 网格送到了哪里。"
              "*VAE*：编码器把每个数据点放到潜在平面的哪里（颜色与数据图相同；圆圈：学到的先验，"
              "每个伪数据点一个高斯，画在 1σ 处；它们散开时视图随之缩小），以及解码器把 z 网格送到了哪里。"
              "*扩散模型*：40 个点从噪声走向数据的轨迹，以及在噪声级别 t 下模型在每个位置会迈出的一步。"
              "*流匹配*：同样的轨迹，以及时间 1 − t/1000 处的速度场（流的时间从 0（噪声）走到 1（数据），"
              "这样同一个滑块在两者上对应相同的噪声程度）。轨迹图上的“直度”数字是轨迹长度除以起点到终点的直线距离："
              "1 表示一条直线。流的轨迹比扩散模型的直得多，因为扩散模型（DDPM）每一步都带一次新的随机跳动；"
              "不过流的轨迹仍会拐弯：先朝数据的中部走，再转向各自的终点。")

CUSTOM = "custom"
DATA_NAMES = {"moons": ("Two moons", "双月"), "ring": ("Ring", "圆环"), "spiral": ("Spiral", "螺旋"),
              "gaussians": ("Eight Gaussians", "八个高斯团"), "checkerboard": ("Checkerboard", "棋盘格"),
              "imbalanced": ("Imbalanced: a rare cluster with 10%", "不均衡：一个只占 10% 的稀有簇"),
              CUSTOM: ("My points", "我的点")}
DATA_CHOICES = [(tr(f"playground.data.{value}", en, zh), value) for value, (en, zh) in DATA_NAMES.items()
                if value != CUSTOM] + [(tr("playground.data.custom", "My points (click the data)",
                                           "我的点（点击数据图添加）"), CUSTOM)]
DEFAULTS = {"preset": "moons", "family": "gan", "steps": 200, "width": 64, "seed": 0, "frame_steps": 25,
            "t": 150}
LR_DEFAULTS = toy2d.LEARNING_RATES  # per family: the GAN wants a smaller one (measured, see genai/toy2d.py)
LR_RANGE = (1e-4, 3e-2)
WIDTH_RANGE = (16, 256)
FRAME_STEPS_MAX = 200        # steps per frame, per family
API_STEPS_MAX = 3000         # steps one /playground_step call may train
N_DATA = 1000                # points drawn from a preset
N_SAMPLES = 1000             # generated points per family, always from the same noise (seed SAMPLE_SEED)
SAMPLE_SEED = 12345
N_PATHS = 40                 # diffusion and flow trajectories drawn
SPRAY, SPRAY_STD = 20, 0.12  # a click places SPRAY points around the spot
N_VIEWS = 3 + len(FAMILIES)  # status line, data, a column per family, distance plot
TICK_S = 0.1                 # timer period while playing; a tick that comes while a frame is being made is skipped

# Pictures: each family gets a big panel (real vs generated) over two small ones.
BIG, SMALL = 300, 150
WHITE, GRID_GREY, REAL_GREY, DARK = (255, 255, 255), (232, 232, 232), (170, 170, 170), (40, 40, 40)
COLORS = {"gan": (230, 110, 10), "vae": (30, 140, 60), "diffusion": (25, 105, 220), "flow": (150, 50, 170)}
TRAIL_COLORS = {"diffusion": (150, 180, 235), "flow": (210, 170, 220)}     # paths, lighter than the points
NAMES = {"gan": "GAN", "vae": "VAE", "diffusion": "Diffusion", "flow": "Flow"}
NAMES_ZH = {"gan": "GAN", "vae": "VAE", "diffusion": "扩散模型", "flow": "流匹配"}
FAKE_RGB, REAL_RGB = np.array([246, 200, 200]), np.array([196, 228, 196])    # D's heat map: fake .. real
# The words drawn inside the pictures, in each language of the page (format strings).
WORDS = {
    "en": {"data": "Data: {n} points · click to add", "empty": "Click to place points", "few": " (at least {n})",
           "step": "{name} · step {step}", "rare": "rare cluster {samples:.0%} (data {data:.0%})",
           "diverged": "diverged: lower the learning rate, Reset", "heat": "D(x): green = 'real'",
           "g_map": "G(z) of a z-grid", "encoder": "encoder: x -> z (±{span:g})",
           "decoder": "decoder: z-grid (±{span:g}) -> x", "trails": "noise -> points",
           "straightness": "straightness {s:.2f}", "field": "denoising field, t={t}",
           "velocity": "velocity, time {s:.2f}", "steps": "{n} steps", "distance": "Distance to the data (SW)"},
    "zh-CN": {"data": "数据：{n} 个点 · 点击添加", "empty": "点击放置数据点", "few": "（至少 {n} 个）",
              "step": "{name} · 第 {step} 步", "rare": "稀有簇 {samples:.0%}（数据 {data:.0%}）",
              "diverged": "发散了：调低学习率，再按重置", "heat": "D(x)：绿色 = “真实”",
              "g_map": "G(z)：z 网格的映射", "encoder": "编码器：x -> z（±{span:g}）",
              "decoder": "解码器：z 网格（±{span:g}）-> x", "trails": "噪声 -> 数据点",
              "straightness": "直线度 {s:.2f}", "field": "去噪场，t={t}",
              "velocity": "速度场，时间 {s:.2f}", "steps": "{n} 步", "distance": "与数据的距离（SW）"},
}
FAMILY_NAMES = {"en": NAMES, "zh-CN": NAMES_ZH}


def _words(lang: str, key: str, **values) -> str:
    """The text `key` of WORDS in `lang`, its {fields} filled in."""
    return WORDS[lang][key].format(**values)


@functools.lru_cache(maxsize=2048)
def _label(text: str, size: int, color: tuple) -> Image.Image:
    """A text on a white tile, cached: most labels repeat every frame, and drawing text is slow."""
    font = fonts.pil_font(size, text)
    right, bottom = font.getbbox(text)[2:]
    tile = Image.new("RGB", (right + 5, bottom + 3), WHITE)
    ImageDraw.Draw(tile).text((2, 1), text, fill=color, font=font)
    return tile


def _put(image: Image.Image, xy, text: str, size: int = 11, color=DARK, anchor: str = "lt") -> None:
    """Paste a label at xy; anchor as in PIL: l/m/r horizontally, t/m/b vertically."""
    tile = _label(text, size, tuple(color))
    x, y = xy
    x -= {"l": 0, "m": tile.width // 2, "r": tile.width}[anchor[0]]
    y -= {"t": 0, "m": tile.height // 2, "b": tile.height}[anchor[1]]
    image.paste(tile, (int(x), int(y)))


# ----------------------------------------------------------------------------- checking values
# They raise ValueError; common.friendly turns it into the gr.Error the visitor reads.

def _number(name: str, value, low: float, high: float) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a number in {low:g} to {high:g}, got {value!r:.40}")
    return float(value)


def _choice(name: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r:.40}")
    return value


def _families(value) -> list[str]:
    """The ticked families, in FAMILIES order (none is allowed: then nothing trains)."""
    if value is None:
        return list(FAMILIES)
    if not isinstance(value, (list, tuple)) or any(f not in FAMILIES for f in value):
        raise ValueError(f"families to train must be a list of {', '.join(FAMILIES)}; got {value!r:.60}")
    return [f for f in FAMILIES if f in value]


def _settings(lrs, width, seed) -> tuple[dict, int, int]:
    """Checked ({family: learning rate}, width, seed) from widget values; `lrs` holds one
    learning rate per family, in FAMILIES order."""
    if len(lrs) != len(FAMILIES):
        raise ValueError(f"need {len(FAMILIES)} learning rates ({', '.join(FAMILIES)}), got {len(lrs)}")
    lrs = {f: _number(f"{NAMES[f]} learning rate", lr, *LR_RANGE) for f, lr in zip(FAMILIES, lrs)}
    width = check_range("width", width, *WIDTH_RANGE, integer=True)
    return lrs, width, check_range("seed", seed, 0, common.SEED_MAX, integer=True)


# ----------------------------------------------------------------------------- drawing

def _to_px(points, size: int, span: float = PLANE) -> np.ndarray:
    """Plane coordinates (N, 2), y up -> pixel coordinates (N, 2) (column, row), row 0 at the top."""
    p = np.asarray(points, np.float64)
    scale = (size - 1) / (2 * span)
    return np.stack([(p[:, 0] + span) * scale, (span - p[:, 1]) * scale], 1)


def _from_px(col: float, row: float, size: int, span: float = PLANE) -> tuple[float, float]:
    scale = (size - 1) / (2 * span)
    return col / scale - span, span - row / scale


def _canvas(size: int) -> np.ndarray:
    """A white square with light axes through the origin."""
    img = np.full((size, size, 3), 255, np.uint8)
    mid = (size - 1) // 2
    img[mid, :] = img[:, mid] = GRID_GREY
    return img


def _dots(img: np.ndarray, points, color, radius: int = 1, span: float = PLANE) -> np.ndarray:
    """Stamp a (2r+1)-pixel square at each point inside the picture (points outside are skipped)."""
    points, color = np.asarray(points, np.float64), np.asarray(color, np.uint8)
    finite = np.isfinite(points).all(1) if len(points) else np.zeros(0, bool)
    points, color = points[finite], color if color.ndim == 1 else color[finite]     # a diverged model: skip
    if len(points) == 0:
        return img
    size = img.shape[0]
    px = np.rint(np.clip(_to_px(points, size, span), -2 * size, 2 * size)).astype(np.int64)
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            r, c = px[:, 1] + dr, px[:, 0] + dc
            keep = (r >= 0) & (r < size) & (c >= 0) & (c < size)
            img[r[keep], c[keep]] = color if color.ndim == 1 else color[keep]
    return img


def _polylines(image: Image.Image, lines, color, width: int = 1, span: float = PLANE) -> None:
    """Draw polylines (L, P, 2) given in plane coordinates onto a PIL image."""
    draw = ImageDraw.Draw(image)
    size = image.size[0]
    for line in np.asarray(lines):
        px = np.clip(_to_px(line, size, span), -size, 2 * size)       # far points: clipped, still drawable
        if np.isfinite(px).all():
            draw.line([tuple(p) for p in px], fill=color, width=width)


def _caption(image: Image.Image, text: str, size: int = 13) -> Image.Image:
    """A caption in the top left corner, on white so it stays readable."""
    _put(image, (2, 1), text, size)
    return image


def _hues(points) -> np.ndarray:
    """uint8 (N, 3) colours from each point's angle around the origin: the data panel and the
    VAE's encoder map use the same colours, so you can see where each part of the data goes."""
    p = np.nan_to_num(np.asarray(points, np.float64))
    h = (np.arctan2(p[:, 1], p[:, 0]) / (2 * np.pi)) % 1.0
    k = (np.array([5.0, 3.0, 1.0])[None] + h[:, None] * 6) % 6        # HSV -> RGB, s = 0.75, v = 0.9
    rgb = 0.9 - 0.9 * 0.75 * np.clip(np.minimum(k, 4 - k), 0, 1)
    return (rgb * 255).astype(np.uint8)


def _data_picture(data: torch.Tensor, size: int = BIG, lang: str = "en") -> np.ndarray:
    """The training points, coloured by angle; a hint when there are too few."""
    img = _dots(_canvas(size), data, _hues(data), radius=1)
    image = Image.fromarray(img)
    text = _words(lang, "data", n=len(data)) if len(data) else _words(lang, "empty")
    if len(data) < MIN_POINTS:
        text += _words(lang, "few", n=MIN_POINTS)
    return np.asarray(_caption(image, text))


def _real_vs_generated(family: str, data, samples, step: int, distance: float, rare: bool = False,
                       lang: str = "en") -> Image.Image:
    img = _dots(_canvas(BIG), data, REAL_GREY, radius=1)
    img = _dots(img, samples, COLORS[family], radius=1)
    image = _caption(Image.fromarray(img), _words(lang, "step", name=FAMILY_NAMES[lang][family], step=step))
    if rare:        # bias, measured: the share of samples on the rare cluster, against the data's
        _put(image, (BIG - 2, 24), _words(lang, "rare", samples=toy2d.rare_mass(samples), data=toy2d.rare_mass(data)),
             13, COLORS[family], "rt")
    text = f"SW {distance:.3f}" if math.isfinite(distance) else _words(lang, "diverged")
    _put(image, (BIG - 2, BIG - 2), text, 13, COLORS[family], "rb")
    return image


def _gan_views(gan: toy2d.ToyGAN, data, samples, lang: str = "en") -> list[Image.Image]:
    """D's heat map (with real and generated points) and G's map of a latent grid."""
    n = SMALL // 4
    p_real = np.nan_to_num(gan.realness(toy2d.plane_grid(n)).reshape(n, n).numpy(), nan=0.5)
    heat = (FAKE_RGB + p_real[..., None] * (REAL_RGB - FAKE_RGB)).astype(np.uint8)
    img = np.asarray(Image.fromarray(heat).resize((SMALL, SMALL), Image.BILINEAR)).copy()
    img = _dots(_dots(img, data, REAL_GREY, 0), samples[:300], COLORS["gan"], 0)
    heat_map = _caption(Image.fromarray(img), _words(lang, "heat"), 11)

    grid_map = Image.fromarray(_dots(_canvas(SMALL), data, GRID_GREY, 0))
    _polylines(grid_map, gan.map_lines(toy2d.grid_lines()), COLORS["gan"])
    return [heat_map, _caption(grid_map, _words(lang, "g_map"), 11)]


LATENT_SPANS = (3, 4, 6, 8, 12, 16, 24, 32)   # the VAE's latent views zoom out in these steps


def _latent_span(prior_mu: np.ndarray, prior_sd: np.ndarray) -> float:
    """The smallest of LATENT_SPANS that holds every prior component out to 2 sigma (a diverged
    model's NaNs are ignored; past the largest span, the largest)."""
    reach = float(np.nan_to_num(np.abs(prior_mu) + 2 * prior_sd, nan=0.0, posinf=np.inf).max(initial=0.0))
    return next((s for s in LATENT_SPANS if s >= reach), LATENT_SPANS[-1])


def _vae_views(vae: toy2d.ToyVAE, data, lang: str = "en") -> list[Image.Image]:
    """The encoder's map (data -> latent plane, coloured as the data panel, with a ring for each
    component of the learned prior) and the decoder's map (a latent grid -> the data plane).
    The prior is free to spread out as it trains, so the latent views zoom out to keep it in."""
    with torch.no_grad():
        prior_mu, prior_logvar, _ = (v.numpy() for v in vae.prior())
    prior_sd = np.exp(0.5 * prior_logvar)
    span = _latent_span(prior_mu, prior_sd)
    encoded = Image.fromarray(_dots(_canvas(SMALL), vae.encode_points(data), _hues(data), 0, span))
    draw = ImageDraw.Draw(encoded)
    corners = zip(_to_px(prior_mu - prior_sd, SMALL, span), _to_px(prior_mu + prior_sd, SMALL, span))
    for (x0, y1), (x1, y0) in corners:                    # each component of the prior, at 1 sigma
        if np.isfinite([x0, y0, x1, y1]).all() and max(abs(x0), abs(y0), abs(x1), abs(y1)) < 4 * SMALL:
            draw.ellipse((x0, y0, x1, y1), outline=REAL_GREY)
    decoded = Image.fromarray(_dots(_canvas(SMALL), data, GRID_GREY, 0))
    _polylines(decoded, vae.map_lines(toy2d.grid_lines(span=2 * span / 3)), COLORS["vae"])
    return [_caption(encoded, _words(lang, "encoder", span=span), 11),
            _caption(decoded, _words(lang, "decoder", span=2 * span / 3), 11)]


ARROW_FEET = toy2d.plane_grid(13, PLANE * 12 / 13)                        # where a field's arrows start


def _trails(family: str, data, paths, lang: str = "en") -> Image.Image:
    """N_PATHS of a family's paths (steps + 1, N, 2) from noise to points, and how straight all N are."""
    trails = Image.fromarray(_dots(_canvas(SMALL), data, GRID_GREY, 0))
    _polylines(trails, paths[:, :N_PATHS].transpose(0, 1), TRAIL_COLORS[family])
    trails = Image.fromarray(_dots(np.asarray(trails).copy(), paths[-1, :N_PATHS], COLORS[family], 1))
    _put(trails, (SMALL - 2, SMALL - 2), _words(lang, "straightness", s=toy2d.straightness(paths)), 11,
         COLORS[family], "rb")
    return _caption(trails, _words(lang, "trails"), 11)


def _field(family: str, data, arrows, caption: str) -> Image.Image:
    """Arrows (one per ARROW_FEET point, in plane units) over the data; long ones cut to fit."""
    spacing = 2 * PLANE / 13
    length = arrows.norm(dim=1, keepdim=True)
    arrows = arrows * (1.2 * spacing / length).clamp(max=1.0)
    field = Image.fromarray(_dots(_canvas(SMALL), data, GRID_GREY, 0))
    _polylines(field, torch.stack([ARROW_FEET, ARROW_FEET + arrows], 1), COLORS[family])
    return _caption(Image.fromarray(_dots(np.asarray(field).copy(), ARROW_FEET, DARK, 0)), caption, 11)


def _diffusion_views(model: toy2d.ToyDiffusion, data, paths, t: int, lang: str = "en") -> list[Image.Image]:
    """Denoising trajectories from noise to points, and the denoising field at noise level t."""
    return [_trails("diffusion", data, paths, lang),
            _field("diffusion", data, model.denoising_field(t, ARROW_FEET), _words(lang, "field", t=t))]


def _flow_time(t: int) -> float:
    """The slider's noise level t (0 = clean, 999 = noise) as a flow's time (0 = noise, 1 = data)."""
    return 1 - t / 1000


def _flow_views(model: toy2d.ToyFlow, data, paths, t: int, lang: str = "en") -> list[Image.Image]:
    """Flow paths from noise to points, and the velocity field at the flow's time for noise level t.
    The arrows show a quarter of the velocity: where a point moves in a quarter of the time."""
    s = _flow_time(t)
    return [_trails("flow", data, paths, lang),
            _field("flow", data, 0.25 * model.velocity_field(s, ARROW_FEET), _words(lang, "velocity", s=s))]


# Each family's two small views, from (model, data, samples, paths, t, lang); paths only for those
# with trajectories
VIEWS = {"gan": lambda model, data, samples, paths, t, lang: _gan_views(model, data, samples, lang),
         "vae": lambda model, data, samples, paths, t, lang: _vae_views(model, data, lang),
         "diffusion": lambda model, data, samples, paths, t, lang: _diffusion_views(model, data, paths, t, lang),
         "flow": lambda model, data, samples, paths, t, lang: _flow_views(model, data, paths, t, lang)}


def _family_picture(family: str, run: toy2d.Run, data: torch.Tensor, t: int,
                    rare: bool = False, lang: str = "en") -> tuple[np.ndarray, float]:
    """One family's column: real vs generated on top, its two own views below; and the SW.
    Its words in `lang`."""
    model = run.model
    paths = None
    if hasattr(model, "trajectories"):                                     # diffusion, flow: their paths too
        paths = model.trajectories(N_SAMPLES, SAMPLE_SEED)                # (steps + 1, N, 2)
        samples = paths[-1]
    else:
        samples = model.sample(N_SAMPLES, SAMPLE_SEED)
    distance = toy2d.measure(run, data, samples)
    views = VIEWS[family](model, data, samples, paths, t, lang)
    picture = Image.new("RGB", (BIG, BIG + SMALL), WHITE)
    picture.paste(_real_vs_generated(family, data, samples, run.step, distance, rare, lang), (0, 0))
    for i, view in enumerate(views):
        picture.paste(view, (i * SMALL, BIG))
    draw = ImageDraw.Draw(picture)
    draw.line((0, BIG, BIG, BIG), fill=REAL_GREY)
    draw.line((SMALL, BIG, SMALL, BIG + SMALL), fill=REAL_GREY)
    return np.asarray(picture), distance


PLOT_W, PLOT_H = BIG, SMALL
PLOT_LEFT, PLOT_BOTTOM, PLOT_TOP, PLOT_RIGHT = 38, 22, 22, 8
Y_TICKS = (0.03, 0.1, 0.3, 1.0, 3.0)


def _distance_plot(runs: dict[str, toy2d.Run], floor: float, lang: str = "en") -> np.ndarray:
    """SW (log scale) against training steps, one line per family; dashed: two samples of the data."""
    image = Image.new("RGB", (PLOT_W, PLOT_H), WHITE)
    draw = ImageDraw.Draw(image)
    x0, x1, y0, y1 = PLOT_LEFT, PLOT_W - PLOT_RIGHT, PLOT_H - PLOT_BOTTOM, PLOT_TOP
    last = max([s for run in runs.values() for s, _ in run.history] + [100])
    lo, hi = math.log(Y_TICKS[0]), math.log(Y_TICKS[-1])

    def xy(step, value):
        v = min(max(math.log(max(value, 1e-9)), lo), hi)
        return x0 + (x1 - x0) * step / last, y0 + (y1 - y0) * (v - lo) / (hi - lo)

    for tick in Y_TICKS:
        _, y = xy(0, tick)
        draw.line((x0, y, x1, y), fill=GRID_GREY)
        _put(image, (x0 - 3, y), f"{tick:g}", anchor="rm")
    _put(image, (x0, y0 + 3), "0")
    _put(image, (x1, y0 + 3), _words(lang, "steps", n=last), anchor="rt")
    if math.isfinite(floor):
        _, y = xy(0, floor)
        for x in range(x0, x1, 8):
            draw.line((x, y, min(x + 4, x1), y), fill=REAL_GREY)
    for family, run in runs.items():
        points = [xy(s, d) for s, d in run.history if math.isfinite(d)]
        if len(points) > 1:
            draw.line(points, fill=COLORS[family], width=2)
        elif points:
            draw.ellipse((points[0][0] - 2, points[0][1] - 2, points[0][0] + 2, points[0][1] + 2), fill=COLORS[family])
    _put(image, (2, 2), _words(lang, "distance"))
    x = x1
    for family in reversed(FAMILIES):
        name = FAMILY_NAMES[lang][family]
        _put(image, (x, y1), name, color=COLORS[family], anchor="rb")
        x -= _label(name, 11, COLORS[family]).width + 4
    return np.asarray(image)


# ----------------------------------------------------------------------------- the session

def _new_session(preset: str, lrs: dict, width: int, seed: int) -> dict:
    """A visitor's playground: the data, one run per family, and a lock so that a tick, a
    click and a reset never touch it at the same time."""
    data = toy2d.preset(preset, N_DATA, seed)
    session = {"lock": threading.Lock(), "source": preset, "data": data}
    _restart(session, lrs, width, seed)
    return session


def _restart(session: dict, lrs: dict, width: int, seed: int) -> None:
    """Fresh models (seeded) for every family; the data stay."""
    session["runs"] = {f: toy2d.new_run(f, width, lrs[f], seed) for f in FAMILIES}
    session["settings"] = (width, seed)
    data = session["data"]
    session["floor"] = (toy2d.sliced_wasserstein(toy2d.preset(session["source"], N_SAMPLES, seed + 1), data)
                        if session["source"] != CUSTOM else float("nan"))


def _status(session: dict, request: gr.Request | None = None) -> str:
    """One line under the controls: the step counts and the data."""
    en, zh = DATA_NAMES[session["source"]]
    steps, n = {f: run.step for f, run in session["runs"].items()}, len(session["data"])
    if len(set(steps.values())) == 1:
        return say(request, f"**Step {steps['gan']}** (each family) · {n} points: {en.lower()}",
                   f"**第 {steps['gan']} 步**（每种模型各自）· {n} 个点：{zh}")
    return say(request, "**Steps** " + " · ".join(f"{NAMES[f]} {s}" for f, s in steps.items())
               + f" · {n} points: {en.lower()}",
               "**步数** " + " · ".join(f"{NAMES_ZH[f]} {s}" for f, s in steps.items()) + f" · {n} 个点：{zh}")


def _render(session: dict, t: int, request: gr.Request | None = None, families=FAMILIES) -> list:
    """Every output: the status line, the data, a column per family (only those of `families`
    are redrawn; the others keep their picture), the distance plot; words in the page's language."""
    data, lang = session["data"], i18n.lang(request)
    out = [_status(session, request), _data_picture(data, lang=lang)]
    for family in FAMILIES:
        if family not in families:
            out.append(gr.update())
        elif len(data) >= MIN_POINTS:
            out.append(_family_picture(family, session["runs"][family], data, t,
                                       rare=session["source"] == "imbalanced", lang=lang)[0])
        else:
            out.append(np.full((BIG + SMALL, BIG, 3), 255, np.uint8))
    out.append(_distance_plot(session["runs"], session["floor"], lang))
    return out


def _session(state, preset, lrs, width, seed) -> dict:
    """The visitor's session, made on first use (and again after it expired)."""
    if state is None:
        state = _new_session(preset if preset != CUSTOM else DEFAULTS["preset"], lrs, width, seed)
    return state


# ----------------------------------------------------------------------------- page handlers
# Each takes the learning rates last, one per family in FAMILIES order (*lrs), so that a new
# family adds a box, not a parameter. Gradio fills `request` (and `evt`) by their place among
# the parameters, which is why they come before *lrs and Python callers pass None there.

@common.friendly
def _show(state, preset, width, seed, t, request: gr.Request = None, *lrs):
    """Redraw without training (a new t, the page loading)."""
    lrs, width, seed = _settings(lrs, width, seed)
    t = check_range("t", t, 0, 999, integer=True)
    state = _session(state, preset, lrs, width, seed)
    with state["lock"]:
        return state, *_render(state, t, request)


@common.friendly
def _advance(state, preset, width, seed, t, frame_steps, families=None, request: gr.Request = None, *lrs):
    """One frame: each ticked family (all by default) trains `frame_steps` steps on the same
    data, then a redraw of what changed. Unticked families wait, so the ticked ones get the CPU.
    A bad setting (a cleared seed box, say) pauses with a warning, rather than an error every tick."""
    try:
        lrs, width, seed = _settings(lrs, width, seed)
        t = check_range("t", t, 0, 999, integer=True)
        frame_steps = check_range("steps per frame", frame_steps, 1, FRAME_STEPS_MAX, integer=True)
        families = _families(families)
    except ValueError as e:
        gr.Warning(say(request, f"Paused: {e}", f"已暂停：{e}"))
        return state, gr.Timer(active=False), *[gr.update()] * N_VIEWS
    state = _session(state, preset, lrs, width, seed)
    with state["lock"]:
        redraw = families
        if state["settings"] != (width, seed):            # a new width or seed: start over
            _restart(state, lrs, width, seed)
            redraw = FAMILIES                             # ... and show every fresh model
        data = state["data"]
        if len(data) >= MIN_POINTS:
            for family in families:
                run = state["runs"][family]
                toy2d.set_lr(run, lrs[family])
                toy2d.train(run, data, frame_steps)
        return state, gr.update(), *_render(state, t, request, redraw)


@common.friendly
def _reset(state, preset, width, seed, t, request: gr.Request = None, *lrs):
    """Fresh models on the current data."""
    lrs, width, seed = _settings(lrs, width, seed)
    state = _session(state, preset, lrs, width, seed)
    with state["lock"]:
        _restart(state, lrs, width, seed)
        return state, *_render(state, check_range("t", t, 0, 999, integer=True), request)


@common.friendly
def _choose_data(state, preset, width, seed, t, request: gr.Request = None, *lrs):
    """A new preset or seed: its points, and fresh models. "My points" keeps the current points."""
    preset = _choice("data", preset, [value for _, value in DATA_CHOICES])
    lrs, width, seed = _settings(lrs, width, seed)
    state = _session(state, preset, lrs, width, seed)
    with state["lock"]:
        if preset != CUSTOM:
            state["data"], state["source"] = toy2d.preset(preset, N_DATA, seed), preset
            _restart(state, lrs, width, seed)
        else:                                             # the points stay, and so do the models
            state["source"], state["floor"] = CUSTOM, float("nan")
            if state["settings"] != (width, seed):        # ... unless the seed or width changed
                _restart(state, lrs, width, seed)
        return state, *_render(state, check_range("t", t, 0, 999, integer=True), request)


@common.friendly
def _add_points(state, preset, width, seed, t, evt: gr.SelectData, request: gr.Request = None, *lrs):
    """A click on the data: SPRAY points around the spot; the data become "my points"."""
    lrs, width, seed = _settings(lrs, width, seed)
    state = _session(state, preset, lrs, width, seed)
    if not isinstance(evt.index, (list, tuple)) or len(evt.index) != 2:
        return state, gr.update(), *_render(state, check_range("t", t, 0, 999, integer=True), request)
    x, y = _from_px(float(evt.index[0]), float(evt.index[1]), BIG)
    with state["lock"]:
        data = state["data"]
        if len(data) + SPRAY > MAX_POINTS:
            raise gr.Error(say(request, f"At most {MAX_POINTS} points: press Clear to start again.",
                               f"最多 {MAX_POINTS} 个点：按“清除所有点”重新开始。"))
        g = torch.Generator().manual_seed(len(data))
        spot = (torch.tensor([[x, y]]) + SPRAY_STD * torch.randn(SPRAY, 2, generator=g)).clamp(-PLANE, PLANE)
        state["data"] = torch.cat([data, spot])
        state["source"], state["floor"] = CUSTOM, float("nan")
        return state, CUSTOM, *_render(state, check_range("t", t, 0, 999, integer=True), request)


@common.friendly
def _clear(state, preset, width, seed, t, request: gr.Request = None, *lrs):
    """No points at all (and fresh models): click to place new ones."""
    lrs, width, seed = _settings(lrs, width, seed)
    state = _session(state, preset, lrs, width, seed)
    with state["lock"]:
        state["data"], state["source"] = torch.zeros(0, 2), CUSTOM
        _restart(state, lrs, width, seed)
        return (state, CUSTOM, gr.Timer(active=False),
                *_render(state, check_range("t", t, 0, 999, integer=True), request))


def _play(state, request: gr.Request = None):
    """Start the timer, unless there is nothing to learn yet."""
    if state is not None and len(state["data"]) < MIN_POINTS:
        raise gr.Error(say(request, f"Place at least {MIN_POINTS} points first: click on the data panel.",
                           f"请先放置至少 {MIN_POINTS} 个点：在数据图上点击。"))
    return gr.Timer(active=True)


# ----------------------------------------------------------------------------- public API

@common.friendly
def playground_step(preset=DEFAULTS["preset"], family=DEFAULTS["family"], steps=DEFAULTS["steps"],
                    lr=None, width=DEFAULTS["width"], seed=DEFAULTS["seed"], points=None):
    """Train one family (gan, vae, diffusion or flow) from scratch for `steps` (0-3000) steps on a
    preset (moons, ring, spiral, gaussians, checkerboard, imbalanced), or on `points` ([[x, y], ...],
    10-2000 of them, x and y in -3..3) when given, with learning rate `lr` (1e-4 to 0.03;
    default: the family's, gan 0.004, vae, diffusion and flow 0.01), hidden width (16-256) and seed. Returns its picture (real vs generated on top; below, for
    the GAN D's heat map and G's map of a latent grid, for the VAE the encoder's and decoder's
    maps, for diffusion trajectories and the denoising field at t=150, for flow trajectories and
    the velocity field at time 0.85) and the sliced Wasserstein distance between 1000 generated
    points and the data."""
    family = _choice("family", family, FAMILIES)
    steps = check_range("steps", steps, 0, API_STEPS_MAX, integer=True)
    lr = LR_DEFAULTS[family] if lr is None else _number("learning rate", lr, *LR_RANGE)
    width = check_range("width", width, *WIDTH_RANGE, integer=True)
    seed = check_range("seed", seed, 0, common.SEED_MAX, integer=True)
    if points is None or points == []:               # not given: the preset
        data = toy2d.preset(_choice("preset", preset, toy2d.PRESETS), N_DATA, seed)
    else:
        data = toy2d.check_points(points)
    run = toy2d.train(toy2d.new_run(family, width, lr, seed), data, steps)
    picture, distance = _family_picture(family, run, data, DEFAULTS["t"])
    return picture, round(distance, 4) if math.isfinite(distance) else None


# ----------------------------------------------------------------------------- layout

def build() -> links.Tab:
    with gr.Tab(tr("tab.playground", "2-D playground", "二维演练场"), id="playground") as page:
        with gr.Row(equal_height=False):
            preset = gr.Dropdown(DATA_CHOICES, value=DEFAULTS["preset"], label=tr("playground.data", "Data", "数据"),
                                 elem_id="playground-data",
                                 min_width=170, scale=2)
            play = gr.Button(tr("playground.play", "▶ Play", "▶ 播放"), variant="primary", elem_id="playground-play",
                             min_width=90, scale=0)
            pause = gr.Button(tr("playground.pause", "Pause", "暂停"), elem_id="playground-pause", min_width=90, scale=0)
            step = gr.Button(tr("playground.step", "Step", "单步"), elem_id="playground-step", min_width=80, scale=0)
            reset = gr.Button(tr("playground.reset", "↺ Reset", "↺ 重置"), elem_id="playground-reset", min_width=105,
                              scale=0)
            frame_steps = gr.Slider(1, FRAME_STEPS_MAX, value=DEFAULTS["frame_steps"], step=1,
                                    label=tr("playground.frame_steps", "Steps per frame", "每帧训练步数"),
                                    elem_id="playground-frame-steps", min_width=200, scale=2)
            width = gr.Slider(*WIDTH_RANGE, value=DEFAULTS["width"], step=16,
                              label=tr("playground.width", "Width (restarts)", "网络宽度（改动后重新开始）"),
                              elem_id="playground-width", min_width=200, scale=2)
        status = gr.Markdown(elem_id="playground-status")
        with gr.Row(equal_height=False):
            with gr.Column(min_width=240):
                data_image = common.image_output(tr("playground.data_image", "Data (click to add points)",
                                                    "数据（点击添加点）"), elem_id="playground-data-image",
                                                 show_label=False, buttons=[])
                plot = common.image_output(tr("playground.plot", "Distance to the data over training",
                                              "训练过程中与数据的距离"), elem_id="playground-plot",
                                           show_label=False, buttons=[])
            pictures = [common.image_output(tr(f"playground.name.{f}", NAMES[f], NAMES_ZH[f]), elem_id=f"playground-{f}",
                                            show_label=False, buttons=[]) for f in FAMILIES]
        with gr.Row(equal_height=False):
            training = gr.CheckboxGroup([(tr(f"playground.name.{f}", NAMES[f], NAMES_ZH[f]), f) for f in FAMILIES],
                                        value=list(FAMILIES), elem_id="playground-train", min_width=220,
                                        label=tr("playground.train", "Train (untick to pause a family)",
                                                 "训练哪些模型（取消勾选即暂停）"))
            lrs = [gr.Number(LR_DEFAULTS[f], label=tr(f"playground.lr.{f}", f"{NAMES[f]} learning rate",
                                                      f"{NAMES_ZH[f]}学习率"), minimum=LR_RANGE[0],
                             maximum=LR_RANGE[1], step=0.001, elem_id=f"playground-lr-{f}", min_width=120)
                   for f in FAMILIES]
            seed = gr.Number(DEFAULTS["seed"], label=tr("playground.seed", "Seed (data, weights)", "种子（数据、权重）"),
                             precision=0, minimum=0, maximum=common.SEED_MAX, elem_id="playground-seed", min_width=120)
            t = gr.Slider(0, 999, value=DEFAULTS["t"], step=1, elem_id="playground-t", min_width=240, scale=2,
                          label=tr("playground.t", "Fields at noise level t (0 = clean, 999 = noise; flow time 1 − t/1000)",
                                   "噪声级别 t 下的向量场（0 = 干净，999 = 纯噪声；流的时间为 1 − t/1000）"))
            clear = gr.Button(tr("playground.clear", "Clear points", "清除所有点"), elem_id="playground-clear",
                              min_width=140, scale=0)
        rates = [LR_DEFAULTS[f] for f in FAMILIES]
        presets = common.presets("playground.preset", [
            (["moons", *rates, 25, 0], "two moons: watch all four learn", "双月：看四种模型一起学"),
            (["imbalanced", *rates, 50, 0], "a rare cluster (10%): who finds it?", "稀有簇（10%）：谁能找到它？"),
            (["moons", 0.03, *rates[1:], 25, 0], "GAN learning rate 0.03: too high", "GAN 学习率 0.03：太高了")],
            [preset, *lrs, frame_steps, seed],
            tr("playground.presets", "Starting points: click one, it plays at once", "起点：点一个，马上开始播放"))
        gr.Markdown(tr("playground.intro", INTRO + "\n\n" + READING, INTRO_ZH + "\n\n" + READING_ZH))
        fields = {"data": preset, **{f"lr_{f}": box for f, box in zip(FAMILIES, lrs)}, "width": width,
                  "spf": frame_steps, "seed": seed, "t": t}
        links.link_button("playground", fields)
        explain.panel("playground")
        state = gr.State(None, time_to_live=3600)
        timer = gr.Timer(TICK_S, active=False)
        # API-only outputs.
        api_picture = common.image_output("picture", visible=False)
        api_distance = gr.Number(visible=False, label="distance")
        api_family = gr.Textbox(DEFAULTS["family"], visible=False, label="family")
        api_steps = gr.Number(DEFAULTS["steps"], visible=False, label="steps")
        api_points = gr.JSON(None, visible=False, label="points")
        api_lr = gr.Number(None, visible=False, label="lr")

    # ------------------------------------------------------------------------- events
    views = [status, data_image, *pictures, plot]
    settings = [state, preset, width, seed, t]
    private = dict(api_visibility="private", show_progress="hidden")
    # Ticks of one visitor never overlap (trigger_mode "once"); a lock guards the rest. All frames
    # (every visitor's ticks and steps) share one pool: 2 at a time, one per core.
    frame = dict(fn=_advance, inputs=[*settings, frame_steps, training, *lrs], outputs=[state, timer, *views],
                 concurrency_limit=2, concurrency_id="playground", **private)
    timer.tick(**frame)
    step.click(**frame)
    play.click(_play, state, timer, **private)
    pause.click(lambda: gr.Timer(active=False), None, timer, **private)
    reset.click(_reset, [*settings, *lrs], [state, *views], **private)
    width.change(_reset, [*settings, *lrs], [state, *views], **private)
    gr.on([preset.change, seed.change], _choose_data, [*settings, *lrs], [state, *views], **private)
    t.change(_show, [*settings, *lrs], [state, *views], trigger_mode="always_last", **private)
    data_image.select(_add_points, [*settings, *lrs], [state, preset, *views], **private)
    clear.click(_clear, [*settings, *lrs], [state, preset, timer, *views], **private)
    # A preset starts over on its data (even when only a learning rate changed), then plays.
    presets.load_input_event.then(_choose_data, [*settings, *lrs], [state, *views], **private).then(
        _play, state, timer, **private)

    def first_view(state, request: gr.Request):
        """The first view, when the tab first opens, for the URL's settings (or the defaults):
        the values a link restores into the widgets, so whichever answer lands last shows the
        same. Opening the tab again keeps what is there (training goes on where it was)."""
        if state is not None:
            return [gr.skip()] * (1 + len(views))
        values = links.url_values(request, "playground", fields)
        return _choose_data(None, *(values[k] for k in ("data", "width", "seed", "t")), request,
                            *(values[f"lr_{f}"] for f in FAMILIES))

    # When the tab opens, not when the page loads: work (and page updates) only for visitors who come here.
    page.select(first_view, state, [state, *views], **private)

    # Public endpoint: values straight to the handler, which checks them all.
    gr.on([], playground_step, [preset, api_family, api_steps, api_lr, width, seed, api_points], [api_picture, api_distance],
          api_name="playground_step", preprocess=False)
    return links.Tab("playground", url_fields=fields, timer=timer)
