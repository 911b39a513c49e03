"""Sending web push messages: the provider the outbox uses for the "push" channel when VAPID keys are set
(handed to portal/notify/channels.py when this module loads)."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator

import requests
from pywebpush import WebPushException, webpush
from sqlalchemy import Engine
from sqlmodel import Session

from portal.clock import utcnow
from portal.db import id_of
from portal.notify.channels import SendError, Unsendable, provide_push
from portal.push import service as push
from portal.settings import Settings
from portal.vapid import load_private

logger = logging.getLogger(__name__)

PERSON_ADDRESS = re.compile(r"person:(\d{1,12})")
PUSH_TIMEOUT_SECONDS = 10
# How long a push service keeps a message for a device that is off; after that it is dropped (the
# update is still in the portal).
PUSH_TTL_SECONDS = 24 * 3600
GONE = (404, 410)  # The push service says the subscription no longer exists.


class WebPush:
    """Web push with pywebpush. A message to "person:{id}" goes to each of that person's devices
    (portal/push/models.py) as JSON {"title", "body", "url"}, encrypted for the device (aes128gcm)
    and signed with our VAPID key. A device whose push service answers 404 or 410 is removed.

    The message counts as sent when at least one device took it, or when the person has no devices
    left (they turned notifications off meanwhile; the update is in the portal). If every device
    failed for another reason, `SendError`: the outbox tries again later. The service worker shows
    each update under one tag, so a retry never stacks a second copy on a device."""

    waits_in_outbox = False

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.signer = load_private(settings.push.vapid_private_key)
        self.subject = settings.push_subject
        self._http: requests.Session | None = None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One HTTP connection pool for a run of sends."""
        with requests.Session() as http:
            self._http = http
            try:
                yield
            finally:
                self._http = None

    def send(self, *, to: str, title: str, body: str, url: str = "") -> None:
        match = PERSON_ADDRESS.fullmatch(to)
        if match is None:
            raise Unsendable("A push message must be addressed to person:ID.")
        with Session(self.engine) as db:
            devices = push.subscriptions_of(db, int(match.group(1)))
        payload = json.dumps({"title": title, "body": body, "url": url}, ensure_ascii=False)
        took: list[int] = []
        problems: list[str] = []
        for device in devices:
            device_id = id_of(device)
            try:
                webpush({"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
                        data=payload, vapid_private_key=self.signer,
                        vapid_claims={"sub": self.subject},  # A new dict each time: webpush adds "aud".
                        content_encoding="aes128gcm", timeout=PUSH_TIMEOUT_SECONDS, ttl=PUSH_TTL_SECONDS,
                        requests_session=self._http)
            except WebPushException as error:
                status = error.response.status_code if error.response is not None else None
                if status in GONE:
                    with Session(self.engine) as db:
                        push.gone(db, device_id, device.endpoint)
                    continue
                problems.append(f"device {device_id}: push service answered {status}")
            except (requests.RequestException, ValueError, TypeError) as error:
                # Only the kind of error: its text names the device's push address, which is a secret.
                problems.append(f"device {device_id}: {type(error).__name__}")
            else:
                took.append(device_id)
        if took:
            with Session(self.engine) as db:
                push.used(db, took, utcnow())
        if problems:
            logger.warning("Push to %s: %s", to, "; ".join(problems))
            if not took:
                raise SendError("; ".join(problems))


provide_push(WebPush)
