"""genai.finetune: LoRA adapters, the loop's promises (the model passed in never changes,
stop keeps what was learned, replay), the saved checkpoint and the command line.
Tiny models, a few steps each: nothing here trains to convergence."""

import json

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

import genai
import genai.train
from genai import finetune as ft
from genai.diffusion import Diffusion, UNetConfig
from genai.flow import FlowConfig, FlowMatching
from genai.gan import GAN, GANConfig
from genai.vae import VAE, VAEConfig

TINY = {"gan": lambda: GAN(GANConfig(z_dim=8, width=16)), "vae": lambda: VAE(VAEConfig(width=8)),
        "vae2d": lambda: VAE(VAEConfig(width=8, latent_dim=2)),
        "diffusion": lambda: Diffusion(UNetConfig(width=16, T=50)),
        "flow": lambda: FlowMatching(FlowConfig(width=16))}


def digits(n=3, seed=0) -> torch.Tensor:
    """n stroke-like pictures in [-1, 1], (n, 1, 28, 28)."""
    x = -torch.ones(n, 1, 28, 28)
    for i in range(n):
        x[i, 0, 5:23, 12 + i % 3:15 + i % 3] = 1.0
    return x


def fast(family, **changes):
    return ft.default_config(family, **{"batch_size": 8, "steps": 2, "seconds": 3600, **changes})


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- LoRA

@pytest.mark.parametrize("layer, shape", [
    (nn.Linear(12, 7), (5, 12)),
    (nn.Conv2d(3, 6, 3, 1, 1), (2, 3, 9, 9)),
    (nn.ConvTranspose2d(6, 4, 4, 2, 1), (2, 6, 7, 7)),
])
def test_lora_merge_equals_the_adapted_forward(layer, shape):
    torch.manual_seed(0)
    net = nn.Sequential(layer)
    x = torch.randn(shape)
    plain = net(x)
    (A, B) = ft.add_lora(net, rank=2)
    assert torch.allclose(net(x), plain)                 # B starts at zero: nothing changed yet
    with torch.no_grad():
        B.normal_()                                      # as if it had trained
    adapted = net(x)
    assert not torch.allclose(adapted, plain)
    low_rank = (B @ A).view_as(layer.parametrizations.weight.original)
    assert torch.linalg.matrix_rank(low_rank.flatten(1)) <= 2
    ft.merge_lora(net)
    assert set(net.state_dict()) == {"0.weight", "0.bias"}     # the original architecture again
    assert torch.allclose(net(x), adapted, atol=1e-5)


def test_lora_trains_only_adapters_and_class_embedding():
    model = TINY["diffusion"]()
    trained = ft.choose_parameters("diffusion", model, "lora", rank=2)
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert names and all(n.endswith((".A", ".B")) or n.startswith("unet.class_emb") for n in names)
    assert len(trained) == len(names)
    assert not any(p.requires_grad for n, p in model.named_parameters() if n.endswith(".original"))


def test_gan_lora_leaves_the_spectral_norm_discriminator_alone():
    model = TINY["gan"]()
    ft.choose_parameters("gan", model, "lora", rank=2)
    assert any(".A" in n for n, _ in model.generator.named_parameters())
    assert not any(".A" in n for n, _ in model.discriminator.named_parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_plain_state_dict_matches_the_merged_model():
    model = TINY["vae"]()
    ft.add_lora(model, rank=2)
    for name, p in model.named_parameters():
        if name.endswith(".B"):
            nn.init.normal_(p)
    live = ft.plain_state_dict(model)
    merged = ft.merge_lora(model).state_dict()
    assert set(live) == set(merged) == set(VAE(VAEConfig(width=8)).state_dict())
    assert all(torch.allclose(live[k], merged[k]) for k in merged)


# ----------------------------------------------------------------------------- the loop

@pytest.mark.parametrize("family", ["gan", "vae", "diffusion", "flow"])
@pytest.mark.parametrize("params", ["all", "last", "lora"])
def test_finetune_never_changes_the_model_passed_in(family, params):
    model = TINY[family]()
    before = state(model)
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    progress = list(ft.finetune(model, family, digits(), None, fast(family, params=params)))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert set(model.state_dict()) == set(before)
    assert flags == {n: p.requires_grad for n, p in model.named_parameters()}
    *steps, last = progress
    assert [p["step"] for p in steps] == [1, 2] and last["done"] and last["step"] == 2
    assert {"total", "seconds", "steps_per_second", "seconds_left"} <= set(steps[0])
    assert any(k.startswith("loss") for k in steps[0])
    tuned = last["model"]
    assert set(tuned.state_dict()) == set(before)        # adapters merged: the original architecture
    assert any(not torch.equal(before[k], v) for k, v in tuned.state_dict().items())
    assert not tuned.training and next(tuned.parameters()).device.type == "cpu"


def test_stop_ends_at_once_and_keeps_what_was_learned():
    model = TINY["gan"]()
    calls = []
    progress = list(ft.finetune(model, "gan", digits(), None, fast("gan", steps=50),
                                stop=lambda: calls.append(1) or len(calls) > 3))
    assert progress[-1]["done"] and progress[-1]["step"] == 3
    assert not torch.equal(progress[-1]["model"].generator.fc.weight, model.generator.fc.weight)


def test_seconds_cap_stops_the_run():
    progress = list(ft.finetune(TINY["vae"](), "vae", digits(), None, fast("vae", steps=5000, seconds=1.0)))
    assert progress[-1]["done"] and progress[-1]["step"] < 5000 and progress[-1]["seconds"] < 30


def test_replay_batches_hold_only_other_classes():
    g = torch.Generator().manual_seed(0)
    x, y = digits(3), torch.full((3,), 1)
    bx, by = ft.builtin_digits()
    keep = by != 1
    xb, yb = ft.make_batch(x, y, bx[keep], by[keep], fast("gan", batch_size=20, replay=0.5), g)
    assert xb.shape == (20, 1, 28, 28) and xb.min() >= -1 and xb.max() <= 1
    assert (yb[:10] == 1).all() and (yb[10:] != 1).all()


def test_stroke_width_thickens_and_thins():
    x = digits(1).repeat(64, 1, 1, 1)
    out = ft.stroke_width(x, torch.Generator().manual_seed(0))
    ink = ((out + 1) / 2).sum((1, 2, 3))
    base = ((x[0] + 1) / 2).sum()
    assert out.shape == x.shape and out.min() >= -1 and out.max() <= 1
    assert ink.max() > base and ink.min() < base


@pytest.mark.parametrize("changes, message", [
    ({"params": "some"}, "all, last, lora"),
    ({"steps": 0}, "steps must be a whole number in 1-5000"),
    ({"lr": 1.0}, "lr must be a number"),
    ({"label": 10}, "label must be a whole number in 0-9"),
    ({"replay": 1.0}, "replay"),
])
def test_bad_settings_name_what_is_allowed(changes, message):
    with pytest.raises(ValueError, match=message):
        ft.default_config("gan", **changes)


def test_bad_examples_are_refused():
    with pytest.raises(ValueError, match="family must be one of"):
        next(ft.finetune(TINY["vae"](), "classifier", digits()))
    with pytest.raises(ValueError, match=r"shape \(B, 1, 28, 28\)"):
        next(ft.finetune(TINY["vae"](), "vae", torch.zeros(3, 28, 28)))
    with pytest.raises(ValueError, match="one digit 0-9 per example"):
        next(ft.finetune(TINY["gan"](), "gan", digits(), torch.tensor([1, 2, 11]), fast("gan")))


# ----------------------------------------------------------------------------- checkpoints and the CLI

def write_pngs(folder, n=3):
    folder.mkdir()
    for i in range(n):
        im = Image.new("L", (200, 200), 255)                  # dark ink on white paper
        ImageDraw.Draw(im).line([(50, 40 + 8 * i), (150, 40), (90, 170)], fill=0, width=16)
        im.save(folder / f"seven_{i}.png")
    return folder


def test_saved_checkpoint_loads_and_reproduces_the_samples(tmp_path):
    cfg = fast("gan", params="lora")
    model, history = ft.run(TINY["gan"](), "gan", digits(), None, cfg)
    ft.save(tmp_path / "tuned", "gan", model, cfg, history, base="tiny")
    loaded = genai.load(str(tmp_path / "tuned"))
    assert np.array_equal(loaded.generate(labels=[1, 2, 3], seed=5), model.generate(labels=[1, 2, 3], seed=5))
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["family"] == "gan" and config["finetune"]["params"] == "lora" and config["finetune"]["from"] == "tiny"


def test_cli_finetunes_a_folder_of_pngs(tmp_path, capsys):
    base = tmp_path / "base"
    ft.save(base, "vae", TINY["vae"](), fast("vae"), [])
    data = write_pngs(tmp_path / "pngs")
    threads = torch.get_num_threads()
    try:
        ft.main(["vae", "--data", str(data), "--init-from", str(base), "--steps", "2", "--batch-size", "4",
                 "--out", str(tmp_path / "out")])
        assert "wrote" in capsys.readouterr().out
        tuned = genai.load(str(tmp_path / "out"))
        assert not torch.equal(tuned.decoder[0].weight, genai.load(str(base)).decoder[0].weight)
        # The result is a normal checkpoint: training continues from it.
        genai.train.main(["vae", "--init-from", str(tmp_path / "out"), "--max-steps", "1", "--batch-size", "8",
                          "--width", "8", "--out", str(tmp_path / "more")])
        genai.load(str(tmp_path / "more"))
    finally:
        torch.set_num_threads(threads)


def test_cli_flags_come_from_the_dataclass():
    extra, cfg = ft.parse_args(["diffusion", "--data", "d", "--out", "o", "--params", "lora", "--rank", "8",
                                "--label", "3", "--no-augment"])
    assert extra["family"] == "diffusion" and cfg.params == "lora" and cfg.rank == 8 and cfg.label == 3
    assert cfg.augment is False and cfg.lr == ft.family_of("diffusion").finetune_defaults.get("lr", ft.FinetuneConfig.lr)
    with pytest.raises(SystemExit):
        ft.parse_args(["gan", "--data", "d", "--out", "o", "--params", "everything"])
