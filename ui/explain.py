"""The "How it works" panels: a plain paragraph, then each formula beside the code that computes it.

The code is read from genai/ while the page is built (inspect.getsource), so the excerpt a
student reads is always the code that runs; a renamed function stops the app from starting
instead of showing stale code. The texts live in ui/theory.py.
"""

import importlib
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from .i18n import t

ROOT = Path(__file__).resolve().parent.parent
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


@dataclass(frozen=True)
class Excerpt:
    """The source of one function or method, and where it lives."""
    name: str        # dotted name, e.g. "genai.diffusion.NoiseSchedule.add_noise"
    file: str        # path from the repository root, e.g. "genai/diffusion.py"
    first: int       # first and last line in that file, 1-based
    last: int
    code: str        # the source, dedented

    @property
    def where(self) -> str:
        return f"{self.file}:{self.first}-{self.last}"


def lookup(dotted: str):
    """'genai.gan.d_loss' or 'genai.vae.VAE.reparameterize' -> that object.
    Raises LookupError naming the first part that does not exist."""
    parts = dotted.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ModuleNotFoundError:
        raise LookupError(f"{dotted!r}: no module {parts[0]!r}") from None
    for j, part in enumerate(parts[1:], 1):
        if not hasattr(obj, part) and inspect.ismodule(obj):      # a submodule not imported yet
            try:
                importlib.import_module(".".join(parts[:j + 1]))
            except ModuleNotFoundError:
                pass
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise LookupError(f"{dotted!r}: {'.'.join(parts[:j])} has no {part!r} "
                              "(renamed? update ui/theory.py)") from None
    return obj


def excerpt(dotted: str) -> Excerpt:
    """The current source of the function or method `dotted`, with its file and lines."""
    obj = inspect.unwrap(lookup(dotted))
    lines, first = inspect.getsourcelines(obj)
    file = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT).as_posix()
    return Excerpt(dotted, file, first, first + len(lines) - 1, textwrap.dedent("".join(lines)))


def panel(family: str) -> None:
    """The closed "How it works" accordion for `family` (a key of theory.THEORY), built in place."""
    from .theory import THEORY                    # the texts register their i18n keys on import
    plain, steps = THEORY[family]
    with gr.Accordion(t("explain.title", "How it works", "原理讲解"), open=False, elem_id=f"{family}-explain"):
        gr.Markdown(plain, latex_delimiters=LATEX, elem_id=f"{family}-explain-plain")
        for i, (math, names) in enumerate(steps):
            with gr.Row(equal_height=False):
                gr.Markdown(math, latex_delimiters=LATEX, elem_id=f"{family}-explain-math{i}")
                with gr.Column():
                    for name in names:
                        code = excerpt(name)
                        gr.Code(code.code, language="python", label=f"{code.where} · {name.split('.', 2)[-1]}",
                                interactive=False, show_line_numbers=False, max_lines=30, wrap_lines=True,
                                elem_classes=["explain-code"])
