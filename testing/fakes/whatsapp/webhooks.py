"""Webhook delivery the way Meta does it: the verification handshake, signed POSTs, retries.

Every event becomes one body (the bytes are fixed when the event is made, so a redelivery is
byte-identical, as Meta's duplicates are), signed with the app secret in `X-Hub-Signature-256`.
Events wait in one queue per person (plus one for account-level events); each queue delivers in
order, one event at a time, and retries an event that did not get a 2xx with a short backoff
until it does or the fake stops. Queues of different people do not wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fakes.common import HttpAnswer, Signal, WebhookClient, deliver_in_order

__all__ = [
    "ACCOUNT_QUEUE",
    "WebhookAttempt",
    "WebhookEvent",
    "WebhookSender",
    "encode_body",
    "sign",
]

JSONDict = dict[str, Any]

ACCOUNT_QUEUE: Final = "_account"


def encode_body(payload: JSONDict) -> bytes:
    """Meta's webhook JSON: compact, non-ASCII escaped as \\uXXXX and "/" escaped as "\\/"
    (so only the raw bytes, never a re-serialisation, match the signature)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header value for `body`."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _sign_sha1(app_secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(app_secret.encode("utf-8"), body, "sha1").hexdigest()


@dataclass(eq=False)
class WebhookEvent:
    """One webhook notification: its JSON, the exact bytes POSTed and their signature header
    (None: sent unsigned). `kind` is "message", "status", "template_status" or "raw"; `queue`
    the person's wa_id (or "_account"). `delivered` once an attempt got a 2xx."""

    id: int
    kind: str
    queue: str
    payload: JSONDict | None
    body: bytes
    signature: str | None
    delivered: bool = False
    attempts: int = 0
    duplicate_of: int | None = None

    @property
    def value(self) -> JSONDict:
        """entry[0].changes[0].value of the payload ({} for a raw body that is not one)."""
        try:
            value = self.payload["entry"][0]["changes"][0]["value"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def field(self) -> str | None:
        try:
            return str(self.payload["entry"][0]["changes"][0]["field"])  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None

    @property
    def statuses(self) -> list[str]:
        """The status names this event reports ("sent", "delivered", "read", "failed")."""
        return [str(s.get("status")) for s in self.value.get("statuses", [])]

    def __repr__(self) -> str:
        state = "delivered" if self.delivered else f"pending after {self.attempts} attempt(s)"
        return f"<WebhookEvent {self.id} {self.kind} for {self.queue} {state}>"


@dataclass
class WebhookAttempt:
    """One POST of an event (or one handshake GET, with event_id 0): the HTTP status the
    receiver answered, or None and `error` when the connection failed."""

    event_id: int
    attempt: int
    url: str
    status: int | None
    error: str | None
    time: float
    method: str = "POST"

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """The webhook side of the fake: the configured callback URL, the queues and the log."""

    def __init__(self, app_secret: str, challenge: Callable[[], str]) -> None:
        self._app_secret = app_secret
        self._challenge = challenge
        self.url: str | None = None
        self.verify_token: str | None = None
        self.events: list[WebhookEvent] = []
        self.log: list[WebhookAttempt] = []
        self.signal = Signal()
        self._queues: dict[str, deque[WebhookEvent]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._client = WebhookClient("the fake WhatsApp API", "webhooks", verify_tls=True)
        self._closing = False

    async def start(self) -> None:
        self._closing = False
        await self._client.start()

    async def stop(self) -> None:
        self._closing = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.close()
        self.signal.notify()

    # -- the handshake ---------------------------------------------------------------------

    async def verify(self, url: str, verify_token: str) -> bool:
        """Meta's verification request; on success `url` receives every event from now on."""
        challenge = self._challenge()
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        answer = await self._client.request("GET", url, params=params)
        text = answer.body.decode("utf-8", errors="replace")
        ok = answer.status == 200 and text == challenge
        error = answer.error
        if not ok and error is None:
            error = f"the callback answered {answer.status} {text[:80]!r}, not the challenge"
        self.log.append(
            WebhookAttempt(0, 1, url, answer.status, error, time.monotonic(), method="GET")
        )
        if ok:
            self.url = url
            self.verify_token = verify_token
            for queue in list(self._queues):
                self._kick(queue)
        self.signal.notify()
        return ok

    # -- events ----------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        queue: str,
        payload: JSONDict | None,
        *,
        body: bytes | None = None,
        signature: str | bool | None = True,
        duplicate_of: int | None = None,
    ) -> WebhookEvent:
        """Queue one event; `signature` True signs the body, a string is sent as the header,
        False or None sends it unsigned."""
        raw = body if body is not None else encode_body(payload or {})
        header: str | None
        if signature is True:
            header = sign(self._app_secret, raw)
        elif signature is False or signature is None:
            header = None
        else:
            header = signature
        event = WebhookEvent(
            id=len(self.events) + 1,
            kind=kind,
            queue=queue,
            payload=payload,
            body=raw,
            signature=header,
            duplicate_of=duplicate_of,
        )
        self.events.append(event)
        self._queues.setdefault(queue, deque()).append(event)
        self._kick(queue)
        self.signal.notify()
        return event

    def again(self, event: WebhookEvent) -> WebhookEvent:
        """The same bytes and signature once more, at the end of the same queue."""
        return self.enqueue(
            event.kind,
            event.queue,
            event.payload,
            body=event.body,
            signature=event.signature if event.signature is not None else False,
            duplicate_of=event.id,
        )

    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def _kick(self, queue: str) -> None:
        if self.url is None or self._closing or queue in self._tasks:
            return
        if not self._queues.get(queue):
            return
        self._tasks[queue] = asyncio.get_running_loop().create_task(
            self._deliver_queue(queue), name=f"fakewhatsapp-webhook-{queue}"
        )

    async def _deliver_queue(self, queue: str) -> None:
        events = self._queues[queue]

        async def head() -> tuple[WebhookEvent, str] | None:
            return (events[0], self.url) if events and self.url is not None else None

        async def attempt(item: tuple[WebhookEvent, str]) -> bool:
            event, url = item
            answer = await self._post(url, event.body, event.signature)
            event.attempts += 1
            self.log.append(
                WebhookAttempt(
                    event.id, event.attempts, url, answer.status, answer.error, time.monotonic()
                )
            )
            if answer.ok:
                event.delivered = True
                events.popleft()
            self.signal.notify()
            return answer.ok

        await deliver_in_order(head, attempt)
        self._tasks.pop(queue, None)
        self.signal.notify()

    async def _post(self, url: str, body: bytes, signature: str | None) -> HttpAnswer:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "facebookexternalua",
        }
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
            if signature == sign(self._app_secret, body):
                headers["X-Hub-Signature"] = _sign_sha1(self._app_secret, body)
        return await self._client.request("POST", url, body=body, headers=headers)

    async def post_once(self, body: bytes, signature: str | None, url: str | None) -> int | None:
        """One POST outside the queues, not retried, logged with event id -1."""
        target = url or self.url
        if target is None:
            raise RuntimeError("no webhook is configured; call configure_webhook() first")
        answer = await self._post(target, body, signature)
        self.log.append(
            WebhookAttempt(-1, 1, target, answer.status, answer.error, time.monotonic())
        )
        self.signal.notify()
        return answer.status
