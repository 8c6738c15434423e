"""A platform's webhook endpoint on loopback: checks each POST's signature as a platform would.

    with WebhookReceiver(secret="s3cret", answers=[500, 500]) as hook:
        ...                       # POST to hook.url
        hook.deliveries           # (Idempotency-Key, body) of each verified POST answered 200
        hook.rejected             # what failed the signature check

It answers the statuses in `answers` first (one per request), then 200. A request whose
signature does not verify is answered 401 and kept in `rejected`, never in `deliveries`.
"""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, header: str, body: bytes) -> bool:
    """A receiver's check of `X-Loanwatch-Signature: t=…,v1=…`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in parts or "v1" not in parts:
        return False
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (port 0) that records the deliveries it verifies."""

    def __init__(
        self, secret: str, answers: list[int] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """`headers` go with each answer from `answers` (a Retry-After, say)."""
        self.extra_headers = dict(headers or {})
        self.secret = secret
        self.answers = list(answers or [])
        self.requests: list[dict[str, Any]] = []  # every request, verified or not
        self.deliveries: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[bytes] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.receive(dict(self.headers.items()), body)
                self.send_response(status)
                if status != 200:
                    for name, value in receiver.extra_headers.items():
                        self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/loanwatch"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        """Check, record and answer one POST."""
        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            if not verify(self.secret, headers.get("X-Loanwatch-Signature", ""), body):
                self.rejected.append(body)
                return 401
            if self.answers:
                return self.answers.pop(0)
            self.deliveries.append((headers["Idempotency-Key"], json.loads(body)))
            return 200

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
