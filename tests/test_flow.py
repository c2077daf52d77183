"""Flow matching (genai/flow.py): the path, the loss and the samplers checked by hand and on exact
velocity fields; runs through the shared engine byte-identical to runs alone; the family seam."""

import math

import numpy as np
import pytest
import torch
from torch import nn

import genai
from genai import families, flow
from genai.diffusion import NULL_CLASS
from genai.engine import Engine
from genai.family import Family

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    return genai.load("flow")


class ExactField(nn.Module):
    """A stand-in U-Net that knows the answer: the velocity that carries x_t to `target` in a
    straight line by t = 1, (target - x_t) / (1 - t). t arrives scaled by TIME_SCALE."""

    def __init__(self, target: torch.Tensor):
        super().__init__()
        self.target = target
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x, t, y):
        s = (t / flow.TIME_SCALE).view(-1, 1, 1, 1)
        return (self.target - x) / (1 - s)


def exact_model(target):
    model = flow.FlowMatching(flow.FlowConfig(width=8))
    model.unet = ExactField(target)
    return model


def test_the_path_runs_from_noise_to_the_digit():
    x0, x1 = torch.randn(3, 1, 28, 28), torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.allclose(flow.interpolate(x0, x1, torch.zeros(3)), x0)
    assert torch.allclose(flow.interpolate(x0, x1, torch.ones(3)), x1)
    t = torch.tensor([0.25, 0.5, 0.75])
    mid = flow.interpolate(x0, x1, t)
    assert torch.allclose(mid[1], (x0[1] + x1[1]) / 2)
    # the velocity of the line is x1 - x0 everywhere: a finite difference finds it
    h = 1e-3
    slope = (flow.interpolate(x0, x1, t + h) - flow.interpolate(x0, x1, t)) / h
    assert torch.allclose(slope, x1 - x0, atol=1e-2)


def test_the_loss_is_the_mean_squared_error_to_x1_minus_x0():
    x1, y = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([1, 2, 3, 4])
    seen = {}

    class Spy(nn.Module):
        def forward(self, x, t, y):
            seen.update(x=x, t=t, y=y)
            return torch.zeros_like(x)

    loss = flow.flow_loss(Spy(), x1, y, p_uncond=0.0, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)                           # the same draws, by hand
    t, x0 = torch.rand(4, generator=g), torch.randn(x1.shape, generator=g)
    assert torch.allclose(seen["t"], t * flow.TIME_SCALE)
    assert torch.allclose(seen["x"], (1 - t.view(-1, 1, 1, 1)) * x0 + t.view(-1, 1, 1, 1) * x1)
    assert torch.equal(seen["y"], y)
    assert math.isclose(loss.item(), ((x1 - x0) ** 2).mean().item(), rel_tol=1e-5)


def test_label_dropout_teaches_the_no_digit_class():
    seen = {}

    class Spy(nn.Module):
        def forward(self, x, t, y):
            seen["y"] = y
            return torch.zeros_like(x)

    flow.flow_loss(Spy(), torch.zeros(2000, 1, 28, 28), torch.full((2000,), 4), p_uncond=0.1,
                   generator=torch.Generator().manual_seed(0))
    dropped = (seen["y"] == NULL_CLASS).float().mean().item()
    assert 0.07 < dropped < 0.13 and set(seen["y"].tolist()) == {4, NULL_CLASS}


@pytest.mark.parametrize("sampler,steps", [("euler", 1), ("euler", 7), ("heun", 1), ("heun", 4)])
def test_on_an_exact_straight_field_every_sampler_arrives(sampler, steps):
    """With the true velocity of a straight line, Euler is exact at any step size: the run ends on
    the target, and every step's predicted x1 already is the target."""
    target = torch.rand(1, 1, 28, 28) * 2 - 1
    model = exact_model(target)
    frames = list(model.sample_steps([3], seed=0, steps=steps, sampler=sampler, guidance=1.0))
    assert len(frames) == steps
    assert torch.allclose(frames[-1].x_t, target, atol=1e-5)
    for step in frames:
        assert torch.allclose(step.x1_pred, target, atol=1e-4)
    assert [round(s.t, 6) for s in frames] == [round(i / steps, 6) for i in range(steps)]


def test_heun_is_second_order_where_euler_is_first():
    """On dx/dt = x (exact: x(1) = e x(0)), halving the step halves Euler's error and quarters Heun's."""
    def integrate(step, n):
        x, h = torch.ones(1), 1 / n
        for _ in range(n):
            x = step(x, x, h) if step is flow.euler_step else step(x, x, x + h * x, h)
        return abs(x.item() - math.e)

    assert 1.8 < integrate(flow.euler_step, 20) / integrate(flow.euler_step, 40) < 2.2
    assert 3.6 < integrate(flow.heun_step, 20) / integrate(flow.heun_step, 40) < 4.4


def test_guidance_mixes_the_two_velocities(model):
    run = flow.FlowRun(model, [3], seed=0, steps=2, guidance=2.5)
    x, t, y = run.unet_inputs()
    assert y.tolist() == [3, NULL_CLASS] and torch.equal(x[0], x[1]) and t.tolist() == [0.0, 0.0]
    v_y, v_null = torch.full((1, 1, 28, 28), 1.0), torch.full((1, 1, 28, 28), -1.0)
    step = run.advance(torch.cat([v_y, v_null]))
    assert torch.allclose(step.v_pred, v_null + 2.5 * (v_y - v_null))
    assert torch.allclose(step.x1_pred, step.x_t + 0.5 * step.v_pred)


def test_shipped_model_draws_the_digits_asked_for(model):
    """Not the evaluation (genai.evaluate measures 1,000), a smoke check that the weights are trained."""
    classifier = genai.load("classifier")
    images = torch.from_numpy(model.generate(list(range(10)) * 2, seed=0)).float().div(127.5).sub(1)[:, None]
    read, _ = classifier.predict(images)
    assert (read == torch.arange(10).repeat(2)).float().mean() >= 0.8


def test_bad_values_name_what_is_allowed(model):
    for kwargs, words in [(dict(sampler="rk4"), "sampler must be one of euler, heun"),
                          (dict(steps=0), "steps must be a whole number in 1-200"),
                          (dict(steps=201), "steps must be a whole number in 1-200"),
                          (dict(guidance=-1), "guidance must be a number in 0-20"),
                          (dict(labels=[11]), "labels must be digits 0-10"),
                          (dict(seed=-1), "seed must be a whole number")]:
        with pytest.raises(ValueError, match=words):
            model.generate(**{"labels": [1], **kwargs})


SETTINGS = [dict(labels=[3], seed=0, steps=6), dict(labels=[7], seed=1, steps=4, sampler="heun"),
            dict(labels=[None], seed=2, steps=3), dict(labels=[5], seed=3, steps=5, guidance=1.0),
            dict(labels=[2], seed=4, steps=7, guidance=4.0, sampler="heun")]


def test_runs_through_the_engine_are_byte_identical_to_runs_alone(model):
    alone = [[(s.x_t.clone(), s.x1_pred.clone()) for s in model.sample_steps(**s)] for s in SETTINGS]
    engine = Engine(model, threaded=False)
    runs = []
    for i, s in enumerate(SETTINGS):                 # staggered joins: a run every tick
        runs.append(engine.submit(record=lambda step: (step.x_t.clone(), step.x1_pred.clone()), **s))
        engine.step()
    while any(not r.over for r in runs):
        engine.step()
    for run, expected in zip(runs, alone):
        assert len(run.frames) == len(expected) == run.total
        assert all(torch.equal(a, b) and torch.equal(c, d) for (a, c), (b, d) in zip(run.frames, expected))


def test_every_family_is_registered_once_and_names_are_checked():
    assert families.NAMES == ("gan", "vae", "vae2d", "diffusion", "flow", "classifier")
    assert all(isinstance(f, Family) and f.name == n for n, f in families.REGISTRY.items())
    assert families.FINETUNABLE == ("gan", "vae", "vae2d", "diffusion", "flow")
    assert families.COMPARED == ("gan", "vae", "diffusion", "flow")
    with pytest.raises(ValueError, match="family must be one of gan, vae, vae2d, diffusion, flow, classifier"):
        families.get("stylegan")


@pytest.mark.parametrize("name", families.NAMES)
def test_each_family_trains_one_step_through_its_record(name):
    """The seam is all the training loop knows: build, nets, train_step, the averaged net."""
    from genai.train import TrainConfig, make_optimizers, trainable_parts
    fam = families.get(name)
    small = {"gan": dict(width=8, z_dim=8), "vae": dict(width=8), "vae2d": dict(width=8),
             "diffusion": dict(width=8), "flow": dict(width=8), "classifier": dict(width=8)}[name]
    model = fam.build(fam.config(**{**fam.arch_defaults, **small}))
    nets = trainable_parts(fam, model)
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in nets.items()}
    x, y = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3])
    losses = fam.train_step(model, nets, make_optimizers(fam, nets, 1e-3), x, y, torch.Generator().manual_seed(0),
                            TrainConfig())
    assert losses and all(k.startswith("loss") or k == "mode_seeking" for k in losses)
    assert all(np.isfinite(v) for v in losses.values())
    for k, m in nets.items():                        # every net an optimiser holds has moved
        assert any(not torch.equal(a, b) for a, b in zip(before[k], m.parameters())), k
    if fam.averaged:                                 # trained as a copy: the shipped net is not the one trained
        assert fam.shipped_net(model) is not nets[fam.averaged]
