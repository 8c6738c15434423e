"""The on-call user group in Slack: its members set to whoever is on call now.

`usergroups.users.update` (scope `usergroups:write`) replaces the group's members, so trying a
row again sets the same members and never duplicates anything: it goes through the retrying
client. A refusal is `jobs.transports.slack_errors`' to judge (`missing_scope`: permanent).
https://docs.slack.dev/reference/methods/usergroups.users.update
"""

from typing import Any, Protocol

from bot.oncall.usergroups import UsergroupSync
from jobs.transports.base import OutboxMessageView


class Caller(Protocol):
    """What this needs of the Slack transport (`jobs.transports.slack.SlackTransport`)."""

    def call_reader(self, method: str, **args: Any) -> Any: ...


def send_usergroup(transport: Caller, message: OutboxMessageView) -> None:
    """Set the group's members to the person on call; no message, so no reference."""
    sync = UsergroupSync.from_payload(dict(message.payload))
    transport.call_reader("usergroups_users_update", usergroup=sync.usergroup, users=[sync.user])
