"""The small latent-space helpers the VAE tab uses: shapes, order, ends, errors."""

import numpy as np
import pytest
import torch

from genai.images import to_uint8
from genai.vae import VAE, VAEConfig, decode_latents, interpolate, latent_grid, latent_grid_points


@pytest.fixture(scope="module")
def vae2d():
    torch.manual_seed(0)
    return VAE(VAEConfig(latent_dim=2, width=4))


@pytest.fixture(scope="module")
def vae16():
    torch.manual_seed(1)
    return VAE(VAEConfig(latent_dim=16, width=4))


def test_grid_points_cover_the_square_top_left_first():
    pts = latent_grid_points(3, 2.0)
    assert pts.shape == (9, 2)
    assert pts[0].tolist() == [-2.0, 2.0]        # top left: z1 smallest, z2 largest
    assert pts[2].tolist() == [2.0, 2.0]         # along a row z1 grows
    assert pts[-1].tolist() == [2.0, -2.0]       # bottom right
    assert pts[4].tolist() == [0.0, 0.0]         # centre


def test_latent_grid_decodes_each_point(vae2d):
    tiles = latent_grid(vae2d, 4, 3.0)
    assert tiles.shape == (16, 28, 28) and tiles.dtype == np.uint8
    expected = to_uint8(vae2d.decode(latent_grid_points(4, 3.0)))
    assert np.array_equal(tiles, expected)


def test_latent_grid_needs_a_2d_latent(vae16):
    with pytest.raises(ValueError, match="2-D latent"):
        latent_grid(vae16)


@pytest.mark.parametrize("n, span", [(1, 3.0), (33, 3.0), (2.5, 3.0), (5, float("nan")), (5, 0.0), ("5", 3.0)])
def test_latent_grid_rejects_bad_sizes(vae2d, n, span):
    with pytest.raises(ValueError, match="must be"):
        latent_grid(vae2d, n, span)


def test_decode_latents_shapes_and_errors(vae16):
    assert decode_latents(vae16, [0.0] * 16).shape == (1, 28, 28)
    assert decode_latents(vae16, np.zeros((3, 16))).shape == (3, 28, 28)
    for bad in ([0.0] * 15, [[0.0] * 16] * 0, [float("nan")] + [0.0] * 15, ["a"] * 16, None):
        with pytest.raises(ValueError):
            decode_latents(vae16, bad)


def test_interpolate_ends_are_the_reconstructions(vae16):
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.rand(1, 1, 28, 28, generator=g) * 2 - 1, torch.rand(1, 1, 28, 28, generator=g) * 2 - 1
    strip = interpolate(vae16, x0, x1, steps=5)
    assert strip.shape == (5, 28, 28) and strip.dtype == np.uint8
    assert np.array_equal(strip[0], to_uint8(vae16.reconstruct(x0))[0])
    assert np.array_equal(strip[-1], to_uint8(vae16.reconstruct(x1))[0])
    assert np.array_equal(strip, interpolate(vae16, x0, x1, steps=5))       # deterministic


@pytest.mark.parametrize("steps", [1, 65, 3.5, float("inf"), True])
def test_interpolate_rejects_bad_steps(vae16, steps):
    x = torch.zeros(1, 1, 28, 28)
    with pytest.raises(ValueError, match="steps"):
        interpolate(vae16, x, x, steps)
