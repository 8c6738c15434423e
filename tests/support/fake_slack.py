"""A stand-in for Slack's Web API on loopback, port 0, for tests that must see what Slack would.

It keeps channels with their messages (text, blocks, metadata, threads), answers the methods
loanwatch calls the way Slack documents them, records every call, and can be told to misbehave:
answer 429 with `Retry-After`, 500, or drop the connection before or after doing the work.

    with FakeSlack() as slack:
        slack.add_channel("C0ALERTS", "loan-alerts")
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        slack.messages("C0ALERTS")   # what reached the channel

Response URLs handed to the app (`slack.response_url()`) point here too; what the app posts to
them is in `slack.responses`. Nothing here ever talks to slack.com.
"""

import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

BOT_USER = "U0LOANBOT"
BOT_ID = "B0LOANBOT"
TEAM = "T0FINANCE"
APP_ID = "A0LOANWATCH"


@dataclass
class Call:
    """One request that reached the fake: the Web API method and its arguments."""

    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Message:
    """A message as Slack keeps it."""

    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edited: int = 0

    def as_api(self, with_metadata: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "message",
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
            "user": self.user,
            "bot_id": BOT_ID,
        }
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            body["metadata"] = self.metadata
        if self.files:
            body["files"] = self.files
        return body


@dataclass
class Channel:
    id: str
    name: str
    private: bool = False
    archived: bool = False
    member: bool = True
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class Fault:
    """How to misbehave on one call: `kind` is 429, 500, "drop_before" or "drop_after"."""

    kind: int | str
    retry_after: int = 1


class FaultPlan:
    """Misbehave on a share of the calls to some methods, reproducibly (seeded)."""

    def __init__(
        self,
        share: float,
        kinds: tuple[int | str, ...] = (429, 500, "drop_before", "drop_after"),
        methods: frozenset[str] = frozenset({"chat.postMessage", "chat.update"}),
        seed: int = 7,
        retry_after: int = 1,
    ) -> None:
        self.share = share
        self.kinds = kinds
        self.methods = methods
        self.rng = random.Random(seed)
        self.retry_after = retry_after
        self.injected: list[tuple[str, int | str]] = []

    def __call__(self, method: str) -> Fault | None:
        if method not in self.methods or self.rng.random() >= self.share:
            return None
        kind = self.rng.choice(self.kinds)
        self.injected.append((method, kind))
        return Fault(kind, self.retry_after)


class FakeSlack:
    """Slack's Web API, the parts loanwatch uses, on 127.0.0.1 and a port the OS picks."""

    def __init__(self, *, token: str = "xoxb-test") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        # Files people shared (files.info describes them, /files-pri/ serves their bytes to the
        # bot token), and every download asked for: (path, the bearer token it carried).
        self.shared_files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.downloads: list[tuple[str, str | None]] = []
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, list[str]] = {}
        # People deactivated in the workspace: users.info says `deleted: true` and
        # conversations.open answers user_disabled.
        self.deleted_users: set[str] = set()
        # People's Slack languages (users.info with include_locale); others have en-US.
        self.locales: dict[str, str] = {}
        self.socket_url: str | None = None
        self.faults: Callable[[str], Fault | None] | None = None
        # Method → the error Slack answers it with (`missing_scope` for an app installed
        # without a scope), whatever the arguments.
        self.refusals: dict[str, str] = {}
        # Seconds to wait before answering a method: a slow Slack.
        self.delays: dict[str, float] = {}
        # Off: conversations.history answers the newest `limit` messages and has_more false.
        # On: it pages like Slack, `limit` at a time with `response_metadata.next_cursor`.
        self.paged_history = False
        # Who the bot token belongs to, as auth.test tells it. Slack documents no app id in
        # auth.test's answer, so by default the app id is only in bots.info; switch this on for
        # an auth.test that says it.
        self.team_id = TEAM
        self.enterprise_id: str | None = None
        self.app_id = APP_ID
        self.auth_test_says_app_id = False
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- life ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the world ----------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        archived: bool = False,
        member: bool = True,
    ) -> Channel:
        with self._lock:
            channel = Channel(channel_id, name, private, archived, member)
            self.channels[channel_id] = channel
            return channel

    def messages(self, channel: str, *, replies: bool = False) -> list[Message]:
        """Top-level messages of a channel, oldest first (with `replies`, thread replies too)."""
        with self._lock:
            found = self._channel(channel)
            if found is None:
                return []
            return [m for m in found.messages if replies or not m.thread_ts]

    def delete(self, channel: str, ts: str) -> None:
        """Someone deletes a message in Slack: it is gone; replies to it are not."""
        with self._lock:
            found = self._channel(channel)
            assert found is not None, f"no channel {channel}"
            found.messages = [m for m in found.messages if m.ts != ts]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in a message's thread, oldest first."""
        with self._lock:
            found = self._channel(channel)
            return [m for m in found.messages if m.thread_ts == ts] if found else []

    def share_file(
        self,
        file_id: str,
        name: str,
        data: bytes,
        *,
        filetype: str | None = None,
        size: int | None = None,
        url: str | None = None,
        mimetype: str = "text/csv",
    ) -> dict[str, Any]:
        """A file someone shared: what files.info says of it (its `size` may be told to lie,
        its download address may be put elsewhere), and the bytes Slack's file host serves."""
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype or name.rpartition(".")[2].lower(),
            "pretty_type": (filetype or name.rpartition(".")[2]).upper(),
            "size": len(data) if size is None else size,
            "url_private": f"{self.base_url}/files-pri/{TEAM}-{file_id}/{quote(name)}",
            "url_private_download": url
            or f"{self.base_url}/files-pri/{TEAM}-{file_id}/download/{quote(name)}",
        }
        with self._lock:
            self.shared_files[file_id] = (info, data)
        return info

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll until `predicate()` is truthy (for work the app finishes after its ack)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.01)

    # --- the API ------------------------------------------------------------------------------

    def _channel(self, key: str | None) -> Channel | None:
        if not key:
            return None
        if key in self.channels:
            return self.channels[key]
        if key[:1] in ("U", "W") and key[1:].isalnum():
            # Posting to a user id posts to the app's direct message with that person.
            return self.channels.setdefault(key, Channel(key, f"dm-{key.lower()}"))
        name = key.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, args, token))
            if method == "apps.connections.open":
                # Socket Mode connections are opened with the app-level token, not the bot's.
                if not (token or "").startswith("xapp-"):
                    return _err("invalid_auth")
                return {"ok": True, "url": self.socket_url} if self.socket_url else _err("no_ws")
            if token != self.token:
                return _err("invalid_auth")
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                return _err("unknown_method")
            if method in self.refusals:
                return _err(self.refusals[method])
            return handler(args)

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "url": "https://finance.slack.invalid/",
            "team": "Finance",
            "user": "loanwatch",
            "team_id": self.team_id,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }
        if self.enterprise_id:
            answer["enterprise_id"] = self.enterprise_id
        if self.auth_test_says_app_id:
            answer["app_id"] = self.app_id
        return answer

    def _m_bots_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("bot") != BOT_ID:
            return _err("bot_not_found")
        return {
            "ok": True,
            "bot": {
                "id": BOT_ID,
                "deleted": False,
                "name": "loanwatch",
                "updated": 1_700_000_000,
                "app_id": self.app_id,
                "user_id": BOT_USER,
                "icons": {},
            },
        }

    def _writable(self, args: dict[str, Any]) -> tuple[Channel | None, dict[str, Any] | None]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return None, _err("channel_not_found")
        if channel.archived:
            return None, _err("is_archived")
        if not channel.member:
            return None, _err("not_in_channel")
        return channel, None

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._writable(args)
        if error:
            return error
        assert channel is not None
        if not args.get("text") and not args.get("blocks"):
            return _err("no_text")
        parent = args.get("thread_ts")
        if parent and not any(m.ts == parent for m in channel.messages):
            # A reply to a message that was deleted (or never was).
            return _err("thread_not_found")
        message = Message(
            ts=self._next_ts(),
            text=args.get("text", ""),
            blocks=_json_arg(args.get("blocks")) or [],
            user=BOT_USER,
            metadata=_json_arg(args.get("metadata")),
            thread_ts=args.get("thread_ts"),
        )
        channel.messages.append(message)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "message": message.as_api(True),
        }

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._writable(args)
        if error:
            return error
        assert channel is not None
        for message in channel.messages:
            if message.ts == args.get("ts"):
                message.text = args.get("text", message.text)
                if "blocks" in args:
                    message.blocks = _json_arg(args["blocks"]) or []
                if "metadata" in args:
                    message.metadata = _json_arg(args["metadata"])
                message.edited += 1
                return {"ok": True, "channel": channel.id, "ts": message.ts}
        return _err("message_not_found")

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        __, error = self._writable(args)
        if error:
            return error
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        if channel.private:
            return _err("method_not_supported_for_channel_type")
        if channel.archived:
            return _err("is_archived")
        channel.member = True
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user") or "")
        if user[:1] not in ("U", "W"):
            return _err("user_not_found")
        found: dict[str, Any] = {"id": user, "deleted": user in self.deleted_users}
        if str(args.get("include_locale")).lower() in ("true", "1"):
            found["locale"] = self.locales.get(user, "en-US")
        return {"ok": True, "user": found}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "")
        if user[:1] not in ("U", "W") or "," in user:
            return _err("user_not_found")
        if user in self.deleted_users:
            return _err("user_disabled")
        direct = "D" + user[1:]
        if direct not in self.channels:
            self.channels[direct] = Channel(direct, f"dm-{user.lower()}")
        return {"ok": True, "channel": {"id": direct}}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        if not channel.member:
            return _err("not_in_channel")
        limit = int(args.get("limit", 100))
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = [m for m in channel.messages if not m.thread_ts][::-1]
        if self.paged_history:
            return _page(newest_first, args.get("cursor"), limit, with_metadata)
        top = newest_first[:limit]
        return {"ok": True, "messages": [m.as_api(with_metadata) for m in top], "has_more": False}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        ts = args.get("ts")
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in channel.messages if m.ts == ts or m.thread_ts == ts]
        if not found:
            return _err("thread_not_found")
        return {"ok": True, "messages": [m.as_api(with_metadata) for m in found]}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _json_arg(args.get("view")) or {}
        view = {**view, "id": f"V{next(self._ids):08d}"}
        self.views.append({"method": "views.open", "trigger_id": args.get("trigger_id"), **view})
        return {"ok": True, "view": view}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _json_arg(args.get("view")) or {}
        self.views.append({"method": "views.publish", "user_id": args.get("user_id"), **view})
        return {"ok": True, "view": {**view, "id": f"V{next(self._ids):08d}"}}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup")
        if group not in self.usergroups:
            return _err("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _m_usergroups_users_update(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup")
        if group not in self.usergroups:
            return _err("no_such_subteam")
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return _err("no_users_provided")
        self.usergroups[group] = users
        return {"ok": True, "usergroup": {"id": group, "users": users}}

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.shared_files.get(str(args.get("file") or ""))
        if found is None:
            return _err("file_not_found")
        return {"ok": True, "file": dict(found[0])}

    def _serve_file(self, path: str, token: str | None) -> tuple[int, bytes, dict[str, str]]:
        """A download from the file host: the bytes for the bot token; for anything else, as
        Slack does, a redirect to its sign-in page."""
        with self._lock:
            self.downloads.append((path, token))
            parts = path.split("/")
            file_id = parts[2].split("-", 1)[-1] if len(parts) > 2 else ""
            found = self.shared_files.get(file_id)
        if token != self.token:
            return 302, b"", {"Location": f"{self.base_url}/signin"}
        if found is None:
            return 404, b"not found", {"Content-Type": "text/plain"}
        info, data = found
        return 200, data, {"Content-Type": info["mimetype"]}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files")) or []
        channel_id = args.get("channel_id")
        shared = []
        for entry in files:
            if entry["id"] not in self.uploads:
                return _err("file_not_found")
            shared.append(
                {
                    "id": entry["id"],
                    "title": entry.get("title"),
                    "content": self.uploads[entry["id"]].decode("utf-8", "replace"),
                }
            )
        if channel_id:
            channel, error = self._writable({"channel": channel_id})
            if error:
                return error
            assert channel is not None
            channel.messages.append(
                Message(
                    ts=self._next_ts(),
                    text=args.get("initial_comment", ""),
                    blocks=[],
                    user=BOT_USER,
                    thread_ts=args.get("thread_ts"),
                    files=shared,
                )
            )
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    # --- HTTP ---------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if path.startswith("/response/"):
                    with fake._lock:
                        fake.responses.append(json.loads(body or b"{}"))
                    return self._reply(200, {"ok": True})
                if path.startswith("/upload/"):
                    with fake._lock:
                        fake.uploads[path.rsplit("/", 1)[1]] = _multipart_file(
                            body, self.headers.get("Content-Type", "")
                        )
                    return self._reply(200, {"ok": True})
                if not path.startswith("/api/"):
                    return self._reply(404, {"ok": False, "error": "not_found"})
                method = path.removeprefix("/api/")
                time.sleep(fake.delays.get(method, 0))
                fault = fake.faults(method) if fake.faults else None
                if fault and fault.kind == 429:
                    return self._reply(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(fault.retry_after)},
                    )
                if fault and fault.kind == 500:
                    return self._reply(500, {"ok": False, "error": "internal_error"})
                if fault and fault.kind == "drop_before":
                    return self._drop()
                answer = fake._api(method, _args(body, self.headers), _bearer(self.headers))
                if fault and fault.kind == "drop_after":
                    return self._drop()
                self._reply(200, answer)

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path.startswith("/files-pri/"):
                    status, data, headers = fake._serve_file(parsed.path, _bearer(self.headers))
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                method = parsed.path.removeprefix("/api/")
                args = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                self._reply(200, fake._api(method, args, _bearer(self.headers)))

            def _reply(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _drop(self) -> None:
                # Close without an answer: the client sees the connection reset or closed.
                self.close_connection = True
                self.connection.shutdown(2)

        return Handler


def _err(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def _page(
    messages: list[Message], cursor: str | None, limit: int, with_metadata: bool
) -> dict[str, Any]:
    """One page of `messages` from `cursor` (an offset here; opaque to clients, as in Slack)."""
    start = int(cursor or 0)
    page = messages[start : start + limit]
    more = start + limit < len(messages)
    answer: dict[str, Any] = {
        "ok": True,
        "messages": [m.as_api(with_metadata) for m in page],
        "has_more": more,
    }
    if more:
        answer["response_metadata"] = {"next_cursor": str(start + limit)}
    return answer


def _bearer(headers: Any) -> str | None:
    value = headers.get("Authorization", "")
    return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


def _args(body: bytes, headers: Any) -> dict[str, Any]:
    kind = headers.get("Content-Type", "")
    if not body:
        return {}
    if kind.startswith("application/json"):
        return json.loads(body)
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


def _json_arg(value: Any) -> Any:
    """Slack takes blocks, views and metadata as JSON in a form field or as JSON in a JSON body."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The file's bytes from an upload (slack_sdk posts them raw or as multipart)."""
    if "boundary=" not in content_type:
        return body
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b"filename=" in head:
            return content.removesuffix(b"\r\n")
    return b""
