"""What a visitor's session costs the server, while it lasts and after the page has gone.

Gradio builds a SessionState for every new session: every page load and every plain REST call
(a notebook's `POST /gradio_api/call/...` without a session_hash). Its constructor computes the
config of every block of the page, ~560 here, although an event reads only the few it updates;
that made a GAN call in a new session cost ~50 ms of server CPU against ~8 ms for a trivial
app's (python -m bench.session). `lazy_session_configs` makes those configs computed when first
read, the same values, so a new session costs about what Gradio's own does.

`free_sessions_on_leave` frees what a closed page's session holds (tuned models, playgrounds,
stored runs) after a grace, instead of Gradio's hour; `one_arena` makes sure the memory it frees can
go back to the operating system.
"""

import ctypes
import datetime
import gc
import os
import threading
from copy import copy
from types import SimpleNamespace

import gradio as gr
import gradio.route_utils
import gradio.state_holder


class _LazyConfigs(dict):
    """Block configs of one session, each computed the first time it is read."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self._blocks_config, self._ids = blocks_config, ids

    def __missing__(self, key):
        value = self[key] = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        return value

    def __contains__(self, key):
        return key in self._ids or super().__contains__(key)

    def _all(self):
        for key in self._ids:
            self[key]                       # noqa: B018  (computes it)

    def items(self):                        # the deep-link route reads every config
        self._all()
        return super().items()

    def values(self):
        self._all()
        return super().values()


class LazySessionState(gradio.state_holder.SessionState):
    """Gradio's SessionState with block configs built on demand instead of all up front."""

    def __init__(self, blocks):
        super().__init__(_EMPTY_PAGE)            # Gradio's own set-up, for a page with no blocks
        self.blocks_config = copy(blocks.default_config)
        ids = {k for k in self.blocks_config.blocks if k in blocks.blocks}
        self.config_values = _LazyConfigs(self.blocks_config, ids)


_EMPTY_PAGE = SimpleNamespace(default_config=SimpleNamespace(blocks={}), blocks={})


def lazy_session_configs() -> None:
    """Make every new session build its block configs lazily (see the module docstring)."""
    gradio.state_holder.SessionState = LazySessionState
    gradio.route_utils.SessionState = LazySessionState


# ----------------------------------------------------------------------------- leaving

# Seconds a closed page's state is kept before it is freed (a reconnecting page keeps it).
LEAVE_GRACE_S = float(os.environ.get("GENAI_LEAVE_GRACE_S", "60"))


# glibc's malloc gives threads arenas of their own (up to 8 a core), and malloc_trim cannot shrink
# the top of a thread's arena, only the main one's; a thread's arena keeps up to 64 MB there once
# big tensors have passed through it. Fine-tunes and runs step in many worker threads, so the
# server's size crept up class after class. With one arena everything freed can be handed back
# (README, "Memory is bounded"; python -m bench.allocator measures what it costs).
_M_ARENA_MAX = -8               # mallopt's parameter number, from glibc's malloc.h


def one_arena() -> bool:
    """Make every thread allocate from glibc's main arena (unless MALLOC_ARENA_MAX says how
    many); returns whether it did. Call it before the threads start."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1) == 1
    except (OSError, AttributeError):          # not glibc (macOS, Windows, musl): nothing to do
        return False


def _release_freed_memory() -> None:
    """Hand freed memory back to the operating system. glibc keeps freed blocks for reuse,
    so without this a server's size only ever grows, even after every visitor has left."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):          # not glibc (macOS, Windows, musl): nothing to do
        pass


def free_sessions_on_leave(demo: gr.Blocks, grace: float = LEAVE_GRACE_S) -> None:
    """When a visitor closes or reloads the page, free what their session holds: tuned
    models, 2-D playground models, stored diffusion runs. Gradio alone keeps a closed
    session's state for an hour, and a class's worth of fine-tuned models is gigabytes.
    Each gr.State's delete_callback runs (the fine-tune panel's stops a run still going and
    removes its files). The state is kept for `grace` seconds first, and kept if the page sends
    anything in that time (its connection only blinked)."""
    def forget(session_hash: str, left_at: datetime.datetime) -> None:
        holder = demo.state_holder
        with holder.lock:
            if holder.time_last_used.get(session_hash, left_at) > left_at:     # the page came back
                if session_hash in holder.session_data:
                    holder.session_data[session_hash].is_closed = False        # normal lifetimes again
                print(f"session {session_hash}: the page came back, its state is kept", flush=True)
                return
        holder.delete_state(session_hash)                    # every state, expired or not
        with holder.lock:
            holder.session_data.pop(session_hash, None)
            holder.time_last_used.pop(session_hash, None)
        gc.collect()
        _release_freed_memory()
        print(f"session {session_hash}: the page left, its state is freed", flush=True)

    def leave(request: gr.Request):
        if getattr(demo, "state_holder", None) is None or request is None or not request.session_hash:
            return
        timer = threading.Timer(grace, forget, (request.session_hash, datetime.datetime.now()))
        timer.daemon = True
        timer.start()
        # One line per event in the server's log: what an operator (and tests/test_memory.py) can watch.
        print(f"session {request.session_hash}: the page closed, its state is freed in {grace:g} s "
              "unless it comes back", flush=True)

    demo.unload(leave)
