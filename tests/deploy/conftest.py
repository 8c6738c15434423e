"""The Slack app's harness (the real HTTP server, the fake Web API, the test's clock), for the
test that runs the image's HEALTHCHECK command against the server."""

from tests.slack.conftest import app, clock, settings, slack

__all__ = ["app", "clock", "settings", "slack"]
