"""A gradio_client for the app these tests start on 127.0.0.1.

gradio_client opens a new httpx client for each request it makes, and each one builds an SSL
context from certifi's bundle unless told not to verify: ~20 ms of CPU a request, two requests a
call, in the test's own process (where the in-process server runs too). Measured here: 47 ms of
the client's CPU a call with verification, 5 ms without (docs/suite.md). The app is served over
plain http on the loopback, so there is nothing to verify.
"""

from gradio_client import Client


def local_client(url: str, **kwargs) -> Client:
    """A new visitor of the local app: its own session hash, so its own gr.State."""
    return Client(url, verbose=False, ssl_verify=False, **kwargs)
