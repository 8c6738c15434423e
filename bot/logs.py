"""Logging for every process: structlog renders each line, stdlib loggers included.

`configure_logging(settings)` is called once by each long-running command (`web`, `worker`,
`run`). Every `logging.getLogger(...)` in loanwatch and in the libraries it runs on (slack_bolt,
waitress, apscheduler, SQLAlchemy's warnings) goes through structlog's ProcessorFormatter, so
`LOANWATCH_LOG_FORMAT=json` gives one JSON object per line with `time` (ISO 8601, UTC),
`level`, `event`, `logger` and the ids in play (`request_id`, `alert_id`, `outbox_id`,
`ticket_id`, …), bound with :func:`bound` where the work happens; `console` (the default) gives
the same fields as a line a person reads.

Secrets never reach a line: :class:`Redactor` replaces the values it knows (the settings'
tokens and passwords, every environment variable whose name says it holds one, and any value a
transport hands it with :func:`keep_secret`) and anything shaped like one (Slack tokens, API
tokens, `Bearer …`, a URL's password or query values) with `[redacted]`, in the event, in
every field and in tracebacks.
"""

import contextvars
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import urlsplit

import structlog

REDACTED = "[redacted]"
FORMATS = ("console", "json")
# Environment variables whose values are secrets, by name (a webhook's `--secret-env` too).
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL", re.I)
# Shorter values would blank out ordinary words and times (a password `info` would turn every
# `"level": "info"` into `[redacted]` and so give itself away). A setting that is a secret is
# hidden from 8 characters (a shorter one is warned about once at start-up, never redacted); a
# variable that only has a secret's name (a flag named …_TOKEN_ROTATION=disabled) from 12, as
# real tokens and secrets are longer. A known value is only replaced as a whole token, never
# inside a longer word.
MIN_SECRET_LENGTH = 8
MIN_NAMED_SECRET_LENGTH = 12
# The settings that are secrets, by the variable that sets them.
SECRET_SETTINGS = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "smtp_password": "LOANWATCH_SMTP_PASSWORD",
}
# Fields every line has, written by loanwatch itself: never redacted.
STRUCTURAL_FIELDS = frozenset({"time", "level", "logger", "logger_name", "timestamp"})
PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    # Slack's tokens: bot, user, app-level, refresh, configuration.
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), REDACTED),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), REDACTED),
    # The ingest API's tokens (bot.api.tokens).
    (re.compile(r"\blwt_[A-Za-z0-9_-]{8,}"), REDACTED),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # A URL's password: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@"), r"\1:" + REDACTED + "@"),
    # A URL's query values, which carry tokens in webhook URLs (`?token=…`).
    (
        re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s?#'\"]*\?)([^\s#'\"]+)"),
        lambda found: found[1] + re.sub(r"=[^&]*", "=" + REDACTED, found[2]),
    ),
    # A Slack request's signature.
    (re.compile(r"\bv0=[0-9a-f]{64}\b"), "v0=" + REDACTED),
)

_secrets: set[str] = set()
_lock = threading.Lock()


def keep_secret(value: str | None) -> None:
    """Never log `value` (a webhook's secret or URL, read from the database or environment)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every known secret and everything shaped like one replaced."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = _whole_token(secret).sub(REDACTED, text)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _whole_token(secret: str) -> re.Pattern[str]:
    """`secret` where it is not part of a longer word or number."""
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(secret) + r"(?![A-Za-z0-9])")


def redact_with_environment(text: str) -> str:
    """`text` redacted, the environment's secrets included: for an error printed before (or
    without) :func:`configure_logging`, such as a bad setting's."""
    for value in secrets_from(None):
        keep_secret(value)
    return redact(text)


def secrets_from(settings: Any, environ: Mapping[str, str] | None = None) -> list[str]:
    """The secret values the settings and the environment hold."""
    values = [
        secret.get_secret_value()
        for name in SECRET_SETTINGS
        if (secret := getattr(settings, name, None)) is not None
    ]
    api_url = getattr(settings, "slack_api_url", None)
    if isinstance(api_url, str):
        values += path_secrets(api_url)
    environ = os.environ if environ is None else environ
    values += [
        value
        for name, value in environ.items()
        if SECRET_NAME.search(name) and len(value) >= MIN_NAMED_SECRET_LENGTH
    ]
    return values


class Redactor:
    """A structlog processor: every string in the event dict, redacted (nested ones too)."""

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
        return {
            key: value if key in STRUCTURAL_FIELDS else _redacted(value)
            for key, value in event.items()
        }


def path_secrets(url: str) -> list[str]:
    """The parts of SLACK_API_URL's path beyond Slack's own `api` part (a proxy's path that carries
    a token, http://proxy/TOKEN/api/): slack_sdk logs each request's URL at DEBUG."""
    return [
        part
        for part in urlsplit(url).path.split("/")
        if part and part != "api" and len(part) >= MIN_SECRET_LENGTH
    ]


def too_short(settings: Any) -> list[str]:
    """The variables whose secret is too short to be redacted from the log safely."""
    return [
        variable
        for name, variable in SECRET_SETTINGS.items()
        if (secret := getattr(settings, name, None)) is not None
        and 0 < len(secret.get_secret_value()) < MIN_SECRET_LENGTH
    ]


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """A console traceback, redacted: it is rendered after the event dict's processors ran.
    The first line (time, level, event, fields) was redacted field by field already."""

    def format(self, record: logging.LogRecord) -> str:
        head, newline, rest = super().format(record).partition("\n")
        return head + newline + redact(rest)


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for `log_format` (json or console), redaction included."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        last = [structlog.processors.format_exc_info, Redactor(), renderer]
    else:
        # Plain tracebacks: rich's show local variables, and cut long strings (a secret among
        # them, cut, would no longer match what the redaction looks for).
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        last = [Redactor(), renderer]
    return RedactingFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )


def configure_logging(
    settings: Any, *, stream: TextIO | None = None, extra_secrets: Iterable[str] = ()
) -> logging.Handler:
    """Send every log record to `stream` (stderr) as LOANWATCH_LOG_FORMAT says, at
    LOANWATCH_LOG_LEVEL, with the settings' secrets redacted. Replaces handlers set before
    (a second call, a test's), so each record is written once. Returns the handler."""
    for secret in [*secrets_from(settings), *extra_secrets]:
        keep_secret(secret)
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(settings.log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # SQLAlchemy's warnings (and others') come through the logging module as well.
    logging.captureWarnings(True)
    for variable in too_short(settings):
        logging.getLogger("bot.logs").warning(
            "%s is shorter than %d characters: too short to be redacted from the log safely"
            " (it would blank out ordinary words); use a longer one",
            variable,
            MIN_SECRET_LENGTH,
        )
    return handler


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """The ids in play (`alert_id=…`, `outbox_id=…`) on every line logged inside, in this
    thread or task; the ones that are None are left out."""
    present = {key: value for key, value in ids.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**present):
        yield


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks keep the ids bound where they were submitted (a lazy Slack
    listener logs with its request's id)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
