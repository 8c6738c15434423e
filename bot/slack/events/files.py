"""`file_shared`: the next file a person shares after `/loan import` is imported, once.

Slack sends the event for every file shared where the app is (its own uploads too); only a
person with an armed import (bot.ledger.import_requests) has anything done. The event is
acknowledged first, so Slack does not send it again while the file downloads; if it does
anyway (its retries carry the same event id), the delivery finds its key taken and does
nothing, and two deliveries at once import the file once (bot.slack.imports.run).
"""

from typing import Any

from slack_sdk import WebClient

from bot.ledger import import_requests
from bot.slack.context import loanwatch_of
from bot.slack.imports import run_and_tell, take_armed


def acknowledge(ack: Any) -> None:
    ack()


def file_shared(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any
) -> None:
    """Import the file for its sharer's armed import, if they have one."""
    lw = loanwatch_of(context)
    user_id, file_id = shared_by(event)
    if not user_id or not file_id:
        return
    delivery = str(body.get("event_id") or f"{file_id}:{event.get('event_ts')}")
    with lw.reading() as session:
        armed = import_requests.waiting(session, user_id, now=lw.clock())
        if armed is None or import_requests.seen(session, delivery):
            return
    claim = take_armed(armed, delivery, file_id, lw.clock)
    run_and_tell(lw, client, user_id, file_id, armed.target, claim=claim)


def shared_by(event: dict[str, Any]) -> tuple[str, str]:
    """(who shared it, the file's id), empty when the event does not say."""
    user_id = event.get("user_id")
    file_id = event.get("file_id") or (event.get("file") or {}).get("id")
    return (
        user_id if isinstance(user_id, str) else "",
        file_id if isinstance(file_id, str) else "",
    )
