"""`/loan digest` through the real server, and the digest as it reaches the fake Web API: its
message, the chart uploaded into its thread, and at 500 facilities a message within Slack's
limits with the rest in a CSV."""

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, insert, select

from bot.audit import Actor
from bot.db import transaction
from bot.digest.chart import HEIGHT, WIDTH
from bot.digest.sending import send_digest_now
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.summaries import rebuild_summaries
from bot.models import Draw, Facility, OutboxMessage
from bot.slack.blocks import MAX_BLOCKS, MAX_TEXT
from bot.slack.digest_blocks import SHOWN_FACILITIES
from tests.slack.test_alert_buttons import deliver
from tests.support.slack_app import ALERTS, CHARLIE

# Only one database here: the Slack wiring does not depend on it (tests/digest runs both).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _digest_message(slack, channel: str = ALERTS):
    [message] = [m for m in slack.messages(channel) if m.text.startswith("Daily digest")]
    return message


def _files(slack, message, channel: str = ALERTS) -> dict[str, bytes]:
    """Title → bytes of each file uploaded into the message's thread."""
    return {
        shared["title"]: slack.uploads[shared["id"]]
        for reply in slack.thread(channel, message.ts)
        for shared in reply.files
    }


def test_loan_digest_posts_the_digest_here_with_its_chart_in_the_thread(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """Charlie (a viewer) asks in #loan-alerts; the digest shows jiebei-main's numbers and the
    13-week chart, a PNG of the expected size, arrives in its thread."""
    assert app.command("draw jiebei-main 10,000 12m", channel=ALERTS).status == 200

    answer = app.command("digest", user=CHARLIE, channel=ALERTS)
    assert answer.body["response_type"] == "ephemeral"
    assert "on its way to this channel" in answer.text
    deliver(sessions, settings, clock)

    message = _digest_message(slack)
    blocks = json.dumps(message.blocks, ensure_ascii=False)
    assert "Daily digest · 2026-12-01" in blocks
    assert "limit ¥200,000.00 · used ¥10,000.00 · available ¥190,000.00 · 5.0 %" in blocks
    files = _files(slack, message)
    assert list(files) == ["cashflow-2026-12-01.png"]
    image = Image.open(io.BytesIO(files["cashflow-2026-12-01.png"]))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))


def test_loan_digest_with_words_after_it_is_refused_and_sends_nothing(
    app, jiebei, sessions
) -> None:
    """`/loan digest now please` says what was wrong, ephemerally; no digest is written."""
    answer = app.command("digest now please", user=CHARLIE, channel=ALERTS)

    assert answer.body["response_type"] == "ephemeral"
    assert "`digest` takes nothing after it" in answer.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def _five_hundred_lines(sessions, now: datetime) -> None:
    """500 facilities at five platforms, each with a draw of its own size, posting to #alerts."""
    dana = Actor("cli:dana", "cli")
    with transaction(sessions) as session:
        for n in range(500):
            add_facility(
                session,
                dana,
                FacilityTerms(
                    slug=f"line-{n:03d}",
                    platform=["jiebei", "weilidai", "icbc", "ccb", "cmb"][n % 5],
                    limit_amount=Decimal("100000.00"),
                    daily_rate=Decimal("0.0004"),
                    alert_channel=ALERTS,
                    name=f"额度{n:03d}",
                ),
                now=now,
            )
        ids = session.scalars(select(Facility.id).order_by(Facility.slug)).all()
        # Core inserts, then the summaries rebuilt: 500 draws without 500 schedules to plan.
        session.execute(
            insert(Draw),
            [
                {
                    "facility_id": facility_id,
                    "amount": Decimal(1000 + n),
                    "drawn_on": now.date(),
                    "months": 12,
                    "repayment_method": "equal_installment",
                    "day_count": "30",
                    "daily_rate": Decimal("0.0004"),
                    "rounding": "half-up",
                    "created_at": now,
                    "created_by": "cli:alice",
                }
                for n, facility_id in enumerate(ids)
            ],
        )
        rebuild_summaries(session.connection())


def test_at_500_facilities_the_message_fits_slack_and_the_rest_is_in_a_csv(
    app, sessions, settings, clock, slack
) -> None:
    """The most used SHOWN_FACILITIES in the message, no block over Slack's limits; the other
    485 in the CSV uploaded into the thread, with their numbers."""
    _five_hundred_lines(sessions, clock())
    with transaction(sessions) as session:
        send_digest_now(session, ALERTS, now=clock(), options=settings.digest_options())
    deliver(sessions, settings, clock)

    message = _digest_message(slack)
    assert len(message.blocks) <= MAX_BLOCKS
    texts = [b["text"]["text"] for b in message.blocks if "text" in b]
    texts += [e["text"] for b in message.blocks for e in b.get("elements", [])]
    assert all(1 <= len(text) <= MAX_TEXT for text in texts)
    assert "line-499 (额度499)" in json.dumps(message.blocks, ensure_ascii=False)  # the most used
    assert "485 more facilities" in json.dumps(message.blocks)
    files = _files(slack, message)
    rows = list(csv.DictReader(io.StringIO(files["digest-facilities-2026-12-01.csv"].decode())))
    assert len(rows) == 500 - SHOWN_FACILITIES
    assert rows[0] == {
        "facility": "line-484",
        "name": "额度484",
        "platform": "cmb",
        "currency": "CNY",
        "limit": "100000.00",
        "used": "1484.00",
        "available": "98516.00",
        "utilization_percent": "1.5",
    }
    assert "cashflow-2026-12-01.png" in files


def test_the_digest_lands_once_when_the_worker_retries_after_a_lost_answer(
    app, jiebei, sessions, settings, clock, slack
) -> None:
    """The first try posted the message and the chart but died before recording it: the retry
    finds both by the row's metadata and the file's title, and posts neither again."""
    with transaction(sessions) as session:
        send_digest_now(session, ALERTS, now=clock(), options=settings.digest_options())
    deliver(sessions, settings, clock)
    with transaction(sessions) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        row.state, row.attempts = "pending", 1  # as a worker whose answer was lost leaves it
    deliver(sessions, settings, clock)

    message = _digest_message(slack)  # exactly one
    assert list(_files(slack, message)) == ["cashflow-2026-12-01.png"]
