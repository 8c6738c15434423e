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

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.actions import list_alerts
from bot.alerts.checks import Check
from bot.alerts.said import check_name
from bot.cli.demo_tickets import (
    DEMO,
    at,
    chapter,
    check,
    deliver,
    say,
    shell,
    story_day,
    story_day_time,
    taps,
)
from bot.cli.facility_words import readings_line
from bot.db import transaction
from bot.i18n import N_, _
from bot.i18n.formats import money
from bot.ledger.arrival_requests import answer_arrived, answer_not_arrived
from bot.ledger.bill_requests import answer_billed
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from bot.ledger.reading_answers import answer_same, answer_unavailable
from bot.ledger.reading_requests import RequestKind, RequestState, set_readings
from bot.models import Facility, ReadingRequest
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
BILL_DUE = date(2026, 12, 21)  # icbc-term's installment the owner is asked about
# The draws logged from Slack on 12-07: who, how much, for how many months, what for, when.
SLACK_DRAWS = (
    (DANA, "30000.00", 6, N_("office rent"), at("2026-12-07 09:10")),
    (WEI, "60000.00", 12, N_("equipment"), at("2026-12-07 09:20")),
)


def bill_request(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-07 09:00: Dana, icbc-term's owner since Friday, is asked; Yes, as expected."""
    said = _("ICBC's notice for {due} should be out (14 days ahead); Dana, icbc-term's owner, "
             "is asked and taps Yes, as expected")  # fmt: skip
    chapter(BILL_ASKED, said.format(due=story_day(BILL_DUE)))
    with transaction(sessions) as session:
        icbc = get_facility(session, "icbc-term")
        set_readings(session, DEMO, icbc, owner=DANA, readings=None, now=OWNER_SET)
        when = story_day_time(OWNER_SET)
        shell(f"loanwatch facility set icbc-term --owner {DANA}", before=f"{when} $")
        say(_("{readings}; its owner is asked about its bills").format(
            readings=readings_line(icbc)) + "\n")  # fmt: skip
    check(sessions, settings, BILL_ASKED)
    [request_id] = _open(sessions, RequestKind.BILL)
    with transaction(sessions) as session:
        answered = answer_billed(session, actor(DANA), request_id,
                                 now=BILL_ASKED + timedelta(minutes=5))  # fmt: skip
        taps(DANA, BILLED, bill_line(answered))


def slack_draws(sessions: sessionmaker[Session]) -> None:
    """12-07 09:10 and 09:20: two draws on weilidai-ops, logged from Slack by Dana and Wei."""
    chapter(SLACK_DRAWS[0][4], _("Dana and Wei each log a draw on {facility} from Slack").format(
        facility="weilidai-ops"))  # fmt: skip
    for drawer, amount, months, what, logged in SLACK_DRAWS:
        note = _(what)  # as the drawer typed it, in the demo's language
        with transaction(sessions) as session:
            weilidai = get_facility(session, "weilidai-ops", for_update=True)
            request = DrawRequest(Decimal(amount), months, logged.date(), note=note)
            draw = record_draw(session, actor(drawer), weilidai, request, now=logged)
            shown = money(draw.amount, weilidai.currency)
        typed = f"/loan draw weilidai-ops {Decimal(amount):,.0f} {months}m {note}"
        said = _("{time} {who}: {typed} → draw #{draw} of {amount} logged, by {by}")
        say(said.format(time=f"{logged:%H:%M}", who=drawer, typed=typed, draw=draw.id,
                        amount=shown, by=draw.created_by))  # fmt: skip


def reminder(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-07 10:00: the readings; Dana answers, Wei does not; 12:00 his one reminder."""
    chapter(READINGS_ASKED, _("the day's reading requests; Wei does not answer, and gets his one "
                              "reminder two business hours later"))  # fmt: skip
    check(sessions, settings, READINGS_ASKED)
    jiebei = _open(sessions, RequestKind.LIMIT, slug="jiebei-main")[0]
    with transaction(sessions) as session:
        line = answered_line(answer_same(session, actor(DANA), jiebei,
                                         now=READINGS_ASKED + timedelta(minutes=4)))  # fmt: skip
    taps(DANA, SAME, line)
    say(_("{who} is in a meeting.").format(who=WEI) + "\n")
    check(sessions, settings, REMINDED)
    weilidai = _open(sessions, RequestKind.LIMIT, slug="weilidai-ops")[0]
    with transaction(sessions) as session:
        line = answered_line(answer_unavailable(session, actor(WEI), weilidai,
                                                now=REMINDED + timedelta(minutes=5)))  # fmt: skip
    said = _("{who} taps [{button}] on the reminder; both messages now say: {line}")
    say(said.format(who=WEI, button=_(UNAVAILABLE), line=line))


def arrivals(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-08 09:30: no bill_missing for 12-21; the drawers are asked; Yes, and No."""
    said = _("{check} stays quiet for ICBC's {due} bill; a day after their draws Dana and Wei "
             "are asked if the money arrived: Yes, and No")  # fmt: skip
    chapter(ARRIVALS_ASKED, said.format(check=check_name("bill_missing"), due=story_day(BILL_DUE)))
    check(sessions, settings, ARRIVALS_ASKED)
    with transaction(sessions) as session:
        icbc = get_facility(session, "icbc-term").id
        missing = [a.summary for a in list_alerts(session, "all")
                   if a.check == Check.BILL_MISSING and a.facility_id == icbc]  # fmt: skip
    if missing:
        said = _("{check} on {facility}, its grace for {due} over since midnight: {alerts}")
    else:
        said = _("{check} on {facility}, its grace for {due} over since midnight: none (the "
                 "bill Dana recorded is there)")  # fmt: skip
    say(said.format(check=check_name("bill_missing"), facility="icbc-term", due=story_day(BILL_DUE),
                    alerts=", ".join(missing)) + "\n")  # fmt: skip
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
        taps(drawer, label, line)
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
