"""The shared part of every tab that samples step by step (diffusion, flow matching): a run
goes to the family's batched engine (genai/engine.py), or runs alone when it is a visitor's own
fine-tuned model (engine.run_alone); the page follows its frames, Stop ends it, a slider replays
it and a GIF keeps it.

A tab makes one `Stepwise` for its family, saying what a run keeps of each step (`record`: two
or three 28x28 pictures) and how a step's time reads; its handlers are thin wrappers that name
their settings (the API documents them) and hand them here, and `Stepwise.wire` connects the
events every such tab has (Generate, Stop, replay, presets) once for all.
"""

import asyncio
import base64
import functools
import io
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradio as gr
import numpy as np
from PIL import Image

from genai.checks import check_seed
from genai.engine import Engine, Line, run_alone

from . import common
from .i18n import say, t as tr

# At most this many pictures a second (GENAI_STREAM_FPS). Measured in Chromium on a 2-core CPU
# (python -m bench.browser; docs/benchmarks.md): the page drops a frame that arrives while the
# last one is still loading, and never falls behind.
FRAME_S = 1 / float(os.environ.get("GENAI_STREAM_FPS", "30"))
EVERY_STEP_UP_TO = 50            # runs this short show every step (paced to FRAME_S); longer ones skip frames
GIF_FRAMES = 60                  # a long run's GIF keeps this many evenly spaced steps
GIF_MAX_AGE_S = 3600             # older GIFs in our temp folder are deleted
# The page's runs wait without holding a thread (an async handler), so they need no lane of their
# own: the engine keeps its own line (GENAI_ENGINE_MAX_RUNS runs share a tick, the rest wait and
# are told their place). API calls keep a lane (GENAI_DIFFUSION_CONCURRENCY): each holds a thread.
ENGINE_MAX_RUNS = int(os.environ.get("GENAI_ENGINE_MAX_RUNS", "16"))
ENGINE_NICE = int(os.environ.get("GENAI_ENGINE_NICE", "10"))     # 0: the engine's thread as urgent as requests
API_CONCURRENCY = int(os.environ.get("GENAI_DIFFUSION_CONCURRENCY", "2"))
# Runs of visitors' own fine-tuned models cannot share the batch: GENAI_ALONE_RUNS of them step at
# once (diffusion and flow together), the rest wait in line and are told their place.
ALONE_LINE = Line(int(os.environ.get("GENAI_ALONE_RUNS", "2")))
DIGIT_CHOICES = [(tr("diffusion.no_digit", "no digit (unconditional)", "不指定数字（无条件）"), "none")] + [(str(d), str(d)) for d in range(10)]


def parse_label(label) -> int | None:
    """A digit 0-9 (number or text) -> int; -1 or "none" -> None, meaning "no digit"."""
    value = label.strip().lower() if isinstance(label, str) else label
    if value in ("none", "-1"):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 9:
        raise ValueError(f"label must be a digit 0-9, or -1 / \"none\" for no digit; got {label!r:.40}")
    return None if value == -1 else value


# ----------------------------------------------------------------------------- pictures

def png_data_url(image: np.ndarray) -> str:
    """A model-size picture as an inline PNG (a few hundred bytes): the browser scales it, crisp."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def frame_html(image: np.ndarray | None) -> str:
    """One live picture for the page: a 28x28 PNG inline, no file written, no second request."""
    if image is None:
        return '<div class="diffusion-frame empty"></div>'
    return f'<div class="diffusion-frame"><img src="{png_data_url(image)}" alt=""></div>'


def side_by_side(pictures, scale: int) -> np.ndarray:
    """A step's pictures next to each other, with grey gaps: one GIF frame."""
    gap = np.full((28 * scale, 2 * scale), 96, np.uint8)
    parts = [common.picture(p, scale) for p in pictures]
    return np.concatenate([x for p in parts for x in (p, gap)][:-1], axis=1)


def _gif_folder() -> Path:
    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / "genai-diffusion"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.gif"):            # keep the folder from growing forever
        try:
            if now - old.stat().st_mtime > GIF_MAX_AGE_S:
                old.unlink()
        except OSError:
            pass
    return folder


def write_gif(run: dict, n: int) -> str:
    """The first n stored steps as an animated GIF (the step's pictures side by side), the last held."""
    keep = sorted(set(np.linspace(0, n - 1, min(n, GIF_FRAMES)).round().astype(int).tolist()))
    frames = [Image.fromarray(side_by_side(run["frames"][i], scale=4)) for i in keep]
    folder = _gif_folder()
    name = run["name"] + ("" if n == run["total"] else f"-stopped-at-{n}")
    partial = folder / f".{secrets.token_hex(8)}.gif"
    frames[0].save(partial, save_all=True, append_images=frames[1:], loop=0,
                   duration=[80] * (len(frames) - 1) + [1500])
    path = folder / f"{name}.gif"
    os.replace(partial, path)                   # atomic: two visitors with the same settings never clash
    return str(path)


# ----------------------------------------------------------------------------- a family's runs

@dataclass(frozen=True)
class Stepwise:
    family: str                                  # the shipped model the engine runs
    record: Callable                             # a Step -> the uint8 28x28 pictures a run keeps of it
    time_words: Callable = str                   # a step's time as the status shows it ("779", "0.15")
    labels: tuple = ()                           # the live pictures' labels (live_picture)...
    labels_yours: tuple = ()                     # ...and the same marked, for a visitor's own model's runs

    def engine(self) -> Engine:
        return _engine(self.family)

    def submit(self, seed, label, model=None, **settings) -> dict:
        """Check the settings (a bad one never joins the batch) and hand the run to the engine;
        a visitor's own `model` (fine-tuned) runs alone instead (genai.engine.run_alone).
        The returned dict is what the page's `run` state holds."""
        seed, y = check_seed(seed), parse_label(label)
        if model is None:
            job = self.engine().submit([y], record=self.record, seed=seed, **settings)
        else:
            job = run_alone(model, [y], record=self.record, nice=ENGINE_NICE, line=ALONE_LINE, seed=seed, **settings)
        # A GIF's name says all its settings (two runs differing only in w must not share a file);
        # a visitor's own model gets a name nobody else's run can take.
        words = "-".join(f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in settings.items())
        whose = "" if model is None else f"-yours-{secrets.token_hex(4)}"
        return {"job": job, "frames": job.frames, "t": job.t, "total": job.total, "stopped": False,
                "yours": model is not None,
                "name": f"{self.family}{whose}-seed{seed}-{'none' if y is None else y}-{words}-{job.total}steps"}

    def marks(self, yours: bool) -> list[gr.HTML]:
        """The live pictures' labels for a run of the shipped model, or of the visitor's own."""
        return [gr.HTML(label=label) for label in (self.labels_yours if yours else self.labels)]

    def forget(self, run, request: gr.Request | None = None, **settings):
        """forget_run, the pictures' labels back to the shipped model's (a preset shows its
        pictures), and the preset's status in the page's language: the preset's cached answer
        is one for every visitor, so its words are said here, per visitor."""
        return *forget_run(run), *self.marks(False), self.example_status(request, **settings)

    def example_status(self, request: gr.Request | None = None, **settings) -> str:
        """What the status says beside a preset's finished pictures (its run's last step)."""
        ts = self.engine().model.start([None], **settings).ts
        n, t = f"{len(ts)}/{len(ts)}", self.time_words(ts[-1])
        return say(request, f"step {n}, t={t} (example: press ▶ Generate to watch it step by step)",
                   f"第 {n} 步，t={t}（示例：按 ▶ 生成 观看每一步）")

    def status(self, run: dict, i: int, request: gr.Request | None = None) -> str:
        n, t = f"{i + 1}/{run['total']}", self.time_words(run["t"][i])
        yours = say(request, "your model · ", "你的模型 · ") if run.get("yours") else ""
        return yours + say(request, f"step {n}, t={t}", f"第 {n} 步，t={t}")

    def live_status(self, run: dict, i: int, request: gr.Request | None) -> str:
        """The step, and whether the run shares its U-Net calls with others (students see the sharing)."""
        peers = run["job"].peers
        if not peers:
            return self.status(run, i, request)
        return self.status(run, i, request) + say(request, f" · batched with {peers} other run{'s' * (peers > 1)}",
                                                  f" · 与另外 {peers} 个运行共用一次 U-Net 计算")

    async def live(self, run: dict, request: gr.Request | None):
        """The page's run: (status, each picture as inline HTML) per frame shown; (status, None)
        while it waits in line. Each frame updates these small outputs and nothing else.
        After Stop, one last message: the last stored step, marked stopped. It comes down the run's
        own stream, after every frame, so nothing can overwrite it (an answer from the Stop event
        itself raced the stream's last frames, and sometimes lost)."""
        async for i, place in follow(run, request):
            if i is None:
                yield waiting(place, request), None
            else:
                yield self.live_status(run, i, request), [frame_html(p) for p in run["frames"][i]]
        if run["stopped"]:
            last = [frame_html(p) for p in run["frames"][-1]] if run["frames"] else None
            yield self.stopped_status(run, request), last

    async def api(self, run: dict, request: gr.Request | None):
        """For API callers: each streamed step's full-size pictures, status and step number."""
        async for i, _ in follow(run, request):
            if i is not None:
                yield [common.picture(p) for p in run["frames"][i]], self.status(run, i), i + 1

    def final(self, run: dict) -> list[str]:
        """The finished run's last pictures only (for cached presets; `forget` says the status)."""
        self.engine().drain(run["job"])
        return [frame_html(p) for p in run["frames"][-1]]

    def stopped_status(self, run: dict, request: gr.Request | None) -> str:
        if not run["frames"]:
            return say(request, "stopped before the first step", "在第一步之前停止了")
        return self.status(run, len(run["frames"]) - 1, request) + say(request, " (stopped)", "（已停止）")

    @staticmethod
    def stop(run) -> None:
        """Stop: the run leaves the batch at the next tick, keeping every step taken; its stream
        then shows the last of them as stopped and ends, and `finish` offers the replay and GIF."""
        if run and not run["job"].over:
            run["stopped"] = True                # first: the stream reads it once the run is over
            run["job"].cancel()

    def replay(self, step: int, run, request: gr.Request = None):
        """Show a stored step of the last run without recomputing anything."""
        if not run or not run["frames"]:
            raise ValueError("nothing to replay yet: press Generate first")
        i = min(max(int(step), 1), len(run["frames"])) - 1       # 0 is "before the first step": show step 1
        return (*[frame_html(p) for p in run["frames"][i]],
                self.status(run, i, request) + say(request, " (replay)", "（回放）"))

    def wire(self, *, start: Callable, sample_live: Callable, inputs: list, pictures: list, status, generate,
             stop, scrubber, gif, run, switch, presets, steps, sampler) -> None:
        """The events every step-by-step tab has, the same in each: Generate (the tab's `start`
        given `steps`, then its `sample_live` of `inputs` streaming into `pictures` and `status`),
        Stop, the replay slider, the model switch and the presets."""
        private = dict(api_visibility="private", show_progress="hidden")
        run_again_on_flip(switch, generate)
        starting = generate.click(start, steps, [scrubber, gif, generate], queue=False, **private)
        # The page's runs wait for frames without a thread (async), so any number may run: the
        # engine batches them and keeps its own line.
        running = starting.then(sample_live, inputs, [*pictures, status, scrubber, run, stop], preprocess=False,
                                concurrency_limit=None, concurrency_id=f"{self.family}_live", **private)
        running.then(finish, run, [scrubber, gif, generate, stop], **private)
        # Stop only ends the run; the run's own stream then says so (Stepwise.live).
        stop.click(self.stop, run, None, queue=False, **private)

        def forget(run, steps: int, sampler: str, request: gr.Request = None):
            return self.forget(run, request, steps=steps, sampler=sampler)
        presets.load_input_event.then(forget, [run, steps, sampler], [scrubber, gif, run, stop, *pictures, status],
                                      queue=False, **private)
        scrubber.input(common.friendly(self.replay), [scrubber, run], [*pictures, status], trigger_mode="always_last",
                       **private)


@functools.cache
def _engine(family: str) -> Engine:
    """The one engine every visitor's runs of a family share."""
    return Engine(common.model(family), max_runs=ENGINE_MAX_RUNS, nice=ENGINE_NICE)


def waiting(place: int, request: gr.Request | None) -> str:
    return say(request, f"waiting for the engine: number {place} in line", f"等待计算：排在第 {place} 位")


async def follow(run: dict, request: gr.Request | None):
    """Yield (index of the frame to show, None) paced to FRAME_S: runs of up to EVERY_STEP_UP_TO
    steps show every step, longer ones the newest step at each tick of the pace (and the last).
    While the run waits in line: (None, its place), whenever the place changes."""
    job, shown, place = run["job"], 0, None
    try:
        while shown < job.total:
            await asyncio.sleep(FRAME_S)            # first: a run the engine takes at once never shows "in line"
            if job.error is not None:
                raise gr.Error(say(request, str(job.error), "采样计算出错了，请再按一次生成。"))
            if job.cancelled:
                return
            n = len(job.frames)
            if n > shown:
                shown = shown + 1 if job.total <= EVERY_STEP_UP_TO else n
                yield shown - 1, None
            elif n == 0 and job.position not in (place, 0):
                place = job.position
                yield None, place                   # still in line: say where
    finally:
        if not job.finished:                        # the visitor left: the run leaves the batch
            job.cancel()


def start(total: int):
    """Before a run: the replay slider becomes its progress bar, 0..total; the old GIF goes;
    Generate waits for this run to end."""
    return (gr.Slider(minimum=0, maximum=total, value=0, interactive=False),
            gr.DownloadButton(value=None, interactive=False), gr.Button(interactive=False))


def forget_run(run):
    """A preset replaced the pictures: a run still going ends (quietly: its pictures are gone)
    and the stored run no longer matches them."""
    if run:
        run["job"].cancel()
    return (gr.Slider(minimum=0, value=0, interactive=False), gr.DownloadButton(value=None, interactive=False),
            None, gr.Button(interactive=False))


def finish(run):
    """After a run, or Stop: let the slider replay the stored steps and offer the GIF; Generate
    is back and Stop has nothing to stop."""
    if not run or not run["frames"]:
        return (gr.Slider(interactive=False), gr.DownloadButton(value=None, interactive=False),
                gr.Button(interactive=True), gr.Button(interactive=False))
    run["job"].cancel()                         # a run still going leaves the batch at the next tick
    n = len(run["frames"])
    return (gr.Slider(minimum=0, maximum=n, value=n, interactive=True),
            gr.DownloadButton(value=write_gif(run, n), interactive=True), gr.Button(interactive=True),
            gr.Button(interactive=False))


def cancel_run(run) -> None:
    """The page's session ended (its state is deleted): its run leaves the batch."""
    if run:
        run["job"].cancel()


def run_again_on_flip(switch: gr.Radio, generate: gr.Button) -> None:
    """Flipping the model switch presses ▶ Generate, so the pictures show the model just chosen,
    as the GAN and VAE views redraw at once. While a run is going Generate is disabled: the
    switch then counts from the next run."""
    press = f"""() => {{
        const button = document.getElementById("{generate.elem_id}");
        if (button && !button.disabled) button.click();
    }}"""
    switch.input(None, None, None, js=press, api_visibility="private", queue=False, show_progress="hidden")


# ----------------------------------------------------------------------------- layout parts

def live_picture(label, elem_id: str) -> gr.HTML:
    """A live picture of a run: an inline 28x28 PNG that the browser scales up, crisp."""
    return gr.HTML(frame_html(None), label=label, show_label=True, container=True, js_on_load=None,
                   elem_id=elem_id, min_height=250,
                   css_template=".diffusion-frame { width: 250px; height: 250px; margin: auto; background: #000; }"
                                ".diffusion-frame img { width: 100%; height: 100%; image-rendering: pixelated; }")


def digit_box(elem_id: str, label=tr("diffusion.digit", "Digit to draw", "要画的数字")) -> gr.Dropdown:
    # A dropdown rather than radio buttons: API callers may send 7, "7", -1 or "none".
    return gr.Dropdown(DIGIT_CHOICES, value="3", label=label, allow_custom_value=True, scale=2, min_width=140,
                       elem_id=elem_id)


def seed_box(elem_id: str, label=tr("diffusion.seed", "Seed — the starting noise", "种子 —— 起始噪声")
             ) -> tuple[gr.Number, gr.Button]:
    """A seed box and its 🎲, laid out in the current row."""
    seed = gr.Number(0, label=label, minimum=0, maximum=common.SEED_MAX, step=1, scale=3, min_width=120,
                     elem_id=elem_id)
    dice = gr.Button("🎲", scale=0, min_width=48, elem_id=f"{elem_id}-dice")
    dice.click(common.new_seed, None, seed, api_visibility="private", queue=False)
    return seed, dice
