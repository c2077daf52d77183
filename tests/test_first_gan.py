"""genai/examples/first_gan.py: every fault of the naive GAN is shown doing harm, and the fixed
GAN's loop trains (its losses move, D and G both learn) and streams samples."""

import numpy as np
import pytest
import torch

from genai.examples import first_gan


@pytest.fixture(scope="module")
def faults():
    return {f.key: f for f in first_gan.show_faults(steps=40)}


def test_every_fault_is_shown(faults):
    assert [f.number for f in faults.values()] == list(range(1, 8))
    assert faults["output_relu_sigmoid"].numbers["fake_min"] >= 0.5                 # never darker than grey
    assert faults["loss_sign"].numbers["D_fake_end"] < faults["loss_sign"].numbers["D_fake_start"]   # G flees
    assert faults["noise_as_data"].numbers["negative_share"] == pytest.approx(0.5, abs=0.05)
    assert faults["name_before_defined"].shown.startswith("UnboundLocalError")
    assert "not iterable" in faults["train_signature"].shown                         # D used as the loader
    assert faults["no_data_loader"].shown == "NameError: name 'data_loader' is not defined"
    assert faults["one_optimiser"].numbers["D_weight_change"] == 0                   # D never learns


def test_naive_generator_cannot_draw_black():
    x = first_gan.NaiveGenerator()(torch.randn(64, first_gan.Z_DIM) * 10)
    assert x.min().item() >= 0.5


def tiny_loader(n=128, batch=32):
    x = torch.rand(n, first_gan.PIXELS) * 2 - 1
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x), batch_size=batch, shuffle=True)


def test_fixed_loop_trains_both_networks_and_streams():
    cfg = first_gan.FirstGANConfig(n_samples=4)
    reports = list(first_gan.train(cfg, seconds=60, max_steps=30, report_every=0.0, loader=tiny_loader()))
    assert reports[-1].done and reports[-1].step == 30
    assert all(not r.done for r in reports[:-1]) and len(reports) >= 30          # a report per step here
    assert reports[-1].samples.shape == (4, 28, 28) and reports[-1].samples.dtype == np.uint8
    losses_d = [r.loss_d for r in reports[:-1]]
    assert max(losses_d) - min(losses_d) > 0.05                                   # not a flat curve
    assert reports[0].samples.tolist() != reports[-1].samples.tolist()            # G learnt something


def test_fixed_losses_are_the_papers():
    torch.manual_seed(0)
    D = first_gan.Discriminator()
    x, fake = torch.rand(8, first_gan.PIXELS), torch.rand(8, first_gan.PIXELS)
    d_real, d_fake = torch.sigmoid(D(x)), torch.sigmoid(D(fake))
    expected_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert first_gan.d_loss(D, x, fake).item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert first_gan.g_loss(D, fake).item() == pytest.approx(-torch.log(d_fake).mean().item(), rel=1e-5)
    assert first_gan.Generator()(torch.randn(5, first_gan.Z_DIM)).abs().max() <= 1    # tanh: the data's range


def test_bad_values_name_the_range():
    with pytest.raises(ValueError, match="seconds must be a number in 0-600"):
        next(first_gan.train(seconds=-1))
    with pytest.raises(ValueError, match="max_steps must be a whole number"):
        next(first_gan.train(max_steps=0))


def test_digit_share_is_not_fooled_by_a_grey_square():
    import genai
    classifier = genai.load("classifier")
    real = ((first_gan.load_digits(split="train")[0][:64] + 1) * 127.5).round().to(torch.uint8).squeeze(1).numpy()
    grey = np.full((64, 28, 28), 191, np.uint8)
    reference = first_gan.load_digits(split="test")[0][:300]        # a smaller reference: a faster test
    assert first_gan.digit_share(real, classifier, reference) > 0.6
    assert first_gan.digit_share(grey, classifier, reference) == 0
