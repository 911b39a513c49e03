"""Publish/subscribe for live things (message replies, chat, status updates, co-browse), across processes.

A service publishes an event (a JSON-serialisable dict) on a channel, such as one per customer, adviser
queue, chat or co-browse session; an SSE endpoint subscribed to that channel passes it to the browser.
`PORTAL_BROKER_URL` chooses the backend (see `make_broker`):

- empty or ``memory://``: in this process only. For one machine running one app process (with SQLite).
  With several app processes (``uvicorn --workers 4``) events would not cross between them: use one of:
- ``redis://host:port/db`` (or ``rediss://``): Redis PUBLISH/SUBSCRIBE.
- ``postgresql://...``: PostgreSQL LISTEN/NOTIFY, so a PostgreSQL deployment needs no other server.

Each process holds one listening connection whatever the number of subscribers: the broker fans events
out to its local subscribers, and tells the server to stop sending a channel once nobody here listens.

In an SSE endpoint::

    async def stream():
        async with broker.subscribe(f"customer:{customer.id}") as events:
            async for event in events:
                yield f"data: {json.dumps(event)}\\n\\n"
    return StreamingResponse(stream(), media_type="text/event-stream")

When the browser goes away Starlette cancels the stream; leaving ``async with`` unsubscribes (without
awaiting anything, so it is safe while being cancelled). Waiting for the next event is cancel-safe, so
``asyncio.timeout(15)`` around ``anext(events)`` can be used to send keep-alive comments.

Publishing, in a service, **after** ``db.commit()``, so that a browser told "something changed" reads
the committed change, and nothing is announced for a transaction that rolled back::

    db.commit()
    broker.publish_sync(f"customer:{customer.id}", {"type": "message", "id": message.id})  # def handler
    await broker.publish(channel, event)                                                   # async code

Events say what changed, not the whole thing: the database is the record, events are a nudge. The JSON of
one event must be under 8000 bytes (PostgreSQL's NOTIFY limit, applied to every backend so that what
works on one machine works on several); a bigger one is refused with `PayloadTooLarge`. Delivery is
at most once: an event published while a subscriber is not connected is not kept for it.

Slow subscribers: each subscription buffers at most `queue_size` events. A subscriber that falls further
behind is cut off rather than silently losing events in the middle: its iteration ends, ``ended`` is
``"overflow"``, its buffer is freed and a warning is logged. Publishers never wait for subscribers.
The same happens to every subscription when the connection to Redis or PostgreSQL is lost
(``ended == "connection lost"``). Either way the browser's EventSource reconnects and the page reloads
the current state from the database.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

    from portal.settings import Settings

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 7999  # PostgreSQL: "the payload must be shorter than 8000 bytes".
DEFAULT_QUEUE_SIZE = 100
SUBSCRIBE_TIMEOUT_SECONDS = 10.0
PUBLISH_SYNC_TIMEOUT_SECONDS = 5.0


class BrokerError(RuntimeError):
    """The broker could not do what was asked (not started, closed, server unreachable)."""


class PayloadTooLarge(ValueError):
    """An event whose JSON is too big to publish."""


def encode_event(channel: str, data: Mapping[str, Any]) -> str:
    """The event as compact JSON, after checking the channel and the size."""
    if not isinstance(channel, str) or not channel:
        raise ValueError("A channel is a non-empty string, like 'customer:42'.")
    if not isinstance(data, Mapping):
        raise TypeError(f"An event is a dict, not {type(data).__name__}.")
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    size = len(text.encode())
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"The event on channel {channel!r} is {size} bytes of JSON; the limit is {MAX_PAYLOAD_BYTES}. "
            "Publish what changed (an id) and let the page fetch the rest.")
    return text


class Subscription:
    """One subscriber's events on one channel, oldest first: ``async for event in subscription``."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self.ended: str | None = None  # Why it ended: "unsubscribed", "overflow", "connection lost", ...
        self._queue_size = queue_size
        self._buffer: deque[str] = deque()
        self._ready = asyncio.Event()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._buffer:
            if self.ended is not None:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()  # Cancelling here loses nothing: events stay in the buffer.
        event: dict[str, Any] = json.loads(self._buffer.popleft())
        return event

    @property
    def pending(self) -> int:
        """How many events are waiting to be read."""
        return len(self._buffer)

    def _put(self, raw: str) -> None:
        if self.ended is not None:
            return
        if len(self._buffer) >= self._queue_size:
            logger.warning("Broker: a subscriber on channel %r fell %d events behind and was cut off; "
                           "it should reconnect and reload.", self.channel, self._queue_size)
            self._end("overflow")
            return
        self._buffer.append(raw)
        self._ready.set()

    def _end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
        self._buffer.clear()
        self._ready.set()


class _Fanout:
    """This process's subscriptions, by channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[Subscription]] = {}

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._by_channel)

    def add(self, subscription: Subscription) -> None:
        self._by_channel.setdefault(subscription.channel, set()).add(subscription)

    def remove(self, subscription: Subscription) -> bool:
        """Forget a subscription; True when nobody here listens to its channel any more."""
        subscribers = self._by_channel.get(subscription.channel)
        if subscribers is None:
            return False
        subscribers.discard(subscription)
        if subscribers:
            return False
        del self._by_channel[subscription.channel]
        return True

    def deliver(self, channel: str, raw: str) -> None:
        for subscription in list(self._by_channel.get(channel, ())):
            subscription._put(raw)

    def end_all(self, reason: str) -> None:
        for subscribers in list(self._by_channel.values()):
            for subscription in list(subscribers):
                subscription._end(reason)


class Broker(ABC):
    """Publish events on channels; subscribe to a channel's events. Start and close it in the lifespan."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._fanout = _Fanout()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._closed = False

    # Lifecycle

    async def start(self) -> None:
        """Connect, and remember the running event loop for `publish_sync`."""
        if self._loop is not None:
            raise BrokerError("The broker has already been started.")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        await self._start()

    async def close(self) -> None:
        """End every subscription (``ended == "broker closed"``) and release connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._fanout.end_all("broker closed")
        if self._loop is not None:
            await self._close()

    @property
    def subscribed_channels(self) -> frozenset[str]:
        """Channels with a subscriber in this process (for diagnostics and tests)."""
        return self._fanout.channels

    # Publishing

    async def publish(self, channel: str, data: Mapping[str, Any]) -> None:
        """Send `data` to every subscriber of `channel`, in any process. Call it after ``db.commit()``."""
        raw = encode_event(channel, data)
        self._check_running()
        await self._send(channel, raw)

    def publish_sync(self, channel: str, data: Mapping[str, Any], *,
                     timeout: float = PUBLISH_SYNC_TIMEOUT_SECONDS) -> None:
        """`publish` from a plain thread, such as a ``def`` route handler in FastAPI's threadpool.

        Hands the publish to the broker's event loop and waits until it is done, so errors show here.
        Call it after ``db.commit()``. Not for the event loop's own thread: use ``await publish`` there.
        """
        raw = encode_event(channel, data)
        self._check_running()
        assert self._loop is not None
        if threading.get_ident() == self._loop_thread:
            raise BrokerError("publish_sync was called on the event loop's thread, where it would wait "
                              "for itself; use `await broker.publish(...)` in async code.")
        future = asyncio.run_coroutine_threadsafe(self._send(channel, raw), self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BrokerError(f"Publishing on {channel!r} took longer than {timeout} seconds.") from None

    # Subscribing

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """``async with broker.subscribe(channel) as events: async for event in events: ...``

        Once inside ``async with``, every event published on the channel afterwards, by any process,
        is delivered. Leaving unsubscribes.
        """
        if not isinstance(channel, str) or not channel:
            raise ValueError("A channel is a non-empty string, like 'customer:42'.")
        self._check_running()
        subscription = Subscription(channel, self.queue_size)
        self._fanout.add(subscription)
        try:
            await self._listen(channel)
            yield subscription
        finally:
            # No awaiting here: this also runs when the stream is being cancelled.
            subscription._end("unsubscribed")
            if self._fanout.remove(subscription) and not self._closed:
                self._unlisten_soon(channel)

    def _check_running(self) -> None:
        if self._closed:
            raise BrokerError("The broker has been closed.")
        if self._loop is None:
            raise BrokerError("The broker has not been started: `await broker.start()` in the app lifespan.")

    # Backends

    @abstractmethod
    async def _start(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def _send(self, channel: str, raw: str) -> None: ...

    @abstractmethod
    async def _listen(self, channel: str) -> None:
        """Return once events published on `channel` from now on will reach this process."""

    @abstractmethod
    def _unlisten_soon(self, channel: str) -> None:
        """Nobody here listens to `channel` any more; stop receiving it (must not await)."""


class MemoryBroker(Broker):
    """Within this process only: for one app process on one machine."""

    async def _start(self) -> None:
        pass

    async def _close(self) -> None:
        pass

    async def _send(self, channel: str, raw: str) -> None:
        self._fanout.deliver(channel, raw)

    async def _listen(self, channel: str) -> None:
        pass

    def _unlisten_soon(self, channel: str) -> None:
        pass


class RedisBroker(Broker):
    """Redis PUBLISH/SUBSCRIBE, one subscribing connection per process. Channels get a ``portal:`` prefix."""

    def __init__(self, url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE, prefix: str = "portal:") -> None:
        super().__init__(queue_size=queue_size)
        self.url = url
        self.prefix = prefix
        # Names the subscribing connection in CLIENT LIST.
        self.client_name = f"portal-broker-{uuid.uuid4().hex[:12]}"
        self._client: Redis | None = None
        self._sub_client: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._listening: set[str] = set()
        self._confirming: dict[str, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def _start(self) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._client = Redis.from_url(self.url)
        # No silent reconnection for the subscribing connection: events would be lost unnoticed.
        self._sub_client = Redis.from_url(self.url, client_name=self.client_name, retry=Retry(NoBackoff(), 0))
        try:
            await self._client.ping()
        except Exception as error:
            await self._close()
            raise BrokerError(f"Cannot reach Redis at PORTAL_BROKER_URL: {error}") from error

    async def _close(self) -> None:
        for task in [*self._tasks, *([self._reader] if self._reader else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._reader] if self._reader else []), return_exceptions=True)
        self._fail_confirming(BrokerError("The broker has been closed."))
        if self._pubsub is not None:
            await self._pubsub.aclose()
        for client in (self._client, self._sub_client):
            if client is not None:
                await client.aclose()

    async def _send(self, channel: str, raw: str) -> None:
        assert self._client is not None
        await self._client.publish(self.prefix + channel, raw)

    async def _listen(self, channel: str) -> None:
        async with self._lock:
            if channel in self._listening:
                return
            assert self._sub_client is not None
            name = self.prefix + channel
            confirmed = asyncio.get_running_loop().create_future()
            self._confirming[name] = confirmed
            try:
                if self._pubsub is None:
                    self._pubsub = self._sub_client.pubsub()
                await self._pubsub.subscribe(name)
                if self._reader is None:
                    self._reader = asyncio.create_task(self._read(self._pubsub))
                await asyncio.wait_for(confirmed, SUBSCRIBE_TIMEOUT_SECONDS)
            except TimeoutError:
                raise BrokerError(f"Redis did not confirm the subscription to {channel!r}.") from None
            finally:
                self._confirming.pop(name, None)
            self._listening.add(channel)

    def _unlisten_soon(self, channel: str) -> None:
        task = asyncio.get_running_loop().create_task(self._unlisten(channel))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _unlisten(self, channel: str) -> None:
        async with self._lock:
            if channel not in self._listening or channel in self._fanout.channels:
                return
            self._listening.discard(channel)
            if self._pubsub is not None:
                try:
                    await self._pubsub.unsubscribe(self.prefix + channel)
                except Exception:  # The reader notices a lost connection and cuts subscribers off.
                    logger.warning("Broker: could not unsubscribe from %r", channel, exc_info=True)

    async def _read(self, pubsub: PubSub) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                kind, name = message["type"], message["channel"].decode()
                if kind == "message":
                    if name.startswith(self.prefix):
                        self._fanout.deliver(name[len(self.prefix):], message["data"].decode())
                elif kind == "subscribe":
                    confirmed = self._confirming.get(name)
                    if confirmed is not None and not confirmed.done():
                        confirmed.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("Broker: lost the Redis subscription connection (%s); ending subscriptions "
                           "so browsers reconnect.", error)
            self._reader = None
            self._pubsub = None
            self._listening.clear()
            self._fail_confirming(BrokerError(f"Lost the connection to Redis: {error}"))
            self._fanout.end_all("connection lost")
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _fail_confirming(self, error: Exception) -> None:
        for confirmed in self._confirming.values():
            if not confirmed.done():
                confirmed.set_exception(error)


def postgres_channel(channel: str) -> str:
    """A valid, fixed-length PostgreSQL channel identifier for any channel name."""
    return "portal_" + hashlib.sha256(channel.encode()).hexdigest()[:32]


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy style) or ``postgres://...`` as libpq expects it."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(f"Not a PostgreSQL URL: {url!r}")
    return f"postgresql://{rest}"


class PostgresBroker(Broker):
    """PostgreSQL LISTEN/NOTIFY: one listening and one publishing connection per process.

    Channel names are hashed into identifiers (`postgres_channel`). The listening connection is used by
    one task only, which applies LISTEN/UNLISTEN between reads; a subscriber wanting a new channel wakes
    it with a notification on this broker's own wake channel.
    """

    IDLE_SECONDS = 2.0  # How long a read waits before UNLISTENing channels nobody here wants.

    def __init__(self, url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(queue_size=queue_size)
        self.url = libpq_url(url)
        self._wake_channel = f"portal_wake_{uuid.uuid4().hex}"
        self._publisher: psycopg.AsyncConnection[Any] | None = None
        self._publisher_lock = asyncio.Lock()
        self._listener: psycopg.AsyncConnection[Any] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._listening: dict[str, str] = {}  # PostgreSQL channel -> our channel
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._dirty = False

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection (for diagnostics and tests)."""
        return self._listener.info.backend_pid if self._listener is not None else None

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        import psycopg

        return await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def _start(self) -> None:
        try:
            self._publisher = await self._connect()
            self._listener = await self._connect()
        except Exception as error:
            await self._close()
            raise BrokerError(f"Cannot reach PostgreSQL at PORTAL_BROKER_URL: {error}") from error
        self._runner = asyncio.create_task(self._run())

    async def _close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        self._fail_waiting(BrokerError("The broker has been closed."))
        for connection in (self._listener, self._publisher):
            if connection is not None:
                await connection.close()

    async def _send(self, channel: str, raw: str) -> None:
        await self._notify(postgres_channel(channel), raw)

    async def _notify(self, pg_channel: str, payload: str) -> None:
        async with self._publisher_lock:
            if self._publisher is None or self._publisher.closed or self._publisher.broken:
                self._publisher = await self._connect()
            await self._publisher.execute("SELECT pg_notify(%s, %s)", (pg_channel, payload))

    async def _listen(self, channel: str) -> None:
        if postgres_channel(channel) in self._listening:
            return
        listening = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append(listening)
        self._dirty = True
        try:
            await self._notify(self._wake_channel, "")
            await asyncio.wait_for(listening, SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            raise BrokerError(f"PostgreSQL did not start listening to {channel!r} in time.") from None
        finally:
            waiters = self._waiting.get(channel, [])
            if listening in waiters:
                waiters.remove(listening)

    def _unlisten_soon(self, channel: str) -> None:
        self._dirty = True  # Applied after the next notification, or within IDLE_SECONDS.

    async def _run(self) -> None:
        from psycopg import sql

        backoff = 0.5
        while True:
            try:
                if self._listener is None or self._listener.closed:
                    self._listener = await self._connect()
                connection = self._listener
                await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._wake_channel)))
                backoff = 0.5
                while True:
                    await self._apply(connection)
                    async with contextlib.aclosing(connection.notifies(timeout=self.IDLE_SECONDS)) as notes:
                        async for note in notes:
                            channel = self._listening.get(note.channel)
                            if channel is not None:
                                self._fanout.deliver(channel, note.payload)
                            if self._dirty:
                                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("Broker: lost the PostgreSQL listening connection (%s); ending "
                               "subscriptions so browsers reconnect.", error)
                self._listening.clear()
                self._fail_waiting(BrokerError(f"Lost the connection to PostgreSQL: {error}"))
                self._fanout.end_all("connection lost")
                if self._listener is not None:
                    with contextlib.suppress(Exception):
                        await self._listener.close()
                    self._listener = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def _apply(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """LISTEN to the channels wanted here, UNLISTEN the rest, and tell waiting subscribers."""
        from psycopg import sql

        self._dirty = False
        wanted = {postgres_channel(channel): channel for channel in self._fanout.channels}
        for pg_channel in wanted.keys() - self._listening.keys():
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(pg_channel)))
            self._listening[pg_channel] = wanted[pg_channel]
        for pg_channel in self._listening.keys() - wanted.keys():
            await connection.execute(sql.SQL("UNLISTEN {}").format(sql.Identifier(pg_channel)))
            del self._listening[pg_channel]
        for channel, waiters in list(self._waiting.items()):
            if postgres_channel(channel) in self._listening:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
                del self._waiting[channel]

    def _fail_waiting(self, error: Exception) -> None:
        for waiters in self._waiting.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
        self._waiting.clear()


def broker_for_url(url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> Broker:
    """The backend for a broker URL: empty or memory://, redis:// (rediss://), or postgresql://."""
    url = url.strip()
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if not url or scheme == "memory":
        return MemoryBroker(queue_size=queue_size)
    if scheme in ("redis", "rediss", "unix"):
        return RedisBroker(url, queue_size=queue_size)
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        return PostgresBroker(url, queue_size=queue_size)
    raise ValueError("PORTAL_BROKER_URL should be empty (in-process), memory://, redis://host:port/db "
                     f"or postgresql://user@host/db, not {url.split('://')[0]!r}://...")


def make_broker(settings: Settings) -> Broker:
    """The broker `settings.broker_url` asks for; call `start()` and `close()` in the app lifespan."""
    return broker_for_url(settings.broker_url)
