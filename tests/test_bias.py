"""Bias, measured: the imbalanced 2-D preset and the share of points on its rare cluster; the
share of each digit among a model's samples."""

import numpy as np
import pytest
import torch

from genai import toy2d
from genai.evaluate import class_shares


def test_imbalanced_preset_puts_exactly_a_tenth_on_the_rare_cluster():
    for n, seed in ((1000, 0), (500, 3), (10, 1)):
        data = toy2d.preset("imbalanced", n, seed)
        assert toy2d.rare_mass(data) == pytest.approx(0.1)
    big = toy2d.preset("imbalanced", 1000)[100:]                     # the large cluster alone
    assert toy2d.rare_mass(big) == 0
    assert toy2d.rare_mass(torch.tensor([[1.3, 1.0], [1.3, 1.55], [1.3, 1.65]])) == pytest.approx(2 / 3)   # its edge


def test_rare_mass_of_a_model_that_drops_the_cluster_is_zero():
    run = toy2d.new_run("gan", width=16, seed=0)
    samples = run.model.sample(200, 0)
    assert 0 <= toy2d.rare_mass(samples) <= 1
    far = samples.clone() * 0 - 1                                      # every sample on the big cluster
    assert toy2d.rare_mass(far) == 0


class _Classifier:
    """Reads every picture as the digit written in its first pixel."""
    def predict(self, x):
        labels = ((x[:, 0, 0, 0] + 1) * 127.5).round().long()
        return labels, None


def test_class_shares_count_each_digit():
    images = np.zeros((8, 28, 28), np.uint8)
    images[:, 0, 0] = [3, 3, 3, 3, 7, 7, 0, 9]
    shares = class_shares(_Classifier(), images)
    assert shares.shape == (10,) and shares.sum() == 1
    assert shares[3] == 0.5 and shares[7] == 0.25 and shares[0] == shares[9] == 0.125
