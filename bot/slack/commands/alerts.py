"""`/loan ack|snooze|resolve|silence`: working alerts by their id, and silences.

The alert's Slack message is not touched here: each action (`bot.alerts.actions`) writes an
outbox row with its change, and the delivery worker updates the message and its thread from that.
"""

from bot.alerts import actions as alert_actions
from bot.alerts.silences import active_silences, add_silence, remove_silence, scope_of
from bot.durations import duration_words, parse_duration
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.facilities import get_facility
from bot.slack import parsing
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.mrkdwn import escape, mention
from bot.slack.reply import Reply
from bot.slack.roles import Role
from bot.zones import facility_zone


def ack(lw: Loanwatch, call: Invocation) -> Reply:
    """`ack ALERT_ID`."""
    if len(call.words) != 1:
        raise InputError(_("say which alert: its id"))
    alert_id = parsing.alert_id(call.words[0])
    with lw.transaction() as session:
        alert = alert_actions.acknowledge(
            session, actor(call.user_id), alert_id, now=lw.clock(), policy=lw.policy
        )
        owner, expires = alert.acknowledged_by, alert.ack_expires_at
        zone = facility_zone(session, alert.facility_id)
    until = lw.when(expires, zone) if expires is not None else None
    if owner != call.user_id:
        words = (
            _("Alert {id} is already acknowledged by {who} until {until}.")
            if until
            else _("Alert {id} is already acknowledged by {who}.")
        )
        return Reply(words.format(id=alert_id, who=_who(owner), until=until))
    words = (
        _("You acknowledged alert {id} until {until}.")
        if until
        else _("You acknowledged alert {id}.")
    )
    return Reply(words.format(id=alert_id, until=until))


def snooze(lw: Loanwatch, call: Invocation) -> Reply:
    """`snooze ALERT_ID DURATION`."""
    words = call.words
    # The words after the id are the duration: `4h`, `4 小时`, `1d 4h`.
    if len(words) < 2:
        raise InputError(_("say which alert and for how long, e.g. `snooze 12 4h`"))
    alert_id = parsing.alert_id(words[0])
    duration = parse_duration(" ".join(words[1:]), N_("snooze"))
    now = lw.clock()
    with lw.transaction() as session:
        alert = alert_actions.snooze(
            session, actor(call.user_id), alert_id, now + duration, now=now, policy=lw.policy
        )
        until = alert.snoozed_until
        zone = facility_zone(session, alert.facility_id)
    return Reply(
        _("Alert {id} is snoozed until {until}.").format(id=alert_id, until=lw.when(until, zone))
    )


def resolve(lw: Loanwatch, call: Invocation) -> Reply:
    """`resolve ALERT_ID REASON…`."""
    if len(call.words) < 2:
        raise InputError(
            _("say which alert and why it is resolved, e.g. `resolve 12 paid by bank`")
        )
    alert_id = parsing.alert_id(call.words[0])
    with lw.transaction() as session:
        alert_actions.resolve(
            session, actor(call.user_id), alert_id, call.rest(1), now=lw.clock(), policy=lw.policy
        )
    return Reply(_("You resolved alert {id}.").format(id=alert_id))


def silence(lw: Loanwatch, call: Invocation) -> Reply:
    """`silence FACILITY|check:NAME|all DURATION REASON…`, `silence list`, `silence remove ID`."""
    words = call.words
    if not words or words[0].lower() == "list":
        return _list(lw)
    if not lw.may(call.user_id, Role.TREASURER, "silence"):
        return Reply(refusal(Role.TREASURER, N_("add or remove silences")))
    if words[0].lower() == "remove":
        if len(words) != 2:
            raise InputError(_("say which silence to remove: its id, from `silence list`"))
        silence_id = parsing.silence_id(words[1])
        with lw.transaction() as session:
            remove_silence(session, actor(call.user_id), silence_id, now=lw.clock())
        return Reply(
            _("{who} removed silence {id}.").format(who=f"<@{call.user_id}>", id=silence_id),
            in_channel=True,
        )
    taken = duration_words(words[1:]) if len(words) > 1 else 1  # `4 小时`: two words
    if len(words) < 2 + taken:
        raise InputError(_("a silence needs what to silence, for how long, and why"))
    target, reason = words[0], call.rest(1 + taken)
    duration = parse_duration(" ".join(words[1 : 1 + taken]))
    now = lw.clock()
    with lw.transaction() as session:
        scope: dict[str, object] = {}
        if target.lower() == "all":
            scope["everything"] = True
        elif target.lower().startswith("check:"):
            scope["check"] = target.split(":", 1)[1]
        else:
            scope["facility_id"] = get_facility(session, target).id
        added = add_silence(
            session, actor(call.user_id), duration=duration, reason=reason, now=now, **scope
        )
        ends = lw.when(added.ends_at, facility_zone(session, added.facility_id))
        text = _("{who} silenced {scope} until {ends} (silence {id}): {reason}").format(
            who=f"<@{call.user_id}>",
            scope=scope_of(added),
            ends=ends,
            id=added.id,
            reason=escape(added.reason),
        )
    return Reply(text, in_channel=True)


def _list(lw: Loanwatch) -> Reply:
    with lw.reading() as session:
        lines = [
            "• "
            + _("{id}: {scope} until {ends}, by {who}: {reason}").format(
                id=s.id,
                scope=scope_of(s),
                ends=lw.when(s.ends_at, facility_zone(session, s.facility_id)),
                who=_who(s.created_by),
                reason=escape(s.reason),
            )
            for s in active_silences(session, lw.clock())
        ]
    return Reply("\n".join(lines) if lines else _("No silences in force."))


def _who(name: str | None) -> str:
    return mention(name) if name else _("someone")
