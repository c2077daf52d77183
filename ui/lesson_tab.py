"""The Lesson tab: a teacher's ten-minute path through the app, one step per screen.

Each step has two or three sentences, one button that opens the exact view in another tab
(through the same hidden boxes the 🔗 share links use, so it costs no work of its own on the
server), and one prediction question answered in the page. Moving between steps, the progress
bar, the presenter mode and the questions all run in the browser: a class of thirty clicking
"next" sends nothing to the server. The last step, "the first GAN, fixed", runs a beginner's
broken GAN and trains the fixed one live (genai/examples/first_gan.py).

Links: `?tab=lesson&step=3` (or just `?step=3`) opens step 3; `&present=1` in presenter mode.
"""

import functools
import json
import os
import threading
import urllib.parse
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
import pandas as pd

from genai.checks import check_range
from genai.data import load_digits
from genai.evaluate import class_shares
from genai.examples import first_gan

from . import common, links
from .i18n import say, t

# ----------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Choice:
    en: str
    zh: str
    right: bool = False


@dataclass(frozen=True)
class Step:
    key: str
    title: tuple[str, str]               # (English, Chinese)
    text: tuple[str, str]
    question: tuple[str, str]
    choices: tuple[Choice, ...]
    why: tuple[str, str]                 # shown after any answer: the reason, and what to try
    view: dict = field(default_factory=dict)   # the share link's query that opens the view ({}: none)
    button: tuple[str, str] = ("", "")


STEPS = (
    Step("generative",
         ("What “generative” means", "“生成”是什么意思"),
         ("A classifier looks at a digit and names it. A **generative** model does the reverse: it studies "
          "4,000 handwritten digits, then writes new ones that were never in its data. The four families in "
          "this app learn that in four different ways; the button shows one digit made by all four "
          "(press **Compare** there).",
          "分类器看一个数字，然后说出它是几。**生成**模型反过来：它研究 4000 个手写数字，然后写出训练数据里从未"
          "出现过的新数字。本应用里的四类模型用四种不同的方法学会这件事；点下面的按钮，看四者各写一个数字"
          "（在那里按 **开始对比**）。"),
         ("You ask a generative model for a 3 twice, with two different seeds. What do you get?",
          "你用两个不同的种子，向生成模型要两次 3。你会得到什么？"),
         (Choice("The same 3, copied from its training data", "同一个 3，从训练数据里复制来的"),
          Choice("Two different 3s that are in no data set", "两个不同的 3，哪个数据集里都没有", True),
          Choice("An error: it can only repeat digits it saw", "报错：它只能重复见过的数字")),
         ("The seed picks random starting noise, and the model turns each noise into its own new 3. "
          "It keeps no copies of its training digits, only what it learned from them.",
          "种子决定随机的起始噪声，模型把每份噪声变成一个新的 3。它不保存训练数字的副本，只保存从中学到的东西。"),
         {"tab": "compare", "cdigit": "6"}, ("Open: one digit, four models", "打开：一个数字，四种模型")),
    Step("gan",
         ("GAN: a forger and a critic", "GAN：伪造者与鉴定者"),
         ("The generator **G** turns 64 random numbers **z** into a digit; the critic **D** learns to tell real "
          "digits from G's fakes, and G learns to fool D. Truncation **ψ** shrinks z towards zero before G "
          "sees it: a small ψ gives safe, typical digits.",
          "生成器 **G** 把 64 个随机数 **z** 变成一个数字；鉴定者 **D** 学习分辨真实数字和 G 的伪造品，G 则学习骗过 D。"
          "截断系数 **ψ** 在 G 看到 z 之前把它向零收缩：ψ 越小，数字越稳妥、越典型。"),
         ("ψ is pushed to 0. What happens when you roll new seeds (🎲)?",
          "把 ψ 推到 0，再掷新的种子（🎲）会怎样？"),
         (Choice("Every seed gives the same 7", "每个种子都给出同一个 7", True),
          Choice("Each seed gives a wilder 7", "每个种子的 7 都更狂野"),
          Choice("The digits dissolve into noise", "数字融化成噪声")),
         ("ψ = 0 multiplies z by zero, so every seed becomes the same input: the “average” 7. Open the view, "
          "press 🎲 a few times, then drag ψ back up.",
          "ψ = 0 把 z 乘以零，所以每个种子都变成同一个输入：“平均”的 7。打开视图，按几次 🎲，再把 ψ 拖回去。"),
         {"tab": "gan", "seed": "42", "digit": "7", "trunc": "0"}, ("Open the GAN with ψ = 0", "打开 ψ = 0 的 GAN")),
    Step("collapse",
         ("What goes wrong: mode collapse", "会出什么问题：模式崩溃"),
         ("G only has to fool the critic, not to cover every way of writing a digit. When it finds one 3 "
          "that works, it can draw that 3 for every z: **mode collapse**. The app's GAN has a term against it; "
          "the failure checkpoint was trained without (press **Show the failure** there).",
          "G 只需要骗过鉴定者，不需要覆盖写一个数字的所有方式。一旦找到一个管用的 3，它就可能对所有 z 都画这个 3："
          "这就是**模式崩溃**。本应用的 GAN 有一项专门对付它；失败的检查点在训练时去掉了这一项"
          "（在那里按 **展示失败**）。"),
         ("A collapsed GAN is asked for eight 3s with eight different seeds. What do you see?",
          "让一个崩溃的 GAN 用八个不同的种子画八个 3。你会看到什么？"),
         (Choice("Eight nearly identical 3s", "八个几乎一样的 3", True),
          Choice("Eight different digits", "八个不同的数字"),
          Choice("Eight blank squares", "八个空白方块")),
         ("The measured pixel diversity falls from 0.36 (healthy) to 0.08 (collapsed), and the samples still "
          "read as 3s: the critic was fooled, the variety lost.",
          "实测像素多样性从 0.36（正常）降到 0.08（崩溃），而这些样本仍被认作 3：鉴定者被骗过了，多样性却丢了。"),
         {"tab": "compare", "cmode": "gan_mode_collapse", "cdigit": "3"},
         ("Open the collapsed GAN", "打开崩溃的 GAN")),
    Step("vae",
         ("VAE: squeeze and paint", "VAE：压缩，再画出来"),
         ("The **encoder** squeezes every digit into two numbers, a point on a map; the **decoder** paints a "
          "digit from any point. Training keeps the points near a bell curve, so the whole map is filled and "
          "you can walk across it: click the map, or move x and y.",
          "**编码器**把每个数字压缩成两个数，也就是地图上的一个点；**解码器**从任意一点画出数字。训练让这些点靠近"
          "一个钟形曲线，于是整张地图都被填满，你可以在上面漫步：点击地图，或移动 x 和 y。"),
         ("Move a short way across the map. The digit…", "在地图上移动一小段距离，数字会……"),
         (Choice("changes gradually, perhaps into a neighbouring digit", "逐渐变化，也许变成相邻的数字", True),
          Choice("jumps to a random digit", "跳到一个随机的数字"),
          Choice("stays exactly the same", "完全不变")),
         ("Nearby points decode to similar digits: the decoder is a smooth function of the code. Between "
          "two classes you meet digits that are a little of both.",
          "相邻的点解码出相似的数字：解码器是编码的光滑函数。在两类之间，你会遇到两者兼有的数字。"),
         {"tab": "vae", "x": "0.8", "y": "0"}, ("Open the latent map", "打开潜空间地图")),
    Step("diffusion",
         ("Diffusion: add noise, then learn to remove it", "扩散：先加噪声，再学会去掉它"),
         ("The **forward process** adds a little Gaussian noise at each of 1,000 steps until only noise is "
          "left; a network learns to predict the noise that was added. To make a digit, start from pure "
          "noise and remove the predicted noise, step by step.",
          "**前向过程**在 1000 步中每步加一点高斯噪声，直到只剩噪声；一个网络学习预测被加进去的噪声。"
          "要生成数字，就从纯噪声出发，一步一步去掉预测出的噪声。"),
         ("Drag t to 999. What is left of the digit?", "把 t 拖到 999，数字还剩下什么？"),
         (Choice("Almost nothing: nearly pure noise", "几乎什么都不剩：接近纯噪声", True),
          Choice("A blurred but readable digit", "模糊但还能认出的数字"),
          Choice("The digit with its colours inverted", "颜色反转的数字")),
         ("At t = 999 the signal's weight √ᾱ is about 0.006 (ᾱ ≈ 0.00004): the picture is noise. At t = 500 "
          "(ᾱ ≈ 0.08) you can still guess the digit.",
          "t = 999 时信号的权重 √ᾱ 约为 0.006（ᾱ ≈ 0.00004）：画面就是噪声。t = 500 时（ᾱ ≈ 0.08）还能猜出数字。"),
         {"tab": "diffusion", "dview": "forward", "t": "500"}, ("Open the forward process", "打开前向过程")),
    Step("guidance",
         ("Guidance: accuracy against variety", "引导：准确与多样的取舍"),
         ("**Classifier-free guidance** pushes every denoising step further towards “a 3” by a scale **w**. "
          "A higher w makes digits the classifier reads more surely, but they look more alike: accuracy "
          "is bought with variety (press **Compare** there for three scales side by side).",
          "**无分类器引导**用一个系数 **w** 把每一步去噪进一步推向“一个 3”。w 越大，分类器越确定地认出数字，"
          "但数字之间也越相像：准确是用多样换来的（在那里按 **比较**，并排看三个系数）。"),
         ("Raise w from 0 to 5. The digits become…", "把 w 从 0 提高到 5，数字会变得……"),
         (Choice("clearer, and more alike", "更清楚，也更相像", True),
          Choice("more varied", "更多样"),
          Choice("no different", "没有变化")),
         ("Measured on 200 samples: w = 1 gives 92.5% read as the asked digit, w = 3 gives 100%, while the "
          "Fréchet distance to real digits grows from 106 to 238 (less variety).",
          "在 200 个样本上实测：w = 1 时 92.5% 被认作要求的数字，w = 3 时 100%，而与真实数字的 Fréchet 距离"
          "从 106 增大到 238（多样性变少）。"),
         {"tab": "diffusion", "dview": "compare"}, ("Open guidance side by side", "打开引导并排比较")),
    Step("trilemma",
         ("The three compared: speed, quality, variety", "三者比较：速度、质量、多样性"),
         ("A GAN draws in one pass, sharp, but may drop modes; a VAE is as fast and covers the data, but "
          "blurs; diffusion is sharp and varied but runs its network 25 to 1,000 times per picture. No "
          "family wins all three: the generative **trilemma**.",
          "GAN 一次前向就画完，清晰，但可能丢掉模式；VAE 一样快，也能覆盖数据，但会模糊；扩散模型清晰又多样，"
          "但每张图要运行网络 25 到 1000 次。没有哪一类三项全胜：这就是生成模型的**三难困境**。"),
         ("Which family takes longest per image?", "哪一类模型生成每张图最慢？"),
         (Choice("Diffusion", "扩散模型", True), Choice("GAN", "GAN"), Choice("VAE", "VAE")),
         ("On this app's CPU: GAN 0.6 ms, VAE 0.2 ms, diffusion about 400 ms per image (50 guided steps). "
          "The Compare view measures it live, with accuracy and diversity beside it.",
          "在本应用的 CPU 上：GAN 0.6 毫秒，VAE 0.2 毫秒，扩散模型每张约 400 毫秒（50 步带引导）。"
          "对比视图会现场测量，并列出准确率和多样性。"),
         {"tab": "compare", "cdigit": "5"}, ("Open the comparison", "打开对比")),
    Step("bias",
         ("What they learn from their data: bias", "它们从数据里学到了什么：偏差"),
         ("A model learns what its data shows, in the proportions it shows it. A rare group can come out "
          "rarer still, or vanish. In the 2-D playground one cluster holds only 10% of the points: press "
          "**Play** and read each family's share on it (top right of its picture).",
          "模型学到的是数据所展示的内容，连比例也一并学去。少见的群体可能变得更少，甚至消失。"
          "在二维演练场里，有一簇只占 10% 的点：按 **播放**，读出每类模型放在它上面的份额（各自图片的右上角）。"),
         ("Trained on the imbalanced data, which family drops the rare cluster?",
          "在不均衡的数据上训练，哪一类模型会丢掉稀有簇？"),
         (Choice("The GAN", "GAN", True), Choice("The VAE", "VAE"), Choice("Diffusion", "扩散模型")),
         ("Measured with three seeds: after 300 steps the GAN put 0% of its samples on the rare cluster "
          "(the data: 10%), and after 1,200 still 0%, 7% and 0%; the VAE 8–10% and diffusion 9–11%. A GAN only "
          "has to fool its critic, and the big cluster alone nearly does. The button below counts the digits "
          "of the unconditional digit models the same way.",
          "用三个种子实测：训练 300 步后，GAN 放在稀有簇上的样本是 0%（数据中是 10%），1200 步后仍是 0%、7% 和 0%；"
          "VAE 是 8–10%，扩散模型是 9–11%。GAN 只需骗过鉴定者，而光靠大簇就差不多够了。"
          "下面的按钮用同样的办法数一数无条件数字模型画出的各个数字。"),
         {"tab": "playground", "data": "imbalanced"}, ("Open the imbalanced data", "打开不均衡的数据")),
    Step("first_gan",
         ("The first GAN, fixed", "第一个 GAN，修好了"),
         ("Articles about GANs often end with “your first GAN in PyTorch”: two small networks and a loop. "
          "The version many readers copy has seven faults: it cannot run, and would not learn if it did. "
          "Run it to see each fault, then train the fixed one live on the digits (one minute at most).",
          "介绍 GAN 的文章常以“你的第一个 PyTorch GAN”收尾：两个小网络加一个循环。很多读者照抄的版本有七处错误："
          "它跑不起来，就算跑起来也学不会。先运行它，看看每处错误的后果，再在手写数字上现场训练修好的版本（最多一分钟）。"),
         ("The naive generator ends in ReLU, then sigmoid. What is the darkest pixel it can draw?",
          "有问题的生成器最后是 ReLU 再接 sigmoid。它能画出的最暗像素是什么？"),
         (Choice("Mid-grey: 0.5", "中灰：0.5", True), Choice("Black: 0", "黑色：0"),
          Choice("Any shade, once trained", "训练后任何灰度都可以")),
         ("ReLU makes every value ≥ 0 and sigmoid(0) = 0.5, so no pixel falls below mid-grey, while the "
          "digits' background is black. The fix ends in tanh, the data's range [−1, 1].",
          "ReLU 让每个值都 ≥ 0，而 sigmoid(0) = 0.5，所以没有像素能低于中灰，而数字的背景是黑色的。"
          "修复的版本以 tanh 结尾，正好是数据的范围 [−1, 1]。")),
)


def view_query(step: Step) -> str:
    """The share-link query ("?tab=gan&trunc=0") that opens a step's view."""
    return "?" + urllib.parse.urlencode(step.view) if step.view else ""


# ----------------------------------------------------------------------------- in-page markup

def _both(en: str, zh: str, tag: str = "span") -> str:
    """Both languages; the page's CSS shows the one <html lang> names (switching costs nothing)."""
    return f'<{tag} lang="en">{en}</{tag}><{tag} lang="zh-CN">{zh}</{tag}>'


def question_html(number: int, step: Step) -> str:
    """A prediction question with instant feedback: radio buttons, and a verdict the page shows
    on choosing (nothing is sent to the server)."""
    options = "".join(
        f'<label class="lesson-choice"><input type="radio" name="lesson-q{number}" value="{i}" '
        f'data-right="{int(c.right)}"> {_both(c.en, c.zh)}</label>' for i, c in enumerate(step.choices))
    return (f'<fieldset class="lesson-question" id="lesson-q{number}">'
            f'<legend>{_both("Predict", "预测")}</legend>'
            f'<p class="lesson-ask">{_both(*step.question)}</p>{options}'
            f'<p class="lesson-verdict" data-verdict="right" hidden>{_both("✅ Right. ", "✅ 答对了。")}'
            f'{_both(*step.why)}</p>'
            f'<p class="lesson-verdict" data-verdict="wrong" hidden>{_both("❌ Not quite. ", "❌ 不太对。")}'
            f'{_both(*step.why)}</p></fieldset>')


QUESTION_JS = """
element.addEventListener("change", (event) => {
    const input = event.target.closest("input[type=radio]");
    if (!input) return;
    const right = input.dataset.right === "1";
    element.querySelectorAll(".lesson-verdict").forEach((p) => {
        p.hidden = p.dataset.verdict !== (right ? "right" : "wrong");
    });
});
"""


def nav_html() -> str:
    """Previous / next, the progress bar, a link to every step, presenter mode and the join card."""
    links = "".join(f'<li><a href="?tab=lesson&step={i}" data-step="{i}">{i}<span class="lesson-link-title">. '
                    f'{_both(*s.title)}</span></a></li>' for i, s in enumerate(STEPS, 1))
    return (f'<nav class="lesson-nav" aria-label="lesson">'
            f'<div class="lesson-bar">'
            f'<button type="button" class="lesson-prev">{_both("◀ Previous", "◀ 上一步")}</button>'
            f'<span class="lesson-count" aria-live="polite"></span>'
            f'<div class="lesson-progress"><div class="lesson-progress-fill"></div></div>'
            f'<button type="button" class="lesson-next">{_both("Next ▶", "下一步 ▶")}</button>'
            f'<button type="button" class="lesson-present">{_both("📽 Presenter mode", "📽 演示模式")}</button>'
            f'<button type="button" class="lesson-join-open">{_both("📱 Join card", "📱 扫码加入")}</button>'
            f'</div><ol class="lesson-links">{links}</ol></nav>')


NAV_JS = """
const n = %(n)d;
const body = document.body;
const clamp = (k) => Math.min(Math.max(parseInt(k, 10) || 1, 1), n);
const go = (k, remember = true) => {
    k = clamp(k);
    body.dataset.lessonStep = String(k);
    element.querySelector(".lesson-count").textContent = `${k} / ${n}`;
    element.querySelector(".lesson-progress-fill").style.width = `${(100 * k) / n}%%`;
    element.querySelectorAll(".lesson-links a").forEach((a) => {
        a.toggleAttribute("aria-current", a.dataset.step === String(k));
    });
    if (remember) {          // the address bar follows the step: a reload or a copied link lands here
        const url = new URL(window.location.href);
        url.searchParams.set("tab", "lesson");
        url.searchParams.set("step", String(k));
        history.replaceState(null, "", url);
    }
    window.dispatchEvent(new CustomEvent("genai-lesson-step", {detail: k}));
};
const present = (on) => {
    body.classList.toggle("lesson-presenter", on);
    const url = new URL(window.location.href);
    if (on) url.searchParams.set("present", "1"); else url.searchParams.delete("present");
    history.replaceState(null, "", url);
};
element.addEventListener("click", (event) => {
    const target = event.target.closest("button, a");
    if (!target) return;
    const step = clamp(body.dataset.lessonStep);
    if (target.classList.contains("lesson-prev")) go(step - 1);
    else if (target.classList.contains("lesson-next")) go(step + 1);
    else if (target.classList.contains("lesson-present")) present(!body.classList.contains("lesson-presenter"));
    else if (target.classList.contains("lesson-join-open")) {
        body.classList.add("lesson-join-shown");
        window.dispatchEvent(new CustomEvent("genai-lesson-step", {detail: step}));
    } else if (target.dataset.step) { event.preventDefault(); go(target.dataset.step); }
});
// A projector's clicker sends PageDown / PageUp; arrows work too, outside text boxes and sliders.
if (!window.genaiLessonKeys) {
    window.genaiLessonKeys = true;
    document.addEventListener("keydown", (event) => {
        const lesson = document.getElementById("lesson");
        if (!lesson?.checkVisibility() || event.target.closest("input, textarea, select, [contenteditable]")) return;
        const step = clamp(body.dataset.lessonStep);
        if (["ArrowRight", "PageDown"].includes(event.key)) go(step + 1);
        else if (["ArrowLeft", "PageUp"].includes(event.key)) go(step - 1);
        else if (event.key === "Escape") { present(false); body.classList.remove("lesson-join-shown"); }
        else return;
        event.preventDefault();
    });
}
const params = new URLSearchParams(window.location.search);
const asked = params.get("tab");
go(params.get("step") || 1, asked === "lesson" || (asked === null && params.has("step")));
if (params.get("present") === "1") present(true);
""" % {"n": len(STEPS)}


# ----------------------------------------------------------------------------- join card (QR code)

MAX_URL = 300


def check_join_url(url) -> str:
    """The page's own address for the join card: an http(s) URL of at most MAX_URL characters."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
        raise ValueError(f"url must be an http:// or https:// address of at most {MAX_URL} characters, "
                         f"got {url!r:.60}")
    parts = urllib.parse.urlsplit(url)
    if not parts.netloc:
        raise ValueError(f"url must name a host (http://host/...), got {url!r:.60}")
    return url


@functools.lru_cache(maxsize=256)
def _qr_svg(url: str) -> str:
    import segno
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#111", light="#fff")


def join_qr(url: str) -> str:
    """The QR code of `url` as inline SVG (cached: a class shares a handful of addresses)."""
    return _qr_svg(check_join_url(url))


JOIN_HTML = (f'<div class="lesson-join-card" role="dialog" aria-label="join">'
             f'<button type="button" class="lesson-join-close" aria-label="close">✕</button>'
             f'<p class="lesson-join-title">{_both("Follow along: scan, or type the link", "扫码，或输入链接，跟着一起学")}</p>'
             f'<div class="lesson-join-qr"></div><p class="lesson-join-link"></p></div>')

JOIN_JS = """
const show = async (step) => {
    if (!document.body.classList.contains("lesson-join-shown")) return;
    const url = new URL(window.location.origin + window.location.pathname);
    url.searchParams.set("step", String(step));     // the lesson is the first tab: ?step=N is enough
    const link = url.toString();
    element.querySelector(".lesson-join-link").textContent = link.replace(/^https?:\\/\\//, "");
    try {
        element.querySelector(".lesson-join-qr").innerHTML = await server.join_qr(link);
    } catch (error) {
        element.querySelector(".lesson-join-qr").textContent = String(error);
    }
};
window.addEventListener("genai-lesson-step", (event) => show(event.detail));
element.addEventListener("click", (event) => {
    if (event.target.closest(".lesson-join-close")) document.body.classList.remove("lesson-join-shown");
});
"""


# ----------------------------------------------------------------------------- the first GAN, live

SECONDS = float(os.environ.get("GENAI_FIRST_GAN_SECONDS", "60"))        # the time cap of one run
CONCURRENCY = int(os.environ.get("GENAI_FIRST_GAN_CONCURRENCY", "1"))   # runs at once, all visitors
SAMPLE_SCALE = 4
FAULT_ZH = {   # the Chinese of each fault's line and of what running it showed (numbers from show_faults)
    "output_relu_sigmoid": ("G 的输出先过 ReLU，再过 sigmoid",
                            "训练 {steps} 步后，256 张伪造图里最暗的像素是 {fake_min:.3f}："
                            "sigmoid(relu(a)) 永远不小于 0.5，黑色背景根本画不出来"),
    "loss_sign": ("损失 = mean(log D(real)) − mean(log(1 − D(fake)))，照原样最小化",
                  "最小化它让 D(fake) 从 {D_fake_start:.3f} 降到 {D_fake_end:.3f}：G 学得越来越不像真的，与目标相反"),
    "noise_as_data": ("“真实数据”是 torch.randn：高斯噪声",
                      "其中 {negative_share:.0%} 的值是负数，{outside_share:.0%} 落在 sigmoid 的输出范围 [0, 1] 之外："
                      "根本没有数字可学"),
    "name_before_defined": ("D_real = D_real(real_data)", "{error}（名字在创建之前就被使用了）"),
    "train_signature": ("train(G, D, …) 调用签名为 train(model, data_loader, num_epochs, batch_size, "
                        "learning_rate) 的函数", "{error}（D 被当成了数据加载器）"),
    "no_data_loader": ("for real_data in data_loader，但从未创建数据加载器", "{error}"),
    "one_optimiser": ("只有一个 Adam 优化器，只管 G 的参数",
                      "{steps} 步后 D 的权重最大变化：{D_weight_change:.1g}；它对真实数据的判断始终持平"
                      "（{D_real_min:.3f}–{D_real_max:.3f}）：D 从未学习"),
}


def _once(fn):
    """Cache fn's one result; callers that come while it runs wait for it instead of running it
    again (a class clicks at the same moment)."""
    cached, lock = functools.cache(fn), threading.Lock()

    @functools.wraps(fn)
    def wrapper():
        with lock:
            return cached()
    wrapper.cache_clear = cached.cache_clear
    return wrapper


@_once
def _faults() -> tuple:
    """The naive GAN's faults, run once per process (seeded: the same for everyone; a second or
    two, more on a busy CPU)."""
    return tuple(first_gan.show_faults())


@common.friendly
def show_faults(request: gr.Request = None) -> str:
    """Run the naive first GAN and tell what each fault did, as a Markdown table."""
    rows = [say(request, "| # | the line | what running it did |\n|---|---|---|",
                "| # | 这一行 | 运行后发生了什么 |\n|---|---|---|")]
    for fault in _faults():
        line_zh, shown_zh = FAULT_ZH[fault.key]
        line = say(request, fault.line, line_zh)
        shown = say(request, fault.shown, shown_zh.format(**fault.numbers))
        rows.append(f"| {fault.number} | `{line}` | {shown} |".replace("\n", " "))
    return "\n".join(rows)


def _curve(history: list[tuple[int, float, float]]) -> pd.DataFrame:
    rows = [(step, loss, name) for step, loss_d, loss_g in history
            for loss, name in ((loss_d, "loss_D"), (loss_g, "loss_G"))]
    return pd.DataFrame(rows, columns=["step", "loss", "series"])


@common.friendly
def train_first_gan(session: dict, seconds: float = SECONDS, request: gr.Request = None):
    """Train the fixed first GAN for up to `seconds` (at most the server's cap), streaming its
    samples, the loss curves and a status line. One run per visitor at a time."""
    seconds = check_range("seconds", seconds, 1, SECONDS)
    with session.setdefault("lock", threading.Lock()):
        if session.get("running"):
            raise ValueError(say(request, "This page is already training its first GAN: wait for it, or press Stop.",
                                 "本页已经在训练第一个 GAN：请等它结束，或按停止。"))
        session["running"] = True
    history = []
    try:
        for progress in first_gan.train(seconds=seconds, report_every=1.0):
            history.append((progress.step, progress.loss_d, progress.loss_g))
            stopping = session.get("stop")
            status = say(request, f"step {progress.step}, {progress.seconds:.0f} s of {seconds:.0f} s",
                         f"第 {progress.step} 步，{progress.seconds:.0f} 秒 / {seconds:.0f} 秒")
            if progress.done:
                status = say(request, f"Done: {progress.step} steps in {progress.seconds:.0f} s.",
                             f"完成：{progress.seconds:.0f} 秒内训练了 {progress.step} 步。")
            elif stopping:               # Stop: this stream says so itself, last (as ui/stepwise.py's runs)
                status = say(request, f"Stopped at step {progress.step}, after {progress.seconds:.0f} s.",
                             f"已停止：第 {progress.step} 步，用时 {progress.seconds:.0f} 秒。")
            yield common.picture(progress.samples, scale=SAMPLE_SCALE, cols=4), _curve(history), status
            if stopping:
                return
    finally:
        session["running"] = False


def arm_first_gan(session: dict) -> None:
    """Train was pressed: a Stop from now on is for this run (also while it waits for a free lane)."""
    session["stop"] = False


def stop_first_gan(session: dict) -> None:
    """Stop, or the page left: the run ends at its next report (within a second), showing what it
    learned so far."""
    session["stop"] = True


# ----------------------------------------------------------------------------- bias: which digits

# Unconditional samples counted by the classifier: the VAE's prior samples, and the diffusion model
# asked for no digit (guidance has nothing to push towards, so w = 0). Fixed seeds: the same for all.
HIST_N = {"vae": 1000, "diffusion": 100}
HIST_STEPS = 20


@_once
def _class_shares() -> dict[str, np.ndarray]:
    """Each unconditional model's share of samples per digit, and the training data's (once per process)."""
    classifier = common.model("classifier")
    _, y = load_digits(split="train")
    vae = common.model("vae").generate(n=HIST_N["vae"], seed=0)
    diffusion = common.model("diffusion").generate(n=HIST_N["diffusion"], seed=0, steps=HIST_STEPS, guidance=0.0)
    return {"data": np.bincount(y.numpy(), minlength=10) / len(y),
            "vae": class_shares(classifier, vae), "diffusion": class_shares(classifier, diffusion)}


@common.friendly
def count_classes(request: gr.Request = None) -> str:
    """A Markdown table: how often each digit comes out of the unconditional models, against the data."""
    shares = _class_shares()
    names = {"data": say(request, "training data", "训练数据"),
             "vae": say(request, f"VAE, {HIST_N['vae']} prior samples", f"VAE，{HIST_N['vae']} 个先验样本"),
             "diffusion": say(request, f"diffusion, no digit asked ({HIST_N['diffusion']} samples)",
                              f"扩散模型，不指定数字（{HIST_N['diffusion']} 个样本）")}
    rows = ["| | " + " | ".join(str(d) for d in range(10)) + " |", "|---" * 11 + "|"]
    rows += [f"| {names[k]} | " + " | ".join(f"{v:.0%}" for v in shares[k]) + " |" for k in names]
    notes = []
    for k in ("vae", "diffusion"):
        digit = int(np.argmax(np.abs(shares[k] - shares["data"])))
        notes.append(say(request, f"{names[k]}: {digit}s {shares[k][digit]:.0%} (data {shares['data'][digit]:.0%})",
                         f"{names[k]}：数字 {digit} 占 {shares[k][digit]:.0%}（数据中 {shares['data'][digit]:.0%}）"))
    return "\n".join(rows) + "\n\n" + say(request, "Furthest from the data: ", "与数据相差最大：") + "; ".join(notes)


# ----------------------------------------------------------------------------- the tab

@dataclass
class LessonTab(links.Tab):
    """The lesson's Tab, with each step's "open the view" button (wired by `connect_views`)."""
    open_buttons: dict = field(default_factory=dict)      # step number -> gr.Button


def build() -> LessonTab:
    with gr.Tab(t("lesson.tab", "📖 Lesson", "📖 课程"), id="lesson", elem_id="lesson"):
        gr.HTML(nav_html(), js_on_load=NAV_JS, elem_id="lesson-nav", padding=False)
        gr.HTML(JOIN_HTML, js_on_load=JOIN_JS, server_functions=[join_qr], elem_id="lesson-join", padding=False)
        buttons = {}
        for number, step in enumerate(STEPS, 1):
            with gr.Column(elem_id=f"lesson-step-{number}", elem_classes=["lesson-step"]):
                gr.Markdown(t(f"lesson.{step.key}.text", f"## {number}. {step.title[0]}\n{step.text[0]}",
                              f"## {number}. {step.title[1]}\n{step.text[1]}"), elem_classes=["lesson-text"])
                if step.view:
                    buttons[number] = gr.Button(t(f"lesson.{step.key}.open", f"▶ {step.button[0]}", f"▶ {step.button[1]}"),
                                                variant="primary", elem_id=f"lesson-open-{number}",
                                                elem_classes=["lesson-open"])
                if step.key == "first_gan":
                    _first_gan_panel()
                if step.key == "bias":
                    _bias_panel()
                gr.HTML(question_html(number, step), js_on_load=QUESTION_JS, elem_id=f"lesson-question-{number}",
                        padding=False)
    return LessonTab("lesson", open_buttons=buttons)


def _bias_panel() -> None:
    """The bias step's live part: which digits the unconditional models draw, counted."""
    count = gr.Button(t("lesson.bias.count", "▶ Count the digits the unconditional models draw",
                        "▶ 数一数无条件模型画出的数字"), elem_id="lesson-bias-count")
    table = gr.Markdown(elem_id="lesson-bias-table")
    count.click(count_classes, None, table, api_visibility="private", concurrency_id="lesson_count",
                concurrency_limit=1)


def _first_gan_panel() -> None:
    """The last step's live part: the naive GAN's faults, and the fixed one training."""
    with gr.Row():
        naive = gr.Button(t("lesson.fg.naive", "▶ Run the naive version", "▶ 运行有问题的版本"),
                          elem_id="lesson-fg-naive", scale=1)
        train = gr.Button(t("lesson.fg.train", f"▶ Train the fixed GAN ({SECONDS:.0f} s)",
                            f"▶ 训练修好的 GAN（{SECONDS:.0f} 秒）"), variant="primary",
                          elem_id="lesson-fg-train", scale=1)
        stop = gr.Button(t("lesson.fg.stop", "■ Stop", "■ 停止"), variant="stop", elem_id="lesson-fg-stop", scale=0,
                         min_width=100)
    faults = gr.Markdown(elem_id="lesson-fg-faults")
    with gr.Row():
        samples = common.image_output(t("lesson.fg.samples", "16 samples from fixed noise", "固定噪声下的 16 个样本"),
                                      elem_id="lesson-fg-samples", height=300)
        curve = gr.LinePlot(None, x="step", y="loss", color="series", height=300, elem_id="lesson-fg-curve",
                            label=t("lesson.fg.curve", "Losses (mean per second)", "损失（每秒平均）"))
    status = gr.Markdown(elem_id="lesson-fg-status")
    gr.Markdown(t("lesson.fg.code", "The code: `genai/examples/first_gan.py`, or run "
                  "`python -m genai.examples.first_gan` on your own machine.",
                  "代码见 `genai/examples/first_gan.py`，也可以在自己的电脑上运行 "
                  "`python -m genai.examples.first_gan`。"))
    # A page that leaves stops its run too (the state's delete_callback): nobody watches it any more.
    session = gr.State({}, time_to_live=3600, delete_callback=stop_first_gan)
    naive.click(show_faults, None, faults, api_visibility="private", concurrency_id="first_gan_faults")
    train.click(arm_first_gan, session, None, api_visibility="private", queue=False).then(
        train_first_gan, session, [samples, curve, status], api_visibility="private",
        concurrency_limit=CONCURRENCY, concurrency_id="first_gan", show_progress="minimal")
    stop.click(stop_first_gan, session, None, api_visibility="private", queue=False)


def connect_views(tabs: list[links.Tab], boxes: list[gr.Textbox]) -> None:
    """Make each step's button open its view: in the browser, it clicks the view's tab and puts the
    step's link into that tab's restore box (links.restore_links), whose change sets the widgets."""
    lesson = next(tab for tab in tabs if isinstance(tab, LessonTab))
    ids = [tab.id for tab in tabs]
    for number, button in lesson.open_buttons.items():
        step = STEPS[number - 1]
        target = step.view["tab"]
        js = f"""() => {{
            document.querySelector('button[role=tab][data-tab-id="{target}"]')?.click();
            // a new value every time, so the box's change event fires even for the same link twice
            const query = {json.dumps(view_query(step))} + "&opened=" + Date.now();
            return {json.dumps(ids)}.map((id) => id === "{target}" ? query : "");
        }}"""
        button.click(None, None, boxes, js=js, api_visibility="private", queue=False)


# ----------------------------------------------------------------------------- page style

def _step_rules() -> str:
    """One rule per step: the body's data-lesson-step attribute shows that step only."""
    shown = ",\n".join(f'body[data-lesson-step="{i}"] #lesson-step-{i}' for i in range(1, len(STEPS) + 1))
    return f"{shown},\nbody:not([data-lesson-step]) #lesson-step-1 {{ display: flex !important; }}\n"


CSS = """
/* ---- lesson tab (ui/lesson_tab.py) ---- */
html:not([lang^="zh"]) :is(.lesson-nav, .lesson-question, .lesson-join-card) [lang="zh-CN"],
html[lang^="zh"] :is(.lesson-nav, .lesson-question, .lesson-join-card) [lang="en"] { display: none !important; }
.lesson-step { display: none !important; }
.lesson-nav { display: flex; flex-direction: column; gap: 6px; }
.lesson-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.lesson-bar button { padding: 6px 12px; border-radius: 8px; border: 1px solid var(--border-color-primary);
                     background: var(--button-secondary-background-fill); cursor: pointer; font: inherit; }
.lesson-progress { flex: 1 1 120px; height: 8px; background: var(--border-color-primary); border-radius: 4px; }
.lesson-progress-fill { height: 100%; width: 0; background: var(--color-accent); border-radius: 4px; }
.lesson-count { font-variant-numeric: tabular-nums; min-width: 3.5em; text-align: center; }
.lesson-links { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0; padding-left: 0; list-style: none;
                font-size: 0.9em; }
.lesson-links a[aria-current] { font-weight: bold; text-decoration: underline; }
@media (max-width: 640px) {      /* a phone: numbered links only, so the step itself starts on the first screen */
    .lesson-link-title { display: none; }
    .lesson-links a { display: inline-block; min-width: 2.2em; padding: 4px 0; text-align: center;
                      border: 1px solid var(--border-color-primary); border-radius: 6px; }
}
.lesson-question { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 14px; }
.lesson-question legend { font-weight: bold; padding: 0 6px; }
.lesson-choice { display: block; padding: 4px 0; cursor: pointer; }
.lesson-verdict { margin: 8px 0 0; padding: 8px; border-radius: 6px; background: var(--background-fill-secondary); }
body:not(.lesson-join-shown) .lesson-join-card { display: none !important; }
.lesson-join-card {
    display: flex; flex-direction: column; align-items: center; gap: 8px; position: fixed; z-index: 1000;
    top: 50%; left: 50%; transform: translate(-50%, -50%); max-width: 94vw; max-height: 94vh; overflow: auto;
    padding: 20px 24px; background: #fff; color: #111; border-radius: 12px; box-shadow: 0 8px 40px #0008; }
.lesson-join-qr svg { width: min(60vh, 80vw); height: auto; display: block; }
.lesson-join-title { font-size: 1.4em; font-weight: bold; margin: 0; }
.lesson-join-link { font-size: 1.6em; font-family: monospace; margin: 0; word-break: break-all; text-align: center; }
.lesson-join-close { align-self: flex-end; font-size: 1.4em; background: none; border: none; cursor: pointer; color: #111; }
/* presenter mode: large type, one step per screen, the app's controls out of the way */
body.lesson-presenter #lesson .lesson-text :is(p, li) { font-size: 1.7rem !important; line-height: 1.45 !important; }
body.lesson-presenter #lesson .lesson-text h2 { font-size: 2.6rem !important; }
body.lesson-presenter #lesson :is(.lesson-question, .lesson-open) { font-size: 1.5rem !important; }
body.lesson-presenter .lesson-links,
body.lesson-presenter footer, body.lesson-presenter #app-header
    { display: none !important; }
""" + _step_rules()
