"""The Flow matching tab: follow a learned velocity from noise to a digit along nearly straight paths.

Two views:
1. Sample: watch x_t, the predicted end x₁ and the velocity v at every step; replay the
   run or download it as a GIF (the run machinery is ui/stepwise.py, shared with diffusion);
2. Few steps: one seed at 1, 2, 4, 8 and 20 steps, beside diffusion (DDIM) at the same steps:
   straight paths need few steps.

Public API (see the README): /flow_sample (streams every step), /flow_few_steps.
"""

import functools

import gradio as gr
import numpy as np

from genai.checks import check_range, check_seed
from genai.flow import GUIDANCE, MAX_STEPS, STEPS
from genai.images import to_uint8

from . import common, explain, finetune, links, stepwise
from .i18n import leftover, say, t
from .stepwise import cancel_run, digit_box, parse_label, seed_box

SAMPLER_CHOICES = [(t("flow.euler", "Euler — one look per step", "欧拉法 —— 每步看一次"), "euler"),
                   (t("flow.heun", "Heun — two looks per step", "Heun 法 —— 每步看两次"), "heun")]
FEW_STEPS = (1, 2, 4, 8, 20)     # the Few steps view's columns
V_SCALE = 2.0                    # the velocity picture shows v / 2: mid-grey is "not moving"
SAMPLE_LANE = dict(concurrency_id="flow_sample", concurrency_limit=stepwise.API_CONCURRENCY)


def _keep(step) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a run stores of each step: x_t, the predicted x₁ and the velocity, 28x28 uint8."""
    return to_uint8(step.x_t)[0], to_uint8(step.x1_pred)[0], to_uint8(step.v_pred / V_SCALE)[0]


LABELS = (t("flow.xt", "x_t: the picture now", "x_t：当前的图片"),
          t("flow.x1", "predicted x₁: where the straight line ends", "预测的 x₁：直线的终点"),
          t("flow.v", "velocity v: bright = getting brighter", "速度 v：亮 = 正在变亮"))
LABELS_YOURS = (t("flow.xt_yours", "★ your model · x_t: the picture now", "★ 你的模型 · x_t：当前的图片"),
                t("flow.x1_yours", "★ your model · predicted x₁", "★ 你的模型 · 预测的 x₁"),
                t("flow.v_yours", "★ your model · velocity v", "★ 你的模型 · 速度 v"))
VIEW = stepwise.Stepwise("flow", record=_keep, time_words=lambda t: f"{t:.2f}", labels=LABELS,
                         labels_yours=LABELS_YOURS)


def _submit(seed, label, steps, sampler, guidance, model=None) -> dict:
    return VIEW.submit(seed, label, model, steps=steps, sampler=sampler, guidance=guidance)


# ----------------------------------------------------------------------------- handlers

@common.friendly
async def sample_live(seed: int = 0, label="3", steps: int = STEPS, sampler: str = "euler",
                      guidance: float = GUIDANCE, session=None, choice=None, request: gr.Request = None):
    """The page's runs: (x_t, predicted x₁, velocity) as inline pictures, status; the run state
    and a live Stop once.
    With the switch on "your model" the visitor's fine-tuned model runs, alone (not in the batch)."""
    tuned = session.model if finetune.uses_tuned(session, choice) else None
    run = _submit(seed, label, steps, sampler, guidance, tuned)
    yield *VIEW.marks(tuned is not None), gr.skip(), gr.skip(), run, gr.Button(interactive=True)
    async for status, pictures in VIEW.live(run, request):
        yield *(pictures or (gr.skip(),) * 3), status, gr.skip(), gr.skip(), gr.skip()


@common.friendly
async def sample(seed: int = 0, label="3", steps: int = STEPS, sampler: str = "euler",
                 guidance: float = GUIDANCE, request: gr.Request = None):
    """Stream flow matching from noise (t = 0) to a digit (t = 1): yields (x_t, predicted x₁,
    velocity, "step i/n, t=...", step). label: a digit 0-9 or "none"; steps 1-200; sampler
    "euler" or "heun"; guidance w 0-20."""
    run = _submit(seed, label, steps, sampler, guidance)
    async for (x_t, x1, v), status, i in VIEW.api(run, request):
        yield x_t, x1, v, status, i


def start(steps):
    """Before a run: the replay slider becomes its progress bar; the old GIF goes."""
    try:
        return stepwise.start(check_range("steps", steps, 1, MAX_STEPS, integer=True))
    except (ValueError, TypeError):
        return gr.skip(), gr.skip(), gr.skip()  # the run itself reports the bad value


@common.friendly
def sample_final(label="3", seed: int = 0, sampler: str = "euler", steps: int = STEPS, guidance: float = GUIDANCE):
    """The finished run only (for the cached presets): (x_t, predicted x₁, velocity)."""
    return tuple(VIEW.final(_submit(seed, label, steps, sampler, guidance)))


@functools.lru_cache(maxsize=64)
def few_pictures(seed: int, y: int | None, guidance: float) -> tuple[list, list]:
    """The Few steps pictures (flow, then diffusion, at each of FEW_STEPS), computed once per
    setting: a class opening the tab at the defaults shares one computation."""
    flow, diffusion = common.model("flow"), common.model("diffusion")
    # Deterministic DDIM (η = 0): an ODE against flow's ODE, so fewer steps cost both the same way.
    return ([common.picture(flow.generate([y], seed=seed, steps=n, guidance=guidance)) for n in FEW_STEPS],
            [common.picture(diffusion.generate([y], seed=seed, steps=n, guidance=guidance, sampler="ddim", eta=0.0))
             for n in FEW_STEPS])


@common.friendly
def few_steps(seed: int = 0, label="3", guidance: float = GUIDANCE, request: gr.Request = None):
    """One seed at 1, 2, 4, 8 and 20 steps: flow matching (Euler) and diffusion (DDIM), each a list
    of (picture, caption). Same guidance for both."""
    seed, y = check_seed(seed), parse_label(label)
    guidance = check_range("guidance", guidance, 0.0, 20.0)
    flow, diffusion = few_pictures(seed, y, guidance)

    def row(pictures, name_en, name_zh):
        return [(p, say(request, f"{name_en}, {n} step{'s' * (n > 1)}", f"{name_zh}，{n} 步"))
                for p, n in zip(pictures, FEW_STEPS)]

    return row(flow, "flow (Euler)", "流匹配（欧拉法）"), row(diffusion, "diffusion (DDIM)", "扩散模型（DDIM）")


# ----------------------------------------------------------------------------- layout

def build() -> links.Tab:
    with gr.Tab(t("tab.flow", "Flow matching", "流匹配"), id="flow") as page:
        gr.Markdown(t("flow.intro",
                      "**Flow matching** learns a *velocity*: which way a noisy picture should move to become a "
                      "digit. Follow it from noise (t = 0) to a digit (t = 1). The paths are nearly straight, so a "
                      "few steps are enough: compare 4 steps here with 4 steps of diffusion.",
                      "**流匹配**学习一个*速度*：一张带噪图片该往哪个方向移动才能变成数字。从噪声（t = 0）出发"
                      "沿着它走到数字（t = 1）。路径几乎是直的，所以几步就够了：把这里的 4 步和扩散模型的 4 步比一比。"))
        with gr.Tabs(elem_id="flow-views", overflow_behavior="wrap"):
            with gr.Tab(t("flow.tab_sample", "① Sample: noise → digit", "① 采样：噪声 → 数字"), id="sample"):
                with gr.Row():
                    with gr.Column(scale=2, min_width=300):
                        with gr.Row(equal_height=True):
                            digit = digit_box("flow-digit")
                            seed, _ = seed_box("flow-seed")
                        sampler = gr.Radio(SAMPLER_CHOICES, value="euler", elem_id="flow-sampler",
                                           label=t("flow.sampler", "Sampler", "采样器"))
                        steps = gr.Slider(1, MAX_STEPS, value=STEPS, step=1, elem_id="flow-steps",
                                          label=t("flow.steps", "Steps — try 4: the paths are nearly straight",
                                                  "采样步数 —— 试试 4 步：路径几乎是直的"))
                        guidance = gr.Slider(0, 10, value=GUIDANCE, step=0.5, elem_id="flow-guidance",
                                             label=t("flow.guidance", "Guidance w — 0 = ignore the digit, higher = more typical",
                                                     "引导系数 w —— 0 = 忽略数字，越大越典型"))
                    with gr.Column(scale=4, min_width=460):
                        with gr.Row():
                            generate = gr.Button(t("flow.generate", "▶ Generate", "▶ 生成"), variant="primary",
                                                 elem_id="flow-generate")
                            stop = gr.Button(t("flow.stop", "■ Stop", "■ 停止"), variant="stop", interactive=False,
                                             elem_id="flow-stop")
                            gif = gr.DownloadButton(t("flow.gif", "⬇ GIF of the run", "⬇ 本次过程的 GIF"),
                                                    interactive=False, elem_id="flow-gif")
                        switch = finetune.model_switch("flow-model")
                        with gr.Row():
                            x_t_live = stepwise.live_picture(LABELS[0], "flow-xt")
                            x1_live = stepwise.live_picture(LABELS[1], "flow-x1")
                            v_live = stepwise.live_picture(LABELS[2], "flow-v")
                        status = gr.Textbox(t("flow.press_generate", "press ▶ Generate", "按 ▶ 生成 开始"),
                                            label=t("flow.progress", "Progress", "进度"), show_label=False, interactive=False, elem_id="flow-status")
                        scrubber = gr.Slider(0, STEPS, value=0, step=1, interactive=False, elem_id="flow-scrub",
                                             label=t("flow.scrub", "Step — after a run, drag to replay every stored step",
                                                     "步 —— 运行结束后，拖动回放每一步"))
                run = gr.State(None, delete_callback=cancel_run)
                with gr.Row(visible=False):          # /flow_sample's outputs: full-size PNGs for API callers
                    api_pictures = [common.image_output(name) for name in ("x_t", "x1", "v")]
                    api_status, api_step = gr.Textbox(), gr.Number(precision=0)
                    api_sample = gr.Button()
                presets = gr.Examples(
                    [["3", 0, "euler", STEPS, GUIDANCE], ["7", 1, "euler", 4, GUIDANCE], ["5", 2, "euler", 1, GUIDANCE],
                     ["2", 3, "heun", 5, GUIDANCE], ["none", 4, "euler", STEPS, GUIDANCE], ["8", 5, "euler", STEPS, 4.0]],
                    inputs=[digit, seed, sampler, steps, guidance], outputs=[x_t_live, x1_live, v_live],
                    fn=sample_final, cache_examples=True, cache_mode="lazy", api_visibility="private",
                    label=t("flow.presets", "Presets: click one, then ▶ Generate to watch it", "预设：点一个，再按 ▶ 生成 观看过程"),
                    example_labels=[leftover(f"flow.preset.{i}", en, zh) for i, (en, zh) in enumerate([
                        ("a 3 in 20 steps", "20 步画一个 3"), ("only 4 steps", "只用 4 步"),
                        ("one step: the average", "一步：得到平均"), ("Heun, 5 steps", "Heun 法，5 步"),
                        ("no digit asked", "不指定数字"), ("guidance 4", "引导 4")])])

            with gr.Tab(t("flow.tab_few", "② Few steps: flow against diffusion", "② 少量步数：流匹配对比扩散模型"),
                        id="few"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        f_digit = digit_box("flow-few-digit")
                        with gr.Row(equal_height=True):
                            f_seed, _ = seed_box("flow-few-seed")
                        f_guidance = gr.Slider(0, 10, value=GUIDANCE, step=0.5, elem_id="flow-few-guidance",
                                               label=t("flow.guidance_both", "Guidance w (both models)", "引导系数 w（两个模型）"))
                        f_button = gr.Button(t("flow.few", "Draw at 1, 2, 4, 8 and 20 steps", "用 1、2、4、8、20 步各画一次"),
                                             variant="primary", elem_id="flow-few")
                    with gr.Column(scale=3, min_width=460):
                        gallery = dict(columns=len(FEW_STEPS), height=220, object_fit="contain", format="png",
                                       allow_preview=False, interactive=False)
                        flow_row = gr.Gallery(label=t("flow.few_flow", "Flow matching (Euler)", "流匹配（欧拉法）"),
                                              elem_id="flow-few-flow", **gallery)
                        diffusion_row = gr.Gallery(label=t("flow.few_diffusion", "Diffusion (DDIM), same U-Net size",
                                                           "扩散模型（DDIM），同样大小的 U-Net"),
                                                   elem_id="flow-few-diffusion", **gallery)

        fields = {"fdigit": digit, "fseed": seed, "fsampler": sampler, "fsteps": steps, "fguidance": guidance}
        links.link_button("flow", fields)
        explain.panel("flow")
        tuning = finetune.panel("flow", switch)

    # ------------------------------------------------------------------ events
    VIEW.wire(start=start, sample_live=sample_live, inputs=[seed, digit, steps, sampler, guidance, *tuning.inputs],
              pictures=[x_t_live, x1_live, v_live], status=status, generate=generate, stop=stop, scrubber=scrubber,
              gif=gif, run=run, switch=switch, presets=presets, steps=steps, sampler=sampler)
    api_sample.click(sample, [seed, digit, steps, sampler, guidance], [*api_pictures, api_status, api_step],
                     api_name="flow_sample", preprocess=False, **SAMPLE_LANE)
    f_button.click(few_steps, [f_seed, f_digit, f_guidance], [flow_row, diffusion_row], api_name="flow_few_steps",
                   preprocess=False, **SAMPLE_LANE)
    page.select(few_steps, [f_seed, f_digit, f_guidance], [flow_row, diffusion_row], api_visibility="private",
                preprocess=False, show_progress="hidden", **SAMPLE_LANE)     # drawn when opened (cached)

    return links.Tab("flow", url_fields=fields)
