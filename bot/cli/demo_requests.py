"""The requests half of `loanwatch demo`: a bill, two draws and a reminder, asked in one tap.

- 2026-12-07 09:00  ICBC posts its repayment notice two weeks ahead (icbc-term's
  `bill_lead_days` is 14), so its window for the 12-21 installment opens at midnight. The
  treasurer made Dana icbc-term's owner on Friday; the cycle asks her whether the bill appeared
  (the console prints the direct message); she taps Yes, as expected, and the bill is recorded.
- 2026-12-07 09:10  Dana and Wei each log a draw on weilidai-ops from Slack (the draw's
  `created_by` is their Slack user id, as `/loan draw` sets it). WeBank can take two days to
  pay out, so weilidai-ops waits 48 h before `draw_unconfirmed` (its `confirm_window_hours`).
- 2026-12-07 10:00  the day's reading requests: Dana answers; Wei does not, and at 12:00, two
  business hours on, gets the one reminder; he taps Can't see it (WeBank's limit page is still
  down, though its app lent the money).
- 2026-12-08 09:30  `bill_missing` is past its grace for 12-21 and stays quiet: the bill is
  there. Dana and Wei are asked whether their draws' money arrived: Dana taps Yes (confirmed),
  Wei taps No (`draw_unconfirmed` opens at once, a day before its window would have).

The buttons are the same domain calls Slack's handlers make (bot.ledger.bill_requests,
bot.ledger.arrival_requests, bot.ledger.reading_answers), and what the messages say after a tap
is what Slack shows (bot.slack.request_blocks, bot.slack.reading_blocks).
"""

from datetime import timedelta
from decimal import Decimal

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import list_alerts
from bot.alerts.checks import Check
from bot.cli.demo_tickets import DEMO, at, check, deliver, heading
from bot.cli.facility_words import readings_line
from bot.db import transaction
from bot.ledger.arrival_requests import answer_arrived, answer_not_arrived
from bot.ledger.bill_requests import answer_billed
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from bot.ledger.reading_answers import answer_same, answer_unavailable
from bot.ledger.reading_requests import RequestKind, RequestState, set_readings
from bot.models import Facility, ReadingRequest
from bot.money import format_money
from bot.settings import Settings
from bot.slack.context import actor
from bot.slack.reading_blocks import SAME, UNAVAILABLE, answered_line
from bot.slack.request_blocks import ARRIVED, BILLED, NOT_ARRIVED, arrival_line, bill_line

DANA, WEI = "U0DANA", "U0WEI"
OWNER_SET = at("2026-12-04 17:00")
BILL_ASKED = at("2026-12-07 09:00")
READINGS_ASKED = at("2026-12-07 10:00")
REMINDED = at("2026-12-07 12:00")  # two business hours after the 10:00 message
ARRIVALS_ASKED = at("2026-12-08 09:30")
# The draws logged from Slack on 12-07: who, how much, for how many months, what for, when.
SLACK_DRAWS = (
    (DANA, "30000.00", 6, "office rent", at("2026-12-07 09:10")),
    (WEI, "60000.00", 12, "equipment", at("2026-12-07 09:20")),
)


def bill_request(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-07 09:00: Dana, icbc-term's owner since Friday, is asked; Yes, as expected."""
    heading("2026-12-07 09:00: ICBC's notice for 12-21 should be out (14 days ahead); Dana, "
            "icbc-term's owner, is asked and taps Yes, as expected")  # fmt: skip
    with transaction(sessions) as session:
        icbc = get_facility(session, "icbc-term")
        set_readings(session, DEMO, icbc, owner=DANA, readings=None, now=OWNER_SET)
        click.echo(f"12-04 17:00 $ loanwatch facility set icbc-term --owner {DANA}")
        click.echo(f"{readings_line(icbc)}; its owner is asked about its bills\n")
    check(sessions, settings, BILL_ASKED)
    [request_id] = _open(sessions, RequestKind.BILL)
    with transaction(sessions) as session:
        answered = answer_billed(session, actor(DANA), request_id,
                                 now=BILL_ASKED + timedelta(minutes=5))  # fmt: skip
        click.echo(f"{DANA} taps [{BILLED}]; the message now says: {bill_line(answered)}")


def slack_draws(sessions: sessionmaker[Session]) -> None:
    """12-07 09:10 and 09:20: two draws on weilidai-ops, logged from Slack by Dana and Wei."""
    heading("2026-12-07 09:10: Dana and Wei each log a draw on weilidai-ops from Slack")
    for drawer, amount, months, note, logged in SLACK_DRAWS:
        with transaction(sessions) as session:
            weilidai = get_facility(session, "weilidai-ops", for_update=True)
            request = DrawRequest(Decimal(amount), months, logged.date(), note=note)
            draw = record_draw(session, actor(drawer), weilidai, request, now=logged)
            shown = format_money(draw.amount, weilidai.currency)
        typed = f"/loan draw weilidai-ops {Decimal(amount):,.0f} {months}m {note}"
        click.echo(f"{logged:%H:%M} {drawer}: {typed} → draw #{draw.id} of {shown} logged, "
                   f"by {draw.created_by}")  # fmt: skip


def reminder(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-07 10:00: the readings; Dana answers, Wei does not; 12:00 his one reminder."""
    heading("2026-12-07 10:00: the day's reading requests; Wei does not answer, and gets his "
            "one reminder two business hours later")  # fmt: skip
    check(sessions, settings, READINGS_ASKED)
    jiebei = _open(sessions, RequestKind.LIMIT, slug="jiebei-main")[0]
    with transaction(sessions) as session:
        line = answered_line(answer_same(session, actor(DANA), jiebei,
                                         now=READINGS_ASKED + timedelta(minutes=4)))  # fmt: skip
    click.echo(f"{DANA} taps [{SAME}]; the message now says: {line}")
    click.echo(f"{WEI} is in a meeting.\n")
    check(sessions, settings, REMINDED)
    weilidai = _open(sessions, RequestKind.LIMIT, slug="weilidai-ops")[0]
    with transaction(sessions) as session:
        line = answered_line(answer_unavailable(session, actor(WEI), weilidai,
                                                now=REMINDED + timedelta(minutes=5)))  # fmt: skip
    click.echo(f"{WEI} taps [{UNAVAILABLE}] on the reminder; both messages now say: {line}")


def arrivals(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-08 09:30: no bill_missing for 12-21; the drawers are asked; Yes, and No."""
    heading("2026-12-08 09:30: bill_missing stays quiet for ICBC's 12-21 bill; a day after their "
            "draws Dana and Wei are asked if the money arrived: Yes, and No")  # fmt: skip
    check(sessions, settings, ARRIVALS_ASKED)
    with transaction(sessions) as session:
        icbc = get_facility(session, "icbc-term").id
        missing = [a.summary for a in list_alerts(session, "all")
                   if a.check == Check.BILL_MISSING and a.facility_id == icbc]  # fmt: skip
    click.echo(f"bill_missing on icbc-term, its grace for 12-21 over since midnight: "
               f"{', '.join(missing) or 'none (the bill Dana recorded is there)'}\n")  # fmt: skip
    asked = _open(sessions, RequestKind.DRAW)
    tapped = ARRIVALS_ASKED + timedelta(minutes=5)
    for request_id, (drawer, *_rest) in zip(asked, SLACK_DRAWS, strict=True):
        with transaction(sessions) as session:
            if drawer == DANA:  # Yes: the draw is confirmed
                label = ARRIVED
                answered = answer_arrived(session, actor(drawer), request_id, now=tapped)
            else:  # No: draw_unconfirmed opens now
                label, policy = NOT_ARRIVED, settings.alert_policy()
                answered = answer_not_arrived(session, actor(drawer), request_id, now=tapped,
                                              policy=policy)  # fmt: skip
            line = arrival_line(answered)
        click.echo(f"{drawer} taps [{label}]; the message now says: {line}")
    deliver(sessions, settings, tapped)


def _open(
    sessions: sessionmaker[Session], kind: RequestKind, *, slug: str | None = None
) -> list[int]:
    """The open requests of `kind` (on `slug`, if given), oldest first."""
    with transaction(sessions) as session:
        query = (
            select(ReadingRequest.id)
            .join(Facility, Facility.id == ReadingRequest.facility_id)
            .where(ReadingRequest.kind == kind, ReadingRequest.state == RequestState.OPEN)
        )
        if slug is not None:
            query = query.where(Facility.slug == slug)
        return list(session.scalars(query.order_by(ReadingRequest.id)))
