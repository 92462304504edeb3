"""A streamed response through ``isoplay serve`` (the real server stack), read chunk by chunk from a raw socket."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from runtime.bundler import Bundle
from runtime.publish_client import PublishClient
from server_harness import RealServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "runtime" / "webapi"))
from rawhttp import STREAMING_SOURCE, RawClient, check_streamed  # noqa: E402


def test_isoplay_serve_streams_a_response_chunk_by_chunk(real_server: Callable[..., RealServer],
                                                          release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("streamer", "1.0.0", source=STREAMING_SOURCE))
    url = urlsplit(server.url)
    raw = RawClient(url.hostname or "127.0.0.1", url.port or 80)
    try:
        assert raw.get("/streamer/plain").body == b"plain"  # loads the app's pool (the async path)
        check_streamed(raw.get("/streamer/stream"))  # the warm path
        assert raw.get("/streamer/plain").body == b"plain"
    finally:
        raw.close()


def test_isoplay_serve_streams_on_the_first_request_too(real_server: Callable[..., RealServer],
                                                         release: Callable[..., Bundle]) -> None:
    server = real_server()
    with PublishClient(server.url, server.create_token()) as client:
        client.publish(release("streamer", "1.0.0", source=STREAMING_SOURCE))
    url = urlsplit(server.url)
    raw = RawClient(url.hostname or "127.0.0.1", url.port or 80)
    try:
        check_streamed(raw.get("/streamer/stream"))
    finally:
        raw.close()
