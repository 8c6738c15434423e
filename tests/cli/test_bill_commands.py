"""`loanwatch bill add|remove` and the bills export as Alice types them (issue 11, point 1).

Alice's Weilidai line: 20,000.00 over 6 months drawn 2026-11-08 at 0.05 %/day, equal
installments on 30-day months: ¥3,510.50 due on the 8th of each month from 2026-12-08.
"""

from datetime import UTC, datetime

import pytest

from tests.cli.test_ledger_commands import (
    Loanwatch,
    export_csv,
    export_json,
    loanwatch_on,
    ok,
)
from tests.support.clock import Clock


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
def weilidai(loanwatch: Loanwatch) -> Loanwatch:
    """Alice's Weilidai line with its draw, and the first month's bill recorded."""
    ok(
        loanwatch(
            "facility add wl --platform weilidai --limit 200000 --daily-rate 0.05% "
            "--method equal-installment --day-count 30"
        )
    )
    ok(loanwatch("draw add wl 20000 --months 6 --on 2026-11-08"))
    ok(loanwatch("bill add wl 2026-12-08 3510.50"))
    return loanwatch


def test_a_corrected_bill_says_so_and_clears_its_mismatch(weilidai: Loanwatch) -> None:
    """Issue 11's reproduction: 3,520.50 then 3,510.50 for one bill is a correction, not two
    bills summed to ¥7,031.00; the mismatch the first amount opened resolves on the next check."""
    ok(weilidai("bill add wl 2027-01-08 3520.50"))
    assert "bill_amount_mismatch" in ok(weilidai("check")).out

    corrected = ok(weilidai("bill add wl 2027-01-08 3510.50"))
    checked = ok(weilidai("check")).out

    assert "corrected ¥3,520.50 → ¥3,510.50" in corrected.out
    assert "7,031.00" not in checked
    assert "bill_amount_mismatch on wl (alert 1) — resolved" in checked
    assert "bill_amount_mismatch" not in ok(weilidai("check")).out
    bills = [bill for bill in export_json(weilidai, "bills") if bill["due_date"] == "2027-01-08"]
    assert [(b["amount"], b["superseded_at"] is None) for b in bills] == [
        ("3520.50", False),
        ("3510.50", True),
    ]
    assert bills[1]["version_of"] == bills[0]["id"]


def test_the_same_bill_seen_again_is_one_bill(weilidai: Loanwatch) -> None:
    """Recorded twice for the same amount: 'already had', still one row."""
    out = ok(weilidai("bill add wl 2026-12-08 3510.50")).out

    assert out.startswith("already had bill #1 on wl")
    assert len(export_json(weilidai, "bills")) == 1


def test_marking_a_bill_paid_keeps_when_it_was_first_seen(weilidai: Loanwatch) -> None:
    """--paid records paid_at; observed_at stays the moment the bill was first seen."""
    (first,) = export_json(weilidai, "bills")

    ok(weilidai("bill add wl 2026-12-08 3510.50 --paid"))

    (paid,) = export_json(weilidai, "bills")
    assert paid["paid"] is True
    assert paid["observed_at"] == first["observed_at"]
    assert paid["paid_at"] is not None
    assert paid["paid_at"] > first["observed_at"]


def test_bill_remove_takes_out_a_typo_and_its_alert_clears(weilidai: Loanwatch) -> None:
    """A bill typed on the wrong day opens bill_unexpected; removed with a reason, it is kept
    as history, the removal is audited, and the alert resolves on the next check."""
    ok(weilidai("bill add wl 2026-12-20 3510.50"))
    assert "bill_unexpected on wl" in ok(weilidai("check")).out

    removed = ok(weilidai('bill remove wl 2026-12-20 --reason "typed the wrong day"'))
    checked = ok(weilidai("check")).out

    assert removed.out.startswith("removed bill #2 on wl: ¥3,510.50 due 2026-12-20")
    assert "bill_unexpected on wl (alert" in checked
    assert "— resolved" in checked
    bill = next(b for b in export_json(weilidai, "bills") if b["due_date"] == "2026-12-20")
    assert bill["removal_reason"] == "typed the wrong day"
    assert bill["superseded_at"] is not None
    removals = [a for a in export_json(weilidai, "audit") if a["action"] == "bill.remove"]
    assert [(a["entity_id"], a["actor"]) for a in removals] == [(str(bill["id"]), "cli:alice")]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("bill remove wl 2026-12-08", "Missing option '--reason'"),
        ('bill remove wl 2026-12-08 --reason " "', "say why the bill is removed"),
        ('bill remove wl 2026-12-09 --reason "typo"', "wl has no bill due 2026-12-09 to remove"),
        ('bill remove nope 2026-12-08 --reason "typo"', "nope"),
    ],
)
def test_a_bill_remove_that_cannot_be_done_is_refused_and_changes_nothing(
    weilidai: Loanwatch, command: str, message: str
) -> None:
    """No reason, no such bill or no such facility: a clear message, nothing written."""
    before = export_json(weilidai, "bills"), export_json(weilidai, "audit")

    outcome = weilidai(command)

    assert outcome.status != 0
    assert message in outcome.err
    assert (export_json(weilidai, "bills"), export_json(weilidai, "audit")) == before


@pytest.mark.parametrize("command", ["bill add wl 2027-01-08 0", "bill add wl 2026-12-08 0"])
def test_a_zero_bill_is_refused_as_an_import_refuses_it(weilidai: Loanwatch, command: str) -> None:
    """A new bill of zero, or a correction to zero, is refused with a clear message and nothing
    written, as `import` refuses a zero amount (issue 11: one rule for bills, above zero)."""
    before = export_json(weilidai, "bills"), export_json(weilidai, "audit")

    outcome = weilidai(command)

    assert outcome.status != 0
    assert "a bill must be more than zero" in outcome.err
    assert (export_json(weilidai, "bills"), export_json(weilidai, "audit")) == before


def test_repaying_an_installment_keeps_its_bills_mismatch_open(
    loanwatch: Loanwatch, terminal_clock: Clock
) -> None:
    """Issue 11: a bill of ¥3,373.36 for an installment of ¥3,353.35 is off by ¥20.01; logging
    the repayment of the installment does not make the bill right, so the alert stays open.
    (Alice types it all on the morning of 2026-12-07, before the checks she runs at noon.)"""
    terminal_clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    ok(loanwatch("facility add bk --platform icbc --limit 1000000 --annual-rate 3.6%"))
    ok(loanwatch("draw add bk 10000 --months 3 --on 2026-10-06"))
    ok(loanwatch("bill add bk 2026-11-06 3373.36"))
    assert "off by ¥20.01" in ok(loanwatch("check --at 2026-12-07T12:00")).out

    ok(loanwatch("repay add bk 3353.35 --on 2026-11-06"))
    checked = ok(loanwatch("check --at 2026-12-07T12:01")).out

    assert "bill_amount_mismatch on bk (alert" not in checked  # neither resolved nor new
    mismatches = [
        a for a in export_json(loanwatch, "alerts") if a["check"] == "bill_amount_mismatch"
    ]
    assert [a["state"] for a in mismatches] == ["open"]


def test_an_empty_csv_export_still_has_its_header(loanwatch: Loanwatch) -> None:
    """export --format csv of no rows prints the header, so a script finds its columns."""
    header, rows = export_csv(loanwatch, "bills")

    assert rows == []
    assert header[:4] == ["id", "facility", "due_date", "amount"]
