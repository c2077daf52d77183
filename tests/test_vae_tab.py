"""The VAE tab: its public endpoints through gradio_client, and the tab in a real browser."""

import json
import urllib.request

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from live_pictures import picture, wait_for_new_picture
from ui import common, vae_tab


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def raises(client, match: str, api_name: str, **kwargs):
    with pytest.raises(Exception, match=match):
        client.predict(**kwargs, api_name=api_name)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Uploads of many sizes and colour modes, a blank one, a 1x1 one and a file that is no picture."""
    folder = tmp_path_factory.mktemp("vae-pictures")
    digit = pixels(vae_tab.DEFAULT_A)                                  # 112x112, white on black
    out = {}
    big = Image.fromarray(255 - digit).resize((500, 300))              # dark ink on paper, not square
    out["rgba"] = folder / "rgba.png"; big.convert("RGBA").save(out["rgba"])
    out["jpeg"] = folder / "paper.jpg"; big.convert("RGB").save(out["jpeg"], quality=80)
    out["palette"] = folder / "p.png"; Image.fromarray(digit).convert("P").save(out["palette"])
    out["i16"] = folder / "i16.png"; Image.fromarray(digit.astype(np.uint16) * 256).save(out["i16"])
    out["cmyk"] = folder / "cmyk.jpg"; Image.fromarray(digit).convert("CMYK").save(out["cmyk"])
    out["blank"] = folder / "blank.png"; Image.new("L", (64, 64), 255).save(out["blank"])
    out["tiny"] = folder / "tiny.png"; Image.new("RGB", (1, 1), (9, 9, 9)).save(out["tiny"])
    out["text"] = folder / "notes.png"; out["text"].write_text("not a picture")
    out["huge"] = folder / "huge.png"; Image.new("L", (5000, 4000)).save(out["huge"])
    return out


# ----------------------------------------------------------------------------- the map's geometry

def test_pixel_and_point_agree():
    for z1, z2 in [(-3, 3), (0, 0), (1.5, -2.25), (3, -3)]:
        c, r = vae_tab.to_pixel(z1, z2)
        for left in (0, vae_tab.PANEL + vae_tab.GAP):                  # either panel, same axes
            x, y = vae_tab.point_at(left + c, r + vae_tab.HEADER)
            assert abs(x - z1) < 0.05 and abs(y - z2) < 0.05
    assert vae_tab.point_at(0, 0) == (-3.0, 3.0)                       # clicks outside the axes stay on the map
    assert vae_tab.point_at(10_000, 10_000) == (3.0, -3.0)


# ----------------------------------------------------------------------------- endpoints

def test_decode_is_deterministic_and_follows_the_point(client):
    first = pixels(client.predict(api_name="/vae_decode"))
    assert first.shape == (224, 224)
    assert np.array_equal(first, pixels(client.predict(x=0.0, y=0.0, api_name="/vae_decode")))
    corner = pixels(client.predict(x=-3, y=3, api_name="/vae_decode"))
    assert not np.array_equal(first, corner)


@pytest.mark.parametrize("x", [5, -3.01, "abc", None, [1, 2]])
def test_decode_rejects_bad_points(client, x):
    raises(client, "x must be a number in -3 to 3", "/vae_decode", x=x)


def test_decode_rejects_nan_and_infinity(app_url):
    """JSON has no NaN, but Python's json module reads it: send one by hand."""
    for body in ('{"data": [NaN, 0]}', '{"data": [0, Infinity]}'):
        request = urllib.request.Request(f"{app_url.rstrip('/')}/gradio_api/call/vae_decode", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        event_id = json.load(urllib.request.urlopen(request))["event_id"]
        with urllib.request.urlopen(f"{app_url.rstrip('/')}/gradio_api/call/vae_decode/{event_id}") as stream:
            reply = stream.read().decode()
        assert "event: error" in reply and "must be a number in -3 to 3" in reply


def test_decode16_seed_alone_or_a_full_code(client):
    seeded = pixels(client.predict(seed=3, api_name="/vae_decode16"))
    assert seeded.shape == (224, 224)
    assert np.array_equal(seeded, pixels(client.predict(seed=3, api_name="/vae_decode16")))
    code = dict(zip([f"z{i}" for i in range(1, 17)], vae_tab.prior_code(3)))
    assert not np.array_equal(pixels(client.predict(seed=3, z1=-4, z2=4, api_name="/vae_decode16")), seeded)
    full = pixels(client.predict(seed=0, **code, api_name="/vae_decode16"))       # a full code: the seed is unused
    assert np.array_equal(full, common.picture(vae_tab.decode_latents(common.model("vae"), list(code.values()))))
    assert np.abs(full.astype(int) - seeded).mean() < 3            # seed 3's code, rounded to the sliders' 0.01
    assert np.array_equal(pixels(client.predict(api_name="/vae_decode16")), pixels(client.predict(seed=0, api_name="/vae_decode16")))


@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=-1), "seed must be a whole number from 0"),
    (dict(seed=1.5), "seed must be a whole number from 0"),
    (dict(seed="x"), "seed must be a whole number from 0"),
    (dict(z3=9), "z3 must be a number in -4 to 4"),
    (dict(z16="a"), "z16 must be a number in -4 to 4"),
])
def test_decode16_rejects_bad_values(client, kwargs, message):
    raises(client, message, "/vae_decode16", **kwargs)


def test_encode_default_and_determinism(client):
    x, y, image, recon, kl = client.predict(api_name="/vae_encode")
    assert all(np.isfinite([x, y, recon, kl])) and recon > 0 and kl >= 0
    assert pixels(image).shape == (224, 224)
    again = client.predict(image=handle_file(str(vae_tab.DEFAULT_A)), api_name="/vae_encode")
    assert again[:2] == (x, y) and again[3:] == (recon, kl)
    assert np.array_equal(pixels(again[2]), pixels(image))


def test_encode_reads_any_picture(client, pictures):
    """The same digit in any mode lands on the same point: the palette and 16-bit copies exactly
    where the default 3 does, the CMYK JPEG within JPEG's loss; the stretched copy on paper, as
    RGBA PNG and as JPEG, in one place."""
    point = {kind: client.predict(image=handle_file(str(pictures[kind])), api_name="/vae_encode")
             for kind in ("rgba", "jpeg", "palette", "i16", "cmyk")}
    default = client.predict(api_name="/vae_encode")
    for kind in ("palette", "i16"):
        assert point[kind][:2] == default[:2] and point[kind][3:] == default[3:]
        assert np.array_equal(pixels(point[kind][2]), pixels(default[2]))
    assert np.allclose(point["cmyk"][:2], default[:2], atol=0.02)
    assert np.allclose(point["rgba"][:2], point["jpeg"][:2], atol=0.02)


@pytest.mark.parametrize("kind, message", [("blank", "blank"), ("tiny", "blank"), ("text", "Could not read"),
                                           ("huge", "at most 16,777,216")])
def test_encode_rejects_unusable_pictures(client, pictures, kind, message):
    raises(client, message, "/vae_encode", image=handle_file(str(pictures[kind])))


def test_interpolate(client, pictures):
    strip = pixels(client.predict(api_name="/vae_interpolate"))
    assert strip.shape == ((28 + 4) * 4, (8 * 30 + 2) * 4)                      # 8 frames in one row
    assert np.array_equal(strip, pixels(client.predict(api_name="/vae_interpolate")))
    three = pixels(client.predict(image_a=handle_file(str(pictures["rgba"])), frames=3, api_name="/vae_interpolate"))
    assert three.shape == ((28 + 4) * 4, (3 * 30 + 2) * 4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(frames=1), "frames must be a whole number from 2 to 16"),
    (dict(frames=17), "frames must be a whole number from 2 to 16"),
    (dict(frames=2.5), "frames must be a whole number from 2 to 16"),
    (dict(frames="many"), "frames must be a whole number from 2 to 16"),
])
def test_interpolate_rejects_bad_frames(client, kwargs, message):
    raises(client, message, "/vae_interpolate", **kwargs)


def test_interpolate_rejects_a_blank_picture(client, pictures):
    raises(client, "blank", "/vae_interpolate", image_b=handle_file(str(pictures["blank"])))


# ----------------------------------------------------------------------------- in a browser

def open_tab(page, app_url, query=""):
    """Load the whole app and select the VAE tab (waits are generous: a busy 2-core CI is slow)."""
    page.set_default_timeout(90_000)
    page.goto(app_url + query)
    page.get_by_role("tab", name="VAE").click()
    page.locator("#vae-map img").wait_for()


def test_map_click_and_16d_slider_change_the_digits(page, app_url, artifacts):
    from playwright.sync_api import expect
    open_tab(page, app_url)
    before = picture(page, "vae-decoded2d")
    box = page.locator("#vae-map img").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)   # lower left of the grid
    expect(page.locator("#vae-x [data-testid=number-input]")).not_to_have_value("0", timeout=60_000)
    wait_for_new_picture(page, "vae-decoded2d", before)
    assert float(page.locator("#vae-x [data-testid=number-input]").input_value()) < 0
    assert float(page.locator("#vae-y [data-testid=number-input]").input_value()) < 0
    # Other tabs' start-up errors (a missing checkpoint while models train) would cover the picture.
    page.evaluate("document.querySelectorAll('.toast-wrap').forEach(e => e.remove())")
    page.screenshot(path=str(artifacts / "vae.png"))

    before = picture(page, "vae-decoded16")
    page.locator("#vae-z1 [data-testid=range-input]").fill("-4")
    wait_for_new_picture(page, "vae-decoded16", before)


def test_drawing_shows_its_reconstruction(page, app_url):
    from playwright.sync_api import expect
    open_tab(page, app_url)
    pad = page.locator("#vae-draw")
    pad.locator("button[aria-label='Brush']").click()            # scrolls the canvas into view too
    canvas = pad.locator("canvas").first.bounding_box()
    left, top, w, h = canvas["x"], canvas["y"], canvas["width"], canvas["height"]
    page.mouse.move(left + 0.5 * w, top + 0.2 * h)                     # a rough 7
    page.mouse.down()
    page.mouse.move(left + 0.75 * w, top + 0.2 * h, steps=4)
    page.mouse.move(left + 0.45 * w, top + 0.8 * h, steps=6)
    page.mouse.up()
    expect(page.locator("#vae-recon img")).to_have_count(1, timeout=60_000)
    expect(page.locator("#vae-input img")).to_have_count(1, timeout=60_000)
    expect(page.locator("#vae-terms")).to_contain_text("nats", timeout=60_000)


def test_a_link_restores_the_point_and_the_code(page, app_url):
    from playwright.sync_api import expect
    open_tab(page, app_url, "?tab=vae&x=1.5&y=-2&z1=3.25")
    expect(page.locator("#vae-x [data-testid=number-input]")).to_have_value("1.5", timeout=60_000)
    expect(page.locator("#vae-z1 [data-testid=number-input]")).to_have_value("3.25", timeout=60_000)
