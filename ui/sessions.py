"""What a new visitor's session costs the server.

Gradio builds a SessionState for every new session: every page load and every plain REST call
(a notebook's `POST /gradio_api/call/...` without a session_hash). Its constructor computes the
config of every block of the page, ~560 here, although an event reads only the few it updates;
that made a GAN call in a new session cost ~50 ms of server CPU against ~8 ms for a trivial
app's (python -m bench.session). `lazy_session_configs` makes those configs computed when first
read, the same values, so a new session costs about what Gradio's own does.
"""

from copy import copy
from types import SimpleNamespace

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
