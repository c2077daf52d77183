"""What every tab shares: cached models, pictures, drawings, errors, seeds and first use.
(Links live in ui/links.py, freeing a closed page's session in ui/sessions.py.)"""

import functools
import inspect
import json
import math
import os
import secrets
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio import processing_utils
from gradio.data_classes import FileData
from gradio.exceptions import InvalidPathError
from gradio_client.utils import is_file_obj_with_meta
from PIL import Image, ImageOps
from pydantic import ConfigDict, model_validator

import genai
from genai.checks import check_range
from genai.images import grid, prepare_digit, upscale

from .i18n import EN, ZH, chinese_error, leftover, say, t

SEED_MAX = 2**31 - 1      # what the seed boxes offer; the package accepts up to 2**63 - 1
SCALE = 8                 # 28 px -> 224 px, nearest neighbour: every model pixel a crisp square
# Hosting limits on uploaded pictures, read once when the app starts.
MAX_IMAGE_PIXELS = int(os.environ.get("GENAI_MAX_IMAGE_PIXELS", str(4096 * 4096)))
MAX_IMAGE_BYTES = int(os.environ.get("GENAI_MAX_IMAGE_BYTES", str(10 * 2**20)))
PICTURE = "a PNG, JPEG, GIF, BMP, WebP or TIFF picture of one digit"


# Models that run on the GPU when there is one. The diffusion sampler runs its U-Net 50-100
# times per picture; the GAN, the VAEs and the classifier answer a slider in a millisecond or
# two on the CPU, less than a copy to the GPU and back would cost. (Fine-tuning, genai.finetune,
# uses the GPU for every family.)
ON_GPU = {"diffusion"}


@functools.cache
def model(name: str):
    """A shipped model, loaded once per process and only ever read (never trained in place:
    fine-tuning works on per-session copies)."""
    m = genai.load(name, device="cuda" if name in ON_GPU and torch.cuda.is_available() else "cpu")
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def picture(images: np.ndarray, scale: int = SCALE, cols: int | None = None) -> np.ndarray:
    """uint8 (H, W) or (B, H, W) -> one upscaled uint8 picture (a grid when B > 1)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[0] if len(images) == 1 else grid(images, cols=cols)
    return upscale(images, scale)


def image_output(label: str, **kwargs) -> gr.Image:
    """An output image that stays crisp: PNG (not WebP), no download clutter."""
    kwargs.setdefault("buttons", ["download"])
    return gr.Image(label=label, format="png", type="numpy", interactive=False, **kwargs)


def sketchpad(label: str, **kwargs) -> gr.Sketchpad:
    """A 280x280 canvas with a thick black brush, the size MNIST digits were written at, and one
    layer (no "Layer 1" menu: a digit needs none). keep_brush_on() selects its brush.
    (Gradio 6's canvas is opaque white; prepare_digit inverts dark-on-light drawings.)"""
    return gr.Sketchpad(label=label, canvas_size=(280, 280), type="numpy", image_mode="RGBA",
                        brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                        layers=False, **kwargs)


# Gradio's own words on the drawing pads, by its i18n keys; its Chinese table has none of them.
PAD_WORDS = {
    "image_editor.brush": ("Brush", "画笔"), "image_editor.erase": ("Erase", "橡皮擦"),
    "image_editor.clear_canvas": ("Clear canvas", "清空画布"), "image_editor.pan": ("Pan", "平移"),
    "image_editor.redo": ("Redo", "重做"),
    "image_editor.zoom_in": ("Zoom in", "放大"), "image_editor.zoom_out": ("Zoom out", "缩小"),
    "image_editor.brush_size": ("Brush Size", "画笔大小"), "image_editor.eraser_size": ("Eraser Size", "橡皮擦大小"),
    "image_editor.select_draw_tool": ("select the draw tool to start", "选择画笔即可开始画"),
    "image_editor.layer": ("Layer", "图层"), "image_editor.layers": ("Layers", "图层"),
    "image_editor.show_layers": ("Show Layers", "显示图层"), "image_editor.add_layer": ("Add Layer", "添加图层"),
    "image_editor.fit_to_screen": ("Fit to screen", "适应屏幕"),
}
for _key, (_en, _zh) in PAD_WORDS.items():
    t(_key, _en, _zh)


def keep_brush_on(demo: gr.Blocks) -> None:
    """Every drawing pad has its brush selected: when it first appears, after "Clear canvas" and
    after the server empties it. Gradio's pad starts (and, once cleared, falls back) with no tool,
    and a drag then selects the page's text instead of drawing. Runs in the browser only."""
    labels = json.dumps(PAD_WORDS["image_editor.brush"])
    js = f"""() => {{
        const brushes = new Set({labels});
        const arm = () => document.querySelectorAll("button[aria-label]").forEach((button) => {{
            if (!brushes.has(button.getAttribute("aria-label"))) return;
            const pad = button.closest(".block");
            const recently = Date.now() - Number(button.dataset.genaiArmed || 0) < 1000;
            if (pad && !pad.querySelector("button.highlight") && !recently) {{      // no tool chosen
                button.dataset.genaiArmed = String(Date.now());
                button.click();
            }}
        }});
        let queued = false;         // at most one look per frame, however much the page changes
        new MutationObserver(() => {{
            if (queued) return;
            queued = true;
            requestAnimationFrame(() => {{ queued = false; arm(); }});
        }}).observe(document.body, {{childList: true, subtree: true, attributes: true, attributeFilter: ["class"]}});
        arm();
    }}"""
    gr.on(None, None, None, None, js=js, api_visibility="private", queue=False)


def read_picture(path) -> np.ndarray:
    """An uploaded picture file (any mode) -> a (28, 28) uint8 digit, or a ValueError naming
    what is accepted. Size limits are checked before a single pixel is decoded. Takes a path
    or, from an endpoint with preprocess=False, the upload's dict (Gradio has checked its path)."""
    if isinstance(path, dict):
        path = path.get("path")
    if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
        raise ValueError(f"image must be {PICTURE}, uploaded with handle_file(path)")
    size = os.path.getsize(path)
    if size > MAX_IMAGE_BYTES:
        raise ValueError(f"image must be at most {MAX_IMAGE_BYTES:,} bytes; this file has {size:,}")
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise ValueError(f"image must have at most {MAX_IMAGE_PIXELS:,} pixels; "
                                 f"this one is {im.width}x{im.height}")
            return prepare_digit(ImageOps.exif_transpose(im), max_pixels=MAX_IMAGE_PIXELS)  # phone photos
    except ValueError as e:          # too large, blank: prepare_digit says why
        raise ValueError(f"Could not use this picture: {e}") from None
    except Exception:                # not an image, truncated, a decompression bomb...
        raise ValueError(f"Could not read this file as a picture: image must be {PICTURE}") from None


# What a picture input accepts. Anything that is not an upload (a number, a text, a list)
# becomes an empty path, which read_picture answers with what is allowed, instead of the
# validation error Gradio would show as its generic message. (Titled FileData, so clients
# still see a file parameter.)
class _Upload(FileData):
    model_config = ConfigDict(title="FileData")

    @model_validator(mode="before")
    @classmethod
    def _not_an_upload(cls, value):
        return value if is_file_obj_with_meta(value) else {"path": "", "meta": {"_type": "gradio.FileData"}}


class Blocks(gr.Blocks):
    """gr.Blocks that tells a caller, in the app's words, why a file they named was refused.
    Gradio opens only files uploaded to its cache: a FileData naming any other path is refused
    before a handler runs, with an InvalidPathError whose text the caller never sees
    ({"error": null}, shown as Gradio's generic error)."""

    async def preprocess_data(self, *args, **kwargs):
        try:
            return await super().preprocess_data(*args, **kwargs)
        except InvalidPathError:
            raise gr.Error("files must be uploaded to this server first (gradio_client's handle_file(path) "
                           "does it): no other path is opened") from None


def _save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's processing_utils.save_pil_to_cache, but the file is written under a temporary name
    and renamed into place. Gradio names an output file by its content and writes it again, in
    place, for every answer with the same picture: a visitor downloading it at that moment got a
    short or empty file, a broken picture (a class on one seed: docs/promises.md). A rename never
    shows a partial file, and a download already going keeps the file it opened."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    handle, staging = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)         # no half-written file left behind
        raise
    return str(path)


processing_utils.save_pil_to_cache = _save_pil_to_cache      # every gr.Image output goes through it


def picture_file(label: str = "image") -> gr.File:
    """A hidden input that gives an endpoint a picture-file parameter (use handle_file(path))."""
    component = gr.File(None, label=label, type="filepath", visible=False)
    component.data_model = _Upload
    return component


NOTHING_DRAWN = leftover("common.nothing_drawn", "Nothing drawn yet: draw a digit (or upload one) first.",
                         "还没有画任何东西：请先画一个数字（或上传一张）。")


def drawing_to_digit(value) -> np.ndarray:
    """A Sketchpad value, an uploaded file's path, an image or an array -> a (28, 28) uint8
    digit. Raises gr.Error for a blank or unreadable picture."""
    if isinstance(value, str) or (isinstance(value, dict) and "path" in value):
        try:
            return read_picture(value)
        except ValueError as e:
            raise gr.Error(str(e)) from None
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        raise gr.Error(NOTHING_DRAWN)
    try:
        return prepare_digit(np.asarray(value) if not hasattr(value, "mode") else value)
    except (ValueError, TypeError) as e:
        raise gr.Error(f"Could not read the drawing: {e}") from None


def digit(name: str, value) -> int:
    """A digit 0-9, or a ValueError naming the allowed values. The API lists digit choices
    as "0".."9", so digit strings count too."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return check_range(name, value, 0, 9, integer=True)


def number(name: str, value, low: float, high: float) -> float:
    """A finite number in low..high (a slider's value), or a ValueError naming the range in the
    words ui.i18n.chinese_error translates ("x must be a number in -3 to 3, got 7")."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a number in {low:g} to {high:g}, got {value!r:.40}")
    return float(value)


def strokes(sketch):
    """A drawing pad's strokes as ink (H, W) uint8: the drawing layers' opacity, whatever colour
    the brush and the canvas have (the composite loses white strokes on white). Anything else
    (an uploaded picture, a path) is returned as it is."""
    if isinstance(sketch, dict) and sketch.get("layers"):
        layers = [np.asarray(layer) for layer in sketch["layers"] if layer is not None]
        if layers and all(layer.ndim == 3 and layer.shape[-1] == 4 for layer in layers):
            return np.max([layer[..., 3] for layer in layers], axis=0)
    return sketch


def presets(key: str, rows, inputs: list, label, **kwargs) -> gr.Examples:
    """A view's starting points: one button per row of (values for `inputs`, English name, Chinese
    name). A click only sets the widgets (chain the view's handler on `.load_input_event`, so it
    answers in the visitor's language); the settings then travel in the view's 🔗 link."""
    return gr.Examples([values for values, _, _ in rows], inputs=inputs, label=label, api_visibility="private",
                       example_labels=[leftover(f"{key}.{i}", en, zh) for i, (_, en, zh) in enumerate(rows)],
                       **kwargs)


def new_seed() -> int:
    """A fresh random seed for the 🎲 buttons."""
    return secrets.randbelow(SEED_MAX + 1)


def friendly(fn):
    """Turn the package's ValueError/TypeError into a gr.Error the visitor can read, for plain
    handlers and streaming (generator) handlers alike; in the page's language when the handler
    takes the visitor's `request` (the public API's own handlers answer in English)."""
    signature = inspect.signature(fn)

    def fail(e: Exception, args, kwargs) -> None:
        request = None
        if "request" in signature.parameters:
            try:
                request = signature.bind_partial(*args, **kwargs).arguments.get("request")
            except TypeError:
                pass
        raise gr.Error(say(request, str(e), chinese_error(str(e)))) from None

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def agen(*args, **kwargs):
            try:
                async for out in fn(*args, **kwargs):
                    yield out
            except gr.Error:
                raise
            except (ValueError, TypeError, genai.CheckpointError) as e:
                fail(e, args, kwargs)
        return agen

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except (ValueError, TypeError, genai.CheckpointError) as e:
                fail(e, args, kwargs)
        return gen

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, TypeError, genai.CheckpointError) as e:
            fail(e, args, kwargs)
    return wrapper


# ----------------------------------------------------------------------------- first use

def warm_up(tasks) -> list[str]:
    """Do now, one by one, what the first visitor's requests would otherwise wait for (loading
    models, fitting cached fits, a model's first run): for a background thread started with the
    server. Returns the names of the tasks that failed; a failure is printed, never raised (the
    visitor's own request then does that work, or reports the error)."""
    failed, start = [], time.perf_counter()
    for task in tasks:
        name = getattr(task, "__name__", None) or getattr(getattr(task, "func", None), "__name__", repr(task))
        try:
            task()
        except Exception as e:        # noqa: BLE001 -- warming is best effort, the app must start anyway
            print(f"warm-up: {name} failed: {type(e).__name__}: {e}")
            failed.append(name)
    # The server's log says when it is warm (tests/test_memory.py measures memory from there;
    # python -m bench.firstuse waits for it).
    print(f"warm-up: done in {time.perf_counter() - start:.1f} s, {len(tasks) - len(failed)} of {len(tasks)} ready", flush=True)
    return failed


# ----------------------------------------------------------------------------- numbers typed out of range

RANGE_NOTE = t("common.range_note", "Allowed: {low} to {high}. {typed} is out of range, so the box now holds {value}.",
               "允许范围：{low} 到 {high}。{typed} 超出了范围，输入框已改为 {value}。")


def keep_numbers_in_range(demo: gr.Blocks) -> None:
    """A number typed outside a box's range (a seed of 10^20) is corrected in the box itself, with
    the app's note in the page's language under it, before the server sees it: otherwise Gradio
    answers in English with a rounded number that is not what was typed, and the box keeps it.
    Too large is corrected while typing (more digits only make it larger); too small when the box
    is left, since "1" is on the way to "15". Runs in the browser only."""
    words = json.dumps({"en": EN[RANGE_NOTE.key], "zh": ZH[RANGE_NOTE.key]})
    js = f"""() => {{
        const words = {words};
        const note = (input, typed, value) => {{
            const zh = (localStorage.getItem("genai-locale") || document.documentElement.lang || "").startsWith("zh");
            const block = input.closest(".block") || input.parentElement;
            let box = block.querySelector(":scope > .genai-range-note");
            if (!box) {{
                box = document.createElement("div");
                box.className = "genai-range-note";
                box.setAttribute("role", "status");
                block.appendChild(box);
            }}
            box.textContent = words[zh ? "zh" : "en"].replace("{{low}}", input.min).replace("{{high}}", input.max)
                .replace("{{typed}}", typed).replace("{{value}}", value);
            clearTimeout(box.genaiTimer);
            box.genaiTimer = setTimeout(() => box.remove(), 8000);
        }};
        const clamp = (event) => {{
            const input = event.target;
            if (!(input instanceof HTMLInputElement) || input.type !== "number" || input.value === "") return;
            const typed = input.value, x = Number(typed);
            const low = input.min === "" ? -Infinity : Number(input.min);
            const high = input.max === "" ? Infinity : Number(input.max);
            const value = x > high ? high : x < low && (event.type === "change" || low <= 0) ? low : null;
            if (value === null || Number.isNaN(x)) return;
            input.value = String(value);
            note(input, typed, value);
        }};
        document.addEventListener("input", clamp, true);        // capture: before Gradio reads the box
        document.addEventListener("change", clamp, true);
    }}"""
    gr.on(None, None, None, None, js=js, api_visibility="private", queue=False)
