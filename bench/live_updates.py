"""Live banners: how long one event each takes to reach 1,000 and 10,000 browsers connected to one app
process, and how much memory each connection costs the server. Prints figures; asserts nothing.

    python -m bench.live_updates [--sizes 1000,10000] [--redis redis://127.0.0.1:6379/15]

For each size: a fresh SQLite database with that many signed-in people (a server-side session each) and
an incident update for each; the real server (`portal serve`, no worker) in a subprocess, with Redis as
its broker; that many connections to /updates/events, one per person with their session cookie, made
with plain asyncio streams (no browser). The server's resident memory (VmRSS) is read before and after
connecting. Then this process publishes {"type": "update", "id": N} on every person's channel, one
after another, through the portal's own broker class, and each connection's time from its event being
published to its banner frame arriving is measured.

Needs Redis (the app's broker, so that this process can publish into the server). Without it the bench
says so and stops."""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

import portal.models  # noqa: F401
from bench.fanout import TITLE, add_customers, operations_person, publish_incident
from portal import db as database
from portal.broker import make_broker
from portal.clock import utcnow
from portal.settings import ROOT, Settings
from portal.updates.models import Update, UpdateKind
from portal.updates.service import person_channel
from portal.web.sessions import WebSession, hash_id
from portal.web.sse import KEEP_ALIVE

SIZES = [1_000, 10_000]
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
COOKIE = "portal_session"  # SessionMiddleware's name when the base URL is http (no __Host- prefix).
PATH = "/updates/events"
CONNECTING_AT_ONCE = 200  # Connections waiting for their first bytes at any one time.
CONNECT_TIMEOUT = 60.0
DELIVERY_SECONDS = 30.0  # How long to wait for the banners: this, plus a second per 100 connections.
BATCH = 10_000
SERVE = (sys.executable, "-m", "portal.cli", "serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """The process's resident memory, in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_error(log: str) -> str:
    """The last exception the server logged ("sqlalchemy.exc.TimeoutError: ..."), if any."""
    found = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception)\b:.*)$", log, re.MULTILINE)
    return found[-1][:300] if found else ""


# The database


def prepare(url: str, people: int) -> tuple[list[tuple[int, int, str]], str]:
    """`people` customers, each signed in (a session) with one incident update waiting to be shown.
    Returns (person id, update id, session cookie) for each, and the incident's title."""
    database.upgrade(url)
    engine = database.make_engine(url)
    now = utcnow()  # Sessions are checked against the real clock.
    try:
        ids = add_customers(engine, people, now)
        incident_id = publish_incident(engine, operations_person(engine, now), now)
        cookies = {i: secrets.token_urlsafe(32) for i in ids}
        add_sessions_and_updates(engine, ids, cookies, incident_id, now)
        return [(i, i, cookies[i]) for i in ids], TITLE
    finally:
        engine.dispose()


def add_sessions_and_updates(engine: Engine, ids: Sequence[int], cookies: dict[int, str], incident_id: int,
                             now: dt.datetime) -> None:
    """A signed-in session and the incident's update for each person; update ids equal person ids."""
    params = json.dumps({"incident_id": incident_id, "version": 1}, sort_keys=True)
    with engine.begin() as connection:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            connection.execute(insert(WebSession), [
                {"id_hash": hash_id(cookies[i]), "person_id": i, "data": "{}", "user_agent": "bench",
                 "created_at": now, "last_seen_at": now} for i in chunk])
            connection.execute(insert(Update), [
                {"id": i, "person_id": i, "account_id": i, "kind": UpdateKind.incidents,
                 "message": "incident", "params": params, "link": "/status", "needs_action": False,
                 "safety_critical": False,
                 "source_key": f"incident:{incident_id}:v1", "incident_id": incident_id, "created_at": now,
                 "seen_at": None, "done_at": None, "reminders_stopped_at": None} for i in chunk])


# The server


@contextlib.contextmanager
def server(database_url: str, redis_url: str, log: Path,
           command: Sequence[str] = SERVE) -> Iterator[tuple[int, int]]:
    """The portal serving on a free port until the block ends; yields (port, process id)."""
    port = free_port()
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_BROKER_URL": redis_url,
           "PORTAL_WORKER__RUN": "0", "PORTAL_ENV": "test", "PORTAL_DEMO": "0",
           "PORTAL_BASE_URL": f"http://localhost:{port}"}
    with log.open("w") as output:
        process = subprocess.Popen([*command, "--port", str(port)],  # noqa: S603 (our own command)
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the portal did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# The browsers


class Client:
    """One browser's event stream, read with plain asyncio streams."""

    def __init__(self, person_id: int, update_id: int, cookie: str, title: str, done: Arrivals) -> None:
        self.person_id = person_id
        self.update_id = update_id
        self.cookie = cookie
        self.title = title
        self.done = done
        self.connected = asyncio.Event()  # First bytes of the stream arrived (or it failed).
        self.error = ""
        self.published_at: float | None = None
        self.received_at: float | None = None
        self.event_name = ""
        self.banner_has_title = False
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self, port: int) -> None:
        try:
            reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            self.writer.write((f"GET {PATH} HTTP/1.1\r\nHost: localhost:{port}\r\n"
                               f"Cookie: {COOKIE}={self.cookie}\r\nAccept: text/event-stream\r\n"
                               "Cache-Control: no-cache\r\n\r\n").encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            if status != "200":
                self.error = f"HTTP {status}"
                return
            chunked = b"transfer-encoding: chunked" in head.lower()
            pending = ""
            while True:
                if chunked:
                    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                pending += data.decode()
                while "\n\n" in pending:
                    frame, pending = pending.split("\n\n", 1)
                    self.on_frame(frame)
            self.error = self.error or "the stream ended"
        except asyncio.CancelledError:
            raise
        except Exception as error:  # A refused or dropped connection is a figure, not a crash.
            self.error = self.error or f"{type(error).__name__}: {error}"
        finally:
            self.connected.set()

    def on_frame(self, frame: str) -> None:
        self.connected.set()
        fields: dict[str, list[str]] = {}
        for line in frame.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value.removeprefix(" "))
        if "event" not in fields and "data" not in fields:
            return  # "retry: 3000" or a keep-alive comment.
        if self.published_at is not None and self.received_at is None:
            self.received_at = time.perf_counter()
            self.event_name = fields.get("event", ["message"])[0]
            self.banner_has_title = self.title in "\n".join(fields.get("data", []))
            self.done.add()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.task is not None:
            self.task.cancel()


class Arrivals:
    def __init__(self, target: int) -> None:
        self.count = 0
        self.target = target
        self.reached = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.reached.set()


async def connect_all(clients: Sequence[Client], port: int) -> None:
    """Open every connection, CONNECTING_AT_ONCE at a time, each wave waiting for its first bytes. Stops
    early when most of a wave fails (the rest are marked as not tried), so a broken server does not
    keep the bench waiting for every timeout."""
    async def one(client: Client) -> None:
        client.task = asyncio.create_task(client.run(port))
        try:
            await asyncio.wait_for(client.connected.wait(), CONNECT_TIMEOUT)
        except TimeoutError:
            client.error = f"no first bytes within {CONNECT_TIMEOUT:.0f} s"

    for start in range(0, len(clients), CONNECTING_AT_ONCE):
        wave = clients[start:start + CONNECTING_AT_ONCE]
        await asyncio.gather(*(one(client) for client in wave))
        if sum(bool(client.error) for client in wave) > len(wave) // 2:
            for client in clients[start + len(wave):]:
                client.error = "not tried: most of the connections before it failed"
            return


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def measure(size: int, redis_url: str, folder: Path,
                  command: Sequence[str] | None = None) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'live.db'}"
    started = time.perf_counter()
    # One more person than measured, to warm the server up before its memory is read.
    people, title = await asyncio.to_thread(prepare, url, size + 1)
    setup = time.perf_counter() - started
    log = folder / "server.log"
    with server(url, redis_url, log, *([command] if command else [])) as (port, pid):
        broker = make_broker(Settings(broker_url=redis_url))
        await broker.start()
        clients: list[Client] = []
        try:
            # Warm up: one connection and one event, so templates and the thread pool are loaded.
            warm = Client(*people[-1], title, Arrivals(1))
            await connect_all([warm], port)
            warm.published_at = time.perf_counter()
            await broker.publish(person_channel(warm.person_id), {"type": "update", "id": warm.update_id})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(warm.done.reached.wait(), 10)
            warm.close()
            if warm.received_at is None:
                raise RuntimeError(f"the warm-up connection got no banner ({warm.error or 'no event frame'})."
                                   f" The server's log ends:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(1)
            memory_before = rss_kib(pid)

            done = Arrivals(size)
            clients = [Client(*person, title, done) for person in people[:-1]]
            started = time.perf_counter()
            await connect_all(clients, port)
            connect_seconds = time.perf_counter() - started
            failed = [c for c in clients if c.error]
            await asyncio.sleep(1)
            memory_after = rss_kib(pid)
            # Connected and idle: what the keep-alive checks (every KEEP_ALIVE seconds) cost the server.
            cpu_before, idle_started = cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(KEEP_ALIVE + 1)
            idle_cpu = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - idle_started)
            live = [c for c in clients if not c.error]

            first_publish = time.perf_counter()
            for client in live:
                client.published_at = time.perf_counter()
                await broker.publish(person_channel(client.person_id),
                                     {"type": "update", "id": client.update_id})
            publish_seconds = time.perf_counter() - first_publish
            done.target = len(live)
            if done.count >= done.target:
                done.reached.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.reached.wait(), DELIVERY_SECONDS + len(live) / 100)
            arrived = [c for c in live if c.received_at is not None]
            latencies = [(c.received_at - c.published_at) * 1000 for c in arrived  # type: ignore[operator]
                         if c.published_at is not None]
            last = max((c.received_at for c in arrived if c.received_at is not None), default=first_publish)
            memory_end = rss_kib(pid)
            server_error = last_error(log.read_text()) if failed or len(arrived) < len(live) else ""
        finally:
            for client in clients:
                client.close()
            await asyncio.gather(*(c.task for c in clients if c.task), return_exceptions=True)
            await broker.close()
    return {
        "size": size, "setup": setup, "connected": len(live), "failed": failed,
        "connect_seconds": connect_seconds, "memory_before": memory_before, "memory_after": memory_after,
        "memory_end": memory_end, "idle_cpu": idle_cpu, "server_error": server_error,
        "publish_seconds": publish_seconds, "arrived": len(arrived), "latencies": latencies,
        "total_seconds": last - first_publish, "names": sorted({c.event_name for c in arrived}),
        "with_title": sum(c.banner_has_title for c in arrived),
    }


def report(result: dict[str, Any]) -> None:
    size, latencies = result["size"], result["latencies"]
    connected = result["connected"]
    grown = result["memory_after"] - result["memory_before"]
    print(f"\n{size:,} connections to one server process")
    print(f"  connected          {connected:,} in {result['connect_seconds']:.1f} s")
    for error, count in collections.Counter(c.error for c in result["failed"]).most_common():
        print(f"  not connected      {count:,}: {error}")
    if result["server_error"]:
        print(f"  the server's log   {result['server_error']}")
    print(f"  server memory      {result['memory_before'] / 1024:.1f} MiB before, "
          f"{result['memory_after'] / 1024:.1f} MiB connected, {result['memory_end'] / 1024:.1f} MiB after "
          "the events")
    if connected:
        print(f"  per connection     {grown / connected:.1f} KiB")
    print(f"  server CPU, idle   {result['idle_cpu']:.0%} of one core while connected and idle "
          f"(keep-alive checks every {KEEP_ALIVE:.0f} s)")
    print(f"  events published   {connected:,} in {result['publish_seconds']:.2f} s (one at a time)")
    print(f"  banners arrived    {result['arrived']:,} of {connected:,}, frames named "
          f"{', '.join(result['names']) or '-'}; {result['with_title']:,} show the incident's title")
    if latencies:
        print(f"  latency per client p50 {statistics.median(latencies):.1f} ms, "
              f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")
        print(f"  all delivered in   {result['total_seconds']:.2f} s from the first publish "
              f"({result['arrived'] / result['total_seconds']:,.0f} banners a second)")
    print(f"  (setting up {size:,} people, sessions and updates took {result['setup']:.1f} s, not counted)")


async def redis_reachable(url: str) -> str:
    """Empty if Redis answers, else why not."""
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
        return ""
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    finally:
        await client.aclose()


def raise_open_files(needed: int) -> int:
    """Raise this process's open-file limit towards `needed`; returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


async def run(sizes: Sequence[int], redis_url: str) -> None:
    problem = await redis_reachable(redis_url)
    if problem:
        print(f"bench.live_updates: Redis is not reachable at {redis_url} ({problem}).\n"
              "  It is needed as the broker between this process and the server: start Redis, or pass "
              "--redis URL. Skipped.")
        return
    limit = raise_open_files(max(sizes) + 500)
    print(f"Live banners over SSE: one portal process (uvicorn), broker {redis_url}, SQLite.")
    for size in sizes:
        if size + 100 > limit:
            print(f"\n{size:,} connections skipped: this process may open only {limit:,} files (ulimit -n).")
            continue
        with tempfile.TemporaryDirectory() as folder:
            try:
                result = await measure(size, redis_url, Path(folder))
            except RuntimeError as error:
                print(f"\n{size:,} connections: {error}")
                continue
        report(result)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="connected browsers, comma-separated (default: %(default)s)")
    parser.add_argument("--redis", default=os.environ.get("PORTAL_TEST_REDIS_URL") or DEFAULT_REDIS,
                        help="Redis for the broker (default: PORTAL_TEST_REDIS_URL or %(default)s)")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(sizes, args.redis))
    else:
        uvloop.run(run(sizes, args.redis))


if __name__ == "__main__":
    main()
