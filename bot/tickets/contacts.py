"""How each platform is reached about tickets: one contact per platform, overridden per facility.

Admins set contacts (`loanwatch platform contact`, and later the Slack side checks the role);
a ticket copies its contact when it opens: it keeps its way (email, webhook, by hand) and
language, and follows a correction of that way's addresses (bot/tickets/readdress.py).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.ledger.facilities import get_facility
from bot.models import Facility, Platform, PlatformContact
from bot.tickets.words import DEFAULT_FOLLOW_UP_DAYS, Language, Via
from bot.typed import quote

MAX_FOLLOW_UP_DAYS = 60
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


@dataclass(frozen=True)
class Contact:
    """A contact as a ticket keeps it (`tickets.contact`)."""

    via: Via
    to: tuple[str, ...] = ()
    url: str | None = None
    secret_env: str | None = None
    language: Language = Language.ZH
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS

    def to_json(self) -> dict[str, Any]:
        """The contact as stored on the ticket (the secret's variable name, never the secret)."""
        return {
            "via": str(self.via),
            "to": list(self.to),
            "url": self.url,
            "secret_env": self.secret_env,
            "language": str(self.language),
            "follow_up_days": self.follow_up_days,
        }


# A platform nobody has configured is reached by hand, in Chinese, chased every 2 business days.
UNCONFIGURED = Contact(Via.MANUAL)


def check_contact(
    via: Via,
    *,
    to: str | None,
    url: str | None,
    secret_env: str | None,
    language: Language,
    follow_up_days: int,
) -> Contact:
    """The contact as typed, or an InputError saying what it lacks (one line)."""
    if not 1 <= follow_up_days <= MAX_FOLLOW_UP_DAYS:
        raise InputError(
            _("--follow-up-days must be 1 to {most} business days").format(most=MAX_FOLLOW_UP_DAYS)
        )
    if via == Via.EMAIL:
        return Contact(via, _addresses(to), language=language, follow_up_days=follow_up_days)
    if via == Via.WEBHOOK:
        return Contact(
            via,
            url=_url(url),
            secret_env=_env_name(secret_env),
            language=language,
            follow_up_days=follow_up_days,
        )
    return Contact(via, language=language, follow_up_days=follow_up_days)


def set_contact(
    session: Session,
    actor: audit.Actor,
    platform_name: str,
    contact: Contact,
    *,
    facility_slug: str | None,
    now: datetime,
) -> PlatformContact:
    """Set the platform's contact, or one facility's override of it; audited."""
    platform = get_platform(session, platform_name)
    facility_id = None
    if facility_slug is not None:
        facility = get_facility(session, facility_slug)
        if facility.platform_id != platform.id:
            raise InputError(
                _(
                    "facility {facility} is not at {platform}; "
                    "a facility's override goes with its own platform"
                ).format(facility=facility.slug, platform=platform.name)
            )
        facility_id = facility.id
    row = session.scalar(
        select(PlatformContact).where(
            PlatformContact.platform_id == platform.id,
            PlatformContact.facility_id.is_(None)
            if facility_id is None
            else PlatformContact.facility_id == facility_id,
        )
    )
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = PlatformContact(platform_id=platform.id, facility_id=facility_id)
        session.add(row)
    row.via = contact.via
    row.to_addresses = ",".join(contact.to) or None
    row.url = contact.url
    row.secret_env = contact.secret_env
    row.language = contact.language
    row.follow_up_days = contact.follow_up_days
    row.updated_at = now
    row.updated_by = actor.name
    audit.record(session, actor, "platform.contact", row, at=now, before=before)
    return row


def contact_for(session: Session, facility: Facility) -> Contact:
    """The facility's override, else its platform's contact, else manual in Chinese."""
    rows = session.scalars(
        select(PlatformContact).where(
            PlatformContact.platform_id == facility.platform_id,
            (PlatformContact.facility_id == facility.id) | PlatformContact.facility_id.is_(None),
        )
    ).all()
    chosen = sorted(rows, key=lambda r: r.facility_id is None)
    if not chosen:
        return UNCONFIGURED
    row = chosen[0]
    return Contact(
        Via(row.via),
        tuple(row.to_addresses.split(",")) if row.to_addresses else (),
        row.url,
        row.secret_env,
        Language(row.language),
        row.follow_up_days,
    )


def get_platform(session: Session, name: str) -> Platform:
    """The platform called `name`, or a NotFoundError listing the ones there are."""
    platform = session.scalar(select(Platform).where(Platform.name == name))
    if platform is None:
        known = session.scalars(select(Platform.name).order_by(Platform.name)).all()
        typed = repr(quote(name))
        if known:
            raise NotFoundError(
                _("no platform named {name}; known platforms: {known}").format(
                    name=typed, known=_(", ").join(known)
                )
            )
        raise NotFoundError(_("no platform named {name}; add a facility first").format(name=typed))
    return platform


def _addresses(typed: str | None) -> tuple[str, ...]:
    # Blank entries between commas ("a@x.cn, ,b@y.cn", " , ") are no address at all.
    found = [address for _name, address in getaddresses([typed or ""]) if address.strip()]
    if not found:
        raise InputError(_("an email contact needs --to ADDRESS[,ADDRESS]"))
    for address in found:
        if not _ADDRESS.fullmatch(address):
            raise InputError(
                _('"{address}" is not an email address, e.g. support@example.com').format(
                    address=quote(address)
                )
            )
    return tuple(found)


def shown_url(url: str | None) -> str:
    """A webhook's URL as output and errors show it: never a user:password@ or a query's values
    (a `?token=…`), which may be credentials."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a malformed URL)"
    netloc = f"{host}{port}" if "@" in parts.netloc else parts.netloc
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?…" if parts.query else "")


def _url(typed: str | None) -> str:
    if not typed or not typed.strip():
        raise InputError(_("a webhook contact needs --url https://… and --secret-env VAR"))
    url = typed.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise InputError(_("--url is not a web address; write https://host/path")) from None
    if "@" in parts.netloc:
        raise InputError(
            _(
                "--url must not carry a user name or password (user:password@): loanwatch signs "
                "each POST with the secret in --secret-env instead"
            )
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(
            _('"{url}" is not a web address; write https://host/path').format(
                url=quote(shown_url(url))
            )
        )
    return url


def _env_name(typed: str | None) -> str:
    if not typed:
        raise InputError(
            _(
                "a webhook contact needs --secret-env VAR: the environment variable holding "
                "its signing secret"
            )
        )
    if not _ENV_NAME.fullmatch(typed):
        raise InputError(
            _('"{typed}" is not an environment variable name; use A-Z, 0-9 and _').format(
                typed=quote(typed)
            )
        )
    return typed
