"""The live views (ui/live.py): the small models run in the page, the server is the fallback.

- the exported ONNX files are what `python -m genai.export` makes from the shipped checkpoints,
  and compute what PyTorch computes;
- in a real browser, the page's canvas equals the server's PNG for random settings of every view,
  a slider move sends no request, a blocked runtime falls back to the server, and the sliders
  still draw with the server unreachable.
"""

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from live_pictures import picture, wait_for_new_picture

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "ui" / "static" / "models"
SLOW = 120_000          # ms: an upper bound on a busy 2-core machine, not a speed requirement
SETTINGS = 50           # random settings per view
COMPUTED = {"directions", "stds"}        # gan.onnx's GANSpace directions, computed at export


# ----------------------------------------------------------------------------- the exported files

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    pytest.importorskip("onnxscript", reason="python -m genai.export needs onnx and onnxscript (requirements-test.txt)")
    from genai.export import browser_models
    out = tmp_path_factory.mktemp("export")
    browser_models(out, compress=False)              # brotli at its best takes a minute: compared unpacked
    return out


def committed(name: str):
    """A committed graph (stored brotli-compressed), as an onnx model."""
    import brotli
    import onnx
    return onnx.load_from_string(brotli.decompress((MODELS / f"{name}.onnx.br").read_bytes()))


def _weights(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


@pytest.mark.parametrize("name", ["gan", "gan_critic", "vae2d", "vae"])
def test_committed_models_are_the_export_of_the_checkpoints(exported, name):
    """Regenerate and compare: the same weights and the same graph, so the page cannot drift."""
    import onnx
    shipped, fresh = committed(name), onnx.load(str(exported / f"{name}.onnx"))
    weights, fresh_weights = _weights(shipped), _weights(fresh)
    assert weights.keys() == fresh_weights.keys()
    for key in weights:
        if key in COMPUTED:            # a PCA: its last bits follow the BLAS and its thread count
            np.testing.assert_allclose(weights[key], fresh_weights[key], rtol=1e-3, atol=1e-5, err_msg=key)
        else:       # the checkpoint's own numbers (D's are divided by its spectral norm, whose last bits
                    # follow the thread count: equal to a millionth)
            np.testing.assert_allclose(weights[key], fresh_weights[key], rtol=1e-5, atol=0, err_msg=f"{name}.onnx: {key}")
    assert [n.op_type for n in shipped.graph.node] == [n.op_type for n in fresh.graph.node]


def test_committed_numbers_and_digits_are_the_export(exported):
    shipped, fresh = (json.loads((folder / "live.json").read_text()) for folder in (MODELS, exported))
    np.testing.assert_allclose(shipped["gan"].pop("stds"), fresh["gan"].pop("stds"), rtol=1e-4)
    assert shipped == fresh
    assert np.array_equal(np.asarray(Image.open(MODELS / "heldout.png")), np.asarray(Image.open(exported / "heldout.png")))


def test_the_gan_graph_computes_what_pytorch_computes():
    """The committed graph, run by onnx's reference evaluator, against genai.gan's render."""
    pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    import genai
    from genai.gan import feature_directions
    gan = genai.load("gan")
    model = committed("gan")
    weights = _weights(model)
    directions, stds = torch.from_numpy(weights["directions"]), torch.from_numpy(weights["stds"])
    fresh_directions, _ = feature_directions(gan, k=6)          # the same PCA, signs included
    np.testing.assert_allclose(directions, fresh_directions, rtol=1e-3, atol=1e-5)
    z = gan.latents(3, seed=5, truncation=0.8)
    y = torch.tensor([0, 4, 9])
    amounts = torch.tensor([[0.0] * 6, [1.5, -2, 0, 0, 3, 0], [-3, 0, 0.5, 2, 0, -1]])
    want = gan.render(z, y, directions, amounts * stds).numpy()
    got = ReferenceEvaluator(model).run(None, {"z": z.numpy(), "y": y.numpy(), "amounts": amounts.numpy()})[0]
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_files_are_served_compressed_cached_and_only_from_the_folder():
    """The runtime goes out as brotli (gzip, or plain, to browsers without it), with its type,
    and a reload costs a 304; nothing outside ui/static is reachable."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient
    from ui import live
    client = TestClient(Starlette(routes=live.ROUTES))
    wasm = "/genai/static/vendor/onnxruntime-web-1.30.0/ort-wasm-simd-threaded.wasm"
    sizes = {}
    for accepted in ("gzip, deflate, br, zstd", "gzip", ""):
        r = client.get(wasm, headers={"Accept-Encoding": accepted})
        assert r.status_code == 200 and r.headers["content-type"] == "application/wasm"
        assert r.content[:4] == b"\0asm"                        # the client undid the encoding
        sizes[r.headers.get("content-encoding")] = int(r.headers["content-length"])
    assert sizes["br"] < 2.5e6 < sizes["gzip"] < 4e6 < sizes[None]
    r = client.get("/genai/static/models/gan.onnx", headers={"Accept-Encoding": "br"})
    again = client.get("/genai/static/models/gan.onnx", headers={"Accept-Encoding": "br", "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    for path in ("../app.py", "%2e%2e/app.py", "models/../../live.py", "nothing.js"):
        assert client.get("/genai/static/" + path).status_code == 404


# ----------------------------------------------------------------------------- in the browser

def open_view(page, url, tab=None, view="gan"):
    """The page with view `view` drawn in the page (its model loaded)."""
    page.set_default_timeout(SLOW)
    page.goto(url + "?tab=gan")                    # the lesson comes first; GAN's is the first live view
    if tab:
        page.get_by_role("tab", name=tab).click()
    page.wait_for_function(f"window.genaiLive?.state.ready['{view}'] === true", timeout=SLOW)


def digit_pixels(path) -> list:
    """A server PNG (28x28 digit upscaled 8x) back to its 28x28 pixels."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))[::8, ::8].astype(int)


def compare(page, view, settings, answers):
    """Render every setting in the page (one evaluate call) and compare with the server's pictures."""
    drawn = page.evaluate("""async ([view, all]) => {
        const out = [];
        for (const s of all) out.push(await window.genaiLive.render(view, s));
        return out;
    }""", [view, settings])
    worst = max(int(np.abs(np.array(d).reshape(28, 28) - digit_pixels(a)).max()) for d, a in zip(drawn, answers))
    assert worst <= 2, f"{view}: a pixel differs by {worst}/255 from the server's"


def test_the_page_draws_what_the_server_draws(page, app_url, client):
    """Random settings of each view, drawn on the page's canvas, against the public API's PNGs;
    and the seeded draw, ported to the page, gives torch's numbers."""
    rng = random.Random(0)
    open_view(page, app_url)
    seeds = [rng.randrange(2**31) for _ in range(100)] + [0, 1, 42, 2**31 - 1]
    ported = page.evaluate("seeds => seeds.map(s => Array.from(window.genaiLive.randn(64, s)))", seeds)
    for seed, numbers in zip(seeds, ported):
        want = torch.randn(64, generator=torch.Generator().manual_seed(seed)).numpy()
        np.testing.assert_allclose(numbers, want, atol=1e-5, err_msg=f"seed {seed}")

    gan = [{"seed": rng.randrange(2**31), "digit": rng.randrange(10), "trunc": round(rng.uniform(0, 1.5), 2),
            "pcs": [round(rng.uniform(-3, 3), 1) if rng.random() < 0.7 else 0.0 for _ in range(6)]} for _ in range(SETTINGS)]
    compare(page, "gan", gan, [client.predict(s["seed"], s["digit"], s["trunc"], *s["pcs"], api_name="/gan_edit")
                               for s in gan])

    page.get_by_role("tab", name="VAE").click()
    page.wait_for_function("['vae2d', 'vae16'].every(v => window.genaiLive.state.ready[v])", timeout=SLOW)
    points = [{"x": round(rng.uniform(-3, 3), 2), "y": round(rng.uniform(-3, 3), 2)} for _ in range(SETTINGS)]
    compare(page, "vae2d", points, [client.predict(p["x"], p["y"], api_name="/vae_decode") for p in points])
    codes = [{"z": [round(rng.uniform(-4, 4), 2) for _ in range(16)]} for _ in range(SETTINGS)]
    compare(page, "vae16", codes, [client.predict(0, *c["z"], api_name="/vae_decode16") for c in codes])

    page.get_by_role("tab", name="Diffusion").click()
    page.wait_for_function("window.genaiLive.state.ready.forward === true", timeout=SLOW)
    noisy = [{"index": rng.randrange(1000), "t": rng.randrange(1000)} for _ in range(SETTINGS)]
    compare(page, "forward", noisy, [client.predict(n["index"], n["t"], api_name="/diffusion_forward")[0] for n in noisy])


def _quiet(page, seconds: float = 1.0) -> None:
    """Until the page has sent no request for `seconds`: what opening a tab asked the server for
    (its first view, the fine-tune panel's state) has been sent before the sliders move."""
    import time
    last = [time.monotonic()]

    def seen(_request):
        last[0] = time.monotonic()

    page.on("request", seen)
    while time.monotonic() - last[0] < seconds:
        page.wait_for_timeout(100)
    page.remove_listener("request", seen)


def _moves_send_nothing(page, elem_id, slider_id, view):
    """Five key presses on a slider: five new pictures in the page, not one request."""
    _quiet(page)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    before = page.evaluate(f"window.genaiLive.state.drawn['{view}']?.count ?? 0")
    shown = picture(page, elem_id)
    slider = page.locator(f"#{slider_id} [data-testid=range-input]")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
        page.wait_for_function(f"n => window.genaiLive.state.drawn['{view}'].count > n", arg=before)
        before = page.evaluate(f"window.genaiLive.state.drawn['{view}'].count")
    wait_for_new_picture(page, elem_id, shown)
    page.wait_for_timeout(300)                      # a late request would show up here
    assert requests == [], f"{slider_id}: slider moves sent {requests}"


def test_slider_moves_send_no_request(page, app_url):
    open_view(page, app_url)
    _moves_send_nothing(page, "gan-image", "gan-pc1", "gan")
    _moves_send_nothing(page, "gan-image", "gan-trunc", "gan")
    page.get_by_role("tab", name="VAE").click()
    page.wait_for_function("['vae2d', 'vae16'].every(v => window.genaiLive.state.ready[v])", timeout=SLOW)
    _moves_send_nothing(page, "vae-decoded2d", "vae-x", "vae2d")
    _moves_send_nothing(page, "vae-decoded16", "vae-z3", "vae16")
    page.get_by_role("tab", name="Diffusion").click()
    page.wait_for_function("window.genaiLive.state.ready.forward === true", timeout=SLOW)
    # Opening the tab asks the server for its first view once: let those answers land first.
    page.wait_for_function("""() => ['xt', 'x0', 'eps'].every(id => {
        const img = document.querySelector(`#diffusion-forward-${id} img`);
        return img && img.complete; })""", timeout=SLOW)
    _moves_send_nothing(page, "diffusion-forward-xt", "diffusion-forward-t", "forward")


def test_sliders_draw_with_the_server_gone(page, app_url):
    """Once the page has its model, a stopped server (every request refused) changes nothing."""
    open_view(page, app_url)
    page.route("**/*", lambda route: route.abort())
    shown = picture(page, "gan-image")
    page.locator("#gan-pc2 [data-testid=range-input]").fill("2.5")
    wait_for_new_picture(page, "gan-image", shown)


def test_without_the_runtime_the_server_draws(page, app_url):
    """The runtime cannot be downloaded: a small notice, and the same sliders ask the server."""
    from playwright.sync_api import expect
    page.set_default_timeout(SLOW)
    page.route("**/genai/static/vendor/**", lambda route: route.abort())
    page.goto(app_url + "?tab=gan")
    expect(page.locator("#live-gan")).to_contain_text("server", timeout=SLOW)
    image = page.locator("#gan-image img")
    before = image.get_attribute("src")
    page.locator("#gan-pc1 [data-testid=range-input]").fill("-2")
    expect(image).not_to_have_attribute("src", before, timeout=SLOW)
    assert page.locator("#gan-image canvas.genai-live").count() == 0
    assert page.evaluate("window.genaiLive.drawing('gan')") is False


def test_models_from_other_checkpoints_are_not_used(page, app_url):
    """Exported files that do not match the server's checkpoints (GENAI_CHECKPOINTS elsewhere):
    the page draws nothing itself, says so, and the server draws."""
    from playwright.sync_api import expect
    live = json.loads((MODELS / "live.json").read_text())
    live["checkpoints"]["gan"] = "0" * 16
    page.set_default_timeout(SLOW)
    page.route("**/genai/static/models/live.json", lambda route: route.fulfill(json=live))
    page.goto(app_url + "?tab=gan")
    expect(page.locator("#live-gan")).to_contain_text("server", timeout=SLOW)
    assert page.evaluate("window.genaiLive.state.failed.gan").startswith("the page's models were exported")
    assert page.locator("#gan-image canvas.genai-live").count() == 0


def test_the_fallback_notice_follows_the_language_and_is_projector_sized(page, app_url):
    """The page could not load its models, then the visitor switches to 中文: the notice says it in
    Chinese too (it was written once, in the language of the moment), at 14 px or more."""
    from playwright.sync_api import expect
    live = json.loads((MODELS / "live.json").read_text())
    live["checkpoints"]["gan"] = "0" * 16
    page.set_default_timeout(SLOW)
    page.route("**/genai/static/models/live.json", lambda route: route.fulfill(json=live))
    page.goto(app_url + "?tab=gan")
    notice = page.locator("#live-gan .genai-live-notice")
    expect(notice).to_have_text("(This page could not load the model; the server draws instead.)", use_inner_text=True)
    page.locator("#language").get_by_text("中文").click()
    expect(notice).to_have_text("（本页无法运行模型，改由服务器绘制。）", use_inner_text=True)
    assert notice.evaluate("e => parseFloat(getComputedStyle(e.querySelector('.genai-zh')).fontSize)") >= 14
