"""Server-sent events for live pages (htmx's SSE extension on the browser side).

A page subscribes with `hx-ext="sse" sse-connect="/.../events"` and swaps named events into its own
elements (`sse-swap="message"`). The stream listens on a broker channel; for each event it asks
`on_event` (run in a worker thread, so it may use the database and templates) for the HTML fragments
to send, as (event name, html) pairs. Every `KEEP_ALIVE` seconds it sends a comment, which also lets
it notice a browser that went away and re-check `still_allowed`, so access taken away ends the stream
within that time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from portal import i18n
from portal.broker import Broker

KEEP_ALIVE = 15.0
Fragments = list[tuple[str, str]]  # (event name, HTML), in order


def frame(event: str, html: str) -> str:
    """One SSE frame; every line of the HTML goes in its own data: field."""
    data = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n\n"


def sse_response(request: Request, channel: str, on_event: Callable[[dict], Fragments], *,
                 still_allowed: Callable[[], bool] = lambda: True,
                 first: Callable[[], Fragments] | None = None,
                 refused: Fragments | None = None) -> StreamingResponse:
    """Stream events from `channel` as HTML fragments. `first` may send the current state at once
    (for a page that reconnects after missing events); `refused` is sent when the viewer may no
    longer see the stream, before it closes."""
    broker: Broker = request.app.state.broker
    # Set by a check that runs before every request (a carer acting for someone): it must go on
    # holding for as long as the stream is open.
    live_check: Callable[[], bool] | None = getattr(request.state, "live_check", None)
    if live_check is not None:
        route_check = still_allowed

        def still_allowed() -> bool:
            return live_check() and route_check()

    def allowed_fragments(event: dict) -> Fragments | None:
        return on_event(event) if still_allowed() else None

    async def stream() -> AsyncIterator[str]:
        async with broker.subscribe(channel) as events:
            yield "retry: 3000\n\n"
            if first is not None:
                for name, html in await anyio.to_thread.run_sync(first):
                    yield frame(name, html)
            while True:
                try:
                    async with asyncio.timeout(KEEP_ALIVE):
                        event = await anext(events)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    if not await anyio.to_thread.run_sync(still_allowed):
                        for name, html in refused or []:
                            yield frame(name, html)
                        return
                    yield ": still here\n\n"
                    continue
                except StopAsyncIteration:
                    return  # The broker cut us off; the browser reconnects and reloads the state.
                # One trip to a worker thread per event: check access, then render.
                fragments = await anyio.to_thread.run_sync(allowed_fragments, event)
                if fragments is None:
                    for name, html in refused or []:
                        yield frame(name, html)
                    return
                for name, html in fragments:
                    yield frame(name, html)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

def in_thread(request: Request, work: Callable[[Session], Any]) -> Any:
    """For live streams: a database session of its own and the reader's language, in a worker thread
    (the page's own session has gone by the time events arrive)."""
    i18n.set_locale(getattr(request.state, "locale", i18n.DEFAULT_LOCALE))
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        return work(db)


class LiveStream:
    """One live page's stream, as an object: the channel it listens on, what it sends first (for a
    page that reconnects after missing events), how each event becomes HTML, and whether the viewer
    may still see it. Each method runs in a worker thread with a database session of its own, in the
    reader's language. An object lives as long as one browser's connection, so it may remember what
    it has sent. Subclasses live in `<feature>/live.py`."""

    channel: str = ""
    refused: Fragments = []  # Sent when the viewer may no longer see it, before the stream closes.

    def first(self, db: Session) -> Fragments:
        return []

    def next(self, db: Session, event: dict) -> Fragments:
        raise NotImplementedError

    def still_allowed(self, db: Session) -> bool:
        return True


def live_response(request: Request, stream: LiveStream) -> StreamingResponse:
    """Serve `stream` to this browser until it leaves or may no longer see it."""

    def run(work: Callable[[Session], Any]) -> Any:
        return in_thread(request, work)

    return sse_response(request, stream.channel, lambda event: run(lambda db: stream.next(db, event)),
                        first=lambda: run(stream.first),
                        still_allowed=lambda: bool(run(stream.still_allowed)), refused=stream.refused)
