"""A mapping's row filter (`--where`): which rows of a bank's export are the ones to import.

`COL=VALUE` keeps a row whose COL cell is VALUE, nothing more (the cell trimmed, full-width
forms read as their half-width twins): `摘要=还款` keeps 还款, not 不还款, 还款冲正 (a reversal)
or 还款失败. `COL~TEXT` keeps a row whose COL cell contains TEXT anywhere, for a bank that writes
more around it (`摘要~还款` keeps 自动还款, and also every one of those); use it knowing that.
Several conditions, comma-separated, must all hold.

Stored in `statement_mappings.row_filter` as `{column: value}` for `=` and
`{column: {"contains": text}}` for `~`. A mapping saved before the `~` form stored `{column:
text}`, which then meant "contains": migration 0039 rewrote those to the contains form.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import InputError
from bot.i18n import N_, _
from bot.typed import fold_width

EXAMPLE = N_('"交易摘要=正常还款" (the cell is exactly that) or "摘要~还款" (the cell contains it)')


@dataclass(frozen=True)
class RowFilter:
    """One condition on one column of the export."""

    column: str
    text: str
    contains: bool = False

    def keeps(self, cell: str) -> bool:
        value, text = fold_width(cell).strip(), fold_width(self.text).strip()
        return text in value if self.contains else value == text

    def shown(self) -> str:
        return f"{self.column}{'~' if self.contains else '='}{self.text}"


def parse_where(text: str) -> tuple[RowFilter, ...]:
    """`COL=VALUE,COL~TEXT` (a comma, or ，, between conditions) as filters."""
    filters: list[RowFilter] = []
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        cut = min((i for i in (part.find("="), part.find("~")) if i >= 0), default=-1)
        column, text_ = part[:cut].strip(), part[cut + 1 :].strip()
        if cut < 0 or not column or not text_:
            raise InputError(
                _('--where "{part}" is not COLUMN=VALUE; write it like {example}').format(
                    part=part.strip(), example=_(EXAMPLE)
                )
            )
        if any(f.column == column for f in filters):
            raise InputError(_("--where names {column} twice").format(column=column))
        filters.append(RowFilter(column, text_, contains=part[cut] == "~"))
    if not filters:
        raise InputError(_("--where is empty; write it like {example}").format(example=_(EXAMPLE)))
    return tuple(filters)


def stored(filters: tuple[RowFilter, ...]) -> dict[str, Any]:
    """The filters as `row_filter` keeps them."""
    return {f.column: {"contains": f.text} if f.contains else f.text for f in filters}


def from_stored(row_filter: Mapping[str, Any] | None) -> tuple[RowFilter, ...]:
    """The filters a stored `row_filter` holds (a plain value is `=`; see the module)."""
    filters = []
    for column, value in (row_filter or {}).items():
        if isinstance(value, Mapping):
            filters.append(RowFilter(column, str(value["contains"]), contains=True))
        else:
            filters.append(RowFilter(column, str(value)))
    return tuple(filters)


def shown(filters: tuple[RowFilter, ...]) -> str:
    return ", ".join(f.shown() for f in filters)
