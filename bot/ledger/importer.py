"""`loanwatch import`: a parsed statement applied to the ledger in one transaction.

Rows that are already there (the same bill, the same reading, the same Alipay order number) are
counted and not added again (a bill now shown as paid is updated), so importing one file twice
adds nothing. A row the ledger refuses turns
into an error naming its line, and the caller's transaction rolls the whole file back.
"""

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger.facilities import facility_zone
from bot.ledger.limit_batch import LimitSeen, record_limit_readings
from bot.ledger.locks import lock_facilities
from bot.ledger.mappings import get_mapping, spec_of
from bot.ledger.observations import record_bill, record_draw_confirmation
from bot.ledger.repayments import record_repayment
from bot.ledger.statements import parse_statement
from bot.ledger.statements.mapped import MAPPING_FORMAT, parse_mapped
from bot.ledger.statements.rows import (
    AlipayCreditRow,
    BillRow,
    LimitRow,
    ParsedStatement,
    StatementError,
    refuse_conflicting_bills,
)
from bot.models import Facility, Repayment

Step = tuple[int, Callable[[], None]]

# What each kind of file records, as the summary counts it.
KIND_RECORDS = {"bills": "bills", "limits": "limit readings", "repayments": "repayments"}
# The kinds as a summary line names them (the counters keep the English, which audit records).
KIND_WORDS = {
    "bills": N_("bills"),
    "limit readings": N_("limit readings"),
    "repayments": N_("repayments"),
    "draw confirmations": N_("draw confirmations"),
}
# Why rows were skipped, by the start of the English the counters keep: "not matching 摘要=…".
SKIPPED_NOT_MATCHING = "not matching "
SKIPPED_NOT_FOR = "信用借还 not for "

# The Alipay credit products that show up as 信用借还 rows, by the platform each belongs to. An
# Alipay import applies only the rows that name the facility's own product: a 花呗 repayment or
# a credit-card repayment (信用卡还款) in the same export is not a 借呗 repayment.
ALIPAY_PRODUCTS = {"jiebei": ("借呗",), "huabei": ("花呗",), "mybank": ("网商贷", "网商银行")}


@dataclass
class ImportSummary:
    """What an import did: rows added, already present (some updated), skipped by category."""

    format: str
    added: Counter[str] = field(default_factory=Counter)
    already_present: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    # Bills the platform now shows for another amount: a new version, the old kept as history.
    corrected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # What the file's format records, counted even when it has no rows (a header-only file).
    kinds: frozenset[str] = frozenset()

    def lines(self) -> list[str]:
        """The summary as a person reads it, in the language in use."""
        out = [_("format: {format}").format(format=format_words(self.format))]
        counted = set(self.added) | set(self.already_present) | set(self.corrected)
        for kind in sorted(counted | self.kinds):
            out.append(self._kind_line(kind))
        if self.skipped:
            total = sum(self.skipped.values())
            detail = _(", ").join(
                _("{reason} {count}").format(reason=skip_reason(name), count=count)
                for name, count in sorted(self.skipped.items())
            )
            out.append(_("skipped: {total} ({detail})").format(total=total, detail=detail))
        return out

    def _kind_line(self, kind: str) -> str:
        """`repayments: 1 added, 0 already present`, with what was updated or corrected."""
        updated, corrected = self.updated[kind], self.corrected[kind]
        if updated and corrected:
            text = _(
                "{kind}: {added} added, {updated} updated, {corrected} corrected, "
                "{present} already present"
            )
        elif updated:
            text = _("{kind}: {added} added, {updated} updated, {present} already present")
        elif corrected:
            text = _("{kind}: {added} added, {corrected} corrected, {present} already present")
        else:
            text = _("{kind}: {added} added, {present} already present")
        return text.format(
            kind=_(KIND_WORDS[kind]) if kind in KIND_WORDS else kind,
            added=self.added[kind],
            updated=updated,
            corrected=corrected,
            present=self.already_present[kind],
        )


def format_words(kept: str) -> str:
    """The format as the summary names it: a saved mapping's `mapping icbc` says its word in
    the language in use, the mapping's name as it is; a format's own name (`alipay`, `bills`)
    is what `--format` takes, shown as typed."""
    if kept.startswith(MAPPING_FORMAT):
        return _("mapping {name}").format(name=kept.removeprefix(MAPPING_FORMAT))
    return kept


def skip_reason(name: str) -> str:
    """Why rows were skipped, as the counter names it, in the language in use."""
    if name.startswith(SKIPPED_NOT_MATCHING):
        where = name.removeprefix(SKIPPED_NOT_MATCHING)
        return _("not matching {where}").format(where=where)
    if name.startswith(SKIPPED_NOT_FOR):
        platform = name.removeprefix(SKIPPED_NOT_FOR)
        return _("信用借还 not for {platform}").format(platform=platform)
    return name


def import_statement(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    data: bytes,
    *,
    fmt: str = "auto",
    now: datetime,
) -> ImportSummary:
    """Parse `data` and record every row on `facility`; raises StatementError naming a bad line."""
    return import_file(session, actor, facility, data, fmt=fmt, now=now)


def import_with_mapping(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    data: bytes,
    mapping: str,
    *,
    now: datetime,
) -> ImportSummary:
    """Read `data` through the saved mapping named `mapping` and record every row on `facility`,
    with the same recording, counting and audit as any other import."""
    return import_file(session, actor, facility, data, mapping=mapping, now=now)


def import_file(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    data: bytes,
    *,
    fmt: str = "auto",
    mapping: str | None = None,
    now: datetime,
    before_recording: Callable[[ParsedStatement], None] | None = None,
) -> ImportSummary:
    """The one import: read `data` in format `fmt` or through the saved mapping `mapping`, then
    (after `before_recording` looked at what was read, and did not raise) record every row."""
    if mapping:
        if fmt != "auto":
            raise InputError(_("a mapping says how to read the file; leave out the format"))
        spec = spec_of(get_mapping(session, mapping))
        parsed = parse_mapped(data, spec, tz=facility_zone(facility))
        kind = spec.kind
    else:
        parsed = _own_rows(parse_statement(data, fmt, tz=facility_zone(facility)), facility)
        kind = parsed.format
    refuse_conflicting_bills(parsed.bills)
    if before_recording is not None:
        before_recording(parsed)
    kinds = frozenset([KIND_RECORDS[kind]] if kind in KIND_RECORDS else [])
    summary = ImportSummary(parsed.format, skipped=Counter(parsed.skipped), kinds=kinds)
    _record(session, actor, facility, parsed, summary, now, every_row=mapping is not None)
    return summary


def _own_rows(parsed: ParsedStatement, facility: Facility) -> ParsedStatement:
    """Only the 信用借还 rows of the facility's own product; the others are counted as skipped."""
    skipped = Counter(parsed.skipped)
    mine = []
    names = ALIPAY_PRODUCTS.get(facility.platform.name, ())
    for row in parsed.credit_rows:
        if any(name in f"{row.description} {row.counterparty}" for name in names):
            mine.append(row)
        else:
            skipped[SKIPPED_NOT_FOR + facility.platform.name] += 1
    return dataclasses.replace(parsed, credit_rows=mine, skipped=skipped)


def records(parsed: ParsedStatement) -> set[str]:
    """What recording `parsed` writes: bills, limit readings, repayments, draw confirmations."""
    kinds = {"bills"} if parsed.bills else set()
    if parsed.limits:
        kinds.add("limit readings")
    kinds |= {
        "draw confirmations" if row.kind == "draw_confirmation" else "repayments"
        for row in parsed.credit_rows
    }
    return kinds


def _record(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    parsed: ParsedStatement,
    summary: ImportSummary,
    now: datetime,
    *,
    every_row: bool = False,
) -> None:
    """Apply the rows and audit the import as one `import` record with its counts."""
    _apply(session, actor, facility, parsed, summary, now, every_row=every_row)
    audit.record(
        session,
        actor,
        "import",
        facility,
        at=now,
        before=None,
        after={
            "format": parsed.format,
            "added": dict(summary.added),
            "already_present": dict(summary.already_present),
            "updated": dict(summary.updated),
            "corrected": dict(summary.corrected),
            "skipped": dict(summary.skipped),
        },
    )


def _apply(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    parsed: ParsedStatement,
    summary: ImportSummary,
    now: datetime,
    *,
    every_row: bool = False,
) -> None:
    """Record each row. A row the ledger refuses stops the import at its line; with `every_row`
    each row is tried under its own savepoint and every refusal is listed. Either way the
    caller's transaction then rolls the whole file back. The limit readings go in together,
    as the ingest API's do (`bot.ledger.limit_batch`): checked first, then one INSERT."""
    refused: list[StatementError] = []
    bills, credits = _steps(session, actor, facility, parsed, summary, now)
    for line, step in bills:
        _step(session, line, step, refused, every_row=every_row)
    _readings(session, actor, facility, parsed.limits, summary, now, refused, every_row=every_row)
    for line, step in credits:
        _step(session, line, step, refused, every_row=every_row)
    if refused:
        listed = "\n".join(f"  {error}" for error in refused)
        raise StatementError(
            _("{count} row(s) refused by the ledger, so nothing was imported:\n{listed}").format(
                count=len(refused), listed=listed
            )
        )


def _step(
    session: Session,
    line: int,
    step: Callable[[], None],
    refused: list[StatementError],
    *,
    every_row: bool,
) -> None:
    """Record one row; a refusal stops the import, or with `every_row` is listed."""
    try:
        if every_row:
            with session.begin_nested():
                step()
        else:
            step()
    except StatementError:
        raise
    except InputError as exc:
        if not every_row:
            raise StatementError(
                _("{error}; nothing was imported").format(error=exc), line=line
            ) from exc
        refused.append(StatementError(str(exc), line=line))


def _readings(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    rows: list[LimitRow],
    summary: ImportSummary,
    now: datetime,
    refused: list[StatementError],
    *,
    every_row: bool,
) -> None:
    """Record the limit readings in one batch, known by their lines; written only when no row
    of the file is refused (the readings are still checked, so every refusal is listed)."""
    if not rows:
        return
    lock_facilities(session, [facility.id])
    readings = {
        row.line: LimitSeen(facility, row.limit, row.available, row.status, row.observed_at)
        for row in rows
    }
    batch = record_limit_readings(session, actor, readings, now=now, write=not refused)
    for line in sorted(batch.refused):
        if not every_row:
            raise StatementError(
                _("{error}; nothing was imported").format(error=batch.refused[line]), line=line
            )
        refused.append(StatementError(batch.refused[line], line=line))
    if not refused:
        for new in batch.new.values():
            _count(summary, "limit readings", new)


def _steps(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    parsed: ParsedStatement,
    summary: ImportSummary,
    now: datetime,
) -> tuple[list[Step], list[Step]]:
    """(line, what recording it does) for every bill, and for every repayment or draw arriving
    in the order the money moved; the limit readings go in as one batch (`_readings`)."""

    def bill(row: BillRow) -> None:
        result = record_bill(
            session,
            actor,
            facility,
            due_date=row.due_date,
            amount=row.amount,
            paid=row.paid,
            observed_at=row.observed_at,
            reference=row.reference,
            now=now,
            from_statement=True,
        )
        if result.corrected:
            summary.corrected["bills"] += 1
        else:
            _count(summary, "bills", result.new)
            if result.updated:
                summary.updated["bills"] += 1

    bills = [(row.line, partial(bill, row)) for row in parsed.bills]
    # Exports list the newest first; a schedule has to see the money in the order it moved.
    ordered = sorted(parsed.credit_rows, key=lambda r: (r.occurred_at, r.line))
    credits = [
        (row.line, partial(_credit, session, actor, facility, row, summary, now)) for row in ordered
    ]
    return bills, credits


def _credit(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    row: AlipayCreditRow,
    summary: ImportSummary,
    now: datetime,
) -> None:
    """Record a repayment (unless its reference is there already) or a draw arriving."""
    if row.kind == "draw_confirmation":
        result = record_draw_confirmation(
            session,
            actor,
            facility,
            occurred_at=row.occurred_at,
            amount=row.amount,
            external_ref=row.order_no,
            description=row.description,
            now=now,
        )
        _count(summary, "draw confirmations", result.new)
        return
    seen = session.scalar(
        select(Repayment.id)
        .where(
            Repayment.facility_id == facility.id,
            Repayment.external_ref.in_([row.order_no, *row.aliases]),
        )
        .limit(1)
    )
    if seen is None:
        record_repayment(
            session,
            actor,
            facility,
            row.amount,
            now=now,
            paid_on=row.occurred_at.astimezone(facility_zone(facility)).date(),
            external_ref=row.order_no,
            note=row.description,
        )
    _count(summary, "repayments", seen is None)


def _count(summary: ImportSummary, kind: str, new: bool) -> None:
    (summary.added if new else summary.already_present)[kind] += 1
