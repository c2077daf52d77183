"""The math the GAN tab uses: lerp/slerp, interpolation walks, the fast GANSpace PCA,
image statistics and direction names. Tiny untrained models, milliseconds each."""

import numpy as np
import pytest
import torch

from genai.gan import (GAN, GANConfig, STAT_WORDS, describe_directions, feature_directions,
                       image_stats, interpolate, lerp, slerp)


@pytest.fixture(scope="module")
def gan():
    torch.manual_seed(0)
    return GAN(GANConfig(z_dim=8, width=8))


def test_slerp_and_lerp_start_and_end_at_their_inputs():
    z0, z1 = torch.randn(16), torch.randn(16)
    for path in (lerp, slerp):
        assert torch.allclose(path(z0, z1, 0.0), z0, atol=1e-6)
        assert torch.allclose(path(z0, z1, 1.0), z1, atol=1e-5)
        ends = path(z0, z1, torch.tensor([0.0, 1.0]))
        assert ends.shape == (2, 16)
        assert torch.allclose(ends[0], z0, atol=1e-6) and torch.allclose(ends[1], z1, atol=1e-5)


def test_slerp_keeps_the_norm_where_lerp_cuts_through_the_middle():
    g = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    z1 = z1 * z0.norm() / z1.norm()                     # equal norms
    t = torch.linspace(0, 1, 11)
    arc, line = slerp(z0, z1, t).norm(dim=1), lerp(z0, z1, t).norm(dim=1)
    assert torch.allclose(arc, torch.full_like(arc, z0.norm().item()), rtol=1e-4)
    assert line[5] < 0.9 * z0.norm()                    # near-orthogonal: the middle is short


def test_slerp_of_parallel_vectors_is_the_line():
    z = torch.randn(8)
    assert torch.allclose(slerp(z, 2 * z, 0.5), 1.5 * z, atol=1e-5)


def test_slerp_with_unequal_norms_moves_the_norm_monotonically():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 3.0])
    norms = slerp(z0, z1, torch.linspace(0, 1, 9)).norm(dim=1)
    assert (norms.diff() > 0).all()


def test_interpolate_shapes_ends_and_determinism(gan):
    frames = interpolate(gan, 1, 2, 3, frames=6, mode="linear")
    assert frames.shape == (6, 28, 28) and frames.dtype == np.uint8
    assert np.array_equal(frames[0], gan.generate([3], seed=1)[0])
    assert np.array_equal(frames[-1], gan.generate([3], seed=2)[0])
    assert np.array_equal(frames, interpolate(gan, 1, 2, 3, frames=6, mode="linear"))
    morph = interpolate(gan, 1, 1, 3, 8, frames=4, mode="spherical")
    assert np.array_equal(morph[0], gan.generate([3], seed=1)[0])
    assert np.array_equal(morph[-1], gan.generate([8], seed=1)[0])


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "cubic"}, "linear, spherical"),
    ({"frames": 1}, "frames must be a whole number in 2-32"),
    ({"frames": 2.5}, "frames"),
    ({"label_b": 10}, "digits 0-9"),
    ({"truncation": float("nan")}, "truncation"),
])
def test_interpolate_rejects_bad_values_by_name(gan, kwargs, message):
    with pytest.raises(ValueError, match=message):
        interpolate(gan, 1, 2, 3, **kwargs)


def test_fast_directions_match_principal_directions(gan):
    """Against GANSpace done the slow way: the first layer's features for the same latents and
    labels, centred, and their SVD (the fast route never forms the features)."""
    n = 128
    z = torch.randn(n, gan.config.z_dim, generator=torch.Generator().manual_seed(3))
    y = torch.arange(n) % gan.config.n_classes
    G = gan.generator
    with torch.no_grad():
        h = G.fc(torch.cat([z, G.embed(y)], 1))                            # (n, features)
    _, S, V = torch.linalg.svd(h - h.mean(0), full_matrices=False)
    V_fast, S_fast = feature_directions(gan, k=4, n=n, seed=3)
    assert torch.allclose(S[:4] / (n - 1) ** 0.5, S_fast, rtol=1e-3)
    cos = (V[:4] * V_fast).sum(1).abs()                 # each direction up to its sign
    assert (cos > 0.999).all()
    assert gan.principal_directions(k=4, n=n, seed=3)[1].allclose(S_fast)


def test_each_direction_has_one_sign_on_every_machine(gan):
    """An SVD may return -v for v, depending on the BLAS and its threads: the server (1 thread)
    and the page's export (any) once moved a slider opposite ways. Each direction's largest
    entry is positive, and the directions are the same with 1 and 2 threads."""
    threads = torch.get_num_threads()
    try:
        found = []
        for n in (1, 2):
            torch.set_num_threads(n)
            found.append(feature_directions(gan, k=6, n=512)[0])
    finally:
        torch.set_num_threads(threads)
    for V in found:
        assert (V.gather(1, V.abs().argmax(1, keepdim=True)) > 0).all()
    assert torch.allclose(found[0], found[1], atol=1e-5)


def test_image_stats_measure_what_they_say():
    def bar(rows, cols):
        x = -torch.ones(1, 1, 28, 28)
        x[..., rows, cols] = 1.0
        return x
    thin, thick = image_stats(bar(slice(4, 24), slice(13, 15))), image_stats(bar(slice(4, 24), slice(11, 17)))
    assert thick["ink"] > thin["ink"] and thick["width"] > thin["width"]
    assert torch.allclose(thin["height"], thick["height"])
    right = image_stats(bar(slice(4, 24), slice(20, 22)))
    assert right["x"] > thin["x"] and torch.allclose(right["y"], thin["y"])
    lean = -torch.ones(1, 1, 28, 28)
    for r in range(4, 24):                               # top to the right: "/"
        lean[..., r, 24 - r // 2 - 4:24 - r // 2 - 2] = 1.0
    assert image_stats(lean)["slant"] > 0.3 and abs(thin["slant"].item()) < 1e-5


def test_describe_directions_names_each_direction(gan):
    V, S = feature_directions(gan, k=3, n=256)
    names = describe_directions(gan, V, S, n=20)
    words = {w for pair in STAT_WORDS.values() for w in pair}
    assert len(names) == 3
    for name in names:
        assert name == "subtle change" or (1 <= len(name.split(", ")) <= 2 and set(name.split(", ")) <= words)
    assert names == describe_directions(gan, V, S, n=20)          # deterministic
    opposite = {a: b for a, b in STAT_WORDS.values()} | {b: a for a, b in STAT_WORDS.values()}
    for name, flipped in zip(names, describe_directions(gan, -V, S, n=20)):
        if name != "subtle change":                                 # the opposite way, the opposite words
            assert flipped == ", ".join(opposite[w] for w in name.split(", "))
