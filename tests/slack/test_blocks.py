"""Alert messages in Block Kit: what finance reads, what the buttons carry, and Slack's limits.

The cast: Alice (U0ALICE) is on call and acknowledges, Bob (U0BOB) resolves, and Mallory types
`<!channel>` into everything she can.
"""

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError

from bot.alerts.notices import Event
from bot.alerts.notifier import notice_of, storm_notice
from bot.audit import SYSTEM, Actor
from bot.ledger.facilities import SLUG
from bot.models import Alert, Facility
from bot.slack.blocks import (
    ACK_ACTION,
    MAX_BLOCKS,
    MAX_TEXT,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    SNOOZE_CHOICES,
    TICKET_ACTION,
    alert_message,
    group_csv,
    group_csv_filename,
    group_message,
    thread_line,
    validate,
)
from bot.slack.mrkdwn import escape, escape_within, mention, truncate

ALICE, BOB = "U0ALICE", "U0BOB"
PING = "<!channel>"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
# The longest slug bot.ledger.facilities.SLUG and the facilities.slug column (String(64)) allow.
LONGEST_SLUG = "j" + "-x" * 31 + "z"


def payload(**changes: Any) -> dict[str, Any]:
    """An open critical bill_missing alert on jiebei-main, as the outbox carries it."""
    base: dict[str, Any] = {
        "header": "CRITICAL: bill_missing on jiebei-main (alert 12) — new",
        "summary": "expected 899.75 due 2026-12-10, no bill seen",
        "facts": {"Expected": "899.75", "Due": "2026-12-10", "Lead": "10 days"},
        "event": "opened",
        "alert_id": 12,
        "fingerprint": "bill_missing:jiebei-main:2026-12-10",
        "check": "bill_missing",
        "facility": "jiebei-main",
        "subject": "2026-12-10",
        "severity": "critical",
        "state": "open",
        "opened_at": "2026-11-28T02:00:00+00:00",
        "last_seen_at": "2026-11-28T02:00:00+00:00",
        "escalation_level": 0,
        "actor": "system",
        "first_notice": True,
        "timezone": "Asia/Shanghai",
    }
    return {**base, **changes}


def acknowledged(**changes: Any) -> dict[str, Any]:
    """Alice acknowledged it at 10:00 Shanghai time, for a day."""
    return payload(
        event="acknowledged",
        state="acknowledged",
        actor=ALICE,
        acknowledged_by=ALICE,
        acknowledged_at="2026-11-28T02:00:00+00:00",
        ack_expires_at="2026-11-29T02:00:00+00:00",
        **changes,
    )


def resolved(reason: str = "bill appeared, platform confirmed", **changes: Any) -> dict[str, Any]:
    """Bob resolved it by hand, with a reason."""
    return payload(
        event="resolved",
        state="resolved",
        actor=BOB,
        resolved_by=BOB,
        resolved_at="2026-11-28T03:00:00+00:00",
        resolve_reason=reason,
        **changes,
    )


def auto_resolved() -> dict[str, Any]:
    """The check stopped finding it, so it resolved by itself."""
    return payload(
        event="auto_resolved",
        state="resolved",
        resolved_by="system",
        resolved_at="2026-11-28T03:00:00+00:00",
        resolve_reason="the condition cleared",
    )


def of_type(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The blocks of one type."""
    return [block for block in blocks if block["type"] == kind]


def context_text(blocks: list[dict[str, Any]]) -> str:
    """All the text of the context blocks, one line."""
    return " ".join(e["text"] for block in of_type(blocks, "context") for e in block["elements"])


def elements_by_action(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The interactive elements of the message, by action id."""
    return {e["action_id"]: e for block in of_type(blocks, "actions") for e in block["elements"]}


# --- mrkdwn --------------------------------------------------------------------------------------


def test_escape_neutralises_channel_pings_mentions_and_ampersands() -> None:
    """`<!channel>`, `<@U1>` and `&` come out as entities, so they ping and format nothing."""
    assert escape("<!channel> ask <@U1> & co") == "&lt;!channel&gt; ask &lt;@U1&gt; &amp; co"


def test_escape_leaves_everything_else_alone() -> None:
    """Quotes, Chinese text and mrkdwn markup stay as typed: only & < > are control characters."""
    assert escape('借呗 "limit" it\'s *0*') == '借呗 "limit" it\'s *0*'


def test_mention_pings_a_slack_user_and_names_anyone_else() -> None:
    """A Slack user id becomes `<@…>`; a CLI actor or the system is named, escaped."""
    assert mention("U0ALICE") == "<@U0ALICE>"
    assert mention("W0GRIDUSER") == "<@W0GRIDUSER>"
    assert mention("slack:U0BOB") == "<@U0BOB>"
    assert mention("cli:alice") == "cli:alice"
    assert mention("system") == "system"
    assert mention("<!here>") == "&lt;!here&gt;"
    assert mention(None) == "someone"


def test_truncate_ends_a_cut_text_with_an_ellipsis() -> None:
    """A text over the limit is cut to exactly the limit, the last character "…"."""
    assert truncate("short", 10) == "short"
    assert truncate("a" * 20, 10) == "a" * 9 + "…"


def test_escape_within_never_cuts_an_entity_in_half() -> None:
    """Escaped and cut, `<<<` never ends in a dangling `&l…`; the result fits the limit."""
    cut = escape_within("<" * 10, 10)
    assert cut == "&lt;&lt;…"
    assert len(escape_within("&" * 5000, MAX_TEXT)) <= MAX_TEXT


# --- one alert -----------------------------------------------------------------------------------


def test_an_open_alert_shows_its_header_its_facts_and_four_buttons_carrying_ids_only() -> None:
    """Header with check and facility, facts as `*Label*` fields, and buttons valued by id."""
    text, blocks = alert_message(payload())

    assert "bill_missing" in text
    assert of_type(blocks, "header")[0]["text"]["text"] == "🔴 bill_missing · jiebei-main"
    fields = [f["text"] for f in of_type(blocks, "section")[0]["fields"]]
    assert fields == ["*Expected*\n899.75", "*Due*\n2026-12-10", "*Lead*\n10 days"]
    assert "Open since 2026-11-28 10:00 CST" in context_text(blocks)
    elements = elements_by_action(blocks)
    assert list(elements) == [ACK_ACTION, SNOOZE_ACTION, RESOLVE_ACTION, TICKET_ACTION]
    assert [elements[a]["value"] for a in (ACK_ACTION, RESOLVE_ACTION, TICKET_ACTION)] == ["12"] * 3
    snooze_values = [option["value"] for option in elements[SNOOZE_ACTION]["options"]]
    assert snooze_values == [f"12:{key}" for key in SNOOZE_CHOICES]
    assert of_type(blocks, "actions")[0]["block_id"] == "alert:12"
    validate(blocks)


def test_a_critical_alert_makes_acknowledge_the_primary_button_and_a_warning_does_not() -> None:
    """Critical: Acknowledge is primary, Resolve plain; a warning has no styled button at all."""
    critical = elements_by_action(alert_message(payload())[1])
    _, warning_blocks = alert_message(payload(severity="warning"))
    warning = elements_by_action(warning_blocks)

    assert critical[ACK_ACTION]["style"] == "primary"
    assert "style" not in critical[RESOLVE_ACTION]
    assert all("style" not in element for element in warning.values())
    assert of_type(warning_blocks, "header")[0]["text"]["text"].startswith("🟠")


def test_an_acknowledged_alert_drops_acknowledge_and_names_its_owner() -> None:
    """No Acknowledge button once owned; the context mentions Alice and when the ack runs out."""
    _, blocks = alert_message(acknowledged())

    assert ACK_ACTION not in elements_by_action(blocks)
    assert set(elements_by_action(blocks)) == {SNOOZE_ACTION, RESOLVE_ACTION, TICKET_ACTION}
    assert "Acknowledged by <@U0ALICE> until 2026-11-29 10:00 CST" in context_text(blocks)


def test_a_snoozed_alert_says_until_when_in_the_facility_time_zone() -> None:
    """A snooze shows its end in the facility's zone, next to the state."""
    _, blocks = alert_message(payload(snoozed_until="2026-11-28T06:00:00+00:00"))

    assert "Snoozed until 2026-11-28 14:00 CST" in context_text(blocks)


def test_a_resolved_alert_has_no_buttons_and_says_who_resolved_it_and_why_escaped() -> None:
    """Resolved: a ✅ header, no actions block, Bob mentioned and his reason escaped."""
    _, blocks = alert_message(resolved(reason=f"bill appeared {PING} & paid"))

    assert of_type(blocks, "actions") == []
    assert of_type(blocks, "header")[0]["text"]["text"] == "✅ bill_missing · jiebei-main resolved"
    assert "Resolved by <@U0BOB>: bill appeared &lt;!channel&gt; &amp; paid" in context_text(blocks)


def test_an_auto_resolved_alert_says_the_condition_has_cleared() -> None:
    """Resolved by the checks: no person to name, just that the condition cleared."""
    _, blocks = alert_message(auto_resolved())

    assert "Resolved: the condition has cleared" in context_text(blocks)
    assert of_type(blocks, "actions") == []


def test_an_alert_on_no_facility_offers_no_ticket() -> None:
    """loanwatch's own alerts (delivery_failed) have no platform to open a ticket with."""
    admin = payload(check="delivery_failed", fingerprint="delivery_failed:outbox:7")
    del admin["facility"]
    _, blocks = alert_message(admin)

    assert TICKET_ACTION not in elements_by_action(blocks)
    assert of_type(blocks, "header")[0]["text"]["text"] == "🔴 delivery_failed · loanwatch"
    validate(blocks)


def test_a_blank_summary_leaves_the_section_to_its_facts() -> None:
    """Slack refuses an empty text object; a blank summary is left out instead."""
    _, blocks = alert_message(payload(summary="  ", facts={"Due": ""}))

    section = of_type(blocks, "section")[0]
    assert "text" not in section
    assert section["fields"][0]["text"] == "*Due*\n—"
    validate(blocks)


# --- limits --------------------------------------------------------------------------------------


def longest(build: Callable[..., dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """A payload with every name and text as long as the ledger lets it be, full of pings."""
    facts = {f"Fact {n} {PING}": ("<&>" + PING) * 38 + "x" * 6 for n in range(20)}
    assert all(len(value) == 500 for value in facts.values())
    return build(
        facility=LONGEST_SLUG,
        check="c" * 64,
        fingerprint=("f" + PING) * 18 + "f" * 2,
        summary=(PING + " ") * 181 + "s" * 9,
        facts=facts,
        **changes,
    )


LONGEST = {
    "open": lambda: longest(payload, snoozed_until="2026-11-28T06:00:00+00:00"),
    "acknowledged": lambda: longest(acknowledged),
    "resolved": lambda: longest(resolved, reason=PING * 500),
}


@pytest.mark.parametrize("state", LONGEST)
def test_every_message_keeps_slacks_limits_even_with_the_longest_names(state: str) -> None:
    """Longest slug, 2,000-char summary, 20 facts of 500, a 5,000-char reason: still valid."""
    case = LONGEST[state]()
    assert len(LONGEST_SLUG) == 64
    assert SLUG.match(LONGEST_SLUG)
    assert len(case["summary"]) == 2000
    assert state != "resolved" or len(case["resolve_reason"]) == 5000

    text, blocks = alert_message(case)

    validate(blocks)
    assert len(blocks) <= MAX_BLOCKS
    assert len(text) <= MAX_TEXT
    assert len(of_type(blocks, "header")[0]["text"]["text"]) <= 150
    assert sum(len(section.get("fields", [])) for section in of_type(blocks, "section")) == 20


def test_more_facts_than_four_sections_hold_are_counted_not_dropped_silently() -> None:
    """Sixty facts: thirty-nine shown, the last field says how many more there are."""
    _, blocks = alert_message(payload(facts={f"Fact {n}": str(n) for n in range(60)}))

    fields = [f["text"] for section in of_type(blocks, "section") for f in section["fields"]]
    assert len(fields) == 40
    assert fields[-1] == "*More facts*\n21 not shown"
    validate(blocks)


@pytest.mark.parametrize("state", LONGEST)
def test_a_channel_ping_in_user_text_never_reaches_slack_raw(state: str) -> None:
    """`<!channel>` in a summary, fact, fingerprint or reason is escaped in blocks and text."""
    case = LONGEST[state]()
    case["header"] += f" {PING}"

    text, blocks = alert_message(case)

    assert PING not in json.dumps(blocks, ensure_ascii=False)
    assert PING not in text
    assert PING not in thread_line(case)
    assert "&lt;!channel&gt;" in json.dumps(blocks)


def test_validate_refuses_what_slack_would_refuse() -> None:
    """Too many blocks, a long field, a long or empty text, an unknown block: each raises."""
    _, blocks = alert_message(payload())
    section = of_type(blocks, "section")[0]
    long_field = {**section, "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}
    long_text = {**section, "text": {"type": "mrkdwn", "text": "x" * 3001}}
    empty_text = {**section, "text": {"type": "mrkdwn", "text": ""}}
    too_many = [{"type": "divider"}] * (MAX_BLOCKS + 1)
    repeated = [*blocks, of_type(blocks, "actions")[0]]

    for wrong in ([long_field], [long_text], [empty_text], [{"type": "sparkles"}], too_many):
        with pytest.raises(SlackObjectFormationError):
            validate(wrong)
    with pytest.raises(SlackObjectFormationError):
        validate(repeated)


# --- the payload as the notifier writes it ------------------------------------------------------


def alert_payload(
    alert: Alert, facility: Facility, *, event: str, **options: Any
) -> dict[str, Any]:
    """What the notifier writes to the outbox about `alert` (its notice, as JSON)."""
    return notice_of(alert, facility, event=Event(event), **options).to_payload()


def jiebei() -> Facility:
    """The Jiebei line, in memory: what alert_payload reads of a facility."""
    return Facility(id=1, slug="jiebei-main", timezone="Asia/Shanghai", alert_channel="C0FIN")


def missing_bill(alert_id: int = 12, facility_id: int = 1, **changes: Any) -> Alert:
    """An open critical bill_missing alert, in memory, as apply_findings would open it."""
    columns: dict[str, Any] = {
        "id": alert_id,
        "fingerprint": f"bill_missing:{facility_id}:2026-12-10:{alert_id}",
        "check": "bill_missing",
        "facility_id": facility_id,
        "subject": "2026-12-10",
        "severity": "critical",
        "state": "open",
        "summary": "expected 899.75 due 2026-12-10, no bill seen",
        "facts": {"Expected": "899.75", "Due": "2026-12-10"},
        "opened_at": NOW,
        "last_seen_at": NOW,
        "escalation_level": 0,
        "version": 1,
    }
    return Alert(**{**columns, **changes})


def test_a_payload_from_the_lifecycle_renders_through_every_state() -> None:
    """alert_payload's own output, opened, acknowledged by Alice, resolved by Bob, renders."""
    alert = missing_bill()
    opened = alert_payload(alert, jiebei(), event="opened", actor=SYSTEM, first_notice=True)
    _, blocks = alert_message(opened)
    assert of_type(blocks, "header")[0]["text"]["text"] == "🔴 bill_missing · jiebei-main"
    assert "Open since 2026-11-28 10:00 CST" in context_text(blocks)
    validate(blocks)

    alert.state, alert.acknowledged_by = "acknowledged", ALICE
    alert.acknowledged_at, alert.ack_expires_at = NOW, NOW + timedelta(hours=24)
    alice = Actor(ALICE, "slack")
    owned = alert_payload(alert, jiebei(), event="acknowledged", actor=alice, first_notice=False)
    _, blocks = alert_message(owned)
    assert "Acknowledged by <@U0ALICE> until 2026-11-29 10:00 CST" in context_text(blocks)
    assert thread_line(owned) == "Acknowledged by <@U0ALICE> until 2026-11-29 10:00 CST"
    validate(blocks)

    alert.state, alert.resolved_by, alert.resolve_reason = "resolved", BOB, f"paid {PING}"
    alert.resolved_at = NOW + timedelta(hours=1)
    bob = Actor(BOB, "slack")
    done = alert_payload(alert, jiebei(), event="resolved", actor=bob, first_notice=False)
    _, blocks = alert_message(done)
    assert "Resolved by <@U0BOB>: paid &lt;!channel&gt;" in context_text(blocks)
    assert of_type(blocks, "actions") == []
    validate(blocks)


# --- the thread ----------------------------------------------------------------------------------


THREAD_LINES = {
    "acknowledged": (acknowledged(), "Acknowledged by <@U0ALICE> until 2026-11-29 10:00 CST"),
    "snoozed": (
        payload(event="snoozed", actor=ALICE, snoozed_until="2026-11-28T06:00:00+00:00"),
        "Snoozed by <@U0ALICE> until 2026-11-28 14:00 CST",
    ),
    "snoozed from the CLI": (
        payload(event="snoozed", actor="cli:alice", snoozed_until="2026-11-28T06:00:00+00:00"),
        "Snoozed by cli:alice until 2026-11-28 14:00 CST",
    ),
    "resolved": (resolved(reason=f"paid {PING}"), "Resolved by <@U0BOB>: paid &lt;!channel&gt;"),
    "auto_resolved": (auto_resolved(), "Resolved: the condition has cleared"),
    "severity_raised": (
        payload(event="severity_raised", previous_severity="warning"),
        "Severity raised to critical (was warning)",
    ),
    "reminder": (
        payload(
            event="reminder",
            reasons=["ack_expired"],
            previously_acknowledged_by=ALICE,
            header="CRITICAL: bill_missing on jiebei-main (alert 12) — still firing: "
            "the acknowledgement expired",
        ),
        "Still firing: the acknowledgement expired (was acknowledged by <@U0ALICE>)",
    ),
    "opened": (
        payload(summary=f"no bill {PING}"),
        "Opened: no bill &lt;!channel&gt;",
    ),
}


@pytest.mark.parametrize("event", THREAD_LINES)
def test_thread_line_says_what_happened_and_who_did_it(event: str) -> None:
    """Each event becomes one escaped line, times in the facility's zone, people mentioned."""
    case, expected = THREAD_LINES[event]

    assert thread_line(case) == expected


# --- a storm -------------------------------------------------------------------------------------


def storm(size: int, event: str = "opened") -> dict[str, Any]:
    """`size` new bill_missing alerts across three facilities, grouped by the notifier."""
    facilities = {
        n: Facility(id=n, slug=slug, timezone="Asia/Shanghai")
        for n, slug in enumerate(["jiebei-main", "weilidai-ops", LONGEST_SLUG], start=1)
    }
    alerts = [missing_bill(alert_id=n, facility_id=n % 3 + 1) for n in range(1, size + 1)]
    return storm_notice("bill_missing", Event(event), alerts, facilities).to_payload()


def test_a_storm_of_a_thousand_alerts_stays_within_limits_and_points_to_the_csv() -> None:
    """1,000 alerts: one valid message, ids cut at 3,000 chars with "and N more" for the CSV."""
    case = storm(1000)

    text, blocks = group_message(case)

    validate(blocks)
    assert len(blocks) <= MAX_BLOCKS
    assert len(text) <= MAX_TEXT
    assert of_type(blocks, "actions") == []
    ids = next(s["text"]["text"] for s in of_type(blocks, "section") if "Alert ids" in str(s))
    shown = ids.removeprefix("*Alert ids*\n").split(" and ")[0].split(", ")
    assert ids.endswith(f" and {1000 - len(shown)} more — see the attached CSV")
    assert shown == [str(n) for n in range(1, len(shown) + 1)]
    assert "/loan ack ID" in context_text(blocks)
    assert "weilidai-ops (334)" in json.dumps(blocks)


def test_a_small_storm_lists_every_id() -> None:
    """Six alerts: all ids shown, nothing said about more."""
    _, blocks = group_message(storm(6))

    texts = [section["text"]["text"] for section in of_type(blocks, "section")]
    assert "*Alert ids*\n1, 2, 3, 4, 5, 6" in texts
    assert "more" not in json.dumps(blocks)
    validate(blocks)


def test_a_resolved_storm_says_so_without_offering_actions() -> None:
    """Resolved together: a ✅ header, and no hint to acknowledge what is over."""
    _, blocks = group_message(storm(8, event="auto_resolved"))

    assert of_type(blocks, "header")[0]["text"]["text"] == "✅ 8 bill_missing alerts resolved"
    assert "/loan ack" not in json.dumps(blocks)
    validate(blocks)


def test_the_storm_csv_has_a_row_per_alert_with_every_id() -> None:
    """A header row and 1,000 rows, each alert id once, with check and facility filled in."""
    rows = list(csv.reader(io.StringIO(group_csv(storm(1000)))))

    assert len(rows) == 1001
    assert len(group_csv(storm(1000)).splitlines()) == 1001
    header = rows[0]
    assert header == [
        "alert_id",
        "facility",
        "check",
        "severity",
        "state",
        "subject",
        "fingerprint",
        "summary",
    ]
    assert sorted(int(row[0]) for row in rows[1:]) == list(range(1, 1001))
    first = dict(zip(header, rows[1], strict=True))
    assert first["check"] == "bill_missing"
    assert first["facility"] == "weilidai-ops"


def test_the_csv_quotes_commas_quotes_and_newlines() -> None:
    """A summary with `,`, `"` and a line break reads back exactly as written."""
    awkward = 'expected 1,899.75 "as agreed",\nno bill seen'
    case = storm(1)
    case["alerts"][0]["summary"] = awkward
    case["alerts"][0]["facility"] = None

    rows = list(csv.reader(io.StringIO(group_csv(case))))

    assert len(rows) == 2
    assert rows[1][-1] == awkward
    assert rows[1][1] == ""


def test_the_csv_defuses_spreadsheet_formulas() -> None:
    """A cell starting with = + - @ is prefixed with ' so Excel shows it instead of running it."""
    case = storm(1)
    case["alerts"][0]["summary"] = '=HYPERLINK("http://evil.example","click")'

    rows = list(csv.reader(io.StringIO(group_csv(case))))

    assert rows[1][-1] == '\'=HYPERLINK("http://evil.example","click")'


def test_the_csv_filename_names_the_check_and_the_count() -> None:
    """`loanwatch-<check>-<count>-alerts.csv`."""
    assert group_csv_filename(storm(7)) == "loanwatch-bill_missing-7-alerts.csv"
