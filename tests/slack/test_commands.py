"""`/loan` subcommands through the real server: happy paths, and bad input that changes nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.cli import main
from bot.models import (
    VERSIONED_COLUMNS,
    Alert,
    AuditRecord,
    Bill,
    CommandRequest,
    Draw,
    Facility,
    LimitReading,
    Repayment,
    Silence,
)
from tests.support.slack_app import (
    ALICE,
    BOB,
    CHARLIE,
    DANA,
    ONCALL_GROUP,
    SlackApp,
    app_settings,
)

COUNTED = (Draw, Repayment, Bill, LimitReading, Silence, Facility, CommandRequest)
# What `facility add` sets up beyond the slug: every term a version keeps (thresholds: the
# facility's own overrides), its currency, zone and channel.
FACILITY_TERMS = (*VERSIONED_COLUMNS, "currency", "alert_channel", "timezone")


def counts(sessions) -> dict[str, int]:
    """How many rows each ledger table holds, plus alerts by state: what a change would move."""
    with sessions() as session:
        found = {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED
        }
        for state in ("open", "acknowledged", "resolved"):
            found[f"alerts {state}"] = session.scalar(
                select(func.count()).select_from(Alert).where(Alert.state == state)
            )
    return found


def open_alerts(sessions, facility_id: int, now, *subjects: str) -> list[int]:
    """bill_missing alerts on the facility (one per due date), as one check run opens them."""
    findings = [
        Finding(
            "bill_missing",
            facility_id,
            subject,
            Severity.WARNING,
            f"expected 899.75 due {subject}, no bill seen",
            {"Expected": "899.75", "Due": subject},
        )
        for subject in subjects or ("2026-12-10",)
    ]
    with sessions.begin() as session:
        apply_findings(session, findings, now=now, policy=AlertPolicy())
        return list(session.scalars(select(Alert.id).order_by(Alert.id)))


def test_help_lists_every_subcommand(app) -> None:
    """`/loan help` (and a bare `/loan`) lists the subcommands with their usage, ephemerally."""
    for text in ("help", ""):
        answer = app.command(text, user=CHARLIE)
        assert answer.status == 200
        assert answer.body["response_type"] == "ephemeral"
        for word in ("draw", "repay", "bill", "limit", "status", "ack", "snooze", "resolve"):
            assert f"/loan {word}" in answer.text


def test_a_draw_is_logged_and_answered_with_its_schedule(app, jiebei, sessions) -> None:
    """Alice logs 10,000 over 12 months; the channel sees first due date, installment, interest."""
    answer = app.command("draw jiebei-main 10,000 12m supplier deposit", user=ALICE)
    assert answer.status == 200
    assert answer.body["response_type"] == "in_channel"
    # 10,000 at 0.04 %/day, day count 30, equal installment (DESIGN.md's worked example).
    assert "First due *2027-01-01*" in answer.text
    assert "¥899.75 first" in answer.text or "¥899.75 a month" in answer.text
    assert "total interest *¥797.05*" in answer.text
    assert "supplier deposit" in answer.text
    with sessions() as session:
        draw = session.scalars(select(Draw)).one()
    assert (draw.amount, draw.months, draw.created_by) == (Decimal("10000.00"), 12, ALICE)


def test_a_note_cannot_ping_the_channel(app, jiebei) -> None:
    """`<!channel>` in a draw's note is escaped in the answer: it pings nobody."""
    answer = app.command("draw jiebei-main 1000 3m for <!channel> & <@U0BOSS>", user=ALICE)
    assert answer.status == 200
    blob = str(answer.body)
    assert "<!channel>" not in blob
    assert "<@U0BOSS>" not in blob
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in answer.text


BAD_INPUT = [
    pytest.param(
        ALICE,
        "draw jiebei-main 50,000",
        "needs the facility, the amount and the term",
        id="draw-missing-term",
    ),
    pytest.param(ALICE, "draw nowhere 50,000 12m", "nowhere", id="draw-unknown-facility"),
    pytest.param(ALICE, "draw jiebei-main -5 12m", "negative", id="draw-negative"),
    pytest.param(ALICE, "draw jiebei-main 12.345 12m", "decimal", id="draw-three-decimals"),
    pytest.param(ALICE, "draw jiebei-main 0 12m", "zero", id="draw-zero"),
    pytest.param(ALICE, "draw jiebei-main 50,000 twelve", "not a term", id="draw-bad-term"),
    pytest.param(ALICE, "draw jiebei-main 50,000 400m", "1 to 360", id="draw-long-term"),
    pytest.param(ALICE, "draw jiebei-main 300,000 12m", "above its limit", id="draw-over-limit"),
    pytest.param(ALICE, "repay jiebei-main", "needs the facility and the amount", id="repay-short"),
    pytest.param(ALICE, "repay jiebei-main 1,000", "", id="repay-nothing-owed"),
    pytest.param(
        BOB,
        "bill jiebei-main 2026-13-01 899.75",
        'due date "2026-13-01" is not a date',
        id="bill-bad-date",
    ),
    pytest.param(BOB, "bill jiebei-main 2026-12-10 abc", "amount", id="bill-bad-amount"),
    pytest.param(
        BOB,
        "bill jiebei-main 2026-12-10 899.75 maybe",
        "only extra word is paid",
        id="bill-extra-word",
    ),
    pytest.param(BOB, "limit jiebei-main", "needs the facility and the limit", id="limit-short"),
    pytest.param(
        BOB,
        "limit jiebei-main 200k available",
        "needs the amount after it",
        id="limit-available-without-amount",
    ),
    pytest.param(BOB, "limit jiebei-main 200k melted", "not understood", id="limit-bad-status"),
    pytest.param(BOB, "ack", "say which alert", id="ack-no-id"),
    pytest.param(BOB, "ack twelve", "not an alert id", id="ack-bad-id"),
    pytest.param(BOB, "ack 999", "999", id="ack-unknown-alert"),
    pytest.param(BOB, "snooze 999 4h", "999", id="snooze-unknown-alert"),
    pytest.param(BOB, "snooze 1 forever", "duration", id="snooze-bad-duration"),
    pytest.param(BOB, "resolve 1", "why it is resolved", id="resolve-no-reason"),
    pytest.param(ALICE, "silence jiebei-main 2h", "needs what to silence", id="silence-no-reason"),
    pytest.param(ALICE, "silence jiebei-main soon maintenance", "duration", id="silence-bad-for"),
    pytest.param(ALICE, "silence check:nonsense 2h why", "unknown check", id="silence-bad-check"),
    pytest.param(ALICE, "silence remove x", "which silence", id="silence-remove-bad"),
    pytest.param(
        DANA, "facility add jiebei-main jiebei 100k", "already exists", id="facility-duplicate"
    ),
    pytest.param(
        DANA, "facility add new-line jiebei", "slug, a platform and a limit", id="facility-short"
    ),
    pytest.param(DANA, "facility remove x", "not a subcommand", id="facility-bad-action"),
    pytest.param(CHARLIE, "status nowhere", "nowhere", id="status-unknown-facility"),
    # Signed but odd input (issue 9): refused with a message, never an exception.
    pytest.param(BOB, "ack ²", "not an alert id", id="ack-superscript"),
    pytest.param(BOB, "ack ٣", "not an alert id", id="ack-arabic-indic-digit"),
    pytest.param(BOB, "ack 99999999999", "not an alert id", id="ack-beyond-the-id-column"),
    pytest.param(BOB, "snooze ² 4h", "not an alert id", id="snooze-superscript"),
    pytest.param(BOB, "resolve ² x", "not an alert id", id="resolve-superscript"),
    pytest.param(ALICE, "silence remove ²", "not a silence id", id="silence-remove-superscript"),
    pytest.param(
        DANA,
        "facility add fz jiebei 123456789012345678901234567890 0.04%",
        "too large",
        id="facility-limit-of-thirty-digits",
    ),
    pytest.param(
        DANA,
        "facility add fz jiebei 100k 123456789012345678901234567890",
        "no lender charges 1% a day",
        id="facility-rate-of-thirty-digits",
    ),
    pytest.param(
        DANA,
        "facility add fz jiebei CNY100 CNY100",
        '"CNY100" reads as an amount, and the limit is already given',
        id="facility-amount-twice-is-not-a-channel",
    ),
    pytest.param(
        DANA,
        "facility add fz jiebei 100k 0.04% 0.05%",
        "'0.05%' is one rate too many",
        id="facility-two-rates",
    ),
    pytest.param(ALICE, "draw jiebei-main 5 万", "the term is missing", id="draw-unit-no-term"),
    pytest.param(
        ALICE, "repay jiebei-main 7 -2026-12-01", 'payment date "-2026-12-01"', id="repay-bad-date"
    ),
    pytest.param(
        ALICE,
        "repay jiebei-main 1 20261201",
        "write dates as YYYY-MM-DD (2026-12-01)",
        id="repay-date-without-dashes",
    ),
    pytest.param(
        BOB, "bill jiebei-main 2026-12-10 1 k maybe", "only extra word", id="bill-unit-extra"
    ),
    pytest.param(
        BOB,
        "bill jiebei-main 0001-01-01 100",
        "due date 0001-01-01 is outside the dates loanwatch keeps",
        id="bill-in-year-one",
    ),
    pytest.param(
        ALICE, "repay jiebei-main 100 2101-01-01", "2101-01-01 is outside", id="repay-after-2100"
    ),
    pytest.param(
        ALICE,
        "draw jiebei-main 1000 3m " + "x" * 2001,
        "note is 2,001 characters long; keep it to 2,000",
        id="draw-note-too-long",
    ),
    pytest.param(
        BOB, "resolve 1 " + "r" * 2001, "reason is 2,001 characters long", id="resolve-too-long"
    ),
    pytest.param(
        ALICE,
        "silence all 2h " + "m" * 2001,
        "reason is 2,001 characters long",
        id="silence-reason-too-long",
    ),
    pytest.param(CHARLIE, "frobnicate", "no `frobnicate` subcommand", id="unknown-subcommand"),
]


@pytest.mark.parametrize(("user", "text", "says"), BAD_INPUT)
def test_bad_input_is_answered_ephemerally_and_changes_nothing(
    app, jiebei, sessions, slack, user, text, says
) -> None:
    """Each mistake gets an ephemeral message saying what was wrong; no table changes."""
    before = counts(sessions)
    answer = app.command(text, user=user)
    assert answer.status == 200
    assert answer.body["response_type"] == "ephemeral"
    assert says.lower() in answer.text.lower()
    assert answer.text.startswith(":warning:")
    assert counts(sessions) == before
    assert [c.method for c in slack.calls if c.method.startswith("chat.")] == []


REFUSED = [
    (CHARLIE, "draw jiebei-main 1000 3m", "treasurers"),
    (CHARLIE, "repay jiebei-main 100", "treasurers"),
    (CHARLIE, "bill jiebei-main 2026-12-10 899.75", "operators"),
    (CHARLIE, "bill remove jiebei-main 2026-12-10 typo", "operators"),
    (CHARLIE, "limit jiebei-main 200k", "operators"),
    (CHARLIE, "ack 1", "operators"),
    (CHARLIE, "snooze 1 4h", "operators"),
    (CHARLIE, "resolve 1 done", "operators"),
    (BOB, "silence all 2h maintenance", "treasurers"),
    (BOB, "draw jiebei-main 1000 3m", "treasurers"),
    (ALICE, "facility add other jiebei 100k", "admins"),
]


@pytest.mark.parametrize(("user", "text", "role"), REFUSED)
def test_a_refusal_is_ephemeral_audited_and_changes_nothing(
    app, jiebei, sessions, user, text, role
) -> None:
    """Someone without the role is told who may, the refusal is audited, nothing else changes."""
    before = counts(sessions)
    answer = app.command(text, user=user)
    assert answer.body["response_type"] == "ephemeral"
    assert f"Only {role} may" in answer.text
    assert counts(sessions) == before
    with sessions() as session:
        refused = session.scalars(select(AuditRecord).where(AuditRecord.action == "refused")).all()
    assert [r.actor for r in refused] == [user]


def test_operators_are_recognised_through_their_user_group(app, jiebei, sessions, slack) -> None:
    """Bob is an operator only by membership of the on-call group, read from Slack."""
    answer = app.command("bill jiebei-main 2026-12-10 899.75", user=BOB)
    assert answer.text.startswith("recorded bill")
    assert [c.args["usergroup"] for c in slack.calls_to("usergroups.users.list")] == [ONCALL_GROUP]


def test_repay_records_a_repayment(app, jiebei, sessions) -> None:
    """A repayment after a draw is split into principal and interest."""
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    answer = app.command("repay jiebei-main 899.75 2026-12-01 early", user=ALICE)
    assert "recorded repayment" in answer.text
    assert "principal" in answer.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Repayment)) == 1


def test_a_backdated_repay_says_it_placed_the_later_ones_again(app, jiebei, clock) -> None:
    """A draw on 11-01, 1,000 repaid on 11-20, then 500 backdated to 11-10: the answer to the
    backdated one says the 11-20 repayment was placed again; the first says nothing of it."""
    clock.now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    first = app.command("repay jiebei-main 1000 2026-11-20", user=ALICE)
    backdated = app.command("repay jiebei-main 500 2026-11-10", user=ALICE)

    assert "placed again" not in first.text
    assert (
        "Dated before 1 later repayment, placed again in date order: #1 (2026-11-20) no penalty"
        in backdated.text
    )


def test_bill_and_limit_record_what_the_platform_shows(app, jiebei, sessions) -> None:
    """`bill … paid` and `limit … available … frozen` are stored as the platform showed them."""
    bill = app.command("bill jiebei-main 2026-12-10 899.75 paid", user=BOB)
    limit = app.command("limit jiebei-main 0 available 0 frozen", user=BOB)
    again = app.command("bill jiebei-main 2026-12-10 899.75 paid", user=BOB)
    assert bill.text.startswith("recorded bill")
    assert bill.text.endswith(", paid")
    assert "limit ¥0.00, available ¥0.00, frozen" in limit.text
    assert again.text.startswith("already had bill")
    with sessions() as session:
        reading = session.scalars(select(LimitReading)).one()
        assert (reading.limit_amount, reading.available, reading.status) == (
            Decimal("0.00"),
            Decimal("0.00"),
            "frozen",
        )
        assert session.scalar(select(func.count()).select_from(Bill)) == 1


def test_bill_corrects_and_bill_remove_takes_out_a_typo(app, jiebei, sessions, slack) -> None:
    """A second amount for one bill is answered as a correction; `bill remove` with a reason
    takes the bill out, in the channel, keeping it as history."""
    app.command("bill jiebei-main 2026-12-10 909.75", user=BOB)
    corrected = app.command("bill jiebei-main 2026-12-10 899.75", user=BOB)
    removed = app.command("bill remove jiebei-main 2026-12-10 typed <!channel> twice", user=BOB)
    refused = app.command("bill remove jiebei-main 2026-12-10", user=BOB)

    assert corrected.text.startswith("corrected ¥909.75 → ¥899.75: bill due 2026-12-10")
    assert removed.body["response_type"] == "in_channel"
    assert removed.text.startswith(f"<@{BOB}> removed bill #2 on *jiebei-main*: ¥899.75 due")
    assert "typed &lt;!channel&gt; twice" in removed.text
    assert "needs the facility, its due date and the reason" in refused.text
    with sessions() as session:
        bills = session.scalars(select(Bill).order_by(Bill.id)).all()
        assert [(b.amount, b.removal_reason) for b in bills] == [
            (Decimal("909.75"), None),
            (Decimal("899.75"), "typed <!channel> twice"),
        ]
        assert all(b.superseded_at is not None for b in bills)
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.action.like("bill.%"))
        ).all()
        assert actions == ["bill.add", "bill.supersede", "bill.correct", "bill.remove"]


def test_status_shows_positions_what_is_due_and_open_alerts(app, jiebei, sessions, clock) -> None:
    """Status: limit/used/available, this week's installments, open alerts, for one or all."""
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    [alert_id] = open_alerts(sessions, jiebei.id, clock())
    overall = app.command("status", user=CHARLIE)
    one = app.command("status jiebei-main", user=CHARLIE)
    for answer in (overall, one):
        assert "*jiebei-main*: limit ¥200,000.00 · used ¥10,000.00 · available ¥190,000.00" in (
            answer.text
        )
        assert f"• {alert_id} warning bill_missing" in answer.text
    assert "No limit reading from the platform yet." in one.text


def test_ack_snooze_and_resolve_by_id(app, jiebei, sessions, clock) -> None:
    """Bob acknowledges, snoozes and resolves alerts by their ids."""
    first, second = open_alerts(sessions, jiebei.id, clock(), "2026-12-10", "2027-01-10")
    # Acknowledged for 24 h (the policy's default), shown in the facility's zone.
    assert app.command(f"ack {first}", user=BOB).text == (
        f"You acknowledged alert {first} until 2026-12-02 10:00 CST."
    )
    assert "already acknowledged by <@U0BOB>" in app.command(f"ack {first}", user=DANA).text
    # 02:00 UTC + 4 h, shown in the team's zone (Asia/Shanghai).
    assert "snoozed until 2026-12-01 14:00 CST" in app.command(f"snooze {second} 4h", user=BOB).text
    assert app.command(f"resolve #{first} paid by bank", user=BOB).text == (
        f"You resolved alert {first}."
    )
    with sessions() as session:
        alert = session.get(Alert, first)
        assert (alert.state, alert.resolved_by, alert.resolve_reason) == (
            "resolved",
            BOB,
            "paid by bank",
        )
    assert "already resolved" in app.command(f"ack {first}", user=BOB).text


def test_silences_are_added_listed_and_removed(app, jiebei, sessions) -> None:
    """Alice silences the facility for maintenance, lists it, and ends it."""
    added = app.command("silence jiebei-main 2h platform maintenance <!here>", user=ALICE)
    assert added.body["response_type"] == "in_channel"
    assert "platform maintenance &lt;!here&gt;" in added.text
    with sessions() as session:
        silence = session.scalars(select(Silence)).one()
    listed = app.command("silence list", user=CHARLIE)
    assert f"• {silence.id}: facility {jiebei.id}" in listed.text
    removed = app.command(f"silence remove {silence.id}", user=ALICE)
    assert f"removed silence {silence.id}" in removed.text
    assert app.command("silence list", user=CHARLIE).text == "No silences in force."


def test_facilities_are_listed_for_anyone_and_added_by_admins(app, jiebei, sessions) -> None:
    """Charlie can list; Dana adds a line with its channel."""
    listed = app.command("facility list", user=CHARLIE)
    assert "*jiebei-main* (借呗 Jiebei): limit ¥200,000.00" in listed.text or (
        "*jiebei-main*" in listed.text
    )
    added = app.command("facility add weilidai-ops weilidai 50k 0.05% <#C0OPSCHAN1|ops>", user=DANA)
    assert "added facility *weilidai-ops*" in added.text
    assert "alerts to <#C0OPSCHAN1>" in added.text
    with sessions() as session:
        facility = session.scalars(select(Facility).where(Facility.slug == "weilidai-ops")).one()
        assert (facility.limit_amount, facility.alert_channel) == (
            Decimal("50000.00"),
            "C0OPSCHAN1",
        )


def test_the_facility_list_says_when_the_platform_cut_the_line(app, jiebei) -> None:
    """Jiebei shows ¥150,000 on the ¥200,000 line: the list says so, and measures available
    against it."""
    app.command("limit jiebei-main 150000 available 150000", user=BOB)
    listed = app.command("facility list", user=CHARLIE)
    assert "limit ¥200,000.00 (the platform shows ¥150,000.00)" in listed.text
    assert "available ¥150,000.00" in listed.text


def test_with_no_roles_configured_everyone_may_do_everything(
    database_url, slack, sessions, jiebei, clock
) -> None:
    """A first install with no role settings: Charlie may log a draw and add a facility."""
    settings = app_settings(
        database_url,
        slack.api_url,
        LOANWATCH_ADMINS="",
        LOANWATCH_TREASURERS="",
        LOANWATCH_OPERATORS="",
    )
    with SlackApp.start(settings, sessions, clock=clock) as app:
        drawn = app.command("draw jiebei-main 1,000 3m", user=CHARLIE)
        added = app.command("facility add spare-line jiebei 10k", user=CHARLIE)
    assert drawn.body["response_type"] == "in_channel"
    assert "added facility *spare-line*" in added.text


def test_a_facility_channel_is_given_as_an_id(app, sessions) -> None:
    """A bare channel id is the facility's channel; a #name is refused with how to find the id."""
    added = app.command("facility add ops-line weilidai 50k C0OPSCHAN1", user=DANA)
    named = app.command("facility add named-line weilidai 50k #loan-alerts", user=DANA)
    assert "alerts to <#C0OPSCHAN1>" in added.text
    assert "not a Slack channel id" in named.text
    with sessions() as session:
        assert session.scalar(
            select(Facility.alert_channel).where(Facility.slug == "ops-line")
        ) == ("C0OPSCHAN1")


def test_a_facility_added_in_slack_gets_the_terms_the_cli_gives(
    app, sessions, database_url, capsys
) -> None:
    """Given only slug, platform and limit, `/loan facility add` and the CLI set up alike."""
    app.command("facility add from-slack weilidai 50k", user=DANA)
    cli = ["--database-url", database_url, "facility", "add", "from-cli"]
    assert main([*cli, "--platform", "weilidai", "--limit", "50k"]) == 0, capsys.readouterr()

    def terms(slug: str) -> tuple[object, ...]:
        facility = session.scalars(select(Facility).where(Facility.slug == slug)).one()
        return tuple(getattr(facility, c) for c in FACILITY_TERMS)

    with sessions() as session:
        assert terms("from-slack") == terms("from-cli")


def test_a_jiebei_line_added_in_slack_takes_jiebeis_profile(app, sessions) -> None:
    """`/loan facility add` has no term options: a Jiebei line bills on actual days, rounded
    down, Jiebei's first-period and repayment-day rules, collected on the calendar day."""
    added = app.command("facility add jb-slack jiebei 100k 0.04%", user=DANA)

    assert "day count actual, rounding down" in added.text
    with sessions() as session:
        facility = session.scalars(select(Facility).where(Facility.slug == "jb-slack")).one()
        assert (
            facility.repayment_method,
            facility.day_count,
            facility.rounding,
            facility.first_period,
            facility.repayment_day_rule,
            facility.holiday_rule,
        ) == ("equal-installment", "actual", "down", "skip-short", "first-draw", "none")


@pytest.mark.parametrize(
    ("text", "amount", "months", "note"),
    [
        ("draw jiebei-main 5 万 12m", "50000.00", 12, None),
        ("draw jiebei-main 1.5 万元 6 months for stock", "15000.00", 6, "for stock"),
        ("draw jiebei-main ¥ 300 3m", "300.00", 3, None),
        ("draw jiebei-main 2 k 1 y", "2000.00", 12, None),
        ("draw jiebei-main ５ 万 12 个月", "50000.00", 12, None),
    ],
)
def test_a_unit_typed_apart_belongs_to_the_draws_amount_and_term(
    app, jiebei, sessions, text, amount, months, note
) -> None:
    """ "5 万" in a command is ¥50,000.00, as in the form; "6 months" is a term, not a note."""
    answer = app.command(text, user=ALICE)

    assert answer.body["response_type"] == "in_channel", answer.text
    with sessions() as session:
        draw = session.scalars(select(Draw)).one()
    assert (draw.amount, draw.months, draw.note) == (Decimal(amount), months, note)


def test_a_repayment_of_3_wan_is_thirty_thousand_not_three_yuan_noted_wan(
    app, jiebei, sessions
) -> None:
    """`repay … 3 万` records ¥30,000.00 with no note; `2 k` is ¥2,000.00 (issue 9, point 7)."""
    app.command("draw jiebei-main 5万 12m", user=ALICE)

    first = app.command("repay jiebei-main 3 万", user=ALICE)
    second = app.command("repay jiebei-main 2 k", user=ALICE)

    assert "¥30,000.00" in first.text
    assert "¥2,000.00" in second.text
    with sessions() as session:
        repayments = session.scalars(select(Repayment).order_by(Repayment.id)).all()
    assert [(r.amount, r.note) for r in repayments] == [
        (Decimal("30000.00"), None),
        (Decimal("2000.00"), None),
    ]


def test_a_mistyped_payment_date_is_refused_not_taken_as_a_note(app, jiebei, sessions) -> None:
    """`repay … 7 -2026-12-01` is refused; `repay … 7 2026-12-01 early` records that day."""
    app.command("draw jiebei-main 10,000 12m", user=ALICE)

    refused = app.command("repay jiebei-main 7 -2026-12-01", user=ALICE)
    recorded = app.command("repay jiebei-main 7 元 2026-12-01 paid early", user=ALICE)

    assert refused.text.startswith(":warning:")
    with sessions() as session:
        [repayment] = session.scalars(select(Repayment)).all()
    assert (repayment.amount, repayment.paid_on.isoformat(), repayment.note) == (
        Decimal("7.00"),
        "2026-12-01",
        "paid early",
    )
    assert "recorded repayment" in recorded.text


def test_bill_and_limit_take_units_typed_apart(app, jiebei, sessions) -> None:
    """`bill … 1 k paid` and `limit … 20 万 available 15 万 frozen` read as the form would."""
    app.command("bill jiebei-main 2026-12-10 1 k paid", user=BOB)
    app.command("limit jiebei-main 20 万 available 15 万 frozen", user=BOB)

    with sessions() as session:
        bill = session.scalars(select(Bill)).one()
        reading = session.scalars(select(LimitReading)).one()
    assert (bill.amount, bill.paid) == (Decimal("1000.00"), True)
    assert (reading.limit_amount, reading.available, reading.status) == (
        Decimal("200000.00"),
        Decimal("150000.00"),
        "frozen",
    )


def test_payoff_quotes_principal_interest_to_the_day_and_penalty(app, jiebei, sessions) -> None:
    """`/loan payoff FACILITY DATE` answers with the quote: 10 days on 10,000 at 0.04 %: 40.00."""
    app.command("draw jiebei-main 10,000 12m", user=ALICE)
    with sessions() as session:
        drawn_on = session.scalars(select(Draw.drawn_on)).one()
    on = drawn_on + timedelta(days=10)

    answer = app.command(f"payoff jiebei-main {on.isoformat()}", user=ALICE)

    assert f"Payoff of *jiebei-main* on {on.isoformat()}" in answer.text
    assert "principal ¥10,000.00 + interest to the day ¥40.00 + penalty ¥0.00" in answer.text
    assert "*¥10,040.00*" in answer.text
