"""The Fine-tune panel: teach a model your own handwriting, in the browser.

A tab mounts it inside its `with gr.Tab(...)` block, with the switch between the shipped
model and the visitor's own placed beside its main picture:

    switch = finetune.model_switch("gan-model")          # in the layout, near the picture
    ...
    tuning = finetune.panel("gan", switch)               # or "vae", "vae2d", "diffusion", "flow"
    tuning.redraw(fn, inputs + tuning.inputs, outputs)   # when the visitor's model changes

Visitors draw a few digits (or pick built-in ones), press Start and watch the loss
fall and the samples change; Stop keeps what was learned, Reset goes back to the
pretrained weights, Download gives a checkpoint folder as a zip. The tuned weights
belong to the visitor's session alone (a gr.State of CPU tensors, freed when the
session ends); the shared pretrained model is never trained. When a fine-tune ends the tab's
switch turns to "your model" and `session_model(session, family, choice)` gives the tab's
handlers the model its visitor chose; Reset turns it back. The training itself is
genai.finetune; this file only turns widgets into its inputs and its progress into
pictures.
"""

import functools
import html
import os
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch

from genai import finetune as ft
from genai.checks import check_range
from genai.images import from_uint8, grid
from ui import common
from ui.i18n import say, t

# Hosting limits, read once when the app starts (GENAI_FT_* environment variables).
MAX_STEPS = int(os.environ.get("GENAI_FT_MAX_STEPS", "1000"))
MAX_SECONDS = float(os.environ.get("GENAI_FT_MAX_SECONDS", "120"))
CONCURRENCY = int(os.environ.get("GENAI_FT_CONCURRENCY", "1"))
ZERO_GPU = os.environ.get("SPACES_ZERO_GPU") == "true"

MAX_EXAMPLES = 32             # drawings per session
BUILTIN_PER_CLASS = 100       # built-in digits per chosen class
SESSION_TTL = 2 * 3600        # seconds a session's tuned model lives after its last change
TICK = 0.5                    # seconds between streamed updates of the curve and progress line
PREVIEW_EVERY = 2.0           # seconds between sample grids; 8 for families that sample in steps (U-Nets)
PREVIEW_SEED = 1234
LR_RANGE = (1e-5, 1e-2)
DIGITS = list(range(10))
SOURCES = [(t("ft.source.drawings", "My drawings", "我画的数字"), "drawings"),
           (t("ft.source.builtin", "Built-in digits", "内置数字"), "builtin")]
LOSS_NAMES = {"loss": "loss", "loss_d": "D", "loss_g": "G"}      # the GAN has two players
LOSS_COLOURS = {"loss": "#1f77b4", "D": "#d62728", "G": "#1f77b4"}
PARAM_CHOICES = [(t("ft.params.all", "All weights", "全部权重"), "all"),
                 (t("ft.params.last", "Last layers only", "只训练最后几层"), "last"),
                 (t("ft.params.lora", "LoRA adapter (rank 4)", "LoRA 适配器（秩 4）"), "lora")]
BUSY = ("A fine-tune is already running here: wait for it to finish, or press Stop.",
        "这里已经有一个微调在运行：等它结束，或者按“停止”。")
NOTHING_TO_STOP = ("Nothing to stop: press Start first.", "没有可停止的：请先按“开始”。")
SHIPPED, YOURS = "shipped", "yours"     # the tab's switch: which model its views draw with


def _gpu(fn):
    """spaces.GPU on Hugging Face ZeroGPU (imported only there); elsewhere the function itself."""
    if not ZERO_GPU:
        return fn
    import spaces
    return spaces.GPU(duration=int(MAX_SECONDS) + 30)(fn)


# ----------------------------------------------------------------------------- per-session state

@dataclass
class Session:
    """One visitor's fine-tuning. Lives in a gr.State, never in a module-level object."""
    examples: list = field(default_factory=list)      # (28, 28) uint8 drawings
    model: torch.nn.Module | None = None              # the tuned model; None = the pretrained one
    previews: dict = field(default_factory=dict)      # label -> picture of the tuned model's samples
    running: bool = False                             # a fine-tune is training now
    waiting: float | None = None                      # when Start was pressed, until its turn in the queue
    stop: threading.Event = field(default_factory=threading.Event)
    folder: str | None = None                         # where the download zip is written
    closed: bool = False                              # the visitor left; a run still going keeps nothing

    def forget(self):
        """Back to the pretrained weights."""
        self.model, self.previews = None, {}


def _free(session) -> None:
    """gr.State's delete_callback: stop a run still going and drop the weights and files."""
    if isinstance(session, Session):
        session.closed = True
        session.stop.set()
        session.forget()
        session.examples = []
        if session.folder:
            shutil.rmtree(session.folder, ignore_errors=True)


def _session(value) -> Session:
    """The visitor's Session, created on first use (gr.State starts at None: a callable
    initial value would add a public endpoint)."""
    return value if isinstance(value, Session) else Session()


def uses_tuned(session, choice) -> bool:
    """Whether the visitor asked for their fine-tuned model (`choice`, the switch) and has one."""
    return choice == YOURS and isinstance(session, Session) and session.model is not None


def session_model(session, family: str, choice: str = YOURS):
    """The model this visitor sees: their fine-tuned one when the switch says so and they have
    one, else the shared pretrained one."""
    return session.model if uses_tuned(session, choice) else common.model(family)


# ----------------------------------------------------------------------------- the tab's switch

# Short, so the switch takes one row above the tab's picture ("Model: shipped / ★ your fine-tuned").
MODEL_CHOICES = [(t("ft.model.shipped", "shipped", "自带的"), SHIPPED),
                 (t("ft.model.yours", "★ your fine-tuned", "★ 你微调的"), YOURS)]
MODEL_LABEL = t("ft.model", "Model (fine-tune yours in the panel below)", "模型（在下方面板里微调出你自己的）")


def model_switch(elem_id: str) -> gr.Radio:
    """The tab's "shipped / your fine-tuned model" switch, laid out where it is called. Greyed
    out until this visitor's fine-tune has made a model; the panel turns it on and off."""
    return gr.Radio(MODEL_CHOICES, value=SHIPPED, interactive=False, label=MODEL_LABEL, elem_id=elem_id)


def _switch(session) -> gr.Radio:
    """After a fine-tune ends or Reset: the switch on ("yours") when the visitor has a model, off
    and greyed out when not."""
    tuned = isinstance(session, Session) and session.model is not None
    return gr.Radio(value=YOURS if tuned else SHIPPED, interactive=tuned)


@dataclass
class Tuning:
    """What a tab needs from its fine-tune panel: the visitor's Session, the switch, and the
    events that set the switch when the visitor's model may have changed (a fine-tune ended, Reset)."""
    family: str
    state: gr.State
    switch: gr.Radio | None = None
    switched: list = field(default_factory=list)

    @property
    def inputs(self) -> list:
        """The two inputs a handler adds to reach `session_model(session, family, choice)`."""
        return [self.state, self.switch]

    def redraw(self, fn, inputs, outputs) -> None:
        """Run `fn` when the visitor flips the switch or their model changes (never for the API).
        Chained after the events that set the switch: a change event of theirs could read the
        switch's old value."""
        options = dict(api_visibility="private", show_progress="hidden")
        self.switch.input(fn, inputs, outputs, trigger_mode="always_last", **options)
        for event in self.switched:
            event.then(fn, inputs, outputs, **options)


def _build(family: str, weights: dict) -> torch.nn.Module:
    """A model of the family with these weights, on the device the shared models use."""
    base = common.model(family)
    model = type(base)(base.config)
    model.load_state_dict(weights, assign=True)          # the model holds these tensors: no second copy
    model.checkpoint_config = getattr(base, "checkpoint_config", {})
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(next(base.parameters()).device).eval()


# ----------------------------------------------------------------------------- pictures

def samples(model, family: str, label: int = 1) -> np.ndarray:
    """The fixed-seed sample grid of the before/after views, uint8, 5 columns by 4 rows.
    Conditional models: the digits 0-9, then ten of the taught class; the VAE: twenty prior samples."""
    fam = ft.family_of(family)
    if fam.conditional:
        images = model.generate(labels=DIGITS + [int(label)] * 10, seed=PREVIEW_SEED, **fam.quick)
    else:
        images = model.generate(n=20, seed=PREVIEW_SEED, **fam.quick)
    return grid(images, cols=5)


@functools.cache
def _before(family: str, label: int) -> np.ndarray:
    return common.picture(samples(common.model(family), family, label), scale=3)


def _after(session: Session, family: str, label: int) -> np.ndarray:
    if session.model is None:
        return _before(family, label)
    if label not in session.previews:
        session.previews[label] = common.picture(samples(session.model, family, label), scale=3)
    return session.previews[label]


def _thumbnails(session: Session) -> list:
    return [common.picture(d, scale=4) for d in session.examples]


def _curve(history: list[dict]) -> pd.DataFrame | None:
    """The loss curve as long-form rows (step, loss, series), at most ~400 points per series.
    None when there is nothing to draw: a plot once given an empty table draws no later lines."""
    keep = max(1, len(history) // 400)
    rows = [(p["step"], v, LOSS_NAMES[k]) for p in history[::keep] for k, v in p.items() if k.startswith("loss")]
    return pd.DataFrame(rows, columns=["step", "loss", "series"]) if rows else None


def _progress(p: dict | None = None, note: str = "", request: gr.Request | None = None) -> str:
    """The progress bar and line: step, steps/s, time left, losses (in the visitor's language)."""
    if p is None:
        return f"<div class='ft-progress'>{html.escape(note)}</div>"
    losses = ", ".join(f"{say(request, 'loss', '损失') if k == 'loss' else LOSS_NAMES[k]} {v:.3f}"
                       for k, v in p.items() if k.startswith("loss"))
    left = "" if p.get("done") else say(request, f" · about {p['seconds_left']:.0f} s left",
                                        f" · 约剩 {p['seconds_left']:.0f} 秒")
    line = (say(request, f"Step {p['step']} / {p['total']} · {p['steps_per_second']:.1f} steps/s · {p['seconds']:.0f} s",
                f"第 {p['step']} / {p['total']} 步 · 每秒 {p['steps_per_second']:.1f} 步 · {p['seconds']:.0f} 秒")
            + left + (f" · {losses}" if losses else ""))
    return (f"<div class='ft-progress'><progress value='{p['step']}' max='{p['total']}' "
            f"style='width:100%'></progress><div>{html.escape(line)}"
            + (f"<br>{html.escape(note)}" if note else "") + "</div></div>")


def _ending(final: dict | None, cfg: ft.FinetuneConfig, stopped: bool, request=None) -> str:
    """Why a fine-tune ended, truthfully: all its steps, the visitor's Stop, or the time cap."""
    if final is not None and final["step"] >= cfg.steps:
        return say(request, "Done.", "完成。")
    if stopped or final is None:
        return say(request, "Stopped: kept what was learned.", "已停止：保留了已经学到的内容。")
    return say(request, f"Time's up: the {cfg.seconds:g} s time cap ended it after {final['step']} of {cfg.steps} "
                        "steps; kept what was learned. (Raise the time cap or lower the steps to finish.)",
               f"时间到：{cfg.seconds:g} 秒的时间上限让它在第 {final['step']} / {cfg.steps} 步结束；保留了已经学到的内容。"
               "（调高时间上限或减少步数即可跑完。）")


# ----------------------------------------------------------------------------- checks

def _settings(family: str, label, steps, lr, params, seconds, request=None) -> ft.FinetuneConfig:
    """Widget values -> a FinetuneConfig, or a gr.Error naming the allowed range."""
    steps = check_range("steps", steps, 1, MAX_STEPS, integer=True)
    seconds = check_range("time cap (seconds)", seconds, 1, MAX_SECONDS)
    try:
        lr = check_range("learning rate", lr, *LR_RANGE)
    except ValueError:
        raise gr.Error(say(request, f"Learning rate must be a number from 0.00001 to 0.01; got {lr!r}.",
                           f"学习率必须是 0.00001 到 0.01 之间的数；收到的是 {lr!r}。")) from None
    if params not in ft.PARAMS:
        raise gr.Error(say(request, f"Which weights train must be one of {', '.join(ft.PARAMS)}; got {params!r}.",
                           f"“训练哪些权重”必须是 {', '.join(ft.PARAMS)} 之一；收到的是 {params!r}。"))
    label = common.digit("the class your examples teach", label) \
        if ft.family_of(family).conditional else ft.FinetuneConfig.label
    return ft.default_config(family, steps=steps, seconds=seconds, lr=lr, params=params, label=label)


def _examples(session: Session, source, classes, request=None) -> torch.Tensor:
    """The examples to learn from, (N, 1, 28, 28) in [-1, 1], or a gr.Error saying what is missing."""
    if source == "drawings":
        if not session.examples:
            raise gr.Error(say(request, "No examples yet: draw a digit and press “Add example” (three or more "
                               "work best), or choose “Built-in digits”.",
                               "还没有样例：画一个数字并按“添加样例”（三个或更多效果最好），或者选择“内置数字”。"))
        return from_uint8(np.stack(session.examples))
    if source == "builtin":
        if not isinstance(classes, (list, tuple)) or not classes:
            raise gr.Error(say(request, "Tick at least one digit (0-9) whose built-in examples to use.",
                               "请至少勾选一个数字（0-9），用它的内置样例。"))
        picked = [common.digit("built-in digit", c) for c in classes]
        x, y = ft.builtin_digits()
        return torch.cat([x[y == c][:BUILTIN_PER_CLASS] for c in sorted(set(picked))])
    raise gr.Error(say(request, f"Examples must come from one of: drawings, builtin; got {source!r}.",
                       f"样例来源必须是 drawings 或 builtin 之一；收到的是 {source!r}。"))


# ----------------------------------------------------------------------------- training

@_gpu
def _train(family: str, base: torch.nn.Module, x: torch.Tensor, cfg: ft.FinetuneConfig, stop=None):
    """Run genai.finetune on the GPU when there is one; yield its progress without the live
    model, plus "weights" (plain CPU tensors) every preview interval and at the end."""
    last, every = -np.inf, PREVIEW_EVERY * (4 if ft.family_of(family).quick.get("steps") else 1)
    for p in ft.finetune(base, family, x, None, cfg, stop=stop):
        model = p.pop("model")
        if p.get("done") or p["seconds"] - last >= every:
            p["weights"] = ft.plain_state_dict(model)
            last = p["seconds"]
        yield p


def panel(family: str, switch: gr.Radio | None = None) -> Tuning:
    """Build the Fine-tune accordion inside the current Blocks context; returns the Tuning that
    holds the per-session gr.State `session_model` reads and, given the tab's `switch`
    (`model_switch`), turns it on when a fine-tune ends and off on Reset."""
    conditional = ft.family_of(family).conditional
    defaults = ft.default_config(family)
    prefix = f"{family}-ft"

    with gr.Accordion(t("ft.title", "Fine-tune: teach it your handwriting", "微调：教它学你的笔迹"),
                      open=False, elem_id=prefix) as accordion:
        gr.Markdown(t(
            f"ft.intro.{'conditional' if conditional else 'unconditional'}",
            "Draw a few digits (or pick built-in ones), press **Start** and watch the model learn them. "
            + ("Choose which class your examples teach: teach class 1 with 7s and its 1s turn into 7s, "
               "while built-in digits of the other classes keep them working. " if conditional else
               "Teach it only 3s, and most of what it draws becomes a 3. ")
            + "Only you see the result; the shared model never changes. "
            f"*This server allows up to {MAX_STEPS} steps and {MAX_SECONDS:g} s per fine-tune, "
            f"{CONCURRENCY} at a time (others wait in a queue).*",
            "画几个数字（或选用内置数字），按 **开始**，看模型怎样学会它们。"
            + ("选择你的样例要教哪一类：用 7 去教类别 1，它画的 1 就会变成 7，而其他类别的内置数字让那些类别保持正常。"
               if conditional else "只教它 3，它画的数字大多就会变成 3。")
            + "结果只有你能看到；共享的模型永远不变。"
            f"*本服务器每次微调最多 {MAX_STEPS} 步、{MAX_SECONDS:g} 秒，同时最多进行 {CONCURRENCY} 个"
            "（其他人在队列中等待）。*"))
        state = gr.State(None, time_to_live=SESSION_TTL, delete_callback=_free)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=260):
                source = gr.Radio(SOURCES, value="drawings", label=t("ft.examples", "Examples", "样例"),
                                  elem_id=f"{prefix}-source")
                pad = common.sketchpad(t("ft.pad", "Draw one digit", "只画一个数字"), elem_id=f"{prefix}-pad")
                with gr.Row():
                    add = gr.Button(t("ft.add", "Add example", "添加样例"), variant="primary", size="sm", min_width=90,
                                    elem_id=f"{prefix}-add")
                    remove = gr.Button(t("ft.remove", "Remove selected", "删除选中的"), size="sm", min_width=90,
                                       elem_id=f"{prefix}-remove")
                    clear = gr.Button(t("ft.clear", "Clear examples", "清空样例"), size="sm", min_width=60, elem_id=f"{prefix}-clear")
                gallery = gr.Gallery(label=t("ft.gallery", f"Your examples (up to {MAX_EXAMPLES}; click one to select it)",
                                             f"你的样例（最多 {MAX_EXAMPLES} 个；点击一个即可选中）"),
                                     columns=8, height=140, format="png", allow_preview=False, preview=False,
                                     object_fit="contain", fit_columns=False, interactive=False, elem_id=f"{prefix}-gallery")
                classes = gr.CheckboxGroup(DIGITS, value=[7], label=t("ft.classes", "Built-in digits to use (with “Built-in digits”)",
                                                                      "要用的内置数字（选“内置数字”时）"),
                                           elem_id=f"{prefix}-classes")
            with gr.Column(scale=2, min_width=260):
                label = gr.Radio(DIGITS, value=defaults.label, label=t("ft.label", "Your examples teach class",
                                                                       "你的样例要教的类别"),
                                 visible=conditional, elem_id=f"{prefix}-label")
                steps = gr.Slider(1, MAX_STEPS, value=min(defaults.steps, MAX_STEPS), step=1,
                                  label=t("ft.steps", "Steps — each one looks at a batch of examples",
                                          "训练步数 —— 每一步看一批样例"), elem_id=f"{prefix}-steps")
                lr = gr.Number(defaults.lr, minimum=LR_RANGE[0], maximum=LR_RANGE[1], step=1e-4,
                               label=t("ft.lr", "Learning rate (0.00001–0.01) — bigger learns faster, too big forgets",
                                       "学习率（0.00001–0.01）—— 越大学得越快，太大会忘掉原来学会的"),
                               elem_id=f"{prefix}-lr")
                params = gr.Radio(PARAM_CHOICES, value=defaults.params, label=t("ft.params", "Which weights train",
                                                                                "训练哪些权重"),
                                  elem_id=f"{prefix}-params")
                seconds = gr.Slider(1, MAX_SECONDS, value=min(defaults.seconds, MAX_SECONDS), step=1,
                                    label=t("ft.seconds", "Time cap (seconds)", "时间上限（秒）"),
                                    elem_id=f"{prefix}-seconds")
                with gr.Row():
                    start = gr.Button(t("ft.start", "Start", "开始"), variant="primary", min_width=60,
                                      elem_id=f"{prefix}-start")
                    stop = gr.Button(t("ft.stop", "Stop", "停止"), variant="stop", min_width=60, elem_id=f"{prefix}-stop")
                    reset = gr.Button(t("ft.reset", "Reset", "重置"), min_width=60, elem_id=f"{prefix}-reset")
                progress = gr.HTML(t("ft.progress", _progress(note="Add examples, then press Start."),
                                     _progress(note="先添加样例，再按“开始”。")), elem_id=f"{prefix}-progress")
                download = gr.DownloadButton(t("ft.download", "Download the fine-tuned model (.zip)",
                                               "下载微调后的模型（.zip）"), interactive=False,
                                             size="sm", elem_id=f"{prefix}-download")
            with gr.Column(scale=3, min_width=320):
                plot = gr.LinePlot(None, x="step", y="loss", color="series", color_map=LOSS_COLOURS, height=260,
                                   label=t("ft.loss_gan", "Loss (red: D, the critic · blue: G, the forger)",
                                           "损失（红：D，鉴定者 · 蓝：G，伪造者）") if family == "gan"
                                   else t("ft.loss", "Loss", "损失"), elem_id=f"{prefix}-plot")
                with gr.Row():
                    before = common.image_output(t("ft.before", "Before (fixed seed)", "微调前（固定种子）"),
                                                 elem_id=f"{prefix}-before", min_width=160)
                    after = common.image_output(t("ft.after", "After: yours (same seed)", "微调后：你的模型（同一种子）"),
                                                elem_id=f"{prefix}-after", min_width=160)
                gr.Markdown(t("ft.samples_conditional", "Samples of the digits 0-9, then ten of the class your examples teach.",
                              "样本：数字 0-9，然后是你的样例所教类别的十个。") if conditional else
                            t("ft.samples", "Samples of the model, from the same random codes.",
                              "模型的样本，来自同一组随机编码。"))
        selected = gr.Number(None, visible=False, precision=0, label="index")
        api_file = common.picture_file("image")

    # ------------------------------------------------------------------------- handlers

    def _added(session, digit: np.ndarray, request):
        session = _session(session)
        if len(session.examples) >= MAX_EXAMPLES:
            raise gr.Error(say(request, f"You have {MAX_EXAMPLES} examples, the most allowed: remove one first.",
                               f"你已有 {MAX_EXAMPLES} 个样例，已达上限：请先删除一个。"))
        session.examples.append(digit)
        n = len(session.examples)
        note = say(request, f"{n} example{'s' * (n != 1)}. " + ("Add a few more, or press Start." if n < 3 else "Press Start."),
                   f"{n} 个样例。" + ("再加几个，或者按“开始”。" if n < 3 else "按“开始”吧。"))
        return _thumbnails(session), _progress(note=note), None, session

    def add_drawing(session, sketch, request: gr.Request = None):
        """The canvas's drawing -> one more example, and an empty canvas for the next one."""
        return *_added(session, common.drawing_to_digit(common.strokes(sketch)), request), None

    def add_example(session, image, request: gr.Request = None):
        """Add one example: `image`, a picture of one digit (any size and mode)."""
        return _added(session, common.read_picture(image), request)

    def remove_example(session, index=None, request: gr.Request = None):
        """Remove example number `index` (0 = the first)."""
        session = _session(session)
        n = len(session.examples)
        if index is None:
            raise gr.Error(say(request, "Click an example in the gallery first, then press Remove.",
                               "请先在样例图库里点击一个样例，再按“删除选中的”。"))
        if not n:
            raise gr.Error(say(request, "There are no examples to remove.", "没有可删除的样例。"))
        index = check_range("index", index, 0, n - 1, integer=True)
        session.examples.pop(index)
        note = say(request, f"Removed example {index + 1}; {n - 1} left.", f"已删除第 {index + 1} 个样例；还剩 {n - 1} 个。")
        return _thumbnails(session), _progress(note=note), None, session

    def clear_examples(session, request: gr.Request = None):
        """Remove every example."""
        session = _session(session)
        session.examples = []
        note = say(request, "No examples: draw one and press “Add example”.", "没有样例了：画一个数字，然后按“添加样例”。")
        return [], _progress(note=note), None, session

    def pick(evt: gr.SelectData):
        return evt.index

    def queue_up(session, source, classes, label, steps, lr, params, seconds, request: gr.Request = None):
        """Checks that run before a fine-tune waits for its turn, so a mistake shows at once."""
        session = _session(session)
        if session.running or (session.waiting and time.time() - session.waiting < 600):
            raise gr.Error(say(request, *BUSY))
        _examples(session, source, classes, request)
        _settings(family, label, steps, lr, params, seconds, request)
        session.stop.clear()
        session.waiting = time.time()
        return _progress(note=say(request, "Waiting for a free training slot…", "正在等待空闲的训练名额…")), session

    def finetune(session, source="drawings", classes=(7,), label=defaults.label,
                 steps=defaults.steps, lr=defaults.lr, params=defaults.params, seconds=defaults.seconds,
                 request: gr.Request = None):
        """Fine-tune this session's model on its examples (or built-in digits of `classes`);
        streams the loss curve, the after-samples, a progress line, and finally the zip."""
        session = _session(session)
        if session.running:
            raise gr.Error(say(request, *BUSY))
        x = _examples(session, source, classes, request)
        cfg = _settings(family, label, steps, lr, params, seconds, request)
        stopped_early = session.waiting is not None and session.stop.is_set()
        session.waiting = None
        if stopped_early:
            session.stop.clear()
            yield (gr.skip(), gr.skip(), _progress(note=say(request, "Stopped before it started.", "还没开始就停止了。")),
                   gr.skip(), session)
            return
        session.running = True
        try:
            yield from _run(session, x, cfg, request)
        finally:
            session.running = False
            session.stop.clear()

    def _run(session: Session, x: torch.Tensor, cfg: ft.FinetuneConfig, request=None):
        history, last_tick, final = [], 0.0, None
        base = session.model if session.model is not None else common.model(family)
        stream = _train(family, base, x, cfg, stop=None if ZERO_GPU else session.stop.is_set)
        yield _curve([]), gr.skip(), _progress(note=say(request, "Starting…", "正在启动…")), gr.skip(), session
        for p in stream:
            weights = p.pop("weights", None)
            history.append(p)
            if session.closed:                            # the visitor left while it ran
                stream.close()
                session.forget()
                return
            if weights is not None:
                session.model, session.previews = _build(family, weights), {}
            if p.get("done"):
                final = p
            elif ZERO_GPU and session.stop.is_set():      # the GPU process cannot see the flag
                stream.close()
            elif weights is not None or time.perf_counter() - last_tick >= TICK:
                last_tick = time.perf_counter()
                yield (_curve(history), _after(session, family, cfg.label) if weights is not None else gr.skip(),
                       _progress(p, request=request), gr.skip(), session)
        zip_path = _write_zip(session, family, cfg, history)
        note = _ending(final, cfg, session.stop.is_set(), request)
        yield (_curve(history), _after(session, family, cfg.label), _progress(final or history[-1], note, request),
               gr.DownloadButton(value=zip_path, interactive=True), session)

    def stop_finetune(session, request: gr.Request = None):
        """Stop the running fine-tune at once; what it learned so far is kept."""
        session = _session(session)
        if session.running or session.waiting:
            session.stop.set()
            return _progress(note=say(request, "Stopping…", "正在停止…"))
        gr.Warning(say(request, *NOTHING_TO_STOP))
        return _progress(note=say(request, *NOTHING_TO_STOP))

    def reset_model(session, label=defaults.label, request: gr.Request = None):
        """Back to the pretrained weights (the examples stay)."""
        session = _session(session)
        if session.running:
            raise gr.Error(say(request, "A fine-tune is running: press Stop first, then Reset.",
                               "微调正在运行：请先按“停止”，再按“重置”。"))
        session.forget()
        label = common.digit("label", label) if conditional or label is not None else defaults.label
        label = label if conditional else defaults.label      # checked, then unused: the VAE has no classes
        return (_curve([]), _after(session, family, label),
                _progress(note=say(request, "Back to the pretrained weights.", "已恢复为预训练的权重。")),
                gr.DownloadButton(value=None, interactive=False), session)

    def preview(session, label=defaults.label):
        """The fixed-seed samples before and after fine-tuning, for the class `label` teaches."""
        session = _session(session)
        label = common.digit("label", label) if conditional or label is not None else defaults.label
        label = label if conditional else defaults.label      # checked, then unused: the VAE has no classes
        return _before(family, label), _after(session, family, label)

    # ------------------------------------------------------------------------- events
    quick = dict(concurrency_limit=None, show_progress="hidden")
    settings = [source, classes, label, steps, lr, params, seconds]
    examples_out = [gallery, progress, selected, state]
    add.click(common.friendly(add_drawing), [state, pad], [*examples_out, pad], api_visibility="private", **quick)
    gr.on([], common.friendly(add_example), [state, api_file], examples_out,
          api_name=f"{family}_finetune_add", preprocess=False, **quick)
    gallery.select(pick, None, selected, api_visibility="private", **quick)
    remove.click(common.friendly(remove_example), [state, selected], examples_out,
                 api_name=f"{family}_finetune_remove", preprocess=False, **quick)
    clear.click(clear_examples, [state], examples_out, api_name=f"{family}_finetune_clear", **quick)
    trained = start.click(common.friendly(queue_up), [state, *settings], [progress, state], api_visibility="private",
                          preprocess=False, **quick).success(
        common.friendly(finetune), [state, *settings], [plot, after, progress, download, state],
        api_name=f"{family}_finetune", preprocess=False, concurrency_id="finetune",
        concurrency_limit=CONCURRENCY, show_progress="full", show_progress_on=[progress])
    stop.click(stop_finetune, [state], progress, api_name=f"{family}_finetune_stop", **quick)
    reset_done = reset.click(common.friendly(reset_model), [state, label], [plot, after, progress, download, state],
                             api_name=f"{family}_finetune_reset", preprocess=False, concurrency_limit=None)
    switched = [] if switch is None else [     # the tab's views follow: on when a model exists, off after Reset
        event.then(_switch, state, switch, api_visibility="private", **quick) for event in (trained, reset_done)]
    label.change(common.friendly(preview), [state, label], [before, after], api_name=f"{family}_finetune_preview",
                 preprocess=False, show_progress="hidden")
    # Drawn when the panel opens, not when the page loads: a closed panel costs nothing.
    accordion.expand(common.friendly(preview), [state, label], [before, after], api_visibility="private",
                     preprocess=False, show_progress="hidden")
    return Tuning(family, state, switch, switched)


def _write_zip(session: Session, family: str, cfg: ft.FinetuneConfig, history: list[dict]) -> str:
    """Save the session's tuned model as a checkpoint folder and zip it; returns the zip's path."""
    if session.folder is None:
        session.folder = tempfile.mkdtemp(prefix="genai-finetune-")
    name = f"{family}-finetuned"
    folder = os.path.join(session.folder, name)
    shutil.rmtree(folder, ignore_errors=True)
    ft.save(folder, family, session.model, cfg, history, base=family)
    # Stored, not deflated: float32 weights barely shrink, and deflating them took ~0.4 s.
    with zipfile.ZipFile(f"{folder}.zip", "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            archive.write(path, path.relative_to(session.folder))
    return f"{folder}.zip"
