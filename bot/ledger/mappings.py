"""Saved statement mappings: `loanwatch mapping add/list/remove`, audited, and the spec an
import reads a bank's export with (bot/ledger/statements/mapped.py says how)."""

import codecs
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.ledger.facilities import check_slug
from bot.ledger.statements.mapped import ENCODINGS, FIELDS, OUTGOING, MappingSpec
from bot.ledger.statements.where import from_stored, parse_where, stored
from bot.models import StatementMapping
from bot.typed import fold_width

MAX_SKIP_ROWS = 1000
_SAMPLE = datetime(2026, 12, 10, 9, 30, 15, tzinfo=UTC)
_PAIRS_EXAMPLE = '"due_date=还款日,amount=应还金额"'
# A directive: % and the character after it (none at the very end).
_DIRECTIVE = re.compile(r"%.?", re.DOTALL)
_DATE_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S")


def parse_pairs(text: str, what: str) -> dict[str, str]:
    """`a=x,b=y` as {a: x, b: y}; a comma (also ，) separates pairs, `=` a name from a column."""
    pairs: dict[str, str] = {}
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise InputError(
                _('{option} "{part}" is not NAME=COLUMN; write them like {example}').format(
                    option=what, part=part.strip(), example=_PAIRS_EXAMPLE
                )
            )
        if name in pairs:
            raise InputError(_("{option} names {name} twice").format(option=what, name=name))
        pairs[name] = column
    if not pairs:
        raise InputError(
            _("{option} is empty; write them like {example}").format(
                option=what, example=_PAIRS_EXAMPLE
            )
        )
    return pairs


def check_columns(kind: str, columns: dict[str, str]) -> dict[str, str]:
    """Refuse a field the kind does not have, and a missing required one."""
    if kind not in FIELDS:
        raise InputError(
            _('unknown kind "{kind}"; kinds are {kinds}').format(
                kind=kind, kinds=_(", ").join(FIELDS)
            )
        )
    fields = FIELDS[kind]
    unknown = [name for name in columns if name not in fields]
    if unknown:
        raise InputError(
            _(
                "unknown field {fields} for {kind}; {kind} fields are {known} "
                "(required: {required})"
            ).format(
                fields=_(", ").join(unknown),
                kind=kind,
                known=_(", ").join(fields),
                required=_required(kind),
            )
        )
    missing = [name for name, required in fields.items() if required and name not in columns]
    if missing:
        raise InputError(
            _("--columns has no {missing}; {kind} need {required}").format(
                missing=_(" or ").join(missing), kind=kind, required=_required(kind)
            )
        )
    # A repayment's amount column may say it writes money leaving the account as negative;
    # the minus as a Chinese keyboard types it (full-width －) is the same minus.
    columns = {
        name: OUTGOING + column[1:].strip() if fold_width(column).startswith(OUTGOING) else column
        for name, column in columns.items()
    }
    for name, column in columns.items():
        if column.startswith(OUTGOING * 2) or column == OUTGOING:
            raise InputError(
                _(
                    "--columns {field}={column}: write one {sign} before the column's name, "
                    "e.g. amount={sign}交易金额"
                ).format(field=name, column=column, sign=OUTGOING)
            )
        if column.startswith(OUTGOING) and (kind, name) != ("repayments", "amount"):
            raise InputError(
                _(
                    "--columns {field}={column}: only a repayments mapping's amount may start "
                    "with {sign} (the column writes a repayment as a negative amount)"
                ).format(field=name, column=column, sign=OUTGOING)
            )
    # The header is matched ignoring full-width forms, so 还款日 and its full-width twin are one.
    fields_of: dict[str, list[str]] = {}
    for name, column in columns.items():
        fields_of.setdefault(fold_width(column).removeprefix(OUTGOING).strip(), []).append(name)
    for column, names in fields_of.items():
        if len(names) > 1:
            raise InputError(
                _(
                    "--columns gives the column {column} to {fields}; each field reads its own "
                    "column"
                ).format(column=column, fields=_(" and ").join(names))
            )
    return columns


def _required(kind: str) -> str:
    return _(", ").join(name for name, required in FIELDS[kind].items() if required)


def check_date_format(fmt: str) -> str:
    """A strftime format that writes a date and reads it back (so it has a year, month, day)."""
    problem: str | None = None
    directive = ""
    if "%" not in fmt:
        # The % as a placeholder: a "% d" in the text would read as a printf conversion.
        problem = N_('date format "{format}" has no {percent} directive; write it like {examples}')
    else:
        try:
            written = _SAMPLE.strftime(fmt)
            back = datetime.strptime(written, fmt).replace(tzinfo=UTC)
        except ValueError:
            # Python's own message is English and names its internals: ours says which part.
            directive = _unreadable_directive(fmt)
            if directive == "%":
                problem = N_(
                    'date format "{format}" is not a strftime format: it ends with a lone '
                    "{percent}; write it like {examples}"
                )
            elif directive:
                problem = N_(
                    'date format "{format}" is not a strftime format: {directive} is not a '
                    "directive; write it like {examples}"
                )
            else:
                problem = N_(
                    'date format "{format}" is not a strftime format: the dates it writes do '
                    "not read back; write it like {examples}"
                )
        else:
            if back.date() != _SAMPLE.date():
                problem = N_(
                    'date format "{format}" does not give a whole date (it needs a year, a month '
                    "and a day); write it like {examples}"
                )
    if problem:
        first, *rest, last = _DATE_FORMATS
        examples = _("{first} or {last}").format(first=_(", ").join((first, *rest)), last=last)
        raise InputError(
            _(problem).format(format=fmt, directive=directive, examples=examples, percent="%")
        )
    return fmt


def _unreadable_directive(fmt: str) -> str:
    """The first directive of `fmt` that strptime cannot read back ("%Q"), "%" for a lone %
    at its end, or "" when each reads alone (then it is their mix)."""
    for found in _DIRECTIVE.finditer(fmt):
        one = found.group()
        if one == "%":
            return "%"
        try:
            datetime.strptime(_SAMPLE.strftime(one), one).replace(tzinfo=UTC)
        except ValueError:
            return one
    return ""


def check_encoding(name: str) -> str:
    """gb18030 or utf-8 (also written GBK, GB2312, UTF8: the same as far as a file goes)."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        canonical = ""
    aliases = {"gbk": "gb18030", "gb2312": "gb18030", "utf-8-sig": "utf-8"}
    canonical = aliases.get(canonical, canonical)
    if canonical not in ENCODINGS:
        raise InputError(
            _('unknown encoding "{encoding}"; encodings are {encodings}').format(
                encoding=name, encodings=_(", ").join(ENCODINGS)
            )
        )
    return canonical


def add_mapping(
    session: Session,
    actor: audit.Actor,
    name: str,
    *,
    kind: str,
    columns: str,
    date_format: str | None,
    encoding: str,
    skip_rows: int,
    where: str | None,
    now: datetime,
) -> StatementMapping:
    """Check and save a mapping named `name`."""
    check_slug(name, N_("mapping"))
    if session.scalar(select(StatementMapping.id).where(StatementMapping.name == name)):
        raise InputError(
            _("mapping {name} exists already; remove it first to change it").format(name=name)
        )
    if not 0 <= skip_rows <= MAX_SKIP_ROWS:
        raise InputError(
            _("--skip-rows {rows} is not in the range 0 to {most}").format(
                rows=skip_rows, most=MAX_SKIP_ROWS
            )
        )
    row = StatementMapping(
        name=name,
        kind=kind,
        columns=check_columns(kind, parse_pairs(columns, "--columns")),
        date_format=check_date_format(date_format) if date_format else None,
        encoding=check_encoding(encoding),
        skip_rows=skip_rows,
        row_filter=stored(parse_where(where)) if where else None,
        created_at=now,
        created_by=actor.name,
    )
    session.add(row)
    audit.record(session, actor, "statement_mapping.add", row, at=now)
    return row


def list_mappings(session: Session) -> Sequence[StatementMapping]:
    return session.scalars(select(StatementMapping).order_by(StatementMapping.name)).all()


def get_mapping(session: Session, name: str) -> StatementMapping:
    row = session.scalar(select(StatementMapping).where(StatementMapping.name == name))
    if row is None:
        known = _(", ").join(m.name for m in list_mappings(session)) or _("none yet")
        raise NotFoundError(
            _("no mapping named {name} (mappings: {known})").format(name=name, known=known)
        )
    return row


def remove_mapping(session: Session, actor: audit.Actor, name: str, *, now: datetime) -> None:
    row = get_mapping(session, name)
    audit.record(
        session,
        actor,
        "statement_mapping.remove",
        row,
        at=now,
        before=audit.snapshot(row),
        after={},
    )
    session.delete(row)


def spec_of(row: StatementMapping) -> MappingSpec:
    columns = dict(row.columns)
    amount = columns.get("amount", "")
    outgoing = row.kind == "repayments" and amount.startswith(OUTGOING)
    if outgoing:
        columns["amount"] = amount.removeprefix(OUTGOING).strip()
    return MappingSpec(
        name=row.name,
        kind=row.kind,
        columns=columns,
        outgoing=outgoing,
        date_format=row.date_format,
        encoding=row.encoding,
        skip_rows=row.skip_rows,
        where=from_stored(row.row_filter),
    )
