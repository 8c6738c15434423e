"""Bills keep their versions, and a check run as of T sees exactly what was known at T.

The cast: Alice's Jiebei line and its draw, 899.75 due on the 10th of each month from 2026-12-10
(the `line` and `draw` fixtures of tests/jobs/conftest.py). Times are Shanghai wall-clock times.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InputError, NotFoundError
from bot.ledger.bills import record_bill, remove_bill
from bot.ledger.confirmations import confirm_draw
from bot.ledger.observations import record_limit_reading
from bot.models import AuditRecord, Bill
from tests.jobs.known_at import findings_at, seen
from tests.jobs.test_checks import at, reading
from tests.ledger.cast import log_draw

D = Decimal


def found(session: Session, now: datetime, *only: str) -> list[str]:
    """`check subject` of every finding as of `now` (of the checks named, or all)."""
    return sorted(f"{f.check} {f.subject}" for f in findings_at(session, now, *only))


def test_a_corrected_bill_is_compared_as_its_latest_version(session, alice, line, draw) -> None:
    """A second amount for the same bill corrects it: the checks compare the latest, not a sum."""
    seen(session, alice, line, "2026-12-10", "909.75", "2026-12-01 09:00")
    result = seen(session, alice, line, "2026-12-10", "899.75", "2026-12-02 09:00")

    assert result.corrected
    assert result.previous is not None
    assert result.previous.amount == D("909.75")
    assert result.previous.superseded_at == at("2026-12-02 09:00")
    assert found(session, at("2026-12-03 10:00"), "bill_amount_mismatch") == []
    # As of the day before the correction, the platform showed 909.75.
    assert found(session, at("2026-12-01 10:00"), "bill_amount_mismatch") == [
        "bill_amount_mismatch 2026-12-10"
    ]
    actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert actions[-2:] == ["bill.supersede", "bill.correct"]


def test_the_same_amount_seen_again_only_moves_last_seen(session, alice, line, draw) -> None:
    """Seen again, the bill keeps its row and when it was first seen; only last_seen_at moves."""
    first = seen(session, alice, line, "2026-12-10", "899.75", "2026-12-01 09:00").row
    again = seen(session, alice, line, "2026-12-10", "899.75", "2026-12-02 09:00").row

    assert again.id == first.id
    assert (again.observed_at, again.last_seen_at) == (
        at("2026-12-01 09:00"),
        at("2026-12-02 09:00"),
    )
    assert session.scalars(select(Bill)).all() == [first]


def test_a_bill_seen_paid_keeps_when_it_was_first_seen(session, alice, line, draw) -> None:
    """--paid records when it was seen paid; check --at before that sees it unpaid (overdue)."""
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-01 09:00")
    paid = seen(session, alice, line, "2026-12-10", "899.75", "2026-12-12 09:00", paid=True).row

    assert (paid.observed_at, paid.paid_at) == (at("2026-12-01 09:00"), at("2026-12-12 09:00"))
    assert found(session, at("2026-12-11 10:00"), "bill_overdue") == [
        f"bill_overdue 2026-12-10#b{paid.id}"
    ]
    assert found(session, at("2026-12-12 10:00"), "bill_overdue") == []
    # Still there, first seen on 12-01: no bill_missing as of any day after.
    assert found(session, at("2026-12-11 10:00"), "bill_missing") == []


def test_a_corrected_unpaid_bill_keeps_its_due_soon_alert(session, alice, line, draw) -> None:
    """The due-soon and overdue alerts are keyed on the bill, not on its version."""
    first = seen(session, alice, line, "2026-12-10", "909.75", "2026-12-07 09:00").row
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-08 09:00")

    assert found(session, at("2026-12-08 10:00"), "bill_due_soon") == [
        f"bill_due_soon 2026-12-10#b{first.id}"
    ]


def test_a_removed_bill_clears_its_alert_and_stays_in_history(session, alice, line, draw) -> None:
    """remove_bill takes out a typo: its alert clears from then on; as of before, it was there."""
    typo = seen(session, alice, line, "2026-12-20", "12.34", "2026-12-01 09:00").row
    assert found(session, at("2026-12-02 10:00"), "bill_unexpected") == [
        f"bill_unexpected 2026-12-20#b{typo.id}"
    ]

    remove_bill(
        session,
        alice,
        line,
        due_date=date(2026, 12, 20),
        reason="typed the wrong due date",
        now=at("2026-12-03 09:00"),
    )

    assert found(session, at("2026-12-03 10:00"), "bill_unexpected") == []
    assert found(session, at("2026-12-02 10:00"), "bill_unexpected") == [
        f"bill_unexpected 2026-12-20#b{typo.id}"
    ]
    assert typo.removal_reason == "typed the wrong due date"
    audit = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert audit is not None
    assert audit.action == "bill.remove"
    assert audit.after["removal_reason"] == "typed the wrong due date"


def test_removing_needs_a_reason_and_a_bill(session, alice, line, draw) -> None:
    """No reason, or no bill that day: refused with a message, nothing changed."""
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-01 09:00")
    with pytest.raises(InputError, match="say why"):
        remove_bill(
            session, alice, line, due_date=date(2026, 12, 10), reason=" ", now=at("2026-12-02")
        )
    with pytest.raises(NotFoundError, match="no bill due 2026-12-11"):
        remove_bill(
            session, alice, line, due_date=date(2026, 12, 11), reason="x", now=at("2026-12-02")
        )
    assert session.scalars(select(Bill.superseded_at)).all() == [None]


def test_a_draw_logged_after_t_is_invisible_at_t(session, alice, line) -> None:
    """A draw backdated to 11-10 but logged on 12-05: as of 12-03 nobody expected its bill."""
    log_draw(session, alice, line, "10000.00", 12, date(2026, 11, 10), now=at("2026-12-05 12:00"))
    reading(session, alice, line, at("2026-12-03 09:00"), "10000.00", "10000.00")

    assert found(session, at("2026-12-03 10:00"), "bill_missing", "limit_inconsistent") == []
    assert found(session, at("2026-12-06 10:00"), "bill_missing") == ["bill_missing 2026-12-10#d1"]


def test_a_reading_typed_late_is_invisible_before_it_was_recorded(
    session, alice, line, draw
) -> None:
    """Issue 11: a reading showing ¥1,000,000 with ¥900,000 available, seen on 11-21 but typed
    on 11-26 (`limit add --at`), plays no part in check --at 11-22: the limit and freshness
    checks find as of 11-22 exactly what they found before it was typed; from 11-26 they see it."""
    reading(session, alice, line, at("2026-11-10"), "10000.00", "0.00")
    before = found(session, at("2026-11-22 12:00"))

    record_limit_reading(
        session,
        alice,
        line,
        limit_amount=D("1000000.00"),
        available=D("900000.00"),
        observed_at=at("2026-11-21 09:00"),
        now=at("2026-11-26 10:00"),
    )

    assert found(session, at("2026-11-22 12:00")) == before
    assert found(session, at("2026-11-26 12:00")) != found(session, at("2026-11-26 09:00"))


def test_a_reading_after_t_is_invisible_at_t(session, alice, line, draw) -> None:
    """A frozen reading seen on 12-05 plays no part in check --at 12-04."""
    reading(session, alice, line, at("2026-12-05"), "0.00", "0.00")

    assert found(session, at("2026-12-04 10:00"), "limit_frozen") == []
    assert [f.split()[0] for f in found(session, at("2026-12-05 10:00"), "limit_frozen")] == [
        "limit_frozen"
    ]


def test_an_older_statement_imported_again_does_not_undo_a_correction(
    session, alice, line, draw
) -> None:
    """An amount the bill had before, seen in an older observation, is history, not news."""
    seen(session, alice, line, "2026-12-10", "909.75", "2026-12-01 09:00")
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-02 09:00")
    again = seen(
        session,
        alice,
        line,
        "2026-12-10",
        "909.75",
        "2026-12-03 09:00",
        observed_at=at("2026-12-01 09:00"),
    )

    assert (again.new, again.corrected, again.row.amount) == (False, False, D("899.75"))


def test_a_draw_confirmed_after_t_is_unconfirmed_at_t(session, alice, line, draw) -> None:
    """Alice says on 11-20 that the money arrived on 11-10: as of 11-15 nobody knew it had."""
    confirm_draw(
        session, alice, line, draw.id, now=at("2026-11-20 09:00"), arrived_at=at("2026-11-10 15:00")
    )

    assert found(session, at("2026-11-15 10:00"), "draw_unconfirmed") == [
        f"draw_unconfirmed d{draw.id}"
    ]
    assert found(session, at("2026-11-20 10:00"), "draw_unconfirmed") == []


def test_a_reading_typed_late_does_not_confirm_a_draw_before_it_was_recorded(
    session, alice, line, draw
) -> None:
    """The platform showed ¥10,000 less available on 11-11 (the draw's payout), but Alice typed
    that reading on 11-20: as of 11-15 nothing confirmed the draw; from 11-20 the reading does."""
    record_limit_reading(
        session,
        alice,
        line,
        limit_amount=D("200000.00"),
        available=D("190000.00"),
        observed_at=at("2026-11-11 09:00"),
        now=at("2026-11-20 09:00"),
    )

    assert found(session, at("2026-11-15 10:00"), "draw_unconfirmed") == [
        f"draw_unconfirmed d{draw.id}"
    ]
    assert found(session, at("2026-11-20 10:00"), "draw_unconfirmed") == []


def test_a_bill_imported_late_is_invisible_before_it_was_recorded(
    session, alice, line, draw
) -> None:
    """The platform showed the 12-10 bill on 11-30, but Alice's statement import brought it in
    on 12-08: as of 12-05 nothing loanwatch knew showed it (missing); from 12-08 it matches."""
    record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 12, 10),
        amount=D("899.75"),
        paid=False,
        observed_at=at("2026-11-30 09:00"),
        now=at("2026-12-08 09:00"),
    )

    assert found(session, at("2026-12-05 10:00"), "bill_missing", "bill_unexpected") == [
        f"bill_missing 2026-12-10#d{draw.id}"
    ]
    assert found(session, at("2026-12-08 10:00"), "bill_missing", "bill_unexpected") == []


def test_a_correction_imported_late_leaves_the_old_amount_current_until_it_was_recorded(
    session, alice, line, draw
) -> None:
    """909.75 seen on 12-01; the platform's correction to 899.75, shown on 12-02, was imported
    on 12-04: as of 12-03 loanwatch knew only 909.75 (a mismatch); from 12-04 the bill agrees,
    and the old version ends when its successor was recorded."""
    seen(session, alice, line, "2026-12-10", "909.75", "2026-12-01 09:00")
    corrected = record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 12, 10),
        amount=D("899.75"),
        paid=False,
        observed_at=at("2026-12-02 09:00"),
        now=at("2026-12-04 09:00"),
    )

    assert corrected.previous is not None
    assert corrected.previous.superseded_at == corrected.row.recorded_at == at("2026-12-04 09:00")
    assert found(session, at("2026-12-03 10:00"), "bill_amount_mismatch") == [
        "bill_amount_mismatch 2026-12-10"
    ]
    assert found(session, at("2026-12-04 10:00"), "bill_amount_mismatch") == []


def test_a_paid_mark_imported_late_leaves_the_bill_unpaid_until_it_was_recorded(
    session, alice, line, draw
) -> None:
    """The 12-10 bill, seen unpaid on 12-01; the platform showed it paid on 12-11, but the
    statement that says so was imported on 12-14: as of 12-12 loanwatch knew it unpaid
    (overdue); from 12-14 it is paid, and when it was shown paid stays 12-11."""
    seen(session, alice, line, "2026-12-10", "899.75", "2026-12-01 09:00")
    paid = record_bill(
        session,
        alice,
        line,
        due_date=date(2026, 12, 10),
        amount=D("899.75"),
        paid=True,
        observed_at=at("2026-12-11 09:00"),
        now=at("2026-12-14 09:00"),
    ).row

    assert (paid.paid_at, paid.paid_recorded_at) == (at("2026-12-11 09:00"), at("2026-12-14 09:00"))
    assert found(session, at("2026-12-12 10:00"), "bill_overdue") == [
        f"bill_overdue 2026-12-10#b{paid.id}"
    ]
    assert found(session, at("2026-12-14 10:00"), "bill_overdue") == []
