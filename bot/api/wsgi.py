"""The API as a WSGI application, for the waitress server that serves Slack's endpoint too.

a2wsgi's ASGIMiddleware runs the FastAPI application on an event loop in a thread of its own;
the waitress thread that took the request waits for the whole answer, so a request in flight
at SIGTERM is answered before the server stops (bot.slack.server.Serving), as Slack's are.
A body larger than MAX_BODY_BYTES is refused with 413 before anything reads it.
"""

import asyncio
import json
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from a2wsgi import ASGIMiddleware
from fastapi import FastAPI

from bot.api import messages
from bot.logs import bound

# A batch of 1,000 observations is about 200 KB; this leaves room, and no more.
MAX_BODY_BYTES = 1024 * 1024
# What the server reads at most (waitress answers a plain-text 413 itself past it, before the
# application sees the request): well above the API's limit, so that a body too large for the
# API still gets its JSON answer (announced or chunked: waitress reads it, spilling to a
# temporary file, then this application refuses it); only one past 16 MiB is waitress's.
SERVER_MAX_BODY_BYTES = 16 * MAX_BODY_BYTES

StartResponse = Callable[..., Any]


class ApiWsgi:
    """`api` as a WSGI application; `close()` stops its event loop (after the server stopped)."""

    def __init__(self, api: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="api-loop", daemon=True)
        self.thread.start()
        self.inner = ASGIMiddleware(_with_request_id(api), loop=self.loop)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # waitress itself refuses a body past its limit (bot.slack.server)
        if length > MAX_BODY_BYTES:
            body = json.dumps({"error": messages.too_large(MAX_BODY_BYTES)}).encode()
            start_response(
                f"413 {HTTPStatus(413).phrase}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.inner(environ, start_response)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _with_request_id(api: FastAPI) -> Callable[..., Any]:
    """`api`, logging each request's lines with the id bot.slack.server gave it (X-Request-Id):
    the API runs on an event loop of its own, where the server thread's context is not."""

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or None
        with bound(request_id=request_id):
            await api(scope, receive, send)

    return application
