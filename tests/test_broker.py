"""The broker passes live events between subscribers, in one process and across processes.

Every behaviour is checked on each backend: in-process, Redis (PORTAL_TEST_REDIS_URL) and PostgreSQL
(PORTAL_TEST_DATABASE_URL), against real servers. Another OS process publishing shows events crossing
between app processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from redis.asyncio import Redis

from portal.broker import (
    MAX_PAYLOAD_BYTES,
    Broker,
    BrokerError,
    MemoryBroker,
    PayloadTooLarge,
    PostgresBroker,
    RedisBroker,
    Subscription,
    broker_for_url,
    libpq_url,
    make_broker,
    postgres_channel,
)
from portal.settings import Settings
from tests.conftest import postgres_url

ROOT = Path(__file__).resolve().parent.parent
QUEUE_SIZE = 5
WAIT = 5.0  # Seconds to wait for an event that should arrive; far more than it takes.


def redis_url() -> str:
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis tests skipped: set PORTAL_TEST_REDIS_URL to run them (CI sets it).")
    return url


def url_for(backend: str) -> str:
    return {"memory": lambda: "memory://", "redis": redis_url, "postgresql": postgres_url}[backend]()


ALL = [pytest.param("memory"), pytest.param("redis"), pytest.param("postgresql", marks=pytest.mark.postgres)]
SERVERS = ALL[1:]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=ALL)
def broker_url(request: pytest.FixtureRequest) -> str:
    return url_for(request.param)


@pytest.fixture(params=SERVERS)
def server_url(request: pytest.FixtureRequest) -> str:
    return url_for(request.param)


@pytest.fixture
async def broker(broker_url: str) -> AsyncIterator[Broker]:
    broker = broker_for_url(broker_url, queue_size=QUEUE_SIZE)
    await broker.start()
    yield broker
    await broker.close()


def new_channel(name: str = "test") -> str:
    """A channel no other test (or CI job sharing the server) uses."""
    return f"{name}:{uuid.uuid4().hex}"


async def next_event(events: Subscription) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        return await anext(events)


async def assert_ends(events: Subscription) -> None:
    async with asyncio.timeout(WAIT):
        with pytest.raises(StopAsyncIteration):
            await anext(events)


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not await as_awaitable(check()):
        assert time.monotonic() < deadline, f"still not true after {WAIT} s: {what}"
        await asyncio.sleep(0.05)


async def as_awaitable(value: bool | Awaitable[bool]) -> bool:
    return await value if isinstance(value, Awaitable) else value


# Delivery


@pytest.mark.anyio
async def test_a_subscriber_gets_events_in_order(broker: Broker) -> None:
    channel = new_channel("customer")
    events_sent = [{"type": "reply", "id": 1, "text": "Thanks — we’ve fixed it 👍"},
                   {"type": "status", "id": 2, "nested": {"list": [1, 2.5, None, True]}},
                   {"type": "reply", "id": 3}]
    async with broker.subscribe(channel) as events:
        for event in events_sent:
            await broker.publish(channel, event)
        assert [await next_event(events) for _ in events_sent] == events_sent


@pytest.mark.anyio
async def test_every_subscriber_gets_each_event(broker: Broker) -> None:
    channel = new_channel("chat")
    async with broker.subscribe(channel) as first, broker.subscribe(channel) as second:
        await broker.publish(channel, {"type": "message", "id": 7})
        assert await next_event(first) == {"type": "message", "id": 7}
        assert await next_event(second) == {"type": "message", "id": 7}
        # Each gets its own copy: changing one changes nothing for the other.
        await broker.publish(channel, {"list": [1]})
        mine = await next_event(first)
        mine["list"].append(2)
        assert await next_event(second) == {"list": [1]}


@pytest.mark.anyio
async def test_channels_are_isolated_whatever_their_names(broker: Broker) -> None:
    # Names PostgreSQL could not take as identifiers: long, quoted, mixed case, spaces, not ASCII.
    names = [new_channel("queue"), new_channel("Queue") + ' "x"; DROP', "ç" * 300 + uuid.uuid4().hex,
             new_channel("co-browse session")]
    async with (broker.subscribe(names[0]) as a, broker.subscribe(names[1]) as b,
                broker.subscribe(names[2]) as c, broker.subscribe(names[3]) as d):
        for name in reversed(names):
            await broker.publish(name, {"for": name})
        await broker.publish(new_channel("nobody"), {"for": "nobody"})
        for events, name in zip((a, b, c, d), names, strict=True):
            assert await next_event(events) == {"for": name}
        # Nothing else arrives: a marker published now is the next event on each.
        for name in names:
            await broker.publish(name, {"marker": True})
        for events in (a, b, c, d):
            assert await next_event(events) == {"marker": True}
            assert events.pending == 0


@pytest.mark.anyio
async def test_leaving_unsubscribes_and_frees_the_channel(broker: Broker, broker_url: str) -> None:
    channel = new_channel("status")
    async with broker.subscribe(channel) as events:
        assert channel in broker.subscribed_channels
        await broker.publish(channel, {"n": 1})
        assert await next_event(events) == {"n": 1}
        await broker.publish(channel, {"n": 2})  # Left unread.
    assert channel not in broker.subscribed_channels
    assert events.ended == "unsubscribed"
    assert events.pending == 0
    await broker.publish(channel, {"n": 3})  # Nobody listening: fine.
    await assert_ends(events)

    # The server stops sending the channel to this process too.
    if isinstance(broker, RedisBroker):
        async with Redis.from_url(broker_url) as redis:
            async def unsubscribed() -> bool:
                counts = dict(await redis.pubsub_numsub(broker.prefix + channel))
                return counts[(broker.prefix + channel).encode()] == 0
            await eventually(unsubscribed, "Redis still sends the channel")
    if isinstance(broker, PostgresBroker):
        async def unlistened() -> bool:
            return postgres_channel(channel) not in broker._listening
        await eventually(unlistened, "still LISTENing")

    # And subscribing again works.
    async with broker.subscribe(channel) as again:
        await broker.publish(channel, {"n": 4})
        assert await next_event(again) == {"n": 4}


@pytest.mark.anyio
async def test_a_cancelled_stream_unsubscribes(broker: Broker) -> None:
    """What happens when the browser goes away: Starlette cancels the SSE stream with an anyio scope."""
    channel = new_channel("co-browse")
    received: list[dict[str, Any]] = []
    subscribed = anyio.Event()

    async def stream() -> None:
        async with broker.subscribe(channel) as events:
            subscribed.set()
            async for event in events:
                received.append(event)

    async with anyio.create_task_group() as streams:
        streams.start_soon(stream)
        with anyio.fail_after(WAIT):
            await subscribed.wait()
        await broker.publish(channel, {"n": 1})
        await eventually(lambda: bool(received), "the stream gets the event")
        streams.cancel_scope.cancel()
    assert received == [{"n": 1}]
    assert channel not in broker.subscribed_channels


@pytest.mark.anyio
async def test_a_slow_subscriber_is_cut_off_without_holding_up_others(
        broker: Broker, caplog: pytest.LogCaptureFixture) -> None:
    channel = new_channel("chat")
    count = QUEUE_SIZE * 4
    with anyio.fail_after(WAIT):
        async with broker.subscribe(channel) as slow, broker.subscribe(channel) as fast:
            received = []
            for n in range(count):
                await broker.publish(channel, {"n": n})  # Returns although `slow` reads nothing.
                received.append(await next_event(fast))
            assert received == [{"n": n} for n in range(count)]
            assert slow.ended == "overflow"
            assert slow.pending == 0  # Its buffer is freed at once.
            await assert_ends(slow)  # The SSE endpoint stops; the browser reconnects.
            assert fast.ended is None
    assert "fell 5 events behind and was cut off" in caplog.text


@pytest.mark.anyio
async def test_waiting_for_an_event_can_time_out_without_losing_one(broker: Broker) -> None:
    channel = new_channel()
    async with broker.subscribe(channel) as events:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):  # As an SSE endpoint does, to send a keep-alive.
                await anext(events)
        await broker.publish(channel, {"after": "timeout"})
        assert await next_event(events) == {"after": "timeout"}


@pytest.mark.anyio
async def test_events_must_be_small_json_objects(broker: Broker) -> None:
    channel = new_channel()
    # The biggest event allowed (7999 bytes: 11 of them '{"text":""}'), with two-byte characters,
    # reaches the subscriber intact.
    biggest = {"text": "é" * ((MAX_PAYLOAD_BYTES - 11) // 2)}
    assert len(json.dumps(biggest, ensure_ascii=False, separators=(",", ":")).encode()) == MAX_PAYLOAD_BYTES
    async with broker.subscribe(channel) as events:
        await broker.publish(channel, biggest)
        assert await next_event(events) == biggest
    with pytest.raises(PayloadTooLarge, match="7999") as error:
        await broker.publish(channel, {"text": biggest["text"] + "x"})
    assert "Publish what changed (an id)" in str(error.value)
    with pytest.raises(TypeError):
        await broker.publish(channel, {"when": {1, 2}})
    with pytest.raises(ValueError, match="Out of range float"):
        await broker.publish(channel, {"ratio": float("nan")})
    with pytest.raises(TypeError, match="dict"):
        await broker.publish(channel, ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="channel"):
        await broker.publish("", {"no": "channel"})


# Publishing from plain `def` code


@pytest.mark.anyio
async def test_publish_sync_from_a_worker_thread(broker: Broker) -> None:
    channel = new_channel("customer")
    async with broker.subscribe(channel) as events:
        # As a `def` route handler would, after db.commit(), in FastAPI's threadpool.
        await anyio.to_thread.run_sync(broker.publish_sync, channel, {"type": "reply", "id": 5})
        assert await next_event(events) == {"type": "reply", "id": 5}
        # Errors reach the caller in its thread.
        with pytest.raises(PayloadTooLarge):
            await anyio.to_thread.run_sync(broker.publish_sync, channel, {"x": "x" * MAX_PAYLOAD_BYTES})
    # On the event loop's own thread it would wait for itself, so it refuses.
    with pytest.raises(BrokerError, match=r"await broker\.publish"):
        broker.publish_sync(channel, {"type": "reply"})


# Lifecycle


@pytest.mark.anyio
async def test_closing_the_broker_ends_subscriptions(broker_url: str) -> None:
    broker = broker_for_url(broker_url)
    with pytest.raises(BrokerError, match="not been started"):
        await broker.publish("customer:1", {"too": "early"})
    await broker.start()
    async with broker.subscribe(new_channel()) as events:
        await broker.close()
        assert events.ended == "broker closed"
        await assert_ends(events)
    with pytest.raises(BrokerError, match="closed"):
        await broker.publish("customer:1", {"too": "late"})
    with pytest.raises(BrokerError, match="closed"):
        async with broker.subscribe("customer:1"):
            pass
    await broker.close()  # Closing twice is harmless.


@pytest.mark.anyio
async def test_a_lost_server_connection_ends_subscriptions_then_recovers(server_url: str) -> None:
    broker = broker_for_url(server_url)
    await broker.start()
    try:
        channel = new_channel()
        async with broker.subscribe(channel) as events:
            await broker.publish(channel, {"n": 1})
            assert await next_event(events) == {"n": 1}
            if isinstance(broker, RedisBroker):
                async with Redis.from_url(server_url) as redis:
                    ids = [c["id"] for c in await redis.client_list() if c["name"] == broker.client_name]
                    assert ids, "the subscribing connection is named in CLIENT LIST"
                    await redis.client_kill_filter(_id=ids[0])
            else:
                assert isinstance(broker, PostgresBroker)
                async with await psycopg.AsyncConnection.connect(libpq_url(server_url),
                                                                 autocommit=True) as admin:
                    await admin.execute("SELECT pg_terminate_backend(%s)", (broker.listener_pid,))
            await assert_ends(events)  # Browsers reconnect and reload, rather than silently miss events.
            assert events.ended == "connection lost"
        async with broker.subscribe(channel) as events:
            await broker.publish(channel, {"n": 2})
            assert await next_event(events) == {"n": 2}
    finally:
        await broker.close()


# Across processes

PUBLISHER = """
import asyncio, os, sys
from portal.broker import broker_for_url

async def main():
    broker = broker_for_url(sys.argv[1])
    await broker.start()
    try:
        await broker.publish(sys.argv[2], {"type": "reply", "from_pid": os.getpid()})
    finally:
        await broker.close()

asyncio.run(main())
"""


@pytest.mark.anyio
async def test_an_event_published_in_another_process_reaches_a_subscriber_here(server_url: str) -> None:
    broker = broker_for_url(server_url)
    await broker.start()
    try:
        channel = new_channel("customer")
        async with broker.subscribe(channel) as events, broker.subscribe(new_channel()) as other:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", PUBLISHER, server_url, channel, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            async with asyncio.timeout(WAIT * 2):
                _, stderr = await process.communicate()
            assert process.returncode == 0, stderr.decode()
            event = await next_event(events)
            assert event == {"type": "reply", "from_pid": process.pid}
            assert process.pid != os.getpid()
            assert other.pending == 0
    finally:
        await broker.close()


# Choosing a backend


def test_settings_choose_the_backend() -> None:
    def chosen(url: str) -> Broker:
        return make_broker(Settings(env="test", broker_url=url))

    assert Settings(env="test").broker_url == ""
    assert isinstance(chosen(""), MemoryBroker)
    assert isinstance(chosen("memory://"), MemoryBroker)
    assert isinstance(chosen("redis://127.0.0.1:6379/0"), RedisBroker)
    postgres = chosen("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    assert isinstance(postgres, PostgresBroker)
    assert postgres.url == "postgresql://postgres@127.0.0.1:5432/postgres"
    with pytest.raises(ValueError, match="PORTAL_BROKER_URL should be"):
        chosen("amqp://guest@localhost/")


def test_postgres_channels_are_valid_identifiers() -> None:
    names = {postgres_channel(name) for name in ("customer:1", "customer:2", "Customer:1", "é" * 1000, " ")}
    assert len(names) == 5
    for name in names:
        assert re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name)


@pytest.mark.anyio
async def test_a_server_that_cannot_be_reached_fails_at_start(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL)
    for url in ("redis://127.0.0.1:1/0", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"):
        with pytest.raises(BrokerError, match="Cannot reach"):
            await broker_for_url(url).start()
