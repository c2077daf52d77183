"""Live views: the small models run in the visitor's page; the server is only the fallback.

A slider that asks the server for every move costs a Gradio event (≈ 25 ms of server CPU and a
round trip): thirty students dragging saturate two cores. The GAN generator and the VAE decoders
answer in a millisecond or two, so the page runs them itself with onnxruntime-web (WebAssembly),
from ONNX files that `python -m genai.export` writes from the shipped checkpoints.

How a tab uses it:
  - `live_view("gan", ...)` adds an invisible gr.HTML whose js_on_load starts ui/static/live.js for
    that view: it reads the widgets in the page, runs the model and draws on a canvas laid over the
    tab's image, on every move, with no Gradio event at all;
  - the widgets' change events run `gate(name)` in the browser first: while the page draws the
    view itself it answers nothing, so nothing reaches the server; otherwise (no WebAssembly, a model
    that failed to download, not loaded yet) it bumps a hidden number whose change event calls the
    server's handler exactly as before. The public API endpoints are separate events, unchanged.

The files are served by the app itself (no CDN: classrooms and Spaces may block one; the app works
offline), from `ROUTES`, compressed: the 14 MB runtime travels as 2.4 MB of brotli (3.7 MB of gzip).
"""

import functools
import gzip
import hashlib
import json
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import gradio as gr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/genai/static/"
ORT = "vendor/onnxruntime-web-1.30.0/"
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".onnx": "application/octet-stream", ".json": "application/json", ".png": "image/png"}
# Pictures the UI makes when the app runs (the VAE's unmarked map, the schedule plot), by file name.
GENERATED: dict[str, Callable[[], bytes]] = {}
LANGUAGES = ("en", "zh-CN")        # a generated picture with words in it comes in each (see `generated`)


def localized(name: str, lang: str) -> str:
    """The file name of a generated picture's `lang` version: vae_map.png, vae_map.zh-CN.png
    (live.js's `localized` makes the same)."""
    stem, dot, suffix = name.rpartition(".")
    return name if lang == "en" else f"{stem}.{lang}{dot}{suffix}"


def generated(name: str, make: Callable[[str], bytes]) -> None:
    """Serve `make(lang)` as file `name` in every language: the page fetches its own language's."""
    for lang in LANGUAGES:
        GENERATED[localized(name, lang)] = functools.partial(make, lang)


# ----------------------------------------------------------------------------- serving the files
# Big files are stored brotli-compressed (NAME.br: the runtime's 14 MB wasm is 2.4 MB, the GAN's
# 4.1 MB graph 2.2 MB) and sent as they are to every browser that takes br (all of them over HTTPS
# and on localhost); others get gzip, made here once. Brotli is a dependency of gradio.


@functools.lru_cache(maxsize=64)
def _stored(name: str) -> tuple[bytes, str] | None:
    """(bytes, "br" or "identity") of a static or generated file as stored, or None."""
    if name in GENERATED:
        return GENERATED[name](), "identity"
    root = STATIC.resolve()
    path = (root / name).resolve()
    if root not in path.parents:                         # no ../ out of the folder
        return None
    packed = path.with_name(path.name + ".br")
    if packed.is_file():
        return packed.read_bytes(), "br"
    return (path.read_bytes(), "identity") if path.is_file() else None


@functools.lru_cache(maxsize=64)
def _gzipped(name: str) -> bytes | None:
    """The file gzipped, when that saves a tenth at least (for browsers without br)."""
    body, encoding = _stored(name)
    raw = brotli.decompress(body) if encoding == "br" else body
    packed = gzip.compress(raw, compresslevel=6, mtime=0)
    return packed if len(packed) < 0.9 * len(raw) else None


@functools.lru_cache(maxsize=64)
def _digest(name: str) -> str:
    """A short hash of the stored file: its ETag, so a reload costs a 304 and no body."""
    return hashlib.sha256(_stored(name)[0]).hexdigest()[:16]


def _variant(name: str, accepted: str) -> tuple[bytes, str] | None:
    """(body, content encoding) of the file for a request's Accept-Encoding, or None."""
    stored = _stored(name)
    if stored is None:
        return None
    body, encoding = stored
    if encoding == "br" and "br" in accepted:
        return body, "br"
    if "gzip" in accepted and _gzipped(name) is not None:
        return _gzipped(name), "gzip"
    return (brotli.decompress(body) if encoding == "br" else body), "identity"


async def serve(request: Request) -> Response:
    """GET /genai/static/<name>: the runtime, the exported models, live.js; cached by the browser."""
    name = request.path_params["name"]
    found = _variant(name, request.headers.get("accept-encoding", ""))
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, encoding = found
    etag = f'"{_digest(name)}-{encoding}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400, must-revalidate", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    kind = TYPES.get(Path(name).suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(body, media_type=kind, headers=headers)


ROUTES = [Route(PREFIX + "{name:path}", serve, methods=["GET"])]


# ----------------------------------------------------------------------------- the page side

@functools.cache
def _checkpoints() -> dict[str, str]:
    """The digests of the checkpoints this server runs: the page goes live only when its exported
    models match them (GENAI_CHECKPOINTS may point at other weights than the exported ones)."""
    from genai.export import checkpoint_digests
    return checkpoint_digests()


@dataclass
class LiveView:
    """A live view's name and the hidden numbers that trigger its server fallbacks (one each)."""
    name: str
    triggers: list[gr.Number] = field(default_factory=list)


def live_view(name: str, fallbacks: int = 1, **config) -> LiveView:
    """The invisible host of one live view, placed in the layout: its js_on_load starts live.js's
    view `name` with `config` (the ids of the widgets it reads and the image it draws over). It
    shows a line only when the page cannot draw the view itself. Also makes the hidden triggers
    of `fallbacks` server handlers (see `fallback`)."""
    config = {"view": name, "prefix": PREFIX, "checkpoints": _checkpoints(), **config}
    js = f"""
    const config = {json.dumps(config)};
    const root = (window.gradio_config?.root || window.location.origin).replace(/\\/$/, "");
    import(root + config.prefix + "live.js")
        .then((live) => live.start(config, element, root))
        .catch((error) => console.warn("genai live view", config.view, "failed:", error));
    """
    gr.HTML("", html_template="<div class='genai-live-notice'></div>", js_on_load=js,
            elem_id=f"live-{name}", padding=False, min_height=0)
    return LiveView(name, [gr.Number(0, visible=False) for _ in range(fallbacks)])


def gate(name: str) -> str:
    """The js of a widget's change event: nothing while the page draws view `name` itself
    (no event reaches the server), else a new number for the hidden fallback trigger."""
    return f"() => window.genaiLive?.drawing('{name}') ? undefined : Date.now()"


def fallback(view: LiveView, inputs, outputs, fn, triggers, **kwargs) -> None:
    """Wire `fn(inputs) -> outputs` to run on the server only when the page does not draw the
    view: the triggers bump one of its hidden numbers (in the browser), whose change calls the server."""
    bump = view.triggers.pop(0)
    gr.on(triggers, None, None, bump, js=gate(view.name), api_visibility="private", queue=False,
          show_progress="hidden")
    bump.change(fn, inputs, outputs, **kwargs)
