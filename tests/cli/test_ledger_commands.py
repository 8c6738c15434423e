"""The `loanwatch` command line as Alice, the treasurer, types it: on SQLite and on PostgreSQL.

Every test drives the public interface in-process through `bot.cli.main(argv)` and reads what a
person would read: the exit status, stdout, stderr, and `loanwatch export` for what was stored.
"""

import csv
import io
import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.db import make_engine
from bot.ledger.exports import COLUMNS, EXPORTS

Row = dict[str, Any]

AMOUNT = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
KINDS = ["facilities", "draws", "installments", "repayments", "bills", "limits", "audit"]

# Times the domain must see as "in the future" whatever day the suite runs: two days ahead in
# UTC is still ahead in Asia/Shanghai (UTC+8), the facilities' zone.
# DESIGN.md's worked example is on 30-day months, half-up, each draw due on its own day: the bank
# default, not Jiebei's profile (actual days, rounded down, the first draw's day; docs/ledger.md).
WORKED_EXAMPLE_TERMS = "--day-count 30 --rounding half-up --repayment-day-rule draw-day"

IN_TWO_DAYS = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="minutes")


@dataclass(frozen=True)
class Outcome:
    """What one `loanwatch` invocation left on the terminal."""

    status: int
    out: str
    err: str


Loanwatch = Callable[..., Outcome]


def loanwatch_on(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """A runner for `loanwatch --database-url URL COMMAND`, the command written as in a shell."""

    def run(command: str, *more: str) -> Outcome:
        capsys.readouterr()  # keep only what this invocation prints
        status = main(["--database-url", database_url, *shlex.split(command), *more])
        out, err = capsys.readouterr()
        return Outcome(status, out, err)

    return run


def ok(outcome: Outcome) -> Outcome:
    """Require that a command succeeded, showing its stderr when it did not."""
    assert outcome.status == 0, outcome.err
    return outcome


def export_json(loanwatch: Loanwatch, kind: str) -> list[Row]:
    """`loanwatch export KIND --format json`, parsed."""
    rows = json.loads(ok(loanwatch(f"export {kind} --format json")).out)
    assert isinstance(rows, list)
    return rows


def export_csv(loanwatch: Loanwatch, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """`loanwatch export KIND --format csv`, parsed: the header, then the rows."""
    reader = csv.DictReader(io.StringIO(ok(loanwatch(f"export {kind} --format csv")).out))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def everything(loanwatch: Loanwatch) -> dict[str, list[Row]]:
    """Every export, to tell whether a command wrote anything."""
    return {kind: export_json(loanwatch, kind) for kind in KINDS}


def total(rows: list[Row], field: str) -> Decimal:
    """The sum of an exported amount column."""
    return sum((Decimal(row[field]) for row in rows), Decimal("0.00"))


def assert_is_amount(value: Any) -> None:
    """An exported amount: a string with exactly two decimals, never a JSON number."""
    assert isinstance(value, str), value
    assert AMOUNT.match(value), value


def assert_is_iso_date(value: Any) -> None:
    """An exported date: a string in ISO-8601 (YYYY-MM-DD)."""
    assert isinstance(value, str), value
    assert date.fromisoformat(value).isoformat() == value


@pytest.fixture(autouse=True)
def alice_at_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command here is typed by Alice, the treasurer (getpass reads these variables)."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "alice")


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


@pytest.fixture
def alices_lines(loanwatch: Loanwatch) -> Loanwatch:
    """Alice's lines: jiebei-main with 10,000.00 drawn on 2025-01-10, weilidai-ops with nothing."""
    ok(
        loanwatch(
            "facility add jiebei-main --platform jiebei --limit 50,000 --daily-rate 0.04% "
            + WORKED_EXAMPLE_TERMS
        )
    )
    ok(
        loanwatch(
            "facility add weilidai-ops --platform weilidai --limit 200,000 --daily-rate 0.035% "
            "--channel C0123ABCD"
        )
    )
    ok(loanwatch("draw add jiebei-main 10,000 --months 12 --on 2025-01-10"))
    return loanwatch


def ten_thousand_over_twelve_months(loanwatch: Loanwatch, facility_options: str = "") -> list[Row]:
    """The DESIGN.md worked example: 10,000.00 at 0.04 %/day, drawn 2025-01-10 for 12 months."""
    ok(
        loanwatch(
            "facility add jiebei-main --platform jiebei --limit 50,000 --daily-rate 0.04% "
            + WORKED_EXAMPLE_TERMS
            + " "
            + facility_options
        )
    )
    return draw_ten_thousand(loanwatch)


def draw_ten_thousand(loanwatch: Loanwatch, draw_options: str = "") -> list[Row]:
    """Draw 10,000 on jiebei-main on 2025-01-10 for 12 months; return the exported installments."""
    ok(loanwatch("draw add jiebei-main 10,000 --months 12 --on 2025-01-10 " + draw_options))
    installments = export_json(loanwatch, "installments")
    assert [row["seq"] for row in installments] == list(range(1, 13))
    for row in installments:
        assert {"facility", "draw_id", "seq", "due_date", "principal", "interest", "amount"} <= set(
            row
        )
        assert row["facility"] == "jiebei-main"
        assert_is_iso_date(row["due_date"])
        for field in ("principal", "interest", "amount"):
            assert_is_amount(row[field])
        assert Decimal(row["principal"]) + Decimal(row["interest"]) == Decimal(row["amount"])
    assert total(installments, "principal") == Decimal("10000.00")
    return installments


# --- the DESIGN.md worked examples, through the CLI ------------------------------------------


def test_an_equal_installment_draw_exports_899_75_eleven_times_then_899_80(
    loanwatch: Loanwatch,
) -> None:
    """Day count 30, equal installment: 899.75 × 11, last 899.80, interest 797.05, due the 10th."""
    installments = ten_thousand_over_twelve_months(loanwatch)

    assert [row["amount"] for row in installments] == ["899.75"] * 11 + ["899.80"]
    assert total(installments, "interest") == Decimal("797.05")
    assert installments[0]["due_date"] == "2025-02-10"
    assert installments[-1]["due_date"] == "2026-01-10"


def test_an_actual_day_count_draw_exports_a_level_900_41_and_804_93_interest(
    loanwatch: Loanwatch,
) -> None:
    """Day count actual, equal installment, due the 10th: 900.41 level, total interest 804.93."""
    installments = ten_thousand_over_twelve_months(loanwatch, "--day-count actual")

    assert [row["amount"] for row in installments[:-1]] == ["900.41"] * 11
    assert total(installments, "interest") == Decimal("804.93")


def test_an_equal_principal_draw_starts_at_953_33_with_780_00_interest(
    loanwatch: Loanwatch,
) -> None:
    """A facility set to equal principal: 953.33 first, then less each month; interest 780.00."""
    installments = ten_thousand_over_twelve_months(loanwatch, "--method equal-principal")

    assert installments[0]["amount"] == "953.33"
    amounts = [Decimal(row["amount"]) for row in installments]
    assert amounts == sorted(amounts, reverse=True)
    assert total(installments, "interest") == Decimal("780.00")


def test_an_interest_first_draw_pays_120_00_a_month_and_the_principal_at_the_end(
    loanwatch: Loanwatch,
) -> None:
    """`draw add --method interest-first`: 120.00 a month, 10,000.00 principal last, 1,440.00."""
    ok(
        loanwatch(
            "facility add jiebei-main --platform jiebei --limit 50,000 --daily-rate 0.04% "
            + WORKED_EXAMPLE_TERMS
        )
    )

    installments = draw_ten_thousand(loanwatch, "--method interest-first")

    assert [row["interest"] for row in installments] == ["120.00"] * 12
    assert [row["principal"] for row in installments] == ["0.00"] * 11 + ["10000.00"]
    assert installments[-1]["amount"] == "10120.00"
    assert total(installments, "interest") == Decimal("1440.00")


# --- export ----------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """How a value of the JSON export is written in the CSV export of the same row."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@pytest.fixture
def a_bit_of_everything(alices_lines: Loanwatch) -> Loanwatch:
    """Alice's lines with a repayment, a bill and a limit reading: rows of every kind."""
    ok(alices_lines("repay add jiebei-main 899.75 --on 2025-02-10"))
    ok(alices_lines("bill add jiebei-main 2025-03-10 899.75"))
    ok(alices_lines("limit add jiebei-main 50,000 --available 40,779.75"))
    return alices_lines


def test_every_kind_of_export_has_its_csv_columns() -> None:
    """A new kind of export cannot forget the header its empty CSV prints."""
    assert set(COLUMNS) == set(EXPORTS)


@pytest.mark.parametrize("kind", KINDS)
def test_export_in_csv_carries_the_same_rows_as_in_json(
    a_bit_of_everything: Loanwatch, kind: str
) -> None:
    """Each KIND exports as JSON and as CSV; the CSV header is the JSON keys, row for row."""
    json_rows = export_json(a_bit_of_everything, kind)
    header, csv_rows = export_csv(a_bit_of_everything, kind)

    assert json_rows, f"the fixture should leave at least one {kind} row"
    assert header == list(json_rows[0])
    assert len(csv_rows) == len(json_rows)
    for from_json, from_csv in zip(json_rows, csv_rows, strict=True):
        assert list(from_json) == header
        assert {key: csv_cell(value) for key, value in from_json.items()} == from_csv


def test_export_writes_amounts_as_two_decimal_strings_and_dates_in_iso(
    a_bit_of_everything: Loanwatch,
) -> None:
    """Amounts in every export are strings with two decimals; dates and times are ISO-8601."""
    exported = everything(a_bit_of_everything)

    jiebei, weilidai = exported["facilities"]
    assert (jiebei["limit"], weilidai["limit"]) == ("50000.00", "200000.00")
    (draw,) = exported["draws"]
    assert (draw["amount"], draw["drawn_on"]) == ("10000.00", "2025-01-10")
    (repayment,) = exported["repayments"]
    assert (repayment["amount"], repayment["paid_on"]) == ("899.75", "2025-02-10")
    assert (repayment["principal"], repayment["interest"]) == ("779.75", "120.00")
    (bill,) = exported["bills"]
    assert (bill["amount"], bill["due_date"]) == ("899.75", "2025-03-10")
    (reading,) = exported["limits"]
    assert (reading["limit"], reading["available"]) == ("50000.00", "40779.75")
    assert datetime.fromisoformat(reading["observed_at"]).tzinfo is not None


# --- amounts as people type them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("50,000.00", "50000.00"),
        ("¥1,200", "1200.00"),
        ("￥1,200.50", "1200.50"),
        ("5万", "50000.00"),
        ("1.5万", "15000.00"),
        ("50k", "50000.00"),
        ("１２３４５", "12345.00"),  # full-width digits, as a Chinese input method types them
        ("１，２００．５０", "1200.50"),  # full-width comma and point too
    ],
)
def test_a_draw_takes_the_amount_as_alice_types_it(
    alices_lines: Loanwatch, typed: str, stored: str
) -> None:
    """`draw add` reads grouped, currency-marked, 万/k and full-width amounts to the fen."""
    ok(alices_lines("draw add weilidai-ops", typed, "--months", "6", "--on", "2025-03-01"))

    (draw,) = [
        row for row in export_json(alices_lines, "draws") if row["facility"] != "jiebei-main"
    ]
    assert draw["amount"] == stored


# --- bad input: exit 2, one line, nothing written --------------------------------------------


BAD_COMMANDS = [
    pytest.param(
        "draw add nope 100 --months 3",
        "no facility named 'nope'",
        id="unknown-facility",
    ),
    pytest.param(
        "draw add jiebei-main abc --months 3",
        'amount "abc" is not an amount',
        id="amount-abc",
    ),
    pytest.param(
        "draw add jiebei-main --months 3 -- -5",
        'amount "-5" is negative',
        id="amount-negative",
    ),
    pytest.param(
        "draw add jiebei-main −5 --months 3",
        'amount "−5" is negative',
        id="amount-negative-with-a-unicode-minus",
    ),
    pytest.param(
        "draw add jiebei-main -5 --months 3",
        'amount "-5" is negative',
        id="amount-negative-typed-plainly",
    ),
    pytest.param(
        "draw add jiebei-main 0 --months 3",
        'amount "0" is zero',
        id="draw-of-zero",
    ),
    pytest.param(
        "repay add jiebei-main 0.00",
        'amount "0.00" is zero',
        id="repayment-of-zero",
    ),
    pytest.param(
        "draw add jiebei-main 1.234 --months 3",
        'amount "1.234" has more than two decimals',
        id="amount-with-three-decimals",
    ),
    pytest.param(
        "draw add jiebei-main NaN --months 3",
        'amount "NaN" is not a number',
        id="amount-nan",
    ),
    pytest.param(
        "draw add jiebei-main Infinity --months 3",
        'amount "Infinity" is not a number',
        id="amount-infinity",
    ),
    pytest.param(
        "draw add jiebei-main 1e5 --months 3",
        'amount "1e5" uses exponent notation',
        id="amount-1e5",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 0",
        "'--months': 0 is not in the range",
        id="months-zero",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 3 --on 2025-02-30",
        'drawn on "2025-02-30" is not a date',
        id="date-february-30",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 3 --method balloon",
        "'balloon' is not one of",
        id="unknown-method",
    ),
    pytest.param(
        "draw add jiebei-main 40,000.01 --months 3",
        "above its limit of ¥50,000.00",
        id="draw-over-the-limit",
    ),
    pytest.param(
        f"draw add jiebei-main 100 --months 3 --on {IN_TWO_DAYS}",
        f"draw date {IN_TWO_DAYS} is in the future",
        id="draw-in-the-future",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 3 --daily-rate 5%",
        "no lender charges 1% a day",
        id="daily-rate-implausible",
    ),
    pytest.param(
        "facility add jiebei-main --platform jiebei --limit 100",
        "facility 'jiebei-main' already exists",
        id="duplicate-facility",
    ),
    pytest.param(
        "facility add 'Jiebei Main' --platform jiebei --limit 100",
        "facility 'Jiebei Main' is not a valid name",
        id="bad-slug",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --channel '#ops'",
        "channel '#ops' is not a Slack channel id",
        id="bad-channel-id",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --timezone Mars/Olympus",
        "unknown time zone 'Mars/Olympus'",
        id="unknown-time-zone",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 0",
        'limit amount "0" is zero',
        id="facility-limit-zero",
    ),
    pytest.param(
        "repay add weilidai-ops 100",
        "is before weilidai-ops's first draw",
        id="repayment-with-nothing-drawn",
    ),
    pytest.param(
        "repay add jiebei-main 100 --penalty 80 --fee 30",
        "the penalty and fee itemised (¥110.00) are more than the repayment (¥100.00)",
        id="repayment-itemising-more-than-it-is",
    ),
    pytest.param(
        "repay add jiebei-main 100 --on 2024-12-31",
        "2024-12-31 is before jiebei-main's first draw",
        id="repayment-before-the-draw",
    ),
    pytest.param(
        "bill add jiebei-main 2025-13-10 899.75",
        'due date "2025-13-10" is not a date',
        id="bill-with-a-bad-date",
    ),
    pytest.param(
        f"limit add jiebei-main 50,000 --at {TOMORROW}",
        "is in the future",
        id="limit-reading-in-the-future",
    ),
    pytest.param(
        "limit add jiebei-main 50,000 --status suspended",
        "'suspended' is not one of",
        id="limit-unknown-status",
    ),
    pytest.param(
        "bill add jiebei-main 0001-01-01 100",
        "due date 0001-01-01 is outside the dates loanwatch keeps (2000-01-01 to 2100-12-31)",
        id="bill-in-year-one",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 3 --on 1999-12-31",
        "drawn on 1999-12-31 is outside",
        id="draw-before-2000",
    ),
    pytest.param(
        "limit add jiebei-main 50,000 --at 0001-01-01T00:00",
        "observed at 0001-01-01T00:00:00 is outside",
        id="limit-reading-in-year-one",
    ),
    pytest.param(
        "limit add jiebei-main 50,000 --at 2026-12-01",
        'observed at "2026-12-01" has no time of day',
        id="limit-reading-without-a-time",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months ٣",
        'months "٣" is not a whole number',
        id="months-in-another-script",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --repayment-day ²",
        'repayment day "²" is not a whole number',
        id="repayment-day-superscript",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --threshold bill_lead_days=²",
        'threshold bill_lead_days "²" is not a whole number',
        id="threshold-superscript",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --threshold bill_lead_days=" + "9" * 30,
        "is not in the range 0 to 366 for threshold bill_lead_days",
        id="threshold-of-thirty-digits",
    ),
    pytest.param(
        "draw add jiebei-main 100 --months 3 --note " + "x" * 2001,
        "the draw's note is 2,001 characters long; keep it to 2,000",
        id="draw-note-too-long",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --name " + "n" * 201,
        "the facility's name is 201 characters long; keep it to 200",
        id="facility-name-too-long",
    ),
    pytest.param(
        "facility add icbc-term --platform icbc --limit 1万 --threshold bill_grace_hours=9000",
        "9000 is not in the range 0 to 8784 for threshold bill_grace_hours",
        id="threshold-of-a-year-and-more",
    ),
]


@pytest.mark.parametrize(("command", "says"), BAD_COMMANDS)
def test_bad_input_exits_2_with_one_line_saying_why_and_writes_nothing(
    alices_lines: Loanwatch, command: str, says: str
) -> None:
    """A refused command exits 2, prints one `loanwatch: error:` line naming the problem, no row."""
    before = everything(alices_lines)

    refused = alices_lines(command)

    assert refused.status == 2
    assert refused.out == ""
    assert len(refused.err.splitlines()) == 1, refused.err
    assert refused.err.startswith("loanwatch: error: ")
    assert says in refused.err
    assert everything(alices_lines) == before


@pytest.mark.parametrize(
    ("moment", "in_shanghai"),
    [
        ("2000-01-01T00:30+14:00", "1999-12-31 18:30"),
        ("2100-12-31T23:59-12:00", "2101-01-01 19:59"),
    ],
    ids=["before 2000 in Shanghai", "after 2100 in Shanghai"],
)
def test_a_time_is_in_the_span_by_the_facilitys_day_typed_or_imported(
    alices_lines: Loanwatch, tmp_path: Path, moment: str, in_shanghai: str
) -> None:
    """A reading at a moment whose date is in 2000-2100 as typed but not in Shanghai, the
    facility's zone: `limit add --at` and an imported limits file both refuse it, naming the
    day in Shanghai, and nothing is written."""
    before = everything(alices_lines)
    limits = tmp_path / "limits.csv"
    limits.write_text(f"observed_at,limit\n{moment},50000\n", encoding="utf-8")

    typed = alices_lines(f"limit add jiebei-main 50,000 --at {moment}")
    imported = alices_lines(f"import {limits} --facility jiebei-main --format limits")

    day, hour = in_shanghai.split()
    for refused in (typed, imported):
        assert refused.status == 2, refused
        assert "is outside the dates loanwatch keeps" in refused.err
        assert day in refused.err
        assert hour in refused.err
    assert everything(alices_lines) == before


# --- what the platforms show -----------------------------------------------------------------


def test_a_frozen_line_reading_zero_is_recorded_as_0_00(alices_lines: Loanwatch) -> None:
    """`limit add jiebei-main 0 --status frozen` is a real reading and exports as "0.00"."""
    recorded = ok(alices_lines("limit add jiebei-main 0 --available 0 --status frozen"))

    assert "limit ¥0.00" in recorded.out
    (reading,) = export_json(alices_lines, "limits")
    assert reading["facility"] == "jiebei-main"
    assert (reading["limit"], reading["available"], reading["status"]) == ("0.00", "0.00", "frozen")


def test_the_same_bill_seen_twice_is_one_bill_until_it_shows_as_paid(
    alices_lines: Loanwatch,
) -> None:
    """`bill add` twice with one facility, date and amount keeps one bill; `--paid` updates it."""
    bill = "bill add jiebei-main 2025-02-10 899.75"
    ok(alices_lines(bill))

    assert "already had" in ok(alices_lines(bill)).out
    (seen_twice,) = export_json(alices_lines, "bills")
    assert seen_twice["paid"] is False

    ok(alices_lines(bill, "--paid"))
    (paid,) = export_json(alices_lines, "bills")
    assert (paid["id"], paid["due_date"], paid["amount"]) == (
        seen_twice["id"],
        "2025-02-10",
        "899.75",
    )
    assert paid["paid"] is True
    actions = [entry["action"] for entry in export_json(alices_lines, "audit")]
    assert (actions.count("bill.add"), actions.count("bill.update")) == (1, 1)


# --- the schema ------------------------------------------------------------------------------


def test_a_database_never_upgraded_says_to_run_db_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database with no schema: exit 3 and one line that says to run `loanwatch db upgrade`."""
    loanwatch = loanwatch_on(f"sqlite:///{tmp_path / 'never-upgraded.db'}", capsys)

    refused = loanwatch("facility list")

    assert refused.status == 3
    assert refused.out == ""
    assert len(refused.err.splitlines()) == 1, refused.err
    assert refused.err.startswith("loanwatch: error: ")
    assert "loanwatch db upgrade" in refused.err


def test_db_upgrade_makes_a_fresh_database_usable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`loanwatch db upgrade` migrates a fresh file; then commands work, and a rerun is a no-op."""
    loanwatch = loanwatch_on(f"sqlite:///{tmp_path / 'fresh.db'}", capsys)
    assert loanwatch("facility list").status == 3

    assert "upgraded from empty" in ok(loanwatch("db upgrade")).out

    assert "no facilities yet" in ok(loanwatch("facility list")).out
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 5万 --daily-rate 0.04%"))
    assert "jiebei-main" in ok(loanwatch("facility list")).out
    assert "already at" in ok(loanwatch("db upgrade")).out


def test_db_rebuild_summaries_restores_what_the_checks_read(
    alices_lines: Loanwatch, database_url: str
) -> None:
    """Summaries lost to a hand-made change come back exactly as loanwatch kept them."""
    ok(alices_lines("limit add jiebei-main 40,000 --available 30,000"))
    ok(alices_lines("bill add jiebei-main 2025-02-10 899.75"))
    engine = make_engine(database_url)
    tables = ("facility_summaries", "bill_days")

    def rows() -> dict[str, list[Any]]:
        with engine.connect() as connection:
            return {
                table: [
                    tuple(row)
                    for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))
                ]
                for table in tables
            }

    kept = rows()
    assert len(kept["facility_summaries"]) == 2
    assert len(kept["bill_days"]) == 12
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))

    rebuilt = ok(alices_lines("db rebuild-summaries")).out

    assert rebuilt == "summaries rebuilt: 2 facilities, 12 facility days\n"
    assert rows() == kept
    engine.dispose()


# --- the audit trail -------------------------------------------------------------------------


def test_every_change_writes_an_audit_record_naming_alice_and_the_state_after(
    alices_lines: Loanwatch,
) -> None:
    """facility.add (with the first version of its terms, facility.terms), draw.add,
    repayment.add, bill.add, limit.add: by cli:alice, with the after."""
    ok(alices_lines("repay add jiebei-main 899.75 --on 2025-02-10"))
    ok(alices_lines("bill add jiebei-main 2025-03-10 899.75"))
    ok(alices_lines("limit add jiebei-main 0 --status frozen"))

    trail = export_json(alices_lines, "audit")

    assert {(entry["actor"], entry["source"]) for entry in trail} == {("cli:alice", "cli")}
    changes = [entry for entry in trail if entry["action"] != "platform.add"]
    assert [entry["action"] for entry in changes] == [
        "facility.add",
        "facility.terms",
        "facility.add",
        "facility.terms",
        "draw.add",
        "repayment.add",
        "bill.add",
        "limit.add",
    ]
    for entry in changes:
        assert entry["entity_id"] == str(entry["after"]["id"])
    jiebei, jiebei_terms, weilidai, weilidai_terms, draw, repayment, bill, reading = (
        entry["after"] for entry in changes
    )
    assert (jiebei_terms["facility_id"], weilidai_terms["facility_id"]) == (
        jiebei["id"],
        weilidai["id"],
    )
    assert jiebei_terms["valid_from"] == jiebei["created_at"]
    assert (jiebei["slug"], jiebei["limit_amount"]) == ("jiebei-main", "50000.00")
    assert (weilidai["slug"], weilidai["alert_channel"]) == ("weilidai-ops", "C0123ABCD")
    assert (draw["amount"], draw["drawn_on"], draw["months"]) == ("10000.00", "2025-01-10", 12)
    assert draw["created_by"] == "cli:alice"
    assert (repayment["amount"], repayment["paid_on"]) == ("899.75", "2025-02-10")
    assert (bill["due_date"], bill["amount"], bill["paid"]) == ("2025-03-10", "899.75", False)
    assert (reading["limit_amount"], reading["status"]) == ("0.00", "frozen")


# --- the demo --------------------------------------------------------------------------------


def test_demo_builds_a_portfolio_and_shows_facilities_and_next_installments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`loanwatch demo --keep DIR` exits 0, keeps its SQLite file and prints both tables."""
    status = main(["demo", "--keep", str(tmp_path / "demo")])
    out, err = capsys.readouterr()

    assert status == 0, err
    assert "Facilities (by our ledger)" in out
    assert "Next installments" in out
    for slug in ("jiebei-main", "weilidai-ops", "icbc-term"):
        assert slug in out
    assert (tmp_path / "demo" / "demo.db").is_file()


def test_loanwatch_without_a_command_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    """A bare `loanwatch` prints the list of commands on stdout and exits 0."""
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "Usage: loanwatch" in out
    assert "facility" in out


def test_a_facility_can_override_check_thresholds(loanwatch: Loanwatch) -> None:
    """`--threshold NAME=VALUE` is stored on the facility and shown in its export."""
    ok(
        loanwatch(
            "facility add jiebei-main --platform jiebei --limit 200,000"
            " --threshold bill_lead_days=5 --threshold amount_tolerance=0.50"
        )
    )
    [facility] = json.loads(ok(loanwatch("export facilities")).out)
    assert facility["thresholds"] == {"bill_lead_days": "5", "amount_tolerance": "0.50"}


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("nope=5", "unknown threshold 'nope'"),
        ("limit_drop_percent=500", "percentage from 1 to 100"),
        ("bill_lead_days=soon", "whole number"),
        ("bill_lead_days", "NAME=VALUE"),
    ],
)
def test_a_bad_threshold_is_refused_and_adds_no_facility(
    loanwatch: Loanwatch, threshold: str, message: str
) -> None:
    """An unknown name, an out-of-range or non-numeric value is refused with one line."""
    refused = loanwatch(
        f"facility add jiebei-main --platform jiebei --limit 1000 --threshold {threshold}"
    )
    assert refused.status == 2
    assert message in refused.err
    assert json.loads(ok(loanwatch("export facilities")).out) == []
