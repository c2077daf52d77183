"""The training command: flags from dataclasses, checkpoint folders, resuming, DDP, and
loading that never trusts a file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import genai
import genai.train
from genai import families
from genai.evaluate import _command
from genai.train import parse_args

ROOT = Path(__file__).resolve().parent.parent
TINY = {"gan": ["--z-dim", "8", "--width", "16"], "vae": ["--width", "8"], "vae2d": ["--width", "8"],
        "diffusion": ["--width", "16", "--T", "50"], "classifier": ["--width", "8"]}


def run_train(family, out, *extra, nproc=1):
    """`python -m genai.train ...` for 3 steps: in this process, or under torchrun with nproc > 1."""
    args = [family, "--max-steps", "3", "--batch-size", "16", "--out", str(out), *TINY[family], *extra]
    if nproc == 1:
        threads = torch.get_num_threads()
        try:
            genai.train.main(args)
        finally:
            torch.set_num_threads(threads)
        return
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc),
           "--master_port", "29533", "-m", "genai.train", *args, "--threads", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]


def test_flags_come_from_the_dataclasses():
    family, arch, cfg = parse_args(["vae2d", "--minutes", "1.5", "--no-augment", "--beta", "2"])
    assert family == "vae2d" and arch.latent_dim == 2 and arch.beta == 2.0
    assert cfg.minutes == 1.5 and cfg.augment is False and cfg.out == "checkpoints/vae2d"
    with pytest.raises(SystemExit):
        parse_args(["transformer"])


@pytest.mark.parametrize("family", ["gan", "vae2d", "diffusion", "classifier"])
def test_train_writes_a_self_describing_checkpoint(tmp_path, family):
    run_train(family, tmp_path / family)
    folder = tmp_path / family
    config = json.loads((folder / "config.json").read_text())
    assert config["family"] == family and config["steps"] == 3 and config["format_version"] == 1
    assert {"architecture", "training", "dataset", "seconds", "metrics"} <= set(config)
    history = json.loads((folder / "history.json").read_text())
    assert len(history["losses"]) == 3
    for snap in history["snapshots"]:
        assert (folder / snap["image"]).is_file()
    model = genai.load(str(folder))
    if family in ("gan", "diffusion"):
        kwargs = {"labels": [1, 2], **({"steps": 3} if family == "diffusion" else {})}
        assert np.array_equal(model.generate(seed=1, **kwargs), genai.load(str(folder)).generate(seed=1, **kwargs))


def test_gan_trains_with_diff_augment(tmp_path):
    """--diff-augment reaches D's losses (a bad policy is named) and is recorded in config.json."""
    run_train("gan", tmp_path / "gan", "--diff-augment", "translation,cutout")
    config = json.loads((tmp_path / "gan" / "config.json").read_text())
    assert config["training"]["diff_augment"] == "translation,cutout" and config["steps"] == 3
    with pytest.raises(ValueError, match="translation, cutout"):
        run_train("gan", tmp_path / "bad", "--diff-augment", "rotation")


def test_gan_trains_with_r1(tmp_path):
    """--r1 reaches D's loss (same seed, same batches: another first loss_d) and is
    recorded in config.json."""
    run_train("gan", tmp_path / "plain", "--seed", "2")
    run_train("gan", tmp_path / "r1", "--seed", "2", "--r1", "10")
    first = [json.loads((tmp_path / k / "history.json").read_text())["losses"][0] for k in ("plain", "r1")]
    assert first[0]["loss_d"] != first[1]["loss_d"], first
    config = json.loads((tmp_path / "r1" / "config.json").read_text())
    assert config["training"]["r1"] == 10.0


def test_diffusion_trains_with_min_snr(tmp_path):
    """--min-snr reaches the loss the optimiser minimises (same seed, same batches: another
    first loss) and is recorded in config.json."""
    run_train("diffusion", tmp_path / "plain", "--seed", "2")
    run_train("diffusion", tmp_path / "snr", "--seed", "2", "--min-snr", "5")
    first = [json.loads((tmp_path / k / "history.json").read_text())["losses"][0]["loss"] for k in ("plain", "snr")]
    assert first[0] != first[1], first
    config = json.loads((tmp_path / "snr" / "config.json").read_text())
    assert config["training"]["min_snr"] == 5.0


def test_init_from_continues(tmp_path, capsys):
    run_train("vae", tmp_path / "a")
    run_train("vae", tmp_path / "b", "--init-from", str(tmp_path / "a"))
    a, b = genai.load(str(tmp_path / "a")), genai.load(str(tmp_path / "b"))
    assert not torch.equal(a.decoder[0].weight, b.decoder[0].weight)
    assert json.loads((tmp_path / "b" / "config.json").read_text())["training"]["init_from"] == str(tmp_path / "a")
    assert "write over" not in capsys.readouterr().err
    run_train("vae", tmp_path / "b", "--init-from", str(tmp_path / "b"))       # continued in place: said so
    assert f"will write over {tmp_path / 'b'}, the checkpoint it continues from" in capsys.readouterr().err


def test_attention_heads_are_kept_by_a_continuation(tmp_path):
    """--attention-heads goes into config.json; a run continued with --init-from builds the
    checkpoint's architecture, attention included, without the flag."""
    run_train("diffusion", tmp_path / "a", "--attention-heads", "4")
    run_train("diffusion", tmp_path / "b", "--init-from", str(tmp_path / "a"))
    for name in ("a", "b"):
        assert json.loads((tmp_path / name / "config.json").read_text())["architecture"]["attention_heads"] == 4
        assert any(k.startswith("unet.attn.") for k in genai.load(str(tmp_path / name)).state_dict())


def test_new_critic_keeps_the_generator_and_starts_a_wider_discriminator(tmp_path):
    """--new-critic --d-width N: G (the average that ships) comes from --init-from as it was
    (at learning rate 0 it stays so); D is new, N channels wide; config.json says so."""
    run_train("gan", tmp_path / "a")
    run_train("gan", tmp_path / "b", "--init-from", str(tmp_path / "a"), "--new-critic", "--d-width", "32",
              "--lr", "0")
    before, after = genai.load(str(tmp_path / "a")), genai.load(str(tmp_path / "b"))
    assert after.config.d_width == 32 and after.config.width == before.config.width == 16
    assert after.discriminator.body[0].weight.shape[0] == 16 and before.discriminator.body[0].weight.shape[0] == 8
    for (name, p), q in zip(before.generator.named_parameters(), after.generator.parameters()):
        assert torch.equal(p, q), name
    # Each run keeps the architecture it trained, so the README's commands repeat the chain.
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    (first,), second = config["runs"], config["training"]
    assert first["architecture"]["d_width"] == 0 and second["architecture"]["d_width"] == 32
    assert "--d-width" not in _command("gan", first, first["architecture"])
    assert _command("gan", second, second["architecture"]).endswith("--lr 0.0 --new-critic --init-from checkpoints/gan "
                                                                    "--z-dim 8 --width 16 --d-width 32")
    with pytest.raises(ValueError, match="trained model: give --init-from FOLDER"):
        run_train("gan", tmp_path / "c", "--new-critic")
    run_train("vae", tmp_path / "v")
    with pytest.raises(ValueError, match="which only gan has; vae has none"):
        run_train("vae", tmp_path / "d", "--new-critic", "--init-from", str(tmp_path / "v"))


def test_ema_warm_up():
    assert genai.train.ema_decay(0.999, 0) == pytest.approx(0.1)          # the first step: mostly itself
    assert genai.train.ema_decay(0.999, 50_000) == 0.999
    assert genai.train.ema_decay(0.9999, 50_000) == pytest.approx(50_001 / 50_010)   # still warming up


def test_torchrun_two_cpu_processes(tmp_path):
    # The GAN is the hardest case for DDP: two wrapped nets, two optimisers, spectral norm buffers.
    run_train("gan", tmp_path / "gan", nproc=2)
    config = json.loads((tmp_path / "gan" / "config.json").read_text())
    assert config["training"]["world_size"] == 2 and config["steps"] == 3
    genai.load(str(tmp_path / "gan"))


# ----------------------------------------------------------------------------- loading is safe

@pytest.fixture
def saved(tmp_path):
    run_train("vae2d", tmp_path / "ok")
    return tmp_path / "ok"


def test_truncated_weights(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(genai.CheckpointError, match="truncated or corrupt"):
        genai.load(str(saved))


def test_tampered_header(saved):
    data = bytearray((saved / "model.safetensors").read_bytes())
    data[8:20] = b"not json at!"
    (saved / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(genai.CheckpointError):
        genai.load(str(saved))


def test_config_that_does_not_match_weights(saved):
    config = json.loads((saved / "config.json").read_text())
    config["architecture"]["latent_dim"] = 5
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(genai.CheckpointError, match="do not match"):
        genai.load(str(saved))


@pytest.mark.parametrize("edit", [
    lambda c: {**c, "family": "transformer"}, lambda c: {**c, "format_version": 99},
    lambda c: {**c, "architecture": {"colour": 3}}, lambda c: [1, 2],
])
def test_bad_configs(saved, edit):
    config = json.loads((saved / "config.json").read_text())
    (saved / "config.json").write_text(json.dumps(edit(config)))
    with pytest.raises(genai.CheckpointError):
        genai.load(str(saved))


def test_pickles_are_never_opened(tmp_path, saved):
    torch.save({"x": 1}, saved / "model.safetensors")        # a pickle wearing the right name
    with pytest.raises(genai.CheckpointError):
        genai.load(str(saved))


def test_unknown_names():
    with pytest.raises(ValueError, match="gan, vae, vae2d, diffusion, flow"):
        genai.load("stylegan")
    with pytest.raises(ValueError):
        genai.load("/etc")


def test_shipped_checkpoints_are_small_and_load(cannot_run):
    total = 0
    for name in genai.NAMES:
        folder = ROOT / "checkpoints" / name
        if not folder.exists():
            cannot_run(f"{name} not trained yet")
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        assert (folder / "model.safetensors").stat().st_size < 10 * 2**20
        total += size
        assert genai.load(name).family == families.get(name).kind
    assert total < 40 * 2**20
