"""How long an alert has waited, as an escalation line says it (one formatter for every wait)."""

import pytest

from bot.oncall.words import EscalationNotice, thread_line


def _next_step(waited_minutes: int) -> EscalationNotice:
    return EscalationNotice(
        alert_id=4, check="limit_frozen", facility="jiebei-main", severity="critical",
        action="next", round=0, step=2, waited_minutes=waited_minutes, user="U0BEN",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (45, "45 min"),
        (120, "2 h"),
        (75, "1 h 15 min"),
        (27 * 60, "1 day 3 h"),
        (3 * 1440, "3 days"),
    ],
)
def test_a_wait_is_said_in_minutes_hours_and_days(minutes: int, said: str) -> None:
    """45 minutes, two hours, a day and three hours: each in the largest units that fit."""
    line = thread_line(_next_step(minutes), lambda user: f"@{user}", lambda g: g, "@here")
    assert line.endswith(f"is unacknowledged after {said}")


def test_a_groups_dm_line_names_its_alerts() -> None:
    """The thread line of a group's DM says which alerts, as the DM itself does."""
    notice = EscalationNotice(
        alert_id=2, check="bill_amount_mismatch", facility="sn", severity="warning",
        action="dm", round=0, step=1, waited_minutes=35, user="U0ANN", alert_ids=[2, 5],
        checks=["bill_amount_mismatch", "bill_due_soon"], facilities=["sn"],
    )  # fmt: skip
    line = thread_line(notice, lambda user: f"@{user}", lambda g: g, "@here")
    assert line == (
        "Sent @U0ANN a direct message: alerts 2 and 5 (bill_amount_mismatch, bill_due_soon on sn) "
        "unacknowledged for 35 min"
    )
