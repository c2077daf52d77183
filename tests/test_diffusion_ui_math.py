"""q_sample, the forward-process helper the Diffusion tab uses: ends, determinism, and
that it is exactly where image-to-image sampling starts."""

import pytest
import torch

from genai.diffusion import Diffusion, NoiseSchedule, UNetConfig, q_sample


@pytest.fixture(scope="module")
def diffusion():
    torch.manual_seed(0)
    return Diffusion(UNetConfig(width=8, T=100))


def digit():
    x = -torch.ones(1, 1, 28, 28)
    x[..., 8:20, 12:16] = 1.0          # a bright bar: a "1"
    return x


def test_q_sample_at_t0_is_almost_the_clean_image():
    s = NoiseSchedule(T=100)
    x_t, eps = q_sample(s, digit(), 0, seed=1)
    assert x_t.shape == eps.shape == (1, 1, 28, 28)
    assert (x_t - digit()).abs().max() < 0.05          # alpha_bar_0 = 1 - beta_0 ~ 1


def test_q_sample_at_the_last_step_is_almost_pure_noise():
    s = NoiseSchedule(T=1000)
    x_t, eps = q_sample(s, digit(), 999, seed=1)
    assert (x_t - eps).abs().max() < 0.02              # alpha_bar_999 ~ 4e-5


def test_q_sample_follows_the_formula_and_the_seed():
    s = NoiseSchedule(T=100)
    x_t, eps = q_sample(s, digit(), 30, seed=7)
    ab = float(s.alpha_bar[30])
    assert torch.allclose(x_t, ab ** 0.5 * digit() + (1 - ab) ** 0.5 * eps, atol=1e-6)
    again, _ = q_sample(s, digit(), 30, seed=7)
    other, _ = q_sample(s, digit(), 30, seed=8)
    assert torch.equal(x_t, again) and not torch.equal(x_t, other)


def test_q_sample_is_where_image_to_image_starts(diffusion):
    seen = []
    real = diffusion.predict_eps

    def spy(x, t, y):                       # the U-Net's batch: x_t, then x_t again with no digit
        seen.append(x[:1].clone())
        return real(x, t, y)

    diffusion.predict_eps = spy
    try:
        list(diffusion.sample_steps([3], seed=5, steps=10, x_start=digit(), t_start=60))
    finally:
        del diffusion.predict_eps
    start, _ = q_sample(diffusion.schedule, digit(), 60, seed=5)
    assert torch.allclose(seen[0], start)


@pytest.mark.parametrize("t", [-1, 100, 2.5, float("nan")])
def test_q_sample_rejects_bad_t(t):
    with pytest.raises(ValueError, match="t must be a whole number in 0-99"):
        q_sample(NoiseSchedule(T=100), digit(), t)


def test_q_sample_rejects_bad_images_and_seeds():
    with pytest.raises(ValueError, match="shape"):
        q_sample(NoiseSchedule(T=100), torch.zeros(1, 28, 28), 5)
    with pytest.raises(ValueError, match="seed"):
        q_sample(NoiseSchedule(T=100), digit(), 5, seed=-1)
