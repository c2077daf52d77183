"""The batched diffusion engine (genai/engine.py): runs that share U-Net calls give the same
pictures as runs alone; runs join, leave, fail and get stopped without touching the others.
Runs on a model of their own (run_alone) take turns in a line."""

import threading
import time

import pytest
import torch

import genai
from genai.diffusion import Diffusion, PairKernels, UNetConfig
from genai.engine import Engine, EngineError, Line, run_alone

torch.set_num_threads(1)

# Mixed settings: both samplers, short and long, eta, no guidance, no digit, image to image.
SETTINGS = [
    dict(labels=[3], seed=0, steps=6),
    dict(labels=[7], seed=1, steps=9, sampler="ddpm"),
    dict(labels=[None], seed=2, steps=4),
    dict(labels=[5], seed=3, steps=7, eta=0.5, guidance=0.0),
    dict(labels=[2], seed=4, steps=5, guidance=1.0),
    dict(labels=[8], seed=5, steps=10, guidance=4.0, sampler="ddpm"),
    dict(labels=[1], seed=6, steps=8, eta=1.0),
    dict(labels=[0], seed=7, steps=30, t_start=100),       # image to image: only the last steps run
]


@pytest.fixture(scope="module")
def model():
    return genai.load("diffusion")


@pytest.fixture(scope="module")
def digit():
    x = torch.full((1, 1, 28, 28), -1.0)
    x[..., 6:22, 12:16] = 1.0                                  # a plain 1
    return x


def settings(i, digit):
    s = dict(SETTINGS[i])
    if "t_start" in s:
        s["x_start"] = digit
    return s


def alone(model, s):
    """(x_t, x0_pred) of every step of one run through sample_steps, nobody else around."""
    return [(step.x_t.clone(), step.x0_pred.clone()) for step in model.sample_steps(**s)]


def record(step):
    return step.x_t.clone(), step.x0_pred.clone()


def same(frames_a, frames_b):
    return len(frames_a) == len(frames_b) and all(
        torch.equal(xa, xb) and torch.equal(pa, pb) for (xa, pa), (xb, pb) in zip(frames_a, frames_b))


def candidate_model(**options):
    """An untrained U-Net of another layout (self-attention at 7x7: its matrix products are per
    sample too; AdaGN: a scale and shift per sample)."""
    torch.manual_seed(0)
    return Diffusion(UNetConfig(**options))


@pytest.mark.parametrize("which", [{}, {"attention_heads": 4}, {"attention_heads": 4, "scale_shift": True}],
                         ids=["shipped", "attention", "attention+adagn"])
def test_pair_kernels_do_not_depend_on_the_rest_of_the_batch(model, which):
    model = candidate_model(**which) if which else model
    g = torch.Generator().manual_seed(0)
    x = torch.randn(12, 1, 28, 28, generator=g)
    t = torch.randint(0, 1000, (12,), generator=g)
    y = torch.randint(0, 11, (12,), generator=g)
    whole = model.predict_eps(x, t, y)
    for size in (2, 4, 6):                                     # split at pair boundaries
        parts = torch.cat([model.predict_eps(x[i:i + size], t[i:i + size], y[i:i + size]) for i in range(0, 12, size)])
        assert torch.equal(parts, whole), size
    alone = model.predict_eps(x[:1], t[:1], y[:1])             # an odd batch: its pair is filled with a blank
    assert torch.equal(alone, model.predict_eps(torch.cat([x[:1], 0 * x[:1]]), t[:2], y[:2])[:1])
    with torch.no_grad():                                     # the same numbers as the plain U-Net, to float error
        assert torch.allclose(whole, model.unet(x, t, y), atol=1e-4)


def test_pair_kernels_compute_the_layers():
    layer, conv = torch.nn.Linear(5, 3), torch.nn.Conv2d(2, 4, 3, padding=1)
    x, images = torch.randn(5, 5), torch.randn(3, 2, 6, 6)
    with torch.no_grad(), PairKernels():
        out, out_images = layer(x), conv(images)
    assert out.shape == (5, 3) and out_images.shape == (3, 4, 6, 6)
    assert torch.allclose(out, layer(x).detach(), atol=1e-6)
    assert torch.allclose(out_images, conv(images).detach(), atol=1e-5)


@pytest.mark.parametrize("n", [1, 3, 8])
def test_overlapping_runs_are_byte_identical_to_runs_alone(model, digit, n):
    """Runs join at different ticks (one every other tick), so the batches mix runs at
    different steps, samplers and noise levels; each run's every step equals the run alone."""
    engine = Engine(model, threaded=False)
    runs = []
    while len(runs) < n or any(not run.over for run in runs):
        if len(runs) < n:
            runs.append(engine.submit(record=record, **settings(len(runs), digit)))
        engine.step()
        if len(runs) < n:
            engine.step()
    assert n == 1 or engine.ticks < sum(run.total for run in runs)      # the runs did share ticks
    for i, run in enumerate(runs):
        assert run.finished and same(run.frames, alone(model, settings(i, digit))), SETTINGS[i]


def test_a_stopped_run_leaves_at_the_next_tick_and_the_others_go_on(model, digit):
    engine = Engine(model, threaded=False)
    runs = [engine.submit(record=record, **settings(i, digit)) for i in range(3)]
    engine.step()
    engine.step()
    runs[1].cancel()
    engine.step()
    assert runs[1] not in engine.active and len(runs[1].frames) == 2
    while any(not run.over for run in runs):
        engine.step()
    assert engine.active == [] or all(run.over for run in engine.active)
    for i in (0, 2):
        assert same(runs[i].frames, alone(model, settings(i, digit)))


def test_an_error_in_one_run_does_not_touch_the_others(model, digit):
    def broken(step):
        if step.index == 2:
            raise ValueError("a broken recorder")
        return record(step)

    engine = Engine(model, threaded=False)
    good = engine.submit(record=record, **settings(0, digit))
    bad = engine.submit(record=broken, **settings(1, digit))
    while not (good.over and bad.over):
        engine.step()
    assert good.finished and same(good.frames, alone(model, settings(0, digit)))
    assert isinstance(bad.error, EngineError) and "a broken recorder" in str(bad.error)
    with pytest.raises(EngineError, match="press Generate again"):
        bad.wait(0)


def test_bad_values_are_refused_before_joining(model):
    engine = Engine(model, threaded=False)
    for bad, message in ((dict(steps=0), "steps must be"), (dict(guidance=-1), "guidance must be"),
                         (dict(sampler="euler"), "sampler must be one of ddim, ddpm"),
                         (dict(eta=2), "eta must be"), (dict(seed=-5), "seed")):
        with pytest.raises(ValueError, match=message):
            engine.submit(labels=[3], **bad)
    assert engine.load() == (0, 0)


def test_runs_beyond_the_batch_wait_in_line(model):
    engine = Engine(model, max_runs=2, threaded=False)
    runs = [engine.submit(labels=[d], seed=d, steps=2 + d) for d in range(4)]
    assert [run.position for run in runs] == [1, 2, 3, 4]
    engine.step()
    assert [run.position for run in runs] == [0, 0, 1, 2] and engine.load() == (2, 2)
    assert runs[0].peers == 1
    engine.step()
    engine.step()                                             # run 0 (2 steps) is done: run 2 moves up
    assert [run.position for run in runs[2:]] == [0, 1]


def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_runs_alone_take_turns_in_their_line(model):
    """One slot: the second and third runs wait, told their places, taking no step; a run
    cancelled while waiting leaves the line; when the slot frees, the next run goes, whole."""
    line = Line(1)
    first = run_alone(model, [1], seed=1, steps=1000, line=line)
    second, third = (run_alone(model, [d], seed=d, steps=3, line=line) for d in (2, 3))
    until(lambda: first.frames and (second.position, third.position) == (1, 2))
    second.cancel()
    until(lambda: third.position == 1)
    assert not second.frames and not third.frames and not first.over
    first.cancel()
    assert len(third.engine.drain(third)) == 3 and not second.frames
    assert line.slots == 1 and line.waiting == []


def test_the_thread_serves_runs_submitted_from_many_threads(model, digit):
    engine = Engine(model)
    results = {}

    def visitor(i):
        results[i] = engine.drain(engine.submit(record=record, **settings(i, digit)), timeout=120)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    for i in range(3):
        assert same(results[i], alone(model, settings(i, digit)))


class Killed(BaseException):
    """Ends the engine thread, as a crash of the worker would."""


def test_when_the_worker_dies_runs_are_told_and_the_engine_restarts(model):
    engine = Engine(model)
    forward, calls = engine.forward, []

    def dying(*args):
        calls.append(1)
        if len(calls) == 3:
            raise Killed()
        return forward(*args)

    engine.forward = dying
    run = engine.submit(labels=[3], seed=0, steps=20)
    with pytest.raises(EngineError, match="engine stopped"):
        engine.drain(run, timeout=60)
    engine.thread.join(timeout=10)
    assert not engine.alive and len(run.frames) == 2
    engine.forward = forward
    again = engine.submit(labels=[3], seed=0, steps=5)       # a new thread takes over
    assert len(engine.drain(again, timeout=60)) == 5 and engine.alive
