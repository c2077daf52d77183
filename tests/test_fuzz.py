"""Every public endpoint fuzzed through gradio_client with hypothesis.

Each call either succeeds or gets an error in the app's own words: never Gradio's generic
"the upstream app raised an exception", never a raw Python message, never a hang, and the
server keeps answering. Values that are certainly invalid for their parameter (NaN, a number
no range allows, a choice not offered, a path that is not an upload...) are marked as they
are drawn, and such a call must be refused, with a message naming what is allowed. Valid values
are kept cheap (a few steps, small images) so the whole file runs in a few minutes; huge and
invalid values are sent as they are.
"""

import json
import math
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from local_client import local_client
from ui import finetune

# A call slower than this counts as a hang: the slowest allowed call is a fine-tune of
# GENAI_FT_MAX_SECONDS, plus its preview pictures and its turn in the queue.
CALL_TIMEOUT = finetune.MAX_SECONDS + 60
GENERIC = re.compile(r"upstream|has not enabled verbose error|raised an exception", re.I)
# The app's words for a refused value: "<name> must be <what is allowed>[, got <value>]", from
# genai/checks.py, the tabs' checks and ui.common; in Chinese "<name> 必须是 ..."; and
# genai.images.prepare_digit's words for a picture with no digit in it.
MUST = re.compile(r"(^|: )[^:\n]{1,40}? must (be|have|not|come) \S|必须|"
                  r"picture is blank: draw or upload a digit|image is empty \(0 pixels\)")
# The app's words for a call that cannot run in the session's state (whatever its values).
SITUATION = re.compile(r"^(No examples yet: draw a digit|Tick at least one digit|A fine-tune is already running|"
                       r"A fine-tune is running: press Stop first|Nothing to stop: press Start|There are no examples to "
                       r"remove|Click an example in the gallery first|You have \d+ examples, the most allowed|"
                       r"Place at least \d+ points first|At most \d+ points|Nothing drawn yet: draw a digit)")
FUZZ_THREADS = 2          # visitors fuzzing at once
CHEAP = {"steps": (1, 3), "seconds": (1, 2), "frames": (2, 4)}   # valid values that stay fast
STATS = Counter()
STATS_LOCK = threading.Lock()        # endpoints are fuzzed from two threads: `+=` on a Counter is not atomic
ERRORS = []               # (endpoint, kwargs, message) of every bad answer, for the report
FIRST = {}                # the first answer of still_serving's call
API = {}                  # client.src -> its endpoints, for raw calls


# ----------------------------------------------------------------------------- calling

def count(key: str, amount: float = 1) -> None:
    with STATS_LOCK:
        STATS[key] += amount


def call(client, api_name: str, invalid: frozenset = frozenset(), must_answer: bool = False, **kwargs):
    """One call: its result, or the server's error message as a string. Fails on a hang, on
    Gradio's generic error, on an error not in the app's words, on a call that succeeds
    although `invalid` names parameters given values no check may accept, and on any error
    when `must_answer`."""
    count("calls")
    start = time.perf_counter()
    try:
        if json_compliant(kwargs) and not any(map(names_a_path, kwargs.values())):
            job = client.submit(api_name=api_name, **kwargs)
            result = job.result(timeout=CALL_TIMEOUT)
        else:
            job = None
            result = raw_call(client, api_name, kwargs)
    except TimeoutError:
        count("hangs")
        if job is not None:
            job.cancel()
        raise AssertionError(f"{api_name}{kwargs!r:.200} did not answer within {CALL_TIMEOUT} s") from None
    except Exception as e:             # gradio_client's AppError carries the server's message
        message = str(e)
        count("errors")
        if GENERIC.search(message):
            count("generic")
            ERRORS.append((api_name, kwargs, message))
            raise AssertionError(f"{api_name}{kwargs!r:.300}: generic error {message!r:.300}")
        assert MUST.search(message) or SITUATION.search(message), \
            f"{api_name}{kwargs!r:.300}: not the app's words {message!r:.300}"
        assert not must_answer, f"{api_name}{kwargs!r:.200}: refused {message!r:.300}"
        if invalid:
            count("refused")
        return message
    finally:
        count("seconds", time.perf_counter() - start)
    assert not invalid, f"{api_name}{kwargs!r:.300}: accepted invalid {sorted(invalid)}, answered {result!r:.200}"
    count("ok")
    return result


def names_a_path(value) -> bool:
    """A FileData that names a path instead of coming from handle_file, or the name of a file
    that exists: gradio_client would upload that file for us, so it is sent raw, as a script
    could, and the server sees the path."""
    if isinstance(value, str):
        return os.path.exists(value)
    return isinstance(value, dict) and "path" in value and "orig_name" not in value


def json_compliant(value) -> bool:
    try:
        json.dumps(value, allow_nan=False, default=str)
        return True
    except ValueError:
        return False


def raw_call(client, api_name: str, kwargs: dict):
    """Send NaN and infinity the way a script can (gradio_client refuses to): the bare
    tokens in the request body of Gradio's REST API, which Python's JSON parser accepts;
    and paths on the server as they are."""
    if client.src not in API:
        API[client.src] = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    params = API[client.src][api_name]["parameters"]
    data = [upload(client, v) for v in (kwargs.get(p["parameter_name"], p.get("parameter_default"))
                                        for p in params)]
    url = f"{client.src.rstrip('/')}/gradio_api/call{api_name}"
    posted = httpx.post(url, content=json.dumps({"data": data}), headers={"Content-Type": "application/json"},
                        timeout=CALL_TIMEOUT)
    posted.raise_for_status()
    event = None
    with httpx.stream("GET", f"{url}/{posted.json()['event_id']}", timeout=CALL_TIMEOUT) as answer:
        lines = answer.iter_lines()
        while True:
            try:
                line = next(lines)
            except StopIteration:
                break
            except httpx.TimeoutException:
                raise TimeoutError from None
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.split(":", 1)[1].strip()
                answer = json.loads(payload) if payload else None
                if event == "complete":
                    return answer
                message = answer.get("error") if isinstance(answer, dict) else answer
                raise RuntimeError(message or "The upstream Gradio app has raised an exception (no message)")
    raise RuntimeError("The upstream app closed the stream without an answer")


def upload(client, value):
    """A handle_file(...) value -> the server's copy, uploaded the way gradio_client does."""
    if not (isinstance(value, dict) and "orig_name" in value):
        return value
    with open(value["path"], "rb") as f:
        answer = httpx.post(f"{client.src.rstrip('/')}/gradio_api/upload", files={"files": f}, timeout=60)
    answer.raise_for_status()
    return {"path": answer.json()[0], "meta": {"_type": "gradio.FileData"}}


# ----------------------------------------------------------------------------- values

OMIT = object()          # leave the parameter out: its default is used

bad_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([-1, 0, -0.5, 0.5, 1.5, 1e9, -1e9, 1e300, 2**31, 2**63, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
wrong_types = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["", " ", "abc", "1e999", "nan", "-1", "3", "٣", "none"]),
    st.text(max_size=8), st.lists(st.integers(-3, 12), max_size=3),
    st.dictionaries(st.sampled_from(["path", "url", "a"]), st.text(max_size=4), max_size=2),
)


def cheap_valid(name: str, param: dict):
    """Values the parameter accepts, kept cheap to compute."""
    if name in CHEAP:
        return st.integers(*CHEAP[name])
    choices = re.findall(r"'([^']*)'", param["python_type"]["type"])
    if choices:
        if param["python_type"]["type"].startswith("list"):
            return st.lists(st.sampled_from(choices), max_size=3)
        return st.sampled_from(choices)
    if param["python_type"]["type"] in ("float", "int"):
        return st.one_of(st.integers(0, 9), st.floats(-3, 3, allow_nan=False))
    return st.just(OMIT)


def certainly_invalid(param: dict, value) -> bool:
    """Whether no check of this parameter may accept `value`: not a number for a number, a
    choice not offered, a number beyond every range the app has (seeds end at 2**63 - 1).
    Values that might be valid (None, a small number outside one tab's range) are not marked."""
    kind = param["python_type"]["type"]
    choices = re.findall(r"'([^']*)'", kind)
    if value is None or value is OMIT or "|" in kind:
        return False
    if kind.startswith("list[") and choices:
        return not isinstance(value, list) or any(not_a_choice(v, choices) for v in value)
    if choices:
        return not_a_choice(value, choices)
    if kind in ("float", "int"):
        return not_a_number(value)
    return False


def not_a_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True                   # check_range takes numbers only, strings too are refused
    return not math.isfinite(value) or abs(value) >= 2**63


def not_a_choice(value, choices: list[str]) -> bool:
    if isinstance(value, str):
        return value.strip() not in choices
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return not math.isfinite(value) or value != int(value) or str(int(value)) not in choices


def value_for(name: str, param: dict):
    """A strategy for (value, whether it is certainly invalid)."""
    value = st.one_of(st.just(OMIT), cheap_valid(name, param), bad_numbers, wrong_types)
    return value.map(lambda v: (v, certainly_invalid(param, v)))


def kwargs_for(endpoint: dict):
    """A strategy for one call's keyword arguments, each a (value, invalid) pair (files
    handled separately)."""
    fields = {}
    for p in endpoint["parameters"]:
        name = p["parameter_name"]
        if p["python_type"]["type"] == "filepath":
            fields[name] = st.just((FILE, False))
        else:
            fields[name] = value_for(name, p)
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v[0] is not OMIT})


FILE = object()          # placeholder: replaced by a picture file (see `pictures`)


# ----------------------------------------------------------------------------- pictures

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"]


def seven(mode: str, size=(56, 56)) -> Image.Image:
    """A stroke on a plain background in any PIL mode."""
    a = np.zeros(size[::-1], np.float32)
    a[8:12, 10:46] = 1
    for i in range(12, 50):
        a[i, 44 - (i - 12) // 2: 48 - (i - 12) // 2] = 1
    if mode in ("I;16", "I", "F"):
        scale = {"I;16": 65535, "I": 100000, "F": 1.0}[mode]
        return Image.fromarray((a * scale).astype({"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]),
                               mode if mode != "I;16" else "I;16")
    return Image.fromarray((a * 255).astype(np.uint8), "L").convert(mode)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """Files a visitor might upload: a digit in every mode, a 1x1, a blank, a huge one,
    an empty file, a truncated PNG, text, random bytes."""
    folder = tmp_path_factory.mktemp("fuzz")
    good, bad = [], []
    for mode in MODES:
        path = folder / f"seven-{mode.replace(';', '')}.{'tiff' if mode in ('I', 'F') else 'png'}"
        seven(mode).save(path)
        good.append(path)
    for name, image in [("one.png", Image.new("L", (1, 1), 255)), ("blank.png", Image.new("L", (64, 64), 0)),
                        ("huge.png", Image.new("L", (10000, 10000), 0)),
                        ("tall.png", Image.new("RGB", (1, 3000), "white"))]:
        image.save(folder / name)
        bad.append(folder / name)
    (folder / "empty.png").write_bytes(b"")
    data = (folder / "seven-L.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "notes.txt").write_text("not a picture")
    (folder / "noise.jpg").write_bytes(np.random.default_rng(0).bytes(2000))
    bad += [folder / n for n in ("empty.png", "truncated.png", "notes.txt", "noise.jpg")]
    return {"good": good, "bad": bad}


def file_values(pictures):
    """Upload strategies, each a (value, invalid) pair: real files (the bad ones invalid), and
    values that are not uploads at all (paths on the server, URLs, numbers), invalid but None
    (an endpoint may have a default picture): the server must never open a path a visitor sends."""
    good = st.sampled_from(pictures["good"]).map(lambda p: (handle_file(str(p)), False))
    bad = st.sampled_from(pictures["bad"]).map(lambda p: (handle_file(str(p)), True))
    not_uploads = st.sampled_from([None, "", "/etc/passwd", "../app.py", "app.py", 7, 2.5, ["a"], {},
                                   {"path": "app.py"}, {"path": "/etc/passwd", "meta": {"_type": "x"}},
                                   {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}},
                                   {"path": "app.py", "meta": {"_type": "gradio.FileData"}}])
    return st.one_of(good, bad, not_uploads.map(lambda v: (v, v is not None)))   # None: the default, if any


# ----------------------------------------------------------------------------- the fuzz

@pytest.fixture(scope="module")
def api(client):
    return client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def fuzz_one(client, api, pictures, api_name: str, examples: int) -> str | None:
    """Hypothesis on one endpoint; returns the failure (shrunk) or None."""
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate], report_multiple_bugs=False)
    @given(data=st.data())
    def run(data):
        drawn = data.draw(kwargs_for(api[api_name]), label="kwargs")
        drawn = {k: (data.draw(file_values(pictures), label=k) if v[0] is FILE else v) for k, v in drawn.items()}
        kwargs = {k: v for k, (v, _) in drawn.items()}
        if api_name == "/playground_step" and isinstance(kwargs.get("steps"), int) and 20 < kwargs["steps"] <= 3000:
            kwargs["steps"] = 20                  # valid step counts train for seconds: keep them short
        call(client, api_name, invalid=frozenset(k for k, (_, bad) in drawn.items() if bad), **kwargs)
    try:
        run()
    except Exception as e:
        inner = "".join(f"\n  {x}" for x in getattr(e, "exceptions", ()))     # hypothesis's flaky reports
        return f"{api_name}: {e}{inner}"
    return None


def test_fuzz_every_public_endpoint(app_url, api, pictures):
    """Every endpoint the app lists, 30 random calls each (fine-tuning 12: it trains). Two
    visitors fuzz at once, each its own session, an endpoint at a time: a call spends about half
    its time waiting (gradio_client polls for messages every 50 ms), so a second caller keeps
    the server busy meanwhile (docs/suite.md)."""
    def fuzz(names: list[str]) -> list[str]:
        """One visitor: its endpoints in order, the same every run (a session's state carries over)."""
        client, failures = local_client(app_url), []
        for api_name in names:
            failures.append(fuzz_one(client, api, pictures, api_name, 12 if api_name.endswith("_finetune") else 30))
            still_serving(client)
        return [f for f in failures if f]

    names = sorted(a for a in api if os.environ.get("FUZZ_ONLY", "") in a)      # FUZZ_ONLY: debugging
    with ThreadPoolExecutor(FUZZ_THREADS) as pool:
        failures = sum(pool.map(fuzz, [names[i::FUZZ_THREADS] for i in range(FUZZ_THREADS)]), [])
    assert not failures, "\n\n".join(failures)


def test_every_picture_mode_and_size(client, pictures):
    """Each upload endpoint gets every file: good ones work, bad ones are refused, saying why."""
    uploads = {"/gan_discriminate": "image", "/vae_encode": "image", "/diffusion_img2img": "image",
               "/gan_finetune_add": "image", "/vae_interpolate": "image_a"}
    extra = {"/diffusion_img2img": {"steps": 2}, "/vae_interpolate": {"frames": 2}}
    for api_name, name in uploads.items():
        for path in pictures["good"]:
            args = {name: handle_file(str(path)), **extra.get(api_name, {})}
            if api_name == "/vae_interpolate":
                args["image_b"] = handle_file(str(path))
            answered(client, api_name, **args)
        for path in pictures["bad"]:
            args = {name: handle_file(str(path)), **extra.get(api_name, {})}
            if api_name == "/vae_interpolate":
                args["image_b"] = handle_file(str(pictures["good"][0]))
            message = call(client, api_name, invalid=frozenset([name]), **args)
            assert re.search("image|picture", message), f"{api_name} {path.name}: {message}"
        call(client, "/gan_finetune_clear")
    still_serving(client)


def test_a_path_that_is_not_an_upload_is_refused_in_the_apps_words(client, pictures):
    """A real picture on the server, outside Gradio's upload cache, named in every shape a
    caller could: refused (the same file uploaded is read fine, so a refusal means it was not
    opened), and the caller is told why in the app's words."""
    seven = str(pictures["good"][1])                     # exists on the server, never uploaded
    for api_name in ("/vae_encode", "/gan_discriminate"):
        answered(client, api_name, image=handle_file(seven))
        message = call(client, api_name, invalid=frozenset(["image"]),
                       image={"path": seven, "meta": {"_type": "gradio.FileData"}})
        assert "files must be uploaded to this server first" in message, message
        for shape in (seven, {"path": seven}, {"path": seven, "meta": {"_type": "x"}}, {"url": seven}):
            message = call(client, api_name, invalid=frozenset(["image"]), image=shape)
            assert "uploaded with handle_file(path)" in message, (shape, message)


def answered(client, api_name: str, **kwargs):
    """A call that must succeed: its result."""
    return call(client, api_name, must_answer=True, **kwargs)


def still_serving(client):
    """A plain call still answers, with the same pixels as the first time it was asked."""
    with open(answered(client, "/gan_generate", seed=1234), "rb") as f:
        pixels = np.asarray(Image.open(f))
    first = FIRST.setdefault("gan_generate 1234", pixels)
    assert pixels.shape[:2] == (224, 224) and np.array_equal(pixels, first)


def test_zz_totals():
    """Runs last (by name): the counts the issue asks for."""
    print(f"\nfuzz: {STATS['calls']} calls, {STATS['ok']} answered, {STATS['errors']} errors "
          f"({STATS['refused']} of them calls marked invalid), {STATS['generic']} generic, {STATS['hangs']} hangs, "
          f"{STATS['seconds']:.0f} s in calls")
    assert STATS["calls"] >= 1000 and STATS["refused"] >= 300
    assert STATS["generic"] == 0 and STATS["hangs"] == 0
