"""A Slack user group kept in step with whoever is on call, so people can page by name.

`loanwatch oncall rotation set finance --usergroup S0123ABCD` (or `rotation add … --usergroup`)
names the group; `--usergroup -` stops keeping it. At each wake-up (`check`, the worker), for
every rotation with a group, the person on call now (an override included) is compared with
whom the group was last set to (`usergroup_user`). When they differ (a handoff, an override
starting or ending, a group just named), one conditional UPDATE claims the change, and only the
wake-up whose UPDATE matched writes the outbox row (`oncall.usergroup`) that sets the group's
members to that person (`usergroups.users.update`). A second worker's UPDATE matches nothing (on
PostgreSQL it waits for the first to commit): each change is sent once.

Delivery is the outbox's: a transient failure is retried with backoff; a permanent one
(`missing_scope`, a group that does not exist) is a dead letter with one `delivery_failed`
alert for the admins, and is not retried; the next change tries again. Other rows go on.
"""

import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.outbox import enqueue
from bot.clock import require_aware
from bot.errors import InputError
from bot.i18n import _
from bot.models import Rotation
from bot.oncall.rotations import get_rotation, who
from bot.typed import fold_width
from bot.zones import local, shown_zone

USERGROUP_KIND = "oncall.usergroup"
_GROUP = re.compile(r"S[A-Z0-9]{2,31}")


@dataclass(frozen=True)
class UsergroupSync:
    """Set user group `usergroup` to `user`, the person on call in `rotation` until `until`."""

    usergroup: str
    user: str
    rotation: str
    until: str  # when their stretch ends, in the rotation's zone, as people read it

    def to_payload(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["header"] = f"On-call user group {self.usergroup} ({self.rotation})"
        payload["text"] = sync_words(self)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "UsergroupSync":
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in payload.items() if k in known})


def sync_words(sync: UsergroupSync) -> str:
    """`User group S0123ABCD is now U0BEN, on call in finance until 2026-12-14 09:00 CST`."""
    return (
        f"User group {sync.usergroup} is now {sync.user}, on call in {sync.rotation} "
        f"until {sync.until}"
    )


def check_usergroup(text: str) -> str | None:
    """`S0123ABCD` → the id; `-` → None (no group); anything else is refused."""
    group = fold_width(text).strip().upper()
    if group == "-":
        return None
    if not _GROUP.fullmatch(group):
        raise InputError(
            _(
                "{text!r} is not a Slack user group id (like S0123ABCD; `-` for none); find it in "
                "the group's page in Slack: ⋮ → Copy group ID"
            ).format(text=text)
        )
    return group


def set_usergroup(
    session: Session, actor: audit.Actor, name: str, usergroup: str, *, now: datetime
) -> Rotation:
    """Keep `usergroup` (`-`: none) in step with rotation `name` (audited); synced next wake-up."""
    rotation = get_rotation(session, name)
    group = check_usergroup(usergroup)
    keeper = group and session.scalar(
        select(Rotation.name).where(Rotation.usergroup == group, Rotation.id != rotation.id)
    )
    if keeper:
        # Two rotations would set the group to two people in turn at every wake-up.
        raise InputError(
            _(
                "user group {group} already follows rotation {keeper}; a group follows one "
                "rotation (stop it there first: `loanwatch oncall rotation set {keeper} "
                "--usergroup -`)"
            ).format(group=group, keeper=keeper)
        )
    before = audit.snapshot(rotation)
    rotation.usergroup = group
    rotation.usergroup_user = None  # the group (new, or none) has not been set by us yet
    session.flush()
    audit.record(session, actor, "oncall.usergroup", rotation, at=now, before=before)
    return rotation


def run_usergroup_syncs(
    session: Session, *, now: datetime, written_at: datetime | None = None
) -> int:
    """Write a sync for each rotation whose group no longer names who is on call at `now`;
    how many were written (the caller commits)."""
    require_aware(now, "now")
    written = 0
    rotations = session.scalars(
        select(Rotation).where(Rotation.usergroup.is_not(None)).order_by(Rotation.id)
    ).all()
    for rotation in rotations:
        on_call = who(session, rotation, now)
        claimed = session.execute(
            update(Rotation)
            .where(
                Rotation.id == rotation.id,
                Rotation.usergroup == rotation.usergroup,
                or_(Rotation.usergroup_user.is_(None), Rotation.usergroup_user != on_call.user),
            )
            .values(usergroup_user=on_call.user)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue  # in step already, or another worker has just claimed this change
        zone = shown_zone(rotation.timezone, None)
        sync = UsergroupSync(
            str(rotation.usergroup), on_call.user, rotation.name, local(on_call.until, zone)
        )
        enqueue(
            session,
            kind=USERGROUP_KIND,
            channel=rotation.usergroup,
            payload=sync.to_payload(),
            now=written_at or now,
        )
        written += 1
    return written
