"""The worker: delivers updates, sends the outbox, fans out incidents, looks for new updates.

Placeholder until the delivery engine lands."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from portal.broker import Broker
from portal.settings import Settings


async def run_forever(engine: Engine, settings: Settings, broker: Broker) -> None:
    while True:
        await asyncio.sleep(settings.worker_poll_seconds)
