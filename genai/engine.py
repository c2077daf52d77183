"""Continuous batching for step-wise samplers (diffusion, flow matching): every visitor's run
shares one U-Net call per tick.

A lesson in serving, in the way LLM servers (Orca, vLLM) and diffusion servers batch:

    submit()   a run is checked, then waits in line           (bad values never join)
    tick       every active run advances by one step:
                 1. each run says what its U-Net call needs  (ReverseRun / FlowRun .unet_inputs)
                 2. ONE U-Net forward on all of them         (per-sample t, label, guidance)
                 3. each run takes its own step              (.advance: its own noise)
    join/leave runs join and leave between ticks: a 50-step DDIM run and a 1000-step DDPM
               run share ticks until the short one is done; a stopped run is gone at the
               next tick and its memory with it.

Pictures do not depend on who else is in the batch: each run draws its noise from its own
generator, and the U-Net's kernels see the batch a pair of samples at a time, each pair one
run's own (diffusion.PairKernels), so a run's pictures are byte-identical to the same run
through `sample_steps`.

The engine works in one thread of its own, at a lower OS priority where the system allows
(Linux: a thread has its own nice value): the server's light events (sliders) go first and
the engine takes the CPU they leave. If a tick fails, only the runs it touched get the error;
if the thread dies, the runs get a clear error and the next submit starts a new thread.

A model nobody else runs (a visitor's fine-tuned copy) cannot share a batch: `run_alone` gives
its run the same Run and the same ticks, in a thread that ends with the run.
"""

import logging
import os
import threading
import time
from collections import deque
from typing import Callable

import torch

from .diffusion import NULL_CLASS, PAIR

MAX_RUNS = 16        # runs advanced together in one tick; the others wait in line
NICE = 10            # the engine thread's OS priority, below the request threads' 0

log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """A run could not finish: the engine failed while it was running."""


class Run:
    """One submitted run, as its visitor sees it. The engine thread writes, the visitor's
    thread reads: `wait` blocks until there is something new."""

    def __init__(self, sampling, record: Callable, engine: "Engine"):
        self.sampling, self.record, self.engine = sampling, record, engine
        self.total = len(sampling.ts)
        self.frames: list = []          # record(step) for every step taken so far
        self.t: list[int] = []          # the noise level each frame started from
        self.error: Exception | None = None
        self.cancelled = False
        self.position = 0               # 1, 2, ...: place in line while waiting; 0 once running
        self.peers = 0                  # other runs in this run's last tick

    @property
    def finished(self) -> bool:
        return len(self.frames) == self.total

    @property
    def over(self) -> bool:
        return self.finished or self.cancelled or self.error is not None

    def cancel(self) -> None:
        """Leave the batch at the next tick (Stop, or the visitor left); no frame is added after
        this returns."""
        with self.engine.changed:
            self.cancelled = True
            self.engine.changed.notify_all()

    def wait(self, seen: int, timeout: float = 1.0) -> int:
        """Block until more than `seen` frames exist, the run is over, or `timeout` passes;
        returns the number of frames. Raises EngineError if the run failed."""
        with self.engine.changed:
            self.engine.changed.wait_for(lambda: len(self.frames) > seen or self.over
                                         or not self.engine.alive, timeout)
        if self.error is not None:
            raise self.error
        if not self.engine.alive and not self.over:
            raise EngineError("the sampling engine stopped; press Generate again")
        return len(self.frames)


class Engine:
    """Advance every active run by one step per tick, in one U-Net call. The model is a
    Diffusion or a FlowMatching: anything with start(labels, **settings) -> a run (ts,
    unet_inputs, advance, done) and predict(x, t, y) -> the U-Net's answer."""

    def __init__(self, model, max_runs: int = MAX_RUNS, nice: int = NICE, threaded: bool = True):
        """threaded=False: no thread of its own; call step() to tick (tests use it to place
        joins and leaves exactly)."""
        self.model, self.max_runs, self.nice, self.threaded = model, max_runs, nice, threaded
        self.active: list[Run] = []
        self.waiting: deque[Run] = deque()
        self.changed = threading.Condition()     # guards active/waiting; notified after every tick
        self.thread: threading.Thread | None = None
        self.ticks = 0

    # ------------------------------------------------------------------ the visitor's side

    def submit(self, labels, record: Callable = lambda step: step, **settings) -> Run:
        """Check the settings (ValueError names what is allowed), then join the line.
        `record` turns each Step into what the run keeps (the app keeps two small pictures)."""
        run = Run(self.model.start(labels, **settings), record, self)
        with self.changed:
            self.waiting.append(run)
            self._number_the_line()
            if self.threaded:
                self._ensure_thread()
            self.changed.notify_all()
        return run

    @property
    def alive(self) -> bool:
        return not self.threaded or (self.thread is not None and self.thread.is_alive())

    def load(self) -> tuple[int, int]:
        """(runs in the batch, runs waiting in line)."""
        with self.changed:
            return (sum(not run.over for run in self.active), sum(not run.over for run in self.waiting))

    # ------------------------------------------------------------------ the engine's side

    def _ensure_thread(self) -> None:
        if not self.alive:
            self.thread = threading.Thread(target=self._work, name=f"{self.model.family}-engine", daemon=True)
            self.thread.start()

    def _number_the_line(self) -> None:
        for place, run in enumerate(self.waiting, 1):
            run.position = place

    def _admit(self) -> list[Run]:
        """Between ticks: drop runs that are over, let waiting runs in while there is room."""
        self.active = [run for run in self.active if not run.over]
        while self.waiting and len(self.active) < self.max_runs:
            run = self.waiting.popleft()
            if not run.over:
                run.position = 0
                self.active.append(run)
        self._number_the_line()
        return list(self.active)

    def step(self) -> int:
        """One tick: admit, advance every active run, tell the waiting visitors. Returns the
        number of runs advanced."""
        with self.changed:
            batch = self._admit()
        self.tick(batch)
        with self.changed:
            self.changed.notify_all()
        return len(batch)

    def _busy(self) -> bool:
        return any(not run.over for run in (*self.active, *self.waiting))

    def _work(self) -> None:
        _lower_priority(self.nice)
        try:
            while True:
                with self.changed:
                    self.changed.wait_for(self._busy)
                self.step()
        except BaseException as e:           # the thread dies: say so to every run it leaves behind
            with self.changed:
                for run in (*self.active, *self.waiting):
                    if not run.over:
                        run.error = EngineError(f"the sampling engine stopped ({type(e).__name__}); "
                                                "press Generate again")
                self.active, self.waiting = [], deque()
                self.changed.notify_all()
            log.exception("the sampling engine's thread stopped; the next run starts a new one")

    def tick(self, batch: list[Run]) -> None:
        """One step for every run in `batch`, with one U-Net call between them."""
        batch = [run for run in batch if not run.over]
        if not batch:
            return
        inputs = [_in_pairs(*run.sampling.unet_inputs()) for run in batch]     # (x, t, y, own)
        x, t, y = (torch.cat([inp[k] for inp in inputs]) for k in range(3))
        try:
            eps = self.forward(x, t, y)
        except Exception as e:                   # the shared call failed: every run in it stops
            for run in batch:
                run.error = EngineError(f"the sampling step failed ({e}); press Generate again")
            return
        taken = []
        for run, part, (*_, own) in zip(batch, eps.split([len(inp[0]) for inp in inputs]), inputs):
            try:                                 # a run that fails here fails alone
                step = run.sampling.advance(part[:own])
                if step is not None:             # None: a look within a step (Heun's first)
                    taken.append((run, step.t, run.record(step)))
            except Exception as e:
                run.error = EngineError(f"this run failed ({e}); press Generate again")
        with self.changed:                       # a run cancelled meanwhile gets no more frames
            for run, t, frame in taken:
                if not run.cancelled:
                    run.t.append(t)
                    run.frames.append(frame)
                    run.peers = len(batch) - 1
        self.ticks += 1

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The one U-Net call of a tick."""
        return self.model.predict(x, t, y)

    def step_until_over(self, run: Run) -> None:
        """Tick until `run` is over (finished, cancelled or failed): run_alone's thread."""
        _lower_priority(self.nice)
        try:
            while not run.over:
                self.step()
        except BaseException as e:               # the run is told, never left waiting forever
            with self.changed:
                run.error = EngineError(f"the sampling stopped ({type(e).__name__}); press Generate again")
                self.changed.notify_all()
            log.exception("a run of its own stopped")

    def drain(self, run: Run, timeout: float = 600.0) -> list:
        """Wait for `run` to end; its frames (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while not run.over and time.monotonic() < deadline:
            run.wait(len(run.frames), timeout=0.5)
        if run.error is not None:
            raise run.error
        return run.frames


class Line:
    """At most `slots` runs alone at once (each is a whole U-Net per step: thirty at once would
    make every one thirty times slower); the others wait in order, each told its place
    (Run.position, as in the engine's line). A run cancelled while waiting leaves the line."""

    def __init__(self, slots: int):
        self.slots, self.waiting = slots, []
        self.changed = threading.Condition()

    def enter(self, run: Run) -> bool:
        """Block until `run` may go (True), or it was cancelled while waiting (False)."""
        with self.changed:
            self.waiting.append(run)
            while True:
                self.waiting = [r for r in self.waiting if not r.over]
                if run.over:
                    self._number()
                    return False
                if self.slots > 0 and self.waiting[0] is run:
                    self.slots -= 1
                    self.waiting.pop(0)
                    self._number()
                    self.changed.notify_all()        # the next in line may take another free slot
                    return True
                self._number()
                self.changed.wait(timeout=0.25)      # Run.cancel does not notify us: look again soon

    def leave(self) -> None:
        with self.changed:
            self.slots += 1
            self.changed.notify_all()

    def _number(self) -> None:
        for place, run in enumerate(self.waiting, 1):
            run.position = place


def run_alone(model, labels, record: Callable = lambda step: step, nice: int = NICE, line: Line | None = None,
              **settings) -> Run:
    """One run on a model of its own (a visitor's fine-tuned one: its U-Net calls cannot join
    the shared batch), stepped in a thread that ends with the run: the same Run (frames, cancel,
    wait) as a batched one, and once it is over nothing of it, the model included, is kept here.
    With a `line`, the run first waits for its turn there."""
    engine = Engine(model, max_runs=1, nice=nice, threaded=False)
    run = engine.submit(labels, record, **settings)          # bad settings raise here, before any thread

    def work():
        if line is None:
            engine.step_until_over(run)
        elif line.enter(run):
            try:
                engine.step_until_over(run)
            finally:
                line.leave()
    threading.Thread(target=work, name=f"{model.family}-run-alone", daemon=True).start()
    return run


def _in_pairs(x: torch.Tensor, t: torch.Tensor, y: torch.Tensor):
    """A run's U-Net inputs grown to whole pairs (diffusion.PairKernels), so that no pair holds
    two runs: (x, t, y, how many samples are the run's own)."""
    own, blanks = len(x), -len(x) % PAIR
    if blanks:
        x = torch.cat([x, x.new_zeros((blanks, *x.shape[1:]))])
        t, y = torch.cat([t, t[:1].expand(blanks)]), torch.cat([y, y.new_full((blanks,), NULL_CLASS)])
    return x, t, y, own


def _lower_priority(nice: int) -> None:
    """Give this thread a higher nice value (Linux: per thread) so request threads go first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):            # not Linux, or not allowed: same priority
        pass
