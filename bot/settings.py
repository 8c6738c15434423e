"""Settings, read from the environment and an optional `.env` file.

Every setting here is listed in `.env.example` with its default and one line of explanation;
keep the two in step.
"""

import re
from dataclasses import fields
from datetime import time, timedelta
from decimal import Decimal
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.alerts.policy import AlertPolicy
from bot.calendar import BusinessCalendar, CalendarFileError, load_calendar_file
from bot.digest.sending import DigestOptions
from bot.errors import InputError
from bot.heartbeat_url import ping_targets
from bot.i18n import EN, parse_language
from bot.ledger.facilities import CHANNEL_ID
from bot.oncall.config import EscalationConfig
from bot.oncall.hours import parse_business_hours
from bot.thresholds import Thresholds


class LanguageSetting(BaseSettings):
    """The workspace's language alone: what the CLI reads before anything else (a command that
    needs no other setting still speaks it). Settings has it too."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    language: str = Field(
        EN,
        validation_alias="LOANWATCH_LANGUAGE",
        description=(
            "The workspace's language (en or zh-CN): the CLI's, and channel messages' unless "
            "the facility or the channel has its own; each person's replies follow their "
            "Slack language when it is one of these."
        ),
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if not value.strip():
            return EN  # LOANWATCH_LANGUAGE= (a compose file's empty value): not set
        try:
            return parse_language(value, pseudo=True)
        except InputError as exc:
            raise ValueError(str(exc)) from exc


class Settings(LanguageSetting):
    """The process's configuration; build one per process (or per CLI call)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./loanwatch.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… for replicas.",
    )
    database_timeout_seconds: int = Field(
        5,
        ge=2,
        le=300,
        validation_alias="LOANWATCH_DATABASE_TIMEOUT_SECONDS",
        description=(
            "How long to wait for PostgreSQL to accept a connection or for a pooled one, and "
            "for the health checks and metrics to answer before they say the database is down."
        ),
    )
    timezone: str = Field(
        "Asia/Shanghai",
        validation_alias="LOANWATCH_TIMEZONE",
        description=(
            "Default IANA time zone for new facilities and for dates typed without one; times "
            "about no facility (a check silence, an admin alert) are shown in it."
        ),
    )
    log_level: str = Field("INFO", validation_alias="LOANWATCH_LOG_LEVEL")
    # bot/logs.py: one JSON object per line (json), or a line a person reads (console).
    log_format: Literal["console", "json"] = Field(
        "console", validation_alias="LOANWATCH_LOG_FORMAT"
    )
    # A dead man's switch (healthchecks.io style): GET after each check cycle, <url>/fail
    # (before any query) after a failed one or while delivery fails (jobs/switch.py).
    heartbeat_url: str | None = Field(None, validation_alias="LOANWATCH_HEARTBEAT_URL")

    # The checks and their defaults; a facility's own thresholds override these.
    check_interval_minutes: int = Field(
        15, ge=1, validation_alias="LOANWATCH_CHECK_INTERVAL_MINUTES"
    )
    # Prompt checks (jobs/prompt.py): a facility with new observations is checked once its
    # writes have been quiet this long, and at the latest this long after the first of them
    # (0 and 0: at the worker's next look, every second).
    prompt_check_delay_seconds: int = Field(
        2, ge=0, le=3600, validation_alias="LOANWATCH_PROMPT_CHECK_DELAY_SECONDS"
    )
    prompt_check_max_wait_seconds: int = Field(
        10, ge=0, le=3600, validation_alias="LOANWATCH_PROMPT_CHECK_MAX_WAIT_SECONDS"
    )
    bill_lead_days: int = Field(10, ge=0, validation_alias="LOANWATCH_BILL_LEAD_DAYS")
    bill_grace_hours: int = Field(24, ge=0, validation_alias="LOANWATCH_BILL_GRACE_HOURS")
    bill_match_window_days: int = Field(
        3, ge=0, validation_alias="LOANWATCH_BILL_MATCH_WINDOW_DAYS"
    )
    bill_critical_days: int = Field(3, ge=0, validation_alias="LOANWATCH_BILL_CRITICAL_DAYS")
    amount_tolerance: Decimal = Field(
        Decimal("0.01"), ge=0, decimal_places=2, validation_alias="LOANWATCH_AMOUNT_TOLERANCE"
    )
    due_soon_days: int = Field(3, ge=0, validation_alias="LOANWATCH_DUE_SOON_DAYS")
    limit_drop_percent: int = Field(
        20, ge=1, le=100, validation_alias="LOANWATCH_LIMIT_DROP_PERCENT"
    )
    restore_lag_hours: int = Field(2, ge=0, validation_alias="LOANWATCH_RESTORE_LAG_HOURS")
    # Business hours: only the hours of business days count (two business days by default).
    stale_after_hours: int = Field(48, ge=1, validation_alias="LOANWATCH_STALE_AFTER_HOURS")
    confirm_window_hours: int = Field(24, ge=1, validation_alias="LOANWATCH_CONFIRM_WINDOW_HOURS")
    utilization_percent: int = Field(
        90, ge=1, le=100, validation_alias="LOANWATCH_UTILIZATION_PERCENT"
    )
    unavailable_run: int = Field(3, ge=1, le=100, validation_alias="LOANWATCH_UNAVAILABLE_RUN")
    holidays_file: Path | None = Field(None, validation_alias="LOANWATCH_HOLIDAYS_FILE")

    # Alerts.
    default_alert_channel: str | None = Field(
        None, validation_alias="LOANWATCH_DEFAULT_ALERT_CHANNEL"
    )
    ack_expiry_hours: int = Field(24, ge=1, validation_alias="LOANWATCH_ACK_EXPIRY_HOURS")
    storm_threshold: int = Field(5, ge=1, validation_alias="LOANWATCH_STORM_THRESHOLD")

    # On-call and escalation (docs/oncall.md).
    business_hours: str = Field(
        "09:00-18:00",
        validation_alias="LOANWATCH_BUSINESS_HOURS",
        description=(
            "When warnings escalate, and what an unanswered reading request's two hours before "
            "its reminder count: these hours of China's working days, facility's zone."
        ),
    )
    urgent_days: int = Field(2, ge=0, le=30, validation_alias="LOANWATCH_URGENT_DAYS")
    default_rotation: str | None = Field(None, validation_alias="LOANWATCH_DEFAULT_ROTATION")

    # Delivery of notifications through the outbox. Transient failures are retried for as long
    # as it takes; only permanent ones become dead letters.
    delivery_backoff_seconds: int = Field(
        30, ge=1, validation_alias="LOANWATCH_DELIVERY_BACKOFF_SECONDS"
    )
    delivery_backoff_max_seconds: int = Field(
        300, ge=1, validation_alias="LOANWATCH_DELIVERY_BACKOFF_MAX_SECONDS"
    )
    delivery_degraded_after_minutes: int = Field(
        10, ge=1, validation_alias="LOANWATCH_DELIVERY_DEGRADED_AFTER_MINUTES"
    )

    # Slack. Without a bot token, notifications go to the console.
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    slash_command: str = Field("/loan", validation_alias="LOANWATCH_SLASH_COMMAND")
    host: str = Field("0.0.0.0", validation_alias="LOANWATCH_HOST")
    port: int = Field(3000, ge=0, le=65535, validation_alias="PORT")
    web_threads: int = Field(8, ge=1, le=256, validation_alias="LOANWATCH_WEB_THREADS")
    # /metrics of `loanwatch worker` (and of `run` in Socket Mode) on a port of its own; 0 or
    # blank: none (`web` and `run` over HTTP serve /metrics on PORT).
    metrics_port: int = Field(9464, ge=0, le=65535, validation_alias="LOANWATCH_METRICS_PORT")

    # The ingest API (docs/api.md): requests one token may make, in this process, per window.
    api_rate_limit: str = Field("600/minute", validation_alias="LOANWATCH_API_RATE_LIMIT")

    # /loan status and App Home reuse a dashboard this many seconds (0: read it every time).
    status_cache_seconds: int = Field(
        5, ge=0, le=300, validation_alias="LOANWATCH_STATUS_CACHE_SECONDS"
    )

    # `/loan import` of a file shared in Slack (docs/ledger.md): the largest file downloaded.
    import_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1, validation_alias="LOANWATCH_IMPORT_MAX_BYTES"
    )

    # Email to platforms (a ticket's email contact). Without a host, the console prints those
    # messages (no SLACK_BOT_TOKEN) or they wait in the outbox (with Slack).
    smtp_host: str | None = Field(None, validation_alias="LOANWATCH_SMTP_HOST")
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias="LOANWATCH_SMTP_PORT")
    smtp_user: str | None = Field(None, validation_alias="LOANWATCH_SMTP_USER")
    smtp_password: SecretStr | None = Field(None, validation_alias="LOANWATCH_SMTP_PASSWORD")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", validation_alias="LOANWATCH_SMTP_SECURITY"
    )
    mail_from: str | None = Field(None, validation_alias="LOANWATCH_MAIL_FROM")

    # Roles: comma-separated Slack user ids (U…/W…) and user-group ids (S…).
    admins: str = Field("", validation_alias="LOANWATCH_ADMINS")
    treasurers: str = Field("", validation_alias="LOANWATCH_TREASURERS")
    operators: str = Field("", validation_alias="LOANWATCH_OPERATORS")

    # The daily digest (docs/digest.md): when each channel gets it, what concentration warns.
    digest_time: str = Field("09:00", validation_alias="LOANWATCH_DIGEST_TIME")
    concentration_percent: int = Field(
        60, ge=1, le=100, validation_alias="LOANWATCH_CONCENTRATION_PERCENT"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", value.strip())
        if match is None:
            raise ValueError(
                f"LOANWATCH_DIGEST_TIME {value!r} must be a time of day as HH:MM (09:00)"
            )
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("api_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]{0,6}/(second|minute|hour|day)", value.strip()):
            raise ValueError(
                f"LOANWATCH_API_RATE_LIMIT {value!r} must read like 600/minute (a count, then "
                "second, minute, hour or day)"
            )
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"log level {value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        # Plain postgresql:// would pick psycopg2, which we do not ship; psycopg 3 is the driver.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # An optional setting left blank (`SLACK_APP_TOKEN=`, `LOANWATCH_HOLIDAYS_FILE=`, as
        # .env.example writes them) is not set: not an empty token, not the path ".".
        optional = info.field_name is not None and cls.model_fields[info.field_name].default is None
        return None if optional and isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _blank_port_is_off(cls, value: object) -> object:
        return 0 if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_security", "log_format", mode="before")
    @classmethod
    def _security(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if value is not None and "@" not in parseaddr(value)[1]:
            raise ValueError(
                f"LOANWATCH_MAIL_FROM must be an email address (loanwatch@example.com, or "
                f'"Loanwatch <loanwatch@example.com>"), not "{value}"'
            )
        return value

    @field_validator("default_alert_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        # Updating a message and finding it again on a retry need the id, not the name.
        if value is not None and not CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id (like C0123ABCD); copy it from the "
                "channel's details in Slack (a #name is not enough)"
            )
        return value

    @field_validator("business_hours")
    @classmethod
    def _business_hours(cls, value: str) -> str:
        try:
            parse_business_hours(value)
        except InputError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("slash_command")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_-]{1,31}", value):
            raise ValueError(
                f"slash command {value!r} must look like /loan (a slash, then up to 31 lower-case"
                " letters, digits, - or _)"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        # slack_sdk joins method names onto the base URL, which must end in a slash.
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"SLACK_API_URL {value!r} must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("heartbeat_url")
    @classmethod
    def _heartbeat(cls, value: str | None) -> str | None:
        if not value:
            return value
        try:
            ok, _fail = ping_targets(value)
        except ValueError as exc:
            raise ValueError(f"LOANWATCH_HEARTBEAT_URL {exc}") from None
        return ok

    @field_validator("admins", "treasurers", "operators")
    @classmethod
    def _slack_ids(cls, value: str) -> str:
        for entry in _split(value):
            if not re.fullmatch(r"[UWS][A-Z0-9]{2,}", entry):
                raise ValueError(
                    f"{entry!r} is not a Slack user id (U…, W…) or user-group id (S…); "
                    "find ids in a profile's ⋮ menu → Copy member ID"
                )
        return value

    def role_members(self) -> dict[str, tuple[str, ...]]:
        """Who holds each role, as listed (user ids and user-group ids), by role name."""
        return {
            "admin": _split(self.admins),
            "treasurer": _split(self.treasurers),
            "operator": _split(self.operators),
        }

    def thresholds(self) -> Thresholds:
        """The checks' defaults, as the domain takes them (settings of the same names)."""
        return Thresholds(**{f.name: getattr(self, f.name) for f in fields(Thresholds)})

    def alert_policy(self) -> AlertPolicy:
        """How alerts behave: when an acknowledgement expires, what makes a storm, where
        alerts without a facility channel go, which zone an alert on no facility is told in."""
        return AlertPolicy(
            ack_expiry=timedelta(hours=self.ack_expiry_hours),
            storm_threshold=self.storm_threshold,
            default_channel=self.default_alert_channel,
            admin_channel=self.admin_alert_channel(),
            timezone=self.timezone,
            calendar=self._calendar_if_readable(),
        )

    def admin_alert_channel(self) -> str | None:
        """Where loanwatch's own alerts go: LOANWATCH_DEFAULT_ALERT_CHANNEL, else the first user
        (not user group) in LOANWATCH_ADMINS, by direct message; None when neither is set."""
        if self.default_alert_channel:
            return self.default_alert_channel
        users = [m for m in _split(self.admins) if m[:1] in ("U", "W")]
        return users[0] if users else None

    def escalation(self) -> EscalationConfig:
        """Business hours, the urgent deadline and the default rotation, for the engine."""
        return EscalationConfig(
            business_hours=parse_business_hours(self.business_hours),
            urgent_days=self.urgent_days,
            default_rotation=self.default_rotation,
        )

    def _calendar_if_readable(self) -> BusinessCalendar | None:
        """The calendar for the alerts' words, or None (China's as the library knows it) when the
        admin's file cannot be read: the checks load it themselves and say so, loudly (a
        `check_failed` alert; `loanwatch run` exits 1), and a process that only answers Slack
        must not refuse to start over it."""
        try:
            return self.calendar()
        except CalendarFileError:
            return None

    def calendar(self) -> BusinessCalendar:
        """China's business days, plus the admin's holidays file for years the library lacks."""
        if self.holidays_file:
            return load_calendar_file(self.holidays_file)
        return BusinessCalendar()

    def digest_options(self) -> DigestOptions:
        """When digests go out and what they flag (LOANWATCH_DIGEST_TIME, …)."""
        return DigestOptions(
            at=time.fromisoformat(self.digest_time),
            concentration_percent=self.concentration_percent,
            default_channel=self.default_alert_channel,
            default_zone=self.timezone,
            urgent_days=self.urgent_days,
            calendar=self.calendar(),
            language=self.language,
        )

    @cached_property
    def zone(self) -> ZoneInfo:
        """The default time zone as a ZoneInfo."""
        return ZoneInfo(self.timezone)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())
