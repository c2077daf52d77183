"""One visitor's event, watched through the queue's own messages: tests wait on what the server
says about the event (it joined the line, it started, it ended), never on a guess of how long
that takes.

Gradio sends each event, on its session's stream: `estimation` when it joins the queue (every
event gets one, also one that starts at once, so it alone does not mean "waiting"),
`process_starts` when a worker takes it, then its outputs and `process_completed`.
"""

import threading
import time

from bench.load import Session


class Caller:
    """Send one event on its own thread (its own session, as a browser tab); `seen` holds the
    time.monotonic() at which each kind of message first arrived, "ended" once the call is over."""

    def __init__(self, url: str, fn_index: int, data: list):
        self.seen: dict[str, float] = {}
        self.answer: dict | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._call, args=(Session(url), fn_index, data), daemon=True)
        self._thread.start()

    def _note(self, kind: str) -> None:
        with self._changed:
            self.seen.setdefault(kind, time.monotonic())
            self._changed.notify_all()

    def _call(self, session: Session, fn_index: int, data: list) -> None:
        try:
            self.answer = session.call(fn_index, data, on_message=self._note)
        finally:
            self._note("ended")

    def wait_for(self, kind: str, timeout: float = 120) -> float:
        """Until the queue has sent `kind` about this event; returns when it arrived."""
        with self._changed:
            self._changed.wait_for(lambda: kind in self.seen or "ended" in self.seen, timeout)
        assert kind in self.seen, f"no {kind} message in {timeout:g} s; seen {sorted(self.seen)}, answer {self.answer}"
        return self.seen[kind]

    def result(self, timeout: float = 300) -> dict:
        """The call's answer (bench.load.Session.call's dict), once it has ended."""
        self.wait_for("ended", timeout)
        return self.answer
