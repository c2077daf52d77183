"""python -m genai.evaluate: which settings it measures, the README table and the frontier plot
(synthetic numbers here: the real run takes minutes)."""

import numpy as np
from PIL import Image

from genai import families
from genai.evaluate import ETA_0, FLOW_STEPS, _conditional_jobs, plot_frontier, table


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
    assert ("diffusion, every step guided", 1.0) not in keys                     # w <= 1: same either way
    above_one = [w for w in families.get("diffusion").frontier[1] if w > 1]
    assert [j[3] for j in jobs if j[0][0] == "diffusion, every step guided"] == [(0.0, 1.0)] * len(above_one)
    assert {j[2] for j in jobs if j[0][0] == "default"} == {1000}
    plain = _conditional_jobs(1000, 200, (0.0, 1.0))
    assert not [j for j in plain if j[0][0] == "diffusion, every step guided"]   # no interval: one curve


def test_every_conditional_family_gets_its_row_and_its_frontier_from_its_record():
    jobs = {j[0]: j for j in _conditional_jobs(1000, 200, (0.0, 1.0))}
    for name in ("gan", "diffusion", "flow"):
        fam = families.get(name)
        assert jobs[("default", name)][4] == fam.defaults                       # the app's defaults, in full
        knob, values, _ = fam.frontier
        assert [jobs[(name, v)][4][knob] for v in values] == list(values)
    assert jobs[("default", "gan", 1.0)][4] == {"truncation": 1.0}               # psi = 1 reported too
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


def test_table_lists_each_frontier_point():
    results = {"machine": "test", "classifier_test_accuracy": 0.99, "real_vs_real_frechet": 89.5, "models": [],
               "frontier": _frontier()}
    text = table(results)
    assert "ψ=0.7: 91.5% / 86.5% / 112.0" in text and "w=3: 99.0% / 94.0% / 115.0" in text
    assert "[0.5, 1)" in text and "docs/frontier.png" in text


def test_frontier_plot_marks_the_defaults(tmp_path):
    path = plot_frontier(_frontier(), tmp_path / "frontier.png")
    starred = np.asarray(Image.open(path).convert("RGB")).copy()
    plain = np.asarray(Image.open(plot_frontier(_frontier((0.55, 2.5)), tmp_path / "none.png")).convert("RGB"))
    assert starred.shape == plain.shape and starred.shape[0] > 300
    assert (starred != plain).any(axis=2).sum() > 200          # the two stars (and their legend lines) differ
