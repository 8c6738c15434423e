"""Status and Home reuse a dashboard for a few seconds, never past a change made through the app."""

from bot.dashboard import Dashboard
from bot.slack.dashboard_cache import DashboardCache
from tests.slack.test_commands import open_alerts
from tests.support.slack_app import ALICE, CHARLIE, SlackApp

EMPTY = Dashboard([], [], [], 0)


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_reused_until_it_is_too_old() -> None:
    """Within the time it is served from memory; at the time it is read again."""
    ticks = Ticks()
    cache = DashboardCache(5, ticks)
    cache.put(None, EMPTY, cache.generation)
    ticks.now = 4.9
    assert cache.get(None) is EMPTY
    ticks.now = 5.0
    assert cache.get(None) is None


def test_a_write_empties_it_even_one_that_happened_during_the_read() -> None:
    """A commit drops every entry, and a read that began before the commit is not kept."""
    cache = DashboardCache(5, Ticks())
    cache.put("a", EMPTY, cache.generation)
    started = cache.generation
    cache.written()
    assert cache.get("a") is None
    cache.put("b", EMPTY, started)
    assert cache.get("b") is None


def test_zero_seconds_turns_it_off() -> None:
    """LOANWATCH_STATUS_CACHE_SECONDS=0 reads every time."""
    cache = DashboardCache(0, Ticks())
    cache.put(None, EMPTY, cache.generation)
    assert cache.get(None) is None


def test_a_draw_through_the_app_shows_in_the_next_status_at_once(app, jiebei) -> None:
    """Status, a draw, status again within the cache's seconds: the draw is there."""
    assert "used ¥0.00" in app.command("status", user=CHARLIE).text
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    assert "used ¥10,000.00" in app.command("status", user=CHARLIE).text


def test_a_change_made_elsewhere_shows_once_the_entry_is_old(
    settings, sessions, jiebei, clock
) -> None:
    """An alert opened by the worker (another process) shows after the cache's seconds."""
    ticks = Ticks()
    cache = DashboardCache(5, ticks)
    with SlackApp.start(settings, sessions, clock=clock, dashboards=cache) as app:
        assert "No open alerts." in app.command("status", user=CHARLIE).text
        open_alerts(sessions, jiebei.id, clock())
        assert "No open alerts." in app.command("status", user=CHARLIE).text
        ticks.now = 5
        assert "*Open alerts* (1)" in app.command("status", user=CHARLIE).text
