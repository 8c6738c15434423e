"""Settings, read from the environment and an optional `.env` file.

Every setting here is listed in `.env.example` with its default and one line of explanation;
keep the two in step.
"""

from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The process's configuration; build one per process (or per CLI call)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./loanwatch.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… for replicas.",
    )
    timezone: str = Field(
        "Asia/Shanghai",
        validation_alias="LOANWATCH_TIMEZONE",
        description="Default IANA time zone for new facilities and for dates typed without one.",
    )
    log_level: str = Field("INFO", validation_alias="LOANWATCH_LOG_LEVEL")

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

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        # Plain postgresql:// would pick psycopg2, which we do not ship; psycopg 3 is the driver.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        """The default time zone as a ZoneInfo."""
        return ZoneInfo(self.timezone)
