"""What a browser test sees as "the picture": the image Gradio shows, or the canvas the page
draws over it when the model runs in the page (ui/live.py). Either path must change it."""

# The image's src and, when the page draws the view itself, its canvas's pixels.
PICTURE_JS = """(id) => {
    const block = document.getElementById(id);
    const img = block?.querySelector('img'), canvas = block?.querySelector('canvas.genai-live');
    return (img?.src || '') + '|' + (canvas ? canvas.toDataURL() : '');
}"""


def picture(page, elem_id: str) -> str:
    """A fingerprint of what block `elem_id` shows now."""
    return page.evaluate(PICTURE_JS, elem_id)


def wait_for_new_picture(page, elem_id: str, before: str, timeout: float = 120_000) -> str:
    """Wait until block `elem_id` shows something other than `before`; returns the new fingerprint."""
    page.wait_for_function(f"([id, before]) => ({PICTURE_JS})(id) !== before", arg=[elem_id, before],
                           timeout=timeout)
    return picture(page, elem_id)
