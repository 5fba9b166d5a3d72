"""Where the Cloud API is. pywa always addresses ``https://graph.facebook.com``; a deployment may
point the bot elsewhere (WHATSAPP_API_BASE_URL: a proxy, or the project's fake in the tests and
the demo). This httpx transport sends Graph's requests to that address instead, keeping their
path; every other request (media downloads name their own host) goes where it says."""

from __future__ import annotations

import httpx

GRAPH_HOST = "graph.facebook.com"


class GraphAddress(httpx.AsyncBaseTransport):
    def __init__(self, base_url: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.base = httpx.URL(base_url.rstrip("/") + "/")
        self.inner = inner or httpx.AsyncHTTPTransport(retries=1)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == GRAPH_HOST and self.base.host != GRAPH_HOST:
            request.url = request.url.copy_with(
                scheme=self.base.scheme,
                host=self.base.host,
                port=self.base.port,
                path=self.base.path.rstrip("/") + request.url.path,
            )
            request.headers["host"] = request.url.netloc.decode("ascii")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
