"""Fonts for the text drawn inside pictures (plot titles, legends, axis names), in the page's language.

The default fonts (Pillow's bundled Aileron, matplotlib's DejaVu Sans) have no Chinese glyphs:
Chinese text drawn with them comes out as empty boxes. So Chinese text is drawn with a CJK font
found on the machine (Debian's fonts-noto-cjk: tests/run.sh and the Space's packages.txt install
it), and English text exactly as before. Without a CJK font, Chinese text still draws (as boxes),
it never fails. No gradio here: the drawing code passes its language in.
"""

import functools
import re

# Families tried in order; Noto Sans CJK SC is Debian's fonts-noto-cjk (the JP face also has the glyphs).
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Droid Sans Fallback", "Noto Sans CJK JP")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """Whether `text` has a character the default fonts cannot draw (Chinese, full-width punctuation)."""
    return _CJK.search(text) is not None


@functools.cache
def cjk_font() -> tuple[str, str] | None:
    """(family, file) of the first CJK font of CJK_FAMILIES on this machine, or None."""
    from matplotlib import font_manager
    found = {}
    for f in sorted(font_manager.fontManager.ttflist, key=lambda f: f.weight != 400):    # regular first
        found.setdefault(f.name, f.fname)
    return next(((name, found[name]) for name in CJK_FAMILIES if name in found), None)


@functools.cache
def _cjk_pil_font(size: int):
    """The CJK font at `size` for PIL (the right face of a .ttc collection), or None."""
    from PIL import ImageFont
    font = cjk_font()
    if font is None:
        return None
    family, path = font
    for index in range(16):                       # a .ttc holds several faces: find the family's
        try:
            face = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        if face.getname()[0] == family:
            return face
    return ImageFont.truetype(path, size)


@functools.cache
def _default_pil_font(size: int):
    from PIL import ImageFont
    return ImageFont.load_default(size=size)


@functools.cache
def _dejavu_pil_font(size: int):
    """matplotlib's DejaVu Sans (always installed with it) at `size`: Greek letters such as ψ."""
    from matplotlib import font_manager
    from PIL import ImageFont
    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def pil_font(size: int, text: str = ""):
    """A PIL font at `size` that can draw `text`: the default font (Latin letters only) unless
    the text is Chinese, or has letters such as Greek that the default draws as boxes."""
    if has_cjk(text):
        return _cjk_pil_font(size) or _default_pil_font(size)
    if any(ord(c) > 0x24F for c in text):
        return _dejavu_pil_font(size)
    return _default_pil_font(size)


def matplotlib_family(lang: str) -> list[str] | None:
    """The font families for a matplotlib text in language `lang` ("en" or "zh-CN"): None (the
    default) for English; DejaVu Sans with the CJK font as fallback for Chinese, so formulas and
    Latin letters look as in English."""
    font = cjk_font()
    return ["DejaVu Sans", font[0]] if lang != "en" and font is not None else None
