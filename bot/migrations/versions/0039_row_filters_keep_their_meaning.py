"""Mapping filters saved before `~` keep the meaning they were saved with.

Until the third attack on issue 14, `--where 摘要=还款` kept every row whose cell *contained*
还款, stored as `{"摘要": "还款"}`. `=` now means "is" and `~` "contains" (stored as
`{"摘要": {"contains": "还款"}}`), so a stored plain value would silently narrow: a bank that
writes 自动还款 would have every repayment skipped, the bills shown unpaid. This rewrites each
stored plain value to the contains form it always meant; `mapping list` shows it as `摘要~还款`,
and an admin who wants the exact match saves the mapping again with `=`.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 12:55:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_mappings = sa.table(
    "statement_mappings", sa.column("id", sa.Integer), sa.column("row_filter", sa.JSON)
)


def _rewrite(contains: bool) -> None:
    connection = op.get_bind()
    for mapping_id, row_filter in connection.execute(
        sa.select(_mappings.c.id, _mappings.c.row_filter)
    ):
        if isinstance(row_filter, str):  # a driver that hands JSON back as text
            row_filter = json.loads(row_filter)
        if not row_filter:
            continue
        if contains:
            changed = {
                column: {"contains": value} if isinstance(value, str) else value
                for column, value in row_filter.items()
            }
        else:
            changed = {
                column: value["contains"] if isinstance(value, dict) else value
                for column, value in row_filter.items()
            }
        if changed != row_filter:
            connection.execute(
                _mappings.update().where(_mappings.c.id == mapping_id).values(row_filter=changed)
            )


def upgrade() -> None:
    _rewrite(contains=True)


def downgrade() -> None:
    # Before 0039 a plain value meant "contains": the contains form goes back to it.
    _rewrite(contains=False)
