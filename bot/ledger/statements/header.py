"""The header row of a bank's export read through a mapping (`mapped.py`): where it is, and
where each column the mapping reads is in it."""

from bot.i18n import _, ngettext
from bot.ledger.statements.rows import StatementError
from bot.ledger.statements.workbook import Cell
from bot.ledger.statements.workbook import cell_text as _text
from bot.typed import fold_width


def find_header(
    rows: list[tuple[int, list[Cell]]], wanted: list[str], skip_rows: int, mapping: str
) -> tuple[int, dict[str, int]]:
    """The header row after `skip_rows`: the first naming every column the mapping needs
    (`wanted`); {column: its index}."""
    first: tuple[int, list[str]] | None = None
    for line, cells in rows[skip_rows:]:
        names = [fold_width(_text(cell)).strip() for cell in cells]
        if not any(names):
            continue
        if first is None:
            first = (line, names)
        if all(fold_width(column) in names for column in wanted):
            refuse_twice(names, wanted, line)
            return line, {column: names.index(fold_width(column)) for column in wanted}
    if first is None:
        raise StatementError(
            _("no rows after the {skipped} skipped ones").format(skipped=skip_rows)
        )
    line, names = first
    missing = _(", ").join(column for column in wanted if fold_width(column) not in names)
    raise StatementError(
        _(
            "no header row names {missing} (mapping {mapping}); the first row read as the "
            "header has {names}. Check the mapping's columns and --skip-rows"
        ).format(
            missing=missing,
            mapping=mapping,
            names=_(", ").join(name for name in names if name)[:200],
        ),
        line=line,
    )


def refuse_twice(names: list[str], wanted: list[str], line: int) -> None:
    """A header naming a column the mapping reads twice: which one holds it is a guess."""
    twice = [column for column in wanted if names.count(fold_width(column)) > 1]
    if twice:
        where = _("; ").join(
            _("{column} is column {letters}").format(
                column=column, letters=_(" and ").join(_letters(names, column))
            )
            for column in twice
        )
        raise StatementError(
            ngettext(
                "the header names {columns} twice ({where}); the mapping reads that column, so "
                "which one to read is a guess. Rename or delete the extra column and import the "
                "file again",
                "the header names {columns} twice ({where}); the mapping reads those columns, "
                "so which one to read is a guess. Rename or delete the extra column and import "
                "the file again",
                len(twice),
            ).format(columns=_(", ").join(twice), where=where),
            line=line,
        )


def _letters(names: list[str], column: str) -> list[str]:
    """Where `column` is in the header, as a spreadsheet names columns (1 is A)."""
    out = []
    for i, name in enumerate(names):
        if name == fold_width(column):
            letters, n = "", i + 1
            while n:
                n, rest = divmod(n - 1, 26)
                letters = chr(65 + rest) + letters
            out.append(letters)
    return out
