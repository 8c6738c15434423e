"""Bill checks: the platform's bills against the installments the ledger expects.

The modules
    `scans`: what the bill checks read once a cycle and share (the unsettled installment
    groups, the unpaid bills), with the candidate SQL that singles them out.
    `expected`: `bill_missing` and `bill_amount_mismatch`, the bills the ledger expects.
    `unexpected`: `bill_unexpected`, the bills it does not.
    `due`: `bill_due_soon` and `bill_overdue`, unpaid bills coming due or past due (past the
    day the facility's holiday rule collects them on).
    `paid`: `repayment_unseen` and `repayment_unlogged`, a bill paid on one side only.

Matching (shared by every check here and by `draw_unconfirmed`)
    A bill matches an installment of the same facility when the bill's due date is within the
    facility's match window (default ± 3 days) of the installment's due date, or of that date
    moved to the next business day (a due date on 2025-10-01 matches a bill due 2025-10-09).
    A bill due on a day that has installments of its own matches only those: one draw's bill
    never stands in for another draw's missing one. Amounts play no part in matching;
    comparing them is `bill_amount_mismatch`'s job. Superseded installments, and the 0.00
    installments a tiny draw can end with, expect no bill.

How the SQL is shaped
    `bill_days` (one row per facility and day: installments expected against bills billed,
    kept in step with every write by `bot.ledger.summaries`) singles out the few days that may
    fire through partial indexes; a day whose bills add up to the ledger to the fen is settled
    and never read. The checks then run their set-based queries over those days' installments
    and bills only, using the plain window (a join with per-facility window sizes, see
    ``common.days_after``). Only the candidates whose due date moves on a holiday need the
    shifted window; those few are finished in Python after at most one more query.
    Observations recorded after `now` are ignored, so a check run "as of" a past moment sees
    the database as it was then (`bill_days` says when its newest bill was seen, and a day
    seen after `now` is read in full).
"""
