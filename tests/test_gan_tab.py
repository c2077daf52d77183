"""The GAN tab through its public API (gradio_client) and in a real browser."""

import math

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from live_pictures import picture, wait_for_new_picture


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def raw(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


# ----------------------------------------------------------------------------- /gan_generate

def test_generate_with_only_a_seed_is_deterministic(client):
    a = client.predict(1234, api_name="/gan_generate")
    b = client.predict(seed=1234, api_name="/gan_generate")
    assert pixels(a).shape == (224, 224)
    assert raw(a) == raw(b)
    assert not np.array_equal(pixels(a), pixels(client.predict(1235, api_name="/gan_generate")))


def test_generate_follows_label_and_truncation(client):
    three = pixels(client.predict(7, label=3, truncation=1.0, api_name="/gan_generate"))
    eight = pixels(client.predict(7, label=8, truncation=1.0, api_name="/gan_generate"))
    assert not np.array_equal(three, eight)
    # psi = 0 puts every seed on the mean z: one digit, whatever the seed.
    assert np.array_equal(pixels(client.predict(1, label=5, truncation=0.0, api_name="/gan_generate")),
                          pixels(client.predict(2, label=5, truncation=0.0, api_name="/gan_generate")))
    assert np.array_equal(three, pixels(client.predict(7.0, label="3", truncation=1, api_name="/gan_generate")))


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed must be a whole number in 0-2147483647"),
    ({"seed": 2**31}, "seed must be a whole number in 0-2147483647"),
    ({"seed": 1.5}, "seed must be a whole number"),
    ({"seed": "abc"}, "seed must be a whole number"),
    ({"seed": None}, "seed must be a whole number"),
    ({"seed": 1, "label": 10}, r"label \(the digit\) must be a whole number in 0-9"),
    ({"seed": 1, "label": "seven"}, "0-9"),
    ({"seed": 1, "truncation": 2.0}, "truncation ψ must be a number in 0 to 1.5"),
    ({"seed": 1, "truncation": -0.1}, "0 to 1.5"),
])
def test_generate_rejects_bad_values_by_name(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(**kwargs, api_name="/gan_generate")


def test_handlers_reject_nan_and_infinity():
    """JSON clients cannot send NaN, but Python callers (and odd front ends) can."""
    import gradio as gr
    from ui import gan_tab
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(gr.Error, match="truncation ψ must be a number in 0 to 1.5"):
            gan_tab.gan_generate(1, 7, bad)
        with pytest.raises(gr.Error, match="pc3 must be a number in -3 to 3"):
            gan_tab.gan_edit(1, 7, 0.8, 0, 0, bad)
        with pytest.raises(gr.Error, match="seed must be a whole number in 0-2147483647"):
            gan_tab.gan_generate(bad)
        with pytest.raises(gr.Error, match="frames must be a whole number in 2-32"):
            gan_tab.gan_interpolate(1, 2, 3, bad)


def test_clicking_a_neighbour_picks_its_seed():
    import gradio as gr
    from ui import gan_tab
    cell = 30 * gan_tab.NEIGHBOUR_SCALE                  # a 28 px digit and 2 px of grid, scaled

    def click(x, y, seed=100):
        return gan_tab._pick_neighbour(seed, gr.SelectData(None, {"index": [x, y], "value": None}))
    assert click(cell // 2, cell // 2) == 101              # top left: seed + 1
    assert click(3 * cell + cell // 2, cell // 2) == 104   # top right
    assert click(cell // 2, cell + cell // 2) == 105       # second row
    assert click(10_000, 10_000) == 108                    # outside: the last one
    assert click(5, 5, seed=2**31 - 1) == 2**31 - 1        # never past the largest seed


# ----------------------------------------------------------------------------- /gan_edit

def test_edit_at_zero_is_the_plain_digit_and_sliders_change_it(client):
    plain = pixels(client.predict(99, label=4, truncation=0.8, api_name="/gan_generate"))
    assert np.array_equal(plain, pixels(client.predict(99, label=4, truncation=0.8, api_name="/gan_edit")))
    moved = client.predict(99, label=4, truncation=0.8, pc1=3.0, api_name="/gan_edit")
    again = client.predict(99, label=4, truncation=0.8, pc1=3.0, api_name="/gan_edit")
    assert raw(moved) == raw(again)
    assert not np.array_equal(plain, pixels(moved))
    assert not np.array_equal(pixels(moved),
                              pixels(client.predict(99, label=4, truncation=0.8, pc6=-3.0, api_name="/gan_edit")))


@pytest.mark.parametrize("kwargs, message", [
    ({"pc1": 3.5}, "pc1 must be a number in -3 to 3"),
    ({"pc6": -4}, "pc6 must be a number in -3 to 3"),
    ({"pc2": "left"}, "pc2 must be a number"),
])
def test_edit_rejects_bad_amounts(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(5, **kwargs, api_name="/gan_edit")


# ----------------------------------------------------------------------------- /gan_interpolate

def test_interpolate_gives_a_strip_and_a_looping_gif(client):
    strip, gif = client.predict(10, 20, 3, 5, "spherical", api_name="/gan_interpolate")
    assert pixels(strip).shape == ((28 + 4) * 4, (5 * 30 + 2) * 4)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 2 * 5 - 2          # there and back
        assert im.size == (28 * 6, 28 * 6)
        im.seek(0)
        first = np.asarray(im.convert("L"))[::6, ::6]
    from ui import gan_tab
    psi = gan_tab.DEFAULTS["trunc"]                                     # the walk's default truncation
    start = pixels(client.predict(10, label=3, truncation=psi, api_name="/gan_generate"))[::8, ::8]
    assert np.array_equal(first, start)
    strip2, gif2 = client.predict(10, 20, 3, 5, "spherical", api_name="/gan_interpolate")
    assert raw(strip) == raw(strip2) and raw(gif) == raw(gif2)
    linear, _ = client.predict(10, 20, 3, 5, "linear", api_name="/gan_interpolate")
    assert not np.array_equal(pixels(strip), pixels(linear))


def test_interpolate_defaults_and_a_second_digit(client):
    strip, _ = client.predict(seed_a=1, api_name="/gan_interpolate")
    assert pixels(strip).shape[1] == (8 * 30 + 2) * 4
    same, _ = client.predict(1, 2, 3, 4, "linear", "same", api_name="/gan_interpolate")
    morph, _ = client.predict(1, 2, 3, 4, "linear", 8, api_name="/gan_interpolate")
    assert not np.array_equal(pixels(same), pixels(morph))


@pytest.mark.parametrize("args, message", [
    ((1, 2, 3, 1, "linear"), "frames must be a whole number in 2-32"),
    ((1, 2, 3, 33, "linear"), "frames must be a whole number in 2-32"),
    ((1, 2, 3, 4, "cubic"), "mode must be one of 'linear', 'spherical'"),
    ((1, 2, 3, 4, "linear", 11), r'label_b \(a digit, or "same"\) must be a whole number in 0-9'),
    ((-1, 2, 3, 4, "linear"), "seed_a must be a whole number in 0-2147483647"),
    ((1, 2.5, 3, 4, "linear"), "seed_b must be a whole number in 0-2147483647"),
])
def test_interpolate_rejects_bad_values_by_name(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/gan_interpolate")


# ----------------------------------------------------------------------------- /gan_discriminate

def drawn_one(path, size=(500, 300), mode="RGBA"):
    """A dark stroke on white, the way people photograph digits."""
    picture = Image.new("RGBA", size, "white")
    picture.paste((0, 0, 0, 255), (size[0] // 2 - 20, size[1] // 8, size[0] // 2 + 20, size[1] * 7 // 8))
    picture.convert(mode).save(path)
    return path


def test_discriminate_gives_a_probability(client, tmp_path):
    one = handle_file(drawn_one(tmp_path / "one.png"))
    p = client.predict(one, 1, api_name="/gan_discriminate")
    assert isinstance(p, float) and 0.0 <= p <= 1.0
    assert p == client.predict(one, label=1, api_name="/gan_discriminate")
    assert p == client.predict(one, label="1", api_name="/gan_discriminate")
    for mode, name in (("L", "one.jpg"), ("P", "one.gif"), ("I;16", "one16.png")):
        q = client.predict(handle_file(drawn_one(tmp_path / name, (40, 90), mode)), api_name="/gan_discriminate")
        assert 0.0 <= q <= 1.0


def test_discriminate_rejects_blank_broken_and_mislabelled_images(client, tmp_path):
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    with pytest.raises(Exception, match="blank"):
        client.predict(handle_file(tmp_path / "blank.png"), api_name="/gan_discriminate")
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(Exception, match="Could not read this file as a picture: image must be a PNG"):
        client.predict(handle_file(tmp_path / "notes.txt"), api_name="/gan_discriminate")
    one = handle_file(drawn_one(tmp_path / "one.png"))
    for label in (10, -1, 2.5, "x"):
        with pytest.raises(Exception, match=r"label \(the digit\) must be a whole number in 0-9"):
            client.predict(one, label, api_name="/gan_discriminate")


# ----------------------------------------------------------------------------- in the browser

SLOW = 120_000      # ms: an upper bound for a busy 2-core machine, not a speed requirement


def open_gan(page, url):
    page.set_default_timeout(SLOW)
    page.goto(url)
    page.get_by_role("tab", name="GAN").click()
    image = page.locator("#gan-image img")
    image.wait_for(timeout=SLOW)
    return image


def test_a_latent_slider_changes_the_image_while_moving(page, app_url, artifacts):
    from playwright.sync_api import expect
    open_gan(page, app_url)
    before = picture(page, "gan-image")
    slider = page.locator("#gan-pc1 [data-testid=range-input]")
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    expect(page.locator("#gan-pc1 [data-testid=number-input]")).to_have_value("1", timeout=SLOW)
    wait_for_new_picture(page, "gan-image", before)
    expect(page.locator("#gan-verdict")).to_contain_text("D(x) =", timeout=SLOW)
    # The sliders get names once they are measured (a second or so, once per process).
    expect(page.locator("#gan-pc1 label").first).to_contain_text("PC1 · →", timeout=SLOW)
    page.screenshot(path=str(artifacts / "gan.png"))


def test_dice_preset_and_reset(page, app_url):
    """🎲 draws a new seed, a preset sets every control, Reset puts the sliders back at 0;
    the digit is a PNG (crisp pixels, no WebP smoothing)."""
    from playwright.sync_api import expect
    image = open_gan(page, app_url)
    assert ".png" in image.get_attribute("src")
    seed = page.locator("#gan-seed input")
    page.locator("#gan-dice").click()
    expect(seed).not_to_have_value("42", timeout=SLOW)
    before = picture(page, "gan-image")
    page.get_by_text("an 8 pushed along PC1", exact=True).click()
    expect(seed).to_have_value("8", timeout=SLOW)
    expect(page.locator("#gan-digit input[value='8']")).to_be_checked(timeout=SLOW)
    expect(page.locator("#gan-pc1 [data-testid=number-input]")).to_have_value("2.5", timeout=SLOW)
    pushed = wait_for_new_picture(page, "gan-image", before)
    page.locator("#gan-reset").click()
    expect(page.locator("#gan-pc1 [data-testid=number-input]")).to_have_value("0", timeout=SLOW)
    wait_for_new_picture(page, "gan-image", pushed)


def test_a_link_restores_seed_and_digit(page, app_url):
    from playwright.sync_api import expect
    page.set_default_timeout(SLOW)
    page.goto(app_url + "?tab=gan&seed=1234&digit=3&pc2=1.5")
    expect(page.locator("#gan-seed input")).to_have_value("1234", timeout=SLOW)
    expect(page.locator("#gan-digit input[value='3']")).to_be_checked(timeout=SLOW)
    expect(page.locator("#gan-pc2 [data-testid=number-input]")).to_have_value("1.5", timeout=SLOW)
    expect(page.locator("#gan-image img")).to_be_visible(timeout=SLOW)


def test_the_critic_judges_a_drawing(page, app_url):
    from playwright.sync_api import expect
    open_gan(page, app_url)
    verdict = page.locator("#gan-sketch-verdict")
    verdict.scroll_into_view_if_needed()
    page.locator("#gan-sketch button[aria-label='Brush']").click()
    canvas = page.locator("#gan-sketch canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + box["height"] * 0.6, steps=4)
    page.mouse.up()
    expect(verdict).to_contain_text("D(x) =", timeout=SLOW)
    expect(verdict).to_contain_text("your drawing")
