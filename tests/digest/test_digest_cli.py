"""`loanwatch digest` and `loanwatch export cashflow`, as Alice types them."""

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.models import Facility, Installment, OutboxMessage
from tests.cli.test_ledger_commands import loanwatch_on, ok
from tests.digest.conftest import TEAM

FIELDS = ["week_start", "facility", "principal", "interest", "amount", "overdue"]


@pytest.fixture
def loanwatch(portfolio, database_url, capsys):
    return loanwatch_on(database_url, capsys)


def _expected_cashflow(session, weeks: int) -> list[dict[str, str]]:
    """Per Monday and facility, the unpaid installments of the next `weeks` weeks, summed here;
    those past due and unpaid in this week's (and counted as overdue)."""
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    monday = today - timedelta(days=today.weekday())
    slugs = dict(session.execute(select(Facility.id, Facility.slug)).all())
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for i in session.scalars(select(Installment).where(Installment.status == "scheduled")):
        week = max(i.due_date - timedelta(days=i.due_date.weekday()), monday)
        if week < monday + timedelta(weeks=weeks):
            total = sums[(week.isoformat(), slugs[i.facility_id])]
            total[0] += i.principal
            total[1] += i.interest
            total[2] += i.amount
            total[3] += i.amount if i.due_date < today else 0
    return [
        dict(zip(FIELDS, [week, slug, *(f"{v:.2f}" for v in values)], strict=True))
        for (week, slug), values in sorted(sums.items())
    ]


def test_export_cashflow_in_json_and_csv_carries_the_schedules_weeks(loanwatch, session) -> None:
    """Each row is a week and a facility: principal, interest, amount as two-decimal strings,
    the same rows in JSON and CSV, equal to the installments summed by Monday."""
    rows = json.loads(ok(loanwatch("export cashflow --weeks 13 --format json")).out)
    table = list(
        csv.DictReader(io.StringIO(ok(loanwatch("export cashflow --weeks 13 --format csv")).out))
    )

    assert rows == table == _expected_cashflow(session, 13)
    assert rows, "the portfolio has installments within 13 weeks"
    assert list(rows[0]) == FIELDS
    few = json.loads(ok(loanwatch("export cashflow --weeks 2")).out)
    assert few == _expected_cashflow(session, 2)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("export cashflow --weeks 0", "--weeks"),
        ("export cashflow --weeks many", "--weeks"),
        ("export draws --weeks 3", "--weeks goes with `export cashflow`"),
        ("digest --channel C0NOBODY", "no facility posts to channel 'C0NOBODY'"),
        ("digest --at tomorrow", "not a time"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(loanwatch, session, command, says):
    """A clear one-line message on stderr, status 2, no outbox row."""
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    outcome = loanwatch(command)

    assert outcome.status == 2
    assert says in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_digest_prints_the_portfolio_as_of_a_time_and_draws_its_chart(loanwatch, tmp_path):
    """`digest --at` prints every section for that morning; `--chart` writes the PNG."""
    chart = tmp_path / "cashflow.png"
    out = ok(loanwatch(f"digest --at 2026-12-07T09:00 --chart {chart}")).out

    assert out.startswith("Daily digest · 2026-12-07")
    assert "jiebei-main (借呗主额度) at jiebei: limit ¥200,000.00 · used ¥60,000.00" in out
    assert "2026-12-10 jiebei-main: ¥4,498.77" in out
    assert "limit_frozen on jiebei-backup: ¥40,000.00 of undrawn limit at risk" in out
    assert "T-1 jiebei-main (jiebei)" in out
    assert "jiebei: 77.8 % of CNY outstanding (¥70,000.00) ⚠ above 60 %" in out
    assert Image.open(chart).format == "PNG"


def test_digest_for_a_channel_is_sent_there(loanwatch, session) -> None:
    """`--channel` covers that channel's facilities and goes through the outbox (the console
    prints it without Slack): ICBC's line only."""
    outcome = ok(loanwatch(f"digest --channel {TEAM} --at 2026-12-07T09:00"))
    # The console prints every message the outbox holds by now (the fixture's alerts too,
    # once the wall clock passes their time); the digest is its own block.
    digest = outcome.out.split(f"── digest → #{TEAM}", 1)[-1]

    assert f"digest → #{TEAM}" in outcome.out
    assert "icbc-loan (工行经营贷)" in digest
    assert "jiebei-main" not in digest
    assert f"digest for {TEAM} sent" in outcome.out
    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert (row.channel, row.state) == (TEAM, "sent")


def test_a_chart_into_a_folder_that_is_not_there_is_refused_before_anything_is_sent(
    loanwatch, session, tmp_path, monkeypatch
) -> None:
    """`--chart` naming a missing folder: one error line, exit 2, no digest sent to the channel
    (it used to crash after sending); in Chinese for a Chinese terminal."""
    chart = tmp_path / "missing" / "cashflow.png"
    refused = loanwatch(f"digest --channel {TEAM} --at 2026-12-07T09:00 --chart {chart}")
    monkeypatch.setenv("LOANWATCH_LANGUAGE", "zh-CN")
    chinese = loanwatch(f"digest --at 2026-12-07T09:00 --chart {chart}")

    assert refused.status == 2
    assert refused.err.startswith("loanwatch: error: cannot write the chart to ")
    assert str(tmp_path / "missing") in refused.err
    assert "Traceback" not in refused.err
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all() == []
    assert chinese.status == 2
    assert chinese.err.startswith("loanwatch：错误：")
    assert "图表" in chinese.err


def test_a_chart_that_cannot_be_written_sends_no_digest(loanwatch, session) -> None:
    """The folder is there but the chart cannot be written in it (/proc takes no new files, even
    from root): one error line, and no digest queued for the channel, however often tried."""
    for _ in range(2):
        refused = loanwatch(f"digest --channel {TEAM} --at 2026-12-07T09:00 --chart /proc/x.png")
        assert refused.status == 2
        assert refused.err.startswith("loanwatch: error: cannot write the chart to /proc/x.png")
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all() == []
