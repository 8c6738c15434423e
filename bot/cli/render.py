"""Plain-text tables and summaries for the terminal, laid out for a finance reader."""

import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from bot.ledger.portfolio import Position
from bot.models import Draw, Facility, Installment
from bot.money import format_money, format_rate


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int] | None = None
) -> str:
    """Columns padded to fit; the columns named in `right` (indexes) are right-aligned (amounts)."""
    right = right or set()
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            padded.append(pad + cell if i in right else cell + pad)
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def schedule(draw: Draw, facility: Facility, installments: Sequence[Installment]) -> str:
    """A draw and its installments, with the totals a treasurer checks first."""
    total_interest = sum((i.interest for i in installments), Decimal("0.00"))
    head = (
        f"Draw #{draw.id} on {facility.slug}: {format_money(draw.amount, facility.currency)} "
        f"drawn {draw.drawn_on.isoformat()}, {draw.months} months, {draw.repayment_method}, "
        f"{format_rate(draw.daily_rate)}, day count {draw.day_count}"
    )
    rows = [
        [
            str(i.seq),
            i.due_date.isoformat(),
            format_money(i.principal, facility.currency),
            format_money(i.interest, facility.currency),
            format_money(i.amount, facility.currency),
            i.status,
        ]
        for i in installments
    ]
    body = table(["#", "due", "principal", "interest", "amount", "status"], rows, right={2, 3, 4})
    foot = f"total interest {format_money(total_interest, facility.currency)}"
    return f"{head}\n{body}\n{foot}"


def positions_table(positions: Sequence[Position]) -> str:
    """Facilities with limit / outstanding / available by the ledger, and their rate and method."""
    rows = [
        [
            p.facility.slug,
            p.facility.platform.display_name,
            format_money(p.facility.limit_amount, p.facility.currency),
            format_money(p.outstanding, p.facility.currency),
            format_money(p.available, p.facility.currency),
            format_rate(p.facility.daily_rate),
            p.facility.repayment_method,
        ]
        for p in positions
    ]
    headers = ["facility", "platform", "limit", "outstanding", "available", "rate", "method"]
    return table(headers, rows, right={2, 3, 4})
