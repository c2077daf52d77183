"""The "How it works" panels show the code that runs: each excerpt is the current source of the
function it names, at the file and lines it names; a name that no longer exists fails loudly."""

import inspect
import textwrap

import pytest

from ui import explain
from ui.theory import THEORY

NAMES = sorted({name for _, steps in THEORY.values() for _, names in steps for name in names})


@pytest.mark.parametrize("name", NAMES)
def test_excerpt_is_the_current_source(name):
    code = explain.excerpt(name)
    obj = inspect.unwrap(explain.lookup(name))
    assert code.code == textwrap.dedent(inspect.getsource(obj))
    lines = (explain.ROOT / code.file).read_text().splitlines(keepends=True)
    assert textwrap.dedent("".join(lines[code.first - 1:code.last])) == code.code
    assert code.file.startswith("genai/") and code.where == f"{code.file}:{code.first}-{code.last}"
    assert code.code.lstrip().startswith(("def ", "@"))       # the whole definition, decorators included


def test_every_family_has_a_panel_with_code():
    assert set(THEORY) >= {"gan", "vae", "diffusion", "playground"}
    for family, (plain, steps) in THEORY.items():
        assert steps and all(names for _, names in steps), family


@pytest.mark.parametrize("name", ["genai.gan.d_loss_renamed", "genai.diffusion.Diffusion.guided",
                                  "genai.no_such_module.f", "no_such_package.f"])
def test_a_renamed_function_fails_loudly(name):
    with pytest.raises(LookupError, match="no"):
        explain.excerpt(name)


def test_the_panel_shows_each_excerpt_with_its_file_and_lines():
    import gradio as gr
    with gr.Blocks() as demo:
        explain.panel("diffusion")
    shown = {b.label: b.value for b in _walk(demo) if isinstance(b, gr.Code)}
    names = [name for _, names in THEORY["diffusion"][1] for name in names]
    assert len(shown) == len(names)
    for name in names:
        code = explain.excerpt(name)
        label = f"{code.where} · {name.split('.', 2)[-1]}"
        assert shown[label] == code.code.rstrip("\n")      # gr.Code drops the final newline


def _walk(block):
    yield block
    for child in getattr(block, "children", []):
        yield from _walk(child)
