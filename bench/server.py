"""The app as shipped (app.demo, same page, same events) plus a few endpoints the benchmarks compare.

    python -m bench.server --port 7871 [--threads 1]

Added, all public so the load generator can find them by api_name:
    bench_trivial        takes the GAN sliders' nine values, does no model work and returns what the
                         GAN slider event returns: a 224x224 PNG digit and a one-line verdict
    bench_gan_c1/c2/c4   the GAN slider's work (G with the six PC amounts, then D's verdict), no
                         cache, in its own concurrency pool of 1, 2 or 4
    bench_gan_batch      the same work with batch=True (up to 16 events per call), pool of 1
    bench_stream_log     times (epoch seconds) at which the page's last diffusion run yielded
A visible row at the bottom of the page (#bench-slider -> #bench-image) runs bench_trivial's
handler from a slider: the browser benchmark's trivial baseline.
"""

import argparse
import itertools
import os
import threading
import time

import gradio as gr
import torch

POOL = 1024             # distinct pictures the trivial handler cycles through, like real digits
MAX_BATCH = 16


def gan_batch(seeds, labels, truncations, *amounts):
    """The GAN slider's work for a batch of events: lists in, [pictures, verdicts] out."""
    from genai.images import to_uint8
    from ui import common, gan_tab
    gan = common.model("gan")
    directions, stds = gan_tab._directions()
    labels = [int(label) for label in labels]
    z = torch.cat([gan.latents(1, int(s), float(t)) for s, t in zip(seeds, truncations)])
    moves = torch.tensor([[float(a) for a in row] for row in zip(*amounts)]) * stds
    x = gan.render(z, labels, directions, moves)
    p = gan.realness(x, labels)
    pictures = [common.picture(d) for d in to_uint8(x)]
    verdicts = [gan_tab._verdict(float(pi), label, "this picture") for pi, label in zip(p, labels)]
    return [pictures, verdicts]


def gan_single(seed, label, truncation, *amounts):
    """One event of the same work (a batch of one)."""
    pictures, verdicts = gan_batch([seed], [label], [truncation], *[[a] for a in amounts])
    return pictures[0], verdicts[0]


def add_bench_events(demo):
    """Attach the comparison endpoints and the trivial slider row to `demo` (the app's Blocks)."""
    from genai.images import to_uint8
    from ui import common
    gan = common.model("gan")
    digits = to_uint8(gan.render(gan.latents(POOL, 12345, 0.8), [i % 10 for i in range(POOL)]))
    pictures = [common.picture(d) for d in digits]
    counter = itertools.count()
    lock = threading.Lock()

    def trivial(*values):
        """No model work: the next precomputed picture, and a verdict line."""
        with lock:
            i = next(counter) % POOL
        return pictures[i], "**D(x) = 50%**: the critic's probability that this picture is a real digit."

    stream_log: list[float] = []

    def wrap_stream(fn):
        async def logged(*args, **kwargs):
            stream_log.clear()
            async for out in fn(*args, **kwargs):
                if isinstance(out[0], str):             # a frame (not the run's state, not its place in line)
                    stream_log.append(time.time())
                yield out
        return logged

    for block_fn in demo.fns.values():
        if block_fn.name == "sample_live":          # the page's streamed run (an async generator)
            block_fn.fn = wrap_stream(block_fn.fn)

    with demo:
        with gr.Row(visible=False):
            inputs = [gr.Number(0), gr.Number(7), gr.Number(0.8)] + [gr.Number(0.0) for _ in range(6)]
            image = gr.Image(format="png", type="numpy")
            verdict = gr.Markdown()
            log = gr.JSON()
        triggers = []
        for name, fn, extra in (("bench_trivial", trivial, dict(concurrency_limit=2)),
                                ("bench_gan_c1", gan_single, dict(concurrency_limit=1)),
                                ("bench_gan_c2", gan_single, dict(concurrency_limit=2)),
                                ("bench_gan_c4", gan_single, dict(concurrency_limit=4)),
                                ("bench_gan_batch", gan_batch, dict(concurrency_limit=1, batch=True,
                                                                    max_batch_size=MAX_BATCH))):
            triggers.append(gr.on([], fn, inputs, [image, verdict], api_name=name, concurrency_id=name,
                                  show_progress="hidden", **extra))
        gr.on([], lambda: list(stream_log), None, log, api_name="bench_stream_log")
        with gr.Row():
            slider = gr.Slider(-3, 3, 0.0, step=0.1, label="bench: trivial handler", elem_id="bench-slider")
            picture = gr.Image(pictures[0], format="png", type="numpy", interactive=False, height=240, elem_id="bench-image",
                               label="bench: trivial output")
        slider.input(lambda v: trivial(v)[0], slider, picture, trigger_mode="always_last",
                     show_progress="hidden", api_visibility="private", concurrency_id="bench_trivial")
    return demo


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7870")))
    p.add_argument("--threads", type=int, help="torch threads in the server (default: what app.py picks, "
                                               "GENAI_THREADS or 1)")
    args = p.parse_args(argv)
    if args.threads:
        os.environ["GENAI_THREADS"] = str(args.threads)      # app.py reads it at import
    import app
    if args.threads:
        torch.set_num_threads(args.threads)
    add_bench_events(app.demo)
    app.demo.launch(server_name="127.0.0.1", server_port=args.port, quiet=True, **app.LAUNCH)


if __name__ == "__main__":
    main()
