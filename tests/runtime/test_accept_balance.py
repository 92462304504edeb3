"""Workers sharing a listening socket balance their accepts through a shared table of open connections
(runtime/cluster/balance.py): the table itself, and the HTTP front's balanced acceptor over real sockets."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from runtime.cluster.balance import ABSENT, AcceptBalance, create_table, mark_absent
from runtime.devserver import make_socket
from runtime.httpfront import Exchange, FrontRequest, HttpFront

pytestmark = pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="the balance table needs memfd (Linux)")


def hello(request: FrontRequest, exchange: Exchange) -> bool:
    exchange.respond(200, [("content-type", "text/plain")], b"hi")
    return True


async def no_asgi(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    raise AssertionError("not reached")


async def wait_for(probe, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not probe():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_a_worker_is_ahead_only_of_live_workers_with_fewer_connections() -> None:
    fd = create_table(4)
    assert fd is not None
    try:
        mine, other = AcceptBalance(fd, 0, 4), AcceptBalance(fd, 1, 4)
        assert list(mine.counts) == [ABSENT] * 4  # nobody accepts yet
        mine.start()
        other.start()
        mine.opened()
        assert not mine.ahead()  # one more than the other is within the margin
        mine.opened()
        assert mine.ahead() and not other.ahead()
        other.opened()
        assert not mine.ahead()
        mine.opened()
        mark_absent(fd, 1, 4)  # the other worker exited: it no longer counts
        assert not mine.ahead() and list(mine.counts)[:2] == [3, ABSENT]
        mine.close()
        assert mine.counts[0] == ABSENT
        mine.closed()  # a connection closing after the worker left the table changes nothing
        assert mine.counts[0] == ABSENT
    finally:
        os.close(fd)


async def test_a_worker_ahead_still_answers_every_connection_and_counts_them() -> None:
    fd = create_table(2)
    assert fd is not None
    other = AcceptBalance(fd, 1, 2)
    other.start()  # a live worker with no connection: ours, once ahead, defers each accept
    balance = AcceptBalance(fd, 0, 2)
    front = HttpFront(hello, no_asgi)
    sock = make_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    await front.start(sock, balance)
    try:
        balance.opened()
        balance.opened()  # two connections elsewhere: ahead of the other worker
        assert balance.ahead()
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") for _ in range(4)]
        try:
            answers = await asyncio.gather(*(c.get("/") for c in clients))
            assert [a.text for a in answers] == ["hi"] * 4  # deferred, then taken anyway: none refused
            await wait_for(lambda: balance.counts[0] == 6)
        finally:
            for c in clients:
                await c.aclose()
        await wait_for(lambda: balance.counts[0] == 2)  # closed connections leave the count
    finally:
        await front.close(grace_s=1)
    assert balance.counts[0] == ABSENT and other.counts[1] == 0
    os.close(fd)
