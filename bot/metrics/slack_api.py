"""Every Slack Web API call timed and its failures counted, in one place: a WebClient whose
`api_call` (which every method of the client goes through) records them.

Bolt makes a plain WebClient for each request it handles; bot/slack/app.py puts this one in its
place (`timed_like`), so the listeners' calls are recorded too.
"""

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.metrics import SLACK_API_ERRORS, SLACK_API_SECONDS


class TimedWebClient(WebClient):
    """A WebClient that records `loanwatch_slack_api_seconds{method}` for every call and
    `loanwatch_slack_api_errors_total{method,error}` for every failed one."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        started = time.perf_counter()
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            SLACK_API_ERRORS.labels(api_method, str(error or "unknown")).inc()
            raise
        except Exception as exc:
            # Slack did not answer (a timeout, a refused connection): the exception's name.
            SLACK_API_ERRORS.labels(api_method, type(exc).__name__).inc()
            raise
        finally:
            SLACK_API_SECONDS.labels(api_method).observe(time.perf_counter() - started)


def timed_like(client: WebClient) -> TimedWebClient:
    """A TimedWebClient set up as `client` is (Bolt's client for one request)."""
    return TimedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers) if client.retry_handlers is not None else None,
    )
