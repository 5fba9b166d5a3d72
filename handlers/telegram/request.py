"""How the bot reaches the Telegram Bot API over HTTP: python-telegram-bot's documented networking
interface (``telegram.request.BaseRequest``) on aiohttp's client, instead of PTB's default
``HTTPXRequest``.

Why aiohttp: a press makes four Bot API requests on the bot's one event loop (the getUpdates that
brings it, answerCallbackQuery, the next actor's sendMessage, the presser's editMessageText), and
httpx spent about 1.0 ms of CPU on each small request on this project's machine against 0.35-0.45
ms for aiohttp (its HTTP parser is compiled): about a fifth of a press's whole time. aiohttp is a
well-kept client that the test fakes already serve with.

Modelled on the PTB team's ``ptbcontrib.aiohttp_request`` (not on PyPI, so not a dependency), with
PTB's four timeouts kept per request as ``HTTPXRequest`` keeps them (read, write, connect, pool;
aiohttp has no write timeout, so the request as a whole is bounded by their sum), files uploaded
with their content type, the proxy taken from the environment as httpx did, and no error text that
could carry the URL (it holds the bot token).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults for HTTPXRequest (seconds).
READ: Final = 5.0
WRITE: Final = 5.0
CONNECT: Final = 5.0
POOL: Final = 1.0
MEDIA_WRITE: Final = 20.0
_DEFAULT_VALUE: Final = type(BaseRequest.DEFAULT_NONE)


class AiohttpRequest(BaseRequest):
    """One connection pool to the Bot API; PTB's Application makes two (one for getUpdates)."""

    __slots__ = (
        "_connect",
        "_media_write",
        "_pool",
        "_pool_size",
        "_proxies",
        "_read",
        "_session",
        "_write",
    )

    def __init__(
        self,
        pool_size: int,
        *,
        read_timeout: float | None = READ,
        write_timeout: float | None = WRITE,
        connect_timeout: float | None = CONNECT,
        pool_timeout: float | None = POOL,
        media_write_timeout: float | None = MEDIA_WRITE,
    ) -> None:
        self._pool_size = pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None  # made in the running event loop
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=_body(request_data), timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class says what failed; the text of some (InvalidURL, ClientResponseError)
            # quotes the URL, and with it the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {_without(str(exc), url)}") from exc

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for the URL's host (HTTPS_PROXY, NO_PROXY...), as
        httpx honoured them; looked up once per host. (aiohttp's own ``trust_env`` looks it up
        in a thread on every request.)"""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxy = getproxies().get(parts.scheme)
            self._proxies[key] = None if proxy is None or proxy_bypass(key[1]) else proxy
        return self._proxies[key]


def _given(value: object, default: float | None) -> float | None:
    """A timeout given to this request (None: no bound), or the default when none was."""
    if isinstance(value, _DEFAULT_VALUE):  # not given (PTB's marker, as HTTPXRequest reads it)
        return default
    if value is None or isinstance(value, int | float):
        return value
    raise TypeError(f"a timeout is a number of seconds, not {value!r}")


def _sum(*parts: float | None) -> float | None:
    """A bound made of several; none when any part is unbounded."""
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


def _body(request_data: RequestData | None) -> aiohttp.FormData | None:
    """The parameters form-encoded, or as multipart with the files (as HTTPXRequest sends them)."""
    if request_data is None:
        return None
    # Names as they are, in UTF-8 (as httpx and RFC 7578 send them): aiohttp's default would
    # percent-encode them, and a document would reach Telegram as "arsip%20proses.pdf".
    form = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
    if request_data.contains_files:
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _without(text: str, url: str) -> str:
    """``text`` with the URL (and so the token) taken out."""
    return text.replace(url, "<Bot API URL>")
