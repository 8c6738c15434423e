"""What each Slack error means for a notice: wait, join the channel, give up, or try again.

Every Slack error code loanwatch treats specially is in SLACK_ERRORS, in one place; a code not
listed there is taken as transient, and so is any HTTP 5xx. The retry handlers here let a test
(or a caller) give the sleep Slack's SDK would otherwise take from `time.sleep`.
https://api.slack.com/methods/chat.postMessage#errors
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RetryHandler,
    RetryIntervalCalculator,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from jobs.transports.base import TransportError, retry_after_seconds

__all__ = ["SLACK_ERRORS", "Remedy", "failure", "rule"]


class Remedy(Enum):
    """What to do about a Slack error code."""

    WAIT = "wait"  # rate limited: try again after Retry-After
    JOIN = "join"  # join the (public) channel, then try once more
    REPOST = "repost"  # the alert's message is gone (deleted): post a new one for it
    GIVE_UP = "give_up"  # permanent: a person must fix something first
    RETRY = "retry"  # transient: try again after a backoff


@dataclass(frozen=True)
class _Rule:
    remedy: Remedy
    # What is wrong and what to fix; `{channel}` is filled in.
    advice: str


_WHERE = (
    "set the facility's channel (`loanwatch facility add … --channel`) or "
    "LOANWATCH_DEFAULT_ALERT_CHANNEL to a channel the bot is in"
)
_TOKEN = (
    "the bot token is not valid any more (revoked, app uninstalled or account deactivated); "
    "reinstall the Slack app and set SLACK_BOT_TOKEN to its new xoxb- token"
)
_BUG = (
    "Slack refused the message as loanwatch built it; this is a loanwatch bug, "
    "report it with the outbox id"
)

# Every Slack error code loanwatch treats specially, in one place. A code not listed here is
# taken as transient (retried with backoff, then a dead letter), and so is any HTTP 5xx.
# https://api.slack.com/methods/chat.postMessage#errors
SLACK_ERRORS: Mapping[str, _Rule] = {
    "ratelimited": _Rule(Remedy.WAIT, "Slack is rate limiting loanwatch"),
    "not_in_channel": _Rule(Remedy.JOIN, "the bot is not a member of channel {channel}"),
    "channel_not_found": _Rule(
        Remedy.GIVE_UP, "the channel does not exist or loanwatch cannot see it; " + _WHERE
    ),
    "is_archived": _Rule(Remedy.GIVE_UP, "the channel is archived; unarchive it, or " + _WHERE),
    # Someone deleted the alert's message (or the parent of its thread): the transport posts
    # the alert anew and carries on there. Anywhere else, tried again later.
    "message_not_found": _Rule(Remedy.REPOST, "the message is gone (deleted in Slack?)"),
    "thread_not_found": _Rule(Remedy.REPOST, "the thread's message is gone (deleted in Slack?)"),
    "cant_update_message": _Rule(
        Remedy.GIVE_UP, "the alert's message was not posted by this bot and cannot be updated"
    ),
    "restricted_action": _Rule(
        Remedy.GIVE_UP,
        "a workspace setting stops the bot posting there; let apps post in the channel, or "
        + _WHERE,
    ),
    "invalid_auth": _Rule(Remedy.GIVE_UP, _TOKEN),
    "not_authed": _Rule(
        Remedy.GIVE_UP, "no bot token reached Slack; set SLACK_BOT_TOKEN to the app's xoxb- token"
    ),
    "account_inactive": _Rule(Remedy.GIVE_UP, _TOKEN),
    "token_revoked": _Rule(Remedy.GIVE_UP, _TOKEN),
    "token_expired": _Rule(Remedy.GIVE_UP, _TOKEN),
    "no_permission": _Rule(Remedy.GIVE_UP, _TOKEN),
    "not_allowed_token_type": _Rule(
        Remedy.GIVE_UP, "SLACK_BOT_TOKEN must be a bot token (xoxb-…), not a user or app token"
    ),
    "missing_scope": _Rule(
        Remedy.GIVE_UP,
        "the Slack app lacks a permission it needs; update it from "
        "deploy/slack-app-manifest.yml and reinstall it",
    ),
    # usergroups.users.update (the on-call user group, bot.oncall.usergroups).
    "no_such_subteam": _Rule(
        Remedy.GIVE_UP,
        "the user group does not exist; name an existing one with "
        "`loanwatch oncall rotation set NAME --usergroup S…` (or `-` for none)",
    ),
    "permission_denied": _Rule(
        Remedy.GIVE_UP,
        "a workspace setting stops apps changing user groups; let them, or stop the sync "
        "with `loanwatch oncall rotation set NAME --usergroup -`",
    ),
    "plan_upgrade_required": _Rule(
        Remedy.GIVE_UP,
        "this Slack plan has no user groups; stop the sync with "
        "`loanwatch oncall rotation set NAME --usergroup -`",
    ),
    "invalid_blocks": _Rule(Remedy.GIVE_UP, _BUG),
    "invalid_blocks_format": _Rule(Remedy.GIVE_UP, _BUG),
    "msg_too_long": _Rule(Remedy.GIVE_UP, _BUG),
    "no_text": _Rule(Remedy.GIVE_UP, _BUG),
    "too_many_attachments": _Rule(Remedy.GIVE_UP, _BUG),
    "invalid_metadata_format": _Rule(Remedy.GIVE_UP, _BUG),
    "invalid_metadata_schema": _Rule(Remedy.GIVE_UP, _BUG),
    "metadata_too_large": _Rule(Remedy.GIVE_UP, _BUG),
    "invalid_arguments": _Rule(Remedy.GIVE_UP, _BUG),
}

# conversations.join answers this for a private channel: only a member can invite the bot.
PRIVATE_CHANNEL = "method_not_supported_for_channel_type"


Sleep = Callable[[float], None]


class SleepsWith(RetryHandler):
    """A retry handler that waits with the sleep it is given (slack_sdk's call `time.sleep`)."""

    def __init__(self, sleep: Sleep, interval_calculator: RetryIntervalCalculator) -> None:
        super().__init__(interval_calculator=interval_calculator)
        self._sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """As slack_sdk does it, with the injected sleep."""
        state.next_attempt_requested = True
        self._sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


class RetryConnectionErrors(SleepsWith, ConnectionErrorRetryHandler):
    """Retries a dropped or refused connection once."""


class RetryServerErrors(SleepsWith, ServerErrorRetryHandler):
    """Retries an HTTP 500 or 503 once."""


def error_code(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "")


def rule(exc: SlackApiError) -> _Rule:
    """The table's rule for this answer; HTTP 429 is a rate limit whatever the body says."""
    if exc.response.status_code == 429:
        return SLACK_ERRORS["ratelimited"]
    if exc.response.status_code >= 500:
        return _Rule(Remedy.RETRY, "")
    return SLACK_ERRORS.get(error_code(exc), _Rule(Remedy.RETRY, ""))


def failure(exc: SlackApiError, channel: str) -> TransportError:
    """The TransportError for a Slack error answer, as the table says."""
    code = error_code(exc) or f"HTTP {exc.response.status_code}"
    found = rule(exc)
    if found.remedy is Remedy.WAIT:
        wait = retry_after_seconds(exc.response.headers)
        after = f"after {wait:g} s" if wait is not None else "later"
        return TransportError(
            f"Slack says {code} (HTTP {exc.response.status_code}) for channel {channel}; "
            f"trying again {after}",
            retry_after=wait,
        )
    if found.remedy is Remedy.GIVE_UP:
        advice = found.advice.format(channel=channel)
        needed = exc.response.get("needed")
        if needed:
            advice += f" (needed: {needed})"
        return TransportError(f"Slack says {code} for channel {channel}: {advice}", permanent=True)
    # RETRY, a REPOST the transport could not make (it posts anew on the next try), and a JOIN
    # that came back not_in_channel even after joining.
    return TransportError(
        f"Slack says {code} (HTTP {exc.response.status_code}) for channel {channel}; "
        "trying again later"
    )
