"""`/loan oncall`: who is on call; `take` a shift (operators); `set` someone on call (admins).

- `oncall`: each rotation's person on call, until when, and who comes next.
- `oncall take [ROTATION] [until TIME]`: the caller is on call (an override) from now until
  TIME, or until the end of the current shift.
- `oncall set @user [ROTATION] until TIME`: an admin puts someone on call.

ROTATION may be left out when there is one rotation, or LOANWATCH_DEFAULT_ROTATION names one.
TIME is a duration (`4h`), a time of day in the rotation's zone (`18:00`: the next one), or a
date and time (`2026-12-08 09:00`), as `bot.oncall.overrides` reads it for every surface. Each
override is audited (`bot.oncall.rotations`).
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.i18n import _
from bot.i18n.formats import moment
from bot.models import Rotation
from bot.oncall import rotations
from bot.oncall.overrides import override_until
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.mrkdwn import escape
from bot.slack.reply import Reply
from bot.slack.roles import Role

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]{2,31})")


def oncall(lw: Loanwatch, call: Invocation) -> Reply:
    """`oncall`, `oncall take …`, `oncall set @user …`."""
    words = call.words
    if not words:
        return _show(lw)
    verb = words[0].lower()
    if verb == "take":
        if not lw.may(call.user_id, Role.OPERATOR, "oncall take"):
            return Reply(refusal(Role.OPERATOR, _("take on-call shifts")))
        return _put(lw, call, call.user_id, words[1:], until_needed=False)
    if verb == "set":
        if not lw.may(call.user_id, Role.ADMIN, "oncall set"):
            return Reply(refusal(Role.ADMIN, _("set who is on call")))
        if len(words) < 2:
            raise InputError(_("say who: `oncall set @someone until 18:00`"))
        return _put(lw, call, _user(words[1]), words[2:], until_needed=True)
    raise InputError(_("`oncall {verb}` is not a form of oncall").format(verb=escape(verb)))


def _show(lw: Loanwatch) -> Reply:
    now = lw.clock()
    with lw.reading() as session:
        found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
        if not found:
            return Reply(
                _(
                    "No on-call rotation yet; an admin adds one with "
                    "`loanwatch oncall rotation add`."
                )
            )
        lines = []
        for rotation in found:
            on_call = rotations.who(session, rotation, now)
            after = rotations.who(session, rotation, on_call.until).user
            lines.append(
                _on_call_line(rotation, on_call.user, on_call.override, after, now, on_call.until)
            )
    return Reply("\n".join(lines))


def _on_call_line(
    rotation: Rotation, user: str, override: bool, after: str, now: datetime, until: datetime
) -> str:
    """`*day*: <@U…> (override) on call until 12月8日（周二）09:00, then <@U…>`."""
    said = {
        "rotation": escape(rotation.name),
        "who": f"<@{user}>",
        "until": moment(until, ZoneInfo(rotation.timezone), near=now.date()),
        "next": f"<@{after}>",
    }
    if override and after != user:
        text = _("*{rotation}*: {who} (override) on call until {until}, then {next}")
    elif override:
        text = _("*{rotation}*: {who} (override) on call until {until}")
    elif after != user:
        text = _("*{rotation}*: {who} on call until {until}, then {next}")
    else:
        text = _("*{rotation}*: {who} on call until {until}")
    return text.format(**said)


def _put(
    lw: Loanwatch, call: Invocation, user: str, words: list[str], *, until_needed: bool
) -> Reply:
    """An override for `user` from now: `[ROTATION] [until TIME]`."""
    now = lw.clock()
    name = None
    if words and words[0].lower() != "until":
        name, words = words[0], words[1:]
    if words and words[0].lower() != "until":
        raise InputError(_("after the rotation comes `until TIME`, e.g. `until 18:00`"))
    typed = " ".join(words[1:]).strip()
    if words and not typed:
        raise InputError(_("say until when: a duration (4h), a time (18:00) or a date and time"))
    if until_needed and not typed:
        raise InputError(_("say until when, e.g. `until 18:00` or `until 2026-12-08 09:00`"))
    with lw.transaction() as session:
        rotation = _rotation(session, lw, name)
        zone = ZoneInfo(rotation.timezone)
        ends = (
            override_until(typed, now, zone)
            if typed
            else rotations.who(session, rotation, now).until
        )
        rotations.add_override(
            session, actor(call.user_id), rotation.name, user=user, starts=now, ends=ends, now=now
        )
    said = {
        "rotation": escape(rotation.name),
        "until": moment(ends, zone, near=now.date()),
        "by": f"<@{call.user_id}>",
    }
    if user == call.user_id:
        text = _("You are on call in *{rotation}* until {until} (set by {by}).").format(**said)
    else:
        text = _("{who} is on call in *{rotation}* until {until} (set by {by}).").format(
            who=f"<@{user}>", **said
        )
    return Reply(text, in_channel=True)


def _rotation(session: Session, lw: Loanwatch, name: str | None) -> Rotation:
    if name is not None:
        return rotations.get_rotation(session, name)
    if lw.settings.default_rotation:
        return rotations.get_rotation(session, lw.settings.default_rotation)
    found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(_("there is no on-call rotation yet; an admin adds one first"))
    names = ", ".join(r.name for r in found)
    raise InputError(_("say which rotation: {names}").format(names=names))


def _user(word: str) -> str:
    match = _MENTION.fullmatch(word.strip())
    if match is None:
        raise InputError(
            _(
                "name the person with an @-mention Slack turns into their id, or their member "
                "id (U0123ABCD, from their profile: ⋮ → Copy member ID)"
            )
        )
    return match.group(1) or match.group(2)
