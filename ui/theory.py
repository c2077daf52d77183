"""The texts of the "How it works" panels (ui/explain.py builds them), in English and Chinese.

THEORY[family] = (a plain paragraph, [(a step's text with its formulas, names of the genai
functions that compute them), ...]). The formulas follow the code as it trains and samples,
not a textbook's cleaner version: one-sided label smoothing, the mode-seeking term, DDIM's
re-derived noise. Each formula is written once and shared by both languages.
"""

from .i18n import t

# ----------------------------------------------------------------------------- shared formulas

D_LOSS = r"""$$\begin{aligned}\mathcal{L}_D = &-\mathbb{E}_{x,y}\big[\,0.9\log D(x,y) + 0.1\log\big(1 - D(x,y)\big)\big] \\
&- \mathbb{E}_{z,y}\big[\log\big(1 - D(G(z,y),y)\big)\big] + \mathbb{E}_{x,y}\big[\mathcal{L}_{aux}(x,y)\big]\end{aligned}$$

$$\mathcal{L}_{aux}(x,y) = -\lambda_{aux}\log C(y \mid x)$$"""

G_LOSS = r"""$$\mathcal{L}_G = -\mathbb{E}_{z,y}\big[\log D(G(z,y),y)\big] + \mathbb{E}_{z,y}\big[\mathcal{L}_{aux}(G(z,y),y)\big]
+ \lambda_{ms}\,\mathcal{L}_{ms}$$

$$\mathcal{L}_{ms} = \frac{1}{r + \epsilon},\qquad
r = \frac{\operatorname{mean}|G(z_1,y) - G(z_2,y)|}{\operatorname{mean}|z_1 - z_2|}$$"""

TRUNCATION = r"$$z \sim \mathcal{N}(0, I),\qquad z \leftarrow \psi\, z,\qquad x = G(z, y)$$"

ELBO = r"""$$\log p(x) \;\ge\; \underbrace{\mathbb{E}_{q(z\mid x)}\big[\log p(x\mid z)\big]}_{-\,\text{recon}}
\;-\; \underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)}_{\text{kl}} \;=\; \text{ELBO}$$

$$\text{recon} = -\sum_{i=1}^{784}\big[p_i\log\hat p_i + (1-p_i)\log(1-\hat p_i)\big],\qquad
\text{kl} = -\tfrac12\sum_j\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)$$

$$\text{loss} = \text{recon} + \beta\,\text{kl}$$"""

REPARAMETERIZE = (r"$$z = \mu + \sigma \odot \varepsilon,\qquad \varepsilon \sim \mathcal{N}(0, I),"
                  r"\qquad \sigma = \exp\big(\tfrac12 \log\sigma^2\big)$$")

FORWARD = r"""$$q(x_t \mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t)\,I\big),\qquad
\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$$

$$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad \varepsilon \sim \mathcal{N}(0, I)$$"""

SIMPLE_LOSS = r"$$\mathcal{L} = \mathbb{E}_{x_0,y,t,\varepsilon}\,\big\|\varepsilon - \varepsilon_\theta(x_t, t, y)\big\|^2$$"

DDPM = r"""$$\hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}}
\quad\text{(clipped to } [-1, 1]\text{)}$$

$$x_{t'} = \tilde\mu + \tilde\sigma\, z,\qquad
\tilde\mu = \frac{\sqrt{\bar\alpha_{t'}}\,\beta}{1-\bar\alpha_t}\,\hat x_0 + \frac{\sqrt{\alpha}\,(1-\bar\alpha_{t'})}{1-\bar\alpha_t}\,x_t,\qquad
\tilde\sigma^2 = \frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}\,\beta$$"""

DDIM = r"""$$x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma^2}\;\hat\varepsilon + \sigma z,\qquad
\sigma = \eta\,\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}}\,\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}}$$"""

CFG = (r"$$\hat\varepsilon = \varepsilon_\theta(x_t, t, \varnothing) + w\,\big(\varepsilon_\theta(x_t, t, y)"
       r" - \varepsilon_\theta(x_t, t, \varnothing)\big)$$")

FLOW_PATH = (r"$$x_t = (1 - t)\,x_0 + t\,x_1,\qquad x_0 \sim \mathcal{N}(0, I),\qquad "
             r"u = \frac{dx_t}{dt} = x_1 - x_0$$")

FLOW_LOSS = r"$$\mathcal{L} = \mathbb{E}_{x_1,y,t,x_0}\,\big\|(x_1 - x_0) - v_\theta(x_t, t, y)\big\|^2,\qquad t \sim U(0, 1)$$"

EULER = r"""$$x_{t+h} = x_t + h\,\hat v(x_t, t),\qquad \hat x_1 = x_{t+h} + (1 - t - h)\,\hat v$$

$$\text{Heun:}\quad x_{t+h} = x_t + \tfrac{h}{2}\big(\hat v(x_t, t) + \hat v(\tilde x, t + h)\big),\qquad
\tilde x = x_t + h\,\hat v(x_t, t)$$"""

FLOW_CFG = (r"$$\hat v = v_\theta(x_t, t, \varnothing) + w\,\big(v_\theta(x_t, t, y)"
            r" - v_\theta(x_t, t, \varnothing)\big)$$")

TOY_VAE = (r"$$\text{loss} = \frac{\|x - \hat x(z)\|^2}{2\sigma^2} + \mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal{N}(0, I)\big),"
           r"\qquad z = \mu + \sigma_z \odot \varepsilon$$")

TOY_FLOW = (r"$$\mathcal{L} = \mathbb{E}_{x_1,t,x_0}\,\big\|(x_1 - x_0) - v_\theta(x_t, t)\big\|^2,\qquad "
            r"x_{t+h} = x_t + h\,v_\theta(x_t, t)$$"
            "\n\n"
            r"$$\text{straightness} = \frac{\sum_{\text{paths}}\sum_k \|x_{t_{k+1}} - x_{t_k}\|}"
            r"{\sum_{\text{paths}} \|x_1 - x_0\|}\;\ge\; 1$$")


def _step(key: str, before: tuple[str, str], formula: str, after: tuple[str, str], *code: str):
    """One step of a panel: text (English, Chinese), the shared formula, more text, and the
    dotted names of the functions that compute it."""
    en = "\n\n".join(part for part in (before[0], formula, after[0]) if part)
    zh = "\n\n".join(part for part in (before[1], formula, after[1]) if part)
    return t(f"theory.{key}", en, zh), code


# ----------------------------------------------------------------------------- GAN

GAN = (t("theory.gan.plain",
         "**In plain words.** Two networks play a game. The **generator** G turns random noise z (and the "
         "digit y you ask for) into a picture; the **discriminator** D looks at a picture and says how likely "
         "it is to be a real handwritten digit. D is trained to tell real from fake, G to fool D. When neither "
         "can improve, G's pictures look like real digits.",
         "**通俗地说。** 两个网络在做一场博弈。**生成器** G 把随机噪声 z（以及你要的数字 y）变成一张图片；"
         "**判别器** D 看一张图片，给出它是真实手写数字的概率。D 学着分辨真假，G 学着骗过 D。"
         "当双方都无法再进步时，G 画出的图片就和真实的数字一样了。"),
       [_step("gan.d_loss",
              (r"**1 · The discriminator's loss**, as `d_loss` computes it, with $D = \sigma(\text{logit})$. "
               r"Real digits get the target 0.9 instead of 1 (*one-sided label smoothing*: D never becomes "
               r"completely sure), G's fakes get 0:",
               r"**1 · 判别器的损失**，即 `d_loss` 的计算方式，其中 $D = \sigma(\text{logit})$。"
               r"真实数字的目标值是 0.9 而不是 1（*单侧标签平滑*：D 永远不会完全确信），G 的伪造图片的目标值是 0："),
              D_LOSS,
              (r"The last term is AC-GAN's auxiliary classifier (`aux_class_loss`): a head C on D's features "
               r"names the digit, weighted by $\lambda_{aux}$ = `GANConfig.aux_classifier`. With "
               r"$\lambda_{aux} = 0$ D has no such head and the term is zero.",
               r"最后一项是 AC-GAN 的辅助分类器（`aux_class_loss`）：D 的特征上接一个分类头 C，"
               r"负责说出是哪个数字，权重 $\lambda_{aux}$ = `GANConfig.aux_classifier`。"
               r"$\lambda_{aux} = 0$ 时 D 没有这个分类头，这一项为零。"),
              "genai.gan.d_loss", "genai.gan.aux_class_loss"),
        _step("gan.g_loss",
              (r"**2 · The generator's loss.** The original minimax game has G minimise "
               r"$\log(1 - D(G(z)))$, which gives almost no gradient while D easily spots the fakes. "
               r"`g_loss` uses the *non-saturating* loss instead, plus the classifier term on the fakes; "
               r"training adds a *mode-seeking* term that punishes two noises $z_1, z_2$ giving the same picture:",
               r"**2 · 生成器的损失。** 原始的极小极大博弈让 G 最小化 $\log(1 - D(G(z)))$，"
               r"但当 D 轻易识破伪造时，这个损失几乎没有梯度。`g_loss` 改用*非饱和*损失，"
               r"再加上分类器在伪造图片上的损失；训练时还加入*模式寻求*项，惩罚两个不同噪声 $z_1, z_2$ "
               r"生成同一张图片的情况："),
              G_LOSS,
              (r"$\lambda_{ms}$ = `TrainConfig.mode_seeking` (1 for the shipped GAN): without it, G learnt to "
               r"ignore z and drew one digit per class.",
               r"$\lambda_{ms}$ = `TrainConfig.mode_seeking`（随附的 GAN 取 1）：没有这一项时，"
               r"G 学会了忽略 z，每个类别只画同一个数字。"),
              "genai.gan.g_loss", "genai.gan.mode_seeking_loss"),
        _step("gan.train",
              (r"**3 · One training step.** D takes an Adam step ($\beta_1 = 0.5$) on $\mathcal{L}_D$ with G "
               r"frozen; then G takes one on $\mathcal{L}_G$. The G you play with is an exponential moving "
               r"average of G's weights over training.",
               r"**3 · 一个训练步。** 先固定 G，D 在 $\mathcal{L}_D$ 上走一步 Adam（$\beta_1 = 0.5$）；"
               r"然后 G 在 $\mathcal{L}_G$ 上走一步。你在这里操作的 G 是训练过程中 G 权重的指数滑动平均。"),
              "", ("", ""), "genai.gan.train_step"),
        _step("gan.truncation",
              (r"**4 · What the seed and ψ do.** The seed picks the noise; the truncation ψ shrinks it toward "
               r"the average noise, so ψ < 1 gives more typical, less varied digits:",
               r"**4 · 种子和 ψ 的作用。** 种子决定噪声；截断系数 ψ 把噪声向平均值收缩，"
               r"所以 ψ < 1 时数字更典型、变化更少："),
              TRUNCATION, ("", ""), "genai.gan.GAN.latents"),
        ])

# ----------------------------------------------------------------------------- VAE

VAE = (t("theory.vae.plain",
         "**In plain words.** The **encoder** squeezes a digit into a few numbers, its code z; the **decoder** "
         "paints a digit back from z. Training wants two things at once: the repainted digit should match the "
         "original, and the codes of all digits together should look like plain random noise N(0, I). The "
         "second wish is why any z you pick on the sliders decodes to something digit-like.",
         "**通俗地说。** **编码器**把一个数字压缩成几个数，即它的潜在编码 z；**解码器**再根据 z 把数字画回来。"
         "训练同时追求两件事：画回来的数字要和原图一致；所有数字的编码合在一起要像普通的随机噪声 N(0, I)。"
         "正因为第二点，你在滑块上随便选一个 z，解码出来都像个数字。"),
       [_step("vae.elbo",
              (r"**1 · The ELBO.** The encoder outputs a Gaussian $q(z \mid x) = \mathcal{N}(\mu, "
               r"\operatorname{diag}\sigma^2)$ (`mu` and `logvar` = $\log\sigma^2$); the prior is "
               r"$p(z) = \mathcal{N}(0, I)$. The log-likelihood of a digit is bounded below by the ELBO, "
               r"and training minimises recon + β·kl in nats per image (β = 1: exactly the negative ELBO):",
               r"**1 · 证据下界（ELBO）。** 编码器输出一个高斯分布 $q(z \mid x) = \mathcal{N}(\mu, "
               r"\operatorname{diag}\sigma^2)$（`mu` 和 `logvar` = $\log\sigma^2$）；先验是 "
               r"$p(z) = \mathcal{N}(0, I)$。一个数字的对数似然以 ELBO 为下界，训练最小化每张图片的 "
               r"$\text{recon} + \beta\cdot\text{kl}$（单位：奈特；β = 1 时恰好是负的 ELBO）："),
              ELBO,
              (r"$p = (x + 1)/2$ is each pixel's brightness and $\hat p = \sigma(\text{decoder logits})$: the "
               r"pixels are Bernoulli. The KL between two Gaussians has the closed form on the right.",
               r"$p = (x + 1)/2$ 是每个像素的亮度，$\hat p$ 是对解码器的输出取 S 形函数 σ：像素服从伯努利分布。"
               r"两个高斯分布之间的 KL 散度有右边的闭式解。"),
              "genai.vae.VAE.loss_terms", "genai.vae.kl_divergence", "genai.vae.VAE.loss"),
        _step("vae.reparameterize",
              (r"**2 · The reparameterization trick.** Drawing $z \sim q(z \mid x)$ directly has no gradient "
               r"with respect to μ and σ. Written as a fixed function of outside noise, the same sample lets "
               r"gradients flow into the encoder:",
               r"**2 · 重参数化技巧。** 直接从 $q(z \mid x)$ 采样 $z$，对 μ 和 σ 没有梯度。"
               r"把同一个样本写成外部噪声的固定函数，梯度就能流回编码器："),
              REPARAMETERIZE, ("", ""), "genai.vae.VAE.reparameterize"),
        _step("vae.decode",
              (r"**3 · What the map and the sliders do.** They set z directly and show the decoder's mean "
               r"image, $2\hat p - 1$. The map's left half decodes a grid of z; its right half shows where "
               r"the encoder puts real digits (their μ).",
               r"**3 · 潜在地图和滑块的作用。** 它们直接设定 z，并显示解码器的平均图像 $2\hat p - 1$。"
               r"地图左半边解码一格一格的 z；右半边显示编码器把真实数字放在哪里（它们的 μ）。"),
              "", ("", ""), "genai.vae.VAE.decode"),
        ])

# ----------------------------------------------------------------------------- diffusion

DIFFUSION = (t("theory.diffusion.plain",
               "**In plain words.** Take a real digit and add a little noise, again and again, until only noise "
               "is left: that is the **forward process**, and it needs no learning. A U-Net is trained to look "
               "at a noisy picture and guess the noise in it. To make a new digit, start from pure noise and "
               "remove the predicted noise step by step: the **reverse process**. **Guidance** makes the result "
               "look more like the digit you asked for.",
               "**通俗地说。** 取一个真实的数字，一次又一次地加一点噪声，直到只剩噪声：这是**前向过程**，"
               "不需要学习。U-Net 被训练成看一张带噪图片，猜出其中的噪声。要生成新数字，就从纯噪声出发，"
               "一步步去掉预测出的噪声：这是**反向过程**（去噪）。**引导**让结果更像你要的那个数字。"),
             [_step("diffusion.forward",
                    (r"**1 · The forward process.** β rises linearly from $10^{-4}$ to 0.02 over T = 1000 noise "
                     r"levels; one formula jumps from the clean $x_0$ straight to any level t:",
                     r"**1 · 前向过程。** β 在 T = 1000 个噪声级别上从 $10^{-4}$ 线性增加到 0.02；"
                     r"一个公式就能从干净的 $x_0$ 直接跳到任意级别 t："),
                    FORWARD,
                    (r"As t grows, $\bar\alpha_t$ falls from 1 to almost 0: the digit fades and the noise takes over.",
                     r"随着 t 增大，$\bar\alpha_t$ 从 1 降到几乎为 0：数字逐渐消失，噪声占据主导。"),
                    "genai.diffusion.NoiseSchedule.__init__", "genai.diffusion.NoiseSchedule.add_noise"),
              _step("diffusion.loss",
                    (r"**2 · Training.** Noise a digit to a random level t and ask the U-Net $\varepsilon_\theta$ "
                     r"for the noise:",
                     r"**2 · 训练。** 把数字加噪到随机级别 t，让 U-Net $\varepsilon_\theta$ 预测所加的噪声："),
                    SIMPLE_LOSS,
                    (r"10% of the time y is replaced by ∅, the “no digit” class, so the same network also learns "
                     r"the unconditional model that guidance needs.",
                     r"有 10% 的时候 y 被替换为 ∅（“无数字”类别），这样同一个网络也学会了引导所需的无条件模型。"),
                    "genai.diffusion.diffusion_loss"),
              _step("diffusion.ddpm",
                    (r"**3 · The reverse step, DDPM.** From the predicted noise $\hat\varepsilon$, guess the clean "
                     r"digit $\hat x_0$, then sample the next, less noisy level $t'$ from the posterior "
                     r"$q(x_{t'} \mid x_t, \hat x_0)$:",
                     r"**3 · 反向一步：DDPM。** 由预测的噪声 $\hat\varepsilon$ 估计干净的数字 $\hat x_0$，"
                     r"再从后验 $q(x_{t'} \mid x_t, \hat x_0)$ 中采样下一个噪声更少的级别 $t'$："),
                    DDPM,
                    (r"Here $\alpha = \bar\alpha_t / \bar\alpha_{t'}$ and $\beta = 1 - \alpha$ over the jump from t "
                     r"to the next visited level $t'$ ($t' = t - 1$ when all 1000 levels are visited), "
                     r"$z \sim \mathcal{N}(0, I)$ is fresh noise, and the last step adds none.",
                     r"其中 $\alpha = \bar\alpha_t / \bar\alpha_{t'}$、$\beta = 1 - \alpha$ 对应从 t 跳到下一个"
                     r"访问的级别 $t'$（访问全部 1000 个级别时 $t' = t - 1$），$z \sim \mathcal{N}(0, I)$ "
                     r"是新的噪声，最后一步不加噪声。"),
                    "genai.diffusion.predict_x0", "genai.diffusion.ddpm_step"),
              _step("diffusion.ddim",
                    (r"**4 · DDIM.** Keep $\hat x_0$, point back along the predicted noise, and add only as much "
                     r"fresh noise as η asks for:",
                     r"**4 · DDIM。** 保留 $\hat x_0$，沿预测的噪声方向回退，只加入 η 所要求的那么多新噪声："),
                    DDIM,
                    (r"η = 0 is deterministic: no noise is added after the start, and 50 steps are enough. "
                     r"η = 1 is as noisy as DDPM. The app's default, η = 0.5, adds a little: each step's fresh "
                     r"noise lets the run undo a wrong turn, so more digits read right at the same variety "
                     r"(README). After clipping $\hat x_0$ the code re-derives "
                     r"$\hat\varepsilon = (x_t - \sqrt{\bar\alpha_t}\,\hat x_0)/\sqrt{1-\bar\alpha_t}$, so the "
                     r"excess of strong guidance is not carried from step to step.",
                     r"η = 0 时是确定性的：起点之后不再加噪声，50 步就够了。η = 1 时和 DDPM 一样随机。"
                     r"本应用默认 η = 0.5，只加一点：每一步的新噪声让采样有机会纠正走错的方向，"
                     r"在同样的多样性下，更多数字能被认对（见 README）。"
                     r"裁剪 $\hat x_0$ 之后，代码重新计算 "
                     r"$\hat\varepsilon = (x_t - \sqrt{\bar\alpha_t}\,\hat x_0)/\sqrt{1-\bar\alpha_t}$，"
                     r"这样强引导带来的多余部分就不会一步步累积。"),
                    "genai.diffusion.ddim_step"),
              _step("diffusion.cfg",
                    (r"**5 · Classifier-free guidance.** Predict the noise twice, with the digit y and with ∅, "
                     r"and push past the difference by the guidance scale w:",
                     r"**5 · 无分类器引导。** 分别以数字 y 和 ∅ 为条件预测两次噪声，"
                     r"再按引导系数 w 沿两者之差推得更远："),
                    CFG,
                    (r"w = 0 ignores the digit, w = 1 is the plain conditional model, w > 1 exaggerates whatever "
                     r"makes the picture a y. Both predictions come from one batched U-Net call.",
                     r"w = 0 忽略数字，w = 1 就是普通的条件模型，w > 1 会夸大让图片像 y 的特征。"
                     r"两次预测在一次批量的 U-Net 调用中完成。"),
                    "genai.diffusion.cfg_inputs", "genai.diffusion.cfg_combine"),
              _step("diffusion.loop",
                    (r"**6 · The whole run.** Start from noise (or from your drawing noised to $t_{start}$), and "
                     r"at each of the chosen levels: guided noise, then one DDPM or DDIM step. Each step is "
                     r"yielded, which is how the app can stream it. In the app, every visitor's run takes its "
                     r"step in the same U-Net call (`genai/engine.py`), each with its own noise.",
                     r"**6 · 完整的一次采样。** 从噪声出发（或从加噪到 $t_{start}$ 的你的手绘），"
                     r"在每个选定的级别上：先算引导后的噪声，再走一步 DDPM 或 DDIM。每一步都会被 `yield` 出来，"
                     r"所以应用能实时显示整个过程。在应用里，所有访客的采样在同一次 U-Net 调用中各走一步"
                     r"（`genai/engine.py`），各自用自己的噪声。"),
                    "", ("", ""), "genai.diffusion.ReverseRun.advance", "genai.diffusion.Diffusion.sample_steps"),
              ])

# ----------------------------------------------------------------------------- flow matching

FLOW = (t("theory.flow.plain",
          "**In plain words.** Draw a straight line from a picture of pure noise to a real digit, and teach a "
          "U-Net the **velocity** along it: at any point of the line, which way and how fast the picture is "
          "changing. To make a new digit, start from noise and follow the predicted velocity, a few small steps "
          "at a time. Diffusion's paths bend, so it needs many small steps; these are nearly straight, so a "
          "handful already arrive. The same U-Net as the diffusion tab's, trained on the same digits.",
          "**通俗地说。** 从一张纯噪声图片到一个真实数字画一条直线，教 U-Net 学会沿这条线的**速度**："
          "线上任意一点，图片正朝哪个方向、以多快的速度变化。要生成新数字，就从噪声出发，"
          "沿预测的速度一小步一小步地走。扩散模型的路径是弯的，所以需要很多小步；这里的路径几乎是直的，"
          "几步就能走到。所用的 U-Net 与扩散模型那一页的完全相同，也在同样的数字上训练。"),
        [_step("flow.path",
               (r"**1 · The straight path.** Mix noise $x_0$ and a digit $x_1$ in proportion to the time t "
                r"(t = 0: noise, t = 1: the digit). Along this line the velocity is the same everywhere:",
                r"**1 · 直线路径。** 按时间 t 的比例混合噪声 $x_0$ 和数字 $x_1$（t = 0 是噪声，t = 1 是数字）。"
                r"沿这条直线，速度处处相同："),
               FLOW_PATH, ("", ""), "genai.flow.interpolate"),
         _step("flow.loss",
               (r"**2 · Training (conditional flow matching).** Pick a digit, a noise and a time, and ask the "
                r"U-Net $v_\theta$ for the velocity:",
                r"**2 · 训练（条件流匹配）。** 取一个数字、一个噪声和一个时间，让 U-Net $v_\theta$ 预测速度："),
               FLOW_LOSS,
               (r"The U-Net only ever sees single lines, yet it learns their average through each point: a "
                r"velocity *field* whose paths carry the whole noise distribution to the digits (Lipman et al. "
                r"2023; Liu et al. 2023). As in diffusion, 10% of the labels are replaced by ∅ for guidance.",
                r"U-Net 每次只看到一条直线，却学到了经过每个点的所有直线的平均：一个速度*场*，"
                r"它的路径把整个噪声分布带到数字上（Lipman 等 2023；Liu 等 2023）。和扩散模型一样，"
                r"有 10% 的标签被替换为 ∅，供引导使用。"),
               "genai.flow.flow_loss"),
         _step("flow.euler",
               (r"**3 · Sampling: follow the arrows.** Euler's method takes a step of size h = 1/steps along "
                r"the predicted velocity; Heun's method looks again at the end of the step and averages:",
                r"**3 · 采样：顺着箭头走。** 欧拉法沿预测的速度走一步，步长 h = 1/步数；"
                r"Heun 法在这一步的终点再看一次，取两者的平均："),
               EULER,
               (r"$\hat x_1$ is where the straight line from here would end: the picture the tab shows as "
                r"“predicted x₁”. Guidance works as in diffusion, on the velocity:",
                r"$\hat x_1$ 是从当前位置沿直线走到终点的位置：也就是本页显示的“预测的 x₁”。"
                r"引导与扩散模型相同，作用在速度上："),
               "genai.flow.euler_step", "genai.flow.heun_step", "genai.flow.predict_x1"),
         _step("flow.loop",
               (r"**4 · The whole run.** Start from noise at t = 0 and step to t = 1. Each step is yielded, so "
                r"the app streams it; in the app, every visitor's run shares one U-Net call per step with the "
                r"others, as diffusion's do (`genai/engine.py`).",
                r"**4 · 完整的一次采样。** 从 t = 0 的噪声出发，走到 t = 1。每一步都会被 `yield` 出来，"
                r"所以应用能实时显示；在应用里，所有访客的采样每一步共用一次 U-Net 调用，和扩散模型一样"
                r"（`genai/engine.py`）。"),
               FLOW_CFG, ("", ""), "genai.flow.FlowRun.advance"),
         ])

# ----------------------------------------------------------------------------- 2-D playground

PLAYGROUND = (t("theory.playground.plain",
                "**In plain words.** The same four ideas, on points in a plane instead of pictures, with small "
                "networks that train in seconds. The GAN's discriminator becomes a heat map, the VAE's encoder "
                "and decoder become maps between two planes, and the diffusion model's denoiser and the flow's "
                "velocity become fields of arrows. The losses are the digit models' own.",
                "**通俗地说。** 还是这四种思路，只是对象从图片换成平面上的点，网络很小，几秒钟就能训练好。"
                "GAN 的判别器变成一张热力图，VAE 的编码器和解码器变成两个平面之间的映射，"
                "扩散模型的去噪器和流的速度变成箭头场。损失函数和数字模型的完全相同。"),
              [_step("playground.gan",
                     (r"**GAN.** The same $\mathcal{L}_D$ (with label smoothing) and non-saturating "
                      r"$\mathcal{L}_G$ as the digit GAN, without labels, classifier or mode-seeking term; "
                      r"Adam with $\beta_1 = 0$.",
                      r"**GAN。** 与数字 GAN 相同的 $\mathcal{L}_D$（含标签平滑）和非饱和的 $\mathcal{L}_G$，"
                      r"但没有标签、分类器和模式寻求项；Adam 取 $\beta_1 = 0$。"),
                     "", ("", ""), "genai.toy2d.ToyGAN.train_step"),
               _step("playground.vae",
                     (r"**VAE.** Points are real numbers, so the likelihood is Gaussian and the reconstruction "
                      r"term becomes a squared distance:",
                      r"**VAE。** 点的坐标是实数，所以似然取高斯分布，重建项变成距离的平方："),
                     TOY_VAE, ("", ""), "genai.toy2d.ToyVAE.loss"),
               _step("playground.diffusion",
                     (r"**Diffusion.** The same noise schedule and the same simple loss "
                      r"$\|\varepsilon - \varepsilon_\theta(x_t, t)\|^2$, without labels.",
                      r"**扩散模型。** 相同的噪声调度和相同的简单损失 "
                      r"$\|\varepsilon - \varepsilon_\theta(x_t, t)\|^2$，只是没有标签。"),
                     "", ("", ""), "genai.toy2d.ToyDiffusion.train_step"),
               _step("playground.flow",
                     (r"**Flow matching.** The same straight path $x_t = (1 - t)\,x_0 + t\,x_1$ and the same "
                      r"loss as the digit flow, without labels; sampling follows the velocity with Euler steps "
                      r"from noise ($t = 0$) to points ($t = 1$). How straight its paths are is measured:",
                      r"**流匹配。** 与数字流模型相同的直线路径 $x_t = (1 - t)\,x_0 + t\,x_1$ 和相同的损失，"
                      r"只是没有标签；采样时沿着速度用欧拉法从噪声（$t = 0$）走到点（$t = 1$）。"
                      r"轨迹有多直，可以量出来："),
                     TOY_FLOW,
                     (r"1 is a straight line. Diffusion's DDPM paths add fresh noise at every step and wander "
                      r"(about 11–14 on the presets); a flow's follow one smooth velocity field (about 1.7; 2.3–2.6 "
                      r"on the checkerboard). They are not quite straight: the velocity averages the lines "
                      r"through each point, so a path first heads for the middle of the data, then turns to its "
                      r"own point. (Diffusion's deterministic DDIM paths measure 1.3–1.6 here; \"reflow\", "
                      r"training a second flow on the first one's pairs, straightens a flow further: Liu et al. 2023.)",
                      r"1 表示一条直线。扩散模型的 DDPM 轨迹每一步都加入新的噪声，曲折游走（在各个预设形状上约为 "
                      r"11–14）；流的轨迹沿着一个光滑的速度场前进（约 1.7，棋盘格上 2.3–2.6）。它们并不完全是直的："
                      r"速度是经过每个点的所有直线的平均，所以轨迹先朝数据的中部走，再转向各自的终点。"
                      r"（扩散模型确定性的 DDIM 轨迹在这里约为 1.3–1.6；“再流”，即用第一个流生成的配对"
                      r"训练第二个流，能让轨迹更直。）"),
                     "genai.toy2d.ToyFlow.train_step", "genai.toy2d.straightness"),
               ])

# ----------------------------------------------------------------------------- compare & learn

CONFIDENCE = (r"$$\text{confidence} = \frac{1}{n}\sum_{i=1}^{n} C(y \mid x_i),\qquad "
              r"\text{accuracy} = \frac{1}{n}\sum_{i=1}^{n} \big[\arg\max_k C(k \mid x_i) = y\big]$$")
DIVERSITY = (r"$$\text{diversity} = \binom{n}{2}^{-1} \sum_{i<j} \big\|f(x_i) - f(x_j)\big\|$$")
LIKE_DIGIT = (r"$$\mu_y = \operatorname{mean}_{x \in y}\,\mu(x),\qquad \Sigma_y = \operatorname{cov}_{x \in y}\,\mu(x),"
              r"\qquad z \sim \mathcal{N}(\mu_y, \Sigma_y),\qquad x = \text{decoder}(z)$$")

COMPARE = (t("theory.compare.plain",
             "**In plain words.** Nobody can say by eye which family draws *better*, so a judge does: the repo's "
             "own digit classifier C, trained on real digits only. It is asked three questions about the n "
             "pictures each family draws: is this the digit that was asked for, how sure are you, and how "
             "different are the pictures from each other. The clock measures the price of each picture.",
             "**通俗地说。** 单凭眼睛说不清哪一类模型画得*更好*，所以请一位裁判：仓库自己的数字分类器 C，"
             "它只在真实数字上训练过。对每类模型画出的 n 张图，它回答三个问题：这是要求的那个数字吗、"
             "有多确定、这些图彼此有多不同。计时器量出每张图的代价。"),
           [_step("compare.judge",
                  (r"**1 · Confidence and accuracy.** $C(k \mid x)$ is the classifier's probability that "
                   r"picture $x$ is the digit $k$; $y$ is the digit asked for:",
                   r"**1 · 置信度和准确率。** $C(k \mid x)$ 是分类器认为图片 $x$ 是数字 $k$ 的概率；"
                   r"$y$ 是要求画的数字："),
                  CONFIDENCE, ("", ""), "genai.evaluate.judge"),
            _step("compare.diversity",
                  (r"**2 · Diversity.** The mean distance over every pair of the n pictures, once in the "
                   r"classifier's 128 features $f$ (what the pictures *mean*) and once in raw pixels. A GAN "
                   r"that collapsed to one picture per digit scores almost 0 in both:",
                   r"**2 · 多样性。** n 张图两两之间距离的平均值：一次在分类器的 128 维特征 $f$ 里"
                   r"（图片的*含义*），一次在原始像素里。对每个数字只会画一张图的崩塌 GAN，两者都接近 0："),
                  DIVERSITY, ("", ""), "genai.evaluate.mean_pairwise_distance"),
            _step("compare.vae_like",
                  (r"**3 · Asking an unconditional VAE for one digit.** Fit a Gaussian to where the encoder "
                   r"puts the training pictures of that digit, and decode samples from it:",
                   r"**3 · 让无条件的 VAE 画指定数字。** 在编码器对该数字训练图片给出的编码上拟合一个高斯分布，"
                   r"再从中采样解码："),
                  LIKE_DIGIT, ("", ""), "genai.vae.code_gaussian", "genai.vae.generate_like"),
            ])

THEORY = {"gan": GAN, "vae": VAE, "diffusion": DIFFUSION, "flow": FLOW, "compare": COMPARE, "playground": PLAYGROUND}
