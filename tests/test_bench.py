"""Smoke tests of the benchmark suite: every benchmark runs in a tiny mode and reports what it
should. No timed assertions: these machines are shared and noisy; numbers live in docs/benchmarks.md."""

import json
import os
import sys

import pytest

from bench import __main__ as bench_main
from bench import coldstart, load


def test_handler_latency_tiny():
    from bench import latency
    results = latency.measure(repeats=2)
    assert set(results) == {"GAN latent slider", "VAE slider", "Latent-map click", "Forward-noise slider"}
    for r in results.values():
        assert r["calls"] == 2
        assert 0 < r["p50_ms"] <= r["with_png_p50_ms"]


def test_toy2d_tiny():
    """The playground against the clock, for a moment: the tab's own frame handler, with all
    families and with each alone, and the table that reports them."""
    from bench import toy2d
    from genai.toy2d import FAMILIES
    together = toy2d.in_the_tab("ring", seconds=1)
    assert together["steps"] > 0 and together["frames"] >= 1 and len(together["pictures"]) == 4
    assert set(together["precision_recall"]) == {"gan", "vae", "diffusion", "flow", "floor"}
    alone = {f: toy2d.in_the_tab("ring", seconds=0.3, families=[f], frame_steps=5) for f in FAMILIES}
    assert set(alone["vae"]["distance"]) == {"vae"} and alone["vae"]["steps"] % 5 == 0
    text = toy2d.table({"ring": together}, {"ring": alone})
    assert text.count("| ring | ") == 2 and "(the others unticked under *Train*" in text


def test_diffusion_speed_tiny(cannot_run):
    from bench import diffusion
    r = diffusion.measure(repeats=1, steps=2)
    assert r["steps"] == 2 and r["unet_params"] > 0
    assert r["ddim_one_digit_s"] > 0 and r["ddim_ten_digits_s"] > 0
    assert 0 <= r["bf16_max_pixel_diff"] <= 255
    if "diffusers_params" not in r:
        cannot_run("diffusers is not installed: no reference to compare with (pip install -r requirements-test.txt)")
    assert 0.8 < r["diffusers_params"] / r["unet_params"] < 1.25     # a reference of about the same size as ours


def test_percentile():
    assert load.percentile([], 50) is None
    assert load.percentile([3.0], 95) == 3.0
    assert load.percentile([1, 2, 3, 4, 5], 50) == 3
    assert load.percentile([0, 10], 95) == pytest.approx(9.5)


def test_load_generator_speaks_the_queue_protocol(app_url):
    """Two students, GAN and VAE sliders, one generating: every event answered, images fetched."""
    r = load.run(app_url, students=2, interval=(0.05, 0.1), duration=1.5, kinds=("gan", "vae"), diffusion=1,
                 server_pid=os.getpid())
    assert r["sliders"]["events"] > 0 and r["sliders"]["errors"] == 0, r["sliders"]
    assert set(r["by_kind"]) == {"gan", "vae"}
    assert r["diffusion"]["events"] >= 1 and r["diffusion"]["errors"] == 0, r["diffusion"]
    assert r["server_cpu_s"] >= 0 and r["loadgen_cpu_s"] >= 0


def test_load_generator_reports_errors(app_url):
    """A GAN event with a value out of range is counted as an error, not a crash."""
    session = load.Session(app_url)
    fn_index, n_inputs = load.read_config(app_url)["_show"]
    settings = [42, 7, 99.0, 0, 0, 0, 0, 0, 0]                  # then the fine-tune switch's inputs, empty
    answer = session.call(fn_index, load.page_inputs(settings, n_inputs))
    assert not answer["ok"] and "1.5" in answer["error"]          # the slider's maximum, named


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory):
    """`python -m bench.server` as a subprocess (the app plus the comparison endpoints)."""
    port = coldstart.free_port()
    proc, seconds = coldstart.start([sys.executable, "-m", "bench.server", "--port", str(port)], port,
                                    tmp_path_factory.mktemp("logs") / "server.log", timeout_s=180)
    yield proc, f"http://127.0.0.1:{port}"
    coldstart.stop(proc)


def test_bench_server_endpoints(bench_server):
    proc, url = bench_server
    names = load.read_config(url)
    for name in ("bench_trivial", "bench_gan_c1", "bench_gan_c2", "bench_gan_c4", "bench_gan_batch", "_show"):
        r = load.run(url, students=3, interval=(0.05, 0.1), duration=1.0, kinds=("gan",), server_pid=proc.pid,
                     fn_names={"gan": name})
        assert r["sliders"]["events"] > 0 and r["sliders"]["errors"] == 0, (name, r["sliders"])
        assert r["server_cpu_ms_per_event"] > 0
    assert "bench_stream_log" in names


def test_browser_tiny(bench_server, chromium):
    from bench import browser
    proc, url = bench_server
    r = browser.measure(url, presses=2, stream_runs=2, controls=browser.CONTROLS[:2])  # 2 runs: one may drop frames on a busy CPU
    for name in ("Trivial handler (baseline)", "GAN latent slider"):
        assert r[name]["presses"] == 2
        assert r[name]["measured"] + r[name]["missed"] == 2
    s = r["streaming"]
    assert s["runs"] >= 1 and s["server_steps"] == 50 and s["frames_shown"] >= 2


def _fake_results():
    sliders = {"events": 10, "errors": 0, "error_examples": [], "p50_ms": 30.0, "p95_ms": 90.0, "max_ms": 120.0,
               "mean_ms": 40.0, "per_s": 5.0}
    scenario = {"sliders": sliders, "diffusion": None, "duration_s": 5, "loadgen_cpu_s": 0.2,
                "server_cpu_ms_per_event": 20.0}
    handler = {"what": "x", "calls": 2, "p50_ms": 5.0, "p95_ms": 9.0, "with_png_p50_ms": 7.0, "with_png_p95_ms": 11.0}
    return {
        "quick": True, "cfg": bench_main.QUICK, "seconds": 100.0,
        "machine": {"cpu": "test CPU", "cores": 2, "torch_threads": 2, "torch": "t", "gradio": "g", "python": "p",
                    "date": "today", "training_running": False},
        "handlers": {"GAN latent slider": handler, "VAE slider": dict(handler, p50_ms=20.0)},
        "browser": {"GAN latent slider": {"presses": 2, "measured": 2, "missed": 0, "p50_ms": 50.0, "p95_ms": 70.0,
                                          "queue_requests_per_press": 1.0},
                    "streaming": {"runs": 1, "frames_shown": 50, "server_steps": 50, "browser_fps": 24.0,
                                  "server_fps": 25.0, "finish_lag_s": 0.1, "run_s": 2.0}},
        "browser_live": {"GAN latent slider": {"presses": 2, "measured": 2, "missed": 0, "p50_ms": 10.0, "p95_ms": 20.0,
                                               "requests_per_press": 0.0},
                         "first_load": {"bytes": 7e6, "runtime_and_models_bytes": 4.9e6, "reload_bytes": 1e6,
                                        "first_picture_s": 6.0, "first_live_picture_s": 6.5,
                                        "first_picture_without_runtime_s": 6.2}},
        "coldstart": {"runs_s": [5.0], "first_s": 5.0, "median_s": 5.0},
        "class": dict(scenario, diffusion=dict(sliders, p50_ms=2500.0, p95_ms=3000.0)),
        "burst": scenario, "trivial_burst": dict(scenario, server_cpu_ms_per_event=16.0),
        "growth": {n: scenario for n in (1, 5, 10, 30, 60)},
        "variants": {f"{fn}/threads={t}": scenario for fn in ("bench_gan_c1", "bench_gan_c2", "bench_gan_c4",
                                                                 "bench_gan_batch") for t in ("default", "1")},
    }


def test_report_and_plot(tmp_path):
    r = _fake_results()
    text = bench_main.report(r)
    assert text.startswith("# Benchmarks") and "test CPU" in text
    assert "| GAN latent slider" not in text          # rows say what they measure
    assert "Handler time: GAN latent slider" in text and "**PASS**" in text and "**MISS**" in text   # VAE p50 20 ms
    assert "## Growth" in text and "## What batching" in text and "Dynamic batching" in text
    assert "model in the page: key press → new picture, GAN latent slider" in text and "4.9 MB" in text
    bench_main.plot_growth(r, tmp_path / "growth.png")
    assert (tmp_path / "growth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.dumps(r)


def test_coldstart_reports_a_failing_server(tmp_path):
    with pytest.raises(RuntimeError, match="exited"):
        coldstart.start([sys.executable, "-c", "raise SystemExit(3)"], coldstart.free_port(), tmp_path / "log")


def test_first_use_tiny(app_url):
    """The first-use bench times a plain view, an upload and a streamed run through the public API,
    and its table reports them (the full bench: python -m bench.firstuse)."""
    from bench import firstuse
    only = {"/gan_generate", "/vae_encode", "/diffusion_sample"}
    results = firstuse.uses(app_url, later=1, only=only)
    assert {v["endpoint"] for v in results["views"].values()} == only
    for v in results["views"].values():
        assert 0 < v["first_frame_s"] <= v["first_s"] and len(v["later_s"]) == 1 and v["ratio"] > 0
    streamed = results["views"]["Diffusion: a 50-step DDIM run, streamed"]
    assert streamed["first_frame_s"] < streamed["first_s"]
    results.update(first_page_s=1.0, warm_up_s=None, load_average_before=0.0, load_average_after=0.0, cores=2, date="today")
    assert firstuse.report(results).count("| `/") == 3
